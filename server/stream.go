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

// Live queues: GET /api/v1/cases/stream sends server-sent events for every
// change to a case the caller may read, in the area asked for, so a grid
// worker's list updates without reloading. Events are the case as the
// caller sees it (masked) with the action that changed it. Changes stored
// by other instances arrive through casework's Relay (PostgreSQL NOTIFY).

// hub fans case changes out to the open streams.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

// caseChange is one change a stream hears of: a case's event, or (alert
// set) a new early-warning alert, sent to those who may read it.
type caseChange struct {
	c     civicgrid.Case
	ev    civicgrid.CaseEvent
	alert *civicgrid.Alert
}

type subscriber struct {
	ch chan caseChange
	// recheck asks the stream to check its credential again: a session,
	// grant or token ended on this instance.
	recheck chan struct{}
}

// subscriberBuffer is how many changes a slow client may lag behind before
// its stream is closed (it reconnects and reloads its list).
const subscriberBuffer = 256

func newHub() *hub { return &hub{subs: map[*subscriber]struct{}{}} }

func (h *hub) publish(c civicgrid.Case, ev civicgrid.CaseEvent) { h.send(caseChange{c: c, ev: ev}) }

// publishAlert tells the streams of a new alert.
func (h *hub) publishAlert(a civicgrid.Alert) { h.send(caseChange{alert: &a}) }

func (h *hub) send(change caseChange) {
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
	s := &subscriber{ch: make(chan caseChange, subscriberBuffer), recheck: make(chan struct{}, 1)}
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
// caller's own areas). The stream lives no longer than the credential it
// was opened with: it is checked again every StreamRecheck and at once when
// a session, grant or token ends on this instance; a logout, a revoked
// grant or token, or a password reset closes the stream.
func (s *Server) handleCaseStream(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	within := r.URL.Query().Get("within")
	if err := streamAllowed(a, within); err != nil {
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
			err = streamAllowed(next, within)
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
		case ch, ok := <-sub.ch:
			if !ok {
				return // dropped as too slow
			}
			if ch.alert != nil {
				s.streamAlert(w, flusher, a, within, *ch.alert)
				continue
			}
			if within != "" && !civicgrid.InSubtree(within, ch.c.GridCode) {
				continue
			}
			v, err := s.cases.View(r.Context(), a, ch.c) // authorizes: out of sight is skipped
			if err != nil {
				continue
			}
			data, _ := json.Marshal(map[string]any{"action": ch.ev.Action, "at": ch.ev.At, "case": v})
			fmt.Fprintf(w, "id: %d-%d\nevent: case\ndata: %s\n\n", ch.c.ID, ch.c.Version, data)
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

// streamAlert sends an alert to a stream whose actor may read it and
// whose area it touches.
func (s *Server) streamAlert(w http.ResponseWriter, flusher http.Flusher, a civicgrid.Actor, within string, al civicgrid.Alert) {
	if within != "" && !slices.ContainsFunc(al.Grids, func(g string) bool { return civicgrid.InSubtree(within, g) }) {
		return
	}
	if civicgrid.Authorize(a, civicgrid.ActionReadWarnings, al.Object()) != nil {
		return
	}
	data, _ := json.Marshal(map[string]any{"alert": al})
	fmt.Fprintf(w, "id: alert-%d\nevent: alert\ndata: %s\n\n", al.ID, data)
	flusher.Flush()
}
