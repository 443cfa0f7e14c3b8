package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// TestCopyDeployment copies a demo deployment with cases out of the
// embedded store into an empty store (the test's PostgreSQL database in the
// suite's PostgreSQL pass, another data directory otherwise): every row
// arrives, histories verify, ids go on where they stopped, and a second
// copy into the filled store is refused.
func TestCopyDeployment(t *testing.T) {
	ctx := context.Background()
	from := t.TempDir()
	src, err := sqlstore.OpenSQLite(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seedDemo(ctx, src, 1, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := src.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true, DuplicateRadiusM: 50, DuplicateHours: 24}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var made []civicgrid.Case
	for i := range 5 {
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.6 + float64(i)*1e-4, Lng: 114.3,
			GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now, SelfHandled: i == 2}
		c, _, err := src.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
			Data: map[string]string{civicgrid.DataCategory: "C0005", civicgrid.DataGrid: c.GridCode}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, c)
	}
	// The first case is merged into the last: a reference to a later row.
	first := made[0]
	first.Status, first.MergedInto, first.UpdatedAt = civicgrid.StatusMerged, made[4].ID, now
	if _, err := src.UpdateCases(ctx, []civicgrid.Case{first}, []civicgrid.CaseEvent{{At: now, Actor: "t", Action: civicgrid.CaseMerge,
		From: civicgrid.StatusReported, To: civicgrid.StatusMerged}}); err != nil {
		t.Fatal(err)
	}
	src.Close()

	to := testdb.URL(t)
	if to == "" {
		to = t.TempDir()
	}
	out, err := runCmd(t, "copy", "--from", from, "--to", to)
	if err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	if !strings.Contains(out, "cases 5") || !strings.Contains(out, "case_events 6") || !strings.Contains(out, "5 case histories") {
		t.Errorf("copy report: %s", out)
	}
	dst, err := openNamed(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := dst.CaseByID(ctx, first.ID)
	if err != nil || got.MergedInto != made[4].ID || got.Status != civicgrid.StatusMerged {
		t.Errorf("merged case in the target: %+v %v", got, err)
	}
	if c, _ := dst.CaseByID(ctx, made[2].ID); !c.SelfHandled {
		t.Errorf("a boolean did not survive the copy: %+v", c)
	}
	users, err := dst.ListUsers(ctx, civicgrid.UserFilter{All: true, Limit: 1000})
	if err != nil || len(users) == 0 {
		t.Errorf("no people in the target: %v", err)
	}
	// New rows continue after the copied ids.
	c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.61, Lng: 114.3,
		GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now}
	c, _, err = dst.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
		Data: map[string]string{civicgrid.DataCategory: "C0005", civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil || c.ID != made[4].ID+1 {
		t.Errorf("a new case in the target: id %d, %v; want %d", c.ID, err, made[4].ID+1)
	}
	if out, err := runCmd(t, "copy", "--from", from, "--to", to); err == nil || !strings.Contains(err.Error(), "empty store") {
		t.Errorf("a second copy into a filled store: %v %s", err, out)
	}
	if _, err := runCmd(t, "copy", "--from", from); err == nil {
		t.Error("copy without --to succeeded")
	}
}
