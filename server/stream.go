package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Live streams: GET /api/v1/cases/stream sends server-sent events for every
// change to a case the caller may read, in the area asked for, so a grid
// worker's list updates without reloading. Events are the case as the
// caller sees it (masked) with the action that changed it. Changes stored
// by other instances arrive through casework's Relay (PostgreSQL NOTIFY).
// New early-warning alerts go to the case stream too (event: alert). Other
// modules' streams (new notices) ride the same hub and loop
// (s.serveStream): each decides what a change is to the caller.

// hub fans changes (caseChange, civicgrid.Alert, civicgrid.Notice, …) out to the open streams.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type caseChange struct {
	c  civicgrid.Case
	ev civicgrid.CaseEvent
}

type subscriber struct {
	ch chan any
	// recheck asks the stream to check its credential again: a session,
	// grant or token ended on this instance.
	recheck chan struct{}
}

// subscriberBuffer is how many changes a slow client may lag behind before
// its stream is closed (it reconnects and reloads its list).
const subscriberBuffer = 256

func newHub() *hub { return &hub{subs: map[*subscriber]struct{}{}} }

// publishCase publishes a case change.
func (h *hub) publishCase(c civicgrid.Case, ev civicgrid.CaseEvent) { h.publish(caseChange{c, ev}) }

// publish hands a change to every open stream.
func (h *hub) publish(change any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- change:
		default:
			// Too slow: drop it rather than hold up the case loop.
			close(s.ch)
			delete(h.subs, s)
		}
	}
}

// clients is how many streams are open.
func (h *hub) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) subscribe() *subscriber {
	s := &subscriber{ch: make(chan any, subscriberBuffer), recheck: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// credentialsChanged tells every open stream to check its credential again
// now rather than at its next periodic check.
func (h *hub) credentialsChanged() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.recheck <- struct{}{}:
		default: // a check is due already
		}
	}
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// streamHeartbeat keeps proxies from closing a quiet stream.
const streamHeartbeat = 25 * time.Second

// handleCaseStream: GET /api/v1/cases/stream?within=CODE (default: the
// caller's own areas).
func (s *Server) handleCaseStream(w http.ResponseWriter, r *http.Request) {
	within := r.URL.Query().Get("within")
	s.serveStream(w, r, func(a civicgrid.Actor) error { return streamAllowed(a, within) },
		func(a civicgrid.Actor, change any) (string, string, any, bool) {
			switch ch := change.(type) {
			case caseChange:
				if within != "" && !civicgrid.InSubtree(within, ch.c.GridCode) {
					return "", "", nil, false
				}
				v, err := s.cases.View(r.Context(), a, ch.c) // authorizes: out of sight is skipped
				if err != nil {
					return "", "", nil, false
				}
				return fmt.Sprintf("%d-%d", ch.c.ID, ch.c.Version), "case", map[string]any{"action": ch.ev.Action, "at": ch.ev.At, "case": v}, true
			case civicgrid.Alert:
				// A new early-warning alert, to those who may read it.
				if within != "" && !slices.ContainsFunc(ch.Grids, func(g string) bool { return civicgrid.InSubtree(within, g) }) {
					return "", "", nil, false
				}
				if civicgrid.Authorize(a, civicgrid.ActionReadWarnings, ch.Object()) != nil {
					return "", "", nil, false
				}
				return fmt.Sprintf("alert-%d", ch.ID), "alert", map[string]any{"alert": ch}, true
			}
			return "", "", nil, false
		})
}

// serveStream holds a server-sent event stream open for as long as allowed
// lets the caller hold it, and sends each change that render turns into
// an event for the caller (an id, an event name and the JSON data). The
// stream lives no longer than the credential it was opened with: it is
// checked again every StreamRecheck and at once when a session, grant or
// token ends on this instance; a logout, a revoked grant or token, or a
// password reset closes the stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, allowed func(civicgrid.Actor) error,
	render func(a civicgrid.Actor, change any) (id, event string, data any, ok bool)) {
	a := actorFrom(r)
	if err := allowed(a); err != nil {
		writeError(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINTERNAL, "streaming unsupported"))
		return
	}
	sub := s.hub.subscribe()
	defer s.hub.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	flusher.Flush()
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	recheck := time.NewTicker(s.cfg.Auth.StreamRecheck)
	defer recheck.Stop()
	checkAgain := func() bool {
		next, err := s.recheckCredential(r)
		if err == nil {
			err = allowed(next)
		}
		if err == nil && lostGrant(a, next) {
			// Whatever the stream was opened for may rest on the lost
			// grant: the client reconnects under what it holds now.
			err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "your roles changed; reconnect")
		}
		if err != nil {
			// The client's EventSource reconnects and is refused.
			data, _ := json.Marshal(map[string]string{"reason": civicgrid.ErrorMessage(err)})
			fmt.Fprintf(w, "event: end\ndata: %s\n\n", data)
			flusher.Flush()
			return false
		}
		a = next
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case <-recheck.C:
			if !checkAgain() {
				return
			}
		case <-sub.recheck:
			if !checkAgain() {
				return
			}
		case change, ok := <-sub.ch:
			if !ok {
				return // dropped as too slow
			}
			id, event, v, send := render(a, change)
			if !send {
				continue
			}
			data, _ := json.Marshal(v)
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, event, data)
			flusher.Flush()
		}
	}
}

// streamAllowed decides whether the actor may hold a stream open.
func streamAllowed(a civicgrid.Actor, within string) error {
	if a.Anonymous() {
		return civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
	}
	if a.MustChangePassword {
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "change your temporary password first")
	}
	if within != "" {
		return civicgrid.Authorize(a, civicgrid.ActionReadCase, civicgrid.In(within))
	}
	return nil
}

// lostGrant reports whether the actor held a grant before that it no longer
// holds.
func lostGrant(before, now civicgrid.Actor) bool {
	for _, g := range before.Grants {
		if !slices.ContainsFunc(now.Grants, func(h civicgrid.RoleGrant) bool {
			return h.ID == g.ID && h.Role == g.Role && h.AreaCode == g.AreaCode && slices.Equal(h.Categories, g.Categories)
		}) {
			return true
		}
	}
	return false
}

// recheckCredential authenticates the request's credential again, as it is
// now.
func (s *Server) recheckCredential(r *http.Request) (civicgrid.Actor, error) {
	p := principalFrom(r)
	switch {
	case p.token != "":
		return s.tokenActor(r.Context(), p.token)
	case p.secret != "":
		return s.sessionActor(r.Context(), p.secret)
	}
	return civicgrid.Actor{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
}
