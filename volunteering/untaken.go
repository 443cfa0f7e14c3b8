package volunteering

import (
	"context"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/notify"
)

// Untaken requests escalate: a request open to volunteers but not taken
// within Config.TakeWithin turns red, and the community's staff are told
// once. The shared deadline scheduler marks it (an event of its history,
// so a restart loses nothing and it fires once per opening); the
// notification sender reads those events with its own cursor.

func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// FireUntaken marks every open request past its take-by time untaken and
// says how many.
func (s *Service) FireUntaken(ctx context.Context) (int, error) {
	const limit = 200
	total := 0
	for {
		n, err := s.store.MarkUntakenHelp(ctx, s.now(), limit)
		total += n
		if err != nil || n < limit {
			return total, err
		}
	}
}

// RunScheduler marks requests untaken as their take-by time passes until
// ctx ends (the case deadline scheduler's loop).
func (s *Service) RunScheduler(ctx context.Context) {
	casework.Deadlines{Name: "volunteer requests untaken", Fire: s.FireUntaken, Next: s.store.NextHelpTakeBy, Now: s.now, Wake: s.wake,
		Slack: 200 * time.Millisecond}.Run(ctx)
}

// NotifySourceName names the notifications' cursor over the request log.
const NotifySourceName = "volunteer"

// NotifySource makes the messages of the request log: the community's
// staff hear of a request still untaken past its time. Messages carry no
// beneficiary, address or contact.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		evs, err := s.store.VolunteerEventsAfter(ctx, cursor, limit)
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		staff := map[string][]int64{}
		for _, ev := range evs {
			if ev.Action != civicgrid.HelpActUntaken {
				continue
			}
			r, err := s.store.HelpRequestByID(ctx, ev.RequestID)
			if err != nil {
				return nil, cursor, err
			}
			ids, err := s.staffOf(ctx, r, staff)
			if err != nil {
				return nil, cursor, err
			}
			id := strconv.FormatInt(r.ID, 10)
			for _, u := range ids {
				out = append(out, notify.Draft{UserID: u, Kind: "volunteer.untaken", Source: "volunteer_event:" + strconv.FormatInt(ev.ID, 10),
					Link: "/volunteer/requests/" + id, Args: []string{"request", id, "building", r.BuildingCode}})
			}
		}
		return out, evs[len(evs)-1].ID, nil
	}}
}

// staffOf returns the community staff who may verify the request (those
// who act on it), cached by community.
func (s *Service) staffOf(ctx context.Context, r civicgrid.HelpRequest, cache map[string][]int64) ([]int64, error) {
	if s.cfg.People == nil || len(r.BuildingCode) < 12 {
		return nil, nil
	}
	community := r.BuildingCode[:12]
	if ids, ok := cache[community]; ok {
		return ids, nil
	}
	var ids []int64
	for _, role := range []string{civicgrid.RoleCommunityStaff, civicgrid.RoleCommunitySecretary} {
		us, err := s.cfg.People.ListUsers(ctx, civicgrid.UserFilter{Within: []string{community}, Role: role, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if civicgrid.Authorize(u.Actor(), civicgrid.ActionVerifyHelp, r.Object()) == nil {
				ids = append(ids, u.ID)
			}
		}
	}
	cache[community] = ids
	return ids, nil
}
