// Package server is civicgrid's HTTP server: the JSON API, the admin API and
// the web UI's routes, on the standard library's ServeMux.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/locate"
)

// Store is what the server needs from storage.
type Store interface {
	civicgrid.AreaStore
	civicgrid.TokenStore
}

// Config holds the server's settings.
type Config struct {
	Addr           string
	MaxImportBytes int64          // largest accepted area import body
	Import         areaio.Options // validation tolerances for imports
	MaxFeatures    int            // cap on features per GeoJSON response
}

// Server serves civicgrid over HTTP.
type Server struct {
	cfg     Config
	store   Store
	locator *locate.Service
	mux     *http.ServeMux
}

// New returns a server; extra registers more routes (the web UI) on its mux.
func New(cfg Config, store Store, locator *locate.Service, extra ...func(*http.ServeMux)) *Server {
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = 64 << 20
	}
	if cfg.MaxFeatures <= 0 {
		cfg.MaxFeatures = 5000
	}
	s := &Server{cfg: cfg, store: store, locator: locator, mux: http.NewServeMux()}
	s.routes()
	for _, register := range extra {
		register(s.mux)
	}
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /api/v1/locate", s.handleLocate)
	s.mux.HandleFunc("GET /api/v1/areas", s.handleAreas)
	s.mux.HandleFunc("GET /api/v1/areas.geojson", s.handleAreasGeoJSON)
	s.mux.HandleFunc("GET /api/v1/areas/{code}", s.handleArea)
	s.mux.HandleFunc("GET /api/v1/areas/{code}/versions", s.handleAreaVersions)
	s.mux.HandleFunc("POST /api/v1/admin/areas/import", s.handleImport)
	s.mux.HandleFunc("GET /api/v1/admin/areas/export", s.handleExport)
}

// Handler returns the server's handler with its middleware.
func (s *Server) Handler() http.Handler {
	return recoverPanics(securityHeaders(s.mux))
}

// Serve answers on ln until ctx ends, then drains requests for up to 10 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
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

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "grids": s.locator.Grids(), "area_generation": s.locator.Generation()})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
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
				slog.Error("panic", "path", r.URL.Path, "value", v, "stack", string(debug.Stack()))
				writeError(w, r, civicgrid.Errorf(civicgrid.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
