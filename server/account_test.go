package server_test

// The sign-up and password reset pages run the public auth routes in
// process (server.LocalAPI): these tests drive the pages over HTTP against a
// real store, as a browser without JavaScript would.

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/web"
)

func newAccountPagesEnv(t *testing.T, cfg server.AuthConfig) *authEnv {
	db, loc, _ := openDemoStore(t)
	clock := &testClock{now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)}
	db.SetClock(clock.Now)
	local := &server.LocalAPI{}
	ui, err := web.New(web.Config{Auth: local, DevSMS: true}, db)
	if err != nil {
		t.Fatal(err)
	}
	sender := sms.NewDevSender(slog.New(slog.DiscardHandler))
	cfg.Password = mxPasswordParams
	s := server.New(server.Config{Auth: cfg, SMS: sender, Now: clock.Now}, db, loc, ui.Register)
	local.Server = s
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	chains := newMatrixChains(t, demoCity(t))
	return &authEnv{t: t, db: db, srv: srv, clock: clock, sms: sender, chain: chains[0], other: chains[1]}
}

// lastCode is the six digits of the last text to phone.
func (e *authEnv) lastCode(phone string) string {
	e.t.Helper()
	msg, _ := e.sms.Last(phone)
	for _, f := range strings.FieldsFunc(msg, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(f) == 6 {
			return f
		}
	}
	e.t.Fatalf("no code in %q", msg)
	return ""
}

func TestSignupAndResetPages(t *testing.T) {
	e := newAccountPagesEnv(t, server.AuthConfig{IPAttempts: 100})
	phone := "13712345670"
	const pw = "楼下的桂花树-2026"

	page := e.do("GET", "/signup?lang=en", nil, "", "")
	for _, want := range []string{`action="/signup/code"`, `action="/signup"`, `autocomplete="one-time-code"`, `data-testid="dev-sms"`} {
		if page.status != 200 || !strings.Contains(page.body, want) {
			t.Errorf("sign-up page lacks %s (%d)", want, page.status)
		}
	}
	// Step 1: the page asks for a code and comes back with the phone filled in.
	a := e.do("POST", "/signup/code", url.Values{"phone": {phone}}, "", "")
	if a.status != 200 || !strings.Contains(a.body, `value="`+phone+`"`) || !strings.Contains(a.body, "137****5670") {
		t.Fatalf("send code: %d\n%s", a.status, a.body)
	}
	code := e.lastCode(phone)
	form := url.Values{"phone": {phone}, "code": {code}, "name": {"李四"}, "password": {pw}, "building_code": {e.chain.building}}

	// Refusals are said in the page's language, on the field concerned,
	// with what was typed kept (never the password); nothing is made.
	for _, tt := range []struct {
		field, value, want string
		status             int
	}{
		{"code", "000000", "验证码不正确或已失效", 422},
		{"password", "password", "这是很常见的密码", 422},
		{"password", "short", "密码太短", 422},
		{"building_code", "420102", "没有这个楼栋编码", 422},
		{"name", "", "请填写姓名", 422},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(tt.field, tt.value)
		a := e.do("POST", "/signup", bad, "", "", "Cookie", "lang=zh-CN")
		if a.status != tt.status || !strings.Contains(a.body, tt.want) || !strings.Contains(a.body, `aria-invalid="true"`) ||
			!strings.Contains(a.body, `value="`+phone+`"`) || strings.Contains(a.body, pw) {
			t.Errorf("%s=%q: %d, want %d with %q\n%s", tt.field, tt.value, a.status, tt.status, tt.want, a.body)
		}
		if strings.Contains(a.body, "password:") || strings.Contains(a.body, "wrong code") {
			t.Errorf("%s=%q: raw server English on the page", tt.field, tt.value)
		}
	}
	if _, err := e.db.LoginRecordByPhone(context.Background(), phone); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a refused sign-up made an account: %v", err)
	}
	// The right form signs up, logs in and goes on.
	a = e.do("POST", "/signup", form, "", "")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" || a.header.Get("X-Test-Session") == "" {
		t.Fatalf("signup: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if me := e.do("GET", "/api/v1/me", nil, a.header.Get("X-Test-Session"), ""); me.status != 200 || !strings.Contains(me.body, phone) {
		t.Fatalf("no session after signing up: %d %s", me.status, me.body)
	}
	evs := e.events(civicgrid.EventSignup)
	if len(evs) != 1 || evs[0].IP != "127.0.0.1" {
		t.Errorf("account.signup events: %+v", evs)
	}
	// A second sign-up of the same phone is told to log in.
	e.clock.Advance(2 * time.Minute)
	e.do("POST", "/signup/code", url.Values{"phone": {phone}}, "", "")
	form.Set("code", e.lastCode(phone))
	if a := e.do("POST", "/signup", form, "", "", "Cookie", "lang=en"); a.status != 422 || !strings.Contains(a.body, "has an account already") {
		t.Errorf("second sign-up: %d\n%s", a.status, a.body)
	}

	// Reset: code, new password, then the login page says so.
	e.clock.Advance(2 * time.Minute)
	if a := e.do("POST", "/reset/code", url.Values{"phone": {phone}}, "", ""); a.status != 200 {
		t.Fatalf("reset code: %d %s", a.status, a.body)
	}
	const pw2 = "江边的风筝-2027"
	a = e.do("POST", "/reset", url.Values{"phone": {phone}, "code": {e.lastCode(phone)}, "password": {pw2}}, "", "")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?reset=1" {
		t.Fatalf("reset: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if _, _, l := e.login(phone, pw2); l.status != 200 {
		t.Errorf("login with the new password: %d", l.status)
	}
	if _, _, l := e.login(phone, pw); l.status != 401 {
		t.Errorf("login with the old password: %d", l.status)
	}
}

// Sign-up and reset share the login's per-address bucket: a code cannot be
// guessed faster than a password.
func TestSignupAndResetThrottledPerIP(t *testing.T) {
	e := newAccountPagesEnv(t, server.AuthConfig{IPAttempts: 3, IPWindow: time.Minute})
	for i, path := range []string{"/api/v1/auth/signup", "/api/v1/auth/reset", "/api/v1/auth/signup"} {
		body := map[string]string{"phone": "13712345671", "code": "000000", "password": "楼下的桂花树-2026"}
		if path == "/api/v1/auth/signup" {
			body["name"] = "王五"
		}
		a := e.do("POST", path, body, "", "")
		if a.status != 400 || !strings.Contains(a.body, `"kind":"code"`) {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	a := e.do("POST", "/api/v1/auth/reset", map[string]string{"phone": "13712345671", "code": "000000", "password": "楼下的桂花树-2026"}, "", "")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt: %d %s", a.status, a.body)
	}
	// The page says so in its language, with the wait.
	a = e.do("POST", "/reset", url.Values{"phone": {"13712345671"}, "code": {"000000"}, "password": {"楼下的桂花树-2026"}}, "", "", "Cookie", "lang=zh-CN")
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "操作太频繁") || a.header.Get("Retry-After") == "" {
		t.Errorf("throttled page: %d %q\n%s", a.status, a.header.Get("Retry-After"), a.body)
	}
}

// The login page keeps the phone after a refusal, tells the attempts left
// and then the end of the lock in the page's language and Beijing time —
// the very same page for a phone with an account and one without, so it
// reveals nothing about who has an account (docs/security.md).
func TestLoginPageAttemptsLeftRevealNothing(t *testing.T) {
	e := newAccountPagesEnv(t, server.AuthConfig{MaxFailures: 3, LockFor: 15 * time.Minute, IPAttempts: 100, TrustProxy: true})
	known := e.account(civicgrid.RoleResident, e.chain.building)
	const unknown = "13700009999"
	login := func(phone, pw, lang, ip string) answer {
		return e.do("POST", "/login", url.Values{"phone": {phone}, "password": {pw}, "next": {"/my"}}, "", "",
			"Cookie", "lang="+lang, "X-Forwarded-For", ip)
	}
	same := func(a, b answer, pa, pb string) bool {
		return a.status == b.status && strings.ReplaceAll(a.body, pa, "PHONE") == strings.ReplaceAll(b.body, pb, "PHONE")
	}
	for i, want := range []string{"还可再试 2 次", "还可再试 1 次", "2026年11月23日 17:45（北京时间）前无法登录"} {
		a := login(known.Phone, "wrong-password", "zh-CN", "10.0.0.1")
		b := login(unknown, "wrong-password", "zh-CN", "10.0.0.1")
		if a.status != 401 || !strings.Contains(a.body, want) || !strings.Contains(a.body, `value="`+known.Phone+`"`) ||
			!strings.Contains(a.body, "手机号或密码不正确") {
			t.Fatalf("attempt %d: %d, want %q with the phone kept\n%s", i+1, a.status, want, a.body)
		}
		if !same(a, b, known.Phone, unknown) {
			t.Fatalf("attempt %d: the page differs for a phone without an account:\n%s\n---\n%s", i+1, a.body, b.body)
		}
		for _, english := range []string{"wrong phone number", "locked for", "password"} {
			if strings.Contains(a.body, english) && !strings.Contains(a.body, `name="password"`) {
				t.Errorf("attempt %d: server English %q under Chinese", i+1, english)
			}
		}
	}
	// Locked: the right password is refused as a wrong one, on the same page.
	a := login(known.Phone, mxPassword, "en", "10.0.0.1")
	b := login(unknown, mxPassword, "en", "10.0.0.1")
	if a.status != 401 || !strings.Contains(a.body, "no login until 17:45 on 23 Nov 2026 (Beijing time, UTC") || !same(a, b, known.Phone, unknown) {
		t.Fatalf("locked: %d\n%s\n---\n%s", a.status, a.body, b.body)
	}
	// The API tells the same figures, the same for both phones.
	for _, phone := range []string{known.Phone, unknown} {
		j := e.do("POST", "/api/v1/auth/login", map[string]string{"phone": phone, "password": "wrong-password"}, "", "", "X-Forwarded-For", "10.0.0.1")
		if j.status != 401 || j.json["attempts_left"] != float64(0) || j.json["locked_until"] != "2026-11-23T09:45:00Z" || j.json["max_failures"] != float64(3) {
			t.Errorf("API refusal for %s: %d %s", phone, j.status, j.body)
		}
	}
	// Another client address counts on its own.
	if c := login(unknown, "wrong-password", "zh-CN", "10.0.0.2"); !strings.Contains(c.body, "还可再试 2 次") {
		t.Errorf("another address shares the count:\n%s", c.body)
	}
	// After the lock the right password logs in and the count starts over.
	e.clock.Advance(16 * time.Minute)
	if a := login(known.Phone, mxPassword, "zh-CN", "10.0.0.1"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/my" {
		t.Fatalf("after the lock: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if a := login(known.Phone, "wrong-password", "zh-CN", "10.0.0.1"); !strings.Contains(a.body, "还可再试 2 次") {
		t.Errorf("the count did not start over after a good login:\n%s", a.body)
	}
	// Throttled: the wait, in the page's words.
	e2 := newAccountPagesEnv(t, server.AuthConfig{IPAttempts: 1, IPWindow: time.Minute})
	e2.do("POST", "/login", url.Values{"phone": {unknown}, "password": {"x-wrong-password"}}, "", "")
	if a := e2.do("POST", "/login", url.Values{"phone": {unknown}, "password": {"x-wrong-password"}}, "", "", "Cookie", "lang=zh-CN"); a.status != 429 ||
		!strings.Contains(a.body, "尝试次数过多") || !strings.Contains(a.body, "秒后再试") || !strings.Contains(a.body, `value="`+unknown+`"`) {
		t.Errorf("throttled login page: %d\n%s", a.status, a.body)
	}
}
