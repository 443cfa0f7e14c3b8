package volunteering

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/civicgrid/civicgrid"
)

// Service-record rules (civicgrid volunteer_record.go): sign-in and
// sign-out at the place or by the requester's code, far only with staff
// confirmation, time over the window held for staff, no overlapping
// records of one volunteer, and corrections by the recording
// organisation with a reason.

// Presence is how a volunteer shows they are at the place: their position,
// or the code the person helped shows (then no position is needed). Far
// asks for a sign-in beyond the radius to be accepted anyway: the record is
// then held for the community's staff to confirm.
type Presence struct {
	At   *Point
	Code string
	Far  bool
}

// presence checks p for the request and returns the record's hold and the
// event's data.
func (s *Service) presence(ctx context.Context, actor civicgrid.Actor, r civicgrid.HelpRequest, p Presence, what string) (string, map[string]string, error) {
	data := map[string]string{}
	if code := civicgrid.NormalizeCode(p.Code); code != "" {
		if r.SignCode == "" {
			return "", nil, civicgrid.Errorf(civicgrid.EINVALID, "request %d has no sign-in code: %s by your position at the place", r.ID, what)
		}
		if err := s.tryCode(ctx, actor, r.ID, code, what); err != nil {
			return "", nil, err
		}
		data["by"] = "code"
		return r.Held, data, nil
	}
	if p.At == nil {
		return "", nil, civicgrid.Errorf(civicgrid.EINVALID, "%s needs where you are (lat, lng) or the code the person helped shows", what)
	}
	if err := p.At.check(); err != nil {
		return "", nil, err
	}
	_, pt, has, err := s.building(ctx, r.BuildingCode)
	if err != nil {
		return "", nil, err
	}
	if !has {
		return "", nil, civicgrid.Errorf(civicgrid.ECONFLICT, "building %s has no location on the map: %s by the code the person helped shows, or ask staff to add the location", r.BuildingCode, what)
	}
	d := geo.DistanceHaversine(orb.Point{p.At.Lng, p.At.Lat}, pt)
	data["by"] = "position"
	if d <= s.cfg.SignInRadiusM {
		return r.Held, data, nil
	}
	if !p.Far {
		return "", nil, civicgrid.Errorf(civicgrid.EINVALID, "%s is made at the place: you are %.0f m from the building, the limit is %.0f m (use the code the person helped shows, or ask for staff confirmation)",
			what, d, s.cfg.SignInRadiusM)
	}
	data["distance_m"] = strconv.FormatFloat(math.Round(d), 'f', 0, 64)
	data["held"] = civicgrid.HoldFar
	return civicgrid.HeldFor(r.Held, civicgrid.HoldFar), data, nil
}

// overlapping refuses a record of volunteer over [from, to) that overlaps
// another of their records (one signed in and not out counts to now).
func (s *Service) overlapping(ctx context.Context, volunteer, except int64, from, to time.Time) error {
	o, found, err := s.store.OverlappingHelp(ctx, volunteer, except, from, to)
	if err != nil || !found {
		return err
	}
	if o.Status == civicgrid.HelpInService {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "you are signed in at request %d: sign out there first (one volunteer's records never overlap)", o.ID)
	}
	return civicgrid.Errorf(civicgrid.ECONFLICT, "the record would overlap request %d of the same volunteer (%s – %s): one volunteer's records never overlap",
		o.ID, o.SignInAt.In(cst).Format("2006-01-02 15:04"), o.SignOutAt.In(cst).Format("15:04"))
}

// SignInWith starts the service at the place (or by the code), refusing a
// second record at the same time.
func (s *Service) SignInWith(ctx context.Context, actor civicgrid.Actor, id int64, p Presence) (View, error) {
	r, err := s.serving(ctx, actor, id, civicgrid.StepSignIn)
	if err != nil {
		return View{}, err
	}
	hold, data, err := s.presence(ctx, actor, r, p, "sign-in")
	if err != nil {
		return View{}, err
	}
	now := s.now()
	if err := s.overlapping(ctx, actor.UserID, id, now, now.Add(time.Millisecond)); err != nil {
		return View{}, err
	}
	return s.step(ctx, actor, id, civicgrid.ActionServeHelp, civicgrid.StepSignIn,
		civicgrid.HelpChange{Volunteer: actor.UserID, SignInAt: now, Hold: hold}, "", data)
}

// WindowAllowance is how long a request's service may run before the
// record is held for staff: its window plus the larger of the tolerance
// and the tolerance share of the window.
func (s *Service) WindowAllowance(r civicgrid.HelpRequest) time.Duration {
	w := r.WindowEnd.Sub(r.WindowStart)
	return w + max(s.cfg.WindowTolerance, w*time.Duration(s.cfg.WindowTolerancePct)/100)
}

// SignOutWith ends the service: the time served since sign-in, rounded,
// becomes the record's minutes; beyond the request's window and the
// tolerance the record is held for staff confirmation.
func (s *Service) SignOutWith(ctx context.Context, actor civicgrid.Actor, id int64, p Presence) (View, error) {
	r, err := s.serving(ctx, actor, id, civicgrid.StepSignOut)
	if err != nil {
		return View{}, err
	}
	hold, data, err := s.presence(ctx, actor, r, p, "sign-out")
	if err != nil {
		return View{}, err
	}
	now := s.now()
	served := now.Sub(r.SignInAt)
	minutes := civicgrid.RoundMinutes(served, s.cfg.RoundMinutes)
	data["minutes"] = strconv.Itoa(minutes)
	if allow := s.WindowAllowance(r); served > allow {
		hold = civicgrid.HeldFor(hold, civicgrid.HoldOverWindow)
		data["held"] = hold
		data["window_minutes"] = strconv.Itoa(int(r.WindowEnd.Sub(r.WindowStart) / time.Minute))
	}
	return s.step(ctx, actor, id, civicgrid.ActionServeHelp, civicgrid.StepSignOut,
		civicgrid.HelpChange{Volunteer: actor.UserID, SignOutAt: now, Minutes: minutes, Hold: hold}, "", data)
}

// heldRefusal refuses the requester's confirmation of a held record: the
// community's staff confirm it.
func heldRefusal(r civicgrid.HelpRequest) error {
	var why []string
	for _, h := range strings.Split(r.Held, ",") {
		switch h {
		case civicgrid.HoldFar:
			why = append(why, "signed in or out far from the building")
		case civicgrid.HoldOverWindow:
			why = append(why, "served longer than the request's time window")
		}
	}
	return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is held for staff confirmation (%s): the community's staff confirm it", r.ID, strings.Join(why, "; "))
}

// Correction is staff's correction of a record: the new minutes (0: as
// they are) and service ("": as it is), and the reason.
type Correction struct {
	Minutes int    `json:"minutes"`
	Service string `json:"service"`
	Reason  string `json:"reason"`
}

// Correct corrects a done or confirmed record (the recording organisation:
// the community's staff), with a reason: the original stays in the history,
// a confirmed record's time-bank credit moves by the difference, and the
// volunteer and the requester are told.
func (s *Service) Correct(ctx context.Context, actor civicgrid.Actor, id int64, in Correction) (View, error) {
	var ps []civicgrid.Problem
	in.Reason, in.Service = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Service)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > civicgrid.MaxHelpReason {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "reason", Detail: "a correction needs a reason of 1 to " + strconv.Itoa(civicgrid.MaxHelpReason) + " characters"})
	}
	if in.Minutes < 0 || in.Minutes > civicgrid.MaxCorrectedMinutes {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "minutes", Detail: "the minutes served, 1 to " + strconv.Itoa(civicgrid.MaxCorrectedMinutes)})
	}
	if _, ok := civicgrid.LookupVolunteerService(in.Service); in.Service != "" && !ok {
		ps = append(ps, civicgrid.Problem{Index: -1, Code: in.Service, Kind: "service", Detail: "a service of the catalogue"})
	}
	if in.Minutes == 0 && in.Service == "" {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "minutes", Detail: "name the corrected minutes or service"})
	}
	if len(ps) > 0 {
		return View{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the correction is not valid", Problems: ps}
	}
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionCorrectHelp, r.Object()); err != nil {
		return View{}, err
	}
	if r.Status != civicgrid.HelpDone && r.Status != civicgrid.HelpConfirmed {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is %s: only a record signed out (done or confirmed) is corrected", id, r.Status)
	}
	c := civicgrid.HelpCorrection{Minutes: cmpOr(in.Minutes, r.Minutes), WasMinutes: r.Minutes, Service: cmpOr(in.Service, r.Service), WasService: r.Service,
		Credit: &civicgrid.LedgerTransfer{Reason: in.Reason, ActorID: actor.UserID, Actor: actor.Label()}}
	if c.Minutes == c.WasMinutes && c.Service == c.WasService {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "the correction changes nothing: request %d already records %d minutes of %s", id, r.Minutes, r.Service)
	}
	if c.Minutes != c.WasMinutes && !r.SignInAt.IsZero() {
		from := r.SignInAt
		if err := s.overlapping(ctx, r.VolunteerID, id, from, from.Add(time.Duration(c.Minutes)*time.Minute)); err != nil {
			return View{}, err
		}
	}
	ev := event(actor, civicgrid.HelpActCorrected, s.now())
	ev.Note = in.Reason
	ev.Data = map[string]string{"minutes_before": strconv.Itoa(c.WasMinutes), "minutes": strconv.Itoa(c.Minutes),
		"service_before": c.WasService, "service": c.Service}
	r, err = s.store.CorrectHelp(ctx, id, c, ev)
	if err != nil {
		return View{}, err
	}
	return s.view(actor, r), nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// tryCode checks a sign-in code against the lock-out: while the request is
// locked every code is refused (ETHROTTLED) — the right one too — and a
// wrong one is counted in the store.
func (s *Service) tryCode(ctx context.Context, actor civicgrid.Actor, id int64, code, what string) error {
	now := s.now()
	match, lock, err := s.store.TrySignCode(ctx, civicgrid.SignCodeGuess{RequestID: id, Code: code, At: now,
		MaxWrong: s.cfg.CodeMaxWrong, Window: s.cfg.CodeWindow, Locked: event(actor, civicgrid.HelpActCodeLocked, now)})
	switch {
	case err != nil:
		return err
	case match:
		return nil
	case lock.Refused:
		e := civicgrid.Errorf(civicgrid.ETHROTTLED, "request %d is locked: %d wrong sign-in codes within %d minutes; codes are refused until %s (China time), or until the community's staff issue a new code",
			id, lock.Wrong, int(s.cfg.CodeWindow/time.Minute), lock.Until.In(cst).Format("15:04"))
		e.RetryAfter = max(lock.Until.Sub(now), time.Second)
		return e
	case lock.Locked(now):
		return civicgrid.Errorf(civicgrid.EINVALID, "the %s code does not match, and that was the %d. wrong code within %d minutes: request %d is now locked until %s (China time), or until the community's staff issue a new code",
			what, lock.Wrong, int(s.cfg.CodeWindow/time.Minute), id, lock.Until.In(cst).Format("15:04"))
	}
	return civicgrid.Errorf(civicgrid.EINVALID, "the %s code does not match: ask the person helped for the code on their phone (or the printed one); %d of %d wrong codes within %d minutes lock the request",
		what, lock.Wrong, s.cfg.CodeMaxWrong, int(s.cfg.CodeWindow/time.Minute))
}

// CodeLock says how a request's sign-in code stands, for whoever may
// renew it (the community's staff): the wrong codes that count and until
// when it is locked.
func (s *Service) CodeLock(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.SignCodeLock, error) {
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return civicgrid.SignCodeLock{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionRenewSignCode, r.Object()); err != nil {
		return civicgrid.SignCodeLock{}, err
	}
	return s.store.SignCodeLockOf(ctx, id, s.now(), s.cfg.CodeMaxWrong, s.cfg.CodeWindow)
}

// RenewCode issues a new sign-in code for a claimed or in-service request
// (the community's staff, with an optional reason): the old code stops
// working at once, wrong codes before it no longer count, and the
// requester reads the new one on their page. The renewal is an event of
// the request's history with the wrong codes that counted.
func (s *Service) RenewCode(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (View, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > civicgrid.MaxHelpReason {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "a reason of at most %d characters", civicgrid.MaxHelpReason)
	}
	lock, err := s.CodeLock(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	ev := event(actor, civicgrid.HelpActCodeRenewed, s.now())
	ev.Note, ev.Data = reason, map[string]string{"wrong": strconv.Itoa(lock.Wrong)}
	if lock.Locked(ev.At) {
		ev.Data["was_locked"] = "1"
	}
	r, err := s.store.RenewSignCode(ctx, id, civicgrid.NewSignCode(), ev)
	if err != nil {
		return View{}, err
	}
	return s.view(actor, r), nil
}
