package care_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

const (
	community  = "420102001001"
	grid       = "420102001001001"
	grid2      = "420102001001002"
	building   = "4201020010010010001" // at (114.300, 30.550)
	building2  = "4201020010010020001" // another grid of the community
	community2 = "420103001001"
	away       = "4201030010010010001"
)

type env struct {
	t   *testing.T
	db  *sqlstore.DB
	svc *care.Service
	now time.Time
	n   int
}

var start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newEnv(t *testing.T) *env {
	e := &env{t: t, db: testdb.Open(t, t.TempDir()), now: start}
	e.svc = care.New(care.Config{Retention: 30 * 24 * time.Hour, Now: func() time.Time { return e.now }}, e.db, e.db, testdb.Areas{
		building: orb.Point{114.300, 30.550}, building2: orb.Point{114.310, 30.550}, away: orb.Point{114.200, 30.500},
	}, nil)
	return e
}

func (e *env) person(role, area string) civicgrid.Actor {
	e.t.Helper()
	e.n++
	return testdb.Person(e.t, e.db, e.n, role, area)
}

func (e *env) input(visitors ...civicgrid.Actor) civicgrid.CareInput {
	ids := make([]int64, len(visitors))
	for i, v := range visitors {
		ids[i] = v.UserID
	}
	return civicgrid.CareInput{BuildingCode: building, Name: "王秀英", Phone: "13900000302", Address: "1单元302", Kinds: []string{"living_alone"},
		Consent:    civicgrid.CareConsent{GivenBy: civicgrid.ConsentSelf, Scope: "姓名、电话、住址与探访记录", Purpose: "定期探访关爱", At: e.now.Add(-time.Hour)},
		VisitorIDs: ids}
}

func wantErr(t *testing.T, err error, code, text string) {
	t.Helper()
	if civicgrid.ErrorCode(err) != code || !strings.Contains(civicgrid.ErrorMessage(err)+fmt.Sprint(err), text) {
		t.Fatalf("want %s %q, got %v", code, text, err)
	}
}

func (e *env) reads() int {
	e.t.Helper()
	evs, err := e.db.ListSecurityEvents(context.Background(), civicgrid.EventFilter{Within: []string{"420100"}, Kind: civicgrid.EventCareRead, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(evs)
}

func (e *env) entries() int {
	e.t.Helper()
	es, err := e.db.CareEntries(context.Background(), []string{"420100"}, nil, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(es)
}

// Consent is required, visitors hold a visiting role where the person
// lives, and only the assigned visitors and the community's staff read an
// entry, every read logged.
func TestRegistryConsentAndAccess(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	otherWorker := e.person(civicgrid.RoleGridWorker, grid) // same grid, not assigned
	farWorker := e.person(civicgrid.RoleGridWorker, grid2)
	resident := e.person(civicgrid.RoleResident, building)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, community2)
	dispatcher := e.person(civicgrid.RoleStreetDispatcher, community[:9])

	for name, mutate := range map[string]func(*civicgrid.CareInput){
		"no consent":          func(in *civicgrid.CareInput) { in.Consent = civicgrid.CareConsent{} },
		"guardian unnamed":    func(in *civicgrid.CareInput) { in.Consent.GivenBy = civicgrid.ConsentGuardian },
		"no purpose":          func(in *civicgrid.CareInput) { in.Consent.Purpose = "" },
		"consent in future":   func(in *civicgrid.CareInput) { in.Consent.At = e.now.Add(time.Hour) },
		"unknown kind":        func(in *civicgrid.CareInput) { in.Kinds = []string{"vip"} },
		"no visitors":         func(in *civicgrid.CareInput) { in.VisitorIDs = nil },
		"visitor out of area": func(in *civicgrid.CareInput) { in.VisitorIDs = []int64{farWorker.UserID} },
		"resident as visitor": func(in *civicgrid.CareInput) { in.VisitorIDs = []int64{resident.UserID} },
	} {
		in := e.input(worker)
		mutate(&in)
		if _, err := e.svc.Register(ctx, staff, in); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			t.Fatalf("%s: want EINVALID, got %v", name, err)
		}
	}
	_, err := e.svc.Register(ctx, staff, func() civicgrid.CareInput { in := e.input(worker); in.Consent = civicgrid.CareConsent{}; return in }())
	wantErr(t, err, civicgrid.EINVALID, "consent is required")
	for _, who := range []civicgrid.Actor{worker, otherStaff, dispatcher, resident} {
		if _, err := e.svc.Register(ctx, who, e.input(worker)); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("%s registers: %v", who.Name, err)
		}
	}
	if n := e.entries(); n != 0 {
		t.Fatalf("refused registrations wrote %d entries", n)
	}

	in := e.input(worker)
	in.Consent = civicgrid.CareConsent{GivenBy: civicgrid.ConsentGuardian, Guardian: "王建国", Relation: "儿子", Scope: "姓名、电话、住址", Purpose: "探访", At: e.now}
	v, err := e.svc.Register(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	if v.FrequencyDays != 7 || v.Risk != civicgrid.RiskHigh || v.Consent.Guardian != "王建国" || len(v.Visitors) != 1 || v.Visitors[0].Role != civicgrid.RoleGridWorker {
		t.Fatalf("registered: %+v", v)
	}
	if v.DueAt.Sub(v.SlotStart) != 7*24*time.Hour {
		t.Fatalf("weekly slot: %s → %s", v.SlotStart, v.DueAt)
	}

	before := e.reads()
	for _, who := range []civicgrid.Actor{otherStaff, otherWorker, farWorker, resident, dispatcher} {
		if _, err := e.svc.Entry(ctx, who, v.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			t.Fatalf("%s reads the entry: %v", who.Name, err)
		}
	}
	if _, err := e.svc.Entry(ctx, civicgrid.Actor{}, v.ID); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("anonymous reads: %v", err)
	}
	if got := e.reads(); got != before {
		t.Fatalf("refused reads logged as reads: %d → %d", before, got)
	}
	for _, who := range []civicgrid.Actor{staff, worker, worker} {
		got, err := e.svc.Entry(ctx, who, v.ID)
		if err != nil || got.Name != "王秀英" || got.Address != "1单元302" {
			t.Fatalf("%s reads: %+v %v", who.Name, got, err)
		}
	}
	evs, err := e.db.ListSecurityEvents(ctx, civicgrid.EventFilter{Within: []string{"420100"}, Kind: civicgrid.EventCareRead, Limit: 10})
	if err != nil || len(evs) != 3 {
		t.Fatalf("3 reads, logged %d: %v", len(evs), err)
	}
	want := fmt.Sprintf("care entry %d", v.ID)
	for _, ev := range evs {
		if ev.Detail != want || ev.AreaCode != building || (ev.ActorID != staff.UserID && ev.ActorID != worker.UserID) || ev.At.IsZero() {
			t.Fatalf("read logged as %+v", ev)
		}
	}

	// Lists: masked, and only one's own.
	list, err := e.svc.Registry(ctx, staff, "")
	if err != nil || len(list) != 1 || list[0].Name != "王**" || list[0].Address != "" || list[0].Phone != "" {
		t.Fatalf("registry list: %+v %v", list, err)
	}
	if list, _ := e.svc.Registry(ctx, otherStaff, ""); len(list) != 0 {
		t.Fatalf("another community's staff list %d", len(list))
	}
	if _, err := e.svc.Registry(ctx, otherStaff, community); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("another community's list: %v", err)
	}
	q, err := e.svc.Queue(ctx, worker)
	if err != nil || len(q) != 1 || q[0].Name != "王**" || q[0].Light != "green" || !q[0].CanVisit {
		t.Fatalf("visitor's queue: %+v %v", q, err)
	}
	if q, _ := e.svc.Queue(ctx, otherWorker); len(q) != 0 {
		t.Fatalf("unassigned worker's queue: %+v", q)
	}
	// Exports are refused to everyone, staff included.
	for _, who := range []civicgrid.Actor{staff, dispatcher} {
		if err := e.svc.Export(ctx, who, community); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("export by %s: %v", who.Name, err)
		}
	}
	// Re-planning: a building head of the building becomes a visitor.
	head := e.person(civicgrid.RoleBuilding, building)
	if _, err := e.svc.SetPlan(ctx, worker, v.ID, care.PlanInput{FrequencyDays: 3, VisitorIDs: []int64{head.UserID}}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a visitor changes the plan: %v", err)
	}
	p, err := e.svc.SetPlan(ctx, staff, v.ID, care.PlanInput{FrequencyDays: 3, VisitorIDs: []int64{worker.UserID, head.UserID}})
	if err != nil || p.FrequencyDays != 3 || len(p.Visitors) != 2 || p.DueAt.Sub(p.SlotStart) != 3*24*time.Hour {
		t.Fatalf("new plan: %+v %v", p, err)
	}
	if _, err := e.svc.Entry(ctx, head, v.ID); err != nil {
		t.Fatalf("the new visitor reads: %v", err)
	}
}

// A visit is recorded by an assigned visitor only, not in the future, not
// twice for one slot, in person only at the building.
func TestVisitRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	vol := e.person(civicgrid.RoleVolunteer, community)
	other := e.person(civicgrid.RoleGridWorker, grid)
	v, err := e.svc.Register(ctx, staff, e.input(worker, vol))
	if err != nil {
		t.Fatal(err)
	}
	lat, lng, farLat := 30.5501, 114.3001, 30.56
	e.now = e.now.Add(24 * time.Hour)
	for who, actor := range map[string]civicgrid.Actor{"unassigned worker": other, "staff": staff} {
		_, err := e.svc.Record(ctx, actor, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine})
		if c := civicgrid.ErrorCode(err); c != civicgrid.EFORBIDDEN && c != civicgrid.ENOTFOUND {
			t.Fatalf("%s records a visit: %v", who, err)
		}
	}
	_, err = e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine, At: e.now.Add(time.Hour)})
	wantErr(t, err, civicgrid.EINVALID, "future")
	_, err = e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine, At: start.Add(-time.Hour)})
	wantErr(t, err, civicgrid.EINVALID, "before the current slot")
	_, err = e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitInPerson, State: civicgrid.VisitFine, Lat: &farLat, Lng: &lng})
	wantErr(t, err, civicgrid.EINVALID, "from the building")
	_, err = e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitInPerson, State: civicgrid.VisitFine})
	wantErr(t, err, civicgrid.EINVALID, "needs where you are")
	_, err = e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitConcern})
	wantErr(t, err, civicgrid.EINVALID, "says what")
	if got, _ := e.db.CareVisits(ctx, v.ID, 10); len(got) != 0 {
		t.Fatalf("refused visits wrote %d", len(got))
	}
	visit, err := e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitInPerson, State: civicgrid.VisitConcern,
		Note: "腿脚不便，楼道灯坏了", Lat: &lat, Lng: &lng})
	if err != nil || visit.SlotDue != v.DueAt || visit.Visitor != "李*" || visit.State != civicgrid.VisitConcern {
		t.Fatalf("visit: %+v %v", visit, err)
	}
	// A second visit for the same slot, by anyone assigned.
	for _, who := range []civicgrid.Actor{worker, vol} {
		_, err = e.svc.Record(ctx, who, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine})
		wantErr(t, err, civicgrid.ECONFLICT, "one visit per due slot")
	}
	// Straight at the store, the slot's key refuses it too.
	_, err = e.db.RecordCareVisit(ctx, civicgrid.CareVisit{EntryID: v.ID, SlotDue: v.DueAt, VisitorID: vol.UserID, Visitor: "x", Mode: "phone", State: "fine", At: e.now, CreatedAt: e.now})
	wantErr(t, err, civicgrid.ECONFLICT, "one visit per due slot")
	q, _ := e.svc.Queue(ctx, vol)
	if len(q) != 1 || q[0].Light != "" || q[0].CanVisit {
		t.Fatalf("a visited slot in the queue: %+v", q)
	}
	// The next slot opens at the due time; the volunteer visits by phone.
	e.now = v.DueAt.Add(time.Minute)
	if n, err := e.svc.FireDue(ctx); err != nil || n != 1 {
		t.Fatalf("fire: %d %v", n, err)
	}
	if _, err := e.svc.Record(ctx, vol, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Entry(ctx, staff, v.ID)
	if err != nil || len(got.Visits) != 2 || got.Missed != 0 || got.Light != "" {
		t.Fatalf("entry after two visits: %+v %v", got, err)
	}
}

// A slot that ends without a visit turns the entry red at its due time,
// and the visitors and the community's staff are told; a visit clears it.
func TestMissedVisitTurnsRedAndEscalates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	e.person(civicgrid.RoleCommunityStaff, community2) // told of nothing here
	v, err := e.svc.Register(ctx, staff, e.input(worker))
	if err != nil {
		t.Fatal(err)
	}
	light := func() string {
		t.Helper()
		q, err := e.svc.Queue(ctx, worker)
		if err != nil || len(q) != 1 {
			t.Fatalf("queue: %+v %v", q, err)
		}
		return q[0].Light
	}
	e.now = start.Add(5 * 24 * time.Hour)
	if l := light(); l != "green" {
		t.Fatalf("day 5 of 7: %s", l)
	}
	e.now = start.Add(6 * 24 * time.Hour)
	if l := light(); l != "yellow" {
		t.Fatalf("day 6 of 7: %s", l)
	}
	due, err := e.db.NextCareDue(ctx)
	if err != nil || !due.Equal(v.DueAt) {
		t.Fatalf("next due %s, want %s (%v)", due, v.DueAt, err)
	}
	// Just before the due time nothing fires.
	e.now = v.DueAt.Add(-time.Millisecond)
	if n, err := e.svc.FireDue(ctx); err != nil || n != 0 {
		t.Fatalf("fired early: %d %v", n, err)
	}
	e.now = v.DueAt
	if n, err := e.svc.FireDue(ctx); err != nil || n != 1 {
		t.Fatalf("at the due time: %d %v", n, err)
	}
	if l := light(); l != "red" {
		t.Fatalf("missed: %s", l)
	}
	got, _ := e.svc.Entry(ctx, staff, v.ID)
	if got.Missed != 1 || !got.MissedSince.Equal(v.DueAt) || !got.SlotStart.Equal(v.DueAt) || !got.DueAt.Equal(v.DueAt.Add(7*24*time.Hour)) {
		t.Fatalf("after the miss: %+v", got.CareEntry)
	}
	drafts, cursor, err := e.svc.NotifySource().Read(ctx, 0, 100)
	if err != nil || cursor == 0 {
		t.Fatal(err)
	}
	var told []int64
	for _, d := range drafts {
		if d.Kind != "care.missed" || d.Link != fmt.Sprintf("/care/%d", v.ID) || slices.Contains(d.Args, "王秀英") {
			t.Fatalf("draft %+v", d)
		}
		told = append(told, d.UserID)
	}
	slices.Sort(told)
	if want := []int64{staff.UserID, worker.UserID}; !slices.Equal(told, want) {
		t.Fatalf("told %v, want %v", told, want)
	}
	if more, _, _ := e.svc.NotifySource().Read(ctx, cursor, 100); len(more) != 0 {
		t.Fatalf("told twice: %+v", more)
	}
	// Still red the next day; a visit (late) clears it.
	e.now = e.now.Add(24 * time.Hour)
	if l := light(); l != "red" {
		t.Fatalf("a day after the miss: %s", l)
	}
	if _, err := e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine}); err != nil {
		t.Fatal(err)
	}
	if l := light(); l != "" {
		t.Fatalf("after the late visit: %q", l)
	}
	// Down for three weeks: each missed slot is closed once, in order.
	e.now = e.now.Add(21 * 24 * time.Hour)
	if n, err := e.svc.FireDue(ctx); err != nil || n != 3 {
		t.Fatalf("three slots while down: %d %v", n, err)
	}
	got, _ = e.svc.Entry(ctx, staff, v.ID)
	if got.Missed != 3 || !got.DueAt.After(e.now) {
		t.Fatalf("after three weeks: %+v", got.CareEntry)
	}
}

// The coverage rate on fixed data: per area and month, visited slots over
// due slots; staff of the area only.
func TestCoverageRate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	worker2 := e.person(civicgrid.RoleGridWorker, grid2)
	a, err := e.svc.Register(ctx, staff, e.input(worker))
	if err != nil {
		t.Fatal(err)
	}
	in := e.input(worker2)
	in.BuildingCode = building2
	b, err := e.svc.Register(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	visit := func(who civicgrid.Actor, id int64) {
		t.Helper()
		if _, err := e.svc.Record(ctx, who, id, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine}); err != nil {
			t.Fatal(err)
		}
	}
	// Week 1: both visited; week 2: only b; week 3 (due 12-22): a only.
	for week, who := range [][]bool{{true, true}, {false, true}, {true, false}} {
		e.now = start.Add(time.Duration(week)*7*24*time.Hour + time.Hour)
		if who[0] {
			visit(worker, a.ID)
		}
		if who[1] {
			visit(worker2, b.ID)
		}
		e.now = start.Add(time.Duration(week+1) * 7 * 24 * time.Hour)
		if n, err := e.svc.FireDue(ctx); err != nil || n != 2 {
			t.Fatalf("week %d: %d %v", week+1, n, err)
		}
	}
	c, err := e.svc.Coverage(ctx, staff, community, "2026-12")
	if err != nil || c.Due != 6 || c.Visited != 4 || c.Rate < 0.666 || c.Rate > 0.667 {
		t.Fatalf("community coverage: %+v %v", c, err)
	}
	c, err = e.svc.Coverage(ctx, staff, grid, "2026-12")
	if err != nil || c.Due != 3 || c.Visited != 2 {
		t.Fatalf("grid coverage: %+v %v", c, err)
	}
	if c, _ := e.svc.Coverage(ctx, staff, community, "2026-11"); c.Due != 0 || c.Rate != 0 {
		t.Fatalf("November: %+v", c)
	}
	if _, err := e.svc.Coverage(ctx, worker, community, ""); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a grid worker reads coverage: %v", err)
	}
	if _, err := e.svc.Coverage(ctx, e.person(civicgrid.RoleCommunityStaff, community2), community, ""); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("another community's staff: %v", err)
	}
	if _, err := e.svc.Coverage(ctx, staff, community, "Dec"); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("bad month: %v", err)
	}
}

// Ending care needs a reason; the personal fields are erased once the
// retention period has passed, and the anonymous slots stay.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	v, err := e.svc.Register(ctx, staff, e.input(worker))
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitConcern, Note: "独自在家摔倒过"}); err != nil {
		t.Fatal(err)
	}
	e.now = v.DueAt
	if _, err := e.svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.End(ctx, staff, v.ID, " ")
	wantErr(t, err, civicgrid.EINVALID, "reason")
	if _, err := e.svc.End(ctx, worker, v.ID, "搬走了"); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a visitor ends care: %v", err)
	}
	ended, err := e.svc.End(ctx, staff, v.ID, "搬去子女家同住")
	if err != nil || ended.Status != civicgrid.CareEnded || !ended.PurgeAfter.Equal(e.now.Add(30*24*time.Hour)) {
		t.Fatalf("ended: %+v %v", ended, err)
	}
	if _, err := e.svc.Record(ctx, worker, v.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine}); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("a visit after care ended: %v", err)
	}
	if q, _ := e.svc.Queue(ctx, worker); len(q) != 0 {
		t.Fatalf("ended care still queued: %+v", q)
	}
	if due, _ := e.db.NextCareDue(ctx); !due.Equal(ended.PurgeAfter) {
		t.Fatalf("next due is the erasure: %s", due)
	}
	e.now = ended.PurgeAfter.Add(-time.Second)
	e.svc.FireDue(ctx)
	if got, _ := e.svc.Entry(ctx, staff, v.ID); got.Name != "王秀英" {
		t.Fatalf("erased before the retention passed: %+v", got.CareEntry)
	}
	e.now = ended.PurgeAfter
	if _, err := e.svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Entry(ctx, staff, v.ID)
	if err != nil || got.Status != civicgrid.CarePurged || got.Name != "" || got.Phone != "" || got.Address != "" || got.EndReason != "" ||
		len(got.Visits) != 1 || got.Visits[0].Note != "" || got.Kinds[0] != "living_alone" {
		t.Fatalf("after retention: %+v %v", got, err)
	}
	if c, _ := e.svc.Coverage(ctx, staff, community, "2026-12"); c.Due != 1 || c.Visited != 1 {
		t.Fatalf("the anonymous slot stays: %+v", c)
	}
}

// A concern becomes a request for help on the person's behalf in one
// step, through the volunteering service: linked, once per visit (a retry
// or a step that failed after asking finds the same request), asked only
// by whom the volunteering rules let ask for someone, and showing the
// person's name, phone and address only to whom they let see them.
func TestConcernToRequest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	areas := testdb.Areas{building: orb.Point{114.300, 30.550}}
	vsvc := volunteering.New(volunteering.Config{Now: func() time.Time { return e.now }}, e.db, areas)
	cfg := e.svc.Config()
	cfg.Requests = vsvc
	svc := care.New(cfg, e.db, e.db, areas, nil)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	vol := e.person(civicgrid.RoleVolunteer, community)
	otherVol := e.person(civicgrid.RoleVolunteer, community)
	stranger := e.person(civicgrid.RoleGridWorker, grid)
	requests := func() []civicgrid.HelpRequest {
		rs, err := e.db.HelpRequests(ctx, []string{"420100"}, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	entry, err := svc.Register(ctx, staff, e.input(worker, vol))
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	visit, err := svc.Record(ctx, vol, entry.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitUrgent, Note: "家里断水两天，需要有人帮忙买水"})
	if err != nil {
		t.Fatal(err)
	}
	// Refused, nothing written: a volunteer may not ask on someone's
	// behalf, a stranger does not see the visit, no service chosen, and a
	// service without requests for help.
	_, err = svc.ToRequest(ctx, vol, visit.ID, "shopping")
	wantErr(t, err, civicgrid.EFORBIDDEN, "")
	if _, err := svc.ToRequest(ctx, stranger, visit.ID, "shopping"); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND && civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("stranger: %v", err)
	}
	_, err = svc.ToRequest(ctx, worker, visit.ID, "")
	wantErr(t, err, civicgrid.EINVALID, "service")
	_, err = e.svc.ToRequest(ctx, worker, visit.ID, "shopping")
	wantErr(t, err, civicgrid.ECONFLICT, "not served")
	if n := len(requests()); n != 0 {
		t.Fatalf("refused steps wrote %d requests", n)
	}
	if v, _ := e.db.CareVisitByID(ctx, visit.ID); v.RequestID != 0 {
		t.Fatalf("refused steps linked request %d", v.RequestID)
	}

	linked, err := svc.ToRequest(ctx, worker, visit.ID, "shopping")
	if err != nil || linked.RequestID == 0 {
		t.Fatalf("to request: %+v %v", linked, err)
	}
	again, err := svc.ToRequest(ctx, worker, visit.ID, "shopping")
	if err != nil || again.RequestID != linked.RequestID || len(requests()) != 1 {
		t.Fatalf("retry: %+v %v, %d requests", again, err, len(requests()))
	}
	r, err := e.db.HelpRequestByID(ctx, linked.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if r.BuildingCode != building || r.Beneficiary != "王秀英" || r.Contact != "13900000302" || r.Address != "1单元302" || !r.OnBehalf ||
		r.PosterID != worker.UserID || r.Urgency != civicgrid.UrgencyUrgent || r.Status != civicgrid.HelpPosted || r.Note != "探访关爱：家里断水两天，需要有人帮忙买水" {
		t.Fatalf("request: %+v", r)
	}
	// The person's kinds of need go nowhere near the request.
	if strings.Contains(fmt.Sprintf("%+v", r), "living_alone") || strings.Contains(r.Note, "独居") {
		t.Fatalf("the request names the kind of need: %+v", r)
	}
	// Once the community accepts it, another volunteer sees it masked;
	// the poster in full.
	if _, err := vsvc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
		t.Fatal(err)
	}
	seen, err := vsvc.Request(ctx, otherVol, r.ID)
	if err != nil || seen.Address != "" || seen.Beneficiary != civicgrid.MaskName("王秀英") || seen.Contact == "13900000302" {
		t.Fatalf("another volunteer sees: %+v %v", seen.HelpRequest, err)
	}
	if own, err := vsvc.Request(ctx, worker, r.ID); err != nil || own.Address != "1单元302" {
		t.Fatalf("the poster sees: %+v %v", own.HelpRequest, err)
	}
	// The entry's page shows the link.
	got, err := svc.Entry(ctx, staff, entry.ID)
	if err != nil || len(got.Visits) != 1 || got.Visits[0].RequestID != r.ID {
		t.Fatalf("entry: %+v %v", got.Visits, err)
	}

	// A step that asked and then failed before linking: asking again finds
	// the same request (the origin is kept once by the volunteering store).
	e.now = entry.DueAt.Add(time.Minute)
	if _, err := svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := svc.Record(ctx, worker, entry.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitConcern, Note: "想请人陪同去医院复查"})
	if err != nil {
		t.Fatal(err)
	}
	early, err := vsvc.AskFrom(ctx, worker, civicgrid.HelpInput{Service: "clinic", BuildingCode: building, Beneficiary: "王秀英"}, fmt.Sprintf("care-visit:%d", second.ID))
	if err != nil {
		t.Fatal(err)
	}
	linked2, err := svc.ToRequest(ctx, worker, second.ID, "clinic")
	if err != nil || linked2.RequestID != early.ID || len(requests()) != 2 {
		t.Fatalf("after a half-done step: %+v %v (first asked %d), %d requests", linked2, err, early.ID, len(requests()))
	}
	// A fine visit becomes nothing.
	e.now = got.DueAt.Add(8 * 24 * time.Hour)
	if _, err := svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	fine, err := svc.Record(ctx, worker, entry.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.ToRequest(ctx, worker, fine.ID, "shopping")
	wantErr(t, err, civicgrid.EINVALID, "all fine")
}

// The big screen's figure: an area's care visits due and the overdue
// among them, counts only, for whoever may read the area's coverage.
func TestDueInArea(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	resident := e.person(civicgrid.RoleResident, building)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, community2)
	var ids []int64
	for range 3 {
		v, err := e.svc.Register(ctx, staff, e.input(worker))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	count := func() (int, int) {
		t.Helper()
		due, overdue, err := e.svc.DueInArea(ctx, staff, community)
		if err != nil {
			t.Fatal(err)
		}
		return due, overdue
	}
	if due, overdue := count(); due != 3 || overdue != 0 {
		t.Fatalf("three registered: %d due, %d overdue", due, overdue)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.Record(ctx, worker, ids[0], care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine}); err != nil {
		t.Fatal(err)
	}
	if due, overdue := count(); due != 2 || overdue != 0 {
		t.Fatalf("one visited: %d due, %d overdue", due, overdue)
	}
	// Past the weekly due time: every entry's next slot is unvisited, two
	// of them missed their last.
	e.now = e.now.Add(8 * 24 * time.Hour)
	if _, err := e.svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	if due, overdue := count(); due != 3 || overdue != 2 {
		t.Fatalf("after the due time: %d due, %d overdue", due, overdue)
	}
	if _, err := e.svc.End(ctx, staff, ids[1], "搬去子女家同住"); err != nil {
		t.Fatal(err)
	}
	if due, overdue := count(); due != 2 || overdue != 1 {
		t.Fatalf("one ended: %d due, %d overdue", due, overdue)
	}
	if due, _, err := e.svc.DueInArea(ctx, staff, community2); err == nil && due != 0 {
		t.Fatalf("another community counts %d", due)
	}
	for _, who := range []civicgrid.Actor{worker, resident, otherStaff} {
		if _, _, err := e.svc.DueInArea(ctx, who, community); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("user %d counts the community's care visits: %v", who.UserID, err)
		}
	}
}

// Due slots close in batches, the earliest due first: each transaction
// closes at most the batch, and FireDue runs batches until none is due.
func TestFireInBatches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cfg := e.svc.Config()
	cfg.FireBatch = 2
	svc := care.New(cfg, e.db, e.db, testdb.Areas{building: orb.Point{114.300, 30.550}}, nil)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	worker := e.person(civicgrid.RoleGridWorker, grid)
	var ids []int64
	for i := range 5 {
		in := e.input(worker)
		in.FrequencyDays = 7 + i // due one day after another
		v, err := svc.Register(ctx, staff, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	e.now = e.now.Add(30 * 24 * time.Hour)
	n, err := e.db.CloseDueCareSlots(ctx, e.now, 2)
	if err != nil || n != 2 {
		t.Fatalf("a batch of 2 closed %d: %v", n, err)
	}
	slots, err := e.db.MissedCareSlotsAfter(ctx, 0, 10)
	if err != nil || len(slots) != 2 || slots[0].EntryID != ids[0] || slots[1].EntryID != ids[1] {
		t.Fatalf("the earliest due first: %+v %v", slots, err)
	}
	// FireDue runs batches until nothing is due: the three left, then the
	// entries' next slots (weekly or so, all within the 30 days).
	if n, err := svc.FireDue(ctx); err != nil || n < 3 {
		t.Fatalf("fire: %d %v", n, err)
	}
	if next, err := e.db.NextCareDue(ctx); err != nil || !next.After(e.now) {
		t.Fatalf("still due after FireDue: %s %v", next, err)
	}
	for _, id := range ids {
		en, err := e.db.CareEntryByID(ctx, id)
		if err != nil || en.Missed < 1 || en.MissedSince.IsZero() {
			t.Fatalf("entry %d: %+v %v", id, en, err)
		}
	}
}
