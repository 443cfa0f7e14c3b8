package sqlstore

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// TestWarningStateReads: the daily run's reads of single days (migration
// 0035's index of the grid rows by day), the scope's own rows, and the
// kept state (a later state is never overwritten by an earlier one). The
// update's read of one grid keeps migration 0031's index.
func TestWarningStateReads(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, r := range []struct {
		area, cat string
		day       int
		n         int64
	}{
		{"420102001001001", "C1", 20261201, 2}, {"420102001001001", "C2", 20261201, 1}, {"420102001001002", "C1", 20261201, 3},
		{"420102001001001", "C1", 20261202, 5}, {"420106001001001", "C1", 20261201, 7}, {"420102001001", "C1", 20261201, 5},
		{"420102", "C1", 20261201, 5}, {"420102", "C2", 20261201, 1}, {"420102", "C1", 20261202, 5}, {"420102001001003", "C1", 20261201, 0},
	} {
		if _, err := db.write.ExecContext(ctx, `INSERT INTO case_rollups (area_code, day, category, received) VALUES ($1, $2, $3, $4)`,
			r.area, r.day, r.cat, r.n); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	collect := func(g civicgrid.GridDay) error {
		got = append(got, g.Grid+" "+g.Category+" "+strings.TrimSpace(strings.Repeat("|", int(g.Received))))
		return nil
	}
	if err := db.ForEachGridDayOn(ctx, "420102", 20261201, collect); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"420102001001001 C1 ||", "420102001001001 C2 |", "420102001001002 C1 |||"}; !slices.Equal(got, want) {
		t.Fatalf("one day's grid rows of 420102: %q, want %q", got, want)
	}
	got = nil
	if err := db.ForEachScopeDay(ctx, "420102", 20261201, 20261202, collect); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"420102 C1 |||||", "420102 C1 |||||", "420102 C2 |"}; !slices.Equal(got, want) {
		t.Fatalf("the scope's own rows: %q, want %q", got, want)
	}
	if db.dialect == SQLite {
		for _, c := range []struct {
			q    string
			args []any
			want string
		}{
			{`SELECT area_code, day, category, received FROM case_rollups
				WHERE day = $1 AND LENGTH(area_code) = 15 AND area_code >= $2 AND area_code < $3 AND received > 0`,
				[]any{20261201, "420102", "420102~"}, "USING COVERING INDEX case_rollups_grid_day (day=? AND area_code>? AND area_code<?)"},
			{`SELECT area_code, day, category, received FROM case_rollups WHERE day >= $1 AND day <= $2 AND received > 0
				AND area_code >= $3 AND area_code < $4 AND LENGTH(area_code) = 15`, []any{20251201, 20261201, "420102", "420102~"},
				// The year's read takes 0035's index too: the grid rows of the
				// days, none of the areas above them.
				"USING COVERING INDEX case_rollups_grid_day (day>? AND day<?)"},
			{`SELECT area_code, day, category, received FROM case_rollups WHERE day >= $1 AND day <= $2 AND received > 0
				AND area_code = $3 AND category = $4`, []any{20251201, 20261201, "420102001001001", "C1"},
				"USING COVERING INDEX case_rollups_received (area_code=? AND category=? AND day>? AND day<?)"},
		} {
			if plan := queryPlan(t, db, c.q, c.args...); !strings.Contains(plan, c.want) {
				t.Errorf("plan of %s:\n%s\nwant %s", c.q, plan, c.want)
			}
		}
	}
	if data, err := db.WarningState(ctx, "420102"); err != nil || data != nil {
		t.Fatalf("no state yet: %q, %v", data, err)
	}
	for _, s := range []struct {
		day  int
		data string
	}{{20261201, "one"}, {20261203, "three"}, {20261202, "two"}} {
		if err := db.SaveWarningState(ctx, "420102", s.day, []byte(s.data)); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := db.WarningState(ctx, "420102"); err != nil || string(data) != "three" {
		t.Fatalf("kept state %q (%v), want the latest day's", data, err)
	}
}
