package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// The counter columns of case_rollups, in civicgrid.Counters order.
var rollupColumns = []string{"received", "responded", "responded_on_time", "registered", "dispatched", "handled", "reworked",
	"extended", "closed", "closed_on_time", "reopened", "rated", "satisfied", "close_ms"}

func counterValues(c civicgrid.Counters) []any {
	return []any{c.Received, c.Responded, c.RespondedOnTime, c.Registered, c.Dispatched, c.Handled, c.Reworked, c.Extended,
		c.Closed, c.ClosedOnTime, c.Reopened, c.Rated, c.Satisfied, c.CloseMillis}
}

func counterTargets(c *civicgrid.Counters) []any {
	return []any{&c.Received, &c.Responded, &c.RespondedOnTime, &c.Registered, &c.Dispatched, &c.Handled, &c.Reworked,
		&c.Extended, &c.Closed, &c.ClosedOnTime, &c.Reopened, &c.Rated, &c.Satisfied, &c.CloseMillis}
}

var upsertRollupSQL = func() string {
	sets := make([]string, len(rollupColumns))
	for i, c := range rollupColumns {
		sets[i] = fmt.Sprintf("%s = case_rollups.%s + excluded.%s", c, c, c)
	}
	return `INSERT INTO case_rollups (area_code, day, category, ` + strings.Join(rollupColumns, ", ") + `) VALUES (` +
		placeholders(1, 3+len(rollupColumns)) + `) ON CONFLICT (area_code, day, category) DO UPDATE SET ` + strings.Join(sets, ", ")
}()

const upsertHistSQL = `INSERT INTO case_rollup_hist (area_code, day, category, bucket, n) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (area_code, day, category, bucket) DO UPDATE SET n = case_rollup_hist.n + excluded.n`

// addRollup applies an event's counters to its cohort, inside the event's
// transaction.
func addRollup(ctx context.Context, tx *Tx, cohort civicgrid.Cohort, d civicgrid.Counters, bucket int) error {
	if d.Zero() {
		return nil
	}
	for _, area := range civicgrid.RollupAreas(cohort.Grid) {
		args := append([]any{area, cohort.Day, cohort.Category}, counterValues(d)...)
		if _, err := tx.ExecContext(ctx, upsertRollupSQL, args...); err != nil {
			return err
		}
		if bucket >= 0 {
			if _, err := tx.ExecContext(ctx, upsertHistSQL, area, cohort.Day, cohort.Category, bucket, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func rollupWhere(q civicgrid.RollupQuery) (string, []any) {
	where := "area_code = $1 AND day >= $2 AND day <= $3"
	args := []any{q.Scope, q.FromDay, q.ToDay}
	if q.Category != "" {
		where += " AND category = $4"
		args = append(args, q.Category)
	}
	return where, args
}

// SumRollups sums the counters and the close-time histogram of a scope and
// period.
func (db *DB) SumRollups(ctx context.Context, q civicgrid.RollupQuery) (civicgrid.Counters, []int64, error) {
	var c civicgrid.Counters
	where, args := rollupWhere(q)
	sums := make([]string, len(rollupColumns))
	for i, col := range rollupColumns {
		sums[i] = "COALESCE(SUM(" + col + "), 0)"
	}
	if err := db.rd.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM case_rollups WHERE `+where, args...).
		Scan(counterTargets(&c)...); err != nil {
		return c, nil, err
	}
	hist := make([]int64, civicgrid.CloseBuckets)
	rows, err := db.rd.QueryContext(ctx, `SELECT bucket, SUM(n) FROM case_rollup_hist WHERE `+where+` GROUP BY bucket`, args...)
	if err != nil {
		return c, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b int
		var n int64
		if err := rows.Scan(&b, &n); err != nil {
			return c, nil, err
		}
		if b >= 0 && b < len(hist) {
			hist[b] = n
		}
	}
	return c, hist, rows.Err()
}

// SumRollupsByCategory sums a scope and period per category.
func (db *DB) SumRollupsByCategory(ctx context.Context, q civicgrid.RollupQuery) (map[string]civicgrid.Counters, error) {
	q.Category = ""
	where, args := rollupWhere(q)
	sums := make([]string, len(rollupColumns))
	for i, col := range rollupColumns {
		sums[i] = "SUM(" + col + ")"
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT category, `+strings.Join(sums, ", ")+` FROM case_rollups WHERE `+where+
		` GROUP BY category`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]civicgrid.Counters{}
	for rows.Next() {
		var cat string
		var c civicgrid.Counters
		if err := rows.Scan(append([]any{&cat}, counterTargets(&c)...)...); err != nil {
			return nil, err
		}
		out[cat] = c
	}
	return out, rows.Err()
}

type rollupKey struct {
	area     string
	day      int
	category string
}

// RebuildRollups recomputes every counter from the event log and compares
// it with the stored rollups; with apply, the stored ones are replaced.
func (db *DB) RebuildRollups(ctx context.Context, apply bool) ([]string, error) {
	want := map[rollupKey]civicgrid.Counters{}
	wantHist := map[rollupKey]map[int]int64{}
	err := db.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		if len(evs) == 0 || evs[0].Action != civicgrid.CaseReport {
			return fmt.Errorf("case %d: history does not start with a report", id)
		}
		cohort := civicgrid.CohortOf(evs[0].At, evs[0].Data[civicgrid.DataCategory], evs[0].Data[civicgrid.DataGrid])
		for _, ev := range evs {
			d, bucket := civicgrid.RollupDelta(ev)
			if d.Zero() {
				continue
			}
			for _, area := range civicgrid.RollupAreas(cohort.Grid) {
				k := rollupKey{area, cohort.Day, cohort.Category}
				c := want[k]
				c.Add(d)
				want[k] = c
				if bucket >= 0 {
					if wantHist[k] == nil {
						wantHist[k] = map[int]int64{}
					}
					wantHist[k][bucket]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	have := map[rollupKey]civicgrid.Counters{}
	rows, err := db.rd.QueryContext(ctx, `SELECT area_code, day, category, `+strings.Join(rollupColumns, ", ")+` FROM case_rollups`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k rollupKey
		var c civicgrid.Counters
		if err := rows.Scan(append([]any{&k.area, &k.day, &k.category}, counterTargets(&c)...)...); err != nil {
			rows.Close()
			return nil, err
		}
		have[k] = c
	}
	rows.Close()
	haveHist := map[rollupKey]map[int]int64{}
	rows, err = db.rd.QueryContext(ctx, `SELECT area_code, day, category, bucket, n FROM case_rollup_hist`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k rollupKey
		var b int
		var n int64
		if err := rows.Scan(&k.area, &k.day, &k.category, &b, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if haveHist[k] == nil {
			haveHist[k] = map[int]int64{}
		}
		haveHist[k][b] = n
	}
	rows.Close()

	var diffs []string
	for k, w := range want {
		if have[k] != w {
			diffs = append(diffs, fmt.Sprintf("%s %d %s: stored %+v, recomputed %+v", k.area, k.day, k.category, have[k], w))
		}
		if fmt.Sprint(haveHist[k]) != fmt.Sprint(wantHist[k]) {
			diffs = append(diffs, fmt.Sprintf("%s %d %s: close-time histogram stored %v, recomputed %v", k.area, k.day, k.category, haveHist[k], wantHist[k]))
		}
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && !h.Zero() {
			diffs = append(diffs, fmt.Sprintf("%s %d %s: stored %+v, but no events count there", k.area, k.day, k.category, h))
		}
	}
	sort.Strings(diffs)
	if !apply || len(diffs) == 0 {
		return diffs, nil
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_rollups`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_rollup_hist`); err != nil {
			return err
		}
		for k, c := range want {
			args := append([]any{k.area, k.day, k.category}, counterValues(c)...)
			if _, err := tx.ExecContext(ctx, upsertRollupSQL, args...); err != nil {
				return err
			}
			for b, n := range wantHist[k] {
				if _, err := tx.ExecContext(ctx, `INSERT INTO case_rollup_hist (area_code, day, category, bucket, n) VALUES ($1, $2, $3, $4, $5)`,
					k.area, k.day, k.category, b, n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return diffs, err
}
