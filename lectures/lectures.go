// Package lectures runs study and lecture events (宣讲/学习活动): staff post
// a lecture in their scope, its people sign up (a waiting list beyond
// capacity moves up on cancellation), staff check attendees in at the door
// by their ticket code, or attendees check themselves in with the event's
// code where it is held, and attendees give feedback. Every decision on who
// may do what is civicgrid.Authorize's.
package lectures

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
)

// Areas is what the service needs of the area registry.
type Areas interface {
	AreaByCode(ctx context.Context, code string) (civicgrid.Area, error)
}

// Teams is what the service needs of the volunteer module's teams
// (volunteering.Service has it): a team by id, to check that a lecture's
// team is a lecture team (宣讲团) of its scope. Plain reads, no access
// decision; the lecture module never reads the volunteer tables.
type Teams interface {
	TeamByID(ctx context.Context, id int64) (civicgrid.Team, error)
}

// Config sets the service's rules.
type Config struct {
	// CheckInRadiusM is how far from the lecture's building a self
	// check-in may be made (default 300 m).
	CheckInRadiusM float64
	Now            func() time.Time
}

// Service is the lecture module.
type Service struct {
	cfg   Config
	store civicgrid.LectureStore
	areas Areas
	teams Teams
}

// SetTeams wires the volunteer module's teams; without it a lecture naming
// a team is refused.
func (s *Service) SetTeams(t Teams) { s.teams = t }

// New returns the service.
func New(cfg Config, store civicgrid.LectureStore, areas Areas) *Service {
	if cfg.CheckInRadiusM <= 0 {
		cfg.CheckInRadiusM = 300
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: store, areas: areas}
}

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

// ListLimit bounds a list.
const ListLimit = 200

// Post posts a lecture in a scope the actor runs.
func (s *Service) Post(ctx context.Context, actor civicgrid.Actor, in civicgrid.LectureInput) (civicgrid.Lecture, error) {
	l, err := in.Check(s.now())
	if err != nil {
		return l, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageLecture, l.Object()); err != nil {
		return l, err
	}
	if _, err := s.areas.AreaByCode(ctx, l.AreaCode); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return l, civicgrid.Errorf(civicgrid.EINVALID, "no area %s", l.AreaCode)
		}
		return l, err
	}
	if l.BuildingCode != "" {
		if _, ok, err := s.place(ctx, l.BuildingCode); err != nil {
			return l, err
		} else if !ok {
			return l, civicgrid.Errorf(civicgrid.EINVALID, "building %s has no location to check arrivals against", l.BuildingCode)
		}
	}
	if l.TeamID != 0 {
		t, err := s.team(ctx, l.TeamID, l.AreaCode)
		if err != nil {
			return l, err
		}
		l.TeamName = t.Name
	}
	l.CheckInCode, l.CreatedBy = civicgrid.ReadableCode(12), actor.UserID
	return s.store.CreateLecture(ctx, l)
}

// team checks that a lecture's team is a lecture team (宣讲团) whose
// community lies in the lecture's scope, or holds it (a community's team
// speaking in one of its grids).
func (s *Service) team(ctx context.Context, id int64, scope string) (civicgrid.Team, error) {
	if s.teams == nil {
		return civicgrid.Team{}, civicgrid.Errorf(civicgrid.EINVALID, "teams are not available here")
	}
	t, err := s.teams.TeamByID(ctx, id)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return t, civicgrid.Errorf(civicgrid.EINVALID, "no team %d", id)
		}
		return t, err
	}
	if t.Kind != civicgrid.TeamLecture {
		return t, civicgrid.Errorf(civicgrid.EINVALID, "team %d is not a lecture team (宣讲团)", id)
	}
	if !civicgrid.InSubtree(scope, t.Community) && !civicgrid.InSubtree(t.Community, scope) {
		return t, civicgrid.Errorf(civicgrid.EINVALID, "team %d is not of the lecture's scope %s", id, scope)
	}
	return t, nil
}

// place returns where a building is (its point or the middle of its
// footprint).
func (s *Service) place(ctx context.Context, code string) (orb.Point, bool, error) {
	a, err := s.areas.AreaByCode(ctx, code)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return orb.Point{}, false, civicgrid.Errorf(civicgrid.EINVALID, "no building %s", code)
		}
		return orb.Point{}, false, err
	}
	switch g := a.Geometry.(type) {
	case nil:
		return orb.Point{}, false, nil
	case orb.Point:
		return g, true, nil
	default:
		return g.Bound().Center(), true, nil
	}
}

// Lecture returns a lecture the actor may read (the check-in code only to
// those who run it); others get "not found".
func (s *Service) Lecture(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Lecture, error) {
	l, err := s.store.LectureByID(ctx, id)
	if err != nil {
		return l, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadLecture, l.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return l, err
		}
		return l, civicgrid.Errorf(civicgrid.ENOTFOUND, "no lecture %d", id)
	}
	if civicgrid.Authorize(actor, civicgrid.ActionManageLecture, l.Object()) != nil {
		l = l.Public()
	}
	return l, nil
}

// Upcoming lists the lectures the actor may read that have not ended,
// soonest first.
func (s *Service) Upcoming(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Lecture, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	ls, err := s.store.Lectures(ctx, exact, within, s.now(), ListLimit)
	if err != nil {
		return nil, err
	}
	out := ls[:0]
	for _, l := range ls {
		if civicgrid.Authorize(actor, civicgrid.ActionReadLecture, l.Object()) == nil {
			if civicgrid.Authorize(actor, civicgrid.ActionManageLecture, l.Object()) != nil {
				l = l.Public()
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// Calendar lists the scheduled lectures of an area and the areas above it
// (the iCalendar feed: public, like a notice board — titles, times, places
// and speakers, never who signed up).
func (s *Service) Calendar(ctx context.Context, area string) ([]civicgrid.Lecture, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	ls, err := s.store.Lectures(ctx, civicgrid.AncestorCodes(area), []string{area}, s.now().AddDate(0, 0, -30), ListLimit)
	out := ls[:0]
	for _, l := range ls {
		if l.Status == civicgrid.LectureScheduled {
			out = append(out, l.Public())
		}
	}
	return out, err
}

// Cancel cancels a lecture.
func (s *Service) Cancel(ctx context.Context, actor civicgrid.Actor, id int64) error {
	l, err := s.managed(ctx, actor, id)
	if err != nil {
		return err
	}
	return s.store.CancelLecture(ctx, l.ID, s.now())
}

// managed reads a lecture the actor runs.
func (s *Service) managed(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Lecture, error) {
	l, err := s.Lecture(ctx, actor, id)
	if err != nil {
		return l, err
	}
	return l, civicgrid.Authorize(actor, civicgrid.ActionManageLecture, l.Object())
}

// SignUp gives the actor a seat or a place on the waiting list.
func (s *Service) SignUp(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.LectureSignup, error) {
	l, err := s.Lecture(ctx, actor, id)
	if err != nil {
		return civicgrid.LectureSignup{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionJoinLecture, l.Object()); err != nil {
		return civicgrid.LectureSignup{}, err
	}
	switch {
	case l.Status != civicgrid.LectureScheduled:
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.ECONFLICT, "the lecture is cancelled")
	case !s.now().Before(l.StartsAt):
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.ECONFLICT, "the lecture has begun: sign-up is closed")
	case !l.InAudience(actor):
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "this lecture is for %s", l.Audience)
	}
	su, err := s.store.SignUp(ctx, l.ID, actor.UserID, civicgrid.MaskName(actor.Name), civicgrid.ReadableCode(10), s.now())
	if err != nil {
		return su, err
	}
	return s.store.SignupOf(ctx, l.ID, actor.UserID)
}

// CancelSignup withdraws the actor; the first on the waiting list takes
// the freed seat.
func (s *Service) CancelSignup(ctx context.Context, actor civicgrid.Actor, id int64) error {
	l, err := s.Lecture(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionJoinLecture, l.Object()); err != nil {
		return err
	}
	_, err = s.store.CancelSignup(ctx, l.ID, actor.UserID, s.now())
	return err
}

// MySignup returns the actor's sign-up for a lecture (their ticket).
func (s *Service) MySignup(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.LectureSignup, error) {
	l, err := s.Lecture(ctx, actor, id)
	if err != nil {
		return civicgrid.LectureSignup{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionJoinLecture, l.Object()); err != nil {
		return civicgrid.LectureSignup{}, err
	}
	return s.store.SignupOf(ctx, id, actor.UserID)
}

// MySignups lists the actor's sign-ups.
func (s *Service) MySignups(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.LectureSignup, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadSelf, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	return s.store.SignupsOf(ctx, actor.UserID)
}

// Signups lists who signed up, for those who run the lecture (names masked).
func (s *Service) Signups(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.LectureSignup, error) {
	l, err := s.managed(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out, err := s.store.Signups(ctx, l.ID)
	for i := range out {
		out[i].Ticket = ""
	}
	return out, err
}

// CheckIn checks an attendee in at the door by the ticket code staff
// scanned or typed: the ticket must be a seat at this lecture, during the
// door's hours, once.
func (s *Service) CheckIn(ctx context.Context, actor civicgrid.Actor, id int64, ticket string) (civicgrid.LectureSignup, error) {
	l, err := s.managed(ctx, actor, id)
	if err != nil {
		return civicgrid.LectureSignup{}, err
	}
	ticket = civicgrid.NormalizeCode(ticket)
	if ticket == "" || utf8.RuneCountInString(ticket) > 40 {
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EINVALID, "a ticket code is required")
	}
	su, err := s.store.SignupByTicket(ctx, ticket)
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		return su, civicgrid.Errorf(civicgrid.EINVALID, "no ticket %s", ticket)
	case err != nil:
		return su, err
	case su.LectureID != l.ID:
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EINVALID, "ticket %s is for another lecture", ticket)
	}
	return s.checkIn(ctx, l, su, "staff")
}

// SelfCheckIn checks the actor in with the event's code they scanned at
// the door; when the lecture names a building, where they stand must be
// within the radius of it.
func (s *Service) SelfCheckIn(ctx context.Context, actor civicgrid.Actor, id int64, code string, lat, lng *float64) (civicgrid.LectureSignup, error) {
	l, err := s.store.LectureByID(ctx, id)
	if err != nil {
		return civicgrid.LectureSignup{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionJoinLecture, l.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return civicgrid.LectureSignup{}, err
		}
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no lecture %d", id)
	}
	if civicgrid.NormalizeCode(code) != l.CheckInCode {
		return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EINVALID, "this is not the code of this lecture's door")
	}
	if l.BuildingCode != "" {
		at, ok, err := s.place(ctx, l.BuildingCode)
		if err != nil {
			return civicgrid.LectureSignup{}, err
		}
		if ok {
			if lat == nil || lng == nil {
				return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EINVALID, "allow the location, so that your arrival at the place can be checked")
			}
			if d := geo.Distance(at, orb.Point{*lng, *lat}); d > s.cfg.CheckInRadiusM {
				return civicgrid.LectureSignup{}, civicgrid.Errorf(civicgrid.EINVALID, "you are %.0f m from the place; check in there (within %.0f m)", d, s.cfg.CheckInRadiusM)
			}
		}
	}
	su, err := s.store.SignupOf(ctx, l.ID, actor.UserID)
	if err != nil {
		return su, err
	}
	return s.checkIn(ctx, l, su, "self")
}

func (s *Service) checkIn(ctx context.Context, l civicgrid.Lecture, su civicgrid.LectureSignup, by string) (civicgrid.LectureSignup, error) {
	now := s.now()
	switch {
	case l.Status != civicgrid.LectureScheduled:
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "the lecture is cancelled")
	case now.Before(l.StartsAt.Add(-civicgrid.CheckInOpensBefore)):
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "the door opens an hour before the start")
	case now.After(l.EndsAt):
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "the lecture is over")
	case su.State == civicgrid.SignupWaiting:
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "%s is on the waiting list, without a seat", su.Name)
	case su.State != civicgrid.SignupConfirmed:
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "this sign-up was cancelled")
	}
	ok, err := s.store.CheckIn(ctx, su.ID, now, by)
	if err != nil {
		return su, err
	}
	if !ok {
		return su, civicgrid.Errorf(civicgrid.ECONFLICT, "%s is already checked in", su.Name)
	}
	su.CheckedInAt, su.CheckedInBy, su.Ticket = now, by, ""
	return su, nil
}

// Feedback stores an attendee's rating (1–5) and comment after the start,
// once.
func (s *Service) Feedback(ctx context.Context, actor civicgrid.Actor, id int64, rating int, comment string) error {
	l, err := s.Lecture(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionJoinLecture, l.Object()); err != nil {
		return err
	}
	comment = strings.TrimSpace(comment)
	if rating < 1 || rating > 5 || utf8.RuneCountInString(comment) > civicgrid.MaxLectureFeedback {
		return civicgrid.Errorf(civicgrid.EINVALID, "a rating of 1 to 5 and at most 500 characters of comment")
	}
	su, err := s.store.SignupOf(ctx, l.ID, actor.UserID)
	if err != nil {
		return err
	}
	if su.CheckedInAt.IsZero() {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "only those who attended give feedback")
	}
	ok, err := s.store.RateLecture(ctx, su.ID, rating, comment)
	if err == nil && !ok {
		err = civicgrid.Errorf(civicgrid.ECONFLICT, "feedback was given already")
	}
	return err
}

// RemindDue logs the day-before reminders: each seated attendee of a
// lecture starting within the next 24 hours is told once (the
// notification sender's "lectures" source writes the message).
func (s *Service) RemindDue(ctx context.Context) (int, error) {
	now := s.now()
	return s.store.RemindLectures(ctx, now, now.Add(24*time.Hour))
}

// RunReminders logs the reminders due every interval until ctx ends,
// calling told after a round that reminded any lecture.
func (s *Service) RunReminders(ctx context.Context, every time.Duration, told func(), log func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.RemindDue(ctx); err != nil && ctx.Err() == nil {
			log(err)
		} else if n > 0 && told != nil {
			told()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats counts lectures, seats and attendance per scope and month in the
// actor's area, for the months [from, to).
func (s *Service) Stats(ctx context.Context, actor civicgrid.Actor, area string, from, to time.Time) ([]civicgrid.LectureStats, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	if !to.After(from) || to.Sub(from) > 3*366*24*time.Hour {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "a period of at most three years, its end after its start")
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(area)); err != nil {
		return nil, err
	}
	return s.store.LectureStats(ctx, []string{area}, from, to)
}

// TeamStats counts, per lecture team (宣讲团) and month, the lectures the
// team gave in the area in [from, to) and their attendance (seats,
// check-ins, the mean rating): the same rule as Stats.
func (s *Service) TeamStats(ctx context.Context, actor civicgrid.Actor, area string, from, to time.Time) ([]civicgrid.LectureTeamStats, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	if !to.After(from) || to.Sub(from) > 3*366*24*time.Hour {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "a period of at most three years, its end after its start")
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(area)); err != nil {
		return nil, err
	}
	st, err := s.store.LectureTeamStats(ctx, []string{area}, from, to)
	if st == nil {
		st = []civicgrid.LectureTeamStats{}
	}
	return st, err
}

// NotifySourceName names the notifications' cursor over the lecture log.
const NotifySourceName = "lectures"

// NotifySource tells people what happened to their place: a seat came
// free for the first on the waiting list; the lecture was cancelled.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		ns, err := s.store.LectureNoticesAfter(ctx, cursor, limit)
		if err != nil || len(ns) == 0 {
			return nil, cursor, err
		}
		out := make([]notify.Draft, 0, len(ns))
		titles := map[int64]civicgrid.Lecture{}
		for _, n := range ns {
			l, ok := titles[n.LectureID]
			if !ok {
				if l, err = s.store.LectureByID(ctx, n.LectureID); err != nil {
					return nil, cursor, err
				}
				titles[n.LectureID] = l
			}
			when := l.StartsAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
			out = append(out, notify.Draft{UserID: n.UserID, Kind: "lecture." + n.Kind, Source: "lecture_event:" + strconv.FormatInt(n.ID, 10),
				Link: "/lectures/" + strconv.FormatInt(n.LectureID, 10), Args: []string{"title", l.Title, "when", when}})
		}
		return out, ns[len(ns)-1].ID, nil
	}}
}
