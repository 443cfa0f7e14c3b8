package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/server"
)

// benchServer is a server over the demo city with one account, hashing with
// the production parameters.
func benchServer(b *testing.B) (*fixture, civicgrid.User) {
	f := newFixture(b)
	s := server.New(server.Config{Auth: server.AuthConfig{IPAttempts: 1 << 30}}, f.db, nil)
	f.srv.Config.Handler = s.Handler()
	hash, err := password.Hash(mxPassword, password.Default)
	if err != nil {
		b.Fatal(err)
	}
	u, err := f.db.CreateUser(context.Background(), civicgrid.User{Name: "压测", Phone: "13700000001", Kind: civicgrid.KindStaff}, hash,
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleCityAdmin, AreaCode: "420100"}}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	return f, u
}

// BenchmarkLogin is a full password login over HTTP: argon2id verification
// (m=19 MiB, t=2), a new session and its security event, committed.
func BenchmarkLogin(b *testing.B) {
	f, _ := benchServer(b)
	body := fmt.Sprintf(`{"phone":"13700000001","password":%q}`, mxPassword)
	b.ResetTimer()
	for b.Loop() {
		resp, err := http.Post(f.srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("login: %d", resp.StatusCode)
		}
	}
}

// BenchmarkSessionRequest is an authenticated GET /api/v1/me with a session
// cookie: the session and user lookups every logged-in request pays.
func BenchmarkSessionRequest(b *testing.B) {
	f, u := benchServer(b)
	secret, _, err := f.db.CreateSession(context.Background(), civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: secret})
	b.ResetTimer()
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("me: %d", resp.StatusCode)
		}
	}
}

// BenchmarkCaseIntake reports cases over HTTP on loopback without photos,
// from parallel clients, each answered only after its transaction (case,
// first event, supporter row, rollups) is committed with synchronous=FULL.
func BenchmarkCaseIntake(b *testing.B) {
	db, loc, _ := openDemoStore(b)
	cases := casework.New(casework.Config{}, db, db, loc, testCalendar(b), nil)
	if err := cases.SeedCatalogue(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := server.New(server.Config{Cases: cases}, db, loc)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	u, err := db.CreateUser(context.Background(), civicgrid.User{Name: "压测", Phone: "13700000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: newMatrixChains(b, demoCity(b))[0].building}}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	secret, sess, err := db.CreateSession(context.Background(), civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	// Reports spread over the city's grids and the catalogue's categories,
	// as a day of reports is.
	cats, _ := cases.Categories(context.Background())
	var bodies []string
	for i, a := range demoCity(b).Areas {
		if a.Level != civicgrid.LevelGrid {
			continue
		}
		p := a.Geometry.Bound().Center()
		bodies = append(bodies, fmt.Sprintf(`{"category":%q,"lat":%v,"lng":%v,"description":"楼道堆放杂物，影响通行"}`,
			cats[i%len(cats)].Code, p.Lat(), p.Lon()))
	}
	var next atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[int(next.Add(1))%len(bodies)]
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", sess.CSRFToken)
			req.AddCookie(&http.Cookie{Name: "cg_session", Value: secret})
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("intake: %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}
