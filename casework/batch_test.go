package casework

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// TestBatchTakesCasesThroughTheLoop: a batch takes two cases through the
// whole loop, step after step on the same cases, at the moments its clock
// read, in one commit: the cases end rated, their chains verify, the
// events carry their own times, the indicators recount clean, and the
// listeners hear of every step in order only after the commit.
func TestBatchTakesCasesThroughTheLoop(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	a, b := e.report(), e.report()
	ids := []int64{a.ID, b.ID}
	var heard []civicgrid.CaseAction
	e.s.OnEvent(func(_ civicgrid.Case, ev civicgrid.CaseEvent) { heard = append(heard, ev.Action) })
	batch := e.s.NewBatch()
	steps := []struct {
		who civicgrid.Actor
		a   civicgrid.CaseAction
		st  Step
	}{
		{e.staff, civicgrid.CaseRegister, Step{}},
		{e.staff, civicgrid.CaseDispatch, Step{Dept: "水务"}},
		{e.handler, civicgrid.CaseAccept, Step{}},
		{e.handler, civicgrid.CaseHandle, Step{Note: "已修复", Photos: []string{rcPhoto}}},
		{e.staff, civicgrid.CaseVerify, Step{}},
		{e.staff, civicgrid.CaseClose, Step{}},
		{e.reporter, civicgrid.CaseRate, Step{Rating: 4}},
	}
	var times []time.Time
	for _, s := range steps {
		e.now = e.now.Add(47 * time.Minute)
		times = append(times, e.now)
		if err := batch.Act(ctx, s.who, ids, s.a, s.st); err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
	}
	if batch.Len() != 2*len(steps) || len(heard) != 0 {
		t.Fatalf("before the commit: %d steps gathered, %d heard", batch.Len(), len(heard))
	}
	if c, _ := e.db.CaseByID(ctx, a.ID); c.Status != civicgrid.StatusReported {
		t.Fatalf("a step was written before the commit: case is %s", c.Status)
	}
	stored, err := batch.Commit(ctx)
	if err != nil || len(stored) != 2*len(steps) {
		t.Fatalf("commit: %d %v", len(stored), err)
	}
	for _, id := range ids {
		c, err := e.db.CaseByID(ctx, id)
		if err != nil || c.Status != civicgrid.StatusRated || c.Rating != 4 || c.Version != 1+len(steps) {
			t.Fatalf("case %d after the batch: %+v %v", id, c, err)
		}
		evs, _ := e.db.CaseEvents(ctx, id)
		if len(evs) != 1+len(steps) || civicgrid.VerifyChain(evs) != nil {
			t.Fatalf("case %d: %d events, chain %v", id, len(evs), civicgrid.VerifyChain(evs))
		}
		for i, s := range steps {
			if ev := evs[i+1]; ev.Action != s.a || !ev.At.Equal(times[i]) {
				t.Errorf("case %d event %d: %s at %s, want %s at %s", id, i+1, ev.Action, ev.At, s.a, times[i])
			}
		}
		if evs[len(evs)-2].Data[civicgrid.DataFirstClose] != "1" {
			t.Errorf("case %d: the close is not marked as the first for the indicators: %v", id, evs[len(evs)-2].Data)
		}
	}
	var want []civicgrid.CaseAction
	for _, s := range steps {
		want = append(want, s.a, s.a)
	}
	if !slices.Equal(heard, want) {
		t.Errorf("heard %v, want %v", heard, want)
	}
	e.checkIndicators()
}

// TestBatchRefusalWritesNothing: a step of a batch is checked against the
// case as the batch's earlier steps left it — the separation of duties
// sees a handling the batch has not stored yet — and a refused step spends
// the batch: nothing of it is written, later steps and the commit fail.
func TestBatchRefusalWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	c := e.report()
	// Staff of the community who also handle for the department.
	both := e.handler
	both.Grants = append(slices.Clone(e.handler.Grants), e.staff.Grants...)
	batch := e.s.NewBatch()
	for _, s := range []struct {
		a  civicgrid.CaseAction
		st Step
	}{{civicgrid.CaseRegister, Step{}}, {civicgrid.CaseDispatch, Step{Dept: "水务"}}, {civicgrid.CaseAccept, Step{}},
		{civicgrid.CaseHandle, Step{Note: "已修复", Photos: []string{rcPhoto}}}} {
		e.now = e.now.Add(time.Hour)
		if err := batch.Act(ctx, both, []int64{c.ID}, s.a, s.st); err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
	}
	err := batch.Act(ctx, both, []int64{c.ID}, civicgrid.CaseVerify, Step{})
	if civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN || !strings.Contains(err.Error(), "someone else checks") {
		t.Fatalf("the handler verifying their own fix in the batch: %v", err)
	}
	if err := batch.Act(ctx, e.staff, []int64{c.ID}, civicgrid.CaseVerify, Step{}); err == nil {
		t.Fatal("a spent batch took another step")
	}
	if _, err := batch.Commit(ctx); err == nil {
		t.Fatal("a spent batch committed")
	}
	if got, _ := e.db.CaseByID(ctx, c.ID); got.Status != civicgrid.StatusReported || got.Version != c.Version {
		t.Fatalf("a refused batch wrote: %s v%d", got.Status, got.Version)
	}
	if evs, _ := e.db.CaseEvents(ctx, c.ID); len(evs) != 1 {
		t.Fatalf("a refused batch wrote %d events", len(evs)-1)
	}
	// What may not be batched, and a case named twice.
	for _, try := range []struct {
		a   civicgrid.CaseAction
		ids []int64
		st  Step
	}{
		{civicgrid.CaseMerge, []int64{c.ID}, Step{Into: c.ID + 1}},
		{civicgrid.CaseReclassify, []int64{c.ID}, Step{Category: "C0005", Reason: "x"}},
		{civicgrid.CaseRegister, []int64{c.ID}, Step{Version: c.Version}},
		{civicgrid.CaseRegister, []int64{c.ID, c.ID}, Step{}},
		{civicgrid.CaseRegister, []int64{c.ID + 99}, Step{}},
	} {
		if err := e.s.NewBatch().Act(ctx, e.staff, try.ids, try.a, try.st); err == nil {
			t.Errorf("%s on %v %+v was taken into a batch", try.a, try.ids, try.st)
		}
	}
	// The same steps by people who may take them commit.
	batch = e.s.NewBatch()
	for _, s := range []struct {
		who civicgrid.Actor
		a   civicgrid.CaseAction
		st  Step
	}{{e.staff, civicgrid.CaseRegister, Step{}}, {e.staff, civicgrid.CaseDispatch, Step{Dept: "水务"}}, {e.handler, civicgrid.CaseAccept, Step{}},
		{e.handler, civicgrid.CaseHandle, Step{Note: "已修复", Photos: []string{rcPhoto}}}, {e.staff, civicgrid.CaseVerify, Step{}}} {
		e.now = e.now.Add(time.Hour)
		if err := batch.Act(ctx, s.who, []int64{c.ID}, s.a, s.st); err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
	}
	if _, err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.CaseByID(ctx, c.ID); got.Status != civicgrid.StatusVerified {
		t.Fatalf("after the batch: %s", got.Status)
	}
	e.checkIndicators()
}

// oneGrid locates every point in the test grid.
type oneGrid struct{}

func (oneGrid) Locate(lng, lat float64) (civicgrid.Location, error) {
	return civicgrid.Location{Grid: civicgrid.AreaRef{Code: rcGrid}}, nil
}

// TestReportsInOneCommit: reports gathered in a batch are checked as one
// report is, stored together numbered in the order added, each at the
// moment the clock read when it was added, and heard of after the commit;
// one bad report spends the batch and nothing of it is written.
func TestReportsInOneCommit(t *testing.T) {
	ctx := context.Background()
	e := newReclassifyEnv(t)
	e.s = New(Config{}, e.db, e.db, oneGrid{}, e.cal, func() time.Time { return e.now })
	var heard []int64
	e.s.OnEvent(func(c civicgrid.Case, ev civicgrid.CaseEvent) {
		if ev.Action == civicgrid.CaseReport {
			heard = append(heard, c.ID)
		}
	})
	count := func() int {
		cs, err := e.db.ListCases(ctx, civicgrid.CaseFilter{All: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	bad := e.s.NewReports()
	if err := bad.Add(ctx, e.reporter, Report{Category: "C0099", Description: "路灯不亮", Lat: 30.6, Lng: 114.3}); err != nil {
		t.Fatal(err)
	}
	if err := bad.Add(ctx, e.reporter, Report{Category: "C0003", Description: "停车", Lat: 30.6, Lng: 114.3}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("a report in a retired category: %v", err)
	}
	if err := bad.Add(ctx, e.reporter, Report{Category: "C0099", Description: "井盖", Lat: 30.6, Lng: 114.3}); err == nil {
		t.Fatal("a spent batch took another report")
	}
	if _, err := bad.Commit(ctx); err == nil || count() != 0 {
		t.Fatalf("a spent batch committed (%v) or wrote %d cases", err, count())
	}
	if err := e.s.NewReports().Add(ctx, civicgrid.Actor{}, Report{Category: "C0099", Lat: 30.6, Lng: 114.3}); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("an anonymous report: %v", err)
	}
	b := e.s.NewReports()
	var times []time.Time
	for i, d := range []string{"路灯不亮", "井盖松动", "垃圾未清运"} {
		e.now = e.now.Add(time.Duration(13+i) * time.Minute)
		times = append(times, e.now)
		if err := b.Add(ctx, e.reporter, Report{Category: "C0099", Description: d, Lat: 30.6, Lng: 114.3}); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 3 || len(heard) != 0 || count() != 0 {
		t.Fatalf("before the commit: %d gathered, %d heard, %d stored", b.Len(), len(heard), count())
	}
	stored, err := b.Commit(ctx)
	if err != nil || len(stored) != 3 {
		t.Fatalf("commit: %v %v", stored, err)
	}
	for i, c := range stored {
		got, err := e.db.CaseByID(ctx, c.ID)
		if err != nil || got.GridCode != rcGrid || got.ReporterID != e.reporter.UserID || !got.CreatedAt.Equal(times[i]) || got.RespondBy.IsZero() ||
			got.Status != civicgrid.StatusReported || got.Version != 1 {
			t.Fatalf("case %d: %+v %v", c.ID, got, err)
		}
		if i > 0 && c.ID <= stored[i-1].ID {
			t.Errorf("case ids not in the order added: %d after %d", c.ID, stored[i-1].ID)
		}
		if evs, _ := e.db.CaseEvents(ctx, c.ID); len(evs) != 1 || civicgrid.VerifyChain(evs) != nil {
			t.Errorf("case %d events: %+v", c.ID, evs)
		}
	}
	if !slices.Equal(heard, []int64{stored[0].ID, stored[1].ID, stored[2].ID}) {
		t.Errorf("heard %v", heard)
	}
	e.checkIndicators()
}
