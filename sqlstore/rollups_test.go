package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

func TestSplitPeriod(t *testing.T) {
	none := [2]int{1, 0}
	for _, tc := range []struct {
		from, to          int
		head, month, tail [2]int
	}{
		{20250101, 20251231, none, [2]int{202501, 202512}, none},
		{20250601, 20250630, none, [2]int{202506, 202506}, none},
		{20250201, 20250228, none, [2]int{202502, 202502}, none},
		{20240201, 20240228, [2]int{20240201, 20240228}, [2]int{1, 0}, none}, // leap year: February has 29 days
		{20250602, 20250630, [2]int{20250602, 20250630}, [2]int{1, 0}, none},
		{20250601, 20250629, [2]int{20250601, 20250629}, [2]int{1, 0}, none},
		{20250615, 20250714, [2]int{20250615, 20250714}, [2]int{1, 0}, none},
		{20250615, 20250831, [2]int{20250615, 20250630}, [2]int{202507, 202508}, none},
		{20250601, 20250810, none, [2]int{202506, 202507}, [2]int{20250801, 20250810}},
		{20251215, 20260205, [2]int{20251215, 20251231}, [2]int{202601, 202601}, [2]int{20260201, 20260205}},
		{20251123, 20251123, [2]int{20251123, 20251123}, [2]int{1, 0}, none},
		{20251130, 20251101, [2]int{20251130, 20251101}, [2]int{1, 0}, none}, // empty period
		{20250231, 20250331, [2]int{20250231, 20250331}, [2]int{1, 0}, none}, // not a day: daily rows only
	} {
		p := splitPeriod(tc.from, tc.to)
		got := [3][2]int{{p.headFrom, p.headTo}, {p.monthFrom, p.monthTo}, {p.tailFrom, p.tailTo}}
		if want := [3][2]int{tc.head, tc.month, tc.tail}; got != want {
			t.Errorf("splitPeriod(%d, %d) = %v, want %v", tc.from, tc.to, got, want)
		}
	}
}

// The sums served from whole months plus loose days equal the sums of the
// days, for any period, scope and category.
func TestSumRollupsMonthly(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	grids := []string{"420102001001001", "420102001001002", "420102001002001", "420106002001001"}
	cats := []string{"C0005", "06010", "09009"}
	first := time.Date(2025, 11, 1, 0, 0, 0, 0, civicgrid.Beijing)
	type event struct {
		cohort civicgrid.Cohort
		d      civicgrid.Counters
		bucket int
	}
	r := rand.New(rand.NewPCG(1, 1))
	var evs []event
	for range 400 {
		at := first.Add(time.Duration(r.Int64N(int64(120 * 24 * time.Hour)))) // November to February
		ev := event{civicgrid.CohortOf(at, cats[r.IntN(len(cats))], grids[r.IntN(len(grids))]),
			civicgrid.Counters{Received: 1, Closed: int64(r.IntN(2)), CloseMillis: r.Int64N(1e8)}, -1}
		if ev.d.Closed == 1 {
			ev.bucket = civicgrid.CloseBucket(time.Duration(ev.d.CloseMillis) * time.Millisecond)
		}
		evs = append(evs, ev)
	}
	if err := db.inTx(ctx, func(tx *Tx) error {
		for _, ev := range evs {
			if err := addRollup(ctx, tx, ev.cohort, ev.d, ev.bucket); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	scopes := []string{"420100", "420102", "420102001", "420102001001", "420102001001001", "420106002001001"}
	for i := range 300 {
		from := first.AddDate(0, 0, r.IntN(125)-3)
		to := from.AddDate(0, 0, r.IntN(100))
		q := civicgrid.RollupQuery{Scope: scopes[i%len(scopes)], FromDay: civicgrid.CohortOf(from, "", "").Day,
			ToDay: civicgrid.CohortOf(to, "", "").Day}
		if i%3 == 0 {
			q.Category = cats[i%len(cats)]
		}
		var want civicgrid.Counters
		wantHist := make([]int64, civicgrid.CloseBuckets)
		wantByCat := map[string]civicgrid.Counters{}
		for _, ev := range evs {
			if !slices.Contains(civicgrid.RollupAreas(ev.cohort.Grid), q.Scope) || ev.cohort.Day < q.FromDay || ev.cohort.Day > q.ToDay {
				continue
			}
			c := wantByCat[ev.cohort.Category]
			c.Add(ev.d)
			wantByCat[ev.cohort.Category] = c
			if q.Category != "" && ev.cohort.Category != q.Category {
				continue
			}
			want.Add(ev.d)
			if ev.bucket >= 0 {
				wantHist[ev.bucket]++
			}
		}
		got, hist, err := db.SumRollups(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || !slices.Equal(hist, wantHist) {
			t.Fatalf("%+v: got %+v %v, want %+v %v", q, got, hist, want, wantHist)
		}
		// By period: each day's (or whole month's) own events, adding up
		// to the same sums.
		wholeMonths := i%2 == 0
		byPeriod, err := db.SumRollupsByPeriod(ctx, q, wholeMonths)
		if err != nil {
			t.Fatal(err)
		}
		parts := splitPeriod(q.FromDay, q.ToDay)
		wantByPeriod := map[int]civicgrid.Counters{}
		for _, ev := range evs {
			if !slices.Contains(civicgrid.RollupAreas(ev.cohort.Grid), q.Scope) || ev.cohort.Day < q.FromDay || ev.cohort.Day > q.ToDay ||
				q.Category != "" && ev.cohort.Category != q.Category {
				continue
			}
			k := ev.cohort.Day
			if m := k / 100; wholeMonths && m >= parts.monthFrom && m <= parts.monthTo {
				k = m
			}
			c := wantByPeriod[k]
			c.Add(ev.d)
			wantByPeriod[k] = c
		}
		if len(byPeriod) != len(wantByPeriod) {
			t.Fatalf("%+v by period (whole months %v): %d periods, want %d", q, wholeMonths, len(byPeriod), len(wantByPeriod))
		}
		for k, w := range wantByPeriod {
			if byPeriod[k] != w {
				t.Fatalf("%+v period %d: got %+v, want %+v", q, k, byPeriod[k], w)
			}
		}
		byCat, err := db.SumRollupsByCategory(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(byCat) != len(wantByCat) {
			t.Fatalf("%+v by category: got %v, want %v", q, byCat, wantByCat)
		}
		for cat, w := range wantByCat {
			if byCat[cat] != w {
				t.Fatalf("%+v category %s: got %+v, want %+v", q, cat, byCat[cat], w)
			}
		}
	}
}

// Migration 0007 fills the monthly rollups from the daily ones a store
// already holds, and migration 0015 their due counts from the responses and
// closes counted before (what a recomputation from those events gives).
func TestMonthlyRollupsMigration(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	cohorts := []civicgrid.Cohort{{Day: 20251103, Category: "C0005", Grid: "420102001001001"},
		{Day: 20251130, Category: "C0005", Grid: "420102001001002"}, {Day: 20251201, Category: "06010", Grid: "420102001001001"}}
	if err := db.inTx(ctx, func(tx *Tx) error {
		for i, c := range cohorts {
			if err := addRollup(ctx, tx, c, civicgrid.Counters{Received: 1, Responded: 1, Closed: 1, CloseMillis: int64(i+1) * 3_600_000}, 20+i); err != nil {
				return err
			}
		}
		// As before the migration: daily rows by category only, in the
		// histogram table of migration 0003.
		_, err := tx.tx.ExecContext(ctx, `DROP TABLE case_rollups_monthly; DROP TABLE case_rollup_hist_monthly;
			CREATE TABLE hist_0003 (area_code TEXT NOT NULL, day INTEGER NOT NULL, category TEXT NOT NULL, bucket INTEGER NOT NULL,
				n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (area_code, day, category, bucket));
			INSERT INTO hist_0003 SELECT area_code, day, category, bucket, n FROM case_rollup_hist WHERE category <> '';
			DROP TABLE case_rollup_hist; ALTER TABLE hist_0003 RENAME TO case_rollup_hist;
			ALTER TABLE case_rollups DROP COLUMN respond_due; ALTER TABLE case_rollups DROP COLUMN resolve_due;
			DELETE FROM schema_migrations WHERE version IN (7, 15)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scope    string
		from, to int
		received int64
		closeMs  int64
	}{
		{"420100", 20251101, 20251130, 2, 3 * 3_600_000},
		{"420102001001001", 20251101, 20251231, 2, 4 * 3_600_000},
		{"420102001001", 20251201, 20251231, 1, 3 * 3_600_000},
	} {
		if p := splitPeriod(tc.from, tc.to); p.monthFrom > p.monthTo {
			t.Fatalf("%d–%d should be served by months", tc.from, tc.to)
		}
		c, hist, err := db.SumRollups(ctx, civicgrid.RollupQuery{Scope: tc.scope, FromDay: tc.from, ToDay: tc.to})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, h := range hist {
			n += h
		}
		if c.Received != tc.received || c.CloseMillis != tc.closeMs || n != tc.received || c.RespondDue != tc.received || c.ResolveDue != tc.received {
			t.Errorf("%s %d–%d: %+v, histogram holds %d", tc.scope, tc.from, tc.to, c, n)
		}
	}
}

// ForEachGridDay reads the grids' daily rows of a subtree and period: the
// rows of communities and above, other subtrees and other days are left
// out, and a row emptied to zero is skipped.
func TestForEachGridDay(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	add := func(grid, cat string, day time.Time, d civicgrid.Counters) {
		t.Helper()
		if err := db.inTx(ctx, func(tx *Tx) error {
			return addRollup(ctx, tx, civicgrid.CohortOf(day, cat, grid), d, -1)
		}); err != nil {
			t.Fatal(err)
		}
	}
	d1 := time.Date(2026, 3, 2, 10, 0, 0, 0, civicgrid.Beijing)
	d2 := d1.AddDate(0, 0, 1)
	add("420102001001001", "C0005", d1, civicgrid.Counters{Received: 1})
	add("420102001001001", "C0005", d1, civicgrid.Counters{Received: 1})
	add("420102001001002", "06010", d2, civicgrid.Counters{Received: 1})
	add("420102001001002", "06010", d2.AddDate(0, 0, 5), civicgrid.Counters{Received: 1}) // after the period
	add("420106002001001", "C0005", d1, civicgrid.Counters{Received: 1})                  // another district
	add("420102001001003", "C0005", d1, civicgrid.Counters{Received: 1})
	add("420102001001003", "C0005", d1, civicgrid.Counters{Received: -1}) // reclassified away
	add("420102001001003", "C0005", d2, civicgrid.Counters{Closed: 1})    // no report that day
	for _, tc := range []struct {
		scope, category string
		want            []string
	}{
		{"420102", "", []string{"420102001001001 C0005 20260302 2", "420102001001002 06010 20260303 1"}},
		{"420100", "", []string{"420102001001001 C0005 20260302 2", "420102001001002 06010 20260303 1", "420106002001001 C0005 20260302 1"}},
		{"420100", "C0005", []string{"420102001001001 C0005 20260302 2", "420106002001001 C0005 20260302 1"}},
		{"420102001001002", "", []string{"420102001001002 06010 20260303 1"}},
		{"420102001001002", "C0005", nil},
		{"420103", "", nil},
	} {
		var got []string
		if err := db.ForEachGridDay(ctx, tc.scope, tc.category, 20260301, 20260305, func(g civicgrid.GridDay) error {
			got = append(got, fmt.Sprintf("%s %s %d %d", g.Grid, g.Category, g.Day, g.Received))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.scope, got, tc.want)
		}
	}
}
