package server_test

// What the server answers when its disk or its database fails: 507 and 503
// with a message a person can act on, a health check that says so, and no
// write committed after its request was answered.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// reportBody is a report in the home grid.
func (e *caseEnv) reportBody(description string) []byte {
	lat, lng := e.point(e.chain)
	b, _ := json.Marshal(map[string]any{"category": "C0005", "description": description, "lat": lat, "lng": lng})
	return b
}

type errorAnswer struct {
	Error struct{ Code, Message string } `json:"error"`
}

func decodeError(t *testing.T, body string) errorAnswer {
	t.Helper()
	var a errorAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return a
}

// holdWriter blocks the store's writes from another connection, as a
// frozen or locked database does, until the returned function is called.
func holdWriter(t *testing.T, e *caseEnv) (release func()) {
	t.Helper()
	ctx := context.Background()
	var conn *sql.Conn
	var err error
	if e.db.Dialect() == sqlstore.Postgres {
		conn, err = e.db.SQL().Conn(ctx)
		if err == nil {
			_, err = conn.ExecContext(ctx, `BEGIN; LOCK TABLE cases IN EXCLUSIVE MODE`)
		}
	} else {
		var raw *sql.DB
		raw, err = sql.Open("sqlite", "file:"+filepath.Join(e.dir, "civicgrid.db"))
		if err == nil {
			t.Cleanup(func() { raw.Close() })
			conn, err = raw.Conn(ctx)
		}
		if err == nil {
			_, err = conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.ExecContext(ctx, `ROLLBACK`)
		conn.Close()
	}
}

// TestFrozenDatabaseAnswers503 reports while the database cannot write:
// the answer is 503 "unavailable" once the request timeout passes, and
// the report is not committed afterwards — a retry with the same
// Idempotency-Key makes the one and only case.
func TestFrozenDatabaseAnswers503(t *testing.T) {
	// The deadline is what the frozen report waits; every other request of
	// the test, the retry's write included, must finish within it: 300 ms
	// was overrun by the retry on a loaded machine (a 503 for a database
	// that was answering).
	e := newCaseEnvWith(t, openDemoStore, func(c *server.Config, _ *sqlstore.DB) { c.RequestTimeout = 2 * time.Second })
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	body := e.reportBody("井盖缺失，夜里有人差点掉进去")
	token, _, err := e.db.CreateAPIToken(context.Background(), civicgrid.APIToken{Name: "t", Role: civicgrid.RoleCityAdmin,
		AreaCode: "4201"}, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, e)
	// Reading needs no write: it works while writes cannot (the session's
	// seen-time and the token's last use, due for a refresh, are refreshed
	// on a later request).
	e.clock.Advance(2 * time.Hour)
	if st, body := e.call(resident, "GET", "/api/v1/me", nil, nil); st != http.StatusOK {
		t.Errorf("reading with a session while the database cannot write: %d %s", st, body)
	}
	if st, body := e.raw(person{}, "GET", "/api/v1/cases?within=4201", nil, "Authorization", "Bearer "+token); st != http.StatusOK {
		t.Errorf("reading with an API token while the database cannot write: %d %s", st, body)
	}
	st, answer := e.raw(resident, "POST", "/api/v1/cases", body, "Content-Type", "application/json", "Idempotency-Key", "frozen-1")
	release()
	if st != http.StatusServiceUnavailable || decodeError(t, answer).Error.Code != civicgrid.EUNAVAILABLE {
		t.Fatalf("report to a frozen database: %d %s", st, answer)
	}
	if msg := decodeError(t, answer).Error.Message; !strings.Contains(msg, "稍后重试") || !strings.Contains(msg, "Try again") {
		t.Errorf("the message says neither what to do in Chinese nor in English: %s", msg)
	}
	// Writes are serialised: once this retry is written, a report still
	// pending from the first request would have been committed too.
	var in struct {
		Case     civicgrid.Case `json:"case"`
		Existing bool           `json:"existing"`
	}
	st, answer = e.raw(resident, "POST", "/api/v1/cases", body, "Content-Type", "application/json", "Idempotency-Key", "frozen-1")
	if st != http.StatusCreated {
		t.Fatalf("the retry: %d %s", st, answer)
	}
	if err := json.Unmarshal([]byte(answer), &in); err != nil || in.Existing {
		t.Errorf("the retry found a case committed after its request was answered 503: %s", answer)
	}
	mine, err := e.db.ListCases(context.Background(), civicgrid.CaseFilter{ReporterID: resident.user.ID, Limit: 10})
	if err != nil || len(mine) != 1 {
		t.Errorf("cases of the reporter: %d (%v), want 1", len(mine), err)
	}
}

// fillDisk makes the embedded store full, as a full disk does: SQLite may
// grow no further than it is (max_page_count on the one writer
// connection), so any write needing a new page fails with SQLITE_FULL.
func fillDisk(t *testing.T, e *caseEnv) {
	t.Helper()
	ctx := context.Background()
	var pages int64
	if err := e.db.SQL().QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	var max int64
	if err := e.db.SQL().QueryRowContext(ctx, `PRAGMA max_page_count = `+strconv.FormatInt(pages, 10)).Scan(&max); err != nil || max != pages {
		t.Fatalf("max_page_count %d, want %d (%v)", max, pages, err)
	}
}

// TestFullDiskAnswers507 fills the disk under a running server: a report
// is answered 507 with a message in both languages saying what to do,
// /healthz says degraded, an Open311 report gets the same 507, and a logged-in person can still read (the
// session's seen-time refresh is best effort).
func TestFullDiskAnswers507(t *testing.T) {
	e := newCaseEnvWith(t, openDemoSQLite, func(c *server.Config, db *sqlstore.DB) { c.Open311 = db })
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	if st, body := e.call(resident, "GET", "/healthz", nil, nil); st != http.StatusOK {
		t.Fatalf("healthz before: %d %s", st, body)
	}
	fillDisk(t, e)

	// 3,000 characters need an overflow page: the write must grow the file.
	st, answer := e.raw(resident, "POST", "/api/v1/cases", e.reportBody(strings.Repeat("水", 3000)), "Content-Type", "application/json")
	if st != http.StatusInsufficientStorage || decodeError(t, answer).Error.Code != civicgrid.ENOSPACE {
		t.Fatalf("report on a full disk: %d %s", st, answer)
	}
	if msg := decodeError(t, answer).Error.Message; !strings.Contains(msg, "存储空间已满") || !strings.Contains(msg, "disk is full") {
		t.Errorf("the message: %s", msg)
	}
	// Open311 clients report too: the same 507.
	key, _, err := e.db.CreateOpen311Key(context.Background(), "test client", civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	lat, lng := e.point(e.chain)
	resp, err := http.PostForm(e.srv.URL+"/open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"C0005"},
		"lat": {strconv.FormatFloat(lat, 'f', -1, 64)}, "long": {strconv.FormatFloat(lng, 'f', -1, 64)}, "description": {strings.Repeat("水", 3000)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(b), "disk is full") {
		t.Errorf("Open311 report on a full disk: %d %s", resp.StatusCode, b)
	}
	var health struct {
		Status   string   `json:"status"`
		Problems []string `json:"problems"`
	}
	st, body := e.call(resident, "GET", "/healthz", nil, nil)
	json.Unmarshal([]byte(body), &health)
	if st != http.StatusServiceUnavailable || health.Status != "degraded" || len(health.Problems) != 1 || !strings.Contains(health.Problems[0], "disk full") {
		t.Errorf("healthz on a full disk: %d %s", st, body)
	}
	// Readiness says the same; liveness does not (a restart would not
	// free the disk).
	if st, body := e.call(resident, "GET", "/readyz", nil, nil); st != http.StatusServiceUnavailable || !strings.Contains(body, "disk full") {
		t.Errorf("readyz on a full disk: %d %s", st, body)
	}
	if st, body := e.call(resident, "GET", "/livez", nil, nil); st != http.StatusOK || body != "ok\n" {
		t.Errorf("livez on a full disk: %d %q", st, body)
	}
	if st, body := e.call(resident, "GET", "/api/v1/me", nil, nil); st != http.StatusOK {
		t.Errorf("reading while logged in on a full disk: %d %s", st, body)
	}
	// A login writes its session: where that finds room it works, where it
	// does not the answer is the same 507, never an internal error.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/login", bytes.NewReader([]byte(`{"phone":"`+resident.user.Phone+`","password":"`+mxPassword+`"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && (resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(b), "disk is full")) {
		t.Errorf("a new login on a full disk: %d %s", resp.StatusCode, b)
	}
}

// TestServerAtItsBoundTurnsRequestsAwayAtOnce: with as many requests at
// work as the bound allows (here one report waiting for a frozen
// database), the next is answered 503 with Retry-After once the
// admission wait passes — long before the request deadline — and nothing
// of it is done; live streams are not counted; once the place frees,
// requests are served again.
func TestServerAtItsBoundTurnsRequestsAwayAtOnce(t *testing.T) {
	e := newCaseEnvWith(t, openDemoStore, func(c *server.Config, _ *sqlstore.DB) {
		c.RequestTimeout, c.MaxInFlight, c.AdmissionWait = 3*time.Second, 1, 100*time.Millisecond
	})
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	// Live streams stay open throughout and hold no place.
	streamCtx, closeStream := context.WithCancel(context.Background())
	defer closeStream()
	for _, path := range []string{"/api/v1/cases/stream"} {
		streamReq, _ := http.NewRequestWithContext(streamCtx, "GET", e.srv.URL+path, nil)
		streamReq.AddCookie(&http.Cookie{Name: "cg_session", Value: resident.cookie})
		stream, err := http.DefaultClient.Do(streamReq)
		if err != nil || stream.StatusCode != http.StatusOK {
			t.Fatalf("live stream %s: %v %v", path, err, stream)
		}
		defer stream.Body.Close()
	}
	if st, body := e.call(resident, "GET", "/api/v1/me", nil, nil); st != http.StatusOK {
		t.Fatalf("with a live stream open and one place: %d %s", st, body)
	}
	release := holdWriter(t, e)
	frozen := make(chan int, 1)
	first := e.reportBody("井盖缺失，夜里有人差点掉进去")
	go func() {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cases", bytes.NewReader(first))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", resident.csrf)
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: resident.cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			frozen <- 0
			return
		}
		resp.Body.Close()
		frozen <- resp.StatusCode
	}()
	// Wait until the report holds the one place.
	for deadline := time.Now().Add(2 * time.Second); ; {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: resident.cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"unavailable"`) || !strings.Contains(string(b), "Try again") {
				t.Errorf("turned away without Retry-After or a message: %v %s", resp.Header, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a second request was never turned away while the first held the only place")
		}
		time.Sleep(20 * time.Millisecond)
	}
	started := time.Now()
	st, body := e.raw(resident, "POST", "/api/v1/cases", e.reportBody("路灯不亮，晚上很黑"), "Content-Type", "application/json")
	if waited := time.Since(started); st != http.StatusServiceUnavailable || waited > 2*time.Second {
		t.Errorf("a report at the bound: %d after %v (deadline 3 s): %s", st, waited, body)
	}
	release()
	if st := <-frozen; st != http.StatusCreated && st != http.StatusServiceUnavailable {
		t.Errorf("the report that held the place: %d", st)
	}
	if st, body := e.raw(resident, "POST", "/api/v1/cases", e.reportBody("路灯不亮，晚上很黑"), "Content-Type", "application/json"); st != http.StatusCreated {
		t.Errorf("a report once the place is free: %d %s", st, body)
	}
	mine, err := e.db.ListCases(context.Background(), civicgrid.CaseFilter{ReporterID: resident.user.ID, Limit: 10})
	if err != nil || len(mine) > 2 {
		t.Errorf("cases of the reporter: %d (%v); the one turned away must not be among them", len(mine), err)
	}
}
