package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
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

// intakeLoad is one or more civicgrid instances over one database holding
// the demo city, one logged-in resident, and a day's worth of report bodies.
type intakeLoad struct {
	urls         []string
	secret, csrf string
	bodies       []string
	next         atomic.Int64
	client       *http.Client
	db           *sqlstore.DB // the first instance's
	// batches and batched count the first instance's intake transactions
	// and the reports in them.
	batches, batched atomic.Int64
}

// reportBatches reports the mean intake batch since the last reset.
func (l *intakeLoad) reportBatches(b *testing.B) {
	if n := l.batches.Load(); n > 0 {
		b.ReportMetric(float64(l.batched.Load())/float64(n), "reports/batch")
	}
}

func newIntakeLoad(b *testing.B, instances int) *intakeLoad {
	ctx := context.Background()
	db, loc, dir := openDemoStore(b)
	l := &intakeLoad{db: db, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}}
	var cats []civicgrid.Category
	for i := range instances {
		idb, iloc := db, loc
		if i > 0 {
			// Another instance: its own connections, batcher and index.
			var err error
			if idb, err = sqlstore.Open(ctx, db.URL(), dir); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { idb.Close() })
			if iloc, err = locate.New(ctx, idb, locate.DefaultOptions); err != nil {
				b.Fatal(err)
			}
		}
		cases := casework.New(casework.Config{}, idb, idb, iloc, testCalendar(b), nil)
		if err := cases.SeedCatalogue(ctx); err != nil {
			b.Fatal(err)
		}
		cats, _ = cases.Categories(ctx)
		srv := httptest.NewServer(server.New(server.Config{Cases: cases}, idb, iloc).Handler())
		b.Cleanup(srv.Close)
		l.urls = append(l.urls, srv.URL+"/api/v1/cases")
	}
	db.ObserveIntake(func(size int, _ time.Duration) { l.batches.Add(1); l.batched.Add(int64(size)) })
	u, err := db.CreateUser(ctx, civicgrid.User{Name: "压测", Phone: "13700000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: newMatrixChains(b, demoCity(b))[0].building}}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	secret, sess, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	l.secret, l.csrf = secret, sess.CSRFToken
	// Reports spread over the city's grids and the catalogue's categories,
	// as a day of reports is: a random point in the middle half of a grid's
	// box, a random category (fixed seed, so runs compare).
	var grids []civicgrid.Area
	for _, a := range demoCity(b).Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	l.bodies = make([]string, 50_000)
	for i := range l.bodies {
		box := grids[rnd.IntN(len(grids))].Geometry.Bound()
		lat := box.Min.Lat() + (0.25+0.5*rnd.Float64())*(box.Max.Lat()-box.Min.Lat())
		lng := box.Min.Lon() + (0.25+0.5*rnd.Float64())*(box.Max.Lon()-box.Min.Lon())
		l.bodies[i] = fmt.Sprintf(`{"category":%q,"lat":%.6f,"lng":%.6f,"description":"楼道堆放杂物，影响通行"}`,
			cats[rnd.IntN(len(cats))].Code, lat, lng)
	}
	return l
}

// report posts the next body and fails b unless the case was created.
func (l *intakeLoad) report(b *testing.B) bool {
	n := int(l.next.Add(1))
	body := l.bodies[n%len(l.bodies)]
	req, _ := http.NewRequest("POST", l.urls[n%len(l.urls)], strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", l.csrf)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: l.secret})
	resp, err := l.client.Do(req)
	if err != nil {
		b.Error(err)
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Errorf("intake: %d", resp.StatusCode)
		return false
	}
	return true
}

// BenchmarkCaseIntake reports cases over HTTP on loopback without photos,
// from parallel clients, each answered only after its transaction (case,
// first event, supporter row, rollups) is committed durably: the
// throughput, with one instance and with three sharing the database (round
// robin, as behind a load balancer). Under scripts/with-postgres.sh the
// database is PostgreSQL.
func BenchmarkCaseIntake(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			l := newIntakeLoad(b, n)
			b.SetParallelism(intakeClients)
			b.ResetTimer()
			l.batches.Store(0)
			l.batched.Store(0)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !l.report(b) {
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
			l.reportBatches(b)
		})
	}
}

// BenchmarkCaseIntakeSteady sends reports at a fixed rate, 1,000 a second
// unless CIVICGRID_BENCH_RATE says otherwise (open loop: a request is sent
// at its scheduled time whether or not earlier ones have been answered),
// and reports latency percentiles measured from the scheduled time, so that
// a stall counts for every request it delays. Run it with a fixed count,
// e.g. -benchtime=20000x for 20 s at 1,000/s.
func BenchmarkCaseIntakeSteady(b *testing.B) {
	rate := 1000 // reports a second
	if r, err := strconv.Atoi(os.Getenv("CIVICGRID_BENCH_RATE")); err == nil && r > 0 {
		rate = r
	}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			l := newIntakeLoad(b, n)
			// Warm up connections and caches, unmeasured.
			for range 200 {
				l.report(b)
			}
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
				time.Sleep(time.Until(at))
				wg.Go(func() {
					if l.report(b) {
						lat[i] = time.Since(at)
					} else {
						lat[i] = -1
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			if lat[0] < 0 {
				return // errors were reported
			}
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cases/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(0.999), "p99.9-ms")
			b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
		})
	}
}

// BenchmarkIntakeCeiling is the storage ceiling that HTTP intake is compared
// with: the rows a report writes (case, first event, supporter, search
// index, indicator rollups, the case log's outbox) handed straight to the
// store's group-commit writer by 512 goroutines, so that every transaction
// holds its maximum of 256 reports. No HTTP, login, JSON, duplicate check or
// case rules. The rows are those of 4,096 reports made through
// BenchmarkCaseIntake's load first (the same bodies, the same resident),
// replayed with new ids. scripts/intake-ceiling.sh runs it and
// BenchmarkCaseIntake alternately and prints the ratio.
// intakeClients × GOMAXPROCS clients report to BenchmarkCaseIntake's
// server(s), each waiting for its answer before the next report.
var intakeClients = func() int {
	if n, err := strconv.Atoi(os.Getenv("CIVICGRID_INTAKE_CLIENTS")); err == nil && n > 0 {
		return n
	}
	return 16
}()

// ceilingWriters × GOMAXPROCS writers feed the ceiling's batches.
var ceilingWriters = func() int {
	if n, err := strconv.Atoi(os.Getenv("CIVICGRID_CEILING_WRITERS")); err == nil && n > 0 {
		return n
	}
	return 256
}()

func BenchmarkIntakeCeiling(b *testing.B) {
	ctx := context.Background()
	l := newIntakeLoad(b, 1)
	db := l.db
	const sample = 4096
	for range sample {
		if !l.report(b) {
			return
		}
	}
	made, err := db.ListCases(ctx, civicgrid.CaseFilter{All: true, Limit: sample})
	if err != nil {
		b.Fatal(err)
	}
	type row struct {
		c  civicgrid.Case
		ev civicgrid.CaseEvent
	}
	rows := make([]row, len(made))
	for i, c := range made {
		evs, err := db.CaseEvents(ctx, c.ID)
		if err != nil || len(evs) != 1 {
			b.Fatalf("case %d: %d events, %v", c.ID, len(evs), err)
		}
		ev := evs[0]
		c.ID, ev.ID, ev.CaseID, ev.Hash, ev.PrevHash = 0, 0, 0, "", ""
		rows[i] = row{c, ev}
	}
	var next atomic.Int64
	b.SetParallelism(ceilingWriters) // × GOMAXPROCS (2)
	b.ResetTimer()
	l.batches.Store(0)
	l.batched.Store(0)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := rows[int(next.Add(1))%len(rows)]
			if _, _, err := db.CreateCase(ctx, r.c, r.ev, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	l.reportBatches(b)
}
