package volunteering

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The live stream of open requests follows the store: every instance reads
// the requests' log (volunteer_events) and tells its OnOpened listeners of
// each request opened to volunteers — accepted by staff, or reopened by a
// release — by whichever instance, so a volunteer connected to another
// instance than the staff's sees it live. Steps taken here are told at
// once as well; an opening is told once per instance (request and opening
// time).

// followGrace is how long an event id stays in the window read again: on
// PostgreSQL ids are allocated before their transactions commit, so an
// event may become visible after a higher one; re-reading the last ids
// for a while finds it. Told openings are not told again.
const followGrace = 10 * time.Second

// followBatch bounds one read of the log.
const followBatch = 500

// opening names one opening of a request.
type opening struct {
	id     int64
	opened int64 // OpenedAt, Unix ms
}

// markTold records an opening as told and reports whether it was already;
// entries older than keep are forgotten.
func (s *Service) markTold(r civicgrid.HelpRequest) bool {
	now := time.Now()
	s.toldMu.Lock()
	defer s.toldMu.Unlock()
	if s.told == nil {
		s.told = map[opening]time.Time{}
	}
	k := opening{r.ID, r.OpenedAt.UnixMilli()}
	if _, ok := s.told[k]; ok {
		return true
	}
	s.told[k] = now
	if len(s.told) > 64 {
		for k, at := range s.told {
			if now.Sub(at) > 10*followGrace {
				delete(s.told, k)
			}
		}
	}
	return false
}

// tell hands an open request to the listeners unless this opening was told.
func (s *Service) tell(r civicgrid.HelpRequest) {
	if r.Status != civicgrid.HelpAccepted || s.markTold(r) {
		return
	}
	s.openedMu.Lock()
	fns := slices.Clone(s.opened)
	s.openedMu.Unlock()
	for _, fn := range fns {
		fn(r)
	}
}

// FollowOpened reads the requests' log from its end every interval (or
// at once when a step here nudges it) until ctx ends, telling the OnOpened
// listeners of each request opened to volunteers that is still open when
// read. Run one per instance (cmd/civicgrid serve does).
func (s *Service) FollowOpened(ctx context.Context, every time.Duration) error {
	floor, err := s.store.LastVolunteerEventID(ctx)
	for err != nil {
		slog.Warn("volunteer log follower: reading the log's end", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
		floor, err = s.store.LastVolunteerEventID(ctx)
	}
	seen := map[int64]time.Time{} // ids above floor, when first read
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		full, err := s.followOnce(ctx, &floor, seen)
		if err != nil && ctx.Err() == nil {
			slog.Warn("volunteer log follower", "err", err)
		}
		if full {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.follow:
		}
	}
}

// followOnce reads the log after *floor once; full says the batch was full
// (read again at once).
func (s *Service) followOnce(ctx context.Context, floor *int64, seen map[int64]time.Time) (bool, error) {
	evs, err := s.store.VolunteerEventsAfter(ctx, *floor, followBatch)
	if err != nil {
		return false, err
	}
	now := time.Now()
	final := true // every event so far is older than the grace
	for _, ev := range evs {
		first, ok := seen[ev.ID]
		if !ok {
			first, seen[ev.ID] = now, now
			if ev.Action == civicgrid.HelpActAccepted || ev.Action == civicgrid.HelpActReleased {
				r, err := s.store.HelpRequestByID(ctx, ev.RequestID)
				if err != nil {
					return false, err
				}
				s.tell(r)
			}
		}
		if final && now.Sub(first) >= followGrace {
			*floor = ev.ID
			delete(seen, ev.ID)
		} else {
			final = false
		}
	}
	return len(evs) == followBatch && final, nil
}

// hookTypes maps request events to the event types webhooks carry.
var hookTypes = map[string]string{
	civicgrid.HelpActAccepted:  civicgrid.HookRequestOpened,
	civicgrid.HelpActClaimed:   civicgrid.HookRequestTaken,
	civicgrid.HelpActReleased:  civicgrid.HookRequestReleased,
	civicgrid.HelpActSignedOut: civicgrid.HookRequestCompleted,
	civicgrid.HelpActCancelled: civicgrid.HookRequestCancelled,
	HelpActToCase:              civicgrid.HookRequestCancelled,
}

// HookEventsAfter walks the requests' log for webhooks: the events of
// civicgrid.HookRequestTypes after the cursor, each with its request as it
// stands (no address, names, phone or note).
func (s *Service) HookEventsAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.HookRequestEvent, int64, error) {
	evs, err := s.store.VolunteerEventsAfter(ctx, cursor, limit)
	if err != nil || len(evs) == 0 {
		return nil, cursor, err
	}
	var out []civicgrid.HookRequestEvent
	requests := map[int64]civicgrid.HelpRequest{}
	for _, ev := range evs {
		typ, ok := hookTypes[ev.Action]
		if !ok {
			continue
		}
		r, ok := requests[ev.RequestID]
		if !ok {
			if r, err = s.store.HelpRequestByID(ctx, ev.RequestID); err != nil {
				return nil, cursor, err
			}
			requests[r.ID] = r
		}
		hr := civicgrid.HookRequest{ID: r.ID, Service: r.Service, BuildingCode: r.BuildingCode, Urgency: r.Urgency, Needs: r.Needs,
			Status: r.Status, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, OpenedAt: r.OpenedAt, TakeBy: r.TakeBy, Minutes: r.Minutes}
		if len(r.BuildingCode) >= 12 {
			hr.Community = r.BuildingCode[:12]
		}
		if hr.Needs == nil {
			hr.Needs = []string{}
		}
		out = append(out, civicgrid.HookRequestEvent{ID: ev.ID, Type: typ, At: ev.At, Request: hr})
	}
	return out, evs[len(evs)-1].ID, nil
}

var _ civicgrid.HookRequestLog = (*Service)(nil)
