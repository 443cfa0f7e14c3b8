package cogovern

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/sms"
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
	if m.Named, err = s.namedInvitees(ctx, in.InvitedPhones); err != nil {
		return civicgrid.Meeting{}, err
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

// meetingRoll is a meeting as the object of an access decision for one
// reader, with whether they are on its roll and signed in: someone on the
// roll (invited by role or by name) is one of its Members.
type meetingRoll struct {
	civicgrid.Meeting
	onRoll, signedIn bool
}

func (s *Service) readableMeeting(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Meeting, error) {
	m, err := s.meetingFor(ctx, actor, id)
	return m.Meeting, err
}

// meetingFor reads a meeting the actor may read (as someone of its scope
// or someone on its roll) with their place on the roll.
func (s *Service) meetingFor(ctx context.Context, actor civicgrid.Actor, id int64) (meetingRoll, error) {
	m, err := s.store.MeetingByID(ctx, id)
	if err != nil {
		return meetingRoll{}, err
	}
	mr := meetingRoll{Meeting: m}
	if actor.UserID != 0 {
		if mr.onRoll, mr.signedIn, err = s.store.OnMeetingRoll(ctx, id, actor.UserID); err != nil {
			return mr, err
		}
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCogov, s.meetingObject(actor, mr)); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return mr, err
		}
		return mr, civicgrid.Errorf(civicgrid.ENOTFOUND, "no meeting %d", id)
	}
	return mr, nil
}

// meetingObject is the meeting as the object of the actor's access
// decision: its Members hold the actor when they are on the roll.
func (s *Service) meetingObject(actor civicgrid.Actor, m meetingRoll) civicgrid.Object {
	obj := m.Meeting.Object()
	if m.onRoll {
		obj.Members = []int64{actor.UserID}
	}
	return obj
}

// namedInvitees finds the people invited by name (by phone): every phone
// must be a registered person's, else 400 naming each one.
func (s *Service) namedInvitees(ctx context.Context, phones []string) ([]int64, error) {
	var ids []int64
	var ps []civicgrid.Problem
	for i, ph := range phones {
		if strings.TrimSpace(ph) == "" {
			continue
		}
		p, err := sms.Normalize(ph)
		if err != nil {
			ps = append(ps, civicgrid.Problem{Index: i, Kind: "invited_phones", Detail: "not a phone number: " + err.Error()})
			continue
		}
		id, _, err := s.store.PersonByPhone(ctx, p)
		switch {
		case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
			ps = append(ps, civicgrid.Problem{Index: i, Kind: "invited_phones", Detail: "nobody is registered with the phone " + civicgrid.MaskPhone(p)})
			continue
		case err != nil:
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ps) > 0 {
		return nil, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the meeting is not valid: invite registered people", Problems: ps}
	}
	return ids, nil
}

// Meeting returns a meeting the actor may read.
func (s *Service) Meeting(ctx context.Context, actor civicgrid.Actor, id int64) (MeetingView, error) {
	mr, err := s.meetingFor(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	m := mr.Meeting
	v := MeetingView{Meeting: m, CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object()) == nil}
	if !v.CanManage {
		v.Code = ""
		if m.Status != civicgrid.MeetingPublished {
			v.Minutes = ""
		}
	}
	if v.OnRoll, v.SignedIn = mr.onRoll, mr.signedIn; !v.CanManage {
		// Readers see why a meeting was moved or cancelled, not who signed
		// in (sign-in events name people).
		evs, err := s.store.CogovEvents(ctx, civicgrid.MeetingSubject(id))
		for _, ev := range evs {
			if ev.Action == civicgrid.CogovMeetingRescheduled || ev.Action == civicgrid.CogovMeetingCancelled {
				v.History = append(v.History, ev)
			}
		}
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
	if actor.UserID != 0 { // and those one is invited to (by name, outside one's scope)
		inv, err := s.store.MeetingsInvited(ctx, actor.UserID, ListLimit)
		if err != nil {
			return nil, err
		}
		for _, m := range inv {
			if !slices.ContainsFunc(ms, func(x civicgrid.Meeting) bool { return x.ID == m.ID }) &&
				civicgrid.Authorize(actor, civicgrid.ActionReadCogov, s.meetingObject(actor, meetingRoll{Meeting: m, onRoll: true})) == nil {
				ms = append(ms, m)
			}
		}
		slices.SortFunc(ms, func(a, b civicgrid.Meeting) int { return cmp.Compare(b.ID, a.ID) })
		if len(ms) > ListLimit {
			ms = ms[:ListLimit]
		}
	}
	for i := range ms {
		ms[i].Code = ""
	}
	return ms, nil
}

// SignIn signs the actor in at the door with the meeting code.
func (s *Service) SignIn(ctx context.Context, actor civicgrid.Actor, id int64, code string) (MeetingView, error) {
	mr, err := s.meetingFor(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	m := mr.Meeting
	if err := civicgrid.Authorize(actor, civicgrid.ActionAttendMeeting, s.meetingObject(actor, mr)); err != nil {
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
		return MeetingView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is %s: its minutes are published once, for a meeting held", id, m.Status)
	}
	if _, err := s.store.PublishMinutes(ctx, id, strings.TrimSpace(in.Minutes), items, in.Photos, event(actor, civicgrid.CogovMinutesPublished, s.now())); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// managedMeeting reads a meeting the actor may read and run.
func (s *Service) managedMeeting(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Meeting, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return m, err
	}
	return m, civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, m.Object())
}

// RescheduleMeeting moves a scheduled meeting to a new start or place
// with a reason; everyone on its roll hears of it.
func (s *Service) RescheduleMeeting(ctx context.Context, actor civicgrid.Actor, id int64, c civicgrid.MeetingChange) (MeetingView, error) {
	m, err := s.managedMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	now := s.now()
	moved, reason, err := c.CheckReschedule(m, now)
	if err != nil {
		return MeetingView{}, err
	}
	ev := event(actor, civicgrid.CogovMeetingRescheduled, now)
	ev.Note = reason
	if _, err := s.store.RescheduleMeeting(ctx, id, moved.StartsAt, moved.Place, ev); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// CancelMeeting calls a scheduled meeting off with a reason; its
// proposals stay on the agenda for another meeting or a vote, and
// everyone on its roll hears of it.
func (s *Service) CancelMeeting(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (MeetingView, error) {
	if _, err := s.managedMeeting(ctx, actor, id); err != nil {
		return MeetingView{}, err
	}
	r, err := civicgrid.MeetingChange{Reason: reason}.CheckReason()
	if err != nil {
		return MeetingView{}, err
	}
	if _, err := s.store.CancelMeeting(ctx, id, r, event(actor, civicgrid.CogovMeetingCancelled, s.now())); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// AddMeetingDocument checks a PDF by its content (photo.CheckPDF, as
// notices' documents), stores it and attaches it to the meeting under
// name: before the meeting (the papers of the agenda) or after (a signed
// record). A file refused writes nothing.
func (s *Service) AddMeetingDocument(ctx context.Context, actor civicgrid.Actor, id int64, name string, r io.Reader) (MeetingView, error) {
	m, err := s.managedMeeting(ctx, actor, id)
	if err != nil {
		return MeetingView{}, err
	}
	name = civicgrid.CleanDocumentName(name)
	if name == "" || utf8.RuneCountInString(name) > civicgrid.MaxDocumentName {
		return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "documents: a file name of 1 to %d characters", civicgrid.MaxDocumentName)
	}
	if m.Status == civicgrid.MeetingCancelled {
		return MeetingView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is cancelled: it takes no documents", id)
	}
	if len(m.Documents) >= civicgrid.MaxMeetingDocuments {
		return MeetingView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d has %d documents already: at most %d", id, len(m.Documents), civicgrid.MaxMeetingDocuments)
	}
	if s.proj.Documents == nil {
		return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "documents: this server keeps no documents")
	}
	d, err := s.proj.Documents.SaveDocument(r)
	if err != nil {
		switch {
		case errors.Is(err, photo.ErrTooLarge):
			return MeetingView{}, civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: %s: at most %d MiB", name, photo.MaxDocumentBytes>>20)
		case errors.Is(err, photo.ErrEmptyDocument), errors.Is(err, photo.ErrNotAPDF), errors.Is(err, photo.ErrActivePDF):
			return MeetingView{}, civicgrid.Errorf(civicgrid.EINVALID, "documents: %s: %v (PDF only)", name, err)
		}
		return MeetingView{}, err
	}
	doc := civicgrid.NoticeDocument{Ref: d.Ref, Name: name, Bytes: d.Bytes}
	if _, err := s.store.AddMeetingDocument(ctx, id, doc, civicgrid.MaxMeetingDocuments, event(actor, civicgrid.CogovMeetingDocument, s.now())); err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, actor, id)
}

// MeetingDocument returns a meeting's document for the actor to download:
// only if they may read the meeting (else "not found", as the meeting
// is), and only a document of that meeting.
func (s *Service) MeetingDocument(ctx context.Context, actor civicgrid.Actor, id int64, ref string) (civicgrid.NoticeDocument, error) {
	m, err := s.readableMeeting(ctx, actor, id)
	if err != nil {
		return civicgrid.NoticeDocument{}, err
	}
	d, ok := m.Document(ref)
	if !ok {
		return d, civicgrid.Errorf(civicgrid.ENOTFOUND, "meeting %d has no document %q", id, ref)
	}
	return d, nil
}

// MeetingBoard is the published minutes on an area's public notice board
// (公示栏): meetings of its subtree or above it (its community, street)
// whose minutes were published in the last MeetingBoardDays days, newest
// first, with the agenda's decisions, the attendance, the quorum and the
// minutes — no code, no roll, no photos or documents (those are for the
// meeting's readers), nobody named.
func (s *Service) MeetingBoard(ctx context.Context, area string) ([]civicgrid.Meeting, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	ms, err := s.store.Meetings(ctx, []string{area}, civicgrid.AncestorCodes(area), ListLimit)
	if err != nil {
		return nil, err
	}
	since := s.now().AddDate(0, 0, -civicgrid.MeetingBoardDays)
	ms = slices.DeleteFunc(ms, func(m civicgrid.Meeting) bool {
		return m.Status != civicgrid.MeetingPublished || m.PublishedAt.Before(since) || !m.OnBoard(area)
	})
	for i := range ms {
		full, err := s.store.MeetingByID(ctx, ms[i].ID) // the agenda with its decisions
		if err != nil {
			return nil, err
		}
		full.Code, full.CreatedBy, full.Photos, full.Documents, full.Named = "", 0, nil, nil, nil
		ms[i] = full
	}
	return ms, nil
}

// meetingDrafts are the notifications of a meeting's events: everyone on
// its roll hears that it was scheduled, moved or cancelled.
func (s *Service) meetingDrafts(ctx context.Context, ev civicgrid.CogovEvent, id int64, add func(user int64, what, link string, args ...string)) error {
	what := map[string]string{civicgrid.CogovMeetingScheduled: "cogov.meeting_scheduled", civicgrid.CogovMeetingRescheduled: "cogov.meeting_rescheduled",
		civicgrid.CogovMeetingCancelled: "cogov.meeting_cancelled"}[ev.Action]
	if what == "" {
		return nil
	}
	m, err := s.store.MeetingByID(ctx, id)
	if err != nil {
		return err
	}
	roll, err := s.store.MeetingRoll(ctx, id)
	if err != nil {
		return err
	}
	at, place := m.StartsAt, m.Place
	if ms, err := strconv.ParseInt(ev.Data["starts_at"], 10, 64); err == nil { // as the event says, not as it stands now
		at = time.UnixMilli(ms)
	}
	if p := ev.Data["place"]; p != "" {
		place = p
	}
	link := "/meetings/" + strconv.FormatInt(id, 10)
	for _, a := range roll {
		add(a.UserID, what, link, "title", m.Title, "at", s.local(at).Format("2006-01-02 15:04"), "place", place, "reason", ev.Note)
	}
	return nil
}

// local is t on the working calendar's clock (the city's), as messages
// name times; without a calendar, the server's.
func (s *Service) local(t time.Time) time.Time {
	if s.cfg.Calendar == nil {
		return t
	}
	h := s.cfg.Calendar.Base().UTCOffsetHours
	return t.In(time.FixedZone(fmt.Sprintf("UTC%+d", h), h*3600))
}
