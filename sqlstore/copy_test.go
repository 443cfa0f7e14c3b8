package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// copyFixture is a source store with areas, a category and n reported
// cases, and an empty target; both on the suite's store.
func copyFixture(t *testing.T, n int) (src, dst *DB, cases []civicgrid.Case) {
	t.Helper()
	ctx := context.Background()
	src, dst = openTest(t), openTest(t)
	if _, err := src.ApplyAreas(ctx, sampleAreas(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := src.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true, DuplicateRadiusM: 50, DuplicateHours: 24}); err != nil {
		t.Fatal(err)
	}
	for range n {
		cases = append(cases, reportCase(t, src))
	}
	return src, dst, cases
}

func reportCase(t *testing.T, db *DB) civicgrid.Case {
	t.Helper()
	now := time.Now()
	c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
		GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now}
	c, _, err := db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
		Data: map[string]string{civicgrid.DataCategory: "C0005", civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func registerCase(t *testing.T, db *DB, c civicgrid.Case) {
	t.Helper()
	c.Status, c.UpdatedAt = civicgrid.StatusRegistered, time.Now()
	if _, err := db.UpdateCases(context.Background(), []civicgrid.Case{c}, []civicgrid.CaseEvent{{At: c.UpdatedAt, Actor: "t",
		Action: civicgrid.CaseRegister, From: civicgrid.StatusReported, To: civicgrid.StatusRegistered}}); err != nil {
		t.Fatal(err)
	}
}

func setCopyTableHook(t *testing.T, hook func(table string) error) {
	copyTableHook = hook
	t.Cleanup(func() { copyTableHook = nil })
}

// TestCopyFromALiveStoreIsOneSnapshot changes the source while it is being
// copied — a case registered after the cases were read, another after the
// histories were, a new case reported — and expects the target to hold the
// store as it stood when the copy began: every case wholly before its
// change, with its history, and no case that came later.
func TestCopyFromALiveStoreIsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	src, dst, cases := copyFixture(t, 3)
	var late civicgrid.Case
	setCopyTableHook(t, func(table string) error {
		switch table {
		case "cases":
			registerCase(t, src, cases[0])
			late = reportCase(t, src)
		case "case_events":
			registerCase(t, src, cases[1])
		}
		return nil
	})
	rep, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows["cases"] != 3 || rep.Rows["case_events"] != 3 || rep.Chains != 3 {
		t.Errorf("copy report: %+v", rep)
	}
	for _, want := range cases {
		got, err := dst.CaseByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := dst.CaseEvents(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want.Status || got.Version != want.Version || len(evs) != 1 {
			t.Errorf("case %d in the target: %s version %d with %d events; the snapshot had %s version %d with 1 event",
				want.ID, got.Status, got.Version, len(evs), want.Status, want.Version)
		}
	}
	if _, err := dst.CaseByID(ctx, late.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Errorf("a case reported after the copy began is in the target: %v", err)
	}
	if c, _ := src.CaseByID(ctx, cases[0].ID); c.Status != civicgrid.StatusRegistered {
		t.Errorf("the source's change did not happen: %+v", c)
	}
}

// TestCopyFailureLeavesTheTargetAsItWas fails a copy after the cases and
// their histories are written: the target keeps no area, person or case
// and its own defaults, and the copy then runs again.
func TestCopyFailureLeavesTheTargetAsItWas(t *testing.T) {
	ctx := context.Background()
	src, dst, _ := copyFixture(t, 2)
	before, err := dst.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	injected := errors.New("injected failure")
	setCopyTableHook(t, func(table string) error {
		if table == "case_events" {
			return injected
		}
		return nil
	})
	if _, err := Copy(ctx, src, dst); !errors.Is(err, injected) || !strings.Contains(err.Error(), "left as it was") {
		t.Fatalf("copy with a failure: %v", err)
	}
	for _, table := range []string{"areas", "users", "cases", "case_events"} {
		if n, err := countRows(ctx, dst, table); err != nil || n != 0 {
			t.Errorf("after a failed copy the target holds %d rows in %s (%v)", n, table, err)
		}
	}
	if after, err := dst.Categories(ctx); err != nil || len(after) != len(before) {
		t.Errorf("the target's categories: %d before, %d after a failed copy (%v)", len(before), len(after), err)
	}
	copyTableHook = nil
	rep, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatalf("copy again: %v", err)
	}
	if rep.Rows["cases"] != 2 || rep.Chains != 2 {
		t.Errorf("copy again: %+v", rep)
	}
}

// TestTableDigest compares rows by value whichever engine returned them,
// in any order, and tells a changed value.
func TestTableDigest(t *testing.T) {
	cols := []string{"id", "flag", "lat", "name"}
	var a, b, c tableDigest
	a.add(cols, []any{int64(1), true, 30.5, "甲"})
	a.add(cols, []any{int64(2), false, float64(114), []byte("乙")})
	b.add([]string{"name", "lat", "flag", "id"}, []any{"乙", int64(114), int64(0), int32(2)})
	b.add(cols, []any{int64(1), int64(1), 30.5, "甲"})
	if a != b {
		t.Errorf("the same rows digest differently: %+v %+v", a, b)
	}
	c.add(cols, []any{int64(1), true, 30.5, "甲"})
	c.add(cols, []any{int64(2), false, float64(114), "丙"})
	if a == c {
		t.Error("a changed value went unnoticed")
	}
}
