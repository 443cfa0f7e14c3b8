package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/webhook"
)

// receiver is an integration's endpoint: it verifies every signature and
// answers with the status its script says (200 once the script runs out).
type receiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	script []int
	got    []webhook.Payload
	calls  int
	srv    *httptest.Server
	now    func() time.Time
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	rc := &receiver{t: t, now: now}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		if err := webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, rc.now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %s: %v", r.Header.Get("X-Civicgrid-Delivery"), err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if len(rc.script) > 0 {
			st := rc.script[0]
			rc.script = rc.script[1:]
			if st != http.StatusOK {
				http.Error(w, "busy", st)
				return
			}
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload %s: %v", body, err)
		}
		if r.Header.Get("X-Civicgrid-Event") != p.Type || r.Header.Get("X-Civicgrid-Delivery") != fmt.Sprint(p.ID) {
			t.Errorf("headers %v do not match payload %s %d", r.Header, p.Type, p.ID)
		}
		rc.got = append(rc.got, p)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.Payload(nil), rc.got...)
}

// hookEnv is a case environment whose server also manages webhooks.
func hookEnv(t *testing.T, cfg webhook.Config) (*caseEnv, *webhook.Service) {
	e := newCaseEnv(t)
	cfg.Key = bytes.Repeat([]byte{42}, 32)
	cfg.AllowPrivate = true // the receiver listens on loopback
	hooks, err := webhook.New(cfg, e.db, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	auth := server.AuthConfig{Password: mxPasswordParams, SessionTTL: 1000 * time.Hour, SessionIdle: 1000 * time.Hour}
	s := server.New(server.Config{Auth: auth, Cases: e.cases, Photos: nil, Webhooks: hooks, Now: e.clock.Now}, e.db, nil)
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e, hooks
}

// pump runs what the delivery loop runs, once.
func pump(t *testing.T, hooks *webhook.Service) {
	t.Helper()
	ctx := context.Background()
	if _, err := hooks.Enqueue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDeliveryScopedAndSigned(t *testing.T) {
	e, hooks := hookEnv(t, webhook.Config{})
	p := e.cast()
	admin := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	rc := newReceiver(t, e.clock.Now)

	var created struct {
		Webhook civicgrid.Webhook `json:"webhook"`
		Secret  string            `json:"secret"`
	}
	if st, b := e.call(admin, "POST", "/api/v1/webhooks", map[string]any{"name": "区城管平台", "url": rc.srv.URL + "/in",
		"within": e.chain.district}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	if !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("secret %q", created.Secret)
	}
	rc.secret = []byte(created.Secret)

	away := e.login(civicgrid.RoleResident, e.other.building)
	e.report(away, "C0005", e.other) // another district: not this hook's
	c := e.report(p.resident, "C0005", e.chain)
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	pump(t, hooks)

	got := rc.received()
	// Deliveries go out in parallel: receivers order them by event seq.
	slices.SortFunc(got, func(a, b webhook.Payload) int { return a.Event.Seq - b.Event.Seq })
	if len(got) != 2 || got[0].Type != "case.report" || got[1].Type != "case.register" {
		t.Fatalf("received %d deliveries: %+v", len(got), got)
	}
	for _, pl := range got {
		if pl.Case.ID != c.ID || pl.Event.CaseID != c.ID || pl.ID == 0 {
			t.Errorf("delivery %d is about case %d/%d, want %d", pl.ID, pl.Case.ID, pl.Event.CaseID, c.ID)
		}
		if pl.Case.ReporterID != 0 || strings.Contains(pl.Case.ReporterPhone, p.resident.user.Phone) || pl.Event.ActorID != 0 {
			t.Errorf("delivery shows who reported: %+v", pl.Case)
		}
	}
	if got[1].Event.Hash == "" || got[1].Event.PrevHash != got[0].Event.Hash {
		t.Errorf("events do not carry their chain: %s → %s", got[0].Event.Hash, got[1].Event.PrevHash)
	}
	// Nothing is sent twice.
	pump(t, hooks)
	if n := len(rc.received()); n != 2 {
		t.Errorf("after a second pass: %d deliveries, want 2", n)
	}
	var list struct {
		Deliveries []civicgrid.WebhookDelivery `json:"deliveries"`
	}
	e.call(admin, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=delivered", created.Webhook.ID), nil, &list)
	if len(list.Deliveries) != 2 || list.Deliveries[0].Attempts != 1 || list.Deliveries[0].LastStatus != 200 {
		t.Errorf("delivered list: %+v", list.Deliveries)
	}

	// Another district's admin neither sees nor manages it.
	other := e.login(civicgrid.RoleDistrictAdmin, e.other.district)
	var mine struct {
		Webhooks []civicgrid.Webhook `json:"webhooks"`
	}
	e.call(other, "GET", "/api/v1/webhooks", nil, &mine)
	if len(mine.Webhooks) != 0 {
		t.Errorf("other district's admin sees %d hooks", len(mine.Webhooks))
	}
	if st, _ := e.call(other, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", created.Webhook.ID), nil, nil); st != http.StatusNotFound {
		t.Errorf("other district's admin disabling: %d, want 404", st)
	}
	// Disabled, it hears no more.
	if st, b := e.call(admin, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", created.Webhook.ID), nil, nil); st != http.StatusNoContent {
		t.Fatalf("disable: %d %s", st, b)
	}
	e.report(p.neighbour, "C0001", e.chain)
	pump(t, hooks)
	if n := len(rc.received()); n != 2 {
		t.Errorf("a disabled hook got %d deliveries, want 2", n)
	}
}

func TestWebhookRetryDeadLetterReplay(t *testing.T) {
	var (
		mu       sync.Mutex
		outcomes []string // what the metrics are told
	)
	observe := func(o string) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }
	e, hooks := hookEnv(t, webhook.Config{MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: 10 * time.Minute, Observe: observe})
	p := e.cast()
	admin := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	rc := newReceiver(t, e.clock.Now)
	h, secret, err := hooks.Create(context.Background(), civicgrid.Webhook{Name: "热线平台", URL: rc.srv.URL, Within: e.chain.community,
		Actions: []civicgrid.CaseAction{civicgrid.CaseReport}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = []byte(secret)
	rc.script = []int{500, 503, 502, 500, 200}

	c := e.report(p.resident, "C0005", e.chain)
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil) // not an action this hook wants
	deliveries := func(state civicgrid.DeliveryState) []civicgrid.WebhookDelivery {
		var out struct {
			Deliveries []civicgrid.WebhookDelivery `json:"deliveries"`
		}
		if st, b := e.call(admin, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=%s", h.ID, state), nil, &out); st != 200 {
			t.Fatalf("deliveries: %d %s", st, b)
		}
		return out.Deliveries
	}

	pump(t, hooks) // attempt 1 fails
	d := deliveries(civicgrid.DeliveryPending)
	if len(d) != 1 || d[0].Attempts != 1 || d[0].LastStatus != 500 || !strings.Contains(d[0].LastError, "busy") {
		t.Fatalf("after one failure: %+v", d)
	}
	wait := d[0].NextAttempt.Sub(e.clock.Now())
	if wait < 48*time.Second || wait > 72*time.Second {
		t.Errorf("first retry in %s, want 1 min ± 20 %%", wait)
	}
	pump(t, hooks) // not due yet: nothing sent
	if rc.calls != 1 {
		t.Errorf("sent before the retry was due: %d calls", rc.calls)
	}
	e.clock.Advance(wait + time.Second)
	pump(t, hooks) // attempt 2 fails; the next wait doubles
	d = deliveries(civicgrid.DeliveryPending)
	if len(d) != 1 || d[0].Attempts != 2 {
		t.Fatalf("after two failures: %+v", d)
	}
	if wait2 := d[0].NextAttempt.Sub(e.clock.Now()); wait2 < 96*time.Second || wait2 > 144*time.Second {
		t.Errorf("second retry in %s, want 2 min ± 20 %%", wait2)
	}
	e.clock.Advance(3 * time.Minute)
	pump(t, hooks) // attempt 3 fails: dead
	dead := deliveries(civicgrid.DeliveryDead)
	if len(dead) != 1 || dead[0].Attempts != 3 || len(deliveries(civicgrid.DeliveryPending)) != 0 {
		t.Fatalf("after three failures: dead %+v", dead)
	}
	e.clock.Advance(time.Hour)
	pump(t, hooks)
	if rc.calls != 3 {
		t.Errorf("a dead delivery was sent again: %d calls", rc.calls)
	}

	// Replay all dead ones: the next attempt fails once more (500), then
	// the receiver recovers.
	var replayed struct {
		Requeued int `json:"requeued"`
	}
	if st, b := e.call(admin, "POST", fmt.Sprintf("/api/v1/webhooks/%d/replay", h.ID), nil, &replayed); st != 200 || replayed.Requeued != 1 {
		t.Fatalf("replay: %d %s", st, b)
	}
	pump(t, hooks)
	e.clock.Advance(2 * time.Minute)
	pump(t, hooks)
	got := rc.received()
	if len(got) != 1 || got[0].ID != dead[0].ID || got[0].Type != "case.report" {
		t.Fatalf("after replay received %+v, want delivery %d", got, dead[0].ID)
	}
	mu.Lock()
	if got := strings.Join(outcomes, " "); got != "retry retry dead retry delivered" {
		t.Errorf("attempt outcomes observed: %s", got)
	}
	mu.Unlock()
	// One delivered; replaying it again sends it again, same id.
	ok := deliveries(civicgrid.DeliveryDelivered)
	if len(ok) != 1 || ok[0].DeliveredAt.IsZero() {
		t.Fatalf("delivered: %+v", ok)
	}
	if st, b := e.call(admin, "POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/replay", h.ID, ok[0].ID), nil, nil); st != 200 {
		t.Fatalf("replay one: %d %s", st, b)
	}
	pump(t, hooks)
	if got := rc.received(); len(got) != 2 || got[1].ID != got[0].ID {
		t.Errorf("replayed delivery: %+v", got)
	}
	if st, _ := e.call(admin, "POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/replay", h.ID, 999999), nil, nil); st != http.StatusNotFound {
		t.Errorf("replaying an unknown delivery: %d, want 404", st)
	}
}

func TestWebhookBadInput(t *testing.T) {
	e := newCaseEnv(t)
	hooks, err := webhook.New(webhook.Config{Key: bytes.Repeat([]byte{1}, 32), Resolver: testResolver}, e.db, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{Auth: server.AuthConfig{Password: mxPasswordParams, SessionTTL: 1000 * time.Hour, SessionIdle: 1000 * time.Hour},
		Cases: e.cases, Webhooks: hooks, Now: e.clock.Now}, e.db, nil)
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	admin := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"ftp url", map[string]any{"name": "x", "url": "ftp://example.org/", "within": e.chain.district}, "url"},
		{"credentials in url", map[string]any{"name": "x", "url": "https://u:p@example.org/", "within": e.chain.district}, "url"},
		{"loopback", map[string]any{"name": "x", "url": "http://127.0.0.1:9/", "within": e.chain.district}, "private"},
		{"private", map[string]any{"name": "x", "url": "http://10.1.2.3/", "within": e.chain.district}, "private"},
		{"LOCALHOST", map[string]any{"name": "x", "url": "http://LOCALHOST:9/", "within": e.chain.district}, "loopback"},
		{"localhost.", map[string]any{"name": "x", "url": "http://localhost.:9/", "within": e.chain.district}, "loopback"},
		{"0", map[string]any{"name": "x", "url": "http://0:9/", "within": e.chain.district}, "four decimal numbers"},
		{"hex", map[string]any{"name": "x", "url": "http://0x7f000001/", "within": e.chain.district}, "four decimal numbers"},
		{"short", map[string]any{"name": "x", "url": "http://127.1/", "within": e.chain.district}, "four decimal numbers"},
		{"IPv4-compatible", map[string]any{"name": "x", "url": "http://[::127.0.0.1]/", "within": e.chain.district}, "not a public address"},
		{"NAT64", map[string]any{"name": "x", "url": "http://[64:ff9b::7f00:1]/", "within": e.chain.district}, "NAT64"},
		{"carrier-grade NAT", map[string]any{"name": "x", "url": "http://100.64.0.1/", "within": e.chain.district}, "carrier-grade NAT"},
		{"benchmarking", map[string]any{"name": "x", "url": "http://198.18.0.1/", "within": e.chain.district}, "benchmarking"},
		{"name resolving to a private address", map[string]any{"name": "x", "url": "https://intranet.example.org/", "within": e.chain.district}, "10.0.0.8"},
		{"name that does not resolve", map[string]any{"name": "x", "url": "https://nowhere.example.org/", "within": e.chain.district}, "does not resolve"},
		{"no name", map[string]any{"name": " ", "url": "https://example.org/", "within": e.chain.district}, "name"},
		{"unknown action", map[string]any{"name": "x", "url": "https://example.org/", "within": e.chain.district, "actions": []string{"explode"}}, "explode"},
		{"unknown field", map[string]any{"name": "x", "url": "https://example.org/", "within": e.chain.district, "secret": "mine"}, "secret"},
	} {
		st, b := e.call(admin, "POST", "/api/v1/webhooks", tc.body, nil)
		if st != http.StatusBadRequest && st != http.StatusUnprocessableEntity || !strings.Contains(b, tc.want) {
			t.Errorf("%s: %d %s, want a 4xx naming %q", tc.name, st, b, tc.want)
		}
	}
	if st, _ := e.call(admin, "POST", "/api/v1/webhooks", map[string]any{"name": "x", "url": "https://example.org/", "within": e.other.district}, nil); st != http.StatusForbidden {
		t.Errorf("a hook over another district: %d, want 403", st)
	}
	if hs, _ := hooks.List(context.Background()); len(hs) != 0 {
		t.Errorf("refused requests stored %d hooks", len(hs))
	}
}

// TestWebhookRunLoop: the running loop is woken by the case change itself
// and delivers without waiting for its poll.
func TestWebhookRunLoop(t *testing.T) {
	e, hooks := hookEnv(t, webhook.Config{Poll: time.Hour})
	p := e.cast()
	rc := newReceiver(t, e.clock.Now)
	_, secret, err := hooks.Create(context.Background(), civicgrid.Webhook{Name: "x", URL: rc.srv.URL, Within: e.chain.grid})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = []byte(secret)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hooks.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(50 * time.Millisecond) // let the first pass find nothing
	c := e.report(p.resident, "C0005", e.chain)
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := rc.received(); len(got) != 1 || got[0].Case.ID != c.ID {
		t.Fatalf("the loop delivered %+v, want case %d's report", got, c.ID)
	}
}

// TestWebhooksAtDifferentCursors: hooks made at different times read the
// log together; each gets the events from its creation on that it wants,
// once.
func TestWebhooksAtDifferentCursors(t *testing.T) {
	e, hooks := hookEnv(t, webhook.Config{})
	p := e.cast()
	early, late := newReceiver(t, e.clock.Now), newReceiver(t, e.clock.Now)
	ctx := context.Background()
	_, s1, err := hooks.Create(ctx, civicgrid.Webhook{Name: "early", URL: early.srv.URL, Within: e.chain.district})
	if err != nil {
		t.Fatal(err)
	}
	early.secret = []byte(s1)
	first := e.report(p.resident, "C0005", e.chain)
	_, s2, err := hooks.Create(ctx, civicgrid.Webhook{Name: "late", URL: late.srv.URL, Within: e.chain.district,
		Actions: []civicgrid.CaseAction{civicgrid.CaseRegister, civicgrid.CaseReport}})
	if err != nil {
		t.Fatal(err)
	}
	late.secret = []byte(s2)
	e.step(p.staff, first.ID, civicgrid.CaseRegister, nil)
	second := e.report(p.resident, "C0001", e.chain)
	pump(t, hooks)
	pump(t, hooks)
	got := func(rc *receiver) string {
		var out []string
		for _, pl := range rc.received() {
			out = append(out, fmt.Sprintf("%d:%s", pl.Case.ID, pl.Type))
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	wantEarly := []string{fmt.Sprintf("%d:case.register", first.ID), fmt.Sprintf("%d:case.report", first.ID), fmt.Sprintf("%d:case.report", second.ID)}
	slices.Sort(wantEarly)
	if g := got(early); g != strings.Join(wantEarly, " ") {
		t.Errorf("early hook got %q, want %q", g, strings.Join(wantEarly, " "))
	}
	wantLate := []string{fmt.Sprintf("%d:case.register", first.ID), fmt.Sprintf("%d:case.report", second.ID)}
	slices.Sort(wantLate)
	if g, want := got(late), strings.Join(wantLate, " "); g != want {
		t.Errorf("late hook got %q, want %q", g, want)
	}
}

// testResolver answers for the names webhook tests use, so that creating a
// hook never asks a real DNS server. The public addresses are never dialled.
var testResolver = webhook.StaticResolver{
	"example.org":          {netip.MustParseAddr("93.184.215.14")},
	"hooks.example.org":    {netip.MustParseAddr("93.184.215.14")},
	"intranet.example.org": {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.8")},
}

// TestReclassifyOverHTTPAndWebhook: a reclassify is a case step like any
// other: its route refuses bad input with a clear 400 and writes nothing, and
// a hook subscribed to it receives it with its place in the chain.
func TestReclassifyOverHTTPAndWebhook(t *testing.T) {
	e, hooks := hookEnv(t, webhook.Config{})
	p := e.cast()
	admin := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	rc := newReceiver(t, e.clock.Now)
	var created struct {
		Secret string `json:"secret"`
	}
	if st, b := e.call(admin, "POST", "/api/v1/webhooks", map[string]any{"name": "区平台", "url": rc.srv.URL + "/in",
		"within": e.chain.district, "actions": []string{"reclassify"}}, &created); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	rc.secret = []byte(created.Secret)
	c := e.report(p.resident, "C0099", e.chain)
	path := fmt.Sprintf("/api/v1/cases/%d/reclassify", c.ID)
	for _, body := range []map[string]any{
		{"category": "NOPE1", "reason": "r"},
		{"category": "C0099", "reason": "r"},
		{"category": "C0005"},
	} {
		if st, b := e.call(p.staff, "POST", path, body, nil); st != http.StatusBadRequest || !strings.Contains(b, "category") && !strings.Contains(b, "reason") {
			t.Errorf("%v: %d %s", body, st, b)
		}
	}
	if st, _ := e.call(p.worker, "POST", path, map[string]any{"category": "C0005", "reason": "r"}, nil); st != http.StatusForbidden {
		t.Errorf("grid worker: %d, want 403", st)
	}
	var evs struct {
		Events []civicgrid.CaseEvent `json:"events"`
	}
	e.call(p.staff, "GET", fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil, &evs)
	if len(evs.Events) != 1 {
		t.Fatalf("refused reclassifies wrote %d events", len(evs.Events)-1)
	}
	v := e.step(p.staff, c.ID, civicgrid.CaseReclassify, map[string]any{"category": "C0005", "reason": "照片是水管爆裂"})
	if v.Category != "C0005" {
		t.Fatalf("category after reclassify: %s", v.Category)
	}
	pump(t, hooks)
	got := rc.received()
	if len(got) != 1 || got[0].Type != "case.reclassify" || got[0].Case.Category != "C0005" ||
		got[0].Event.Data[civicgrid.DataFromCategory] != "C0099" || got[0].Event.Seq != 2 {
		t.Fatalf("deliveries: %+v", got)
	}
}
