// Package volunteering runs the volunteer service (志愿服务): residents ask
// for help (or someone asks on their behalf), the community verifies and
// answers each request, volunteers claim open requests near them (接单)
// exactly once, sign in at the place and out, and the time served becomes
// hours the requester confirms. Every decision on who may do what is
// civicgrid.Authorize's; every change is one conditional step of the store,
// written with its hash-chained event.
package volunteering

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// Areas is what the service needs of the area registry.
type Areas interface {
	AreaByCode(ctx context.Context, code string) (civicgrid.Area, error)
}

// Config sets the service's rules.
type Config struct {
	// SignInRadiusM is how far from the building a sign-in or sign-out may
	// be made (default 300 m).
	SignInRadiusM float64
	// RoundMinutes rounds the time served to a multiple of this many
	// minutes, half up (default 15; 1 keeps whole minutes).
	RoundMinutes int
	// ClaimLimit is the most open claims (claimed or in service) one
	// volunteer may hold (default 3).
	ClaimLimit int
	// MemberFloorMinutes is the lowest balance a member's time-bank
	// account may reach (default 0: no overdraft; negative allows one).
	MemberFloorMinutes int
	// StarThresholdsHours are the confirmed hours of each star level
	// (default civicgrid.StarThresholdsHours: 100/300/600/1,000/1,500).
	StarThresholdsHours []int
	// TakeWithin is how long an open request may wait for a volunteer
	// before it turns red and the community's staff are told (default
	// 24 h).
	TakeWithin time.Duration
	// WindowTolerance and WindowTolerancePct: a service may run past its
	// request's window by the larger of the two (defaults 30 min and 50 %)
	// before its record is held for staff confirmation.
	WindowTolerance    time.Duration
	WindowTolerancePct int
	// CodeMaxWrong wrong sign-in codes for one request within CodeWindow
	// lock it (defaults civicgrid.SignCodeMaxWrong, SignCodeWindow).
	CodeMaxWrong int
	CodeWindow   time.Duration
	// Grants gives an approved volunteer the volunteer role (nil: staff
	// grant it by hand).
	Grants Grants
	// People finds the community's staff to notify (nil: nobody is).
	People People
	// RequireInsurance: every claim needs a volunteer whose insurance
	// covers the day, not only the services of the catalogue marked so
	// (civicgrid.VolunteerService.Insured).
	RequireInsurance bool
	Now              func() time.Time
}

// People is what the service needs of the accounts.
type People interface {
	ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error)
	UserByID(ctx context.Context, id int64) (civicgrid.User, error)
}

// Service is the volunteer module.
type Service struct {
	cfg   Config
	store civicgrid.VolunteerStore
	areas Areas
	wake  chan struct{} // nudges the take-by scheduler
	// opened are told of each request opened to volunteers here (live
	// streams).
	openedMu sync.Mutex
	opened   []func(civicgrid.HelpRequest)
	// told are the openings told to them (FollowOpened, follow.go);
	// follow nudges the follower.
	toldMu sync.Mutex
	told   map[opening]time.Time
	follow chan struct{}
	cases  Cases // links to cases (nil: none)
	care   Care  // links to care entries (nil: none)
}

// New returns the service.
func New(cfg Config, store civicgrid.VolunteerStore, areas Areas) *Service {
	if cfg.SignInRadiusM <= 0 {
		cfg.SignInRadiusM = 300
	}
	if cfg.RoundMinutes <= 0 {
		cfg.RoundMinutes = 15
	}
	if cfg.ClaimLimit <= 0 {
		cfg.ClaimLimit = 3
	}
	if cfg.TakeWithin <= 0 {
		cfg.TakeWithin = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WindowTolerance <= 0 {
		cfg.WindowTolerance = 30 * time.Minute
	}
	if cfg.WindowTolerancePct <= 0 {
		cfg.WindowTolerancePct = 50
	}
	if cfg.CodeMaxWrong <= 0 {
		cfg.CodeMaxWrong = civicgrid.SignCodeMaxWrong
	}
	if cfg.CodeWindow <= 0 {
		cfg.CodeWindow = civicgrid.SignCodeWindow
	}
	if len(cfg.StarThresholdsHours) == 0 {
		cfg.StarThresholdsHours = civicgrid.StarThresholdsHours
	}
	return &Service{cfg: cfg, store: store, areas: areas, wake: make(chan struct{}, 1), follow: make(chan struct{}, 1)}
}

// Config returns the rules in force.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

func event(actor civicgrid.Actor, action string, at time.Time) civicgrid.VolunteerEvent {
	return civicgrid.VolunteerEvent{At: at, ActorID: actor.UserID, Actor: actor.Label(), Action: action}
}

// ListLimit bounds a list.
const ListLimit = 200

// building returns a building of the registry and the point a sign-in is
// measured from (the point itself, or the middle of the footprint).
func (s *Service) building(ctx context.Context, code string) (civicgrid.Area, orb.Point, bool, error) {
	return Building(ctx, s.areas, code)
}

// Building returns a building of the registry and the point a sign-in is
// measured from (the point itself, or the middle of the footprint); has is
// false when the building has no location on the map. Other modules that
// check a person stands at a building (care visits) use it and Near.
func Building(ctx context.Context, areas Areas, code string) (a civicgrid.Area, at orb.Point, has bool, err error) {
	a, err = areas.AreaByCode(ctx, code)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return a, orb.Point{}, false, civicgrid.Errorf(civicgrid.EINVALID, "no building %s", code)
		}
		return a, orb.Point{}, false, err
	}
	if a.Level != civicgrid.LevelBuilding {
		return a, orb.Point{}, false, civicgrid.Errorf(civicgrid.EINVALID, "%s is a %s, not a building", code, a.Level)
	}
	switch g := a.Geometry.(type) {
	case nil:
		return a, orb.Point{}, false, nil
	case orb.Point:
		return a, g, true, nil
	default:
		return a, g.Bound().Center(), true, nil
	}
}

// Ask posts a request for help: at one's own building, or on someone's
// behalf (a beneficiary named) by a grid worker, building role or staff.
func (s *Service) Ask(ctx context.Context, actor civicgrid.Actor, in civicgrid.HelpInput) (civicgrid.HelpRequest, error) {
	return s.AskFrom(ctx, actor, in, "")
}

// AskFrom is Ask for another module that turns one of its records into a
// request (a care visit's concern): origin names that record, and asking
// again from the same origin returns the first request (a retried step
// makes no second request). The same rules and checks as Ask apply.
func (s *Service) AskFrom(ctx context.Context, actor civicgrid.Actor, in civicgrid.HelpInput, origin string) (civicgrid.HelpRequest, error) {
	return s.askFrom(ctx, actor, in, origin, 0)
}

// askFrom is AskFrom, linking the request to the case it was made from
// when caseID is not 0 (its first event names the case).
func (s *Service) askFrom(ctx context.Context, actor civicgrid.Actor, in civicgrid.HelpInput, origin string, caseID int64) (civicgrid.HelpRequest, error) {
	now := s.now()
	r, err := in.Check(now)
	if err != nil {
		return r, err
	}
	action := civicgrid.ActionAskHelp
	if r.OnBehalf {
		action = civicgrid.ActionAskHelpFor
	}
	if err := civicgrid.Authorize(actor, action, civicgrid.In(r.BuildingCode)); err != nil {
		return r, err
	}
	if _, _, _, err := s.building(ctx, r.BuildingCode); err != nil {
		return r, err
	}
	r.PosterID, r.Poster, r.Origin, r.CaseID = actor.UserID, civicgrid.MaskName(actor.Name), origin, caseID
	ev := event(actor, civicgrid.HelpActPosted, now)
	if caseID != 0 {
		ev.Data = map[string]string{"case": strconv.FormatInt(caseID, 10)}
	}
	return s.store.CreateHelpRequest(ctx, r, ev)
}

// OpenedAfter walks the requests' log: the requests the community opened
// to volunteers (verified) after the cursor, without personal data.
func (s *Service) OpenedAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.HelpOpened, int64, error) {
	evs, err := s.store.VolunteerEventsAfter(ctx, cursor, limit)
	if err != nil || len(evs) == 0 {
		return nil, cursor, err
	}
	var out []civicgrid.HelpOpened
	for _, ev := range evs {
		if ev.Action != civicgrid.HelpActAccepted {
			continue
		}
		r, err := s.store.HelpRequestByID(ctx, ev.RequestID)
		if err != nil {
			return nil, cursor, err
		}
		out = append(out, civicgrid.HelpOpened{EventID: ev.ID, RequestID: r.ID, Service: r.Service, BuildingCode: r.BuildingCode,
			Urgency: r.Urgency, At: ev.At})
	}
	return out, evs[len(evs)-1].ID, nil
}

var _ civicgrid.HelpLog = (*Service)(nil)

// View is a request as its reader sees it: personal fields only for whoever
// may see the address, and the steps the reader may take now.
type View struct {
	civicgrid.HelpRequest
	CanVerify  bool `json:"can_verify"`
	CanClaim   bool `json:"can_claim"`
	CanServe   bool `json:"can_serve"` // release, sign in, sign out
	CanConfirm bool `json:"can_confirm"`
	CanCancel  bool `json:"can_cancel"`
	CanInvite  bool `json:"can_invite"`
	CanCorrect bool `json:"can_correct"` // correct the record; confirm a held one
	// CanRenewCode: the reader (staff) may issue a new sign-in code;
	// CodeLock, for them, is how the code stands (wrong codes, locked
	// until).
	CanRenewCode bool                    `json:"can_renew_code"`
	CodeLock     *civicgrid.SignCodeLock `json:"code_lock,omitempty"`
	// CaseLink is the case the request came from or became, CareEntry the
	// care entry it came from — each only for a reader who may read it.
	// CanToCase: the reader may turn it into a case.
	CaseLink  int64                      `json:"case_id,omitempty"`
	CareEntry int64                      `json:"care_entry_id,omitempty"`
	CanToCase bool                       `json:"can_to_case"`
	History   []civicgrid.VolunteerEvent `json:"history,omitempty"`
	// Invitations are the request's invitations, for whoever may invite.
	Invitations []civicgrid.HelpInvitation `json:"invitations,omitempty"`
	// Fit is how the reader's registration meets the request's needs (in
	// the open list).
	Fit *civicgrid.HelpFit `json:"fit,omitempty"`
	// In the open list: OutsideAreas marks a request outside the areas the
	// volunteer serves (listed after theirs because they opted in);
	// InsuranceNeeded that it needs insurance the volunteer does not hold
	// (so they cannot claim it).
	OutsideAreas    bool `json:"outside_areas,omitempty"`
	InsuranceNeeded bool `json:"insurance_needed,omitempty"`
	// The service record's fields of MCA order No. 67 (on one request's
	// reading): the recording organisation — the community of the
	// building — and, once a volunteer took it, their volunteer number and,
	// for the volunteer themselves and the staff who verify requests, their
	// masked ID number.
	Organisation      *Organisation `json:"organisation,omitempty"`
	VolunteerNo       string        `json:"volunteer_number,omitempty"`
	VolunteerIDMasked string        `json:"volunteer_id_number,omitempty"`
}

// Organisation is the organisation that records a service: a community.
type Organisation struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// recordFields fills the record fields of order No. 67 on v.
func (s *Service) recordFields(ctx context.Context, actor civicgrid.Actor, v *View) error {
	if len(v.BuildingCode) >= 12 {
		o := &Organisation{Code: v.BuildingCode[:12], Name: v.BuildingCode[:12]}
		if a, err := s.areas.AreaByCode(ctx, o.Code); err == nil && a.Name != "" {
			o.Name = a.Name
		}
		v.Organisation = o
	}
	if v.VolunteerID == 0 {
		return nil
	}
	p, err := s.store.VolunteerProfileOf(ctx, v.VolunteerID)
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		return nil
	case err != nil:
		return err
	}
	v.VolunteerNo = p.VolunteerNo
	if actor.UserID == v.VolunteerID || civicgrid.Authorize(actor, civicgrid.ActionVerifyHelp, v.Object()) == nil {
		v.VolunteerIDMasked = civicgrid.MaskIDNumber(p.IDNumber)
	}
	return nil
}

func (s *Service) view(actor civicgrid.Actor, r civicgrid.HelpRequest) View {
	allowed := func(a civicgrid.Action) bool { return civicgrid.Authorize(actor, a, r.Object()) == nil }
	if !allowed(civicgrid.ActionSeeHelpAddress) {
		r = r.Masked()
	}
	if !allowed(civicgrid.ActionConfirmHelp) || (r.Status != civicgrid.HelpClaimed && r.Status != civicgrid.HelpInService) {
		r.SignCode = "" // the person helped shows it; the volunteer never reads it
	}
	if r.Status == civicgrid.HelpAccepted && !r.TakeBy.IsZero() {
		r.Light = casework.Light(r.OpenedAt, r.TakeBy, s.now())
		if !r.UntakenAt.IsZero() {
			r.Light = "red"
		}
	}
	return View{HelpRequest: r,
		CanVerify:  r.Status == civicgrid.HelpPosted && allowed(civicgrid.ActionVerifyHelp),
		CanClaim:   r.Status == civicgrid.HelpAccepted && r.PosterID != actor.UserID && allowed(civicgrid.ActionClaimHelp),
		CanServe:   r.VolunteerID == actor.UserID && (r.Status == civicgrid.HelpClaimed || r.Status == civicgrid.HelpInService) && allowed(civicgrid.ActionServeHelp),
		CanConfirm: r.Status == civicgrid.HelpDone && allowed(civicgrid.ActionConfirmHelp) && (r.Held == "" || allowed(civicgrid.ActionCorrectHelp)),
		CanCancel:  civicgrid.StepCancel.Allows(r.Status) && allowed(civicgrid.ActionConfirmHelp),
		CanInvite:  r.Status == civicgrid.HelpAccepted && allowed(civicgrid.ActionInviteHelp),
		CanCorrect: (r.Status == civicgrid.HelpDone || r.Status == civicgrid.HelpConfirmed) && allowed(civicgrid.ActionCorrectHelp),
		CanToCase:  r.CaseID == 0 && StepToCase.Allows(r.Status) && allowed(civicgrid.ActionVerifyHelp) && s.cases != nil,
		CanRenewCode: (r.Status == civicgrid.HelpClaimed || r.Status == civicgrid.HelpInService) && r.SignCode != "" &&
			allowed(civicgrid.ActionRenewSignCode),
	}
}

// readable returns the request, or ENOTFOUND when the actor may not read
// it (so ids reveal nothing): volunteers who are not its poster or its
// volunteer read only open (accepted) requests of their area.
func (s *Service) readable(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.HelpRequest, error) {
	r, err := s.store.HelpRequestByID(ctx, id)
	if err != nil {
		return r, err
	}
	err = civicgrid.Authorize(actor, civicgrid.ActionReadHelp, r.Object())
	if err == nil && r.Status != civicgrid.HelpAccepted && civicgrid.Authorize(actor, civicgrid.ActionSeeHelpAddress, r.Object()) != nil {
		err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "only open requests")
	}
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return r, err
		}
		return r, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer request %d", id)
	}
	return r, nil
}

// Request returns a request the actor may read, with its history.
func (s *Service) Request(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	v := s.view(actor, r)
	v.History, err = s.store.VolunteerEvents(ctx, id) // actors are stored as masked labels
	if err == nil && v.CanRenewCode {
		var l civicgrid.SignCodeLock
		if l, err = s.store.SignCodeLockOf(ctx, id, s.now(), s.cfg.CodeMaxWrong, s.cfg.CodeWindow); err == nil && l.Wrong > 0 {
			v.CodeLock = &l
		}
	}
	if err == nil && civicgrid.Authorize(actor, civicgrid.ActionInviteHelp, r.Object()) == nil {
		v.Invitations, err = s.store.HelpInvitationsFor(ctx, id)
	}
	if err == nil {
		err = s.links(ctx, actor, &v)
	}
	if err == nil {
		err = s.recordFields(ctx, actor, &v)
	}
	return v, err
}

// Point is where a volunteer stands (WGS-84).
type Point struct {
	Lat, Lng float64
}

func (p *Point) check() error {
	if p == nil {
		return nil
	}
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.Abs(p.Lat) > 90 || math.Abs(p.Lng) > 180 || (p.Lat == 0 && p.Lng == 0) {
		return civicgrid.Errorf(civicgrid.EINVALID, "lat/lng must be a WGS-84 point (lat −90…90, lng −180…180)")
	}
	return nil
}

// Open lists the open (accepted) requests the actor may claim, nearest
// first when the actor says where they are (then urgent first, earliest
// window first).
func (s *Service) Open(ctx context.Context, actor civicgrid.Actor, at *Point) ([]View, error) {
	if err := at.check(); err != nil {
		return nil, err
	}
	within := actor.Scopes(civicgrid.ActionClaimHelp)
	if len(within) == 0 {
		return []View{}, nil
	}
	rs, err := s.store.HelpRequests(ctx, within, []civicgrid.HelpStatus{civicgrid.HelpAccepted}, ListLimit)
	if err != nil {
		return nil, err
	}
	// What the volunteer brings: their registration (none: no need met).
	profile, err := s.store.VolunteerProfileOf(ctx, actor.UserID)
	if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		return nil, err
	}
	registered := err == nil
	places := map[string]float64{}
	out := []View{}
	for _, r := range rs {
		if civicgrid.Authorize(actor, civicgrid.ActionClaimHelp, r.Object()) != nil {
			continue
		}
		// The areas served: outside them only for a volunteer who opted in.
		outside := registered && !profile.Serves(r.BuildingCode)
		if outside && !profile.OutsideAreas {
			continue
		}
		r.DistanceM = -1
		if at != nil {
			d, ok := places[r.BuildingCode]
			if !ok {
				d = -1
				if _, p, has, err := s.building(ctx, r.BuildingCode); err == nil && has {
					d = math.Round(geo.DistanceHaversine(orb.Point{at.Lng, at.Lat}, p))
				}
				places[r.BuildingCode] = d
			}
			r.DistanceM = d
		}
		v := s.view(actor, r)
		fit := civicgrid.FitOf(r.Needs, profile)
		v.Fit, v.OutsideAreas = &fit, outside
		if s.insuranceRule(r) != "" && !profile.InsuredOn(s.now()) {
			v.InsuranceNeeded, v.CanClaim = true, false
		}
		out = append(out, v)
	}
	// The areas served first; then distance and fit: each need not met
	// weighs as a kilometre farther (civicgrid.HelpRankMetres); then urgent
	// first, then the earliest window.
	rank := func(v View) float64 { return civicgrid.HelpRankMetres(v.DistanceM, v.DistanceM >= 0, *v.Fit) }
	slices.SortStableFunc(out, func(a, b View) int {
		return cmp.Or(cmp.Compare(boolRank(a.OutsideAreas), boolRank(b.OutsideAreas)), cmp.Compare(rank(a), rank(b)),
			cmp.Compare(urgencyRank(a.Urgency), urgencyRank(b.Urgency)), a.WindowStart.Compare(b.WindowStart))
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// insuranceRule names why a request needs an insured volunteer ("" when
// it does not): its service, or the setting for every claim.
func (s *Service) insuranceRule(r civicgrid.HelpRequest) string {
	if svc, ok := civicgrid.LookupVolunteerService(r.Service); ok && svc.Insured {
		return "the service " + svc.NameZH + " (" + svc.NameEN + ") needs an insured volunteer"
	}
	if s.cfg.RequireInsurance {
		return "the community requires insurance for every claim (--claim-needs-insurance)"
	}
	return ""
}

// insured refuses a claim of a request that needs insurance by a volunteer
// whose insurance does not cover today, naming the rule.
func (s *Service) insured(ctx context.Context, actor civicgrid.Actor, r civicgrid.HelpRequest) error {
	rule := s.insuranceRule(r)
	if rule == "" {
		return nil
	}
	p, err := s.store.VolunteerProfileOf(ctx, actor.UserID)
	if err != nil {
		return err
	}
	switch {
	case p.InsuredOn(s.now()):
		return nil
	case p.InsuranceUntil == "":
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "request %d: %s, and your registration names no insurance: add the last day it covers to your registration", r.ID, rule)
	}
	return civicgrid.Errorf(civicgrid.EFORBIDDEN, "request %d: %s, and your insurance ended on %s: renew it and update your registration", r.ID, rule, p.InsuranceUntil)
}

func urgencyRank(u string) int {
	if u == civicgrid.UrgencyUrgent {
		return 0
	}
	return 1
}

// OnOpened registers fn to be told of each request opened to volunteers —
// accepted by staff, or reopened by a release — through this instance at
// once, and through any instance while FollowOpened runs (follow.go), for
// the live stream of open requests; each opening once. fn must not block.
func (s *Service) OnOpened(fn func(civicgrid.HelpRequest)) {
	s.openedMu.Lock()
	defer s.openedMu.Unlock()
	s.opened = append(s.opened, fn)
}

// tellOpened tells them of request id as stored (not as the actor who
// opened it sees it) at once, and nudges the log follower.
func (s *Service) tellOpened(ctx context.Context, id int64) {
	select {
	case s.follow <- struct{}{}:
	default:
	}
	s.openedMu.Lock()
	n := len(s.opened)
	s.openedMu.Unlock()
	if n == 0 {
		return
	}
	r, err := s.store.HelpRequestByID(ctx, id)
	if err != nil {
		return // the step is done; a stream only misses this one
	}
	s.tell(r)
}

// OpenView is an opened request as a volunteer sees it in their open list
// (the address masked, the light and the steps they may take), and false
// when they may not claim it: the live stream sends it only to volunteers
// whose area covers the building. No store is read.
func (s *Service) OpenView(actor civicgrid.Actor, r civicgrid.HelpRequest) (View, bool) {
	if r.Status != civicgrid.HelpAccepted || civicgrid.Authorize(actor, civicgrid.ActionClaimHelp, r.Object()) != nil {
		return View{}, false
	}
	r.DistanceM = -1
	return s.view(actor, r), true
}

// Pending lists the requests waiting for the actor (staff) to verify.
func (s *Service) Pending(ctx context.Context, actor civicgrid.Actor) ([]View, error) {
	return s.list(ctx, actor, civicgrid.ActionVerifyHelp, civicgrid.HelpPosted)
}

// Waiting lists the open requests of the actor's (staff's) area that no
// volunteer has taken yet, red first, then the earliest take-by time.
func (s *Service) Waiting(ctx context.Context, actor civicgrid.Actor) ([]View, error) {
	out, err := s.list(ctx, actor, civicgrid.ActionVerifyHelp, civicgrid.HelpAccepted)
	slices.SortStableFunc(out, func(a, b View) int {
		return cmp.Or(cmp.Compare(lightRank(a.Light), lightRank(b.Light)), a.TakeBy.Compare(b.TakeBy))
	})
	return out, err
}

func lightRank(l string) int {
	switch l {
	case "red":
		return 0
	case "yellow":
		return 1
	case "green":
		return 2
	}
	return 3
}

// Done lists the requests served and waiting for confirmation in the
// actor's (staff's) area, to confirm for someone without a phone.
func (s *Service) Done(ctx context.Context, actor civicgrid.Actor) ([]View, error) {
	return s.list(ctx, actor, civicgrid.ActionConfirmHelp, civicgrid.HelpDone)
}

func (s *Service) list(ctx context.Context, actor civicgrid.Actor, action civicgrid.Action, status civicgrid.HelpStatus) ([]View, error) {
	within := actor.Scopes(action)
	out := []View{}
	if len(within) == 0 {
		return out, nil
	}
	rs, err := s.store.HelpRequests(ctx, within, []civicgrid.HelpStatus{status}, ListLimit)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if civicgrid.Authorize(actor, action, r.Object()) == nil {
			out = append(out, s.view(actor, r))
		}
	}
	return out, nil
}

// Mine lists the requests the actor posted or serves, newest first.
func (s *Service) Mine(ctx context.Context, actor civicgrid.Actor) ([]View, error) {
	out := []View{}
	if actor.UserID == 0 {
		return out, nil
	}
	rs, err := s.store.HelpRequestsOf(ctx, actor.UserID, ListLimit)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if civicgrid.Authorize(actor, civicgrid.ActionReadHelp, r.Object()) == nil {
			out = append(out, s.view(actor, r))
		}
	}
	return out, nil
}

// Decisions staff take on a posted request.
const (
	DecisionAccept  = "accept"
	DecisionDecline = "decline" // with a reason the requester sees
)

func reasonOf(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxHelpReason {
		return "", civicgrid.Errorf(civicgrid.EINVALID, "%s needs a reason of 1 to %d characters", what, civicgrid.MaxHelpReason)
	}
	return reason, nil
}

// step authorises action on a readable request and applies the step.
func (s *Service) step(ctx context.Context, actor civicgrid.Actor, id int64, action civicgrid.Action, step civicgrid.HelpStep,
	c civicgrid.HelpChange, note string, data map[string]string) (View, error) {
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, action, r.Object()); err != nil {
		return View{}, err
	}
	if !step.Allows(r.Status) {
		return View{}, step.Refusal(r)
	}
	ev := event(actor, step.Action, s.now())
	ev.Note, ev.Data = note, data
	r, err = s.store.StepHelp(ctx, id, step, c, ev)
	if err != nil {
		return View{}, err
	}
	return s.view(actor, r), nil
}

// Verify accepts a posted request (open for volunteers) or declines it
// with a reason.
func (s *Service) Verify(ctx context.Context, actor civicgrid.Actor, id int64, decision, reason string) (View, error) {
	switch decision {
	case DecisionAccept:
		v, err := s.step(ctx, actor, id, civicgrid.ActionVerifyHelp, civicgrid.StepAccept,
			civicgrid.HelpChange{Reason: strings.TrimSpace(reason), TakeBy: s.now().Add(s.cfg.TakeWithin)}, strings.TrimSpace(reason), nil)
		if err == nil {
			s.nudge()
			s.tellOpened(ctx, id)
		}
		return v, err
	case DecisionDecline:
		reason, err := reasonOf(reason, "declining a request")
		if err != nil {
			return View{}, err
		}
		return s.step(ctx, actor, id, civicgrid.ActionVerifyHelp, civicgrid.StepDecline, civicgrid.HelpChange{Reason: reason}, reason, nil)
	}
	return View{}, civicgrid.Errorf(civicgrid.EINVALID, "decision must be accept or decline")
}

// Claim takes an open request for the actor (接单): exactly one claimer
// wins; the others get ECONFLICT saying it is taken.
func (s *Service) Claim(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	return s.claim(ctx, actor, id, 0)
}

// claim is Claim, accepting an invitation when invitation is not 0 (in
// the claim's transaction).
func (s *Service) claim(ctx context.Context, actor civicgrid.Actor, id, invitation int64) (View, error) {
	if err := s.gone(ctx, actor, id); err != nil {
		return View{}, err
	}
	r, err := s.readable(ctx, actor, id)
	if err == nil && r.PosterID == actor.UserID {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "you asked for this help: another volunteer takes it")
	}
	if err == nil {
		err = s.approved(ctx, actor)
	}
	if err == nil {
		err = s.insured(ctx, actor, r)
	}
	var v View
	if err == nil {
		var data map[string]string
		if invitation != 0 {
			data = map[string]string{"invitation": strconv.FormatInt(invitation, 10)}
		}
		v, err = s.step(ctx, actor, id, civicgrid.ActionClaimHelp, civicgrid.StepClaim,
			civicgrid.HelpChange{Claimer: actor.UserID, ClaimerLabel: civicgrid.MaskName(actor.Name), ClaimLimit: s.cfg.ClaimLimit,
				Invitation: invitation, SignCode: civicgrid.NewSignCode()}, "", data)
	}
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		// Taken by another claimer between the reads: once taken, the
		// request is no longer the loser's to read, but they are told
		// it is taken, not that it does not exist.
		if gone := s.gone(ctx, actor, id); gone != nil {
			return View{}, gone
		}
	}
	return v, err
}

// gone refuses a claim on a request that is taken or cancelled, when the
// actor could have claimed it: a volunteer learns that it is gone, not
// merely that it is not found; an unverified request stays unseen.
func (s *Service) gone(ctx context.Context, actor civicgrid.Actor, id int64) error {
	if r, err := s.store.HelpRequestByID(ctx, id); err == nil && r.Status != civicgrid.HelpAccepted && r.Status != civicgrid.HelpPosted &&
		civicgrid.Authorize(actor, civicgrid.ActionClaimHelp, r.Object()) == nil {
		return civicgrid.StepClaim.Refusal(r)
	}
	return nil
}

// Release gives a claimed request back with a reason (志愿服务条例 art. 22):
// it reopens for others and the requester sees why.
func (s *Service) Release(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (View, error) {
	reason, err := reasonOf(reason, "releasing a request")
	if err != nil {
		return View{}, err
	}
	v, err := s.step(ctx, actor, id, civicgrid.ActionServeHelp, civicgrid.StepRelease,
		civicgrid.HelpChange{Volunteer: actor.UserID, ClearVolunteer: true, Reason: reason, TakeBy: s.now().Add(s.cfg.TakeWithin)}, reason, nil)
	if err == nil {
		s.nudge()
		s.tellOpened(ctx, id)
	}
	return v, err
}

// near refuses a sign-in or sign-out made too far from the building.
func (s *Service) near(ctx context.Context, r civicgrid.HelpRequest, at *Point, what string) error {
	return Near(ctx, s.areas, r.BuildingCode, at, s.cfg.SignInRadiusM, what)
}

// Near refuses what (a sign-in, a visit) made farther than radiusM metres
// from the building, or without a position, or at a building with no
// location on the map.
func Near(ctx context.Context, areas Areas, building string, at *Point, radiusM float64, what string) error {
	if at == nil {
		return civicgrid.Errorf(civicgrid.EINVALID, "%s needs where you are (lat, lng)", what)
	}
	if err := at.check(); err != nil {
		return err
	}
	_, p, has, err := Building(ctx, areas, building)
	if err != nil {
		return err
	}
	if !has {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "building %s has no location on the map: %s cannot be checked; ask staff to add it", building, what)
	}
	if d := geo.DistanceHaversine(orb.Point{at.Lng, at.Lat}, p); d > radiusM {
		return civicgrid.Errorf(civicgrid.EINVALID, "%s is made at the place: you are %.0f m from the building, the limit is %.0f m", what, d, radiusM)
	}
	return nil
}

// SignIn starts the service, at the place.
func (s *Service) SignIn(ctx context.Context, actor civicgrid.Actor, id int64, at *Point) (View, error) {
	return s.SignInWith(ctx, actor, id, Presence{At: at})
}

// SignOut ends the service, at the place: the time served since sign-in,
// rounded per the setting, is recorded as the request's minutes.
func (s *Service) SignOut(ctx context.Context, actor civicgrid.Actor, id int64, at *Point) (View, error) {
	return s.SignOutWith(ctx, actor, id, Presence{At: at})
}

// serving returns the request when the actor may take the serving step
// now, checking policy and status before the place.
func (s *Service) serving(ctx context.Context, actor civicgrid.Actor, id int64, step civicgrid.HelpStep) (civicgrid.HelpRequest, error) {
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return r, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionServeHelp, r.Object()); err != nil {
		return r, err
	}
	if !step.Allows(r.Status) {
		return r, step.Refusal(r)
	}
	return r, nil
}

// Confirm confirms the service and rates it (1–5): the requester, or
// staff on their behalf.
func (s *Service) Confirm(ctx context.Context, actor civicgrid.Actor, id int64, rating int, comment string) (View, error) {
	return s.ConfirmPaying(ctx, actor, id, rating, comment, false)
}

// ConfirmPaying confirms, and when pay is set the requester pays the
// service's minutes from their own time-bank balance (never below the
// floor) in the same transaction: only the person helped, confirming a
// request they posted for themselves.
func (s *Service) ConfirmPaying(ctx context.Context, actor civicgrid.Actor, id int64, rating int, comment string, pay bool) (View, error) {
	comment = strings.TrimSpace(comment)
	if rating < 1 || rating > 5 {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "rating must be 1 to 5")
	}
	if utf8.RuneCountInString(comment) > civicgrid.MaxHelpNote {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "a comment of at most %d characters", civicgrid.MaxHelpNote)
	}
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	// The service is paid into the volunteer's time-bank account by the
	// community's issuing account, in the confirmation's transaction.
	credit := &civicgrid.LedgerTransfer{From: civicgrid.IssuerAccount(r.BuildingCode), Kind: civicgrid.LedgerService,
		ActorID: actor.UserID, Actor: actor.Label()}
	change := civicgrid.HelpChange{Rating: rating, Comment: comment, Credit: credit}
	data := map[string]string{"rating": strconv.Itoa(rating)}
	if r.Held != "" && r.Status == civicgrid.HelpDone {
		// A held record: only the recording organisation's staff confirm.
		if civicgrid.Authorize(actor, civicgrid.ActionCorrectHelp, r.Object()) != nil {
			return View{}, heldRefusal(r)
		}
		change.ClearHold, data["held"] = true, r.Held
	}
	if pay {
		if r.PosterID != actor.UserID || r.OnBehalf {
			return View{}, civicgrid.Errorf(civicgrid.EINVALID, "paying with the time bank: only the person helped pays, from their own account, when confirming")
		}
		change.Spend = &civicgrid.LedgerTransfer{From: civicgrid.MemberAccount(actor.UserID), To: credit.From, Kind: civicgrid.LedgerSpend,
			ActorID: actor.UserID, Actor: actor.Label(), FromFloor: s.cfg.MemberFloorMinutes}
		data["paid"] = "time_bank"
	}
	return s.step(ctx, actor, id, civicgrid.ActionConfirmHelp, civicgrid.StepConfirm, change, comment, data)
}

// Cancel withdraws a request not yet served, with a reason.
func (s *Service) Cancel(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (View, error) {
	reason, err := reasonOf(reason, "cancelling a request")
	if err != nil {
		return View{}, err
	}
	return s.step(ctx, actor, id, civicgrid.ActionConfirmHelp, civicgrid.StepCancel, civicgrid.HelpChange{Reason: reason}, reason, nil)
}

// Hours is a volunteer's time served, star level and time-bank balance.
type Hours struct {
	ConfirmedMinutes int     `json:"confirmed_minutes"`
	PendingMinutes   int     `json:"pending_minutes"` // recorded, waiting for confirmation
	ConfirmedHours   float64 `json:"confirmed_hours"`
	Stars            int     `json:"stars"`      // 0–5, from confirmed hours
	NextStarHours    int     `json:"next_stars"` // confirmed hours of the next level; 0 at the top
	BalanceMinutes   int     `json:"balance_minutes"`
}

// Hours returns the actor's own hours as a volunteer.
func (s *Service) Hours(ctx context.Context, actor civicgrid.Actor) (Hours, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionVolunteerHours, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return Hours{}, err
	}
	c, p, err := s.store.VolunteerMinutes(ctx, actor.UserID)
	if err != nil {
		return Hours{}, err
	}
	h := Hours{ConfirmedMinutes: c, PendingMinutes: p, ConfirmedHours: math.Round(float64(c)/60*100) / 100}
	h.Stars, h.NextStarHours = civicgrid.StarLevel(c, s.cfg.StarThresholdsHours)
	h.BalanceMinutes, err = s.store.Balance(ctx, civicgrid.MemberAccount(actor.UserID))
	return h, err
}

// MaxAdjustMinutes bounds one grant or adjustment (1,000 hours).
const MaxAdjustMinutes = 60000

// Adjustment is staff's grant (positive minutes) to a member's time-bank
// account from their community's issuing account, or a take-back
// (negative), always with a reason.
type Adjustment struct {
	UserID    int64  `json:"user_id"`
	Community string `json:"community_code"`
	Minutes   int    `json:"minutes"`
	Reason    string `json:"reason"`
}

// Adjust grants or takes back minutes: staff of the community, with a
// reason recorded on the ledger with who did it; a take-back never leaves
// the member below the floor.
func (s *Service) Adjust(ctx context.Context, actor civicgrid.Actor, in Adjustment) (Hours, error) {
	var ps []civicgrid.Problem
	if civicgrid.LevelOfCode(in.Community) != civicgrid.LevelCommunity {
		ps = append(ps, civicgrid.Problem{Index: -1, Code: in.Community, Kind: "community_code", Detail: "the issuing community (12 digits)"})
	}
	if in.UserID <= 0 {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "user_id", Detail: "the member whose account changes"})
	}
	if in.Minutes == 0 || in.Minutes > MaxAdjustMinutes || in.Minutes < -MaxAdjustMinutes {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "minutes", Detail: "a non-zero number of minutes of at most " + strconv.Itoa(MaxAdjustMinutes) + " either way"})
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > civicgrid.MaxHelpReason {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "reason", Detail: "a time-bank adjustment needs a reason of 1 to " + strconv.Itoa(civicgrid.MaxHelpReason) + " characters"})
	}
	if len(ps) > 0 {
		return Hours{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the time-bank adjustment is not valid", Problems: ps}
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionAdjustTimeBank, civicgrid.In(in.Community)); err != nil {
		return Hours{}, err
	}
	// The member belongs to the community (a grant in it, or registered
	// there), when the service knows the accounts.
	if s.cfg.People != nil {
		_, ok, err := s.memberOf(ctx, in.Community, in.UserID)
		if err != nil {
			return Hours{}, err
		}
		if !ok {
			return Hours{}, civicgrid.Errorf(civicgrid.EINVALID, "user %d is not a member of community %s (no grant in it, not registered there)", in.UserID, in.Community)
		}
	}
	member, issuer := civicgrid.MemberAccount(in.UserID), civicgrid.IssuerAccount(in.Community)
	t := civicgrid.LedgerTransfer{From: issuer, To: member, Minutes: in.Minutes, Kind: civicgrid.LedgerGrant, Reason: in.Reason,
		ActorID: actor.UserID, Actor: actor.Label(), At: s.now(), FromFloor: s.cfg.MemberFloorMinutes}
	if in.Minutes < 0 {
		t.From, t.To, t.Minutes = member, issuer, -in.Minutes
	}
	if err := s.store.Transfer(ctx, t); err != nil {
		return Hours{}, err
	}
	b, err := s.store.Balance(ctx, member)
	return Hours{BalanceMinutes: b}, err
}

// Statement is one month of a member's time-bank account.
type Statement struct {
	Month   string                  `json:"month"` // YYYY-MM, China Standard Time
	Opening int                     `json:"opening_minutes"`
	Closing int                     `json:"closing_minutes"`
	Entries []civicgrid.LedgerEntry `json:"entries"`
}

// cst is the time zone months are counted in.
var cst = time.FixedZone("CST", 8*3600)

// Statement returns the actor's own account for a month (YYYY-MM; empty:
// this month).
func (s *Service) Statement(ctx context.Context, actor civicgrid.Actor, month string) (Statement, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionTimeBank, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return Statement{}, err
	}
	var from time.Time
	if month == "" {
		n := s.now().In(cst)
		from = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, cst)
	} else {
		t, err := time.ParseInLocation("2006-01", month, cst)
		if err != nil {
			return Statement{}, civicgrid.Errorf(civicgrid.EINVALID, "month must be YYYY-MM")
		}
		from = t
	}
	to := from.AddDate(0, 1, 0)
	opening, es, err := s.store.LedgerEntries(ctx, civicgrid.MemberAccount(actor.UserID), from, to)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Month: from.Format("2006-01"), Opening: opening, Closing: opening, Entries: es}
	if st.Entries == nil {
		st.Entries = []civicgrid.LedgerEntry{}
	}
	for _, e := range es {
		st.Closing += e.Minutes
	}
	return st, nil
}

// StatementPageSize is how many entries a statement page shows.
const StatementPageSize = 50

// StatementPage is one page of a member's time-bank account, newest first:
// the balance (kept on the account, never summed from the entries), the
// entries and, when there are older ones, the cursor of the next page.
type StatementPage struct {
	Balance int                     `json:"balance_minutes"`
	Entries []civicgrid.LedgerEntry `json:"entries"`
	Older   string                  `json:"older,omitempty"`
}

// Entries returns a page of the actor's own account, newest first, before
// the cursor (empty: the newest): its time does not grow with the
// account's length.
func (s *Service) Entries(ctx context.Context, actor civicgrid.Actor, before string) (StatementPage, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionTimeBank, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return StatementPage{}, err
	}
	var cur *civicgrid.LedgerCursor
	if before != "" {
		c, err := civicgrid.ParseLedgerCursor(before)
		if err != nil {
			return StatementPage{}, err
		}
		cur = &c
	}
	return s.page(ctx, civicgrid.MemberAccount(actor.UserID), cur)
}

// page reads a page of an account before the cursor.
func (s *Service) page(ctx context.Context, account string, cur *civicgrid.LedgerCursor) (StatementPage, error) {
	b, err := s.store.Balance(ctx, account)
	if err != nil {
		return StatementPage{}, err
	}
	es, err := s.store.LedgerPage(ctx, account, cur, StatementPageSize+1)
	if err != nil {
		return StatementPage{}, err
	}
	p := StatementPage{Balance: b, Entries: es}
	if len(es) > StatementPageSize {
		p.Entries = es[:StatementPageSize]
		last := p.Entries[StatementPageSize-1]
		p.Older = civicgrid.LedgerCursor{At: last.At, ID: last.ID}.String()
	}
	if p.Entries == nil {
		p.Entries = []civicgrid.LedgerEntry{}
	}
	return p, nil
}

// OpenInArea counts the requests of an area still waiting for help —
// posted, accepted, claimed or in service — for staff reading the area (a
// command centre's screen). It reads at most MaxCount of them.
func (s *Service) OpenInArea(ctx context.Context, actor civicgrid.Actor, scope string) (int, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionVerifyHelp, civicgrid.In(scope)); err != nil {
		return 0, err
	}
	rs, err := s.store.HelpRequests(ctx, []string{scope}, []civicgrid.HelpStatus{civicgrid.HelpPosted, civicgrid.HelpAccepted,
		civicgrid.HelpClaimed, civicgrid.HelpInService}, MaxCount)
	return len(rs), err
}

// MaxCount bounds a count.
const MaxCount = 10000
