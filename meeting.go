package civicgrid

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Meetings (议事会), beyond scheduling, sign-in and minutes
// (cogovernance.go): named people invited beside roles, documents (PDF)
// attached to a meeting, rescheduling or cancelling a scheduled meeting
// with a reason, and published minutes on the scope's notice board.

// MeetingCancelled is a meeting called off before it was held.
const MeetingCancelled MeetingStatus = "cancelled"

// Limits of a meeting's extras.
const (
	// MaxMeetingInvitees bounds the people invited by name.
	MaxMeetingInvitees = 20
	// MaxMeetingDocuments bounds a meeting's documents (PDF files, each at
	// most 10 MiB: photo.MaxDocumentBytes).
	MaxMeetingDocuments = 6
	// MaxMeetingReason bounds the reason of a change or a cancellation.
	MaxMeetingReason = 500
	// MeetingBoardDays is how long published minutes stay on the notice
	// board (calendar days from publishing).
	MeetingBoardDays = 30
)

// Meeting event actions beyond scheduling, sign-in and minutes.
const (
	CogovMeetingRescheduled = "meeting.rescheduled"
	CogovMeetingCancelled   = "meeting.cancelled"
	CogovMeetingDocument    = "meeting.document_added"
)

// MeetingChange is staff moving a scheduled meeting (a new start, a new
// place, or both) or cancelling it, always with a reason the invited read.
type MeetingChange struct {
	StartsAt time.Time `json:"starts_at"`
	Place    string    `json:"place"`
	Reason   string    `json:"reason"`
}

// CheckReason validates a change's or cancellation's reason.
func (c MeetingChange) CheckReason() (string, error) {
	r := strings.TrimSpace(c.Reason)
	if r == "" || utf8.RuneCountInString(r) > MaxMeetingReason {
		return "", &Error{Code: EINVALID, Message: "give a reason of 1 to " + strconv.Itoa(MaxMeetingReason) + " characters",
			Problems: []Problem{{Index: -1, Kind: "reason", Detail: "a reason of 1 to " + strconv.Itoa(MaxMeetingReason) + " characters"}}}
	}
	return r, nil
}

// CheckReschedule validates a move of m: a reason, and a new start
// (within a year, at most a day ago) or a new place (1–100 characters)
// that differs from the old. It returns the meeting as moved.
func (c MeetingChange) CheckReschedule(m Meeting, now time.Time) (Meeting, string, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	reason, err := c.CheckReason()
	if err != nil {
		bad("reason", "a reason of 1 to "+strconv.Itoa(MaxMeetingReason)+" characters")
	}
	out := m
	if !c.StartsAt.IsZero() {
		if c.StartsAt.Before(now.Add(-24*time.Hour)) || c.StartsAt.After(now.AddDate(1, 0, 0)) {
			bad("starts_at", "a meeting starts within a year (and at most a day ago)")
		}
		out.StartsAt = time.UnixMilli(c.StartsAt.UnixMilli())
	}
	if place := strings.TrimSpace(c.Place); place != "" {
		if utf8.RuneCountInString(place) > MaxMeetingPlace {
			bad("place", "a place of 1 to "+strconv.Itoa(MaxMeetingPlace)+" characters")
		}
		out.Place = place
	}
	if len(ps) == 0 && out.StartsAt.Equal(m.StartsAt) && out.Place == m.Place {
		bad("starts_at", "give a new start or a new place")
	}
	if len(ps) > 0 {
		return m, "", &Error{Code: EINVALID, Message: "the change is not valid", Problems: ps}
	}
	return out, reason, nil
}

// Document returns the meeting's document of the ref.
func (m Meeting) Document(ref string) (NoticeDocument, bool) {
	for _, d := range m.Documents {
		if d.Ref == ref {
			return d, true
		}
	}
	return NoticeDocument{}, false
}
