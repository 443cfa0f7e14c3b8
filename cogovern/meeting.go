package cogovern

import (
	"context"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/photo"
)

// Meetings (议事会): scheduled by staff of a scope with an agenda of
// proposals on the agenda there, a roll of invited people frozen at once,
// sign-in at the door and minutes with a decision per item, published to
// the scope.

// ScheduleMeeting schedules a meeting and freezes its roll.
func (s *Service) ScheduleMeeting(ctx context.Context, actor civicgrid.Actor, in civicgrid.MeetingInput) (civicgrid.Meeting, error) {
	now := s.now()
	area, yard, err := s.courtyardScope(ctx, actor, in.CourtyardID, in.AreaCode)
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	in.AreaCode = area
	m, err := in.Check(now)
	if err != nil {
		return m, err
	}
	m.CourtyardScope = yard
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object()); err != nil {
		return m, err
	}
	if err := s.checkArea(ctx, m.AreaCode); err != nil {
		return m, err
	}
	for _, it := range m.Agenda { // a proposal the actor may not read is "not found"
		if _, err := s.readable(ctx, actor, it.ProposalID); err != nil {
			return civicgrid.Meeting{}, err
		}
	}
	m.CreatedBy, m.Code = actor.UserID, civicgrid.NewMeetingCode()
	return s.store.CreateMeeting(ctx, m, event(actor, civicgrid.CogovMeetingScheduled, now))
}

// MeetingView is a meeting as its reader sees it: staff of the scope see
// the door code, the roll (names masked) and the history; others see
// whether they are invited and signed in (the
// meeting's Attended is the count).
type MeetingView struct {
	civicgrid.Meeting
	OnRoll    bool                   `json:"on_roll"`
	SignedIn  bool                   `json:"signed_in"` // the reader signed in`
	CanManage bool                   `json:"can_manage"`
	Roll      []civicgrid.Attendee   `json:"roll,omitempty"`
	History   []civicgrid.CogovEvent `json:"history,omitempty"`
}

func (s *Service) readableMeeting(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Meeting, error) {
	return readableByID(ctx, actor, id, s.store.MeetingByID, "meeting")
}

// Meeting returns a meeting the actor may read.
func (s *Service) Meeting(ctx context.Context, actor civicgrid.Actor, id int64) (MeetingView, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	v := MeetingView{Meeting: m, CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object()) == nil}
	if !v.CanManage {
		v.Code = ""
		if m.Status != civicgrid.MeetingPublished {
			v.Minutes = ""
		}
	}
	if v.OnRoll, v.SignedIn, err = s.store.OnMeetingRoll(ctx, id, actor.UserID); err != nil || !v.CanManage {
		return v, err
	}
	if v.Roll, err = s.store.MeetingRoll(ctx, id); err != nil {
		return v, err
	}
	for i := range v.Roll {
		v.Roll[i].Name = civicgrid.MaskName(v.Roll[i].Name)
	}
	v.History, err = s.store.CogovEvents(ctx, civicgrid.MeetingSubject(id))
	return v, err
}

// Meetings lists the meetings the actor may read, newest first, without
// door codes.
func (s *Service) Meetings(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Meeting, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	ms, err := s.store.Meetings(ctx, within, exact, ListLimit)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m civicgrid.Meeting) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, m.Object()) != nil
	})
	for i := range ms {
		ms[i].Code = ""
	}
	return ms, nil
}

// SignIn signs the actor in at the door with the meeting code.
func (s *Service) SignIn(ctx context.Context, actor civicgrid.Actor, id int64, code string) (MeetingView, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionAttendMeeting, m.Object()); err != nil {
		return MeetingView{}, err
	}
	now := s.now()
	if s.doors.blocked(id, actor.UserID, now) {
		return MeetingView{}, civicgrid.Errorf(civicgrid.ETHROTTLED, "too many wrong codes for meeting %d: ask the staff at the door to mark you present, or try again later", id)
	}
	if c := strings.TrimSpace(code); c == "" || c != m.Code {
		s.doors.wrong(id, actor.UserID, now)
		return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "that is not the code shown at the door of meeting %d", id)
	}
	if _, err := s.store.SignIn(ctx, id, actor.UserID, event(actor, civicgrid.CogovSignedIn, s.now())); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return MeetingView{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "you are not invited to meeting %d (its roll was frozen when it was scheduled)", id)
		}
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// MarkAttended is staff ticking a person on the roll at the door.
func (s *Service) MarkAttended(ctx context.Context, actor civicgrid.Actor, id, userID int64) (MeetingView, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object()); err != nil {
		return MeetingView{}, err
	}
	if userID <= 0 {
		return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "give the user_id of a person on the roll")
	}
	ev := event(actor, civicgrid.CogovSignedIn, s.now())
	ev.Note = "marked by staff"
	if _, err := s.store.SignIn(ctx, id, userID, ev); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// MinutesInput is what staff record after the meeting.
type MinutesInput struct {
	Minutes string                 `json:"minutes"`
	Items   []civicgrid.AgendaItem `json:"items"`
	// Photos of the meeting (refs from POST /api/v1/photos), up to 6.
	Photos []string `json:"photos"`
}

// PublishMinutes records the decision on every agenda item and publishes
// the minutes to the scope, with the quorum as attendance stands.
func (s *Service) PublishMinutes(ctx context.Context, actor civicgrid.Actor, id int64, in MinutesInput) (MeetingView, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object()); err != nil {
		return MeetingView{}, err
	}
	items, err := m.CheckMinutes(in.Minutes, in.Items)
	if err != nil {
		return MeetingView{}, err
	}
	if len(in.Photos) > civicgrid.MaxUpdatePhotos {
		return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "photos: at most %d photos with the minutes", civicgrid.MaxUpdatePhotos)
	}
	var has func(string) bool
	if s.proj.Photos != nil {
		has = s.proj.Photos.Has
	}
	for _, ref := range in.Photos {
		if msg := photo.RefProblem(ref, has); msg != "" {
			return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "photos: %s", msg)
		}
	}
	if m.Status != civicgrid.MeetingScheduled {
		return MeetingView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d's minutes are published already", id)
	}
	if _, err := s.store.PublishMinutes(ctx, id, strings.TrimSpace(in.Minutes), items, in.Photos, event(actor, civicgrid.CogovMinutesPublished, s.now())); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}
