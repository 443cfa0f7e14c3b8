package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
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
