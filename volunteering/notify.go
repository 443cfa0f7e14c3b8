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
// staff hear of a request still untaken past its time; a volunteer hears
// of an invitation; the poster — and the person helped, when the request
// was made on their behalf and they have an account (a resident of the
// building with the contact phone) — hear that the volunteer gave it back,
// and why. Messages carry no beneficiary, address or contact.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		evs, err := s.store.VolunteerEventsAfter(ctx, cursor, limit)
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		staff := map[string][]int64{}
		for _, ev := range evs {
			switch ev.Action {
			case civicgrid.HelpActUntaken, civicgrid.HelpActInvited, civicgrid.HelpActReleased, civicgrid.HelpActCorrected:
			default:
				continue
			}
			r, err := s.store.HelpRequestByID(ctx, ev.RequestID)
			if err != nil {
				return nil, cursor, err
			}
			id := strconv.FormatInt(r.ID, 10)
			source := "volunteer_event:" + strconv.FormatInt(ev.ID, 10)
			switch ev.Action {
			case civicgrid.HelpActUntaken:
				ids, err := s.staffOf(ctx, r, staff)
				if err != nil {
					return nil, cursor, err
				}
				for _, u := range ids {
					out = append(out, notify.Draft{UserID: u, Kind: "volunteer.untaken", Source: source,
						Link: "/volunteer/requests/" + id, Args: []string{"request", id, "building", r.BuildingCode}})
				}
			case civicgrid.HelpActInvited:
				n, _ := strconv.ParseInt(ev.Data["invitation"], 10, 64)
				inv, err := s.store.HelpInvitationByID(ctx, n)
				if err != nil {
					return nil, cursor, err
				}
				out = append(out, notify.Draft{UserID: inv.VolunteerID, Kind: "volunteer.invited", Source: source,
					Link: "/volunteer#vol-invitations", Args: []string{"request", id, "building", r.BuildingCode}})
			case civicgrid.HelpActReleased:
				to, err := s.requesters(ctx, r)
				if err != nil {
					return nil, cursor, err
				}
				for _, u := range to {
					out = append(out, notify.Draft{UserID: u, Kind: "volunteer.released", Source: source,
						Link: "/help", Args: []string{"request", id, "reason", ev.Note}})
				}
			case civicgrid.HelpActCorrected:
				// The volunteer and the requester are told of a correction
				// of the record, with its reason.
				to, err := s.requesters(ctx, r)
				if err != nil {
					return nil, cursor, err
				}
				if r.VolunteerID != 0 {
					to = append(to, r.VolunteerID)
				}
				for _, u := range to {
					out = append(out, notify.Draft{UserID: u, Kind: "volunteer.corrected", Source: source, Link: "/volunteer/requests/" + id,
						Args: []string{"request", id, "minutes", ev.Data["minutes"], "before", ev.Data["minutes_before"], "reason", ev.Note}})
				}
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

// requesters are whom a request's news is told: its poster, and the person
// helped when asked on their behalf and they have an account — a resident
// of the building whose phone is the request's contact.
func (s *Service) requesters(ctx context.Context, r civicgrid.HelpRequest) ([]int64, error) {
	out := []int64{r.PosterID}
	if !r.OnBehalf || r.Contact == "" || s.cfg.People == nil {
		return out, nil
	}
	us, err := s.cfg.People.ListUsers(ctx, civicgrid.UserFilter{Within: []string{r.BuildingCode}, Role: civicgrid.RoleResident, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.Phone == r.Contact && u.ID != r.PosterID {
			out = append(out, u.ID)
			break
		}
	}
	return out, nil
}
