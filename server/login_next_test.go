package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
)

// loginNextEnv is a server with one account, for form logins with a next.
type loginNextEnv struct {
	h     http.Handler
	phone string
}

func newLoginNextEnv(t testing.TB) *loginNextEnv {
	db, loc, _ := openDemoStore(t)
	// The fuzzer logs in many times from one address.
	s := server.New(server.Config{Auth: server.AuthConfig{Password: mxPasswordParams, IPAttempts: 1 << 30},
		SMS: sms.NewDevSender(slog.New(slog.DiscardHandler))}, db, loc)
	hash, err := password.Hash(mxPassword, mxPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	phone := "13900000001"
	if _, err := db.CreateUser(context.Background(), civicgrid.User{Name: "欧阳娜", Phone: phone}, hash,
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: newMatrixChains(t, demoCity(t))[0].building}}, civicgrid.SecurityEvent{}); err != nil {
		t.Fatal(err)
	}
	return &loginNextEnv{h: s.Handler(), phone: phone}
}

// login posts the login form with next, as the account or (right false) as
// an unknown phone, so that failures never lock the account, and returns
// where the browser is sent.
func (e *loginNextEnv) login(next string, right bool) string {
	form := url.Values{"phone": {e.phone}, "password": {mxPassword}, "next": {next}}
	if !right {
		form.Set("phone", "13900000099")
	}
	req := httptest.NewRequest("POST", "http://civic.example/api/v1/auth/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Header().Get("Location")
}

// landsOnSite reports whether a browser sent to location stays on
// civic.example, reading the address as browsers do: tabs and newlines
// dropped, backslashes taken for slashes, leading and trailing spaces and
// controls trimmed.
func landsOnSite(location string) bool {
	for i := 0; i < len(location); i++ {
		if c := location[i]; c < ' ' || c == 0x7f {
			return false // no control character belongs in a Location
		}
	}
	asRead := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(strings.Trim(location, "\x00 "))
	u, err := url.Parse(asRead)
	if err != nil {
		return false
	}
	base, _ := url.Parse("http://civic.example/api/v1/auth/login")
	to := base.ResolveReference(u)
	return to.Scheme == "http" && to.Host == "civic.example" && !strings.HasPrefix(to.EscapedPath(), "//")
}

// Item: next=/./\evil.example/ and next=/<TAB>/evil.example/ sent the
// browser off-site after logging in.
func TestLoginNextStaysOnSite(t *testing.T) {
	e := newLoginNextEnv(t)
	for _, next := range []string{"/./\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "//evil.example/",
		"/.//evil.example", "/%09/evil.example", "https://evil.example/", "/../\\evil.example", " //evil.example", "/\x00/evil.example",
		"/a/../..//evil.example", "http:/evil.example", "/\u3000/evil.example"} {
		for _, right := range []bool{true, false} {
			if loc := e.login(next, right); !landsOnSite(loc) {
				t.Errorf("next %q (login succeeds: %v) sends the browser to %q", next, right, loc)
			}
		}
	}
	for next, want := range map[string]string{"/grids/420102001001001": "/grids/420102001001001", "/queue?within=420102": "/queue?within=420102",
		"/a/./b/../c/": "/a/c/", "/./\\evil.example/": "/"} {
		if loc := e.login(next, true); loc != want {
			t.Errorf("next %q: sent to %q, want %q", next, loc, want)
		}
	}
}

// FuzzLoginNext: whatever next a login form carries, the browser stays on
// the site, after a success and after a failure.
func FuzzLoginNext(f *testing.F) {
	for _, s := range []string{"/", "/grids/420102001001001", "/./\\evil.example/", "/\t/evil.example/", "//evil.example", "/%2F%2Fevil",
		"/a?next=//evil", "/..", "\\\\evil", "/\u2215evil", "/\uff0fevil"} {
		f.Add(s, true)
	}
	e := newLoginNextEnv(f)
	f.Fuzz(func(t *testing.T, next string, succeed bool) {
		if loc := e.login(next, succeed); !landsOnSite(loc) {
			t.Errorf("next %q sends the browser to %q", next, loc)
		}
	})
}
