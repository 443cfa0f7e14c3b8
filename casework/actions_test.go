package casework

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestActManyAllOrNothing: a bulk step is checked case by case like a
// single one and stored in one transaction: one refused case leaves every
// case as it was.
func TestActManyAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db.SetClock(clock)
	cat := civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h", Active: true}
	if err := db.PutCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, grid := range []string{"420102001001001", "420102001001002", "420103001001001"} {
		c := civicgrid.Case{Category: cat.Code, Status: civicgrid.StatusReported, Channel: "app", Lat: 30.6, Lng: 114.3,
			GridCode: grid, CreatedAt: now, UpdatedAt: now}
		c, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
			Data: map[string]string{civicgrid.DataCategory: cat.Code, civicgrid.DataGrid: c.GridCode}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	s := New(Config{}, db, db, nil, nil, clock)
	staff := civicgrid.Actor{UserID: 1, Name: "街道", Via: "cli", Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleStreetDispatcher, AreaCode: "420102001"}}}
	reject := Step{Reason: "out_of_scope"}
	// The third case lies outside the dispatcher's street.
	if _, err := s.ActMany(ctx, staff, ids, civicgrid.CaseReject, reject); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a case outside the scope: %v, want not found", err)
	}
	for _, id := range ids {
		if c, _ := db.CaseByID(ctx, id); c.Status != civicgrid.StatusReported {
			t.Fatalf("case %d is %s after a refused bulk step", id, c.Status)
		}
	}
	if _, err := s.ActMany(ctx, staff, ids[:2], civicgrid.CaseReject, Step{Reason: "no such reason"}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("a bad reason: %v", err)
	}
	done, err := s.ActMany(ctx, staff, ids[:2], civicgrid.CaseReject, reject)
	if err != nil || len(done) != 2 {
		t.Fatalf("bulk reject: %v %v", done, err)
	}
	for _, id := range ids[:2] {
		c, _ := db.CaseByID(ctx, id)
		evs, _ := db.CaseEvents(ctx, id)
		if c.Status != civicgrid.StatusRejected || len(evs) != 2 || evs[1].Data["reason"] != "out_of_scope" || civicgrid.VerifyChain(evs) != nil {
			t.Errorf("case %d: %s, events %+v", id, c.Status, evs)
		}
	}
}
