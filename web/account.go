package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Auth is the public account API (server.LocalAPI has it), run in process
// for the sign-up and password reset pages: every form goes through the
// API route's own throttle, checks and security log. What the route sets
// on its answer (the session cookie of a new resident, Retry-After) is set
// on w.
type Auth interface {
	SendCode(w http.ResponseWriter, r *http.Request, purpose, phone string) error
	Signup(w http.ResponseWriter, r *http.Request, s civicgrid.Signup) error
	ResetBySMS(w http.ResponseWriter, r *http.Request, phone, code, newPassword string) error
	Login(w http.ResponseWriter, r *http.Request, phone, password string) (civicgrid.LoginAttempts, error)
}

// registerAccount adds the login form's handler and the sign-up and
// password reset pages when the UI has the account API. Both work without JavaScript: plain forms, and
// every answer a whole page.
func (ui *UI) registerAccount(mux *http.ServeMux) {
	if ui.cfg.Auth == nil {
		return
	}
	mux.HandleFunc("POST /login", ui.handleLoginPost)
	mux.HandleFunc("GET /signup", ui.handleAccountForm("signup"))
	mux.HandleFunc("POST /signup/code", ui.handleSendCode("signup"))
	mux.HandleFunc("POST /signup", ui.handleSignup)
	mux.HandleFunc("GET /reset", ui.handleAccountForm("reset"))
	mux.HandleFunc("POST /reset/code", ui.handleSendCode("reset"))
	mux.HandleFunc("POST /reset", ui.handleReset)
}

// codeView is what the sign-up and reset pages show: the two steps (ask
// for a code; give it with the rest) as two forms on one page.
type codeView struct {
	Mode     string // signup or reset
	Next     string // a local path to go to after signing up
	Phone    string // echoed back into both forms
	Name     string
	Building string
	SentTo   string // the masked phone a code was just sent to
	DevSMS   bool   // codes are only written to the server's log
	Error    string
	Field    string // the field the error is about: phone, code, name, password, building
}

// problemFields maps the auth API's problem kinds to the page's message
// and the field it concerns; password kinds are "password_" + a reason.
var problemFields = map[string][2]string{
	"phone":       {"account.err_phone", "phone"},
	"name":        {"account.err_name", "name"},
	"building":    {"account.err_building", "building"},
	"code":        {"account.err_code", "code"},
	"phone_taken": {"account.err_phone_taken", "phone"},
	"no_account":  {"account.err_no_account", "phone"},
}

func (ui *UI) newCodePage(w http.ResponseWriter, r *http.Request, mode string) (*page, *codeView) {
	p := ui.newPage(w, r)
	p.Title = p.catalogue["account."+mode+"_title"]
	p.NoStore = true
	cv := &codeView{Mode: mode, Next: localPath(r.FormValue("next")), DevSMS: ui.cfg.DevSMS}
	if cv.Next == "/" {
		cv.Next = ""
	}
	p.Code = cv
	return p, cv
}

// explain puts an API refusal into the page's words.
func (ui *UI) explain(w http.ResponseWriter, p *page, cv *codeView, err error) {
	key := "account.err_other"
	switch civicgrid.ErrorCode(err) {
	case civicgrid.ETHROTTLED:
		key = "account.err_throttled"
	case civicgrid.EINVALID, civicgrid.ECONFLICT:
		if e, ok := err.(*civicgrid.Error); ok && len(e.Problems) > 0 {
			kind := e.Problems[0].Kind
			if reason, ok := strings.CutPrefix(kind, "password_"); ok {
				cv.Field = "password"
				key = "account.err_password_" + reason
				if _, known := p.catalogue[key]; !known {
					key = "account.err_password"
				}
			} else if f, ok := problemFields[kind]; ok {
				key, cv.Field = f[0], f[1]
			}
		}
	}
	wait := w.Header().Get("Retry-After")
	if _, err := strconv.Atoi(wait); err != nil {
		wait = "60"
	}
	cv.Error, _ = p.T(key, "seconds", wait)
}

func (ui *UI) handleAccountForm(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, cv := ui.newCodePage(w, r, mode)
		cv.Phone = strings.TrimSpace(r.URL.Query().Get("phone"))
		ui.render(w, http.StatusOK, "account", p)
	}
}

// handleSendCode asks the API to text a code and shows the page again with
// the phone filled in, ready for the code.
func (ui *UI) handleSendCode(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := parseAdminForm(w, r); !ok {
			return
		}
		p, cv := ui.newCodePage(w, r, mode)
		cv.Phone = strings.TrimSpace(r.PostFormValue("phone"))
		status := http.StatusOK
		if err := ui.cfg.Auth.SendCode(w, r, mode, cv.Phone); err != nil {
			ui.explain(w, p, cv, err)
			status = refusalStatus(err)
		} else {
			cv.SentTo = civicgrid.MaskPhone(cv.Phone)
		}
		ui.render(w, status, "account", p)
	}
}

func (ui *UI) handleSignup(w http.ResponseWriter, r *http.Request) {
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	p, cv := ui.newCodePage(w, r, "signup")
	cv.Phone, cv.Name, cv.Building = strings.TrimSpace(f.Get("phone")), strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("building_code"))
	err := ui.cfg.Auth.Signup(w, r, civicgrid.Signup{Phone: cv.Phone, Code: strings.TrimSpace(f.Get("code")), Name: cv.Name,
		Password: f.Get("password"), BuildingCode: normalizeCode(cv.Building)})
	if err != nil {
		ui.explain(w, p, cv, err)
		ui.render(w, refusalStatus(err), "account", p)
		return
	}
	next := cv.Next
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (ui *UI) handleReset(w http.ResponseWriter, r *http.Request) {
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	p, cv := ui.newCodePage(w, r, "reset")
	cv.Phone = strings.TrimSpace(f.Get("phone"))
	if err := ui.cfg.Auth.ResetBySMS(w, r, cv.Phone, strings.TrimSpace(f.Get("code")), f.Get("password")); err != nil {
		ui.explain(w, p, cv, err)
		ui.render(w, refusalStatus(err), "account", p)
		return
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}

// refusalStatus is the status of a page showing a refused form: 422 for
// what the person typed (the form is shown again to correct), else as the
// admin pages answer.
func refusalStatus(err error) int {
	switch civicgrid.ErrorCode(err) {
	case civicgrid.EINVALID, civicgrid.ECONFLICT:
		return http.StatusUnprocessableEntity
	case civicgrid.ETHROTTLED:
		return http.StatusTooManyRequests
	}
	return statusOf(err)
}
