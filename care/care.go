// Package care runs care visits (探访关爱): community staff register
// residents who need care with their (or a guardian's) consent and a visit
// plan; the assigned visitors see due visits in their queue with the
// case traffic light, record visits on a phone (in person at the building,
// or by phone call), and turn a concern into a case in one step; a slot
// that ends without a visit is missed, turns red and is notified. Every
// decision on who may do what is civicgrid.Authorize's; every read of an
// entry is written to the security log.
package care

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/volunteering"
)

// People is what the service needs of the accounts.
type People interface {
	UserByID(ctx context.Context, id int64) (civicgrid.User, error)
	ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error)
}

// Cases is what the service needs of the case service: a concern becomes
// a case through it, never by writing case tables.
type Cases interface {
	Report(ctx context.Context, actor civicgrid.Actor, r casework.Report, idem *civicgrid.Idempotency) (casework.Intake, error)
}

// Requests is what the service needs of the volunteering service: a
// concern becomes a request for help through it (asked once per visit),
// never by writing its tables.
type Requests interface {
	AskFrom(ctx context.Context, actor civicgrid.Actor, in civicgrid.HelpInput, origin string) (civicgrid.HelpRequest, error)
}

// Config sets the service's rules.
type Config struct {
	// SignInRadiusM is how far from the building an in-person visit may be
	// recorded (default 300 m, as a volunteer's sign-in).
	SignInRadiusM float64
	// Retention is how long after care ends the personal fields are kept
	// before they are erased (default 90 days).
	Retention time.Duration
	// CaseCategory is the category a concern becomes when none is chosen
	// (default C0099 其他问题).
	CaseCategory string
	// Photos checks a visit's photo was uploaded (photo.Store); nil
	// takes no photos.
	Photos interface{ Has(ref string) bool }
	// Requests, when set, lets a concern become a request for help
	// (volunteering.Service); nil: it cannot.
	Requests Requests
	Now      func() time.Time
	// Wake, when set, nudges the scheduler (a registration due sooner
	// than it sleeps).
	Wake chan struct{}
	// FireBatch is how many due slots one transaction closes (default
	// 2,000): a registry falling due at one instant fires batch after
	// batch, so the first visitors hear at once and no run holds one huge
	// transaction. 0 takes the default; a negative value closes all in one.
	FireBatch int
}

// Service is the care module.
type Service struct {
	cfg    Config
	store  civicgrid.CareStore
	people People
	areas  volunteering.Areas
	cases  Cases
	wake   chan struct{}
}

// New returns the service; cases may be nil (then concerns do not become cases).
func New(cfg Config, store civicgrid.CareStore, people People, areas volunteering.Areas, cases Cases) *Service {
	if cfg.SignInRadiusM <= 0 {
		cfg.SignInRadiusM = 300
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 90 * 24 * time.Hour
	}
	if cfg.CaseCategory == "" {
		cfg.CaseCategory = "C0099"
	}
	if cfg.FireBatch == 0 {
		cfg.FireBatch = 2000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: store, people: people, areas: areas, cases: cases, wake: make(chan struct{}, 1)}
}

// Config returns the rules in force.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

// ListLimit bounds a list.
const ListLimit = 500

// Kinds is the catalogue of kinds of need.
func (s *Service) Kinds() []civicgrid.CareKind { return civicgrid.CareKinds }

// View is an entry as its reader sees it, with its traffic light and the
// steps the reader may take.
type View struct {
	civicgrid.CareEntry
	// Light is the current slot's traffic light: green, yellow, red (due
	// time passed or a slot missed since the last visit), or "" when the
	// slot has its visit.
	Light     string                `json:"light"`
	CanVisit  bool                  `json:"can_visit"`  // record the current slot's visit
	IsVisitor bool                  `json:"is_visitor"` // an assigned visitor (turns concerns into cases)
	CanManage bool                  `json:"can_manage"`
	Visits    []civicgrid.CareVisit `json:"visits,omitempty"`
}

// Light is an entry's traffic light at now: the case light of its slot
// (green below 80 % of the slot, yellow to its end), red while a missed
// slot has no visit after it, none when the slot has its visit.
func Light(e civicgrid.CareEntry, now time.Time) string {
	switch {
	case e.Status != civicgrid.CareActive:
		return ""
	case !e.MissedSince.IsZero():
		return "red"
	case e.Visited:
		return ""
	}
	return casework.Light(e.SlotStart, e.DueAt, now)
}

func (s *Service) view(actor civicgrid.Actor, e civicgrid.CareEntry, masked bool) View {
	allowed := func(a civicgrid.Action) bool { return civicgrid.Authorize(actor, a, e.Object()) == nil }
	v := View{CareEntry: e, Light: Light(e, s.now()),
		CanVisit:  e.Status == civicgrid.CareActive && !e.Visited && allowed(civicgrid.ActionVisitCare),
		IsVisitor: allowed(civicgrid.ActionVisitCare),
		CanManage: e.Status == civicgrid.CareActive && allowed(civicgrid.ActionRegisterCare)}
	if masked {
		v.CareEntry = e.Masked()
	}
	return v
}

// visitors checks each assigned visitor holds a grid worker, volunteer or
// building role over the building, and returns them with that role.
func (s *Service) visitors(ctx context.Context, building string, ids []int64) ([]civicgrid.CareVisitor, error) {
	var out []civicgrid.CareVisitor
	var ps []civicgrid.Problem
	for _, id := range ids {
		if slices.ContainsFunc(out, func(v civicgrid.CareVisitor) bool { return v.UserID == id }) {
			continue
		}
		u, err := s.people.UserByID(ctx, id)
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return nil, err
		}
		role := ""
		if err == nil && civicgrid.Authorize(u.Actor(), civicgrid.ActionCareVisitor, civicgrid.In(building)) == nil {
			for _, g := range u.Grants {
				if (g.Role == civicgrid.RoleGridWorker || g.Role == civicgrid.RoleVolunteer || g.Role == civicgrid.RoleBuilding) && g.Covers(building) {
					role = g.Role
					break
				}
			}
		}
		if role == "" {
			ps = append(ps, civicgrid.Problem{Index: -1, Code: strconv.FormatInt(id, 10), Kind: "visitor_ids",
				Detail: "a visitor is a grid worker, volunteer or building role whose area covers building " + building})
			continue
		}
		out = append(out, civicgrid.CareVisitor{UserID: u.ID, Label: civicgrid.MaskName(u.Name), Role: role})
	}
	if len(ps) > 0 {
		return nil, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the assigned visitors are not valid", Problems: ps}
	}
	return out, nil
}

func (s *Service) log(ctx context.Context, actor civicgrid.Actor, kind string, e civicgrid.CareEntry, detail string) error {
	return s.store.AppendSecurityEvent(ctx, civicgrid.SecurityEvent{At: s.now(), Kind: kind, Outcome: civicgrid.OutcomeOK,
		ActorID: actor.UserID, Actor: actor.Label(), AreaCode: e.BuildingCode, Detail: "care entry " + strconv.FormatInt(e.ID, 10) + detail})
}

// Register puts a person into the registry with their consent and plan:
// community staff of the person's community. No consent, no entry;
// nothing is written unless every check passes.
func (s *Service) Register(ctx context.Context, actor civicgrid.Actor, in civicgrid.CareInput) (View, error) {
	now := s.now()
	e, err := in.Check(now)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterCare, civicgrid.In(e.BuildingCode)); err != nil {
		return View{}, err
	}
	if _, _, _, err := volunteering.Building(ctx, s.areas, e.BuildingCode); err != nil {
		return View{}, err
	}
	if e.Visitors, err = s.visitors(ctx, e.BuildingCode, in.VisitorIDs); err != nil {
		return View{}, err
	}
	e.RegisteredBy, e.Registrar = actor.UserID, civicgrid.MaskName(actor.Name)
	if e, err = s.store.CreateCareEntry(ctx, e); err != nil {
		return View{}, err
	}
	s.nudge()
	return s.view(actor, e, false), s.log(ctx, actor, civicgrid.EventCareRegistered, e, ", consent by "+e.Consent.GivenBy+" for "+e.Consent.Purpose)
}

func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// readable returns the entry, or ENOTFOUND when the actor may not read it
// (so ids reveal nothing).
func (s *Service) readable(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.CareEntry, error) {
	e, err := s.store.CareEntryByID(ctx, id)
	if err != nil {
		return e, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCare, e.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return e, err
		}
		return e, civicgrid.Errorf(civicgrid.ENOTFOUND, "no care entry %d", id)
	}
	return e, nil
}

// Entry returns an entry the actor may read, in full, with its visits.
// The read is written to the security log first: no log, no read.
func (s *Service) Entry(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	e, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := s.log(ctx, actor, civicgrid.EventCareRead, e, ""); err != nil {
		return View{}, err
	}
	v := s.view(actor, e, false)
	if v.Visits, err = s.store.CareVisits(ctx, id, ListLimit); err != nil {
		return View{}, err
	}
	return v, nil
}

// Registry lists the entries of the actor's communities (staff), masked,
// active ones first.
func (s *Service) Registry(ctx context.Context, actor civicgrid.Actor, within string) ([]View, error) {
	scopes := actor.Scopes(civicgrid.ActionRegisterCare)
	if within != "" {
		if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterCare, civicgrid.In(within)); err != nil {
			return nil, err
		}
		scopes = []string{within}
	}
	out := []View{}
	if len(scopes) == 0 {
		return out, nil
	}
	es, err := s.store.CareEntries(ctx, scopes, []string{civicgrid.CareActive, civicgrid.CareEnded}, ListLimit)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if civicgrid.Authorize(actor, civicgrid.ActionReadCare, e.Object()) == nil {
			out = append(out, s.view(actor, e, true))
		}
	}
	slices.SortStableFunc(out, func(a, b View) int {
		return cmp.Compare(a.Status, b.Status) // active before ended
	})
	return out, nil
}

var lightRank = map[string]int{"red": 0, "yellow": 1, "green": 2, "": 3}

// Queue lists the actor's due visits: the active entries they visit, red
// first, then yellow and green, the nearest due time first; names masked.
func (s *Service) Queue(ctx context.Context, actor civicgrid.Actor) ([]View, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionCareQueue, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	es, err := s.store.CareEntriesOfVisitor(ctx, actor.UserID, ListLimit)
	if err != nil {
		return nil, err
	}
	out := []View{}
	for _, e := range es {
		if civicgrid.Authorize(actor, civicgrid.ActionVisitCare, e.Object()) == nil {
			out = append(out, s.view(actor, e, true))
		}
	}
	slices.SortStableFunc(out, func(a, b View) int {
		return cmp.Or(cmp.Compare(lightRank[a.Light], lightRank[b.Light]), a.DueAt.Compare(b.DueAt))
	})
	return out, nil
}

// VisitInput is a visit as the visitor records it.
type VisitInput struct {
	Mode  string    `json:"mode"`  // in_person or phone
	State string    `json:"state"` // fine, concern or urgent
	Note  string    `json:"note"`
	At    time.Time `json:"at"` // when; zero: now
	Lat   *float64  `json:"lat"`
	Lng   *float64  `json:"lng"`
	// Photo is an optional photo's ref, uploaded first with POST
	// /api/v1/photos (the case photos' checks: a JPEG, metadata removed).
	Photo string `json:"photo"`
}

var photoRef = regexp.MustCompile(`^[0-9a-f]{64}\.jpg$`)

// futureSlack is how far ahead of the server's clock a phone's may run.
const futureSlack = time.Minute

// Record records a visit for the entry's current slot: only an assigned
// visitor; not in the future, not before the slot opened, once per slot;
// in person only within the radius of the building.
func (s *Service) Record(ctx context.Context, actor civicgrid.Actor, id int64, in VisitInput) (civicgrid.CareVisit, error) {
	e, err := s.readable(ctx, actor, id)
	if err != nil {
		return civicgrid.CareVisit{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionVisitCare, e.Object()); err != nil {
		return civicgrid.CareVisit{}, err
	}
	if e.Status != civicgrid.CareActive {
		return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d has ended: no more visits are recorded", id)
	}
	now := s.now()
	var ps []civicgrid.Problem
	bad := func(kind, detail string) { ps = append(ps, civicgrid.Problem{Index: -1, Kind: kind, Detail: detail}) }
	in.Note = strings.TrimSpace(in.Note)
	if in.At.IsZero() {
		in.At = now
	}
	in.At = time.UnixMilli(in.At.UnixMilli())
	switch {
	case in.At.After(now.Add(futureSlack)):
		bad("at", "a visit is recorded after it happened, not dated in the future")
	case in.At.Before(e.SlotStart):
		bad("at", "the visit is dated before the current slot opened ("+e.SlotStart.UTC().Format(time.RFC3339)+"): that slot is closed")
	}
	switch in.State {
	case civicgrid.VisitFine:
	case civicgrid.VisitConcern, civicgrid.VisitUrgent:
		if in.Note == "" {
			bad("note", "a concern or an urgent state says what in a note")
		}
	default:
		bad("state", "fine, concern or urgent")
	}
	if utf8.RuneCountInString(in.Note) > civicgrid.MaxCareNote {
		bad("note", "at most "+strconv.Itoa(civicgrid.MaxCareNote)+" characters")
	}
	if in.Photo != "" && (s.cfg.Photos == nil || !photoRef.MatchString(in.Photo) || !s.cfg.Photos.Has(in.Photo)) {
		bad("photo", "a photo reference of an uploaded photo (POST /api/v1/photos first)")
	}
	var lat, lng float64
	switch in.Mode {
	case civicgrid.VisitInPerson:
		var at *volunteering.Point
		if in.Lat != nil && in.Lng != nil {
			at = &volunteering.Point{Lat: *in.Lat, Lng: *in.Lng}
			lat, lng = at.Lat, at.Lng
		}
		if err := volunteering.Near(ctx, s.areas, e.BuildingCode, at, s.cfg.SignInRadiusM, "an in-person visit"); err != nil {
			if civicgrid.ErrorCode(err) != civicgrid.EINVALID {
				return civicgrid.CareVisit{}, err
			}
			bad("location", civicgrid.ErrorMessage(err))
		}
	case civicgrid.VisitByPhone:
	default:
		bad("mode", "in_person or phone")
	}
	if len(ps) > 0 {
		return civicgrid.CareVisit{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the visit is not valid", Problems: ps}
	}
	if e.Visited {
		return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d: the visit due %s is recorded already (one visit per due slot)",
			id, e.DueAt.UTC().Format(time.RFC3339))
	}
	return s.store.RecordCareVisit(ctx, civicgrid.CareVisit{EntryID: id, SlotDue: e.DueAt, VisitorID: actor.UserID, Visitor: civicgrid.MaskName(actor.Name),
		Mode: in.Mode, State: in.State, Note: in.Note, At: in.At, Lat: lat, Lng: lng, Photo: in.Photo, CreatedAt: now})
}

// ToCase turns a visit's concern into a case in one step, through the case
// service (the visitor reports it at the person's building; the case
// carries the visitor's note, never the person's name), and links the
// visit to it. A retry returns the same case (an idempotency key per visit).
func (s *Service) ToCase(ctx context.Context, actor civicgrid.Actor, visitID int64, category string) (civicgrid.CareVisit, error) {
	if s.cases == nil {
		return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ECONFLICT, "cases are not served here")
	}
	v, err := s.store.CareVisitByID(ctx, visitID)
	if err != nil {
		return v, err
	}
	e, err := s.readable(ctx, actor, v.EntryID)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no care visit %d", visitID)
		}
		return civicgrid.CareVisit{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionVisitCare, e.Object()); err != nil {
		return civicgrid.CareVisit{}, err
	}
	if v.State == civicgrid.VisitFine {
		return v, civicgrid.Errorf(civicgrid.EINVALID, "care visit %d found all fine: only a concern or an urgent state becomes a case", visitID)
	}
	if v.CaseID != 0 {
		return v, civicgrid.Errorf(civicgrid.ECONFLICT, "care visit %d became case %d already", visitID, v.CaseID)
	}
	if category == "" {
		category = s.cfg.CaseCategory
	}
	_, p, has, err := volunteering.Building(ctx, s.areas, e.BuildingCode)
	if err != nil {
		return v, err
	}
	if !has {
		return v, civicgrid.Errorf(civicgrid.ECONFLICT, "building %s has no location on the map: report the case from the case pages", e.BuildingCode)
	}
	var photos []string
	if v.Photo != "" {
		photos = []string{v.Photo}
	}
	in, err := s.cases.Report(ctx, actor, casework.Report{Category: category, Description: "探访关爱：" + v.Note, Lat: p[1], Lng: p[0],
		BuildingCode: e.BuildingCode, Photos: photos}, &civicgrid.Idempotency{Scope: "user:" + strconv.FormatInt(actor.UserID, 10),
		Key: "care-visit-" + strconv.FormatInt(visitID, 10), RequestHash: "care-visit-" + strconv.FormatInt(visitID, 10) + ":" + category})
	if err != nil {
		return v, err
	}
	if err := s.store.LinkCareVisitCase(ctx, visitID, in.Case.ID); err != nil {
		return v, err
	}
	return s.store.CareVisitByID(ctx, visitID)
}

// ToRequest turns a visit's concern into a request for help in one step,
// through the volunteering service: asked by the visitor on the person's
// behalf at their building (so the volunteering rules decide who may ask —
// grid workers, building roles, staff — and who sees the exact address,
// contact and name: the poster, the volunteer who takes it and staff;
// everyone else sees them masked). The request carries the visitor's note
// and the service chosen, never the person's kinds of need. The visit is
// linked to it; a retry returns the same request (one per visit, kept by
// the volunteering store), and a visit linked already returns as it is.
func (s *Service) ToRequest(ctx context.Context, actor civicgrid.Actor, visitID int64, service string) (civicgrid.CareVisit, error) {
	if s.cfg.Requests == nil {
		return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ECONFLICT, "requests for help are not served here")
	}
	v, err := s.store.CareVisitByID(ctx, visitID)
	if err != nil {
		return v, err
	}
	e, err := s.readable(ctx, actor, v.EntryID)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return civicgrid.CareVisit{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no care visit %d", visitID)
		}
		return civicgrid.CareVisit{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionVisitCare, e.Object()); err != nil {
		return civicgrid.CareVisit{}, err
	}
	if v.RequestID != 0 {
		return v, nil
	}
	if v.State == civicgrid.VisitFine {
		return v, civicgrid.Errorf(civicgrid.EINVALID, "care visit %d found all fine: only a concern or an urgent state becomes a request for help", visitID)
	}
	if e.Status != civicgrid.CareActive {
		return v, civicgrid.Errorf(civicgrid.ECONFLICT, "care of entry %d has ended: no new request for help from its visits", e.ID)
	}
	urgency := civicgrid.UrgencyNormal
	if v.State == civicgrid.VisitUrgent {
		urgency = civicgrid.UrgencyUrgent
	}
	note := []rune("探访关爱：" + v.Note)
	note = note[:min(len(note), civicgrid.MaxHelpNote)]
	r, err := s.cfg.Requests.AskFrom(ctx, actor, civicgrid.HelpInput{Service: service, BuildingCode: e.BuildingCode, Address: e.Address,
		Beneficiary: e.Name, Contact: e.Phone, Note: string(note), Urgency: urgency}, "care-visit:"+strconv.FormatInt(visitID, 10))
	if err != nil {
		return v, err
	}
	if err := s.store.LinkCareVisitRequest(ctx, visitID, r.ID); err != nil {
		return v, err
	}
	return s.store.CareVisitByID(ctx, visitID)
}

// DueInArea counts an area's care visits due — active entries whose
// current slot has no visit yet — and the overdue (red) among them, for
// whoever may read the area's coverage rate (the big screen): counts
// only, no entry is read.
func (s *Service) DueInArea(ctx context.Context, actor civicgrid.Actor, scope string) (due, overdue int, err error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionCareCoverage, civicgrid.In(scope)); err != nil {
		return 0, 0, err
	}
	return s.store.CountDueCare(ctx, []string{scope})
}

// EntryOfCase returns the care entry a case was made from, when the actor
// may read that entry (the case page links back to it); 0 otherwise. The
// link reads no personal field and is not a read of the entry.
func (s *Service) EntryOfCase(ctx context.Context, actor civicgrid.Actor, caseID int64) (int64, error) {
	v, err := s.store.CareVisitOfCase(ctx, caseID)
	return s.readableEntryOf(ctx, actor, v, err)
}

// EntryOfVisit returns the care entry a visit belongs to, when the actor
// may read that entry (a request for help made from the visit links back to
// it); 0 otherwise. Like EntryOfCase it reads no personal field.
func (s *Service) EntryOfVisit(ctx context.Context, actor civicgrid.Actor, visitID int64) (int64, error) {
	v, err := s.store.CareVisitByID(ctx, visitID)
	return s.readableEntryOf(ctx, actor, v, err)
}

// readableEntryOf returns the entry of visit v (found with err) when the
// actor may read it, else 0.
func (s *Service) readableEntryOf(ctx context.Context, actor civicgrid.Actor, v civicgrid.CareVisit, err error) (int64, error) {
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	e, err := s.store.CareEntryByID(ctx, v.EntryID)
	if err != nil {
		return 0, err
	}
	if civicgrid.Authorize(actor, civicgrid.ActionReadCare, e.Object()) != nil {
		return 0, nil
	}
	return e.ID, nil
}

// PlanInput changes an entry's plan.
type PlanInput struct {
	FrequencyDays int     `json:"frequency_days"`
	VisitorIDs    []int64 `json:"visitor_ids"`
}

// SetPlan changes the frequency and the visitors of an active entry:
// community staff.
func (s *Service) SetPlan(ctx context.Context, actor civicgrid.Actor, id int64, in PlanInput) (View, error) {
	e, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterCare, e.Object()); err != nil {
		return View{}, err
	}
	if in.FrequencyDays < 1 || in.FrequencyDays > civicgrid.MaxCareFrequency || len(in.VisitorIDs) == 0 || len(in.VisitorIDs) > civicgrid.MaxCareVisitors {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "a plan is a visit every 1 to %d days by 1 to %d visitors", civicgrid.MaxCareFrequency, civicgrid.MaxCareVisitors)
	}
	vs, err := s.visitors(ctx, e.BuildingCode, in.VisitorIDs)
	if err != nil {
		return View{}, err
	}
	if e, err = s.store.SetCarePlan(ctx, id, in.FrequencyDays, vs); err != nil {
		return View{}, err
	}
	s.nudge()
	return s.view(actor, e, false), nil
}

// End ends care with a reason (moved away, passed away, no longer
// needed, consent withdrawn …): visits stop, and the personal fields are
// erased once the retention period has passed.
func (s *Service) End(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (View, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxCareText {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "ending care needs a reason of 1 to %d characters", civicgrid.MaxCareText)
	}
	e, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterCare, e.Object()); err != nil {
		return View{}, err
	}
	now := s.now()
	if e, err = s.store.EndCare(ctx, id, now, reason, now.Add(s.cfg.Retention)); err != nil {
		return View{}, err
	}
	s.nudge()
	return s.view(actor, e, false), s.log(ctx, actor, civicgrid.EventCareEnded, e, ", erasure after "+e.PurgeAfter.UTC().Format(time.RFC3339))
}

// Export refuses: the registry is not exported (no policy rule allows
// it; docs/care.md).
func (s *Service) Export(ctx context.Context, actor civicgrid.Actor, within string) error {
	return civicgrid.Authorize(actor, civicgrid.ActionExportCare, civicgrid.In(within))
}

// Coverage is an area's coverage rate for a month: the slots due in it
// visited in time, over the slots due.
type Coverage struct {
	AreaCode string  `json:"area_code"`
	Month    string  `json:"month"` // YYYY-MM, China Standard Time
	Due      int     `json:"due"`
	Visited  int     `json:"visited"`
	Rate     float64 `json:"rate"` // visited / due, 0 when nothing was due
}

var cst = time.FixedZone("CST", 8*3600)

// Coverage returns an area's monthly coverage rate (month YYYY-MM; empty:
// this month): staff of the area.
func (s *Service) Coverage(ctx context.Context, actor civicgrid.Actor, area, month string) (Coverage, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return Coverage{}, civicgrid.Errorf(civicgrid.EINVALID, "area must be an area code")
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionCareCoverage, civicgrid.In(area)); err != nil {
		return Coverage{}, err
	}
	var from time.Time
	if month == "" {
		n := s.now().In(cst)
		from = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, cst)
	} else {
		t, err := time.ParseInLocation("2006-01", month, cst)
		if err != nil {
			return Coverage{}, civicgrid.Errorf(civicgrid.EINVALID, "month must be YYYY-MM")
		}
		from = t
	}
	due, visited, err := s.store.CareCoverage(ctx, area, from, from.AddDate(0, 1, 0))
	c := Coverage{AreaCode: area, Month: from.Format("2006-01"), Due: due, Visited: visited}
	if due > 0 {
		c.Rate = float64(visited) / float64(due)
	}
	return c, err
}

// FireDue closes every slot due by now (missed ones turn red and are
// notified) and erases entries past their retention; it returns how many
// slots it closed.
func (s *Service) FireDue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.CloseDueCareSlots(ctx, s.now(), s.cfg.FireBatch)
		total += n
		if err != nil || n == 0 {
			if err == nil {
				_, err = s.store.PurgeCare(ctx, s.now())
			}
			return total, err
		}
	}
}

// RunScheduler fires due visits as their time comes until ctx ends (the
// case deadline scheduler's loop).
func (s *Service) RunScheduler(ctx context.Context) {
	casework.Deadlines{Name: "care slots closed", Fire: s.FireDue, Next: s.store.NextCareDue, Now: s.now, Wake: s.wake,
		Slack: 200 * time.Millisecond}.Run(ctx)
}

// NotifySourceName names the notifications' cursor over missed visits.
const NotifySourceName = "care"

// NotifySource tells of each missed visit: the entry's visitors and the
// community's staff hear of it (the escalation), without the person's
// name.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		slots, err := s.store.MissedCareSlotsAfter(ctx, cursor, limit)
		if err != nil || len(slots) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		staff := map[string][]int64{}
		for _, sl := range slots {
			e, err := s.store.CareEntryByID(ctx, sl.EntryID)
			if err != nil {
				return nil, cursor, err
			}
			id := strconv.FormatInt(e.ID, 10)
			add := func(user int64) {
				out = append(out, notify.Draft{UserID: user, Kind: "care.missed", Source: "care_slot:" + strconv.FormatInt(sl.ID, 10),
					Link: "/care/" + id, Args: []string{"entry", id, "building", e.BuildingCode}})
			}
			for _, v := range e.Visitors {
				add(v.UserID)
			}
			community := e.BuildingCode[:12]
			ids, ok := staff[community]
			if !ok {
				us, err := s.people.ListUsers(ctx, civicgrid.UserFilter{Within: []string{community}, Role: civicgrid.RoleCommunityStaff, Limit: 100})
				if err != nil {
					return nil, cursor, err
				}
				for _, u := range us {
					if civicgrid.Authorize(u.Actor(), civicgrid.ActionReadCare, e.Object()) == nil {
						ids = append(ids, u.ID)
					}
				}
				staff[community] = ids
			}
			for _, u := range ids {
				add(u)
			}
		}
		return out, slots[len(slots)-1].ID, nil
	}}
}
