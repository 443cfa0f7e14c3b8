package server

import (
	"encoding/json"
	"fmt"
	"net/http"
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

type caseChange struct {
	c  civicgrid.Case
	ev civicgrid.CaseEvent
}

type subscriber struct {
	ch chan caseChange
}

// subscriberBuffer is how many changes a slow client may lag behind before
// its stream is closed (it reconnects and reloads its list).
const subscriberBuffer = 256

func newHub() *hub { return &hub{subs: map[*subscriber]struct{}{}} }

func (h *hub) publish(c civicgrid.Case, ev civicgrid.CaseEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- caseChange{c, ev}:
		default:
			// Too slow: drop it rather than hold up the case loop.
			close(s.ch)
			delete(h.subs, s)
		}
	}
}

func (h *hub) subscribe() *subscriber {
	s := &subscriber{ch: make(chan caseChange, subscriberBuffer)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
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
	a := actorFrom(r)
	within := r.URL.Query().Get("within")
	if within != "" {
		if err := civicgrid.Authorize(a, civicgrid.ActionReadCase, civicgrid.In(within)); err != nil {
			writeError(w, r, err)
			return
		}
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
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case ch, ok := <-sub.ch:
			if !ok {
				return // dropped as too slow
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
