// Package webhook sends case events to subscribed integrations: each event
// a hook wants becomes a delivery, POSTed as JSON with an HMAC-SHA256
// signature, retried with exponential backoff, dead-lettered when attempts
// run out, and replayable.
//
// Delivery is at least once: a receiver should ignore a delivery id (or
// event id) it has seen.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/keyfile"
)

// Config tunes delivery.
type Config struct {
	// Key derives every hook's signing secret (32 random bytes, kept out of
	// the database; see LoadKey).
	Key []byte
	// MaxAttempts before a delivery is dead-lettered (default 8).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles with
	// each further one (±20 % jitter) up to MaxBackoff. Defaults 10 s, 1 h.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// Poll is how often the log is read for events of other instances
	// (default 2 s); this instance's events nudge at once.
	Poll time.Duration
	// AllowPrivate lets hooks reach loopback, private and other
	// non-public addresses. Off by default so a hook cannot probe the
	// server's own network.
	AllowPrivate bool
	// Resolver checks a hook's host name when it is made (default
	// net.DefaultResolver).
	Resolver Resolver
	// Workers send in parallel (default 4).
	Workers int
	Log     *slog.Logger
	// Requests is volunteering's log of requests (nil: hooks hear of cases
	// only): its events of civicgrid.HookRequestTypes are delivered like
	// case events, to hooks whose area holds the request's building.
	Requests civicgrid.HookRequestLog
	// Observe, when set, is told each attempt's outcome: "delivered",
	// "retry" (failed, tried again later) or "dead" (dead-lettered).
	Observe func(outcome string)
}

func (c *Config) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = 10 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
}

// Service manages hooks and runs the delivery loop.
type Service struct {
	cfg    Config
	store  civicgrid.WebhookStore
	client *http.Client
	now    func() time.Time
	wake   chan struct{}
}

// New returns a service; now may be nil (time.Now).
func New(cfg Config, store civicgrid.WebhookStore, now func() time.Time) (*Service, error) {
	cfg.defaults()
	if len(cfg.Key) < 32 {
		return nil, errors.New("webhook: the key must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	// A redirect is an answer, not a delivery: it counts as a failure.
	client := OutboundClient(cfg.Timeout, cfg.AllowPrivate, nil)
	return &Service{cfg: cfg, store: store, client: client, now: now, wake: make(chan struct{}, 1)}, nil
}

// LoadKey reads the webhook key from path, making it (0600) if missing.
func LoadKey(path string) ([]byte, error) {
	b, err := keyfile.ReadOrCreate(path, func() ([]byte, error) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		return []byte(hex.EncodeToString(key) + "\n"), nil
	})
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("webhook key %s: want 64 hex digits", path)
	}
	return key, nil
}

// secret is a hook's signing secret: HMAC(key, salt). Shown once at
// creation; the receiver keeps it.
func (s *Service) secret(salt string) []byte {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("civicgrid webhook secret\x00" + salt))
	return []byte("whsec_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
}

// SignatureHeader is the header carrying "t=<unix seconds>,v1=<hex>".
const SignatureHeader = "X-Civicgrid-Signature"

// Sign returns the signature header value for body sent at t: HMAC-SHA256
// with the secret over "<t>.<body>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header as a receiver would: the HMAC must
// match and the time be within tolerance of now (replays of old requests
// fail).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook signature: malformed header")
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook signature: timestamp %s is outside the tolerance", t.UTC().Format(time.RFC3339))
	}
	want := Sign(secret, t, body)
	for _, sig := range sigs {
		if hmac.Equal([]byte("t="+ts+",v1="+sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook signature: no signature matches")
}

// Create validates and stores a hook; it returns the hook and its secret,
// which is shown only here.
func (s *Service) Create(ctx context.Context, h civicgrid.Webhook) (civicgrid.Webhook, string, error) {
	var problems []civicgrid.Problem
	h.Name = strings.TrimSpace(h.Name)
	if h.Name == "" || len([]rune(h.Name)) > 100 {
		problems = append(problems, civicgrid.Problem{Index: -1, Kind: "name", Detail: "name: 1 to 100 characters"})
	}
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(h.URL) > 2000 {
		problems = append(problems, civicgrid.Problem{Index: -1, Kind: "url", Detail: "url: an absolute http(s) URL without credentials, at most 2,000 characters"})
	} else if err := s.checkHost(ctx, u.Hostname()); err != nil {
		problems = append(problems, civicgrid.Problem{Index: -1, Kind: "url",
			Detail: "url: only public addresses are allowed, not private, loopback or special-purpose ones: " + err.Error()})
	}
	if civicgrid.LevelOfCode(h.Within) == "" {
		problems = append(problems, civicgrid.Problem{Index: -1, Kind: "within", Detail: fmt.Sprintf("within: %q is not an area code", h.Within)})
	}
	known := map[civicgrid.CaseAction]bool{civicgrid.CaseReport: true, civicgrid.CaseMergedIn: true, civicgrid.CaseEscalate: true}
	for _, t := range civicgrid.CaseTransitions {
		known[t.Action] = true
	}
	for _, t := range civicgrid.HookRequestTypes {
		known[civicgrid.CaseAction(t)] = true
	}
	for _, a := range h.Actions {
		if !known[a] {
			problems = append(problems, civicgrid.Problem{Index: -1, Kind: "actions", Detail: fmt.Sprintf("actions: unknown case action or request event %q", a)})
		}
	}
	if len(problems) > 0 {
		return h, "", &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the webhook is not valid", Problems: problems}
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return h, "", err
	}
	h.SecretSalt = hex.EncodeToString(salt)
	h, err = s.store.CreateWebhook(ctx, h)
	if err != nil {
		return h, "", err
	}
	return h, string(s.secret(h.SecretSalt)), nil
}

// Nudge wakes the loop (a case event was stored); it never blocks.
func (s *Service) Nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Payload is what a receiver gets.
type Payload struct {
	// ID is the delivery id: the same on every retry and replay.
	ID    int64               `json:"id"`
	Type  string              `json:"type"` // "case." + action
	Event civicgrid.CaseEvent `json:"event"`
	// Case is the case as it stood when the event was queued, reporter
	// masked.
	Case civicgrid.Case `json:"case"`
}

// enqueueBatch is how many log events one pass reads per hook.
const enqueueBatch = 500

// RequestPayload is what a receiver gets of a volunteer request event
// (type "request.opened" …): the event and the request without personal
// data (civicgrid.HookRequest).
type RequestPayload struct {
	ID      int64                 `json:"id"` // the delivery id
	Type    string                `json:"type"`
	Event   RequestEvent          `json:"event"`
	Request civicgrid.HookRequest `json:"request"`
}

// RequestEvent is the event of a request's history a delivery is about.
type RequestEvent struct {
	ID        int64     `json:"id"`
	RequestID int64     `json:"request_id"`
	At        time.Time `json:"at"`
}

// Enqueue turns the case events, and the request events, each hook has not
// seen into deliveries; it returns how many it queued. The log is read once
// per stretch for all hooks, from the cursor furthest behind.
func (s *Service) Enqueue(ctx context.Context) (int, error) {
	hooks, err := s.store.Webhooks(ctx, false)
	if err != nil {
		return 0, err
	}
	n, err := s.enqueueCases(ctx, hooks)
	if err != nil || s.cfg.Requests == nil {
		return n, err
	}
	m, err := s.enqueueRequests(ctx, hooks)
	return n + m, err
}

// enqueueRequests is Enqueue over the requests' log.
func (s *Service) enqueueRequests(ctx context.Context, hooks []civicgrid.Webhook) (int, error) {
	total := 0
	for len(hooks) > 0 {
		from := hooks[0].HelpCursor
		for _, h := range hooks {
			from = min(from, h.HelpCursor)
		}
		evs, to, err := s.cfg.Requests.HookEventsAfter(ctx, from, enqueueBatch)
		if err != nil || to <= from {
			return total, err
		}
		bodies := map[int64][]byte{}
		now := s.now()
		var next []civicgrid.Webhook
		for _, h := range hooks {
			if h.HelpCursor >= to {
				next = append(next, h)
				continue
			}
			var ds []civicgrid.WebhookDelivery
			for _, ev := range evs {
				if ev.ID <= h.HelpCursor || !h.WantsRequest(ev.Request.BuildingCode, ev.Type) {
					continue
				}
				body, ok := bodies[ev.ID]
				if !ok {
					if body, err = json.Marshal(RequestPayload{Type: ev.Type, Event: RequestEvent{ev.ID, ev.Request.ID, ev.At}, Request: ev.Request}); err != nil {
						return total, err
					}
					bodies[ev.ID] = body
				}
				ds = append(ds, civicgrid.WebhookDelivery{EventID: ev.ID, CaseID: ev.Request.ID, Type: ev.Type, Source: "request",
					Payload: body, NextAttempt: now, CreatedAt: now})
			}
			moved, err := s.store.EnqueueHelpDeliveries(ctx, h.ID, h.HelpCursor, to, ds)
			if err != nil {
				return total, err
			}
			if !moved {
				continue // another instance took this stretch
			}
			total += len(ds)
			h.HelpCursor = to
			next = append(next, h)
		}
		hooks = next
	}
	return total, nil
}

// enqueueCases is Enqueue over the case log.
func (s *Service) enqueueCases(ctx context.Context, hooks []civicgrid.Webhook) (int, error) {
	total := 0
	for len(hooks) > 0 {
		from := hooks[0].Cursor
		for _, h := range hooks {
			from = min(from, h.Cursor)
		}
		evs, err := s.store.EventsAfter(ctx, from, enqueueBatch)
		if err != nil || len(evs) == 0 {
			return total, err
		}
		to := evs[len(evs)-1].Event.ID
		bodies := map[int64][]byte{} // payloads, made once per event
		var next []civicgrid.Webhook
		for _, h := range hooks {
			if h.Cursor >= to {
				next = append(next, h)
				continue
			}
			ds, err := s.deliveriesFor(h, evs, bodies)
			if err != nil {
				return total, err
			}
			moved, err := s.store.EnqueueDeliveries(ctx, h.ID, h.Cursor, to, ds)
			if err != nil {
				return total, err
			}
			if !moved {
				continue // another instance took this stretch: leave the hook to it
			}
			total += len(ds)
			h.Cursor = to
			next = append(next, h)
		}
		if len(evs) < enqueueBatch {
			return total, nil
		}
		hooks = next
	}
	return total, nil
}

// deliveriesFor makes the deliveries of the events after the hook's cursor
// that it wants.
func (s *Service) deliveriesFor(h civicgrid.Webhook, evs []civicgrid.LoggedCaseEvent, bodies map[int64][]byte) ([]civicgrid.WebhookDelivery, error) {
	now := s.now()
	var ds []civicgrid.WebhookDelivery
	for _, he := range evs {
		ev := he.Event
		if ev.ID <= h.Cursor || !h.Wants(he.Case.GridCode, ev.Action) {
			continue
		}
		body, ok := bodies[ev.ID]
		if !ok {
			c := he.Case.Masked()
			c.ReporterID = 0
			ev.ActorID = 0
			var err error
			if body, err = json.Marshal(Payload{Type: "case." + string(ev.Action), Event: ev, Case: c}); err != nil {
				return nil, err
			}
			bodies[ev.ID] = body
		}
		ds = append(ds, civicgrid.WebhookDelivery{EventID: ev.ID, CaseID: ev.CaseID, Type: "case." + string(ev.Action),
			Payload: body, NextAttempt: now, CreatedAt: now})
	}
	return ds, nil
}

// lease is how long a claimed delivery is kept from other workers.
func (s *Service) lease() time.Duration { return 2*s.cfg.Timeout + 10*time.Second }

// DeliverDue sends every due delivery once; it returns how many it sent.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := s.now()
		ds, err := s.store.ClaimDueDeliveries(ctx, now, now.Add(s.lease()), 64)
		if err != nil || len(ds) == 0 {
			return sent, err
		}
		var wg sync.WaitGroup
		work := make(chan civicgrid.WebhookDelivery)
		var firstErr error
		var mu sync.Mutex
		for range min(s.cfg.Workers, len(ds)) {
			wg.Go(func() {
				for d := range work {
					if err := s.deliver(ctx, d); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
				}
			})
		}
		for _, d := range ds {
			work <- d
		}
		close(work)
		wg.Wait()
		sent += len(ds)
		if firstErr != nil {
			return sent, firstErr
		}
	}
}

// deliver makes one attempt and records it; the error is the store's only.
func (s *Service) deliver(ctx context.Context, d civicgrid.WebhookDelivery) error {
	body := withID(d.Payload, d.ID)
	at := s.now()
	status, errText := s.send(ctx, d, body, at)
	a := civicgrid.DeliveryAttempt{Attempts: d.Attempts + 1, Status: status, Error: errText, At: at}
	switch {
	case errText == "":
		a.State, a.NextAttempt = civicgrid.DeliveryDelivered, at
	case a.Attempts >= s.cfg.MaxAttempts:
		a.State, a.NextAttempt = civicgrid.DeliveryDead, at
		s.cfg.Log.Warn("webhook delivery dead-lettered", "delivery", d.ID, "webhook", d.WebhookID, "attempts", a.Attempts, "error", errText)
	default:
		a.State, a.NextAttempt = civicgrid.DeliveryPending, at.Add(s.backoff(a.Attempts))
	}
	if s.cfg.Observe != nil {
		outcome := map[civicgrid.DeliveryState]string{civicgrid.DeliveryDelivered: "delivered",
			civicgrid.DeliveryDead: "dead", civicgrid.DeliveryPending: "retry"}[a.State]
		s.cfg.Observe(outcome)
	}
	return s.store.RecordDeliveryAttempt(ctx, d.ID, a)
}

// withID sets the delivery id in a stored payload (stored before the id
// was known).
func withID(payload []byte, id int64) []byte {
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil {
		return payload
	}
	p["id"] = json.RawMessage(strconv.FormatInt(id, 10))
	b, _ := json.Marshal(p)
	return b
}

// send POSTs once; it returns the status and "" on a 2xx answer, or a
// description of the failure.
func (s *Service) send(ctx context.Context, d civicgrid.WebhookDelivery, body []byte, at time.Time) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(string(body)))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "civicgrid-webhook/1")
	req.Header.Set("X-Civicgrid-Event", d.Type)
	req.Header.Set("X-Civicgrid-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set(SignatureHeader, Sign(s.secret(d.SecretSalt), at, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, truncate(err.Error(), 500)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, truncate(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet))), 500)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1]) + "…"
}

// backoff is the wait after the nth failed attempt.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.Backoff << min(n-1, 30)
	if d <= 0 || d > s.cfg.MaxBackoff {
		d = s.cfg.MaxBackoff
	}
	jitter := 0.8 + 0.4*mathrand.Float64()
	return time.Duration(float64(d) * jitter)
}

// Run enqueues and delivers until ctx ends, sleeping until the next retry
// is due, a nudge, or the poll interval.
func (s *Service) Run(ctx context.Context) {
	for {
		if _, err := s.Enqueue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("webhook enqueue", "error", err)
		}
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("webhook delivery", "error", err)
		}
		wait := s.cfg.Poll
		if next, err := s.store.NextDeliveryDue(ctx); err == nil && !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// List returns the hooks (disabled ones too).
func (s *Service) List(ctx context.Context) ([]civicgrid.Webhook, error) {
	return s.store.Webhooks(ctx, true)
}

// Get returns one hook.
func (s *Service) Get(ctx context.Context, id int64) (civicgrid.Webhook, error) {
	return s.store.Webhook(ctx, id)
}

// Disable stops a hook.
func (s *Service) Disable(ctx context.Context, id int64) error {
	return s.store.DisableWebhook(ctx, id)
}

// Deliveries lists a hook's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, id int64, state civicgrid.DeliveryState) ([]civicgrid.WebhookDelivery, error) {
	switch state {
	case "", civicgrid.DeliveryPending, civicgrid.DeliveryDelivered, civicgrid.DeliveryDead:
	default:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "state: %q is not pending, delivered or dead", state)
	}
	return s.store.Deliveries(ctx, id, state, 200)
}

// Replay requeues one delivery, or with deliveryID 0 every dead one.
func (s *Service) Replay(ctx context.Context, hookID, deliveryID int64) (int, error) {
	n, err := s.store.ReplayDeliveries(ctx, hookID, deliveryID, s.now())
	if err == nil && n > 0 {
		s.Nudge()
	}
	return n, err
}
