// Package metrics keeps civicgrid's Prometheus metrics: one registry per
// process, filled by the server's middleware and by hooks the command wires
// into the store, the case loop and the webhook sender. The domain packages
// never import it; they call plain functions.
package metrics

import (
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set is the process's metrics. A nil *Set records nothing.
type Set struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	caseEvents   *prometheus.CounterVec
	intakeBatch  prometheus.Histogram
	intakeCommit prometheus.Histogram
	schedLag     prometheus.Histogram
	escalated    prometheus.Counter
	webhooks     *prometheus.CounterVec
	photos       *prometheus.HistogramVec
	openLights   *prometheus.GaugeVec
	turnedAway   prometheus.Counter
}

// New returns a Set with the Go runtime and process collectors registered.
func New() *Set {
	reg := prometheus.NewRegistry()
	s := &Set{reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "civicgrid_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code."}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "civicgrid_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"method", "route"}),
		caseEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "civicgrid_case_events_total",
			Help: "Case events seen by this instance (its own and those relayed from other instances), by action."}, []string{"action"}),
		intakeBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "civicgrid_intake_batch_size",
			Help: "Reports written per intake transaction (group commit).", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		intakeCommit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "civicgrid_intake_batch_duration_seconds",
			Help: "Time to write and commit one intake batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		schedLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "civicgrid_scheduler_lag_seconds",
			Help:    "How long after its deadline a case was escalated.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}}),
		escalated: prometheus.NewCounter(prometheus.CounterOpts{Name: "civicgrid_cases_escalated_total",
			Help: "Cases escalated by this instance's deadline scheduler."}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "civicgrid_webhook_attempts_total",
			Help: "Webhook delivery attempts, by outcome: delivered, retry (failed, will be tried again) or dead (dead-lettered)."}, []string{"outcome"}),
		photos: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "civicgrid_photo_processing_seconds",
			Help:    "Time to decode an uploaded photo, scale it and encode its public versions, by upload format.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"format"}),
		openLights: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "civicgrid_open_cases",
			Help: "Open cases with a running clock, by traffic light (green, yellow: 80 % of the limit used, red: past it), counted once a minute."}, []string{"light"}),
		turnedAway: prometheus.NewCounter(prometheus.CounterOpts{Name: "civicgrid_http_requests_turned_away_total",
			Help: "Requests answered 503 at once because the server was at its bound of requests at work (--max-requests)."}),
	}
	reg.MustRegister(s.httpRequests, s.httpDuration, s.caseEvents, s.intakeBatch, s.intakeCommit, s.schedLag, s.escalated, s.webhooks, s.photos, s.openLights, s.turnedAway,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"delivered", "retry", "dead"} {
		s.webhooks.WithLabelValues(o) // present at 0 from the start
	}
	return s
}

// Registry is the registry behind the Set (tests and extra collectors).
func (s *Set) Registry() *prometheus.Registry { return s.reg }

// HTTP records one answered request. route is the route's pattern without
// its method ("/api/v1/cases/{id}"), never the raw path.
func (s *Set) HTTP(method, route string, status int, d time.Duration) {
	if s == nil {
		return
	}
	s.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// TurnedAway counts one request turned away at the bound of requests at work.
func (s *Set) TurnedAway() {
	if s == nil {
		return
	}
	s.turnedAway.Inc()
}

// CaseEvent counts one case event.
func (s *Set) CaseEvent(action string) {
	if s == nil {
		return
	}
	s.caseEvents.WithLabelValues(action).Inc()
}

// IntakeBatch records one intake transaction of size reports.
func (s *Set) IntakeBatch(size int, d time.Duration) {
	if s == nil {
		return
	}
	s.intakeBatch.Observe(float64(size))
	s.intakeCommit.Observe(d.Seconds())
}

// Escalated records one escalation lag seconds after its deadline.
func (s *Set) Escalated(lag time.Duration) {
	if s == nil {
		return
	}
	s.escalated.Inc()
	s.schedLag.Observe(max(lag, 0).Seconds())
}

// Webhook counts one delivery attempt by outcome.
func (s *Set) Webhook(outcome string) {
	if s == nil {
		return
	}
	s.webhooks.WithLabelValues(outcome).Inc()
}

// Photo records one upload's processing.
func (s *Set) Photo(format string, d time.Duration) {
	if s == nil {
		return
	}
	s.photos.WithLabelValues(format).Observe(d.Seconds())
}

// OpenLights sets the open cases by traffic light.
func (s *Set) OpenLights(byLight map[string]int) {
	if s == nil {
		return
	}
	for l, n := range byLight {
		s.openLights.WithLabelValues(l).Set(float64(n))
	}
}

// Gauge registers a gauge read at scrape time; fn must be cheap (no query).
func (s *Set) Gauge(name, help string, fn func() float64) {
	if s == nil {
		return
	}
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// DBPool registers the connection pool statistics of db under the pool
// label (go_sql_* metrics).
func (s *Set) DBPool(pool string, db *sql.DB) {
	if s == nil {
		return
	}
	s.reg.MustRegister(collectors.NewDBStatsCollector(db, pool))
}

// Handler serves the metrics in the Prometheus text format; with a token,
// only to requests that carry it as "Authorization: Bearer TOKEN".
func (s *Set) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: bearer token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
