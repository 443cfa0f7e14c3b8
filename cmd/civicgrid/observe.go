package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/internal/metrics"
	"github.com/civicgrid/civicgrid/server"
)

// logOptions are the logging flags of serve and demo.
type logOptions struct {
	format, level *string
}

func logFlags(fs *flag.FlagSet) *logOptions {
	return &logOptions{
		format: fs.String("log-format", envOr("CIVICGRID_LOG_FORMAT", "text"), "log format: text (for a terminal) or json (one object a line, for a log shipper) (env CIVICGRID_LOG_FORMAT)"),
		level:  fs.String("log-level", envOr("CIVICGRID_LOG_LEVEL", "info"), "lowest level logged: debug, info, warn or error (env CIVICGRID_LOG_LEVEL)"),
	}
}

// logger makes the process's logger, writing to w. Every line logged with
// a request's context carries its request id.
func (o *logOptions) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*o.level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", *o.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(*o.format) {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format: %q is not text or json", *o.format)
	}
	return slog.New(server.LogHandler(h)), nil
}

// metricsOptions say where /metrics is served, if anywhere.
type metricsOptions struct {
	addr, token *string
}

func metricsFlags(fs *flag.FlagSet) *metricsOptions {
	return &metricsOptions{
		addr:  fs.String("metrics-addr", os.Getenv("CIVICGRID_METRICS_ADDR"), "serve Prometheus metrics at http://HOST:PORT/metrics on this separate address, e.g. 127.0.0.1:9090 (env CIVICGRID_METRICS_ADDR; default: not served)"),
		token: fs.String("metrics-token", os.Getenv("CIVICGRID_METRICS_TOKEN"), "also serve /metrics on the main address to requests with 'Authorization: Bearer TOKEN' (env CIVICGRID_METRICS_TOKEN; at least 32 characters; default: not served there)"),
	}
}

func (o *metricsOptions) check() error {
	if *o.token != "" && len(*o.token) < 32 {
		return errors.New("--metrics-token: use at least 32 characters (e.g. openssl rand -hex 32)")
	}
	return nil
}

// serve serves /metrics on the separate address until ctx ends; it returns
// the address listened on ("" when none is set).
func (o *metricsOptions) serve(ctx context.Context, set *metrics.Set) (string, error) {
	if *o.addr == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", *o.addr)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", set.Handler(""))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return ln.Addr().String(), nil
}

// countLights keeps the open cases by traffic light up to date for the
// metrics: at start and then every interval (the light moves with time, so
// no stored counter holds it; each count reads the open cases' clocks).
func countLights(ctx context.Context, cases *casework.Service, set *metrics.Set, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		if byLight, err := cases.OpenLights(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("open cases by traffic light", "err", err)
		} else {
			set.OpenLights(byLight)
			slog.Debug("open cases by traffic light counted", "took", time.Since(start).Round(time.Millisecond),
				"green", byLight["green"], "yellow", byLight["yellow"], "red", byLight["red"])
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
