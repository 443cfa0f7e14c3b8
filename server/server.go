// Package server is civicgrid's HTTP server: the JSON API, the admin API and
// the web UI's routes, on the standard library's ServeMux.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/metrics"
	"github.com/civicgrid/civicgrid/lectures"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/oidclogin"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/search"
	"github.com/civicgrid/civicgrid/volunteering"
	"github.com/civicgrid/civicgrid/warning"
	"github.com/civicgrid/civicgrid/webhook"
	"github.com/civicgrid/civicgrid/workcal"
)

// Store is what the server needs from storage.
type Store interface {
	civicgrid.AreaStore
	civicgrid.TokenStore
	civicgrid.IdentityStore
	civicgrid.CalendarStore
	civicgrid.Open311KeyStore
}

// SMSSender sends text messages (one-time codes).
type SMSSender interface {
	Send(ctx context.Context, phone, message string) error
}

// Config holds the server's settings.
type Config struct {
	Addr string
	// PublicURL is the site's address as people reach it (--public-url):
	// QR codes, feeds and Open311's links use it when set.
	PublicURL      string
	MaxImportBytes int64          // largest accepted area import body
	Import         areaio.Options // validation tolerances for imports
	MaxFeatures    int            // cap on features per GeoJSON response
	Auth           AuthConfig
	SMS            SMSSender
	OIDC           *oidclogin.Provider // nil: no external staff login
	// Cases runs the case loop; nil serves no case routes.
	Cases *casework.Service
	// Photos keeps case photos; nil accepts no uploads.
	Photos *photo.Store
	// Open311 serves GeoReport v2 (with Cases); nil serves none.
	Open311 Open311Store
	// Webhooks sends case events to integrations (with Cases); nil serves
	// no webhook routes.
	Webhooks *webhook.Service
	// Notify tells people what happened and serves their inboxes (with
	// Cases); nil serves no notification routes.
	Notify *notify.Service
	// Jurisdiction is the Open311 jurisdiction_id (default 420100).
	Jurisdiction string
	// ImageOrigins are http origins the pages may load images from (a
	// map provider's tiles served over plain http, such as a local mirror);
	// https images are allowed anyway.
	ImageOrigins []string
	// Open311PerMinute is how many requests one Open311 api_key may file a
	// minute (default 60).
	Open311PerMinute int
	// ReadTimeout is how long a request, headers and body, may take to
	// arrive (default 1 min): a client dribbling a body is cut off.
	ReadTimeout time.Duration
	// Now is the clock (tests move it); time.Now when nil.
	Now func() time.Time
	// RequestTimeout bounds each request's work (its database work above
	// all): past it the request is answered 503 and its transaction rolled
	// back. Default 10 s; live streams and exports are not bounded.
	RequestTimeout time.Duration
	// MaxInFlight bounds the requests at work at once (live streams,
	// exports and uploads aside); one past it waits up to AdmissionWait for a place,
	// then is answered 503 with Retry-After at once. Past its capacity a
	// server that takes every request in makes each wait until its
	// deadline, and then nearly all fail; one that turns the excess away
	// keeps serving what it can take, quickly. Default 64; negative: no bound.
	MaxInFlight int
	// AdmissionWait is how long a request waits for a place (default 1 s).
	AdmissionWait time.Duration
	// Calendar is the working calendar the case loop computes deadlines
	// with; its local holidays and make-up days are managed through the
	// API. nil serves no calendar routes.
	Calendar *workcal.Live
	// Metrics records HTTP requests and SSE clients; nil records nothing.
	Metrics *metrics.Set
	// MetricsToken, when set, serves Metrics at /metrics on this server
	// to requests with "Authorization: Bearer MetricsToken" (ahead of the
	// API's own token check: it is not an API token).
	MetricsToken string
	// Cogov runs co-governance (proposals, votes); nil serves no
	// co-governance routes.
	Cogov *cogovern.Service
	// Volunteer runs the volunteer service; nil serves no volunteer routes.
	Volunteer *volunteering.Service
	// Lectures runs study and lecture events; nil serves no lecture routes.
	Lectures *lectures.Service
	// Search runs the full-text search; nil serves no search route.
	Search *search.Service
	// Warning runs the risk early warning; nil serves no warning routes.
	Warning *warning.Service
	// Care runs care visits (探访关爱); nil serves no care routes.
	Care *care.Service
	// Notices runs notices and group robots; nil serves no notice routes.
	Notices *notices.Service
}

// healthChecker is a store that can tell whether it is able to serve.
type healthChecker interface {
	Health(ctx context.Context) error
}

// Server serves civicgrid over HTTP.
type Server struct {
	cfg     Config
	store   Store
	locator *locate.Service
	mux     *http.ServeMux
	table   []Route
	ipLimit *ipLimiter
	// loginFails counts wrong logins per phone and client address.
	loginFails *loginFailures
	// o311Limit throttles Open311 POSTs per api_key.
	o311Limit *ipLimiter
	// inFlight holds a place for each request at work (Config.MaxInFlight).
	inFlight chan struct{}
	// lookupLimit throttles public look-ups by code per client address.
	lookupLimit *ipLimiter
	// o311Lists keeps Open311's public list answers for a moment.
	o311Lists o311ListCache
	cases     *casework.Service
	open311   Open311Store
	hub       *hub // live case streams
	places    placeIndex
	now       func() time.Time
}

// New returns a server; extra registers more routes (the web UI) on its mux.
func New(cfg Config, store Store, locator *locate.Service, extra ...func(*http.ServeMux)) *Server {
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = 64 << 20
	}
	if cfg.MaxFeatures <= 0 {
		cfg.MaxFeatures = 5000
	}
	if cfg.Open311PerMinute <= 0 {
		cfg.Open311PerMinute = 60
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = time.Minute
	}
	cfg.Auth.defaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jurisdiction == "" {
		cfg.Jurisdiction = "420100"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.AdmissionWait <= 0 {
		cfg.AdmissionWait = time.Second
	}
	s := &Server{cfg: cfg, store: store, locator: locator, mux: http.NewServeMux(),
		ipLimit: newIPLimiter(cfg.Auth.IPAttempts, cfg.Auth.IPWindow), cases: cfg.Cases, open311: cfg.Open311, now: cfg.Now,
		o311Limit: newIPLimiter(cfg.Open311PerMinute, time.Minute), lookupLimit: newIPLimiter(LookupsPerMinute, time.Minute), loginFails: newLoginFailures(cfg.Auth.MaxFailures, cfg.Auth.LockFor)}
	s.hub = newHub()
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
		cfg.Metrics.Gauge("civicgrid_http_requests_in_flight", "Requests at work (live streams and exports aside); at --max-requests more are turned away.",
			func() float64 { return float64(len(s.inFlight)) })
	}
	if s.cases != nil {
		s.cases.OnEvent(s.hub.publishCase)
		if cfg.Webhooks != nil {
			s.cases.OnEvent(func(civicgrid.Case, civicgrid.CaseEvent) { cfg.Webhooks.Nudge() })
		}
		if cfg.Notify != nil {
			s.cases.OnEvent(func(civicgrid.Case, civicgrid.CaseEvent) { cfg.Notify.Nudge() })
		}
	}
	if cfg.Warning != nil {
		cfg.Warning.OnAlerts(func(as []civicgrid.Alert) {
			for _, a := range as {
				s.hub.publish(a)
			}
		})
	}
	if cfg.Notices != nil {
		cfg.Notices.OnPost(func(n civicgrid.Notice) { s.hub.publish(n) })
	}
	if cfg.Volunteer != nil {
		cfg.Volunteer.OnOpened(func(r civicgrid.HelpRequest) { s.hub.publish(helpOpened{r}) })
	}
	s.routes()
	cfg.Metrics.Gauge("civicgrid_sse_clients", "Open live streams (server-sent events: cases and alerts, notices).", func() float64 { return float64(s.hub.clients()) })
	for _, register := range extra {
		register(s.mux)
	}
	return s
}

// Handler returns the server's handler with its middleware.
func (s *Server) Handler() http.Handler {
	// Text answers are gzipped for clients that accept it. Cross-origin
	// browser writes are refused outright (Sec-Fetch-Site and
	// Origin); cookie-authenticated writes must also echo the CSRF token.
	h := s.observe(recoverPanics(securityHeaders(s.cfg.ImageOrigins, gzipResponses(s.withDeadline(s.crossOrigin(s.identify(s.noteRoute(s.mux))))))))
	if s.cfg.MetricsToken == "" || s.cfg.Metrics == nil {
		return h
	}
	m := s.cfg.Metrics.Handler(s.cfg.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			m.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unbounded are the routes that may rightly take long: the live stream,
// exports written while they are read, and area imports (a whole city is
// validated and written in one transaction).
var unbounded = map[string]bool{
	"/api/v1/cases/stream": true, "/api/v1/announcements/stream": true, "/api/v1/volunteer/requests/stream": true,
	"/api/v1/cases.csv": true, "/api/v1/audit/security.csv": true,
	"/api/v1/admin/areas/export": true, "/api/v1/admin/areas/import": true, "/api/v1/admin/areas/check": true,
}

// withDeadline puts the request timeout on the request's context, which
// every database call and transaction of the request carries: a database
// that does not answer makes a 503, and a transaction cancelled by the
// deadline rolls back rather than committing after the answer.
func (s *Server) withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unbounded[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		// An upload (a body over 64 KB, or of unknown length) is not
		// counted: a slow client's upload would hold a place while it
		// arrives, and a few such clients could fill every place.
		if s.inFlight != nil && r.ContentLength >= 0 && r.ContentLength <= 64<<10 {
			if !s.admit(w, r) {
				return
			}
			defer func() { <-s.inFlight }()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// admit takes a place among the requests at work (MaxInFlight), waiting
// up to AdmissionWait; when none frees, it answers 503 with Retry-After
// and reports false. Nothing of the request has been done then.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.inFlight <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.cfg.AdmissionWait)
	defer t.Stop()
	select {
	case s.inFlight <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
		return false
	}
	s.cfg.Metrics.TurnedAway()
	w.Header().Set("Retry-After", "2")
	msg := "服务器正忙，本次操作未完成，请稍后重试。 The server is busy; nothing was done. Try again in a moment."
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/") {
		var body errorBody
		body.Error.Code, body.Error.Message, body.Error.RequestID = civicgrid.EUNAVAILABLE, msg, RequestID(r.Context())
		writeJSON(w, http.StatusServiceUnavailable, body)
		return false
	}
	http.Error(w, msg, http.StatusServiceUnavailable)
	return false
}

// HTTPServer is the http.Server that Serve runs: the handler and the
// timeouts. ReadTimeout bounds reading a request up to the end of its body;
// net/http lifts it once the body is read, so long answers (exports) and
// event streams, which have no body, are not cut. Answers get no write
// timeout for the same reason.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
	}
}

// Serve answers on ln until ctx ends, then drains requests for up to 10 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handleLive answers 200 "ok" while the process serves requests, whatever
// the database and the disk: a supervisor restarts the process when it
// stops answering, not when the database is away (a restart would not
// bring it back).
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// handleHealth (/healthz, /readyz) answers 200 "ok", or 503 "degraded" with the problems: a
// full disk (writes refused in the last minute) or a database that does
// not answer.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	var problems []string
	if h, ok := s.store.(healthChecker); ok {
		if err := h.Health(r.Context()); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if s.cfg.Photos != nil {
		if err := s.cfg.Photos.Health(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	body := map[string]any{"status": "ok", "grids": s.locator.Grids(), "area_generation": s.locator.Generation()}
	status := http.StatusOK
	if len(problems) > 0 {
		body["status"], body["problems"] = "degraded", problems
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, civicgrid.Errorf(civicgrid.EFORBIDDEN, "cross-origin request refused"))
	}))
	return cop.Handler(next)
}

// setAttachment names a download. mime quotes (or RFC 2231-encodes) the
// name, so nothing in it can end the parameter or the header.
func setAttachment(w http.ResponseWriter, filename string) {
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
}

func securityHeaders(imageOrigins []string, next http.Handler) http.Handler {
	csp := "default-src 'self'; img-src 'self' data: https:"
	for _, o := range imageOrigins {
		csp += " " + o
	}
	csp += "; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		next.ServeHTTP(w, r)
	})
}

func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "value", v, "stack", string(debug.Stack()))
				writeError(w, r, civicgrid.Errorf(civicgrid.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
