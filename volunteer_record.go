package civicgrid

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"time"
)

// Service-record rules (志愿服务记录): records must be true, accurate,
// complete and timely, and "whoever records certifies" (MCA order No. 67).
//
//   - A volunteer signs in and out at the place — within the sign-in radius
//     of the building — or by the short code the person helped shows on
//     their phone (or that staff print for someone without a phone). A
//     sign-in far from the building is accepted only when the volunteer
//     asks for it, and the record is then held for staff confirmation.
//   - The time served beyond the request's window by more than the
//     tolerance is recorded but held for staff confirmation; a volunteer's
//     records never overlap (a second sign-in while signed in elsewhere is
//     refused).
//   - The recording organisation's staff correct a record (minutes,
//     service) with a reason: the original stays in the hash-chained
//     history, and a confirmed record's time-bank credit moves by the
//     difference (a new transfer, never an edit).

// HelpActCorrected is a correction of the record (data: the minutes and
// service before and after; note: the reason).
const HelpActCorrected = "request.corrected"

// LedgerCorrection is a transfer moving a confirmed service's minutes by a
// correction's difference (either way), with the correction's reason.
const LedgerCorrection = "correction"

// Hold reasons: why a record waits for the community's staff to confirm
// it; the requester alone cannot.
const (
	HoldFar        = "far"         // signed in or out beyond the sign-in radius, at the volunteer's request
	HoldOverWindow = "over_window" // served longer than the request's window plus the tolerance
)

// HeldFor adds reason to a record's hold (a comma-separated set).
func HeldFor(held, reason string) string {
	if held == "" {
		return reason
	}
	for _, h := range strings.Split(held, ",") {
		if h == reason {
			return held
		}
	}
	return held + "," + reason
}

// SignCodeDigits is the length of a request's sign-in code.
const SignCodeDigits = 6

// NewSignCode returns a random sign-in code of SignCodeDigits digits.
func NewSignCode() string {
	var b strings.Builder
	for range SignCodeDigits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err)
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String()
}

// MaxCorrectedMinutes bounds a corrected record (one day).
const MaxCorrectedMinutes = 24 * 60

// HelpCorrection is a correction of a done or confirmed record: the new
// minutes (the end moves to start + minutes) and service, guarded by the
// values the corrector saw (the update is refused when another
// correction came first).
type HelpCorrection struct {
	Minutes, WasMinutes int
	Service, WasService string
	// Credit, for a confirmed record whose minutes change, moves the
	// difference between the community's issuing account and the
	// volunteer (the store fills the direction, minutes and request). The
	// person helped, when they paid with the time bank, pays or gets back
	// the same difference.
	Credit *LedgerTransfer
}

// VolunteerRecordStore corrects service records.
type VolunteerRecordStore interface {
	// CorrectHelp applies a correction with its event in one transaction:
	// ECONFLICT when the request is no longer done or confirmed, or its
	// minutes or service are no longer WasMinutes, WasService.
	CorrectHelp(ctx context.Context, id int64, c HelpCorrection, ev VolunteerEvent) (HelpRequest, error)
	// OverlappingHelp finds a record of the volunteer other than except
	// whose time served overlaps [from, to) — one signed in and not yet out
	// overlaps whatever starts after its sign-in.
	OverlappingHelp(ctx context.Context, volunteer, except int64, from, to time.Time) (HelpRequest, bool, error)
}

// Interval is a record's time served.
func (r HelpRequest) Interval(now time.Time) (from, to time.Time, ok bool) {
	switch {
	case r.SignInAt.IsZero():
		return from, to, false
	case r.Status == HelpInService:
		return r.SignInAt, now, true
	case r.SignOutAt.IsZero():
		return from, to, false
	}
	return r.SignInAt, r.SignOutAt, true
}

// Holds lists why the record waits for staff confirmation.
func (r HelpRequest) Holds() []string {
	if r.Held == "" {
		return nil
	}
	return strings.Split(r.Held, ",")
}

// Sign-in code lock-out: six digits can be guessed, so a request takes at
// most SignCodeMaxWrong wrong codes within SignCodeWindow (counted in the
// store, so every instance agrees and a restart forgets nothing); then every
// code for it — even the right one — is refused (ETHROTTLED, 429) until the
// window has passed, or until the community's staff issue a new code (the
// old one stops working, and wrong codes before it no longer count).
const (
	SignCodeMaxWrong = 5
	SignCodeWindow   = 15 * time.Minute
)

// Request history actions of the sign-in code.
const (
	// HelpActCodeLocked: the wrong code that locked the request (data:
	// wrong, until).
	HelpActCodeLocked = "request.code_locked"
	// HelpActCodeRenewed: staff issued a new code (data: wrong, the wrong
	// codes that counted before it; note: the reason).
	HelpActCodeRenewed = "request.code_renewed"
)

// SignCodeGuess is one try of a request's sign-in code.
type SignCodeGuess struct {
	RequestID int64
	Code      string // normalised
	At        time.Time
	MaxWrong  int
	Window    time.Duration
	// Locked is the event written with the wrong code that reaches
	// MaxWrong (the store fills its data).
	Locked VolunteerEvent
}

// SignCodeLock is how a request's sign-in code stands: the wrong codes
// within the window since the code was issued, and — when they reached the
// limit — until when every code is refused.
type SignCodeLock struct {
	Wrong int       `json:"wrong"`
	First time.Time `json:"first_wrong,omitzero"` // the earliest wrong code counted
	Last  time.Time `json:"last_wrong,omitzero"`
	Until time.Time `json:"until,omitzero"` // zero: not locked
	// Refused: the try was refused while locked, nothing compared.
	Refused bool `json:"-"`
}

// Locked reports whether codes are refused at now.
func (l SignCodeLock) Locked(now time.Time) bool { return !l.Until.IsZero() && now.Before(l.Until) }

// VolunteerCodeStore counts wrong sign-in codes and renews codes.
type VolunteerCodeStore interface {
	// TrySignCode checks a code under the request's row lock: while locked
	// it compares nothing and writes nothing (match false, lock.Until set);
	// a wrong code is recorded, and the one reaching MaxWrong writes
	// g.Locked to the request's history.
	TrySignCode(ctx context.Context, g SignCodeGuess) (match bool, lock SignCodeLock, err error)
	// SignCodeLockOf reads how the request's code stands at now.
	SignCodeLockOf(ctx context.Context, id int64, now time.Time, maxWrong int, window time.Duration) (SignCodeLock, error)
	// RenewSignCode replaces the code of a claimed or in-service request
	// with its event (ECONFLICT otherwise): wrong codes before it no
	// longer count.
	RenewSignCode(ctx context.Context, id int64, code string, ev VolunteerEvent) (HelpRequest, error)
}
