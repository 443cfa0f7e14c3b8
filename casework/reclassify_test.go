package casework

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/workcal"
)

const (
	rcGrid  = "420102001001001"
	rcPhoto = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg"
)

// reclassifyEnv is a store with the "other" category and a burst pipe, and
// the people of one grid: its reporter, grid worker, community staff and a
// water department handler.
type reclassifyEnv struct {
	t                                     *testing.T
	db                                    *sqlstore.DB
	s                                     *Service
	cal                                   *workcal.Calendar
	now                                   time.Time
	reporter, worker, staff, far, handler civicgrid.Actor
}

func newReclassifyEnv(t *testing.T) *reclassifyEnv {
	ctx := context.Background()
	e := &reclassifyEnv{t: t, db: testdb.Open(t, t.TempDir()), now: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)} // Monday 09:00 in Beijing
	e.db.SetClock(func() time.Time { return e.now })
	for _, c := range []civicgrid.Category{
		{Code: "C0099", NameZH: "其他问题", NameEN: "Something else", RespondWithin: "4wh", ResolveWithin: "5wd", Active: true},
		{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h", Active: true},
		{Code: "C0003", NameZH: "小区停车", NameEN: "Parking", RespondWithin: "4wh", ResolveWithin: "5wd", Active: false},
	} {
		if err := e.db.PutCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cal, err := workcal.Default()
	if err != nil {
		t.Fatal(err)
	}
	e.cal = cal
	e.s = New(Config{}, e.db, e.db, nil, cal, func() time.Time { return e.now })
	person := func(id int64, role, area string, cats ...string) civicgrid.Actor {
		u, err := e.db.CreateUser(ctx, civicgrid.User{Name: "测试", Phone: "1990000" + strconv.FormatInt(1000+id, 10)}, "", nil,
			civicgrid.SecurityEvent{Kind: "user.created", Outcome: "ok", Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		a := civicgrid.Actor{UserID: u.ID, Name: u.Name, Via: "session"}
		if role != "" {
			a.Grants = []civicgrid.RoleGrant{{Role: role, AreaCode: area, Categories: cats}}
		}
		return a
	}
	e.reporter = person(50, "", "")
	e.worker = person(51, civicgrid.RoleGridWorker, rcGrid)
	e.staff = person(52, civicgrid.RoleCommunityStaff, rcGrid[:12])
	e.far = person(53, civicgrid.RoleCommunityStaff, "420103001001")
	e.handler = person(54, civicgrid.RoleDepartmentHandler, "420102", "C0099", "C0005")
	return e
}

// report files a case in the "other" category as the intake does.
func (e *reclassifyEnv) report() civicgrid.Case {
	e.t.Helper()
	respondBy, _ := e.cal.Deadline(e.now, "4wh")
	c := civicgrid.Case{Category: "C0099", Status: civicgrid.StatusReported, Channel: civicgrid.ChannelApp, Lat: 30.6, Lng: 114.3,
		GridCode: rcGrid, ReporterID: e.reporter.UserID, CreatedAt: e.now, UpdatedAt: e.now, RespondBy: respondBy, NextDeadline: respondBy}
	c, _, err := e.db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: e.now, ActorID: e.reporter.UserID, Actor: "t",
		Action: civicgrid.CaseReport, To: c.Status, Data: map[string]string{civicgrid.DataCategory: c.Category, civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *reclassifyEnv) act(who civicgrid.Actor, id int64, a civicgrid.CaseAction, st Step) civicgrid.Case {
	e.t.Helper()
	e.now = e.now.Add(10 * time.Minute)
	c, err := e.s.Act(context.Background(), who, id, a, st)
	if err != nil {
		e.t.Fatalf("%s: %v", a, err)
	}
	return c
}

// checkIndicators is `civicgrid indicators check`: the stored counters must
// be what the event log recomputes.
func (e *reclassifyEnv) checkIndicators() {
	e.t.Helper()
	diffs, err := e.db.RebuildRollups(context.Background(), false)
	if err != nil || len(diffs) > 0 {
		e.t.Fatalf("indicators check: %v %q", err, diffs)
	}
}

// TestReclassifyRefusals: only staff who may triage the case change its
// category; a bad request says what is wrong and writes nothing.
func TestReclassifyRefusals(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	c := e.report()
	good := Step{Category: "C0005", Reason: "照片是爆管"}
	for _, tc := range []struct {
		name string
		who  civicgrid.Actor
		st   Step
		code string
	}{
		{"the reporter", e.reporter, good, civicgrid.EFORBIDDEN},
		{"the grid worker", e.worker, good, civicgrid.EFORBIDDEN},
		{"staff of another community", e.far, good, civicgrid.ENOTFOUND},
		{"an unknown category", e.staff, Step{Category: "X9999", Reason: "r"}, civicgrid.EINVALID},
		{"a retired category", e.staff, Step{Category: "C0003", Reason: "r"}, civicgrid.EINVALID},
		{"the same category", e.staff, Step{Category: "C0099", Reason: "r"}, civicgrid.EINVALID},
		{"no category", e.staff, Step{Reason: "r"}, civicgrid.EINVALID},
		{"no reason", e.staff, Step{Category: "C0005", Reason: "  "}, civicgrid.EINVALID},
	} {
		_, err := e.s.Act(ctx, tc.who, c.ID, civicgrid.CaseReclassify, tc.st)
		if civicgrid.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		if tc.code == civicgrid.EINVALID && civicgrid.ErrorMessage(err) == "" {
			t.Errorf("%s: no message", tc.name)
		}
	}
	after, _ := e.db.CaseByID(ctx, c.ID)
	evs, _ := e.db.CaseEvents(ctx, c.ID)
	if after.Version != c.Version || after.Category != "C0099" || len(evs) != 1 {
		t.Fatalf("refused reclassifies wrote: version %d→%d, category %s, %d events", c.Version, after.Version, after.Category, len(evs))
	}
	// Not once the case is with its assignee: the department may be the
	// wrong one for the new category.
	e.act(e.staff, c.ID, civicgrid.CaseRegister, Step{})
	e.act(e.staff, c.ID, civicgrid.CaseDispatch, Step{Dept: "水务"})
	if _, err := e.s.Act(ctx, e.staff, c.ID, civicgrid.CaseReclassify, good); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Errorf("reclassify a dispatched case: %v, want conflict", err)
	}
}

// TestReclassify: the event is chained like any other, the response clock
// follows the new category, and the counters move wholly to it.
func TestReclassify(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	c := e.report()
	e.now = e.now.Add(20 * time.Minute)
	got, err := e.s.Act(ctx, e.staff, c.ID, civicgrid.CaseReclassify, Step{Category: " C0005 ", Reason: "照片是爆管"})
	if err != nil {
		t.Fatal(err)
	}
	wantRespond, _ := e.cal.Deadline(c.CreatedAt, "1h")
	if got.Category != "C0005" || got.Status != civicgrid.StatusReported || !got.RespondBy.Equal(wantRespond) || !got.NextDeadline.Equal(wantRespond) {
		t.Fatalf("after reclassify: %s %s respond by %v (want %v), next %v", got.Category, got.Status, got.RespondBy, wantRespond, got.NextDeadline)
	}
	evs, _ := e.db.CaseEvents(ctx, c.ID)
	last := evs[len(evs)-1]
	if err := civicgrid.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	if last.Action != civicgrid.CaseReclassify || last.From != civicgrid.StatusReported || last.To != civicgrid.StatusReported ||
		last.Data[civicgrid.DataFromCategory] != "C0099" || last.Data[civicgrid.DataCategory] != "C0005" || last.Data["reason"] != "照片是爆管" {
		t.Fatalf("event: %+v", last)
	}
	e.checkIndicators()
	q := civicgrid.RollupQuery{Scope: rcGrid[:12], FromDay: 20261101, ToDay: 20261130}
	by, err := e.db.SumRollupsByCategory(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if by["C0005"].Received != 1 || by["C0099"].Received != 0 {
		t.Fatalf("by category after reclassify: %+v", by)
	}
	// A tampered reclassify breaks the chain.
	evs[len(evs)-1].Data[civicgrid.DataCategory] = "C0099"
	if civicgrid.VerifyChain(evs) == nil {
		t.Fatal("an altered reclassify still verifies")
	}
}

// TestReclassifyMovesEverythingCounted: a case closed, reopened and then
// reclassified takes its whole history — closure, close time, reopening —
// to the new category, and the indicators check still finds nothing amiss.
func TestReclassifyMovesEverythingCounted(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	c := e.report()
	e.act(e.staff, c.ID, civicgrid.CaseRegister, Step{})
	e.act(e.staff, c.ID, civicgrid.CaseDispatch, Step{Dept: "水务"})
	e.act(e.handler, c.ID, civicgrid.CaseAccept, Step{})
	e.act(e.handler, c.ID, civicgrid.CaseHandle, Step{Note: "已修复", Photos: []string{rcPhoto}})
	e.act(e.staff, c.ID, civicgrid.CaseVerify, Step{})
	e.act(e.staff, c.ID, civicgrid.CaseClose, Step{})
	e.checkIndicators()
	q := civicgrid.RollupQuery{Scope: rcGrid[:12], FromDay: 20261101, ToDay: 20261130}
	before, _, err := e.db.SumRollups(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	e.act(e.reporter, c.ID, civicgrid.CaseReopen, Step{Reason: "又漏了"})
	e.act(e.staff, c.ID, civicgrid.CaseReclassify, Step{Category: "C0005", Reason: "其实是水管"})
	e.checkIndicators()
	by, err := e.db.SumRollupsByCategory(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !by["C0099"].Zero() {
		t.Errorf("the old category still counts %+v", by["C0099"])
	}
	moved := by["C0005"]
	if moved.Received != 1 || moved.Registered != 1 || moved.Closed != 1 || moved.Reopened != 1 || moved.CloseMillis != before.CloseMillis {
		t.Errorf("the new category counts %+v", moved)
	}
	after, hist, err := e.db.SumRollups(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	before.Reopened++
	if after != before {
		t.Errorf("all categories: %+v before, %+v after (only the reopening should differ)", before, after)
	}
	var inHist int64
	for _, n := range hist {
		inHist += n
	}
	q.Category = "C0005"
	_, catHist, _ := e.db.SumRollups(ctx, q)
	var inCat int64
	for _, n := range catHist {
		inCat += n
	}
	if inHist != 1 || inCat != 1 {
		t.Errorf("close-time histogram: %d in all categories, %d in the new one; want 1 and 1", inHist, inCat)
	}
}

// TestReclassifyMovesARunningResolutionClock: a case returned to the
// dispatcher keeps its resolution clock; reclassified, the deadline moves
// by the difference between the two categories' limits.
func TestReclassifyMovesARunningResolutionClock(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	c := e.report()
	e.act(e.staff, c.ID, civicgrid.CaseRegister, Step{})
	d := e.act(e.staff, c.ID, civicgrid.CaseDispatch, Step{Dept: "水务"})
	e.act(e.handler, c.ID, civicgrid.CaseReturn, Step{Reason: "不归水务"})
	got := e.act(e.staff, c.ID, civicgrid.CaseReclassify, Step{Category: "C0005", Reason: "是爆管"})
	was, _ := e.cal.Deadline(d.DispatchedAt, "5wd")
	now, _ := e.cal.Deadline(d.DispatchedAt, "8h")
	if want := d.ResolveBy.Add(now.Sub(was)); !got.ResolveBy.Equal(want) {
		t.Fatalf("resolve by %v, want %v (was %v)", got.ResolveBy, want, d.ResolveBy)
	}
	evs, _ := e.db.CaseEvents(ctx, c.ID)
	if evs[len(evs)-1].Data["resolve_by"] != got.ResolveBy.UTC().Format(time.RFC3339) {
		t.Errorf("event: %+v", evs[len(evs)-1])
	}
	e.checkIndicators()
}
