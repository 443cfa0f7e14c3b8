package web

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// loginView is what the login page shows.
type loginView struct {
	Next    string // a local path to return to
	Error   string // headline of a failed attempt, in the page's language
	Detail  string // the server's reason (it names a lockout's end)
	Locked  bool
	Problem bool
	Notice  string // a password was just reset
}

// loginErrors maps the login API's error codes to message keys.
var loginErrors = map[string]string{
	"unauthorized": "login.error_wrong",
	"locked":       "login.error_locked",
	"throttled":    "login.error_throttled",
	"invalid":      "login.error_invalid",
	"too_large":    "login.error_invalid",
}

// localPath keeps the return address on this site.
func localPath(p string) string {
	local, ok := civicgrid.LocalRedirect(p)
	if !ok || strings.HasPrefix(local, "/login") {
		return "/"
	}
	return local
}

// handleLogin serves the login form. The form posts to the login API, which
// answers a form with a redirect: to next on success, back here with the
// reason on failure. The phone is not echoed back into the page.
func (ui *UI) handleLogin(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	q := r.URL.Query()
	p.Title = p.catalogue["login.title"]
	lv := &loginView{Next: localPath(q.Get("next"))}
	if q.Get("reset") == "1" {
		lv.Notice = p.catalogue["login.reset_done"]
	}
	if code := q.Get("error"); code != "" {
		key, ok := loginErrors[code]
		if !ok {
			key = "login.error_other"
		}
		lv.Error, lv.Problem, lv.Locked = p.catalogue[key], true, code == "locked"
		if len(q.Get("message")) <= 300 {
			lv.Detail = q.Get("message")
		}
	}
	p.Login = lv
	ui.render(w, http.StatusOK, "login", p)
}
