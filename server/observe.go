package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Observability: every request gets an id (answered in X-Request-ID, put in
// error bodies and on every log line written with the request's context),
// one access log line and the HTTP metrics. The access log names the route
// pattern, never the raw path (which may carry a phone number in a query),
// and the actor by id, never by name, phone or token.

type requestIDKey struct{}

// reqInfo is what the inner handlers learn about a request for the access
// log: the route pattern the mux matched and the actor identify found.
type reqInfo struct {
	id      string
	pattern string
	actor   string
}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestIDKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

// newRequestID is 16 hex digits of randomness.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a proxy's id only when it is short and plain, so
// a client cannot forge log lines through it.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status code it was given.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through (event streams).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// knownMethods keeps the method label bounded.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// observe is the outermost middleware: request id, access log, metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: r.Header.Get("X-Request-ID")}
		if !validRequestID(ri.id) {
			ri.id = newRequestID()
		}
		w.Header().Set("X-Request-ID", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), requestIDKey{}, ri)
		next.ServeHTTP(sw, r.WithContext(ctx))
		d := time.Since(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := ri.pattern
		if _, p, ok := strings.Cut(route, " "); ok {
			route = p // "GET /x" → "/x": the method has its own label
		}
		if route == "" {
			route = "unmatched"
		}
		method := r.Method
		if !knownMethods[method] {
			method = "other"
		}
		s.cfg.Metrics.HTTP(method, route, status, d)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		slog.Default().LogAttrs(ctx, level, "request", slog.String("method", method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", d), slog.String("actor", ri.actor))
	})
}

// noteRoute runs the mux and then tells observe which pattern it matched
// (the mux sets it on the request it was handed) and who the actor was.
func (s *Server) noteRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri, _ := r.Context().Value(requestIDKey{}).(*reqInfo)
		if ri != nil {
			ri.actor = actorID(actorFrom(r))
		}
		if ri != nil {
			defer func() { ri.pattern = r.Pattern }() // a panicking handler's route too
		}
		mux.ServeHTTP(w, r)
	})
}

// actorID names an actor for logs without personal data.
func actorID(a civicgrid.Actor) string {
	switch {
	case a.Via == "token":
		return "token:" + strconv.FormatInt(a.TokenID, 10)
	case a.UserID != 0:
		return "user:" + strconv.FormatInt(a.UserID, 10)
	}
	return ""
}

// LogHandler wraps h so that every record logged with a request's context
// carries the request's id.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
