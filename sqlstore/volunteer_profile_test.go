package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Migration 0030 registers whoever already held a volunteer grant as
// approved, in the area of their first grant; others get no profile.
func TestVolunteerProfilesMigration(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	vol := cgUser(t, db, 1, civicgrid.RoleVolunteer, cgCommunity)
	resident := cgUser(t, db, 2, civicgrid.RoleResident, cgBuilding)
	for _, table := range []string{"volunteer_points", "volunteer_team_members", "volunteer_teams", "volunteer_profiles"} {
		if _, err := db.wr.ExecContext(ctx, `DROP TABLE `+table); err != nil {
			t.Fatal(err)
		}
	}
	// Migration 0044 adds a column to the profiles: it runs again after
	// 0030, as on a store that never had them.
	for _, q := range []string{`DROP TABLE volunteer_rollups`, `DROP TABLE volunteer_rollups_monthly`, `DROP TABLE volunteer_served`,
		`DROP TABLE volunteer_served_monthly`, `ALTER TABLE volunteer_requests DROP COLUMN needs`,
		// and 0050 numbers the volunteers approved before it.
		`DROP TABLE volunteer_numbers`, `ALTER TABLE volunteer_certificates DROP COLUMN volunteer_no`, `ALTER TABLE volunteer_certificates DROP COLUMN id_masked`,
		`ALTER TABLE webhooks DROP COLUMN help_cursor`, `DROP INDEX webhook_deliveries_event`, `ALTER TABLE webhook_deliveries DROP COLUMN source`,
		`CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id)`} {
		if _, err := db.wr.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.wr.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version IN (30, 44, 50)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VolunteerProfileOf(ctx, resident.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a resident got a profile: %v", err)
	}
	p, err := db.VolunteerProfileOf(ctx, vol.ID)
	if err != nil || p.Status != civicgrid.ProfileApproved || p.Community != cgCommunity || p.Name != vol.Name || len(p.Areas) != 1 ||
		p.VolunteerNo != cgCommunity+"-000001" {
		t.Fatalf("migrated volunteer: %+v %v", p, err)
	}
	// The next approval in the community takes the next number.
	if _, err := db.SaveVolunteerProfile(ctx, civicgrid.VolunteerProfile{UserID: resident.ID, Name: resident.Name, Community: cgCommunity}, true); err != nil {
		t.Fatal(err)
	}
	if p, err := db.DecideVolunteerProfile(ctx, resident.ID, civicgrid.ProfileApproved, "", 0, "staff", time.Now()); err != nil || p.VolunteerNo != cgCommunity+"-000002" {
		t.Fatalf("approved after the migration: %+v %v", p, err)
	}
}

// A pending registration is decided once however many staff decide it at
// the same moment; a change keeps an approval only in the same community.
func TestDecideVolunteerProfileOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	vol := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	now := time.UnixMilli(1764800000000)
	p := civicgrid.VolunteerProfile{UserID: vol.ID, Name: vol.Name, Community: cgCommunity, Skills: []string{"driver"},
		Training: []civicgrid.TrainingRecord{{Name: "急救", Date: "2026-01-02", Hours: 4}}, CreatedAt: now, UpdatedAt: now}
	if _, err := db.SaveVolunteerProfile(ctx, p, true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, conflicts := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := civicgrid.ProfileApproved
			if i%2 == 1 {
				to = civicgrid.ProfileDeclined
			}
			_, err := db.DecideVolunteerProfile(ctx, vol.ID, to, "r", int64(100+i), "staff", now)
			mu.Lock()
			defer mu.Unlock()
			switch civicgrid.ErrorCode(err) {
			case "":
				won++
			case civicgrid.ECONFLICT:
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || conflicts != 7 {
		t.Fatalf("decided %d times, %d conflicts", won, conflicts)
	}
	got, err := db.VolunteerProfileOf(ctx, vol.ID)
	if err != nil || got.DecidedByID < 100 || got.Training[0].Hours != 4 || got.Skills[0] != "driver" {
		t.Fatalf("decided: %+v %v", got, err)
	}
	if got.Status == civicgrid.ProfileDeclined { // registering again asks again
		if got, _ = db.SaveVolunteerProfile(ctx, p, true); got.Status != civicgrid.ProfilePending || got.Reason != "" {
			t.Fatalf("registered again: %+v", got)
		}
		if _, err := db.DecideVolunteerProfile(ctx, vol.ID, civicgrid.ProfileApproved, "", 1, "staff", now); err != nil {
			t.Fatal(err)
		}
	}
	p.Availability = "周末"
	if got, _ = db.SaveVolunteerProfile(ctx, p, true); got.Status != civicgrid.ProfileApproved || got.Availability != "周末" {
		t.Fatalf("a change in the same community lost the approval: %+v", got)
	}
	p.Community = "420102001002"
	if got, _ = db.SaveVolunteerProfile(ctx, p, true); got.Status != civicgrid.ProfilePending {
		t.Fatalf("a move to another community kept the approval: %+v", got)
	}
	if ps, err := db.VolunteerProfiles(ctx, []string{"420102001"}, nil, 10); err != nil || len(ps) != 1 {
		t.Fatalf("listed: %+v %v", ps, err)
	}
	if ps, err := db.VolunteerProfiles(ctx, []string{"420103"}, nil, 10); err != nil || len(ps) != 0 {
		t.Fatalf("another district lists: %+v %v", ps, err)
	}
}

// Volunteers approved at the same moment in one community get distinct
// numbers, one serial after the other (the counter's row lock); a
// decline gives none, and a volunteer approved again keeps theirs.
func TestVolunteerNumbersConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.UnixMilli(1764800000000)
	const n = 8
	var ids []int64
	for i := range n + 1 {
		u := cgUser(t, db, 10+i, civicgrid.RoleResident, cgBuilding)
		if _, err := db.SaveVolunteerProfile(ctx, civicgrid.VolunteerProfile{UserID: u.ID, Name: u.Name, Community: cgCommunity, CreatedAt: now, UpdatedAt: now}, true); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if p, err := db.DecideVolunteerProfile(ctx, ids[n], civicgrid.ProfileDeclined, "no", 0, "staff", now); err != nil || p.VolunteerNo != "" {
		t.Fatalf("declined: %+v %v", p, err)
	}
	var wg sync.WaitGroup
	numbers := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := db.DecideVolunteerProfile(ctx, ids[i], civicgrid.ProfileApproved, "", 0, "staff", now)
			if err != nil {
				t.Error(err)
			}
			numbers[i] = p.VolunteerNo
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, no := range numbers {
		seen[no] = true
	}
	for i := 1; i <= n; i++ {
		if want := civicgrid.VolunteerNumber(cgCommunity, int64(i)); !seen[want] {
			t.Fatalf("numbers %v: %s missing", numbers, want)
		}
	}
	// Moving to another community waits for approval again and keeps the number.
	first, _ := db.VolunteerProfileOf(ctx, ids[0])
	moved := first
	moved.Community = "420102001002"
	if _, err := db.SaveVolunteerProfile(ctx, moved, true); err != nil {
		t.Fatal(err)
	}
	if p, err := db.DecideVolunteerProfile(ctx, ids[0], civicgrid.ProfileApproved, "", 0, "staff", now); err != nil || p.VolunteerNo != first.VolunteerNo {
		t.Fatalf("approved again: %q, was %q (%v)", p.VolunteerNo, first.VolunteerNo, err)
	}
}
