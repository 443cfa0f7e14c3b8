package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// queryPlan returns the plan the store's engine makes for q, one line per
// step. On PostgreSQL sequential scans are switched off for the look, so a
// small test table shows the index the planner would take on a large one.
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		explain = "EXPLAIN "
	}
	rows, err := tx.QueryContext(ctx, explain+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestDuplicateCheckLooksCasesUpByPrimaryKey: the duplicate check asks for
// a few ids of one category, open, within the window. The cases must be
// found by primary key: planned on the category index, every report read
// every case of its category in the window.
func TestDuplicateCheckLooksCasesUpByPrimaryKey(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := civicgrid.CaseFilter{All: true, IDs: []int64{7, 3, 1}, Category: []string{"C0005"},
		Status: []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered}, Since: now.Add(-72 * time.Hour), Limit: 20}
	q, args, _ := db.caseListQuery(f)
	plan := queryPlan(t, db, q, args...)
	byKey := "USING INTEGER PRIMARY KEY"
	if db.dialect == Postgres {
		byKey = "cases_pkey"
	}
	if !strings.Contains(plan, byKey) {
		t.Errorf("the cases are not looked up by primary key:\n%s", plan)
	}
	for _, index := range []string{"cases_category_created", "cases_duplicates", "cases_grid_status"} {
		if strings.Contains(plan, index) {
			t.Errorf("the lookup by id uses %s:\n%s", index, plan)
		}
	}
}

// TestOpenCaseSpotsReadOnlyOpenCases: the duplicate window of a category is
// read whole without visiting every case the category ever had (planned on
// (category, id), a store with years of closed cases read them all from the
// table), and what is new since is read from the newest id seen.
func TestOpenCaseSpotsReadOnlyOpenCases(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	since := time.Now().Add(-72 * time.Hour)
	whole := queryPlan(t, db, openCaseSpotsQuery, "C0005", since.UnixMilli(), int64(0))
	fresh := queryPlan(t, db, newCaseSpotsQuery, "C0005", since.UnixMilli(), int64(1000))
	if db.dialect == SQLite {
		if !strings.Contains(whole, "COVERING INDEX cases_duplicates") && !strings.Contains(whole, "cases_category_status_cover") {
			t.Errorf("the whole window is not read from the open cases' index:\n%s", whole)
		}
		if !strings.Contains(fresh, "cases_category_cover (category=? AND id>?)") {
			t.Errorf("what is new is not read from the newest id seen:\n%s", fresh)
		}
	}
	// Both forms answer alike on either store.
	if _, err := db.OpenCaseSpots(ctx, "C0005", since, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCaseSpots(ctx, "C0005", since, 1000); err != nil {
		t.Fatal(err)
	}
}

// TestGridListUsesTheGridIndex: a list within one grid is read from the
// grid's index (a prefix LIKE could use none and walked the id order until
// the page filled: 104 ms for a quiet grid at 10⁶ cases), and answers the
// same as a list within the community, sifted.
func TestGridListUsesTheGridIndex(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	grids := []string{"420102001001001", "420102001001002", "420102001001001", "420102001001010", "420102001001001"}
	var inFirst []int64
	for _, g := range grids {
		now := time.Now()
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
			GridCode: g, CreatedAt: now, UpdatedAt: now}
		c, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if g == grids[0] {
			inFirst = append([]int64{c.ID}, inFirst...)
		}
	}
	list := func(f civicgrid.CaseFilter) []int64 {
		cs, err := db.ListCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := list(civicgrid.CaseFilter{Within: []string{grids[0]}}); fmt.Sprint(got) != fmt.Sprint(inFirst) {
		t.Errorf("within grid %s: %v, want %v (newest first)", grids[0], got, inFirst)
	}
	if got := list(civicgrid.CaseFilter{Within: []string{"420102001001"}}); len(got) != len(grids) {
		t.Errorf("within the community: %d cases, want %d", len(got), len(grids))
	}
	if got := list(civicgrid.CaseFilter{Within: []string{"420102001001000"}}); len(got) != 0 {
		t.Errorf("within a grid with no cases: %v", got)
	}
	if db.dialect != SQLite {
		return // PostgreSQL plans a tiny table by its own costs; the answers above are what matter there
	}
	q, args, _ := db.caseListQuery(civicgrid.CaseFilter{Within: []string{grids[0]}, Status: []civicgrid.CaseStatus{civicgrid.StatusReported}})
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "cases_grid_status") {
		t.Errorf("a grid's list does not use the grid index:\n%s", plan)
	}
}

// TestOverdueListReadsOnlyCandidates: the overdue list answers exactly the
// overdue condition — escalated open cases, cases past the deadline the
// scheduler has not acted on yet, cases waiting for a cancellation (whose
// clock is stopped) past their limit — read from the two indexes that hold
// only such cases, never from the status index that holds every open case.
func TestOverdueListReadsOnlyCandidates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	type spec struct {
		name    string
		c       civicgrid.Case
		overdue bool
	}
	specs := []spec{
		{"escalated, waiting", civicgrid.Case{Status: civicgrid.StatusReported, Escalation: 1, RespondBy: past, NextDeadline: future}, true},
		{"past its response limit, not escalated yet", civicgrid.Case{Status: civicgrid.StatusReported, RespondBy: past, NextDeadline: past}, true},
		{"reported, not due", civicgrid.Case{Status: civicgrid.StatusReported, RespondBy: future, NextDeadline: future}, false},
		{"dispatched past its resolution limit", civicgrid.Case{Status: civicgrid.StatusDispatched, RespondBy: past, ResolveBy: past, NextDeadline: past}, true},
		{"dispatched, not due", civicgrid.Case{Status: civicgrid.StatusDispatched, ResolveBy: future, NextDeadline: future}, false},
		{"escalated at the top level (no next deadline)", civicgrid.Case{Status: civicgrid.StatusInProgress, Escalation: 3, ResolveBy: past}, true},
		{"cancellation asked, past its limit", civicgrid.Case{Status: civicgrid.StatusDispatched, Pending: civicgrid.PendingCancel, ResolveBy: past}, true},
		{"cancellation asked, not due", civicgrid.Case{Status: civicgrid.StatusDispatched, Pending: civicgrid.PendingCancel, ResolveBy: future}, false},
		{"registered, no resolution clock", civicgrid.Case{Status: civicgrid.StatusRegistered, RespondBy: past}, false},
		{"escalated, then closed", civicgrid.Case{Status: civicgrid.StatusClosed, Escalation: 2, ResolveBy: past}, false},
		{"handled past its limit", civicgrid.Case{Status: civicgrid.StatusHandled, ResolveBy: past}, false},
	}
	var want []int64
	for _, sp := range specs {
		c := sp.c
		c.Category, c.Channel, c.Lat, c.Lng, c.GridCode = "C0005", "app", 30.6, 114.3, "420102001001001"
		c.CreatedAt, c.UpdatedAt = now.Add(-2*time.Hour), now.Add(-2*time.Hour)
		stored, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: c.CreatedAt, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		if sp.overdue {
			want = append([]int64{stored.ID}, want...)
		}
	}
	for _, f := range []civicgrid.CaseFilter{
		{All: true, Overdue: true},
		{Within: []string{"420102"}, Overdue: true},
		{All: true, Overdue: true, Status: []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusDispatched, civicgrid.StatusInProgress}},
	} {
		cs, err := db.ListCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range cs {
			got = append(got, c.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			for i, sp := range specs {
				t.Logf("case %d: %s (overdue %v)", i+1, sp.name, sp.overdue)
			}
			t.Errorf("overdue %+v: %v, want %v", f, got, want)
		}
	}
	// Paged: one at a time, newest first, nothing twice.
	var paged []int64
	for after := int64(0); ; {
		cs, err := db.ListCases(ctx, civicgrid.CaseFilter{All: true, Overdue: true, Limit: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		paged = append(paged, cs[0].ID)
		after = cs[0].ID
	}
	if fmt.Sprint(paged) != fmt.Sprint(want) {
		t.Errorf("paged overdue list %v, want %v", paged, want)
	}
	if db.dialect != SQLite {
		return
	}
	q, args, _ := db.caseListQuery(civicgrid.CaseFilter{Within: []string{"420102"}, Overdue: true})
	plan := queryPlan(t, db, q, args...)
	if !strings.Contains(plan, "cases_overdue") || !strings.Contains(plan, "cases_next_deadline") || strings.Contains(plan, "cases_status_id") {
		t.Errorf("the overdue list is not read from the overdue and due-time indexes:\n%s", plan)
	}
}

// TestWorkQueuePagesAcrossTies: a work queue is read oldest deadline
// first, a page at a time from the last case seen. Many cases share a
// deadline (a batch reported or registered in the same millisecond), so a
// page may end inside a tie: the next page must go on with the rest of the
// tie by id, none repeated and none skipped, and a case stored meanwhile
// must not shift what follows. Both orders read their own index.
func TestWorkQueuePagesAcrossTies(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Truncate(time.Millisecond)
	// Deadlines 0, 0, 0, 0, 1, 1, 2, 2, 2, 3 minutes on: ties of four and three,
	// stored out of deadline order; every other case in another grid.
	offsets := []int{2, 0, 1, 0, 2, 3, 0, 1, 2, 0}
	var mine []civicgrid.Case
	for i, m := range offsets {
		grid := "420102001001001"
		if i%3 == 2 {
			grid = "420102002001001"
		}
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
			GridCode: grid, CreatedAt: base, UpdatedAt: base, RespondBy: base.Add(time.Duration(m) * time.Minute)}
		c.RespondedAt = c.RespondBy // the same ties for the dispatch queue's order
		stored, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: base, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if grid == "420102001001001" {
			mine = append(mine, stored)
		}
	}
	for _, order := range []civicgrid.CaseOrder{civicgrid.OrderRespondBy, civicgrid.OrderRespondedAt} {
		want := slices.Clone(mine)
		slices.SortFunc(want, func(a, b civicgrid.Case) int {
			at := func(c civicgrid.Case) time.Time { return c.Cursor(order).At }
			if c := at(a).Compare(at(b)); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		f := civicgrid.CaseFilter{Within: []string{"420102001"}, Status: []civicgrid.CaseStatus{civicgrid.StatusReported}, Order: order, Limit: 2}
		var got []int64
		var added civicgrid.Case
		for page := 0; ; page++ {
			cs, err := db.ListCases(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				got = append(got, c.ID)
			}
			if len(cs) < f.Limit || page > len(offsets) {
				break
			}
			last := cs[len(cs)-1].Cursor(order)
			f.From = &last
			if page == 0 {
				// A case stored meanwhile with an earlier deadline belongs
				// before the cursor: it must not appear later in this reading.
				early := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
					GridCode: "420102001001001", CreatedAt: base, UpdatedAt: base, RespondBy: base.Add(-time.Hour), RespondedAt: base.Add(-time.Hour)}
				stored, _, err := db.CreateCase(ctx, early, civicgrid.CaseEvent{At: base, Actor: "t", Action: civicgrid.CaseReport, To: early.Status}, nil)
				if err != nil {
					t.Fatal(err)
				}
				added = stored // there from the next order's first page on
			}
		}
		mine = append(mine, added)
		var wantIDs []int64
		for _, c := range want {
			wantIDs = append(wantIDs, c.ID)
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("%s: pages read %v, want %v", order, got, wantIDs)
		}
		q, args, _ := db.caseListQuery(civicgrid.CaseFilter{Within: []string{"420102001"}, Status: []civicgrid.CaseStatus{civicgrid.StatusReported},
			Order: order, From: &civicgrid.CaseCursor{At: base, ID: 3}, Limit: 50})
		plan := queryPlan(t, db, q, args...)
		index := map[civicgrid.CaseOrder]string{civicgrid.OrderRespondBy: "cases_status_respond_by_cover", civicgrid.OrderRespondedAt: "cases_status_responded_at_cover"}[order]
		if !strings.Contains(plan, index) {
			t.Errorf("%s: the page is not read from %s:\n%s", order, index, plan)
		}
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("%s: the page is sorted, not read in index order:\n%s", order, plan)
		}
	}
}

// TestNewestOfAStatusChecksTheGridOnTheIndex: a community's newest open
// cases of one status are read on (status, id) with the grid code in the
// index, so the scope is checked without reading each case of the status
// (one grid's are read on the grid's own index: TestGridListUsesTheGridIndex).
func TestNewestOfAStatusChecksTheGridOnTheIndex(t *testing.T) {
	db := openTest(t)
	f := civicgrid.CaseFilter{Within: []string{"420102001001"}, Status: []civicgrid.CaseStatus{civicgrid.StatusReported}, Limit: 51}
	if _, err := db.ListCases(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL plans by its statistics, which a test table lacks.
	q, args, _ := db.caseListQuery(f)
	if plan := queryPlan(t, db, q, args...); db.dialect == SQLite && !strings.Contains(plan, "cases_status_cover") {
		t.Errorf("a community's newest reported cases are not read on (status, id, grid_code):\n%s", plan)
	}
}

// TestSeveralStatusesPickIdsFromCoveringIndexes: Open311's open list of a
// category (nine statuses, a 90-day window, up to 1,000 rows) picks each
// status's ids from an index that holds the window's and the scope's
// columns, and reads only the page's rows: merging whole rows read every
// status's page of rows to keep one. The answer is the newest first of the
// cases that match, across the statuses, with the offset applied after the
// merge.
func TestSeveralStatusesPickIdsFromCoveringIndexes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	statuses := []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered, civicgrid.StatusDispatched, civicgrid.StatusClosed}
	grids := []string{"420102001001001", "420103001001001"}
	var all []civicgrid.Case
	for i := range 24 {
		at := now.Add(-time.Duration(24-i) * time.Hour)
		if i < 4 {
			at = now.Add(-100 * 24 * time.Hour) // outside the window
		}
		c := civicgrid.Case{Category: "C0005", Status: statuses[i%len(statuses)], Channel: "app", Lat: 30.605, Lng: 114.305,
			GridCode: grids[i%3%2], CreatedAt: at, UpdatedAt: at}
		added, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: at, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, added)
	}
	open := []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered, civicgrid.StatusDispatched, civicgrid.StatusInProgress}
	f := civicgrid.CaseFilter{Within: []string{"420102"}, Category: []string{"C0005"}, Status: open,
		Since: now.Add(-90 * 24 * time.Hour), Until: now.Add(time.Second), Limit: 3, Offset: 2}
	var want []int64
	for _, c := range slices.Backward(all) {
		if slices.Contains(open, c.Status) && strings.HasPrefix(c.GridCode, "420102") && c.CreatedAt.After(f.Since) {
			want = append(want, c.ID)
		}
	}
	want = want[2:5]
	got, err := db.ListCases(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, c := range got {
		gotIDs = append(gotIDs, c.ID)
	}
	if !slices.Equal(gotIDs, want) {
		t.Errorf("listed %v, want %v", gotIDs, want)
	}
	if db.dialect != SQLite {
		return // PostgreSQL plans by its statistics, which a test table lacks.
	}
	q, args, _ := db.caseListQuery(f)
	plan := queryPlan(t, db, q, args...)
	if n := strings.Count(plan, "COVERING INDEX cases_category_status_cover"); n != len(open) {
		t.Errorf("%d of %d statuses pick their ids from the covering index:\n%s", n, len(open), plan)
	}
	if !strings.Contains(plan, "INTEGER PRIMARY KEY") {
		t.Errorf("the page's rows are not read by id:\n%s", plan)
	}
}

// TestOverdueWorkQueuePagesInDeadlineOrder: the console's triage tab with
// its overdue filter lists the overdue cases oldest deadline first, a page
// at a time from the cursor, and every one of them shows on some page (the
// newest-first branches sorted by deadline skipped older overdue cases on
// every next page); cases still on time stay out.
func TestOverdueWorkQueuePagesInDeadlineOrder(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Millisecond)
	// Newer cases have the older deadlines; the last three are on time.
	var overdue []int64
	for i, m := range []int{-10, -20, -30, -40, -50, -60, -70, 30, 40, 50} {
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
			GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now, RespondBy: now.Add(time.Duration(m) * time.Minute)}
		if i == 6 {
			c.Escalation = 1
		}
		stored, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m < 0 {
			overdue = append(overdue, stored.ID)
		}
	}
	slices.Reverse(overdue) // oldest deadline first
	var got []int64
	f := civicgrid.CaseFilter{Within: []string{"420102"}, Status: []civicgrid.CaseStatus{civicgrid.StatusReported}, Overdue: true,
		Order: civicgrid.OrderRespondBy, Limit: 2}
	for range 10 {
		page, err := db.ListCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		if len(page) < f.Limit {
			break
		}
		c := page[len(page)-1].Cursor(civicgrid.OrderRespondBy)
		f.From = &c
	}
	if !slices.Equal(got, overdue) {
		t.Errorf("pages listed %v, want %v", got, overdue)
	}
	if db.dialect != SQLite {
		return
	}
	// Read from the few cases that can be overdue, not by walking the
	// queue's index (every reported case) and testing each.
	f.From = nil
	q, args, _ := db.caseListQuery(f)
	plan := queryPlan(t, db, q, args...)
	if !strings.Contains(plan, "cases_overdue") || !strings.Contains(plan, "cases_next_deadline") ||
		strings.Contains(plan, "USING INDEX cases_status_respond_by_cover") || strings.Contains(plan, "SCAN cases\n") {
		t.Errorf("the overdue queue is not read from its candidates:\n%s", plan)
	}
}

// TestOverdueQueueAnswersAlikeWhetherWalkedOrPicked: a work queue's
// overdue cases, page by page in the queue's order, are the same whether
// the walk along the queue's index finds them (dense), stops at its limit
// and leaves them to the candidates (sparse), or reaches the queue's end —
// and are exactly the cases the overdue condition names, in every scope.
func TestOverdueQueueAnswersAlikeWhetherWalkedOrPicked(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	for _, code := range []string{"C0005", "C0006"} {
		if err := db.PutCategory(ctx, civicgrid.Category{Code: code, NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
			ResolveWithin: "8h", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	grids := []string{"420102001001001", "420102001001002", "420102002001001", "420103001001001"}
	statuses := []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered, civicgrid.StatusDispatched}
	rng := rand.New(rand.NewPCG(7, 11))
	at := func() time.Time { return now.Add(time.Duration(rng.IntN(5)-2) * time.Minute) } // ties, past and future
	var all []civicgrid.Case
	if err := db.Unsynced(ctx, func() error {
		for range 160 {
			c := civicgrid.Case{Category: []string{"C0005", "C0006"}[rng.IntN(2)], Status: statuses[rng.IntN(3)], Channel: "app",
				Lat: 30.6, Lng: 114.3, GridCode: grids[rng.IntN(len(grids))], CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour),
				RespondBy: at()}
			if rng.IntN(4) == 0 {
				c.Escalation = 1
			}
			if c.Status != civicgrid.StatusReported {
				c.RespondedAt, c.ResolveBy = at(), at()
				c.NextDeadline = c.ResolveBy // the running clock's limit, as the case service sets it
			} else {
				c.NextDeadline = c.RespondBy
			}
			stored, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: c.CreatedAt, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil)
			if err != nil {
				return err
			}
			all = append(all, stored)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	overdue := func(c civicgrid.Case) bool {
		return c.Escalation > 0 || c.Status == civicgrid.StatusReported && c.RespondBy.Before(now) ||
			c.Status != civicgrid.StatusReported && !c.ResolveBy.IsZero() && c.ResolveBy.Before(now)
	}
	defer func(w int) { overdueWalk = w }(overdueWalk)
	for _, walk := range []int{2000, 7, 1} {
		overdueWalk = walk
		for _, q := range []struct {
			status civicgrid.CaseStatus
			order  civicgrid.CaseOrder
		}{{civicgrid.StatusReported, civicgrid.OrderRespondBy}, {civicgrid.StatusRegistered, civicgrid.OrderRespondedAt}} {
			for _, scope := range []string{"", "420102", "420102001", "420102001001001"} {
				for _, cat := range []string{"", "C0006"} {
					f := civicgrid.CaseFilter{All: scope == "", Status: []civicgrid.CaseStatus{q.status}, Order: q.order, Overdue: true, Limit: 3}
					if scope != "" {
						f.Within = []string{scope}
					}
					if cat != "" {
						f.Category = []string{cat}
					}
					var want []int64
					sorted := slices.Clone(all)
					slices.SortFunc(sorted, func(a, b civicgrid.Case) int {
						return cmp.Or(a.Cursor(q.order).At.Compare(b.Cursor(q.order).At), cmp.Compare(a.ID, b.ID))
					})
					for _, c := range sorted {
						if c.Status == q.status && strings.HasPrefix(c.GridCode, scope) && (cat == "" || c.Category == cat) && overdue(c) {
							want = append(want, c.ID)
						}
					}
					var got []int64
					for page := 0; page <= len(all); page++ {
						cs, err := db.ListCases(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						for _, c := range cs {
							got = append(got, c.ID)
						}
						if len(cs) < f.Limit {
							break
						}
						last := cs[len(cs)-1].Cursor(q.order)
						f.From = &last
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("walk %d, %s by %s in %q, category %q:\n got %v\nwant %v", walk, q.status, q.order, scope, cat, got, want)
					}
				}
			}
		}
	}
}
