package civicgrid

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Study and lecture events (宣讲/学习活动): community staff post a lecture
// in their scope (speakers, place, time, capacity); the people of the
// scope sign up, beyond capacity onto a waiting list that moves up when
// someone cancels; at the door staff scan the attendee's ticket code, or
// the attendee scans the event's code where they stand (the place
// checked); attendees rate the event afterwards. docs/lectures.md states
// the rules.

// LectureStatus is where a lecture stands.
type LectureStatus string

const (
	LectureScheduled LectureStatus = "scheduled"
	LectureCancelled LectureStatus = "cancelled"
)

// Lecture audiences: who in the scope may sign up (residents and
// volunteers as the notice audiences of the same names).
const (
	AudienceEveryone = "everyone"
	AudienceStaff    = "staff"
)

// LectureAudiences lists the audiences a lecture may name.
var LectureAudiences = []string{AudienceEveryone, AudienceResidents, AudienceVolunteers, AudienceStaff}

// Limits of a lecture.
const (
	MaxLectureTitle    = 100
	MaxLectureText     = 200 // speakers, place
	MaxLectureCapacity = 10000
	MaxLectureLength   = 12 * time.Hour
	MaxLectureFeedback = 500
	// CheckInOpensBefore is how long before the start the door opens.
	CheckInOpensBefore = time.Hour
)

// Lecture is a study or lecture event in a scope (a community, street …).
// CheckInCode is the event's own code, shown as a QR code at the door to
// staff only.
type Lecture struct {
	ID           int64         `json:"id"`
	Title        string        `json:"title"`
	Speakers     string        `json:"speakers"`          // a lecture team (宣讲团) or names
	TeamID       int64         `json:"team_id,omitempty"` // the speakers' lecture team, if named
	TeamName     string        `json:"team,omitempty"`    // its name when the lecture was posted
	AreaCode     string        `json:"area_code"`
	Place        string        `json:"place,omitempty"`
	BuildingCode string        `json:"building_code,omitempty"` // where self check-in is measured from
	OnlineURL    string        `json:"online_url,omitempty"`
	StartsAt     time.Time     `json:"starts_at"`
	EndsAt       time.Time     `json:"ends_at"`
	Capacity     int           `json:"capacity"`
	Audience     string        `json:"audience"`
	Status       LectureStatus `json:"status"`
	CheckInCode  string        `json:"check_in_code,omitempty"`
	CreatedBy    int64         `json:"-"`
	CreatedAt    time.Time     `json:"created_at"`
	// Counts, read with the lecture.
	Confirmed int `json:"confirmed"`
	Waiting   int `json:"waiting"`
	Attended  int `json:"attended"`
}

// Object is the lecture as the object of an access decision.
func (l Lecture) Object() Object { return Object{Areas: []string{l.AreaCode}} }

// Public returns the lecture without the event's check-in code.
func (l Lecture) Public() Lecture {
	l.CheckInCode = ""
	return l
}

// LectureInput is what staff write to post a lecture.
type LectureInput struct {
	Title        string    `json:"title"`
	Speakers     string    `json:"speakers"`
	TeamID       int64     `json:"team_id"` // a lecture team (宣讲团) of the scope, optional
	AreaCode     string    `json:"area_code"`
	Place        string    `json:"place"`
	BuildingCode string    `json:"building_code"`
	OnlineURL    string    `json:"online_url"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Capacity     int       `json:"capacity"`
	Audience     string    `json:"audience"` // default everyone
}

// Check validates the input, every problem named at once, and returns the
// lecture it makes.
func (in LectureInput) Check(now time.Time) (Lecture, error) {
	l := Lecture{Title: strings.TrimSpace(in.Title), Speakers: strings.TrimSpace(in.Speakers), AreaCode: strings.TrimSpace(in.AreaCode),
		Place: strings.TrimSpace(in.Place), BuildingCode: strings.TrimSpace(in.BuildingCode), OnlineURL: strings.TrimSpace(in.OnlineURL),
		StartsAt: in.StartsAt, EndsAt: in.EndsAt, Capacity: in.Capacity, Audience: in.Audience, Status: LectureScheduled, CreatedAt: now,
		TeamID: in.TeamID}
	if l.Audience == "" {
		l.Audience = AudienceEveryone
	}
	var problems []Problem
	bad := func(field, msg string) { problems = append(problems, Problem{Index: -1, Kind: field, Detail: msg}) }
	if n := utf8.RuneCountInString(l.Title); n == 0 || n > MaxLectureTitle {
		bad("title", "a title of 1 to 100 characters is required")
	}
	if utf8.RuneCountInString(l.Speakers) > MaxLectureText {
		bad("speakers", "at most 200 characters")
	}
	if l.TeamID < 0 {
		bad("team_id", "a team id, or none")
	}
	if utf8.RuneCountInString(l.Place) > MaxLectureText {
		bad("place", "at most 200 characters")
	}
	if lv := LevelOfCode(l.AreaCode); lv == "" || lv == LevelBuilding {
		bad("area_code", "the scope must be a district, street, community or grid code")
	}
	if l.BuildingCode != "" && (LevelOfCode(l.BuildingCode) != LevelBuilding || !InSubtree(l.AreaCode, l.BuildingCode)) {
		bad("building_code", "must be a building in the lecture's scope")
	}
	if l.OnlineURL != "" {
		if u, err := url.Parse(l.OnlineURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("online_url", "must be an https:// address")
		}
	}
	if l.Place == "" && l.OnlineURL == "" {
		bad("place", "a place or an online address is required")
	}
	switch {
	case l.StartsAt.IsZero():
		bad("starts_at", "a start time is required")
	case !l.StartsAt.After(now):
		bad("starts_at", "the start must be in the future")
	}
	switch {
	case l.EndsAt.IsZero() && !l.StartsAt.IsZero():
		l.EndsAt = l.StartsAt.Add(time.Hour)
	case !l.EndsAt.After(l.StartsAt):
		bad("ends_at", "the end must be after the start")
	case l.EndsAt.Sub(l.StartsAt) > MaxLectureLength:
		bad("ends_at", "a lecture lasts at most 12 hours")
	}
	if l.Capacity < 1 || l.Capacity > MaxLectureCapacity {
		bad("capacity", "a capacity of 1 to 10000 people is required")
	}
	if !slices.Contains(LectureAudiences, l.Audience) {
		bad("audience", "one of everyone, residents, volunteers, staff")
	}
	if len(problems) > 0 {
		return l, &Error{Code: EINVALID, Message: "the lecture is not valid", Problems: problems}
	}
	return l, nil
}

// InAudience says whether a person holding the actor's grants belongs to
// the lecture's audience.
func (l Lecture) InAudience(a Actor) bool {
	switch l.Audience {
	case AudienceResidents:
		return a.Holds(RoleResident) || a.Holds(RoleBuilding)
	case AudienceVolunteers:
		return a.Holds(RoleVolunteer)
	case AudienceStaff:
		for _, g := range a.Grants {
			if info, _ := LookupRole(g.Role); info.Staff {
				return true
			}
		}
		return false
	}
	return true
}

// SignupState is where a person's place at a lecture stands.
type SignupState string

const (
	SignupConfirmed SignupState = "confirmed" // has a seat
	SignupWaiting   SignupState = "waiting"   // on the waiting list, in order of signing up
	SignupCancelled SignupState = "cancelled"
)

// LectureSignup is one person's place at a lecture. Ticket is their own
// code (shown to them as a QR code, scanned by staff at the door).
type LectureSignup struct {
	ID          int64       `json:"id"`
	LectureID   int64       `json:"lecture_id"`
	UserID      int64       `json:"-"`
	Name        string      `json:"name"` // masked name (no phone: staff and neighbours read the lists)
	State       SignupState `json:"state"`
	Ticket      string      `json:"ticket,omitempty"`
	Place       int         `json:"place,omitempty"` // on the waiting list, 1 is next
	CreatedAt   time.Time   `json:"created_at"`
	CheckedInAt time.Time   `json:"checked_in_at,omitzero"`
	CheckedInBy string      `json:"checked_in_by,omitempty"` // "staff" or "self"
	Rating      int         `json:"rating,omitempty"`
	Feedback    string      `json:"feedback,omitempty"`
}

// LectureStats counts lectures and attendance in an area and month.
type LectureStats struct {
	AreaCode  string `json:"area_code"`
	Month     string `json:"month"` // 2026-12
	Lectures  int    `json:"lectures"`
	Confirmed int    `json:"confirmed"`
	Attended  int    `json:"attended"`
}

// LectureTeamStats counts the lectures a lecture team (宣讲团) gave in a
// month and their attendance: sign-ups holding a seat, check-ins, and the
// mean of the attendees' ratings (0 when none rated).
type LectureTeamStats struct {
	TeamID     int64   `json:"team_id"`
	Team       string  `json:"team"`
	Month      string  `json:"month"` // 2026-12
	Lectures   int     `json:"lectures"`
	Confirmed  int     `json:"confirmed"`
	Attended   int     `json:"attended"`
	Rated      int     `json:"rated"`
	RatingMean float64 `json:"rating_mean"`
}

// LectureNotice is what a person is told about a lecture, in the order
// it happened (the notification sender's log).
type LectureNotice struct {
	ID        int64     `json:"id"`
	LectureID int64     `json:"lecture_id"`
	UserID    int64     `json:"user_id"`
	Kind      string    `json:"kind"` // LectureMovedUp, LectureCancelledNotice
	At        time.Time `json:"at"`
}

// Kinds of LectureNotice.
const (
	LectureMovedUp         = "moved_up"  // a seat came free: the first waiting has it
	LectureCancelledNotice = "cancelled" // staff cancelled the lecture
	LectureRemind          = "remind"    // the day before: a reminder to each seated attendee
)

// LectureStore keeps lectures and sign-ups. Sign-up, cancellation and
// check-in are each one transaction with conditional updates: a seat is
// given at most Capacity times, a check-in counts once.
type LectureStore interface {
	CreateLecture(ctx context.Context, l Lecture) (Lecture, error)
	LectureByID(ctx context.Context, id int64) (Lecture, error)
	// Lectures lists lectures whose scope is one of codes or lies in one
	// of the subtrees, starting at or after from, soonest first.
	Lectures(ctx context.Context, codes, subtrees []string, from time.Time, limit int) ([]Lecture, error)
	// CancelLecture cancels a lecture and tells everyone seated or waiting.
	CancelLecture(ctx context.Context, id int64, at time.Time) error
	// SignUp gives the person a seat, or a place on the waiting list when
	// the lecture is full; a second sign-up of the same person is ECONFLICT.
	SignUp(ctx context.Context, lectureID, userID int64, name, ticket string, at time.Time) (LectureSignup, error)
	// CancelSignup withdraws the person; a freed seat goes to the first on
	// the waiting list, who is told, and whose sign-up is returned (zero
	// when none).
	CancelSignup(ctx context.Context, lectureID, userID int64, at time.Time) (promoted LectureSignup, err error)
	SignupOf(ctx context.Context, lectureID, userID int64) (LectureSignup, error)
	SignupByTicket(ctx context.Context, ticket string) (LectureSignup, error)
	Signups(ctx context.Context, lectureID int64) ([]LectureSignup, error)
	SignupsOf(ctx context.Context, userID int64) ([]LectureSignup, error)
	// CheckIn marks a confirmed sign-up present once; false when it was
	// already.
	CheckIn(ctx context.Context, signupID int64, at time.Time, by string) (bool, error)
	// RateLecture stores an attendee's feedback once; false when given already.
	RateLecture(ctx context.Context, signupID int64, rating int, feedback string) (bool, error)
	// LectureStats counts per scope and month of the start, for lectures
	// in the subtrees starting in [from, to).
	LectureStats(ctx context.Context, subtrees []string, from, to time.Time) ([]LectureStats, error)
	// LectureTeamStats counts per team and month of the start, for the
	// lectures in the subtrees that name a team, starting in [from, to).
	LectureTeamStats(ctx context.Context, subtrees []string, from, to time.Time) ([]LectureTeamStats, error)
	// RemindLectures marks the scheduled lectures starting in [now, until)
	// not yet reminded as reminded (each once, by a conditional update)
	// and logs a reminder for each of their seated attendees, in one
	// transaction; it returns how many lectures it reminded.
	RemindLectures(ctx context.Context, now, until time.Time) (int, error)
	// LectureNoticesAfter returns up to limit notices after cursor, by id.
	LectureNoticesAfter(ctx context.Context, cursor int64, limit int) ([]LectureNotice, error)
}
