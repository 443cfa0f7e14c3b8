package casework

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestDuplicatesFromMemory: the likely duplicates found through the
// in-memory positions are the open cases of the category within its radius
// and window, however many cases the category holds, including cases other
// processes wrote to the store, and never closed or expired ones.
func TestDuplicatesFromMemory(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db.SetClock(clock)
	cat := civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h",
		Active: true, DuplicateRadiusM: 50, DuplicateHours: 24}
	if err := db.PutCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	create := func(lat, lng float64) civicgrid.Case {
		t.Helper()
		c := civicgrid.Case{Category: cat.Code, Status: civicgrid.StatusReported, Channel: "app", Lat: lat, Lng: lng,
			GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now}
		c, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
			Data: map[string]string{civicgrid.DataCategory: cat.Code, civicgrid.DataGrid: c.GridCode}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const lat, lng = 30.60, 114.30
	// The oldest case is the one at the point: the store pages newest first,
	// so it is only found if every page is read.
	first := create(lat, lng)
	for i := range 1200 {
		create(lat+0.002*float64(i+1), lng)
	}
	s := New(Config{}, db, db, nil, nil, clock)
	ids := func() []int64 {
		t.Helper()
		cs, err := s.duplicates(ctx, cat, lat+0.0002, lng, now) // about 22 m away
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(); len(got) != 1 || got[0] != first.ID {
		t.Fatalf("duplicates %v, want [%d]", got, first.ID)
	}
	// Another process writes a case at the point: seen at the next re-read.
	other := create(lat, lng+0.0001)
	recentResync = 0
	t.Cleanup(func() { recentResync = 5 * time.Second })
	if got := ids(); len(got) != 2 || got[0] != other.ID || got[1] != first.ID {
		t.Fatalf("after another process's report: %v, want [%d %d]", got, other.ID, first.ID)
	}
	// A closed case is no duplicate.
	first.Status, first.UpdatedAt = civicgrid.StatusRejected, now
	if _, err := db.UpdateCases(ctx, []civicgrid.Case{first}, []civicgrid.CaseEvent{{At: now, Actor: "t", Action: civicgrid.CaseReject,
		From: civicgrid.StatusReported, To: civicgrid.StatusRejected}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 1 || got[0] != other.ID {
		t.Fatalf("after closing: %v, want [%d]", got, other.ID)
	}
	// Past the window: none, and the positions are dropped.
	now = now.Add(25 * time.Hour)
	if got := ids(); len(got) != 0 {
		t.Fatalf("after the window: %v", got)
	}
	rc := s.recent.cats[cat.Code]
	if _, ok := rc.ids[other.ID]; ok {
		t.Error("an expired position was kept")
	}
}
