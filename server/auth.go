package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/sms"
)

// AuthConfig holds the login and session settings.
type AuthConfig struct {
	SessionTTL   time.Duration // absolute lifetime of a session
	SessionIdle  time.Duration // a session unused this long ends
	MaxFailures  int           // failed passwords in a row that lock an account
	LockFor      time.Duration // how long a lockout lasts
	IPAttempts   int           // login attempts per IP per IPWindow before 429
	IPWindow     time.Duration
	SecureCookie bool // mark cookies Secure even when TLS ends at a proxy
	TrustProxy   bool // take the client address from X-Forwarded-For (last hop)
	Password     password.Params
	CodeTTL      time.Duration // life of an SMS one-time code
	CodeGap      time.Duration // minimum time between two codes to one phone
	CodeAttempts int           // wrong guesses that kill a code
	// StreamRecheck is how often an open live stream checks its session or
	// token again (changes made on this instance are seen at once).
	StreamRecheck time.Duration
}

func (c *AuthConfig) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.SessionTTL, 12*time.Hour)
	set(&c.SessionIdle, 2*time.Hour)
	set(&c.LockFor, 15*time.Minute)
	set(&c.IPWindow, time.Minute)
	set(&c.CodeTTL, 10*time.Minute)
	set(&c.CodeGap, time.Minute)
	set(&c.StreamRecheck, 15*time.Second)
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.IPAttempts <= 0 {
		c.IPAttempts = 20
	}
	if c.CodeAttempts <= 0 {
		c.CodeAttempts = 5
	}
	if c.Password.Memory == 0 {
		c.Password = password.Default
	}
}

const (
	sessionCookie = "cg_session"
	oidcCookie    = "cg_oidc"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
	maxAuthBody   = 8 << 10
	// maxMultipartBody bounds a form with files: a notice's four PDFs of
	// 10 MiB and its text.
	maxMultipartBody = 41 << 20
	purposeSignup    = "signup"
	purposeReset     = "reset"
)

type principalKey struct{}

// principal is who a request comes from, as the identify middleware found.
type principal struct {
	actor   civicgrid.Actor
	secret  string // session cookie secret, for logout and rotation
	token   string // bearer token secret, for streams to check again
	authErr error  // why a credential that was sent did not work
}

func actorFrom(r *http.Request) civicgrid.Actor { return civicgrid.ActorFromContext(r.Context()) }

func principalFrom(r *http.Request) principal {
	p, _ := r.Context().Value(principalKey{}).(principal)
	return p
}

func authErrorFrom(r *http.Request) error { return principalFrom(r).authErr }

// identify finds the actor behind a request (bearer token or session cookie)
// and enforces CSRF protection on cookie-authenticated writes. Requests with
// no or bad credentials continue as anonymous; guarded routes refuse them.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p principal
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || secret == "" {
				writeError(w, r, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "Authorization header must be 'Bearer <token>'"))
				return
			}
			actor, err := s.tokenActor(ctx, secret)
			if err != nil {
				// A bad token is never silently downgraded to anonymous.
				writeError(w, r, err)
				return
			}
			p.actor, p.token = actor, secret
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			p.secret = c.Value
			actor, err := s.sessionActor(ctx, c.Value)
			if err != nil {
				if civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
					writeError(w, r, err)
					return
				}
				p.authErr = err
				p.secret = ""
				s.clearCookie(w, r, sessionCookie)
			} else {
				p.actor = actor
				if !safeMethod(r.Method) && !s.csrfOK(r, actor.CSRFToken) {
					s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventCSRFRejected, Outcome: civicgrid.OutcomeDenied,
						ActorID: actor.UserID, Actor: actor.Label(), Detail: r.Method + " " + r.URL.Path})
					writeError(w, r, civicgrid.Errorf(civicgrid.EFORBIDDEN, "missing or wrong CSRF token: send the %s header (or a %s form field) with the token from GET /api/v1/me", csrfHeader, csrfField))
					return
				}
			}
		}
		ctx = context.WithValue(ctx, principalKey{}, p)
		ctx = civicgrid.NewContextWithActor(ctx, p.actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK checks the synchronizer token of a cookie-authenticated write. Form
// posts carry it as a field; the body is then parsed here, within its limit.
func (s *Server) csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/x-www-form-urlencoded":
			r.Body = http.MaxBytesReader(nil, r.Body, maxAuthBody)
			if err := r.ParseForm(); err == nil {
				got = r.PostForm.Get(csrfField)
			}
		case "multipart/form-data":
			// A form with files (a notice's PDFs): parsed within its
			// bound, files past 1 MiB kept in temporary files that the
			// server removes when the request ends.
			r.Body = http.MaxBytesReader(nil, r.Body, maxMultipartBody)
			if err := r.ParseMultipartForm(1 << 20); err == nil {
				got = r.PostForm.Get(csrfField)
			}
		}
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// tokenActor authenticates a bearer token and checks it against its
// creator as they are now, at every use: a revoked grant or an admin's
// password reset ends what the creator's tokens may do at once.
func (s *Server) tokenActor(ctx context.Context, secret string) (civicgrid.Actor, error) {
	tok, err := s.store.AuthenticateAPIToken(ctx, secret)
	if err != nil {
		return civicgrid.Actor{}, err
	}
	var creator civicgrid.User
	if tok.CreatedBy != 0 {
		creator, err = s.store.UserByID(ctx, tok.CreatedBy)
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return civicgrid.Actor{}, err
		}
	}
	return tok.ActorFor(creator)
}

func (s *Server) sessionActor(ctx context.Context, secret string) (civicgrid.Actor, error) {
	sess, u, err := s.store.SessionUser(ctx, secret, s.cfg.Auth.SessionIdle)
	if err != nil {
		return civicgrid.Actor{}, err
	}
	a := u.Actor()
	a.SessionID, a.CSRFToken = sess.ID, sess.CSRFToken
	return a, nil
}

// clientIP is the address a request came from.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.Auth.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit appends a security event with the request's address. A failure to
// record is logged: the request's own outcome stands.
func (s *Server) audit(r *http.Request, ev civicgrid.SecurityEvent) {
	if err := s.store.AppendSecurityEvent(r.Context(), s.event(r, ev)); err != nil {
		slog.ErrorContext(r.Context(), "security audit write failed", "kind", ev.Kind, "err", err)
	}
}

// event fills in the request's address and, when missing, the actor.
func (s *Server) event(r *http.Request, ev civicgrid.SecurityEvent) civicgrid.SecurityEvent {
	ev.IP = s.clientIP(r)
	if ev.Actor == "" {
		a := actorFrom(r)
		ev.ActorID, ev.Actor = a.UserID, a.Label()
	}
	return ev
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/",
		MaxAge:   int(s.cfg.Auth.SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.Auth.SecureCookie || r.TLS != nil,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.Auth.SecureCookie || r.TLS != nil})
}

// decodeAuthBody reads a small JSON or form body into v (form fields by json tag).
func decodeAuthBody(w http.ResponseWriter, r *http.Request, v any) (form bool, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return true, bodyError(err)
		}
		m := map[string]string{}
		for k := range r.PostForm {
			m[k] = r.PostForm.Get(k)
		}
		b, _ := json.Marshal(m)
		return true, json.Unmarshal(b, v)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, bodyError(err)
	}
	return false, nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return civicgrid.Errorf(civicgrid.ETOOLARGE, "request body over %d bytes", tooBig.Limit)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return civicgrid.Errorf(civicgrid.EINVALID, "the request body did not arrive in time")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return civicgrid.Errorf(civicgrid.EINVALID, "malformed JSON at byte %d: %v", syn.Offset, err)
	}
	return civicgrid.Errorf(civicgrid.EINVALID, "malformed request body: %v", err)
}

type loginRequest struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Next     string `json:"next"` // form logins: where to go afterwards
}

type sessionResponse struct {
	User               civicgrid.User `json:"user"`
	CSRFToken          string         `json:"csrf_token"`
	MustChangePassword bool           `json:"must_change_password"`
	ExpiresAt          time.Time      `json:"expires_at"`
}

// handleLogin: POST /api/v1/auth/login with phone and password (JSON, or a
// form from the login page, which is redirected to next on success).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	form, err := decodeAuthBody(w, r, &req)
	if err != nil {
		s.loginError(w, r, form, req.Next, err)
		return
	}
	if err := s.throttle(w, r, true); err != nil {
		s.loginError(w, r, form, req.Next, err)
		return
	}
	phone, perr := sms.Normalize(req.Phone)
	if perr != nil || req.Password == "" {
		s.loginError(w, r, form, req.Next, civicgrid.Errorf(civicgrid.EINVALID, "give a mobile phone number (11 digits) and a password"))
		return
	}
	// Unknown phones, wrong passwords and locked accounts get one answer,
	// in the same time, so that a login says nothing about who has an
	// account; the lockout rule is part of it.
	wrong := civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "wrong phone number or password; after %d wrong passwords in a row an account is locked for %s (your community office or an admin can unlock it sooner)",
		s.cfg.Auth.MaxFailures, lockoutWords(s.cfg.Auth.LockFor))
	// Attempts left are counted per phone and client address, the same for
	// every phone, so telling them reveals nothing about accounts.
	pair := phone + " " + s.clientIP(r)
	refuse := func() {
		left, until := s.loginFails.fail(pair, s.now())
		s.loginRefused(w, r, form, req.Next, wrong, left, until)
	}
	rec, err := s.store.LoginRecordByPhone(r.Context(), phone)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		password.DummyVerify(req.Password) // the same time as a real check
		s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginFailed, Outcome: civicgrid.OutcomeFailed,
			Actor: civicgrid.MaskPhone(phone), Detail: "unknown phone"})
		refuse()
		return
	} else if err != nil {
		s.loginError(w, r, form, req.Next, err)
		return
	}
	u := rec.User
	label := civicgrid.MaskName(u.Name) + " " + civicgrid.MaskPhone(u.Phone)
	area := firstArea(u)
	if until := u.LockedUntil; !until.IsZero() && s.now().Before(until) {
		password.DummyVerify(req.Password)
		s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginFailed, Outcome: civicgrid.OutcomeDenied,
			ActorID: u.ID, Actor: label, TargetUserID: u.ID, AreaCode: area, Detail: "account locked"})
		refuse()
		return
	}
	ok := false
	rehash := false
	if rec.PasswordHash != "" {
		ok, rehash, err = password.Verify(req.Password, rec.PasswordHash, s.cfg.Auth.Password)
		if err != nil {
			slog.ErrorContext(r.Context(), "stored password hash unreadable", "user", u.ID, "err", err)
			ok = false
		}
	} else {
		password.DummyVerify(req.Password)
	}
	if !ok {
		ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginFailed, Outcome: civicgrid.OutcomeFailed,
			ActorID: u.ID, Actor: label, AreaCode: area, Detail: "wrong password"})
		if _, _, err := s.store.RecordLoginFailure(r.Context(), u.ID, s.cfg.Auth.MaxFailures, s.cfg.Auth.LockFor, ev); err != nil {
			s.loginError(w, r, form, req.Next, err)
			return
		}
		refuse()
		return
	}
	if rehash {
		if h, err := password.Hash(req.Password, s.cfg.Auth.Password); err == nil {
			err = s.store.SetPassword(r.Context(), u.ID, h, u.MustChangePassword, civicgrid.SecurityEvent{})
			if err != nil {
				slog.WarnContext(r.Context(), "password rehash failed", "user", u.ID, "err", err)
			}
		}
	}
	resp, err := s.startSession(w, r, u, "password", civicgrid.EventLoginOK)
	if err != nil {
		s.loginError(w, r, form, req.Next, err)
		return
	}
	s.loginFails.forget(pair)
	if form {
		http.Redirect(w, r, localPath(req.Next, "/"), http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// startSession ends the request's old session, if any, and opens a new one:
// a session id is never carried across a login (no session fixation).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u civicgrid.User, via, kind string) (sessionResponse, error) {
	if old := principalFrom(r).secret; old != "" {
		if err := s.store.DeleteSession(r.Context(), old, nil); err != nil {
			return sessionResponse{}, err
		}
		s.hub.credentialsChanged()
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		// A cookie that failed to authenticate is discarded all the same.
		_ = s.store.DeleteSession(r.Context(), c.Value, nil)
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: kind, ActorID: u.ID, Actor: civicgrid.MaskName(u.Name) + " " + civicgrid.MaskPhone(u.Phone),
		AreaCode: firstArea(u), Detail: "via " + via})
	secret, sess, err := s.store.CreateSession(r.Context(), civicgrid.Session{
		UserID: u.ID, Via: via, ExpiresAt: s.now().Add(s.cfg.Auth.SessionTTL), IP: ev.IP, UserAgent: r.UserAgent(),
	}, ev)
	if err != nil {
		return sessionResponse{}, err
	}
	s.setSessionCookie(w, r, secret)
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	return sessionResponse{User: u.Masked(), CSRFToken: sess.CSRFToken, MustChangePassword: u.MustChangePassword, ExpiresAt: sess.ExpiresAt}, nil
}

var beijing = time.FixedZone("UTC+8", 8*3600)

// lockoutWords says how long a lockout lasts, in minutes or hours.
func lockoutWords(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}

// firstArea is where a person's security events are filed for auditors.
func firstArea(u civicgrid.User) string {
	if len(u.Grants) == 0 {
		return ""
	}
	return u.Grants[0].AreaCode
}

// loginError answers a failed login: JSON for the API, a redirect back to the
// login page (with the reason) for forms.
func (s *Server) loginError(w http.ResponseWriter, r *http.Request, form bool, next string, err error) {
	if !form {
		writeError(w, r, err)
		return
	}
	q := url.Values{"error": {civicgrid.ErrorCode(err)}, "message": {civicgrid.ErrorMessage(err)}}
	if next != "" {
		q.Set("next", localPath(next, "/"))
	}
	http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
}

// LoginRefusal is the answer to a wrong login: the error, and how many
// wrong passwords in a row this client may still give for this phone
// before it is locked (and, once it is, until when). Counted per phone and
// client address, whether or not the phone has an account.
type LoginRefusal struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	AttemptsLeft int        `json:"attempts_left"`
	MaxFailures  int        `json:"max_failures"`
	LockSeconds  int        `json:"lock_seconds"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
}

// loginRefused answers a wrong login (401) with the attempts left.
func (s *Server) loginRefused(w http.ResponseWriter, r *http.Request, form bool, next string, err error, left int, until time.Time) {
	if form {
		s.loginError(w, r, form, next, err)
		return
	}
	var body LoginRefusal
	body.Error.Code, body.Error.Message = civicgrid.ErrorCode(err), civicgrid.ErrorMessage(err)
	body.AttemptsLeft, body.MaxFailures, body.LockSeconds = max(left, 0), s.cfg.Auth.MaxFailures, int(s.cfg.Auth.LockFor.Seconds())
	if !until.IsZero() {
		u := until.UTC()
		body.LockedUntil = &u
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="civicgrid"`)
	writeJSON(w, http.StatusUnauthorized, body)
}

// localPath keeps redirects on this site.
func localPath(p, fallback string) string {
	if local, ok := civicgrid.LocalRedirect(p); ok {
		return local
	}
	return fallback
}

// handleLogout: POST /api/v1/auth/logout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r)
	if p.secret != "" {
		ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventLogout, TargetUserID: p.actor.UserID})
		if err := s.store.DeleteSession(r.Context(), p.secret, &ev); err != nil {
			writeError(w, r, err)
			return
		}
		s.hub.credentialsChanged()
	}
	s.clearCookie(w, r, sessionCookie)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type codeRequest struct {
	Phone string `json:"phone"`
}

// handleSendCode: POST /api/v1/auth/{signup,reset}/code sends a one-time code
// by SMS. The answer is the same whether or not the phone has an account.
func (s *Server) handleSendCode(purpose string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req codeRequest
		if _, err := decodeAuthBody(w, r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.throttle(w, r, false); err != nil {
			writeError(w, r, err)
			return
		}
		phone, err := sms.Normalize(req.Phone)
		if err != nil {
			writeError(w, r, authProblem(problemPhone, "phone: %v", err))
			return
		}
		code, err := sixDigits()
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.store.CreateOneTimeCode(r.Context(), phone, purpose, code, s.cfg.Auth.CodeTTL, s.cfg.Auth.CodeGap); err != nil {
			if civicgrid.ErrorCode(err) == civicgrid.ETHROTTLED {
				w.Header().Set("Retry-After", fmt.Sprint(int(s.cfg.Auth.CodeGap.Seconds())))
			}
			writeError(w, r, err)
			return
		}
		what := "注册"
		if purpose == purposeReset {
			what = "重置密码"
		}
		msg := fmt.Sprintf("您的%s验证码是%s，%d分钟内有效。如非本人操作请忽略。", what, code, int(s.cfg.Auth.CodeTTL.Minutes()))
		if err := s.cfg.SMS.Send(r.Context(), phone, msg); err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINTERNAL, "sending the SMS failed: %v", err))
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"sent": true, "expires_in_seconds": int(s.cfg.Auth.CodeTTL.Seconds())})
	}
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

type signupRequest struct {
	Phone        string `json:"phone"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Password     string `json:"password"`
	BuildingCode string `json:"building_code"`
}

// handleSignup: POST /api/v1/auth/signup makes a resident account from a
// phone verified by SMS code, and logs it in.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	var req signupRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.throttle(w, r, false); err != nil {
		writeError(w, r, err)
		return
	}
	phone, err := sms.Normalize(req.Phone)
	if err != nil {
		writeError(w, r, authProblem(problemPhone, "phone: %v", err))
		return
	}
	name := strings.TrimSpace(req.Name)
	if n := len([]rune(name)); n == 0 || n > 40 {
		writeError(w, r, authProblem(problemName, "name: give 1 to 40 characters"))
		return
	}
	if err := password.Validate(req.Password, phone); err != nil {
		writeError(w, r, passwordProblem(err))
		return
	}
	var grants []civicgrid.RoleGrant
	if req.BuildingCode != "" {
		a, err := s.store.AreaByCode(r.Context(), req.BuildingCode)
		if err != nil || a.Level != civicgrid.LevelBuilding {
			writeError(w, r, authProblem(problemBuilding, "building_code: %q is not a building", req.BuildingCode))
			return
		}
		grants = append(grants, civicgrid.RoleGrant{Role: civicgrid.RoleResident, AreaCode: a.Code})
	}
	if err := s.store.ConsumeOneTimeCode(r.Context(), phone, purposeSignup, req.Code, s.cfg.Auth.CodeAttempts); err != nil {
		writeError(w, r, codeProblem(err))
		return
	}
	hash, err := password.Hash(req.Password, s.cfg.Auth.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	area := ""
	if len(grants) > 0 {
		area = grants[0].AreaCode
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventSignup, Actor: civicgrid.MaskName(name) + " " + civicgrid.MaskPhone(phone), AreaCode: area})
	u, err := s.store.CreateUser(r.Context(), civicgrid.User{Name: name, Phone: phone, Kind: civicgrid.KindResident}, hash, grants, ev)
	if civicgrid.ErrorCode(err) == civicgrid.ECONFLICT {
		// Said only after the code proved the phone is the caller's.
		writeError(w, r, &civicgrid.Error{Code: civicgrid.ECONFLICT, Message: civicgrid.ErrorMessage(err),
			Problems: []civicgrid.Problem{{Index: -1, Kind: problemPhoneTaken, Detail: civicgrid.ErrorMessage(err)}}})
		return
	} else if err != nil {
		writeError(w, r, err)
		return
	}
	resp, err := s.startSession(w, r, u, "password", civicgrid.EventLoginOK)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

type resetRequest struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// handleResetBySMS: POST /api/v1/auth/reset sets a new password for the
// phone's account after an SMS code; it also ends a lockout.
func (s *Server) handleResetBySMS(w http.ResponseWriter, r *http.Request) {
	var req resetRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.throttle(w, r, false); err != nil {
		writeError(w, r, err)
		return
	}
	phone, err := sms.Normalize(req.Phone)
	if err != nil {
		writeError(w, r, authProblem(problemPhone, "phone: %v", err))
		return
	}
	if err := password.Validate(req.Password, phone); err != nil {
		writeError(w, r, passwordProblem(err))
		return
	}
	if err := s.store.ConsumeOneTimeCode(r.Context(), phone, purposeReset, req.Code, s.cfg.Auth.CodeAttempts); err != nil {
		writeError(w, r, codeProblem(err))
		return
	}
	rec, err := s.store.LoginRecordByPhone(r.Context(), phone)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		// Said only after the code proved the phone is the caller's.
		writeError(w, r, authProblem(problemNoAccount, "no account with this phone"))
		return
	} else if err != nil {
		writeError(w, r, err)
		return
	}
	hash, err := password.Hash(req.Password, s.cfg.Auth.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventPasswordReset, ActorID: rec.User.ID,
		Actor: civicgrid.MaskName(rec.User.Name) + " " + civicgrid.MaskPhone(phone), AreaCode: firstArea(rec.User), Detail: "by SMS code"})
	if err := s.store.SetPassword(r.Context(), rec.User.ID, hash, false, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.credentialsChanged()
	w.WriteHeader(http.StatusNoContent)
}

// throttle takes one attempt from the client address's bucket, shared by
// logging in, asking for a code, signing up and resetting a password. When
// the bucket is empty it sets Retry-After and returns the refusal; a
// refused login is also logged (once a minute per address).
func (s *Server) throttle(w http.ResponseWriter, r *http.Request, login bool) error {
	ip := s.clientIP(r)
	wait, ok := s.ipLimit.allow(ip, s.now())
	if ok {
		return nil
	}
	if login && s.ipLimit.shouldAudit(ip, s.now()) {
		s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginThrottled, Outcome: civicgrid.OutcomeDenied, Actor: "ip " + ip})
	}
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	what := "requests"
	if login {
		what = "login attempts"
	}
	return civicgrid.Errorf(civicgrid.ETHROTTLED, "too many %s from this address; try again in %d s", what, secs)
}

// Problem kinds of the sign-up and reset routes, stable so that a page can
// say them in its own language (the messages are English).
const (
	problemPhone      = "phone"       // not a mobile number
	problemName       = "name"        // empty or too long
	problemBuilding   = "building"    // not a building's code
	problemCode       = "code"        // wrong, expired or used up one-time code
	problemPhoneTaken = "phone_taken" // sign-up: the phone has an account
	problemNoAccount  = "no_account"  // reset: the phone has no account
	// password problems are "password_" and password.PolicyError's reason
)

func authProblem(kind, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &civicgrid.Error{Code: civicgrid.EINVALID, Message: msg, Problems: []civicgrid.Problem{{Index: -1, Kind: kind, Detail: msg}}}
}

func passwordProblem(err error) error {
	reason := password.ReasonTooShort
	if pe, ok := errors.AsType[*password.PolicyError](err); ok {
		reason = pe.Reason
	}
	return authProblem("password_"+reason, "password: %v", err)
}

// codeProblem marks the store's refusal of a one-time code as such.
func codeProblem(err error) error {
	if civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		return err
	}
	return authProblem(problemCode, "%s", civicgrid.ErrorMessage(err))
}
