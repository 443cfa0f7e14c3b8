package server_test

// Logins, sessions, CSRF, tokens, masking: each attack or mistake gets a
// clear refusal, changes nothing, and leaves an audit entry where it
// matters.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/sqlstore"
)

type authEnv struct {
	t     *testing.T
	db    *sqlstore.DB
	srv   *httptest.Server
	clock *testClock
	sms   *sms.DevSender
	chain mxChain
	other mxChain
	n     int
}

func newAuthEnv(t *testing.T, cfg server.AuthConfig) *authEnv {
	db, loc, _ := openDemoStore(t)
	clock := &testClock{now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)}
	db.SetClock(clock.Now)
	sender := sms.NewDevSender(slog.New(slog.DiscardHandler))
	cfg.Password = mxPasswordParams
	s := server.New(server.Config{Auth: cfg, SMS: sender, Now: clock.Now}, db, loc)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	chains := newMatrixChains(t, demoCity(t))
	return &authEnv{t: t, db: db, srv: srv, clock: clock, sms: sender, chain: chains[0], other: chains[1]}
}

// account makes a user with mxPassword holding role over area.
func (e *authEnv) account(role, area string) civicgrid.User {
	e.t.Helper()
	e.n++
	u, err := e.db.CreateUser(context.Background(), civicgrid.User{Name: fmt.Sprintf("欧阳%d", e.n), Phone: fmt.Sprintf("139%08d", e.n)},
		mustHash(e.t), []civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

var cachedHash string

func mustHash(t *testing.T) string {
	if cachedHash == "" {
		h, err := password.Hash(mxPassword, mxPasswordParams)
		if err != nil {
			t.Fatal(err)
		}
		cachedHash = h
	}
	return cachedHash
}

type answer struct {
	status int
	body   string
	header http.Header
	json   map[string]any
}

// do sends a request with optional cookie and CSRF token.
func (e *authEnv) do(method, path string, body any, cookie, csrf string, hdr ...string) answer {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: cookie})
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b), header: resp.Header}
	json.Unmarshal(b, &a.json)
	for _, c := range resp.Cookies() {
		if c.Name == "cg_session" {
			a.header.Set("X-Test-Session", c.Value)
		}
	}
	return a
}

// login logs in and returns the session cookie and CSRF token.
func (e *authEnv) login(phone, pw string) (string, string, answer) {
	e.t.Helper()
	a := e.do("POST", "/api/v1/auth/login", map[string]string{"phone": phone, "password": pw}, "", "")
	csrf, _ := a.json["csrf_token"].(string)
	return a.header.Get("X-Test-Session"), csrf, a
}

// events returns the security events of a kind.
func (e *authEnv) events(kind string) []civicgrid.SecurityEvent {
	e.t.Helper()
	evs, err := e.db.ListSecurityEvents(context.Background(), civicgrid.EventFilter{Kind: kind, Within: []string{"420100"}, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func TestLoginThrottledPerIP(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{IPAttempts: 5, IPWindow: time.Minute, MaxFailures: 100})
	u := e.account(civicgrid.RoleGridWorker, e.chain.grid)
	for i := range 5 {
		if _, _, a := e.login(u.Phone, "wrong-password"); a.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	_, _, a := e.login(u.Phone, mxPassword)
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "too many login attempts") {
		t.Fatalf("6th attempt: %d %s (Retry-After %q)", a.status, a.body, a.header.Get("Retry-After"))
	}
	if len(e.events(civicgrid.EventLoginThrottled)) != 1 {
		t.Errorf("throttling not audited once: %d events", len(e.events(civicgrid.EventLoginThrottled)))
	}
}

func TestLockoutAndUnlock(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{MaxFailures: 3, LockFor: 15 * time.Minute, IPAttempts: 100})
	u := e.account(civicgrid.RoleGridWorker, e.chain.grid)
	for i := range 2 {
		if _, _, a := e.login(u.Phone, "wrong-password"); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	// Locking answers as an unknown phone does (it used to be 423 for real
	// phones and 401 for unknown ones): the answer says what the rule is,
	// not whether this phone has an account or is locked.
	var unknown answer
	for range 4 {
		_, _, unknown = e.login("13999999999", "wrong-password")
	}
	if unknown.status != http.StatusUnauthorized || !strings.Contains(unknown.body, "locked for 15 min") {
		t.Fatalf("unknown phone: %d %s", unknown.status, unknown.body)
	}
	_, _, a := e.login(u.Phone, "wrong-password")
	if a.status != unknown.status || a.body != unknown.body {
		t.Fatalf("3rd failure: %d %s, want the unknown phone's answer", a.status, a.body)
	}
	if _, _, a := e.login(u.Phone, mxPassword); a.status != unknown.status || a.body != unknown.body {
		t.Fatalf("right password while locked: %d %s, want the unknown phone's answer", a.status, a.body)
	}
	if failed, locked := len(e.events(civicgrid.EventLoginFailed)), len(e.events(civicgrid.EventLoginLocked)); failed != 7 || locked != 1 {
		t.Errorf("%d login.failed and %d login.locked events, want 7 (four of an unknown phone, two wrong, one while locked) and 1", failed, locked)
	}
	// A community secretary of another community may not unlock; the
	// user's own secretary may.
	outsider := e.account(civicgrid.RoleCommunitySecretary, e.other.community)
	c, csrf, _ := e.login(outsider.Phone, mxPassword)
	if a := e.do("POST", fmt.Sprintf("/api/v1/users/%d/unlock", u.ID), nil, c, csrf); a.status != http.StatusForbidden {
		t.Fatalf("outsider unlock: %d %s", a.status, a.body)
	}
	sec := e.account(civicgrid.RoleCommunitySecretary, e.chain.community)
	c, csrf, _ = e.login(sec.Phone, mxPassword)
	if a := e.do("POST", fmt.Sprintf("/api/v1/users/%d/unlock", u.ID), nil, c, csrf); a.status != http.StatusNoContent {
		t.Fatalf("unlock: %d %s", a.status, a.body)
	}
	if len(e.events(civicgrid.EventAccountUnlocked)) != 1 {
		t.Error("unlock not audited")
	}
	if _, _, a := e.login(u.Phone, mxPassword); a.status != http.StatusOK {
		t.Fatalf("login after unlock: %d %s", a.status, a.body)
	}
	// A lockout also ends by itself.
	for range 3 {
		e.login(u.Phone, "wrong-password")
	}
	e.clock.Advance(16 * time.Minute)
	if _, _, a := e.login(u.Phone, mxPassword); a.status != http.StatusOK {
		t.Fatalf("login after the lockout expired: %d %s", a.status, a.body)
	}
}

func TestSessionFixationAndReplay(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{})
	u := e.account(civicgrid.RoleGridWorker, e.chain.grid)
	old, oldCSRF, _ := e.login(u.Phone, mxPassword)
	// Log in again carrying the old session (or a planted one): the new
	// session is fresh and the old one is dead.
	a := e.do("POST", "/api/v1/auth/login", map[string]string{"phone": u.Phone, "password": mxPassword}, old, oldCSRF)
	fresh := a.header.Get("X-Test-Session")
	if a.status != 200 || fresh == "" || fresh == old {
		t.Fatalf("second login: %d, cookie rotated %v", a.status, fresh != old)
	}
	if a := e.do("GET", "/api/v1/me", nil, old, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("the pre-login session still works: %d", a.status)
	}
	planted := "cgs_planted-by-an-attacker"
	a = e.do("POST", "/api/v1/auth/login", map[string]string{"phone": u.Phone, "password": mxPassword}, planted, "")
	if got := a.header.Get("X-Test-Session"); got == planted || got == "" {
		t.Fatalf("planted session id was kept: %q", got)
	}
	if a := e.do("GET", "/api/v1/me", nil, planted, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("planted id authenticates: %d", a.status)
	}
	// Forged cookies, and a cookie replayed after logout, are refused.
	if a := e.do("GET", "/api/v1/me", nil, "cgs_"+strings.Repeat("A", 43), ""); a.status != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", a.status)
	}
	cur, csrf, _ := e.login(u.Phone, mxPassword)
	if a := e.do("POST", "/api/v1/auth/logout", nil, cur, csrf); a.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/api/v1/me", nil, cur, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("cookie replayed after logout: %d", a.status)
	}
	// Sessions end after their idle time.
	cur, _, _ = e.login(u.Phone, mxPassword)
	e.clock.Advance(3 * time.Hour)
	if a := e.do("GET", "/api/v1/me", nil, cur, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("idle session: %d", a.status)
	}
}

func TestCSRFRejected(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{})
	admin := e.account(civicgrid.RoleDistrictAdmin, e.chain.district)
	target := e.account(civicgrid.RoleResident, e.chain.building)
	cookie, csrf, _ := e.login(admin.Phone, mxPassword)
	grant := map[string]string{"role": civicgrid.RoleVolunteer, "area_code": e.chain.community}
	path := fmt.Sprintf("/api/v1/users/%d/grants", target.ID)
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		a := e.do("POST", path, grant, cookie, token)
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "CSRF") {
			t.Errorf("%s CSRF token: %d %s", name, a.status, a.body)
		}
	}
	u, _ := e.db.UserByID(context.Background(), target.ID)
	if len(u.Grants) != 1 {
		t.Fatalf("a refused write changed the grants: %+v", u.Grants)
	}
	if n := len(e.events(civicgrid.EventCSRFRejected)); n != 2 {
		t.Errorf("%d csrf.rejected events, want 2", n)
	}
	// A form post carries the token as a field.
	form := url.Values{"role": {civicgrid.RoleVolunteer}, "area_code": {e.chain.community}, "csrf_token": {csrf}}
	if a := e.do("POST", path, form, cookie, ""); a.status != http.StatusCreated {
		t.Fatalf("form with csrf_token: %d %s", a.status, a.body)
	}
	// Cross-site browser writes are refused even with the token.
	if a := e.do("POST", "/api/v1/auth/logout", nil, cookie, csrf, "Sec-Fetch-Site", "cross-site"); a.status != http.StatusForbidden {
		t.Errorf("cross-site write: %d", a.status)
	}
}

func TestTokenRevocationAndExpiry(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{})
	admin := e.account(civicgrid.RoleDistrictAdmin, e.chain.district)
	cookie, csrf, _ := e.login(admin.Phone, mxPassword)
	a := e.do("POST", "/api/v1/tokens", map[string]any{"name": "GIS 同步", "role": civicgrid.RoleDistrictAdmin, "area_code": e.chain.district, "ttl_days": 1}, cookie, csrf)
	if a.status != http.StatusCreated {
		t.Fatalf("create token: %d %s", a.status, a.body)
	}
	secret := a.json["secret"].(string)
	id := int64(a.json["token"].(map[string]any)["id"].(float64))
	bearer := func(method, path string, body any) answer {
		return e.do(method, path, body, "", "", "Authorization", "Bearer "+secret)
	}
	if a := bearer("GET", "/api/v1/admin/areas/export?within="+e.chain.community, nil); a.status != 200 {
		t.Fatalf("token use: %d %s", a.status, a.body)
	}
	// A token cannot mint tokens or change passwords.
	if a := bearer("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": civicgrid.RoleDistrictAdmin, "area_code": e.chain.district}); a.status != http.StatusForbidden {
		t.Errorf("token minting a token: %d", a.status)
	}
	// Tokens are never wider than their maker.
	if a := e.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": civicgrid.RoleDistrictAdmin, "area_code": e.other.district}, cookie, csrf); a.status != http.StatusForbidden {
		t.Errorf("token for another district: %d", a.status)
	}
	if a := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil, cookie, csrf); a.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	if a := bearer("GET", "/api/v1/me", nil); a.status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", a.status)
	}
	if len(e.events(civicgrid.EventTokenCreated)) != 1 || len(e.events(civicgrid.EventTokenRevoked)) != 1 {
		t.Error("token creation or revocation not audited")
	}
	// Expiry.
	a = e.do("POST", "/api/v1/tokens", map[string]any{"name": "短期", "role": civicgrid.RoleDistrictAdmin, "area_code": e.chain.district, "ttl_days": 1}, cookie, csrf)
	secret = a.json["secret"].(string)
	e.clock.Advance(25 * time.Hour)
	if a := bearer("GET", "/api/v1/me", nil); a.status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d %s", a.status, a.body)
	}
}

func TestMaskingAndUnmaskAudit(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{})
	resident := e.account(civicgrid.RoleResident, e.chain.building)
	worker := e.account(civicgrid.RoleGridWorker, e.chain.grid)
	auditor := e.account(civicgrid.RoleAuditor, e.chain.district)
	outsider := e.account(civicgrid.RoleGridWorker, e.other.grid)
	path := fmt.Sprintf("/api/v1/users/%d", resident.ID)

	c, csrf, _ := e.login(worker.Phone, mxPassword)
	a := e.do("GET", path, nil, c, "")
	if a.status != 200 || a.json["phone"] != civicgrid.MaskPhone(resident.Phone) || a.json["name"] != civicgrid.MaskName(resident.Name) {
		t.Fatalf("masked read: %d %s", a.status, a.body)
	}
	if strings.Contains(a.body, resident.Phone) {
		t.Fatal("the full phone leaked")
	}
	if a := e.do("POST", path+"/unmask", map[string]string{}, c, csrf); a.status != http.StatusBadRequest {
		t.Errorf("unmask without a reason: %d", a.status)
	}
	if n := len(e.events(civicgrid.EventUnmask)); n != 0 {
		t.Errorf("a refused unmask was logged as a look: %d", n)
	}
	a = e.do("POST", path+"/unmask", map[string]string{"reason": "上门核实漏水情况"}, c, csrf)
	if a.status != 200 || a.json["phone"] != resident.Phone {
		t.Fatalf("unmask: %d %s", a.status, a.body)
	}
	evs := e.events(civicgrid.EventUnmask)
	if len(evs) != 1 || evs[0].Detail != "上门核实漏水情况" || evs[0].TargetUserID != resident.ID || evs[0].ActorID != worker.ID {
		t.Fatalf("unmask event: %+v", evs)
	}
	// Auditors read masked data only; staff elsewhere see nothing.
	c, csrf, _ = e.login(auditor.Phone, mxPassword)
	if a := e.do("POST", path+"/unmask", map[string]string{"reason": "审计抽查"}, c, csrf); a.status != http.StatusForbidden {
		t.Errorf("auditor unmask: %d", a.status)
	}
	if a := e.do("GET", "/api/v1/audit/security?kind="+civicgrid.EventUnmask, nil, c, ""); a.status != 200 || !strings.Contains(a.body, "上门核实漏水情况") {
		t.Errorf("auditor reads the unmask: %d %s", a.status, a.body)
	}
	c, csrf, _ = e.login(outsider.Phone, mxPassword)
	if a := e.do("POST", path+"/unmask", map[string]string{"reason": "查看"}, c, csrf); a.status != http.StatusForbidden {
		t.Errorf("outsider unmask: %d", a.status)
	}
}

func TestLoginBodiesAndGrantsOutOfScope(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{IPAttempts: 100})
	for _, tt := range []struct {
		name string
		body any
		want int
		says string
	}{
		{"oversized", `{"phone":"13900000001","password":"` + strings.Repeat("x", 9000) + `"}`, http.StatusRequestEntityTooLarge, "over"},
		{"malformed", `{"phone":`, http.StatusBadRequest, "malformed"},
		{"unknown field", `{"phone":"13900000001","password":"x","admin":true}`, http.StatusBadRequest, "unknown field"},
		{"no password", `{"phone":"13900000001"}`, http.StatusBadRequest, "password"},
		{"bad phone", `{"phone":"12345","password":"x"}`, http.StatusBadRequest, "phone"},
	} {
		a := e.do("POST", "/api/v1/auth/login", tt.body, "", "")
		if a.status != tt.want || !strings.Contains(a.body, tt.says) || a.header.Get("X-Test-Session") != "" {
			t.Errorf("%s: %d %s", tt.name, a.status, a.body)
		}
	}
	// Grants beyond the granter's scope or powers: 403, nothing stored,
	// a role.denied event.
	sec := e.account(civicgrid.RoleCommunitySecretary, e.chain.community)
	target := e.account(civicgrid.RoleResident, e.chain.building)
	c, csrf, _ := e.login(sec.Phone, mxPassword)
	for _, g := range []map[string]string{
		{"role": civicgrid.RoleVolunteer, "area_code": e.other.community},    // another community
		{"role": civicgrid.RoleDistrictAdmin, "area_code": e.chain.district}, // a role above the granter
	} {
		if a := e.do("POST", fmt.Sprintf("/api/v1/users/%d/grants", target.ID), g, c, csrf); a.status != http.StatusForbidden {
			t.Errorf("grant %v: %d %s", g, a.status, a.body)
		}
	}
	u, _ := e.db.UserByID(context.Background(), target.ID)
	if len(u.Grants) != 1 {
		t.Errorf("refused grants were stored: %+v", u.Grants)
	}
	if n := len(e.events(civicgrid.EventRoleDenied)); n != 2 {
		t.Errorf("%d role.denied events, want 2", n)
	}
}

func TestResidentSignupWithSMSCode(t *testing.T) {
	e := newAuthEnv(t, server.AuthConfig{IPAttempts: 100})
	phone := "13712345678"
	if a := e.do("POST", "/api/v1/auth/signup/code", map[string]string{"phone": phone}, "", ""); a.status/100 != 2 {
		t.Fatalf("send code: %d %s", a.status, a.body)
	}
	msg, _ := e.sms.Last(phone)
	code := ""
	for _, f := range strings.FieldsFunc(msg, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(f) == 6 {
			code = f
		}
	}
	if code == "" {
		t.Fatalf("no code in %q", msg)
	}
	body := map[string]string{"phone": phone, "code": "000000", "password": "楼下的桂花树-2026", "name": "李四", "building_code": e.chain.building}
	if a := e.do("POST", "/api/v1/auth/signup", body, "", ""); a.status/100 == 2 {
		t.Fatalf("a wrong code signed up: %d", a.status)
	}
	body["code"] = code
	a := e.do("POST", "/api/v1/auth/signup", body, "", "")
	if a.status/100 != 2 {
		t.Fatalf("signup: %d %s", a.status, a.body)
	}
	if _, _, a := e.login(phone, "楼下的桂花树-2026"); a.status != 200 {
		t.Fatalf("login after signup: %d %s", a.status, a.body)
	}
	rec, err := e.db.LoginRecordByPhone(context.Background(), phone)
	if err != nil || rec.User.Kind != civicgrid.KindResident || len(rec.User.Grants) != 1 || rec.User.Grants[0].AreaCode != e.chain.building {
		t.Errorf("signed-up user: %+v %v", rec.User, err)
	}
	// The development sender is refused in production mode.
	if _, err := sms.New(sms.Config{Kind: "dev", Production: true}, slog.Default()); err == nil {
		t.Error("the development SMS sender was allowed in production")
	}
}
