package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The counter columns of case_rollups (the due counts last: migration 0015).
var rollupColumns = []string{"received", "responded", "responded_on_time", "registered", "dispatched", "handled", "reworked",
	"extended", "closed", "closed_on_time", "reopened", "rated", "satisfied", "close_ms", "respond_due", "resolve_due"}

func counterValues(c civicgrid.Counters) []any {
	return []any{c.Received, c.Responded, c.RespondedOnTime, c.Registered, c.Dispatched, c.Handled, c.Reworked, c.Extended,
		c.Closed, c.ClosedOnTime, c.Reopened, c.Rated, c.Satisfied, c.CloseMillis, c.RespondDue, c.ResolveDue}
}

func counterTargets(c *civicgrid.Counters) []any {
	return []any{&c.Received, &c.Responded, &c.RespondedOnTime, &c.Registered, &c.Dispatched, &c.Handled, &c.Reworked,
		&c.Extended, &c.Closed, &c.ClosedOnTime, &c.Reopened, &c.Rated, &c.Satisfied, &c.CloseMillis, &c.RespondDue, &c.ResolveDue}
}

// Every cohort's counters are kept twice: per report day and per calendar
// month (migration 0007), so that a long period sums whole months. The
// close-time histogram is kept per category and, under category "", for
// all categories together, so that the histogram of a scope reads one row
// per bucket and period rather than one per category too.
var caseRollups = &rollupSpec{daily: "case_rollups", monthly: "case_rollups_monthly", key: "category", measures: rollupColumns,
	format: func(v []int64) string { return fmt.Sprintf("%+v", countersOf(v)) }}

var (
	upsertRollupSQL        = caseRollups.upsertSQL(false)
	upsertRollupMonthlySQL = caseRollups.upsertSQL(true)
)

// countersOf reads measures in the order of rollupColumns.
func countersOf(v []int64) civicgrid.Counters {
	var c civicgrid.Counters
	for i, t := range counterTargets(&c) {
		*t.(*int64) = v[i]
	}
	return c
}

// measuresOf is counterValues as measures.
func measuresOf(c civicgrid.Counters) []int64 {
	vs := counterValues(c)
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.(int64)
	}
	return out
}

// The histogram upserts add $5 cases to a bucket.
const (
	addHistSQL = `INSERT INTO case_rollup_hist (area_code, day, category, bucket, n) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (area_code, category, day, bucket) DO UPDATE SET n = case_rollup_hist.n + excluded.n`
	addHistMonthlySQL = `INSERT INTO case_rollup_hist_monthly (area_code, month, category, bucket, n) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (area_code, category, month, bucket) DO UPDATE SET n = case_rollup_hist_monthly.n + excluded.n`
)

// addRollup applies an event's counters to its cohort, inside the event's
// transaction. It writes what a batch of one writes: rollupBatch is the one
// place that knows which rows an event touches.
func addRollup(ctx context.Context, tx *Tx, cohort civicgrid.Cohort, d civicgrid.Counters, bucket int) error {
	b := &rollupBatch{}
	b.add(cohort, d, bucket)
	return b.apply(ctx, tx)
}

// periodParts splits the days from..to (yyyymmdd) into the whole calendar
// months in them (yyyymm, served by the monthly rollups) and the days
// before and after those months (served by the daily ones). An empty part
// is the range 1..0.
type periodParts struct {
	headFrom, headTo   int // days
	monthFrom, monthTo int // months
	tailFrom, tailTo   int // days
}

func splitPeriod(from, to int) periodParts {
	all := periodParts{headFrom: from, headTo: to, monthFrom: 1, tailFrom: 1}
	parse := func(d int) (time.Time, bool) {
		t := time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC)
		return t, dayOf(t) == d
	}
	f, ok1 := parse(from)
	t, ok2 := parse(to)
	if !ok1 || !ok2 || from > to {
		return all // not real days: the daily rows answer alone
	}
	first := f // first day of the first whole month
	if f.Day() != 1 {
		first = time.Date(f.Year(), f.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	end := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) // day after the last whole month
	if t.AddDate(0, 0, 1).Day() == 1 {
		end = t.AddDate(0, 0, 1)
	}
	if !first.Before(end) {
		return all // no whole month
	}
	p := periodParts{headFrom: 1, monthFrom: dayOf(first) / 100, monthTo: dayOf(end.AddDate(0, 0, -1)) / 100, tailFrom: 1}
	if f.Before(first) {
		p.headFrom, p.headTo = from, dayOf(first.AddDate(0, 0, -1))
	}
	if !end.After(t) {
		p.tailFrom, p.tailTo = dayOf(end), to
	}
	return p
}

func dayOf(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// rollupSource is the rows of the period's parts, from the daily and the
// monthly table of one kind, as a subquery yielding cols. With byCategory,
// the rows of q.Category only ("" for all: the histogram's rows for all
// categories).
func rollupSource(q civicgrid.RollupQuery, daily, monthly, cols string, byCategory bool) (string, []any) {
	return rollupSourceOf(q, splitPeriod(q.FromDay, q.ToDay), daily, monthly, cols, cols, byCategory)
}

// rollupSourceOf is rollupSource over given parts of the period, with the
// columns of the daily and of the monthly rows given apart.
func rollupSourceOf(q civicgrid.RollupQuery, p periodParts, daily, monthly, dayCols, monthCols string, byCategory bool) (string, []any) {
	args := []any{q.Scope, p.headFrom, p.headTo, p.tailFrom, p.tailTo, p.monthFrom, p.monthTo}
	cat := ""
	if byCategory {
		cat = " AND category = $8"
		args = append(args, q.Category)
	}
	return `(SELECT ` + dayCols + ` FROM ` + daily + ` WHERE area_code = $1 AND day >= $2 AND day <= $3` + cat +
		` UNION ALL SELECT ` + dayCols + ` FROM ` + daily + ` WHERE area_code = $1 AND day >= $4 AND day <= $5` + cat +
		` UNION ALL SELECT ` + monthCols + ` FROM ` + monthly + ` WHERE area_code = $1 AND month >= $6 AND month <= $7` + cat + `) AS r`, args
}

// SumRollups sums the counters and the close-time histogram of a scope and
// period.
func (db *DB) SumRollups(ctx context.Context, q civicgrid.RollupQuery) (civicgrid.Counters, []int64, error) {
	var key *string
	if q.Category != "" {
		key = &q.Category
	}
	v, err := caseRollups.sum(ctx, db.rd, q.Scope, q.FromDay, q.ToDay, key)
	if err != nil {
		return civicgrid.Counters{}, nil, err
	}
	c := countersOf(v)
	hist := make([]int64, civicgrid.CloseBuckets)
	from, args := rollupSource(q, "case_rollup_hist", "case_rollup_hist_monthly", "bucket, n", true)
	rows, err := db.rd.QueryContext(ctx, `SELECT bucket, SUM(n) FROM `+from+` GROUP BY bucket`, args...)
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
	byKey, err := caseRollups.sumByKey(ctx, db.rd, q.Scope, q.FromDay, q.ToDay)
	if err != nil {
		return nil, err
	}
	out := make(map[string]civicgrid.Counters, len(byKey))
	for cat, v := range byKey {
		out[cat] = countersOf(v)
	}
	return out, nil
}

// SumRollupsByPeriod sums a scope and period per report day (yyyymmdd),
// or with wholeMonths per calendar month (yyyymm, from the monthly rows)
// for the whole months in the period and per day for the days around them.
func (db *DB) SumRollupsByPeriod(ctx context.Context, q civicgrid.RollupQuery, wholeMonths bool) (map[int]civicgrid.Counters, error) {
	p := periodParts{headFrom: q.FromDay, headTo: q.ToDay, monthFrom: 1, tailFrom: 1}
	if wholeMonths {
		p = splitPeriod(q.FromDay, q.ToDay)
	}
	cols := strings.Join(rollupColumns, ", ")
	from, args := rollupSourceOf(q, p, "case_rollups", "case_rollups_monthly", "day AS period, "+cols, "month AS period, "+cols, q.Category != "")
	sums := make([]string, len(rollupColumns))
	for i, col := range rollupColumns {
		sums[i] = "SUM(" + col + ")"
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT period, `+strings.Join(sums, ", ")+` FROM `+from+` GROUP BY period`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]civicgrid.Counters{}
	for rows.Next() {
		var period int
		var c civicgrid.Counters
		if err := rows.Scan(append([]any{&period}, counterTargets(&c)...)...); err != nil {
			return nil, err
		}
		out[period] = c
	}
	return out, rows.Err()
}

type rollupKey struct {
	area     string
	day      int // yyyymmdd, or yyyymm in the monthly tables
	category string
}

// rollupTables are the daily and the monthly histograms.
var rollupTables = []struct {
	hist, period, label string
}{
	{"case_rollup_hist", "day", ""},
	{"case_rollup_hist_monthly", "month", "month "},
}

// rebuildCaseRollups recomputes every case counter and the close-time
// histograms from the case log and compares them with the stored rollups,
// daily and monthly; with apply, the stored ones are replaced.
func (db *DB) rebuildCaseRollups(ctx context.Context, apply bool) ([]string, error) {
	want := [2]map[rollupKey]civicgrid.Counters{{}, {}} // daily, monthly
	wantHist := [2]map[rollupKey]map[int]int64{{}, {}}
	err := db.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		if len(evs) == 0 || evs[0].Action != civicgrid.CaseReport {
			return fmt.Errorf("case %d: history does not start with a report", id)
		}
		cohort := civicgrid.CaseCohort(evs)
		for _, ev := range evs {
			d, bucket := civicgrid.RollupDelta(ev)
			if d.Zero() {
				continue
			}
			for _, area := range civicgrid.RollupAreas(cohort.Grid) {
				for t, period := range []int{cohort.Day, cohort.Day / 100} {
					k := rollupKey{area, period, cohort.Category}
					c := want[t][k]
					c.Add(d)
					want[t][k] = c
					if bucket < 0 {
						continue
					}
					for _, hk := range []rollupKey{k, {area, period, ""}} {
						if wantHist[t][hk] == nil {
							wantHist[t][hk] = map[int]int64{}
						}
						wantHist[t][hk][bucket]++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var wantRows measureRows
	for t := range want {
		wantRows[t] = make(map[rollupKey][]int64, len(want[t]))
		for k, c := range want[t] {
			wantRows[t][k] = measuresOf(c)
		}
	}
	diffs, err := caseRollups.diff(ctx, db.rd, wantRows)
	if err != nil {
		return nil, err
	}
	for t, tab := range rollupTables {
		haveHist, err := db.storedHist(ctx, tab.hist, tab.period)
		if err != nil {
			return nil, err
		}
		keys := map[rollupKey]bool{}
		for k := range wantHist[t] {
			keys[k] = true
		}
		for k := range haveHist {
			keys[k] = true
		}
		for k := range keys {
			if w, h := fmt.Sprint(wantHist[t][k]), fmt.Sprint(haveHist[k]); w != h {
				cat := k.category
				if cat == "" {
					cat = "(all categories)"
				}
				diffs = append(diffs, fmt.Sprintf("%s %s%d %s: close-time histogram stored %v, recomputed %v", k.area, tab.label, k.day, cat, h, w))
			}
		}
	}
	sort.Strings(diffs)
	if !apply || len(diffs) == 0 {
		return diffs, nil
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := caseRollups.replace(ctx, tx, wantRows); err != nil {
			return err
		}
		for t, tab := range rollupTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tab.hist); err != nil {
				return err
			}
			insertHist := `INSERT INTO ` + tab.hist + ` (area_code, ` + tab.period + `, category, bucket, n) VALUES ($1, $2, $3, $4, $5)`
			for k, h := range wantHist[t] {
				for b, n := range h {
					if _, err := tx.ExecContext(ctx, insertHist, k.area, k.day, k.category, b, n); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return diffs, err
}

// storedHist reads a close-time histogram table whole.
func (db *DB) storedHist(ctx context.Context, hist, period string) (map[rollupKey]map[int]int64, error) {
	haveHist := map[rollupKey]map[int]int64{}
	rows, err := db.rd.QueryContext(ctx, `SELECT area_code, `+period+`, category, bucket, n FROM `+hist)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k rollupKey
		var b int
		var n int64
		if err := rows.Scan(&k.area, &k.day, &k.category, &b, &n); err != nil {
			return nil, err
		}
		if n == 0 {
			continue // a bucket emptied by a reclassify
		}
		if haveHist[k] == nil {
			haveHist[k] = map[int]int64{}
		}
		haveHist[k][b] = n
	}
	return haveHist, rows.Err()
}

// ForEachGridDay calls fn with each grid's daily rows of the rollups in the
// subtree of scope and the days from..to with reports, of one category or
// all (""); the case tables are not read. The area codes are a range of
// the primary key; rows above the grids' level (shorter codes) are skipped.
func (db *DB) ForEachGridDay(ctx context.Context, scope, category string, fromDay, toDay int, fn func(civicgrid.GridDay) error) error {
	prefix := civicgrid.SubtreePrefix(scope)
	args := []any{fromDay, toDay}
	q := `SELECT area_code, day, category, received FROM case_rollups WHERE day >= $1 AND day <= $2 AND received > 0`
	if len(scope) == 15 {
		// One grid: the day range of its key, not every day it has.
		q += ` AND area_code = $3`
		args = append(args, scope)
	} else {
		q += ` AND area_code >= $3 AND area_code < $4 AND LENGTH(area_code) = 15`
		args = append(args, prefix, prefix+"~")
	}
	if category != "" {
		args = append(args, category)
		q += fmt.Sprintf(` AND category = $%d`, len(args))
	}
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	return eachGridDay(rows, fn)
}

// ForEachGridDayOn calls fn with each grid's rows of the rollups in the
// subtree of scope on one day (reports > 0): through the index of the
// grid-level rows by day (migration 0035), one range of that day's rows,
// whatever the history kept.
func (db *DB) ForEachGridDayOn(ctx context.Context, scope string, day int, fn func(civicgrid.GridDay) error) error {
	prefix := civicgrid.SubtreePrefix(scope)
	rows, err := db.rd.QueryContext(ctx, `SELECT area_code, day, category, received FROM case_rollups
		WHERE day = $1 AND LENGTH(area_code) = 15 AND area_code >= $2 AND area_code < $3 AND received > 0`, day, prefix, prefix+"~")
	if err != nil {
		return err
	}
	return eachGridDay(rows, fn)
}

// eachGridDay calls fn with each row of (grid, day, category, received).
func eachGridDay(rows *sql.Rows, fn func(civicgrid.GridDay) error) error {
	defer rows.Close()
	for rows.Next() {
		var g civicgrid.GridDay
		if err := rows.Scan(&g.Grid, &g.Day, &g.Category, &g.Received); err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ForEachScopeDay calls fn with the rows of the area scope itself (its
// counts per day and category, over every case in it) for the days
// from..to: one range of the primary key.
func (db *DB) ForEachScopeDay(ctx context.Context, scope string, fromDay, toDay int, fn func(civicgrid.GridDay) error) error {
	rows, err := db.rd.QueryContext(ctx, `SELECT area_code, day, category, received FROM case_rollups
		WHERE area_code = $1 AND day >= $2 AND day <= $3`, scope, fromDay, toDay)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g civicgrid.GridDay
		if err := rows.Scan(&g.Grid, &g.Day, &g.Category, &g.Received); err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return rows.Err()
}
