package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
	"github.com/civicgrid/civicgrid/webhook"
)

// rawReceiver keeps each delivery's type and body after checking its
// signature; it answers fail with 503 first.
type rawReceiver struct {
	mu     sync.Mutex
	secret []byte
	fail   int
	got    []string // type + " " + body
	srv    *httptest.Server
}

func newRawReceiver(t *testing.T, now func() time.Time, fail int) *rawReceiver {
	rc := &rawReceiver{fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err := webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %s: %v", r.Header.Get("X-Civicgrid-Delivery"), err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		rc.got = append(rc.got, r.Header.Get("X-Civicgrid-Event")+" "+string(body))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *rawReceiver) types() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, g := range rc.got {
		typ, _, _ := strings.Cut(g, " ")
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

// Webhooks hear of volunteer requests through the same subscriptions: a
// hook over the request's district gets each opening, taking, release,
// completion and cancellation, signed, with no address, name, phone or
// note; a hook of another district gets nothing; a hook naming only
// "request.taken" gets only that (and no case events); a failed delivery
// is retried, dead-lettered when its attempts run out, and replayed.
func TestWebhookRequestEvents(t *testing.T) {
	ctx := context.Background()
	e := newCaseEnv(t)
	vol := volunteering.New(volunteering.Config{People: e.db, Now: e.clock.Now}, e.db, e.db)
	hooks, err := webhook.New(webhook.Config{Key: bytes.Repeat([]byte{7}, 32), AllowPrivate: true, MaxAttempts: 2, Backoff: time.Second,
		Requests: vol}, e.db, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(within string, actions []civicgrid.CaseAction, fail int) *rawReceiver {
		rc := newRawReceiver(t, e.clock.Now, fail)
		_, secret, err := hooks.Create(ctx, civicgrid.Webhook{Name: "平台", URL: rc.srv.URL, Within: within, Actions: actions})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = []byte(secret)
		return rc
	}
	district := mk(e.chain.district, nil, 0)
	other := mk(e.other.district, nil, 0)
	taken := mk(e.chain.community, []civicgrid.CaseAction{civicgrid.HookRequestTaken}, 0)
	flaky := mk(e.chain.community, []civicgrid.CaseAction{civicgrid.HookRequestOpened}, 2) // two failures: dead after 2 attempts
	if _, _, err := hooks.Create(ctx, civicgrid.Webhook{Name: "x", URL: "http://127.0.0.1:9/", Within: e.chain.district,
		Actions: []civicgrid.CaseAction{"request.exploded"}}); civicgrid.ErrorCode(err) != civicgrid.EINVALID || !strings.Contains(fmt.Sprint(err), "request.exploded") {
		t.Fatalf("an unknown request event: %v", err)
	}

	n := 0
	person := func(role, area string) civicgrid.Actor {
		n++
		u, err := e.db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("钩子%d", n), Phone: fmt.Sprintf("1350000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		if role == civicgrid.RoleVolunteer {
			testdb.ApproveVolunteer(t, e.db, a, area)
		}
		return a
	}
	staff := person(civicgrid.RoleCommunityStaff, e.chain.community)
	helper := person(civicgrid.RoleVolunteer, e.chain.community)
	area, err := e.db.AreaByCode(ctx, e.chain.building)
	if err != nil || area.Geometry == nil {
		t.Fatalf("building: %v", err)
	}
	c := area.Geometry.Bound().Center()
	if p, ok := area.Geometry.(orb.Point); ok {
		c = p
	}
	here := &volunteering.Point{Lat: c.Lat(), Lng: c.Lon()}

	r, err := vol.Ask(ctx, staff, civicgrid.HelpInput{Service: "shopping", BuildingCode: e.chain.building, Address: "2单元301",
		Beneficiary: "王秀兰", Contact: "13912345678", Note: "买米和油"})
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ volunteering.View, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(vol.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	must(vol.Claim(ctx, helper, r.ID))
	must(vol.Release(ctx, helper, r.ID, "临时有事"))
	must(vol.Claim(ctx, helper, r.ID))
	must(vol.SignIn(ctx, helper, r.ID, here))
	e.clock.Advance(40 * time.Minute)
	must(vol.SignOut(ctx, helper, r.ID, here))
	r2, err := vol.Ask(ctx, staff, civicgrid.HelpInput{Service: "repair", BuildingCode: e.chain.building})
	if err != nil {
		t.Fatal(err)
	}
	must(vol.Cancel(ctx, staff, r2.ID, "已自行解决"))
	// A case in the district as well: the request-only hook does not hear of it.
	p := e.cast()
	e.report(p.resident, "C0005", e.chain)
	pump(t, hooks)

	// (a release reopens the request: its event is request.released)
	want := []string{"case.report", "request.cancelled", "request.completed", "request.opened", "request.released", "request.taken", "request.taken"}
	if got := district.types(); !slices.Equal(got, want) {
		t.Fatalf("the district's hook got %v, want %v", got, want)
	}
	if got := other.types(); len(got) != 0 {
		t.Fatalf("another district's hook got %v", got)
	}
	if got := taken.types(); !slices.Equal(got, []string{"request.taken", "request.taken"}) {
		t.Fatalf("the hook of request.taken got %v", got)
	}
	district.mu.Lock()
	for _, g := range district.got {
		for _, secret := range []string{"2单元301", "王秀兰", "13912345678", "买米和油", "钩子"} {
			if strings.Contains(g, secret) {
				t.Errorf("a delivery carries %q: %s", secret, g)
			}
		}
		if typ, body, _ := strings.Cut(g, " "); strings.HasPrefix(typ, "request.") {
			var pl webhook.RequestPayload
			if err := json.Unmarshal([]byte(body), &pl); err != nil || pl.ID == 0 || pl.Type != typ || pl.Request.BuildingCode != e.chain.building ||
				pl.Request.Community != e.chain.community || pl.Event.RequestID != pl.Request.ID || pl.Event.ID == 0 {
				t.Errorf("payload %s: %+v %v", body, pl, err)
			}
		}
	}
	district.mu.Unlock()

	// The flaky receiver: a retry after the backoff, then dead; replayed, delivered.
	ds, err := hooks.Deliveries(ctx, flakyHook(t, hooks, flaky), "")
	if err != nil || len(ds) != 1 || ds[0].State != civicgrid.DeliveryPending || ds[0].Source != "request" || ds[0].CaseID != r.ID {
		t.Fatalf("flaky deliveries: %+v %v", ds, err)
	}
	e.clock.Advance(time.Minute)
	pump(t, hooks)
	if ds, _ = hooks.Deliveries(ctx, ds[0].WebhookID, ""); ds[0].State != civicgrid.DeliveryDead || ds[0].Attempts != 2 {
		t.Fatalf("after two failures: %+v", ds)
	}
	if n, err := hooks.Replay(ctx, ds[0].WebhookID, 0); n != 1 || err != nil {
		t.Fatalf("replay: %d %v", n, err)
	}
	pump(t, hooks)
	if got := flaky.types(); !slices.Equal(got, []string{"request.opened"}) {
		t.Fatalf("the flaky hook got %v after the replay", got)
	}
	// Nothing twice: another pass queues nothing new.
	if n, err := hooks.Enqueue(ctx); n != 0 || err != nil {
		t.Fatalf("a second pass queued %d (%v)", n, err)
	}
}

// flakyHook is the id of the hook whose receiver is rc.
func flakyHook(t *testing.T, hooks *webhook.Service, rc *rawReceiver) int64 {
	t.Helper()
	hs, err := hooks.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.URL == rc.srv.URL {
			return h.ID
		}
	}
	t.Fatal("no hook of the flaky receiver")
	return 0
}
