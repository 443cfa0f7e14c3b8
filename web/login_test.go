package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

func TestLoginPage(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	res := get(t, mux, "/login?next=/grids/420102001001001")
	b := body(t, res)
	for _, want := range []string{`action="/api/v1/auth/login"`, `name="next" value="/grids/420102001001001"`, `type="tel"`,
		`autocomplete="current-password"`, `<label for="login-phone">`, `<label for="login-password">`} {
		if !strings.Contains(b, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if res.StatusCode != 200 || strings.Contains(b, `role="alert">`+"\n    <p") {
		t.Errorf("clean login page: %d", res.StatusCode)
	}
	// Only local return paths.
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil", "/login", "/./%5Cevil.example/", "/%09/evil.example/"} {
		b := body(t, get(t, mux, "/login?next="+next))
		if !strings.Contains(b, `name="next" value="/"`) {
			t.Errorf("next=%s was not replaced by /", next)
		}
	}
}

func TestLoginPageShowsTheReason(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	for _, tt := range []struct{ lang, code, want string }{
		{"zh-CN", "unauthorized", "手机号或密码不正确"},
		{"en", "unauthorized", "Wrong mobile number or password"},
		{"zh-CN", "locked", "账号已暂时锁定"},
		{"zh-CN", "throttled", "尝试次数过多"},
		{"en", "whatever", "Login failed"},
	} {
		res := get(t, mux, "/login?lang="+tt.lang+"&error="+tt.code+"&message=until+2026-11-23+10:00")
		b := body(t, res)
		if res.StatusCode != http.StatusOK || !strings.Contains(b, tt.want) || !strings.Contains(b, `aria-invalid="true"`) {
			t.Errorf("%s %s: %d, want %q in the alert", tt.lang, tt.code, res.StatusCode, tt.want)
		}
		// The API's English message is never shown: the page says it in
		// its own language.
		if strings.Contains(b, "until 2026-11-23 10:00") {
			t.Errorf("%s %s: the server's message is on the page", tt.lang, tt.code)
		}
	}
}

func TestAccountInHeader(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	// Anonymous: a login link returning to this page.
	b := body(t, get(t, mux, "/grids/420102001001001"))
	if !strings.Contains(b, `href="/login?next=%2fgrids%2f420102001001001"`) && !strings.Contains(b, `href="/login?next=%2Fgrids%2F420102001001001"`) {
		t.Errorf("no login link back to the page")
	}
	// Logged in: masked name, role names, a logout form with the CSRF token.
	actor := civicgrid.Actor{UserID: 7, Name: "王小明", Phone: "13700001111", Via: "session", CSRFToken: "tok-123",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}}}
	for lang, role := range map[string]string{"zh-CN": "网格员", "en": "Grid worker"} {
		req := httptest.NewRequest("GET", "/grids/420102001001001?lang="+lang, nil)
		req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), actor))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		b := rec.Body.String()
		for _, want := range []string{"王**", role, `action="/api/v1/auth/logout"`, `name="csrf_token" value="tok-123"`} {
			if !strings.Contains(b, want) {
				t.Errorf("%s: header lacks %s", lang, want)
			}
		}
		if strings.Contains(b, "王小明") || strings.Contains(b, "13700001111") {
			t.Errorf("%s: unmasked name or phone in the header", lang)
		}
	}
	// An API token's actor is not a browser session: no account shown.
	req := httptest.NewRequest("GET", "/login", nil)
	req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), civicgrid.Actor{TokenID: 3, Via: "token"}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "logout") {
		t.Error("a token actor got a logout button")
	}
}
