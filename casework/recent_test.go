package casework

import (
	"context"
	"fmt"
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
	// Written without a sync per commit (a store thrown away after the
	// test): the sync was most of the test's time.
	if err := db.Unsynced(ctx, func() error {
		for i := range 1200 {
			create(lat+0.002*float64(i+1), lng)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
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

// slowSpots holds the store read of one category's positions until
// released.
type slowSpots struct {
	Store
	category string
	reading  chan struct{} // closed when the held read has begun
	release  chan struct{}
}

func (s *slowSpots) OpenCaseSpots(ctx context.Context, category string, since time.Time, above int64) ([]civicgrid.CaseSpot, error) {
	if category == s.category {
		close(s.reading)
		<-s.release
	}
	return s.Store.OpenCaseSpots(ctx, category, since, above)
}

// TestSlowCategoryReadBlocksNoOther: while one category's window is read
// from the store (slow on a large store after a restart), reports of other
// categories find their duplicates and are stored.
func TestSlowCategoryReadBlocksNoOther(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db.SetClock(clock)
	slow := civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h",
		Active: true, DuplicateRadiusM: 50, DuplicateHours: 24}
	other := slow
	other.Code, other.NameZH, other.NameEN = "01001", "上水井盖", "Water manhole cover"
	for _, c := range []civicgrid.Category{slow, other} {
		if err := db.PutCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	c := civicgrid.Case{Category: other.Code, Status: civicgrid.StatusReported, Channel: "app", Lat: 30.6, Lng: 114.3,
		GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now}
	known, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
		Data: map[string]string{civicgrid.DataCategory: c.Category, civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &slowSpots{Store: db, category: slow.Code, reading: make(chan struct{}), release: make(chan struct{})}
	s := New(Config{}, store, db, nil, nil, clock)
	slowDone := make(chan error, 1)
	go func() {
		_, err := s.duplicates(ctx, slow, 30.6, 114.3, now)
		slowDone <- err
	}()
	<-store.reading
	otherDone := make(chan []civicgrid.Case, 1)
	go func() {
		cs, err := s.duplicates(ctx, other, 30.6, 114.3, now)
		if err != nil {
			t.Error(err)
		}
		otherDone <- cs
	}()
	select {
	case cs := <-otherDone:
		if len(cs) != 1 || cs[0].ID != known.ID {
			t.Errorf("duplicates of the other category: %v, want case %d", cs, known.ID)
		}
	case <-time.After(10 * time.Second):
		t.Error("a lookup of another category waited for the slow category's read")
	}
	// A report published meanwhile waits for no read either.
	published := make(chan struct{})
	go func() {
		s.recent.added(civicgrid.Case{ID: known.ID + 1, Category: slow.Code, Lat: 30.6, Lng: 114.3, CreatedAt: now})
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Error("publishing a report waited for the slow category's read")
	}
	close(store.release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}

// spotReads records the whole-window reads of the store.
type spotReads struct {
	Store
	whole []string
}

func (s *spotReads) OpenCaseSpots(ctx context.Context, category string, since time.Time, above int64) ([]civicgrid.CaseSpot, error) {
	if above == 0 {
		s.whole = append(s.whole, category)
	}
	return s.Store.OpenCaseSpots(ctx, category, since, above)
}

// TestWarmDuplicatesReadsAheadOnce: after the read-ahead at start, the
// first report of a category finds its window in memory (no store read on
// the report's path) and still finds the duplicate; categories without a
// duplicate check, or inactive, are not read.
func TestWarmDuplicatesReadsAheadOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	checked := testCategory
	unchecked := checked
	unchecked.Code, unchecked.DuplicateRadiusM = "01001", 0
	inactive := checked
	inactive.Code, inactive.Active = "01002", false
	db, clock := openTestStore(t, &now, checked, unchecked, inactive)
	known := storeReport(t, db, civicgrid.Case{Category: checked.Code, Lat: 30.6, Lng: 114.3, CreatedAt: now, UpdatedAt: now})
	store := &spotReads{Store: db}
	s := New(Config{}, store, db, nil, nil, clock)
	if err := s.WarmDuplicates(ctx); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(store.whole) != "[C0005]" {
		t.Fatalf("read ahead %v, want [C0005]", store.whole)
	}
	cs, err := s.duplicates(ctx, checked, 30.6, 114.3, now)
	if err != nil || len(cs) != 1 || cs[0].ID != known.ID {
		t.Fatalf("duplicates after the read-ahead: %v %v, want case %d", cs, err, known.ID)
	}
	if len(store.whole) != 1 {
		t.Errorf("the first report read its window again: %v", store.whole)
	}
	// A second read-ahead (another start of the loop) reads nothing again.
	if err := s.WarmDuplicates(ctx); err != nil || len(store.whole) != 1 {
		t.Errorf("a second read-ahead read %v (%v)", store.whole, err)
	}
}
