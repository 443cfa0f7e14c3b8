package server_test

// End-to-end tests of browser push: browsers subscribe over the API; the
// notify service pushes each new message through the webpush sender to a
// loopback HTTPS push service, which checks the VAPID header against the
// public key the API serves and decrypts the message with the browser's
// key; a "gone" subscription is deleted; nobody manages another person's
// subscription; endpoints that are not https or not public are refused.

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/webhook"
	"github.com/civicgrid/civicgrid/webpush"
)

// browser is a subscribed browser: its keys and what reached it.
type browser struct {
	key    *ecdh.PrivateKey
	auth   []byte
	path   string
	status int // what the push service answers for it
	got    []notify.PushPayload
	errs   []string
}

// pushService is a loopback HTTPS push service for a set of browsers.
type pushService struct {
	t         *testing.T
	srv       *httptest.Server
	mu        sync.Mutex
	browsers  map[string]*browser
	publicKey string // the VAPID key it expects (as the API serves it)
}

func newPushService(t *testing.T) *pushService {
	ps := &pushService{t: t, browsers: map[string]*browser{}}
	ps.srv = httptest.NewTLSServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	b := ps.browsers[r.URL.Path]
	if b == nil || r.Method != "POST" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	fail := func(format string, args ...any) {
		b.errs = append(b.errs, fmt.Sprintf(format, args...))
		http.Error(w, "refused", http.StatusBadRequest)
	}
	// The origin of this push service is the token's audience.
	if _, err := webpush.VerifyVAPID(r.Header.Get("Authorization"), ps.publicKey, ps.srv.URL, time.Now()); err != nil {
		fail("%v", err)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		fail("headers %v", r.Header)
		return
	}
	plain, err := webpush.Decrypt(b.key, b.auth, body)
	if err != nil {
		fail("%v", err)
		return
	}
	var p notify.PushPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		fail("payload %q: %v", plain, err)
		return
	}
	if b.status != http.StatusCreated {
		http.Error(w, "no such subscription", b.status)
		return
	}
	b.got = append(b.got, p)
	w.WriteHeader(http.StatusCreated)
}

// newBrowser makes a browser's keys and its endpoint at the push service.
func (ps *pushService) newBrowser() *browser {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		ps.t.Fatal(err)
	}
	b := &browser{key: k, auth: make([]byte, 16), status: http.StatusCreated}
	rand.Read(b.auth)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	b.path = fmt.Sprintf("/push/%d", len(ps.browsers)+1)
	ps.browsers[b.path] = b
	return b
}

func (ps *pushService) received(b *browser) ([]notify.PushPayload, []string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]notify.PushPayload(nil), b.got...), append([]string(nil), b.errs...)
}

func (ps *pushService) setStatus(b *browser, status int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	b.status = status
}

// subscription is what the page posts: PushSubscription.toJSON().
func (ps *pushService) subscription(b *browser) map[string]any {
	return map[string]any{"endpoint": ps.srv.URL + b.path, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(b.key.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(b.auth)}}
}

// pushSender is a sender allowed to reach the loopback push service (the
// allowance webhook tests use), trusting its certificate.
func pushSender(t *testing.T, ps *pushService, allowPrivate bool, resolver webhook.Resolver) *webpush.Sender {
	key, err := webpush.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := webpush.New(webpush.Config{Key: key, Subject: "https://grid.example.org", AllowPrivate: allowPrivate, Resolver: resolver,
		RootCAs: ps.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type pushList struct {
	PublicKey     string                       `json:"public_key"`
	Subscriptions []civicgrid.PushSubscription `json:"subscriptions"`
}

func (ne *notifyEnv) pushList(p person) pushList {
	ne.t.Helper()
	var out pushList
	if st, b := ne.call(p, "GET", "/api/v1/notifications/push", nil, &out); st != http.StatusOK {
		ne.t.Fatalf("push subscriptions: %d %s", st, b)
	}
	return out
}

func TestPushToBrowsers(t *testing.T) {
	ps := newPushService(t)
	ne := newNotifyEnvPush(t, 100, pushSender(t, ps, true, nil))
	p := ne.cast()
	english := ne.login(civicgrid.RoleResident, ne.chain.building)
	ne.call(english, "PUT", "/api/v1/notifications/settings", map[string]any{"lang": "en"}, nil)

	// The page reads the key to subscribe with; the push service checks
	// tokens against it.
	ps.publicKey = ne.pushList(p.resident).PublicKey
	if len(ps.publicKey) != 87 { // 65 bytes, base64url
		t.Fatalf("public key %q", ps.publicKey)
	}
	phone, laptop, other := ps.newBrowser(), ps.newBrowser(), ps.newBrowser()
	for _, s := range []struct {
		who person
		b   *browser
	}{{p.resident, phone}, {p.resident, laptop}, {english, other}} {
		if st, b := ne.call(s.who, "POST", "/api/v1/notifications/push", ps.subscription(s.b), nil); st != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", st, b)
		}
	}
	// Subscribing again (the page does on every visit) changes nothing.
	if st, b := ne.call(p.resident, "POST", "/api/v1/notifications/push", ps.subscription(phone), nil); st != http.StatusCreated {
		t.Fatalf("subscribe again: %d %s", st, b)
	}
	if subs := ne.pushList(p.resident).Subscriptions; len(subs) != 2 {
		t.Fatalf("resident's subscriptions: %+v", subs)
	}

	a := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, a.ID, civicgrid.CaseRegister, nil)
	c := ne.report(english, "C0005", ne.chain)
	ne.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	link := fmt.Sprintf("/cases/%d", a.ID)
	for _, b := range []*browser{phone, laptop} {
		got, errs := ps.received(b)
		if len(errs) > 0 || len(got) != 1 || got[0].Title != "您反映的问题已立案" || got[0].URL != link ||
			!strings.Contains(got[0].Body, fmt.Sprint(a.ID)) || got[0].Tag == "" {
			t.Fatalf("browser %s received %+v, refused %q", b.path, got, errs)
		}
	}
	if got, errs := ps.received(other); len(errs) > 0 || len(got) != 1 || got[0].Title != "Your report was registered" {
		t.Errorf("the English reader's browser received %+v (%q)", got, errs)
	}

	// The laptop's subscription ended at the push service (410): the next
	// push deletes it; the phone still hears of the dispatch.
	ps.setStatus(laptop, http.StatusGone)
	ne.step(p.staff, a.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	ne.run(ne.svc)
	if got, _ := ps.received(phone); len(got) != 2 || got[1].Title != "您反映的问题已派遣" {
		t.Errorf("phone after dispatch: %+v", got)
	}
	subs := ne.pushList(p.resident).Subscriptions
	if len(subs) != 1 || subs[0].Endpoint != ps.srv.URL+phone.path {
		t.Errorf("after 410 the subscriptions are %+v", subs)
	}
	// Each message is pushed once: running again sends nothing more.
	ne.run(ne.svc)
	if got, _ := ps.received(phone); len(got) != 2 {
		t.Errorf("a second run pushed again: %d", len(got))
	}
	// A failing push service (500) is logged, not retried; the
	// subscription stays.
	ps.setStatus(phone, http.StatusInternalServerError)
	ne.step(p.worker, a.ID, civicgrid.CaseAccept, nil)
	ne.step(p.worker, a.ID, civicgrid.CaseHandle, ne.evidence())
	ne.run(ne.svc)
	ps.setStatus(phone, http.StatusCreated)
	ne.run(ne.svc)
	if got, _ := ps.received(phone); len(got) != 2 || len(ne.pushList(p.resident).Subscriptions) != 1 {
		t.Errorf("after a 500: %d received, %d subscriptions", len(got), len(ne.pushList(p.resident).Subscriptions))
	}
	// Paused: the inbox gets the message, the browser does not; the
	// subscription is kept for when push is on again.
	if st, b := ne.call(p.resident, "PUT", "/api/v1/notifications/settings", map[string]any{"push_off": true}, nil); st != http.StatusOK ||
		!strings.Contains(b, `"push_off":true`) {
		t.Fatalf("pause: %d %s", st, b)
	}
	d := ne.report(p.resident, "C0005", ne.chain)
	ne.step(p.staff, d.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	if got, _ := ps.received(phone); len(got) != 2 || len(ne.pushList(p.resident).Subscriptions) != 1 {
		t.Errorf("paused: %d received", len(got))
	}
	if ns, _ := ne.inbox(p.resident); ns[len(ns)-1].Link != fmt.Sprintf("/cases/%d", d.ID) {
		t.Errorf("paused push kept the message from the inbox: %+v", ns[len(ns)-1])
	}
	// Turning the browser off deletes its subscription.
	if st, b := ne.call(p.resident, "DELETE", "/api/v1/notifications/push", map[string]any{"endpoint": ps.srv.URL + phone.path}, nil); st != http.StatusOK {
		t.Fatalf("unsubscribe: %d %s", st, b)
	}
	if subs := ne.pushList(p.resident).Subscriptions; len(subs) != 0 {
		t.Errorf("after unsubscribing: %+v", subs)
	}

	// Logging out ends the subscriptions made in that session: a shared
	// phone stops showing the last person's messages. Another live
	// session keeps its browser.
	shared, own := ps.newBrowser(), ps.newBrowser()
	again := ne.login(civicgrid.RoleResident, ne.chain.building)
	for _, s := range []struct {
		who person
		b   *browser
	}{{english, shared}, {again, own}} {
		if st, b := ne.call(s.who, "POST", "/api/v1/notifications/push", ps.subscription(s.b), nil); st != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", st, b)
		}
	}
	e := ne.report(again, "C0005", ne.chain)
	f := ne.report(english, "C0005", ne.chain)
	if st, b := ne.call(english, "POST", "/api/v1/auth/logout", nil, nil); st != http.StatusNoContent {
		t.Fatalf("logout: %d %s", st, b)
	}
	ne.step(p.staff, e.ID, civicgrid.CaseRegister, nil)
	ne.step(p.staff, f.ID, civicgrid.CaseRegister, nil)
	ne.run(ne.svc)
	if got, _ := ps.received(shared); len(got) != 0 {
		t.Errorf("the logged-out browser received %+v", got)
	}
	if got, _ := ps.received(own); len(got) != 1 {
		t.Errorf("the browser of a live session received %d", len(got))
	}
}

func TestPushSubscriptionsAreOwnersOnly(t *testing.T) {
	ps := newPushService(t)
	// No allowance: endpoints must be public. The names resolve from a
	// fixed table (testResolver), and nothing is pushed in this test, so nothing is
	// dialled.
	ne := newNotifyEnvPush(t, 5, pushSender(t, ps, false, testResolver))
	p := ne.cast()
	b := ps.newBrowser()
	sub := ps.subscription(b)
	sub["endpoint"] = "https://example.org/send/abc"
	if st, body := ne.call(p.resident, "POST", "/api/v1/notifications/push", sub, nil); st != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", st, body)
	}
	admin := ne.login(civicgrid.RoleCityAdmin, "420100")
	for _, other := range []person{p.neighbour, p.staff, admin} {
		if st, _ := ne.call(other, "DELETE", "/api/v1/notifications/push", map[string]any{"endpoint": sub["endpoint"]}, nil); st != http.StatusNotFound {
			t.Errorf("user %d deleted another's subscription: %d, want 404", other.user.ID, st)
		}
		if st, _ := ne.call(other, "POST", "/api/v1/notifications/push", sub, nil); st != http.StatusConflict {
			t.Errorf("user %d took another's endpoint: %d, want 409", other.user.ID, st)
		}
		if subs := ne.pushList(other).Subscriptions; len(subs) != 0 {
			t.Errorf("user %d sees %+v", other.user.ID, subs)
		}
	}
	if subs := ne.pushList(p.resident).Subscriptions; len(subs) != 1 {
		t.Fatalf("the resident's subscription after the others tried: %+v", subs)
	}
	if st, _ := ne.call(person{}, "GET", "/api/v1/notifications/push", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", st)
	}

	// Refused with a clear error, nothing stored.
	for _, c := range []struct{ name, endpoint, p256dh, auth, want string }{
		{"http", "http://example.org/send/1", "", "", "https"},
		{"loopback", ps.srv.URL + "/push/1", "", "", "loopback"},
		{"private by name", "https://intranet.example.org/x", "", "", "private"},
		{"unresolvable", "https://nowhere.example/x", "", "", "does not resolve"},
		{"credentials", "https://u:p@example.org/x", "", "", "without credentials"},
		{"not a point", "https://example.org/send/2", "BAAA", "", "p256dh"},
		{"short secret", "https://example.org/send/3", "", "AAAA", "auth"},
	} {
		s := ps.subscription(ps.newBrowser())
		s["endpoint"] = c.endpoint
		keys := s["keys"].(map[string]string)
		if c.p256dh != "" {
			keys["p256dh"] = c.p256dh
		}
		if c.auth != "" {
			keys["auth"] = c.auth
		}
		st, body := ne.call(p.neighbour, "POST", "/api/v1/notifications/push", s, nil)
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 naming %q", c.name, st, body, c.want)
		}
	}
	if subs := ne.pushList(p.neighbour).Subscriptions; len(subs) != 0 {
		t.Errorf("refused subscriptions were stored: %+v", subs)
	}
}
