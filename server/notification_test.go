package server_test

// End-to-end tests of notifications: cases stepped through the real API on
// the real store make exactly the expected messages for the right people,
// once, also across a restart; SMS goes through the HTTP gateway client to
// a loopback gateway, honouring opt-out and the hourly limit; nobody reads
// or marks another person's inbox.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/web"
)

// smsGateway is a loopback SMS gateway that records what it is asked to send.
type smsGateway struct {
	mu   sync.Mutex
	sent map[string][]string // phone → messages
	srv  *httptest.Server
}

func newSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{sent: map[string][]string{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Phone, Message string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		g.mu.Lock()
		g.sent[in.Phone] = append(g.sent[in.Phone], in.Message)
		g.mu.Unlock()
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *smsGateway) to(phone string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, _ := sms.Normalize(phone)
	return slices.Clone(g.sent[p])
}

// notifyEnv is a case loop with notifications over a loopback SMS gateway.
type notifyEnv struct {
	*caseEnv
	gateway *smsGateway
	newSvc  func() *notify.Service // a fresh service on the same store: a restart
	svc     *notify.Service
	cfg     *server.Config
}

func newNotifyEnv(t *testing.T, perHour int) *notifyEnv { return newNotifyEnvPush(t, perHour, nil) }

// newNotifyEnvPush is newNotifyEnv with browser push through push (nil:
// none).
func newNotifyEnvPush(t *testing.T, perHour int, push notify.PushSender) *notifyEnv {
	ne := &notifyEnv{gateway: newSMSGateway(t)}
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	sender, err := sms.New(sms.Config{Kind: "http", GatewayURL: ne.gateway.srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ne.caseEnv = newCaseEnvWith(t, openDemoStore, func(cfg *server.Config, db *sqlstore.DB) {
		ne.newSvc = func() *notify.Service {
			return notify.New(notify.Config{Texts: texts, SMS: sender, Push: push, SMSPerHour: perHour, BaseURL: "https://grid.example.org"}, db, cfg.Now)
		}
		ne.svc = ne.newSvc()
		cfg.Notify = ne.svc
		ne.cfg = cfg
	})
	return ne
}

// run makes and sends what is due and returns how many messages were made.
func (ne *notifyEnv) run(svc *notify.Service) int {
	ne.t.Helper()
	n, err := svc.Produce(context.Background())
	if err != nil {
		ne.t.Fatal(err)
	}
	if _, err := svc.SendDue(context.Background()); err != nil {
		ne.t.Fatal(err)
	}
	if _, err := svc.PushDue(context.Background()); err != nil {
		ne.t.Fatal(err)
	}
	return n
}

// inbox reads p's inbox over the API, oldest first.
func (ne *notifyEnv) inbox(p person) ([]civicgrid.Notification, int) {
	ne.t.Helper()
	var out struct {
		Notifications []civicgrid.Notification `json:"notifications"`
		Unread        int                      `json:"unread"`
	}
	if st, b := ne.call(p, "GET", "/api/v1/notifications", nil, &out); st != http.StatusOK {
		ne.t.Fatalf("inbox: %d %s", st, b)
	}
	slices.Reverse(out.Notifications)
	return out.Notifications, out.Unread
}

func kinds(ns []civicgrid.Notification) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.Kind
	}
	return strings.Join(s, " ")
}

func TestNotificationsOfTheCaseLoop(t *testing.T) {
	ne := newNotifyEnv(t, 100)
	p := ne.cast()
	worker2 := ne.login(civicgrid.RoleGridWorker, ne.chain.grid)
	english := ne.login(civicgrid.RoleResident, ne.chain.building)
	if st, b := ne.call(english, "PUT", "/api/v1/notifications/settings", map[string]any{"lang": "en"}, nil); st != http.StatusOK {
		t.Fatalf("settings: %d %s", st, b)
	}
	if st, _ := ne.call(english, "PUT", "/api/v1/notifications/settings", map[string]any{"lang": "fr"}, nil); st != http.StatusBadRequest {
		t.Errorf("an unknown language: %d, want 400", st)
	}

	// Handled: registered, dispatched, handled for the reporter; assigned
	// for the grid worker. Accept, verify and close tell nobody.
	a := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, a.ID, civicgrid.CaseRegister, nil)
	ne.step(p.staff, a.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	ne.step(p.worker, a.ID, civicgrid.CaseAccept, nil)
	ne.step(p.worker, a.ID, civicgrid.CaseHandle, ne.evidence())
	// Rejected, with the reason in words.
	b := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, b.ID, civicgrid.CaseReject, map[string]any{"reason": "out_of_scope"})
	// A report of someone who reads English.
	c := ne.report(english, "C0005", ne.chain)
	ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	// Overdue: the grid's workers hear of the escalation.
	d := ne.report(p.neighbour, "C0005", ne.chain)
	ne.clock.Advance(61 * time.Minute)
	if n, err := ne.cases.EscalateDue(context.Background()); err != nil || n < 1 {
		t.Fatalf("escalated %d (%v)", n, err)
	}

	var gridWorkers int
	if err := ne.db.SQL().QueryRow(`SELECT COUNT(DISTINCT user_id) FROM role_grants WHERE role = 'grid_worker' AND area_code = $1`,
		ne.chain.grid).Scan(&gridWorkers); err != nil {
		t.Fatal(err)
	}
	made := ne.run(ne.svc)
	// 4 for the resident, 1 assigned, 1 for the English reader, and one
	// escalation per escalated case and grid worker.
	var escalated int
	ne.db.SQL().QueryRow(`SELECT COUNT(*) FROM case_events WHERE action = 'escalate'`).Scan(&escalated)
	if want := 6 + escalated*gridWorkers; made != want {
		t.Errorf("made %d messages, want %d", made, want)
	}

	got, unread := ne.inbox(p.resident)
	if k := kinds(got); k != "case.registered case.dispatched case.handled case.rejected" || unread != 4 {
		t.Fatalf("resident's inbox: %s (%d unread)", k, unread)
	}
	if got[2].Link != fmt.Sprintf("/cases/%d", a.ID) || !strings.Contains(got[2].Title, "请评价") {
		t.Errorf("handled message: %+v", got[2])
	}
	if !strings.Contains(got[3].Body, "不属于受理范围") || !strings.Contains(got[3].Body, fmt.Sprint(b.ID)) {
		t.Errorf("rejection without its reason: %q", got[3].Body)
	}
	if got, _ := ne.inbox(p.worker); !strings.HasPrefix(kinds(got), "case.assigned") || got[0].Link != fmt.Sprintf("/cases/%d", a.ID) {
		t.Errorf("worker's inbox: %s", kinds(got))
	}
	for _, w := range []person{p.worker, worker2} {
		got, _ := ne.inbox(w)
		if n := strings.Count(kinds(got), "case.escalated"); n != escalated {
			t.Errorf("grid worker %d heard of %d escalations, want %d", w.user.ID, n, escalated)
		}
	}
	if got, _ := ne.inbox(english); len(got) != 1 || got[0].Title != "Your report was registered" {
		t.Errorf("English reader's inbox: %+v", got)
	}
	for _, nobody := range []person{p.staff, p.secretary, p.outsider} {
		if got, _ := ne.inbox(nobody); len(got) != 0 {
			t.Errorf("user %d got %s", nobody.user.ID, kinds(got))
		}
	}
	// Each message went out by SMS too, with an absolute link and no more.
	if texts := ne.gateway.to(p.resident.user.Phone); len(texts) != 4 || !strings.Contains(texts[2], fmt.Sprintf("https://grid.example.org/cases/%d", a.ID)) {
		t.Errorf("resident's SMS: %q", texts)
	}

	// A restart reads the log again from the stored cursor: nothing twice.
	// Even a cursor set back (a stretch taken twice) adds nothing.
	if n := ne.run(ne.newSvc()); n != 0 {
		t.Errorf("a restart made %d more messages", n)
	}
	if _, err := ne.db.SQL().Exec(`UPDATE notification_cursors SET event_id = 0`); err != nil {
		t.Fatal(err)
	}
	ne.run(ne.newSvc())
	if got, _ := ne.inbox(p.resident); len(got) != 4 {
		t.Errorf("after reading the whole log again the resident has %d messages", len(got))
	}
	if texts := ne.gateway.to(p.resident.user.Phone); len(texts) != 4 {
		t.Errorf("after reading the whole log again the resident had %d SMS", len(texts))
	}
	_ = d
}

func TestNotificationSMSOptOutAndLimit(t *testing.T) {
	ne := newNotifyEnv(t, 2)
	p := ne.cast()
	quiet := ne.login(civicgrid.RoleResident, ne.chain.building)
	if st, b := ne.call(quiet, "PUT", "/api/v1/notifications/settings", map[string]any{"sms_off": true}, nil); st != http.StatusOK {
		t.Fatalf("opt out: %d %s", st, b)
	}
	for _, r := range []person{p.resident, quiet} {
		for range 2 {
			c := ne.report(r, "C0005", ne.chain)
			ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
			ne.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		}
	}
	ne.run(ne.svc)
	// Opted out: all four in the inbox, no SMS.
	got, _ := ne.inbox(quiet)
	if len(got) != 4 || len(ne.gateway.to(quiet.user.Phone)) != 0 {
		t.Errorf("opted out: %d in the inbox, %d SMS", len(got), len(ne.gateway.to(quiet.user.Phone)))
	}
	for _, n := range got {
		if n.SMS != civicgrid.SMSOptedOut {
			t.Errorf("opted-out message in state %s", n.SMS)
		}
	}
	// Limited: four in the inbox, two by SMS within the hour.
	got, _ = ne.inbox(p.resident)
	states := map[civicgrid.SMSState]int{}
	for _, n := range got {
		states[n.SMS]++
	}
	if len(got) != 4 || len(ne.gateway.to(p.resident.user.Phone)) != 2 || states[civicgrid.SMSSent] != 2 || states[civicgrid.SMSLimited] != 2 {
		t.Errorf("limit of 2: %d in the inbox, %d SMS, states %v", len(got), len(ne.gateway.to(p.resident.user.Phone)), states)
	}
	// The worker had four assignments: two sent, two limited.
	if n := len(ne.gateway.to(p.worker.user.Phone)); n != 2 {
		t.Errorf("worker's SMS: %d, want 2", n)
	}
	// An hour on, SMS flows again.
	ne.clock.Advance(61 * time.Minute)
	c := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	if n := len(ne.gateway.to(p.resident.user.Phone)); n != 3 {
		t.Errorf("an hour later: %d SMS, want 3", n)
	}
	// Turning SMS back on applies to what comes next.
	ne.call(quiet, "PUT", "/api/v1/notifications/settings", map[string]any{"sms_off": false}, nil)
	c = ne.report(quiet, "C0005", ne.chain)
	ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	if n := len(ne.gateway.to(quiet.user.Phone)); n != 1 {
		t.Errorf("after opting in again: %d SMS, want 1", n)
	}
}

func TestNotificationsAreOwnersOnly(t *testing.T) {
	ne := newNotifyEnv(t, 5)
	p := ne.cast()
	c := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	mine, unread := ne.inbox(p.resident)
	if len(mine) != 1 || unread != 1 {
		t.Fatalf("resident's inbox: %d messages, %d unread", len(mine), unread)
	}
	id := mine[0].ID
	// Others see none of it and cannot mark it, not even a city admin.
	admin := ne.login(civicgrid.RoleCityAdmin, "420100")
	for _, other := range []person{p.neighbour, p.staff, admin} {
		if got, _ := ne.inbox(other); len(got) != 0 {
			t.Errorf("user %d sees %d messages", other.user.ID, len(got))
		}
		if st, _ := ne.call(other, "POST", fmt.Sprintf("/api/v1/notifications/%d/read", id), nil, nil); st != http.StatusNotFound {
			t.Errorf("user %d marked another's message: %d, want 404", other.user.ID, st)
		}
		ne.call(other, "POST", "/api/v1/notifications/read", nil, nil) // marks only their own
	}
	if _, unread := ne.inbox(p.resident); unread != 1 {
		t.Errorf("others' marks changed the resident's unread count to %d", unread)
	}
	if st, b := ne.call(p.resident, "POST", fmt.Sprintf("/api/v1/notifications/%d/read", id), nil, nil); st != http.StatusOK {
		t.Fatalf("mark own: %d %s", st, b)
	}
	if got, unread := ne.inbox(p.resident); unread != 0 || !got[0].Read() {
		t.Errorf("after marking: %d unread", unread)
	}
	if st, _ := ne.call(p.resident, "GET", "/api/v1/notifications?limit=x", nil, nil); st != http.StatusBadRequest {
		t.Errorf("a bad limit: %d, want 400", st)
	}
}

// page fetches a page of the web UI as p (GET, or POST of form with the
// session's CSRF token), not following redirects.
func (ne *notifyEnv) page(h http.Handler, p person, method, path string, form url.Values) (int, string, string) {
	ne.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf_token", p.csrf)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.cookie})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Location"), rec.Body.String()
}

// TestInboxPage: the inbox as pages and plain forms (no script): the
// header counts the unread, opening a message marks it read and goes to
// its case, another person's message cannot be marked, and the settings
// form turns SMS off; the manifest names icons that are served.
func TestInboxPage(t *testing.T) {
	ne := newNotifyEnv(t, 5)
	p := ne.cast()
	ui, err := web.New(web.Config{Cases: ne.cases, People: ne.db, Inbox: ne.svc}, ne.db)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(*ne.cfg, ne.db, nil, ui.Register).Handler()

	a := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, a.ID, civicgrid.CaseRegister, nil)
	b := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, b.ID, civicgrid.CaseReject, map[string]any{"reason": "unclear"})
	ne.run(ne.svc)

	st, _, html := ne.page(h, p.resident, "GET", "/inbox?lang=zh-CN", nil)
	if st != http.StatusOK || !strings.Contains(html, "消息（2条未读）") || strings.Count(html, `class="card inbox-item unread"`) != 2 ||
		!strings.Contains(html, "照片或描述不清") || !strings.Contains(html, `rel="manifest"`) {
		t.Fatalf("inbox page: %d\n%s", st, html)
	}
	// The header count is on every page.
	if _, _, other := ne.page(h, p.resident, "GET", "/my", nil); !strings.Contains(other, "消息（2条未读）") {
		t.Error("the header of /my does not count the unread messages")
	}
	mine, _ := ne.inbox(p.resident)
	// Another person cannot mark it: the inbox says why, and nothing changes.
	st, loc, _ := ne.page(h, p.neighbour, "POST", "/inbox/read", url.Values{"id": {fmt.Sprint(mine[0].ID)}})
	if st != http.StatusSeeOther || !strings.Contains(loc, "failed=") {
		t.Errorf("neighbour marking: %d %s", st, loc)
	}
	if _, unread := ne.inbox(p.resident); unread != 2 {
		t.Errorf("the neighbour's mark changed the resident's unread count to %d", unread)
	}
	// Opening a message marks it read and goes to the case.
	st, loc, _ = ne.page(h, p.resident, "POST", "/inbox/read", url.Values{"id": {fmt.Sprint(mine[0].ID)}, "open": {mine[0].Link}})
	if st != http.StatusSeeOther || loc != fmt.Sprintf("/cases/%d", a.ID) {
		t.Errorf("open: %d %q", st, loc)
	}
	// An open link is a local path only.
	if _, loc, _ = ne.page(h, p.resident, "POST", "/inbox/read", url.Values{"id": {fmt.Sprint(mine[1].ID)}, "open": {"https://evil.example/x"}}); strings.Contains(loc, "evil") {
		t.Errorf("open redirected off the site: %q", loc)
	}
	if _, _, html = ne.page(h, p.resident, "GET", "/inbox?lang=en", nil); !strings.Contains(html, "0 unread") || strings.Contains(html, "Messages (") {
		t.Errorf("after reading both, the page still counts unread messages")
	}
	// Settings: SMS off, messages in English.
	st, loc, _ = ne.page(h, p.resident, "POST", "/inbox/settings", url.Values{"lang": {"en"}})
	if st != http.StatusSeeOther || !strings.Contains(loc, "done=settings") {
		t.Fatalf("settings: %d %s", st, loc)
	}
	if pr, _ := ne.db.NotificationPrefs(context.Background(), p.resident.user.ID); !pr.SMSOff || pr.Lang != "en" {
		t.Errorf("stored settings: %+v", pr)
	}
	if _, loc, _ = ne.page(h, p.resident, "POST", "/inbox/settings", url.Values{"lang": {"xx"}, "sms": {"on"}}); !strings.Contains(loc, "failed=") {
		t.Errorf("a bad language was accepted: %s", loc)
	}
	if pr, _ := ne.db.NotificationPrefs(context.Background(), p.resident.user.ID); !pr.SMSOff {
		t.Errorf("a refused form changed the settings: %+v", pr)
	}
	// Without the CSRF token the form is refused.
	req := httptest.NewRequest("POST", "/inbox/read", strings.NewReader("id=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.resident.cookie})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d", rec.Code)
	}

	// The manifest and its icons.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/manifest.webmanifest", nil))
	var m struct {
		Name, Display, StartURL string
		Icons                   []struct{ Src, Sizes string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Header().Get("Content-Type") != "application/manifest+json" || m.Name == "" || len(m.Icons) != 3 {
		t.Fatalf("manifest: %v %s", err, rec.Body)
	}
	for _, ic := range m.Icons {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", ic.Src, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("icon %s: %d", ic.Src, rec.Code)
		}
	}
}

// TestNotificationsOfTwoInstances: two services (two server instances) on
// one store read the same log at once; each message is made once.
func TestNotificationsOfTwoInstances(t *testing.T) {
	ne := newNotifyEnv(t, 100)
	p := ne.cast()
	var ids []int64
	for range 5 {
		c := ne.report(p.resident, "C0005", ne.chain)
		ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
		ne.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
		ids = append(ids, c.ID)
	}
	var wg sync.WaitGroup
	made := make([]int, 2)
	for i := range made {
		svc := ne.newSvc()
		wg.Go(func() {
			n, err := svc.Produce(context.Background())
			if err != nil {
				t.Error(err)
			}
			made[i] = n
			if _, err := svc.SendDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if made[0]+made[1] != 15 {
		t.Errorf("the instances made %d and %d messages, want 15 in all", made[0], made[1])
	}
	if got, _ := ne.inbox(p.resident); len(got) != 10 {
		t.Errorf("resident: %d messages, want 10", len(got))
	}
	if got, _ := ne.inbox(p.worker); len(got) != 5 {
		t.Errorf("worker: %d messages, want 5", len(got))
	}
	if n := len(ne.gateway.to(p.resident.user.Phone)); n != 10 {
		t.Errorf("resident: %d SMS, want 10", n)
	}
}
