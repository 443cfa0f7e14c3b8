package server_test

// End-to-end tests of the case loop over HTTP: every path of the state
// machine, each step taken by the logged-in person whose job it is, with
// the history and its hash chain checked after.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/web"
	"github.com/civicgrid/civicgrid/workcal"
)

// testCalendar is the shipped working calendar.
// testCalendar is the shipped calendar, live as the server runs it.
func testCalendar(t testing.TB) *workcal.Live {
	cfg, err := workcal.ChinaConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := workcal.NewLive(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testClock is a clock the tests move.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type caseEnv struct {
	t     *testing.T
	dir   string
	photo string // the ref of an uploaded photo
	db    *sqlstore.DB
	srv   *httptest.Server
	api   *server.Server
	cases *casework.Service
	clock *testClock
	chain mxChain // the first district's first building and its ancestors
	other mxChain // the second district's
	hash  string
	n     int
}

// person is a logged-in account.
type person struct {
	user   civicgrid.User
	cookie string
	csrf   string
}

func newCaseEnv(t *testing.T) *caseEnv { return newCaseEnvWith(t, openDemoStore, nil) }

// newCaseEnvWith is newCaseEnv on the store open gives, with the server's
// settings changed by configure (when not nil).
func newCaseEnvWith(t *testing.T, open func(testing.TB) (*sqlstore.DB, *locate.Service, string), configure func(*server.Config, *sqlstore.DB)) *caseEnv {
	return newCaseEnvConfig(t, open, configure, casework.Config{}, web.Config{})
}

// newCaseEnvConfig is newCaseEnvWith with the case loop's and the pages'
// settings (their stores and services are filled in).
func newCaseEnvConfig(t *testing.T, open func(testing.TB) (*sqlstore.DB, *locate.Service, string), configure func(*server.Config, *sqlstore.DB),
	caseCfg casework.Config, webCfg web.Config) *caseEnv {
	ctx := context.Background()
	db, loc, dir := open(t)
	c := demoCity(t)
	// Monday 2026-11-23 09:30 Beijing time: inside working hours.
	clock := &testClock{now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))}
	db.SetClock(clock.Now)
	photos, err := photo.NewStore(filepath.Join(dir, "photos"), photo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := photos.Save(ctx, bytes.NewReader(testJPEGBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	caseCfg.Photos = photos
	calendar := testCalendar(t)
	svc := casework.New(caseCfg, db, db, loc, calendar, clock.Now)
	if err := svc.SeedCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	// Sessions outlive the days the tests move the clock by.
	auth := server.AuthConfig{Password: mxPasswordParams, SessionTTL: 1000 * time.Hour, SessionIdle: 1000 * time.Hour}
	webCfg.Cases, webCfg.People, webCfg.Now = svc, db, clock.Now
	ui, err := web.New(webCfg, db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Auth: auth, Cases: svc, Photos: photos, Now: clock.Now, Calendar: calendar}
	if configure != nil {
		configure(&cfg, db)
	}
	s := server.New(cfg, db, loc, ui.Register)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	hash, err := password.Hash(mxPassword, mxPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	e := &caseEnv{t: t, dir: dir, photo: saved.Ref, db: db, srv: srv, api: s, cases: svc, clock: clock, hash: hash}
	m := newMatrixChains(t, c)
	e.chain, e.other = m[0], m[1]
	return e
}

// login makes an account holding one grant and logs it in.
func (e *caseEnv) login(role, area string, categories ...string) person {
	e.t.Helper()
	e.n++
	g := civicgrid.RoleGrant{Role: role, AreaCode: area, Categories: categories}
	if role == civicgrid.RoleReporter {
		g.Detail = "外卖骑手一队"
	}
	u, err := e.db.CreateUser(context.Background(), civicgrid.User{Name: fmt.Sprintf("测试%d", e.n), Phone: fmt.Sprintf("138%08d", e.n)},
		e.hash, []civicgrid.RoleGrant{g}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	secret, sess, err := e.db.CreateSession(context.Background(), civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: e.clock.Now().Add(1000 * time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	return person{user: u, cookie: secret, csrf: sess.CSRFToken}
}

// call sends a JSON request as p and decodes the answer into out (if not
// nil), returning the status and the raw body.
func (e *caseEnv) call(p person, method, path string, body any, out any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.cookie})
	req.Header.Set("X-CSRF-Token", p.csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// raw sends body as p with the given header pairs.
func (e *caseEnv) raw(p person, method, path string, body []byte, header ...string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.cookie})
	req.Header.Set("X-CSRF-Token", p.csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type caseView struct {
	civicgrid.Case
	Light   string                 `json:"light"`
	Actions []civicgrid.CaseAction `json:"actions"`
}

// point is a spot inside the home building's grid.
func (e *caseEnv) point(ch mxChain) (float64, float64) {
	c := ch.gridArea.Geometry.Bound().Center()
	// The centre of a convex-ish lattice cell lies in it; check anyway.
	return c.Lat(), c.Lon()
}

// report files a case as p and returns it.
func (e *caseEnv) report(p person, category string, ch mxChain) civicgrid.Case {
	e.t.Helper()
	lat, lng := e.point(ch)
	var in struct {
		Case civicgrid.Case `json:"case"`
	}
	if st, body := e.call(p, "POST", "/api/v1/cases", map[string]any{"category": category, "description": "楼下水管破裂，水流到路上",
		"lat": lat, "lng": lng, "photos": []string{e.photo}}, &in); st != http.StatusCreated {
		e.t.Fatalf("report: %d %s", st, body)
	}
	return in.Case
}

// step takes an action and expects success.
func (e *caseEnv) step(p person, id int64, action civicgrid.CaseAction, body map[string]any) caseView {
	e.t.Helper()
	var v caseView
	if st, b := e.call(p, "POST", fmt.Sprintf("/api/v1/cases/%d/%s", id, action), body, &v); st != http.StatusOK {
		e.t.Fatalf("%s on case %d: %d %s", action, id, st, b)
	}
	return v
}

// refuse takes an action and expects the status.
func (e *caseEnv) refuse(p person, id int64, action civicgrid.CaseAction, body map[string]any, want int) string {
	e.t.Helper()
	st, b := e.call(p, "POST", fmt.Sprintf("/api/v1/cases/%d/%s", id, action), body, nil)
	if st != want {
		e.t.Fatalf("%s on case %d: status %d, want %d: %s", action, id, st, want, b)
	}
	return b
}

func (e *caseEnv) events(p person, id int64) []civicgrid.CaseEvent {
	e.t.Helper()
	var h struct {
		Events []civicgrid.CaseEvent `json:"events"`
	}
	if st, b := e.call(p, "GET", fmt.Sprintf("/api/v1/cases/%d/events", id), nil, &h); st != 200 {
		e.t.Fatalf("events of %d: %d %s", id, st, b)
	}
	// The served history may leave the reporter's account id out; the
	// chain is checked on the stored events.
	stored, err := e.db.CaseEvents(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := civicgrid.VerifyChain(stored); err != nil {
		e.t.Fatalf("chain of case %d: %v", id, err)
	}
	if len(stored) != len(h.Events) {
		e.t.Fatalf("case %d: %d events served, %d stored", id, len(h.Events), len(stored))
	}
	return h.Events
}

// actions lists the history's actions.
func actionsOf(evs []civicgrid.CaseEvent) string {
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = string(ev.Action)
	}
	return strings.Join(s, " ")
}

// evidence is what a handled step carries: a note and an uploaded photo.
func (e *caseEnv) evidence() map[string]any {
	return map[string]any{"note": "已更换破裂管段，恢复供水", "photos": []string{e.photo}}
}

// loopCast are the people of one community's case loop.
type loopCast struct {
	resident, neighbour, worker, staff, secretary, dispatcher, outsider person
}

func (e *caseEnv) cast() loopCast {
	return loopCast{
		resident:   e.login(civicgrid.RoleResident, e.chain.building),
		neighbour:  e.login(civicgrid.RoleResident, e.chain.building),
		worker:     e.login(civicgrid.RoleGridWorker, e.chain.grid),
		staff:      e.login(civicgrid.RoleCommunityStaff, e.chain.community),
		secretary:  e.login(civicgrid.RoleCommunitySecretary, e.chain.community),
		dispatcher: e.login(civicgrid.RoleStreetDispatcher, e.chain.street),
		outsider:   e.login(civicgrid.RoleCommunityStaff, e.other.community),
	}
}

func TestCaseMainPath(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	c := e.report(p.resident, "C0005", e.chain)
	if c.Status != civicgrid.StatusReported || c.GridCode != e.chain.grid || c.RespondBy.IsZero() {
		t.Fatalf("reported case: %+v", c)
	}
	// The reporter sees their own case in full; staff see it masked; staff
	// of another district do not see it at all.
	var v caseView
	e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &v)
	if v.ReporterID != 0 || !slices.Contains(v.Actions, civicgrid.CaseRegister) {
		t.Errorf("staff view: reporter %d, actions %v", v.ReporterID, v.Actions)
	}
	if st, _ := e.call(p.outsider, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, nil); st != http.StatusNotFound {
		t.Errorf("outsider read: %d, want 404", st)
	}
	e.refuse(p.outsider, c.ID, civicgrid.CaseRegister, nil, http.StatusNotFound)
	e.refuse(p.resident, c.ID, civicgrid.CaseRegister, nil, http.StatusForbidden)
	// Illegal step: 409 naming what is possible.
	if b := e.refuse(p.staff, c.ID, civicgrid.CaseClose, nil, http.StatusConflict); !strings.Contains(b, "register") {
		t.Errorf("409 body does not name the allowed actions: %s", b)
	}

	e.clock.Advance(10 * time.Minute)
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	v = e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	if v.AssigneeID != p.worker.user.ID || v.ResolveBy.IsZero() || v.Light != "green" {
		t.Fatalf("dispatched: assignee %d resolve_by %v light %q", v.AssigneeID, v.ResolveBy, v.Light)
	}
	e.refuse(p.staff, c.ID, civicgrid.CaseAccept, nil, http.StatusForbidden) // not the assignee
	e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
	e.refuse(p.worker, c.ID, civicgrid.CaseHandle, map[string]any{"note": "修好了"}, http.StatusBadRequest) // no photo
	e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
	e.refuse(p.worker, c.ID, civicgrid.CaseVerify, nil, http.StatusForbidden) // the handler cannot verify
	e.step(p.staff, c.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, c.ID, civicgrid.CaseClose, nil)
	e.refuse(p.neighbour, c.ID, civicgrid.CaseRate, map[string]any{"rating": 5}, http.StatusNotFound)
	e.refuse(p.resident, c.ID, civicgrid.CaseRate, map[string]any{"rating": 6}, http.StatusBadRequest)
	v = e.step(p.resident, c.ID, civicgrid.CaseRate, map[string]any{"rating": 5, "note": "很快，谢谢"})
	if v.Status != civicgrid.StatusRated || v.Rating != 5 {
		t.Fatalf("rated: %+v", v.Case)
	}
	evs := e.events(p.staff, c.ID)
	if got, want := actionsOf(evs), "report register dispatch accept handle verify close rate"; got != want {
		t.Errorf("history %q, want %q", got, want)
	}
	if evs[4].Attachments[0] != e.photo || evs[4].Note == "" {
		t.Errorf("handle event lacks its evidence: %+v", evs[4])
	}
}

func TestCaseSidePaths(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	dispatched := func() civicgrid.Case {
		c := e.report(p.resident, "C0005", e.chain)
		e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
		e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
		return c
	}

	t.Run("reject", func(t *testing.T) {
		c := e.report(p.resident, "C0004", e.chain)
		e.refuse(p.staff, c.ID, civicgrid.CaseReject, map[string]any{"reason": "不想管"}, http.StatusBadRequest)
		v := e.step(p.staff, c.ID, civicgrid.CaseReject, map[string]any{"reason": "out_of_scope"})
		if v.Status != civicgrid.StatusRejected {
			t.Fatalf("status %s", v.Status)
		}
		e.refuse(p.staff, c.ID, civicgrid.CaseRegister, nil, http.StatusConflict)
	})

	t.Run("merge", func(t *testing.T) {
		kept := e.report(p.resident, "C0006", e.chain)
		dup := e.report(p.neighbour, "C0006", e.chain)
		e.refuse(p.staff, dup.ID, civicgrid.CaseMerge, map[string]any{"into": dup.ID}, http.StatusBadRequest)
		v := e.step(p.staff, dup.ID, civicgrid.CaseMerge, map[string]any{"into": kept.ID})
		if v.Status != civicgrid.StatusMerged || v.MergedInto != kept.ID {
			t.Fatalf("merged: %+v", v.Case)
		}
		var k caseView
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", kept.ID), nil, &k)
		if k.MeToo != 1 {
			t.Errorf("kept case counts %d supporters, want 1", k.MeToo)
		}
		if got := actionsOf(e.events(p.staff, kept.ID)); got != "report merged_in" {
			t.Errorf("kept history %q", got)
		}
		// The duplicate's reporter already counts for the kept case: their
		// "me too" on it adds nobody.
		e.step(p.neighbour, kept.ID, civicgrid.CaseMeToo, nil)
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", kept.ID), nil, &k)
		if k.MeToo != 1 {
			t.Errorf("after the merged reporter's me-too the kept case counts %d supporters, want 1", k.MeToo)
		}
		// One person who reported the problem twice counts once.
		first := e.report(p.resident, "C0006", e.chain)
		again := e.report(p.resident, "C0006", e.chain)
		e.step(p.staff, again.ID, civicgrid.CaseMerge, map[string]any{"into": first.ID})
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", first.ID), nil, &k)
		if k.MeToo != 0 {
			t.Errorf("a case merged with its own reporter's other report counts %d supporters, want 0", k.MeToo)
		}
	})

	t.Run("return and redispatch", func(t *testing.T) {
		c := dispatched()
		e.refuse(p.worker, c.ID, civicgrid.CaseReturn, nil, http.StatusBadRequest) // no reason
		e.step(p.worker, c.ID, civicgrid.CaseReturn, map[string]any{"reason": "不属于本网格，应由物业处理"})
		var v caseView
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &v)
		if v.Status != civicgrid.StatusRegistered || v.AssigneeID != 0 {
			t.Fatalf("returned: %+v", v.Case)
		}
		v = e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"dept": "物业公司"})
		if v.AssigneeDept != "物业公司" {
			t.Errorf("dept %q", v.AssigneeDept)
		}
	})

	t.Run("rework", func(t *testing.T) {
		c := dispatched()
		e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
		e.refuse(p.staff, c.ID, civicgrid.CaseRework, nil, http.StatusBadRequest)
		v := e.step(p.staff, c.ID, civicgrid.CaseRework, map[string]any{"reason": "仍在漏水"})
		if v.Status != civicgrid.StatusInProgress || v.Reworks != 1 {
			t.Fatalf("rework: %+v", v.Case)
		}
		e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
		// The reporter may verify their own case.
		e.step(p.resident, c.ID, civicgrid.CaseVerify, nil)
	})

	t.Run("extension", func(t *testing.T) {
		c := dispatched()
		var before caseView
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &before)
		e.refuse(p.worker, c.ID, civicgrid.CaseRequestExtension, map[string]any{"extend_by": "2 weeks", "reason": "等配件"}, http.StatusBadRequest)
		e.step(p.worker, c.ID, civicgrid.CaseRequestExtension, map[string]any{"extend_by": "2wd", "reason": "等配件"})
		e.refuse(p.worker, c.ID, civicgrid.CaseRequestSuspend, map[string]any{"reason": "x"}, http.StatusConflict) // one request at a time
		e.refuse(p.worker, c.ID, civicgrid.CaseApproveExtension, nil, http.StatusForbidden)
		v := e.step(p.secretary, c.ID, civicgrid.CaseApproveExtension, nil)
		if v.Extensions != 1 || !v.ResolveBy.After(before.ResolveBy) || v.Pending != "" {
			t.Fatalf("extension: %+v (before %v)", v.Case, before.ResolveBy)
		}
		e.step(p.worker, c.ID, civicgrid.CaseRequestExtension, map[string]any{"extend_by": "1wd", "reason": "还要等"})
		v = e.step(p.secretary, c.ID, civicgrid.CaseDenyExtension, map[string]any{"note": "请按期完成"})
		if v.Extensions != 1 || v.Pending != "" {
			t.Fatalf("denied extension: %+v", v.Case)
		}
	})

	t.Run("suspension", func(t *testing.T) {
		c := dispatched()
		var before caseView
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &before)
		e.step(p.worker, c.ID, civicgrid.CaseRequestSuspend, map[string]any{"reason": "需等待管网改造"})
		e.step(p.dispatcher, c.ID, civicgrid.CaseApproveSuspend, nil)
		e.refuse(p.worker, c.ID, civicgrid.CaseHandle, e.evidence(), http.StatusConflict)
		e.clock.Advance(48 * time.Hour)
		v := e.step(p.dispatcher, c.ID, civicgrid.CaseResume, nil)
		if v.Status != civicgrid.StatusInProgress || v.ResolveBy.Sub(before.ResolveBy) != 48*time.Hour {
			t.Fatalf("resumed: status %s, deadline moved by %v", v.Status, v.ResolveBy.Sub(before.ResolveBy))
		}
	})

	t.Run("cancel", func(t *testing.T) {
		c := dispatched()
		e.step(p.staff, c.ID, civicgrid.CaseRequestCancel, map[string]any{"reason": "重复录入"})
		e.refuse(p.worker, c.ID, civicgrid.CaseHandle, e.evidence(), http.StatusConflict) // nothing moves while cancelling
		e.refuse(p.staff, c.ID, civicgrid.CaseApproveCancel, nil, http.StatusForbidden)
		v := e.step(p.secretary, c.ID, civicgrid.CaseApproveCancel, nil)
		if v.Status != civicgrid.StatusCancelled {
			t.Fatalf("status %s", v.Status)
		}
	})

	t.Run("reopen", func(t *testing.T) {
		c := dispatched()
		e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
		e.step(p.staff, c.ID, civicgrid.CaseVerify, nil)
		e.step(p.staff, c.ID, civicgrid.CaseClose, nil)
		e.refuse(p.staff, c.ID, civicgrid.CaseReopen, map[string]any{"reason": "x"}, http.StatusForbidden) // only the reporter
		v := e.step(p.resident, c.ID, civicgrid.CaseReopen, map[string]any{"reason": "又漏水了"})
		if v.Status != civicgrid.StatusRegistered || v.Reopens != 1 || v.AssigneeID != 0 {
			t.Fatalf("reopened: %+v", v.Case)
		}
		e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
		e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
		e.step(p.staff, c.ID, civicgrid.CaseVerify, nil)
		e.step(p.staff, c.ID, civicgrid.CaseClose, nil)
		e.clock.Advance(8 * 24 * time.Hour)
		if b := e.refuse(p.resident, c.ID, civicgrid.CaseReopen, map[string]any{"reason": "又漏了"}, http.StatusConflict); !strings.Contains(b, "report it again") {
			t.Errorf("late reopen: %s", b)
		}
	})

	t.Run("self-handled", func(t *testing.T) {
		lat, lng := e.point(e.chain)
		var in struct {
			Case civicgrid.Case `json:"case"`
		}
		if st, b := e.call(p.worker, "POST", "/api/v1/cases", map[string]any{"category": "06010", "lat": lat, "lng": lng,
			"channel": "patrol", "description": "巡查发现暴露垃圾"}, &in); st != http.StatusCreated {
			t.Fatalf("patrol report: %d %s", st, b)
		}
		if st, _ := e.call(p.resident, "POST", "/api/v1/cases", map[string]any{"category": "06010", "lat": lat, "lng": lng,
			"channel": "patrol"}, nil); st != http.StatusForbidden {
			t.Errorf("resident patrol report: %d", st)
		}
		v := e.step(p.worker, in.Case.ID, civicgrid.CaseSelfHandle, map[string]any{"note": "已清理", "photos": []string{e.photo}})
		if v.Status != civicgrid.StatusHandled || !v.SelfHandled {
			t.Fatalf("self-handled: %+v", v.Case)
		}
		e.refuse(p.worker, in.Case.ID, civicgrid.CaseVerify, nil, http.StatusForbidden)
		e.step(p.staff, in.Case.ID, civicgrid.CaseVerify, nil)
		e.step(p.staff, in.Case.ID, civicgrid.CaseClose, nil)
		if got := actionsOf(e.events(p.staff, in.Case.ID)); got != "report self_handle verify close" {
			t.Errorf("history %q", got)
		}
	})

	t.Run("me too", func(t *testing.T) {
		c := e.report(p.resident, "C0007", e.chain)
		for range 2 {
			e.step(p.neighbour, c.ID, civicgrid.CaseMeToo, nil)
		}
		e.step(p.resident, c.ID, civicgrid.CaseMeToo, nil) // the reporter is counted already
		var v caseView
		e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &v)
		if v.MeToo != 1 {
			t.Errorf("me too counted %d, want 1", v.MeToo)
		}
	})
}

func TestCaseIntakeBadInput(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	lat, lng := e.point(e.chain)
	count := func() int {
		cs, err := e.db.ListCases(context.Background(), civicgrid.CaseFilter{All: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	for _, tt := range []struct {
		name string
		body any
		want int
		says string
	}{
		{"unknown category", map[string]any{"category": "99999", "lat": lat, "lng": lng}, 400, "unknown category"},
		{"too long", map[string]any{"category": "C0005", "lat": lat, "lng": lng, "description": strings.Repeat("水", 4001)}, 400, "at most 4000"},
		{"outside", map[string]any{"category": "C0005", "lat": 39.9, "lng": 116.4}, 422, "outside every grid"},
		{"no location", map[string]any{"category": "C0005"}, 400, "location"},
		{"bad photo ref", map[string]any{"category": "C0005", "lat": lat, "lng": lng, "photos": []string{"../../etc/passwd"}}, 400, "photo reference"},
		{"unknown field", map[string]any{"category": "C0005", "lat": lat, "lng": lng, "reporter_id": 1}, 400, "unknown field"},
		{"wrong type", map[string]any{"category": "C0005", "lat": "north"}, 400, "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, b := e.call(p.resident, "POST", "/api/v1/cases", tt.body, nil)
			if st != tt.want || !strings.Contains(b, tt.says) {
				t.Errorf("status %d, want %d; body %s (want it to say %q)", st, tt.want, b, tt.says)
			}
		})
	}
	if n := count(); n != 0 {
		t.Errorf("%d cases stored by refused reports", n)
	}
}

func TestCaseIdempotency(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	lat, lng := e.point(e.chain)
	send := func(key, desc string) (int, string) {
		b, _ := json.Marshal(map[string]any{"category": "C0005", "lat": lat, "lng": lng, "description": desc})
		return e.raw(p.resident, "POST", "/api/v1/cases", b, "Content-Type", "application/json", "Idempotency-Key", key)
	}
	st1, b1 := send("k-1", "水管破裂")
	st2, b2 := send("k-1", "水管破裂")
	if st1 != 201 || st2 != 200 || !strings.Contains(b2, `"existing":true`) {
		t.Fatalf("first %d, retry %d: %s", st1, st2, b2)
	}
	var a, b struct{ Case civicgrid.Case }
	json.Unmarshal([]byte(b1), &a)
	json.Unmarshal([]byte(b2), &b)
	if a.Case.ID != b.Case.ID {
		t.Errorf("retry made case %d, first was %d", b.Case.ID, a.Case.ID)
	}
	if st, body := send("k-1", "另一个问题"); st != http.StatusConflict {
		t.Errorf("same key, other body: %d %s", st, body)
	}
	cs, _ := e.db.ListCases(context.Background(), civicgrid.CaseFilter{All: true})
	if len(cs) != 1 {
		t.Errorf("%d cases, want 1", len(cs))
	}
}

func TestCaseDuplicatesOffered(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	first := e.report(p.resident, "C0005", e.chain)
	lat, lng := e.point(e.chain)
	var in casework.Intake
	if st, b := e.call(p.neighbour, "POST", "/api/v1/cases", map[string]any{"category": "C0005", "lat": lat + 0.0001, "lng": lng}, &in); st != 201 {
		t.Fatalf("%d %s", st, b)
	}
	if len(in.Duplicates) != 1 || in.Duplicates[0].ID != first.ID || in.Duplicates[0].ReporterID != 0 {
		t.Errorf("duplicates %+v, want case %d without its reporter", in.Duplicates, first.ID)
	}
	// Another category, or far away: not a duplicate.
	var near struct{ Cases []civicgrid.Case }
	e.call(p.neighbour, "GET", fmt.Sprintf("/api/v1/cases/nearby?category=C0007&lat=%v&lng=%v", lat, lng), nil, &near)
	if len(near.Cases) != 0 {
		t.Errorf("other category offered %d duplicates", len(near.Cases))
	}
}

func TestCaseEscalationAndChains(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	c := e.report(p.resident, "C0005", e.chain) // respond within 1 h
	if n, err := e.cases.EscalateDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("escalated %d before the deadline (%v)", n, err)
	}
	e.clock.Advance(61 * time.Minute)
	if n, err := e.cases.EscalateDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("escalated %d, want 1 (%v)", n, err)
	}
	if n, _ := e.cases.EscalateDue(context.Background()); n != 0 {
		t.Errorf("escalated again at once: %d", n)
	}
	var v caseView
	e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &v)
	if v.Escalation != 1 || v.Light != "red" {
		t.Errorf("escalation %d light %q", v.Escalation, v.Light)
	}
	evs := e.events(p.staff, c.ID)
	if last := evs[len(evs)-1]; last.Action != civicgrid.CaseEscalate || last.Data["level"] != "community" {
		t.Errorf("last event %+v", last)
	}

	// Tampering with a stored event breaks the chain.
	var bad error
	if _, err := e.db.SQL().Exec(`UPDATE case_events SET note = 'edited' WHERE case_id = $1 AND seq = 1`, c.ID); err != nil {
		t.Fatal(err)
	}
	e.db.ForEachCaseChain(context.Background(), func(id int64, evs []civicgrid.CaseEvent) error {
		if err := civicgrid.VerifyChain(evs); err != nil && id == c.ID {
			bad = err
		}
		return nil
	})
	if bad == nil || !strings.Contains(bad.Error(), "altered") {
		t.Errorf("tampered chain not detected: %v", bad)
	}
}

// TestOverdueCasesComeFirst: cases escalated to the district for a missed
// response stay in the district admin's view, first, behind more than 500
// newer open cases: in the queue, the console and the overdue lists.
func TestOverdueCasesComeFirst(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	admin := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	var late []int64
	for range 10 {
		late = append(late, e.report(p.resident, "C0005", e.chain).ID) // respond within 1 h
	}
	for range casework.MaxEscalation {
		e.clock.Advance(61 * time.Minute)
		if _, err := e.cases.EscalateDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for range 510 {
		e.report(p.neighbour, "C0005", e.chain)
	}
	var list struct {
		Cases []caseView `json:"cases"`
	}
	if st, body := e.call(admin, "GET", "/api/v1/cases?overdue=true", nil, &list); st != http.StatusOK {
		t.Fatalf("overdue list: %d %s", st, body)
	}
	var got []int64
	for _, v := range list.Cases {
		if v.Escalation != casework.MaxEscalation {
			t.Errorf("case %d escalation %d in the overdue list", v.ID, v.Escalation)
		}
		got = append(got, v.ID)
	}
	if len(got) != len(late) {
		t.Errorf("overdue list %v, want the %d escalated cases %v", got, len(late), late)
	}
	for _, page := range []struct{ path, mark string }{
		{"/queue", `href="/cases/%d"`}, {"/console", `data-case="%d"`}, {"/console?overdue=1", `data-case="%d"`},
	} {
		st, body := e.call(admin, "GET", page.path, nil, nil)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", page.path, st)
		}
		last := -1
		for _, id := range late {
			at := strings.Index(body, fmt.Sprintf(page.mark, id))
			if at < 0 {
				t.Errorf("%s: escalated case %d not shown", page.path, id)
				continue
			}
			last = max(last, at)
		}
		// Nothing newer comes before them.
		if newer := strings.Index(body, fmt.Sprintf(page.mark, late[len(late)-1]+1)); newer >= 0 && newer < last {
			t.Errorf("%s: a newer case is listed before the escalated ones", page.path)
		}
	}
}

func TestCaseIndicators(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	// Four reports on Monday: one closed on time and rated 5, one closed
	// after a rework and rated 2, one rejected, one left waiting.
	fast := e.report(p.resident, "C0005", e.chain)
	slow := e.report(p.resident, "C0005", e.chain)
	rejected := e.report(p.resident, "C0004", e.chain)
	e.report(p.resident, "C0005", e.chain)
	e.clock.Advance(30 * time.Minute)
	for _, c := range []civicgrid.Case{fast, slow} {
		e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
		e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
	}
	e.step(p.staff, rejected.ID, civicgrid.CaseReject, map[string]any{"reason": "untrue"})
	e.clock.Advance(2 * time.Hour)
	e.step(p.worker, fast.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, fast.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, fast.ID, civicgrid.CaseClose, nil)
	e.step(p.resident, fast.ID, civicgrid.CaseRate, map[string]any{"rating": 5})
	e.step(p.worker, slow.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, slow.ID, civicgrid.CaseRework, map[string]any{"reason": "还在漏"})
	e.clock.Advance(10 * time.Hour) // past the 8 h resolution limit
	e.step(p.worker, slow.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, slow.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, slow.ID, civicgrid.CaseClose, nil)
	e.step(p.resident, slow.ID, civicgrid.CaseRate, map[string]any{"rating": 2})
	// The scheduler finds the waiting case past its response limit.
	if _, err := e.cases.EscalateDue(context.Background()); err != nil {
		t.Fatal(err)
	}

	var in civicgrid.Indicators
	for _, scope := range []string{e.chain.grid, e.chain.community, e.chain.street, e.chain.district, "420100"} {
		if st, b := e.call(p.staff, "GET", "/api/v1/indicators?scope="+scope+"&from=2026-11-23&to=2026-11-23", nil, &in); st != 200 && scope != "420100" {
			t.Fatalf("indicators of %s: %d %s", scope, st, b)
		}
		if scope == e.chain.community {
			break // the community staff's scope ends here
		}
	}
	c := in.Counters
	if c.Received != 4 || c.Registered != 2 || c.Responded != 3 || c.RespondedOnTime != 3 || c.Closed != 2 || c.ClosedOnTime != 1 ||
		c.Handled != 3 || c.Reworked != 1 || c.Rated != 2 || c.Satisfied != 1 || c.RespondDue != 4 || c.ResolveDue != 2 {
		t.Errorf("counters %+v", c)
	}
	want := map[string]float64{"response": 0.75, "closure": 1, "on-time closure": 0.5, "rework": 0.3333, "satisfaction": 0.5}
	got := map[string]*float64{"response": in.ResponseRate, "closure": in.ClosureRate, "on-time closure": in.OnTimeClosureRate,
		"rework": in.ReworkRate, "satisfaction": in.SatisfactionRate}
	for k, w := range want {
		if got[k] == nil || *got[k] != w {
			t.Errorf("%s rate = %v, want %v", k, got[k], w)
		}
	}
	if in.ExtensionRate == nil || *in.ExtensionRate != 0 || in.MeanCloseHours == nil || in.P90CloseHours == nil || *in.P90CloseHours < 12.5 {
		t.Errorf("extension %v mean %v p90 %v", in.ExtensionRate, in.MeanCloseHours, in.P90CloseHours)
	}
	// The dashboard shows every rate with its fraction and formula, and
	// marks the small samples.
	st, page := e.call(p.staff, "GET", "/dashboard?scope="+e.chain.community+"&days=7&lang=en", nil, nil)
	for _, want := range []string{"3 / 4", "Answered on time ÷ cases due for an answer (answered, or past the response limit unanswered) = 3 / 4",
		"Ratings of 4 or 5 ÷ ratings = 1 / 2", `<span class="small-sample">small sample</span>`, "Fewer than 20 cases (2)"} {
		if st != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("dashboard (%d) lacks %q", st, want)
		}
	}
	// The trend: weekly over three months unless asked, monthly asked.
	var trend civicgrid.Trend
	if st, b := e.call(p.staff, "GET", "/api/v1/indicators/trend?scope="+e.chain.community+"&from=2026-09-01&to=2026-11-30", nil, &trend); st != 200 ||
		trend.Bucket != civicgrid.BucketWeek || len(trend.Buckets) != 14 || trend.Buckets[0].From != "2026-09-01" || trend.Buckets[0].To != "2026-09-06" {
		t.Fatalf("weekly trend: %d %s", st, b)
	}
	for _, b := range trend.Buckets {
		if want := map[bool]int64{true: 4}[b.From == "2026-11-23"]; b.Counters.Received != want {
			t.Errorf("week from %s: %d received, want %d", b.From, b.Counters.Received, want)
		}
	}
	if last := trend.Buckets[13]; last.From != "2026-11-30" || last.To != "2026-11-30" {
		t.Errorf("last week %s–%s, want cut to 2026-11-30", last.From, last.To)
	}
	e.call(p.staff, "GET", "/api/v1/indicators/trend?scope="+e.chain.community+"&from=2026-09-01&to=2026-11-30&bucket=month", nil, &trend)
	if len(trend.Buckets) != 3 || trend.Buckets[2].From != "2026-11-01" || trend.Buckets[2].Counters != c {
		t.Errorf("monthly trend: %+v", trend)
	}
	if st, _ := e.call(p.staff, "GET", "/api/v1/indicators/trend?scope="+e.chain.community+"&bucket=year", nil, nil); st != http.StatusBadRequest {
		t.Errorf("bucket=year: %d", st)
	}
	if st, _ := e.call(p.outsider, "GET", "/api/v1/indicators/trend?scope="+e.chain.community, nil, nil); st != http.StatusForbidden {
		t.Errorf("outsider's trend: %d", st)
	}
	day := in
	// Another day has nothing; another district's staff may not look.
	e.call(p.staff, "GET", "/api/v1/indicators?scope="+e.chain.community+"&from=2026-11-24&to=2026-11-30", nil, &in)
	if in.Counters.Received != 0 || in.ClosureRate != nil {
		t.Errorf("empty period: %+v", in)
	}
	if st, _ := e.call(p.outsider, "GET", "/api/v1/indicators?scope="+e.chain.community, nil, nil); st != http.StatusForbidden {
		t.Errorf("outsider: %d", st)
	}
	var byCat struct{ Categories []civicgrid.Indicators }
	e.call(p.staff, "GET", "/api/v1/indicators/by-category?scope="+e.chain.community+"&from=2026-11-23&to=2026-11-23", nil, &byCat)
	if len(byCat.Categories) != 2 || byCat.Categories[0].Category != "C0005" || byCat.Categories[0].Counters.Received != 3 {
		t.Errorf("by category: %+v", byCat.Categories)
	}
	// The rollups equal a recomputation from the event log.
	diffs, err := e.db.RebuildRollups(context.Background(), false)
	if err != nil || len(diffs) != 0 {
		t.Errorf("rollups differ from the event log: %v %v", diffs, err)
	}
	// A counter changed behind the log's back is found and rebuilt.
	if _, err := e.db.SQL().Exec(`UPDATE case_rollups SET closed = closed + 5 WHERE area_code = $1`, e.chain.street); err != nil {
		t.Fatal(err)
	}
	if diffs, _ := e.db.RebuildRollups(context.Background(), true); len(diffs) != 2 || !strings.Contains(diffs[0], e.chain.street) {
		t.Errorf("tampered counter: diffs %v", diffs)
	}
	if diffs, _ := e.db.RebuildRollups(context.Background(), false); len(diffs) != 0 {
		t.Errorf("after rebuild: %v", diffs)
	}
	// So are the monthly counters and the histograms of all categories.
	if _, err := e.db.SQL().Exec(`UPDATE case_rollups_monthly SET received = received + 1 WHERE area_code = $1`, e.chain.district); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SQL().Exec(`DELETE FROM case_rollup_hist_monthly WHERE category = '' AND area_code = $1`, e.chain.grid); err != nil {
		t.Fatal(err)
	}
	if diffs, _ := e.db.RebuildRollups(context.Background(), true); len(diffs) != 3 ||
		!strings.Contains(strings.Join(diffs, "\n"), e.chain.grid+" month 202611 (all categories): close-time histogram") {
		t.Errorf("tampered monthly rows: diffs %v", diffs)
	}
	if diffs, _ := e.db.RebuildRollups(context.Background(), false); len(diffs) != 0 {
		t.Errorf("after rebuild: %v", diffs)
	}
	var month civicgrid.Indicators
	e.call(p.staff, "GET", "/api/v1/indicators?scope="+e.chain.community+"&from=2026-11-01&to=2026-11-30", nil, &month)
	if month.Counters != c || month.P90CloseHours == nil || day.P90CloseHours == nil || *month.P90CloseHours != *day.P90CloseHours {
		t.Errorf("November from the monthly rollups: %+v, want the figures of 2026-11-23 %+v", month, day)
	}
}

// TestDueCasesOnlyInResponseAndOnTimeRates: the response and on-time
// closure rates judge a case once its limit has passed or it was answered
// (closed): a case still inside its limit is out of the denominator, one
// past its limit unanswered counts as late at once, one answered early
// counts as on time, and none counts twice (an escalation, then a late
// answer; a second escalation after a return).
func TestDueCasesOnlyInResponseAndOnTimeRates(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	ctx := context.Background()
	rates := func(when string) civicgrid.Indicators {
		t.Helper()
		if _, err := e.cases.EscalateDue(ctx); err != nil {
			t.Fatal(err)
		}
		var in civicgrid.Indicators
		if st, b := e.call(p.staff, "GET", "/api/v1/indicators?scope="+e.chain.community+"&from=2026-11-23&to=2026-11-23", nil, &in); st != 200 {
			t.Fatalf("%s: indicators %d %s", when, st, b)
		}
		return in
	}
	check := func(in civicgrid.Indicators, when string, respondDue, resolveDue int64, response, onTime *float64) {
		t.Helper()
		c := in.Counters
		if c.RespondDue != respondDue || c.ResolveDue != resolveDue || !sameRate(in.ResponseRate, response) || !sameRate(in.OnTimeClosureRate, onTime) {
			t.Errorf("%s: respond due %d (want %d), resolve due %d (want %d), response rate %v (want %v), on-time rate %v (want %v)",
				when, c.RespondDue, respondDue, c.ResolveDue, resolveDue, show(in.ResponseRate), show(response), show(in.OnTimeClosureRate), show(onTime))
		}
	}
	rate := func(v float64) *float64 { return &v }

	// C0005: respond within 1 h, resolve within 8 h.
	waiting := e.report(p.resident, "C0005", e.chain)
	check(rates("just reported"), "just reported", 0, 0, nil, nil)
	early := e.report(p.resident, "C0005", e.chain)
	e.clock.Advance(20 * time.Minute)
	e.step(p.staff, early.ID, civicgrid.CaseRegister, nil)
	check(rates("one answered early, one not yet due"), "one answered early, one not yet due", 1, 0, rate(1), nil)

	e.clock.Advance(45 * time.Minute) // past the first report's hour
	check(rates("past the limit unanswered"), "past the limit unanswered", 2, 0, rate(0.5), nil)
	e.step(p.staff, waiting.ID, civicgrid.CaseRegister, nil) // late, already counted
	check(rates("answered late after the escalation"), "answered late after the escalation", 2, 0, rate(0.5), nil)
	unseen := e.report(p.resident, "C0005", e.chain)
	e.clock.Advance(2 * time.Hour)
	e.step(p.staff, unseen.ID, civicgrid.CaseRegister, nil) // late, before the scheduler saw it
	check(rates("answered late before any escalation"), "answered late before any escalation", 3, 0, rate(0.3333), nil)

	// Resolution: the early case is fixed and closed in time; the waiting
	// one misses its limit, is returned, redispatched (escalated again) and
	// closed late; the third, dispatched an hour later, is not yet due.
	dispatch := func(c civicgrid.Case) {
		e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
	}
	dispatch(early)
	dispatch(waiting)
	e.clock.Advance(time.Hour)
	dispatch(unseen)
	e.step(p.worker, early.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, early.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, early.ID, civicgrid.CaseClose, nil)
	check(rates("closed early, two not yet due"), "closed early, two not yet due", 3, 1, rate(0.3333), rate(1))
	e.clock.Advance(7*time.Hour + 30*time.Minute) // past the waiting case's 8 h, not the third's
	check(rates("past the resolution limit while open"), "past the resolution limit while open", 3, 2, rate(0.3333), rate(0.5))
	e.step(p.worker, waiting.ID, civicgrid.CaseReturn, map[string]any{"reason": "不归我管"})
	e.step(p.staff, waiting.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	in := rates("escalated again after a return")
	var escalations int
	evs, _ := e.db.CaseEvents(ctx, waiting.ID)
	for _, ev := range evs {
		if ev.Action == civicgrid.CaseEscalate && ev.Data["missed"] == "resolve" {
			escalations++
		}
	}
	if escalations < 2 {
		t.Fatalf("the waiting case was escalated %d times for its fix, want 2 or more", escalations)
	}
	check(in, "escalated again after a return", 3, 2, rate(0.3333), rate(0.5))
	e.step(p.worker, waiting.ID, civicgrid.CaseAccept, nil)
	e.step(p.worker, waiting.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, waiting.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, waiting.ID, civicgrid.CaseClose, nil)
	check(rates("closed late after the escalations"), "closed late after the escalations", 3, 2, rate(0.3333), rate(0.5))
	if in := rates("end"); in.Counters.Registered != 3 || in.Counters.Closed != 2 || in.Counters.ClosedOnTime != 1 {
		t.Errorf("counters %+v", in.Counters)
	}
	// The check recomputes the same counters from the event log.
	if diffs, err := e.db.RebuildRollups(ctx, false); err != nil || len(diffs) != 0 {
		t.Errorf("rollups differ from the event log: %v %v", diffs, err)
	}
}

func sameRate(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// testJPEGBytes is a small photo as a phone sends it.
func testJPEGBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPhotoUploadAndUse(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	upload := func(ct string, body []byte) (int, string) {
		return e.raw(p.resident, "POST", "/api/v1/photos", body, "Content-Type", ct)
	}
	// Raw body and multipart form.
	st, b := upload("image/jpeg", testJPEGBytes(t))
	if st != http.StatusCreated || !strings.Contains(b, e.photo) {
		t.Fatalf("raw upload: %d %s", st, b)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("photo", "IMG_0001.jpg")
	fw.Write(testJPEGBytes(t))
	mw.Close()
	if st, b := upload(mw.FormDataContentType(), form.Bytes()); st != http.StatusCreated || !strings.Contains(b, e.photo) {
		t.Fatalf("multipart upload: %d %s", st, b)
	}
	// Not an image; too large.
	if st, b := upload("image/jpeg", []byte("#!/bin/sh\nrm -rf /")); st != http.StatusBadRequest || !strings.Contains(b, "not a JPEG") {
		t.Errorf("script as photo: %d %s", st, b)
	}
	if st, _ := upload("image/jpeg", make([]byte, 11<<20)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("11 MiB upload: %d", st)
	}
	// Served to anyone, cacheable for good.
	resp, err := http.Get(e.srv.URL + "/photos/" + e.photo)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET photo: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := http.Get(e.srv.URL + "/photos/..%2F..%2Fcivicgrid.db"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("path traversal: %d", resp.StatusCode)
	}
	// A report may only name uploaded photos.
	lat, lng := e.point(e.chain)
	never := strings.Repeat("ab", 32) + ".jpg"
	if st, b := e.call(p.resident, "POST", "/api/v1/cases", map[string]any{"category": "C0005", "lat": lat, "lng": lng, "photos": []string{never}}, nil); st != http.StatusBadRequest || !strings.Contains(b, "never uploaded") {
		t.Errorf("report with a photo never uploaded: %d %s", st, b)
	}
}

// TestCaseIntakeConcurrentBatches sends many reports at once so that the
// store commits them in shared batches, with retries and conflicting reuses
// of idempotency keys inside the same batches: every accepted report is
// stored once, every refused one leaves nothing, and the indicator rollups
// (summed per batch) equal a recomputation from the event log.
func TestCaseIntakeConcurrentBatches(t *testing.T) {
	// All of them at work at once, in the store's batches rather than
	// waiting for a place among the requests at work.
	e := newCaseEnvWith(t, openDemoStore, func(c *server.Config, _ *sqlstore.DB) { c.MaxInFlight = -1 })
	p := e.cast()
	away := e.login(civicgrid.RoleResident, e.other.building)
	const n = 96
	type answer struct {
		status int
		id     int64
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			who, ch := p.resident, e.chain
			if i%3 == 0 {
				who, ch = away, e.other
			}
			lat, lng := e.point(ch)
			cat := []string{"C0005", "C0001", "C0004"}[i%3]
			desc := "并发上报"
			// Keys come in groups of four: two identical requests (a retry),
			// one with another body (refused), one alone.
			key := fmt.Sprintf("k-%d", i/4)
			if i%4 == 2 {
				desc = "另一个问题"
			}
			if i%4 == 3 {
				key = fmt.Sprintf("solo-%d", i)
			}
			b, _ := json.Marshal(map[string]any{"category": cat, "lat": lat, "lng": lng, "description": desc})
			if i%4 != 3 {
				// The group shares the first member's category, place and reporter.
				first := i - i%4
				who, ch = p.resident, e.chain
				if first%3 == 0 {
					who, ch = away, e.other
				}
				lat, lng = e.point(ch)
				b, _ = json.Marshal(map[string]any{"category": []string{"C0005", "C0001", "C0004"}[first%3], "lat": lat, "lng": lng, "description": desc})
			}
			st, body := e.raw(who, "POST", "/api/v1/cases", b, "Content-Type", "application/json", "Idempotency-Key", key)
			var out struct{ Case civicgrid.Case }
			json.Unmarshal([]byte(body), &out)
			answers[i] = answer{st, out.Case.ID}
		})
	}
	wg.Wait()
	created, conflicts := map[int64]bool{}, 0
	for i, a := range answers {
		switch a.status {
		case http.StatusCreated:
			created[a.id] = true
		case http.StatusOK:
			if a.id == 0 {
				t.Errorf("request %d: 200 without a case", i)
			}
		case http.StatusConflict:
			conflicts++
		default:
			t.Errorf("request %d: status %d", i, a.status)
		}
	}
	// Each group of four makes two cases (its shared key's and the solo
	// one); within a group the refused body may win the key instead of the
	// other two, so conflicts are one or two per group.
	groups := n / 4
	if len(created) != 2*groups {
		t.Errorf("%d cases created, want %d", len(created), 2*groups)
	}
	if conflicts < groups || conflicts > 2*groups {
		t.Errorf("%d conflicts, want %d to %d", conflicts, groups, 2*groups)
	}
	cs, _ := e.db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 1000})
	if len(cs) != len(created) {
		t.Errorf("%d cases stored, %d acknowledged", len(cs), len(created))
	}
	for _, c := range cs {
		if !created[c.ID] {
			t.Errorf("case %d stored but never acknowledged as created", c.ID)
		}
	}
	if diffs, err := e.db.RebuildRollups(context.Background(), false); err != nil || len(diffs) != 0 {
		t.Errorf("rollups differ from the event log after batched intake: %v %v", diffs, err)
	}
}
