package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The sign-up, password reset and login pages run the public auth routes
// in process too, so the pages' forms are throttled, validated and logged
// exactly as the API's; what the route sets on its answer (the session
// cookie, Retry-After) is handed on to the page's answer.

// SendCode: POST /api/v1/auth/{purpose}/code (purpose signup or reset).
func (l *LocalAPI) SendCode(w http.ResponseWriter, r *http.Request, purpose, phone string) error {
	if purpose != purposeSignup && purpose != purposeReset {
		return civicgrid.Errorf(civicgrid.EINVALID, "unknown code purpose %q", purpose)
	}
	return l.callPassing(w, r, "POST", "/api/v1/auth/"+purpose+"/code", codeRequest{Phone: phone}, nil)
}

// Signup: POST /api/v1/auth/signup; on success the new resident is logged
// in (the session cookie is set on w).
func (l *LocalAPI) Signup(w http.ResponseWriter, r *http.Request, f civicgrid.Signup) error {
	req := signupRequest{Phone: f.Phone, Code: f.Code, Name: f.Name, Password: f.Password, BuildingCode: f.BuildingCode}
	return l.callPassing(w, r, "POST", "/api/v1/auth/signup", req, nil)
}

// ResetBySMS: POST /api/v1/auth/reset.
func (l *LocalAPI) ResetBySMS(w http.ResponseWriter, r *http.Request, phone, code, newPassword string) error {
	return l.callPassing(w, r, "POST", "/api/v1/auth/reset", resetRequest{Phone: phone, Code: code, Password: newPassword}, nil)
}

// callPassing is call that hands the route's cookies and Retry-After on to
// the page's answer w.
func (l *LocalAPI) callPassing(w http.ResponseWriter, from *http.Request, method, path string, body, out any) error {
	rec, err := l.run(from, method, path, body)
	if err != nil {
		return err
	}
	rec.pass(w)
	return rec.decode(method, path, out)
}

// pass sets the route's cookies and Retry-After on the page's answer.
func (rec *recorder) pass(w http.ResponseWriter) {
	for _, c := range rec.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	if ra := rec.header.Get("Retry-After"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
}

// Login: POST /api/v1/auth/login; on success the session cookie is set on
// w. A wrong login comes back as the error with what the route said about
// the attempts left.
func (l *LocalAPI) Login(w http.ResponseWriter, r *http.Request, phone, password string) (civicgrid.LoginAttempts, error) {
	rec, err := l.run(r, "POST", "/api/v1/auth/login", loginRequest{Phone: phone, Password: password})
	if err != nil {
		return civicgrid.LoginAttempts{}, err
	}
	rec.pass(w)
	var att civicgrid.LoginAttempts
	if rec.status == http.StatusUnauthorized {
		var ref LoginRefusal
		if json.Unmarshal(rec.body.Bytes(), &ref) == nil && ref.MaxFailures > 0 {
			att = civicgrid.LoginAttempts{Left: ref.AttemptsLeft, Max: ref.MaxFailures, LockFor: time.Duration(ref.LockSeconds) * time.Second}
			if ref.LockedUntil != nil {
				att.LockedUntil = *ref.LockedUntil
			}
		}
	}
	return att, rec.decode("POST", "/api/v1/auth/login", nil)
}
