package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// loginView is what the login page shows.
type loginView struct {
	Action  string // where the form posts: this page, or the API without it
	Next    string // a local path to return to
	Phone   string // kept after a refusal
	Error   string // headline of a failed attempt, in the page's language
	Detail  string // attempts left, or until when the phone is locked here
	Locked  bool
	Problem bool
	Notice  string // a password was just reset
}

// loginErrors maps the login API's error codes to message keys. The API's
// own messages are English and never shown on the page.
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

func (ui *UI) newLoginPage(w http.ResponseWriter, r *http.Request, next string) (*page, *loginView) {
	p := ui.newPage(w, r)
	p.Title = p.catalogue["login.title"]
	lv := &loginView{Action: "/api/v1/auth/login", Next: localPath(next)}
	if ui.cfg.Auth != nil {
		lv.Action = "/login"
	}
	p.Login = lv
	return p, lv
}

// handleLogin serves the login form. With the account API the form posts
// back here (handleLoginPost); without it, to the login API, which
// answers a form with a redirect: to next on success, back here with the
// error code on failure.
func (ui *UI) handleLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, lv := ui.newLoginPage(w, r, q.Get("next"))
	if q.Get("reset") == "1" {
		lv.Notice = p.catalogue["login.reset_done"]
	}
	if code := q.Get("error"); code != "" {
		lv.explain(p, code, civicgrid.LoginAttempts{}, "")
	}
	ui.render(w, http.StatusOK, "login", p)
}

// handleLoginPost logs in through the login API in process and, when it
// refuses, shows the page again with the phone kept, the reason in the
// page's language, and the attempts left or the end of the lock in the
// page's language and time zone (Beijing time).
func (ui *UI) handleLoginPost(w http.ResponseWriter, r *http.Request) {
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	p, lv := ui.newLoginPage(w, r, f.Get("next"))
	lv.Phone = strings.TrimSpace(f.Get("phone"))
	att, err := ui.cfg.Auth.Login(w, r, lv.Phone, f.Get("password"))
	if err == nil {
		http.Redirect(w, r, lv.Next, http.StatusSeeOther)
		return
	}
	code := civicgrid.ErrorCode(err)
	lv.explain(p, code, att, w.Header().Get("Retry-After"))
	status := refusalStatus(err)
	if code == civicgrid.EUNAUTHORIZED {
		status = http.StatusUnauthorized
	}
	ui.render(w, status, "login", p)
}

// explain says why a login failed, in the page's words.
func (lv *loginView) explain(p *page, code string, att civicgrid.LoginAttempts, retryAfter string) {
	key, ok := loginErrors[code]
	if !ok {
		key = "login.error_other"
	}
	lv.Error, lv.Problem, lv.Locked = p.catalogue[key], true, code == civicgrid.ELOCKED
	switch {
	case code == civicgrid.ETHROTTLED:
		if secs, err := strconv.Atoi(retryAfter); err == nil {
			lv.Detail, _ = p.T("login.retry_after", "seconds", secs)
		}
	case code != civicgrid.EUNAUTHORIZED || att.Max == 0:
	case !att.LockedUntil.IsZero():
		lv.Locked = true
		lv.Detail, _ = p.T("login.locked_until", "max", att.Max, "until", p.clock(att.LockedUntil))
	default:
		lv.Detail, _ = p.T("login.attempts_left", "left", att.Left, "max", att.Max, "minutes", int((att.LockFor+time.Minute-1)/time.Minute))
	}
}

// clock shows a time to the minute in the page's language, in Beijing
// time (the time zone of every deployment's people), saying so.
func (p *page) clock(t time.Time) string {
	t = t.In(civicgrid.Beijing)
	if p.Lang == "en" {
		return t.Format("15:04 on 2 Jan 2006") + " (Beijing time, UTC+8)"
	}
	return t.Format("2006年1月2日 15:04") + "（北京时间）"
}
