package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Indicator rollups of any module. A module describes its rollups with a
// rollupSpec: a daily table keyed (area_code, day[, key]) and a monthly one
// keyed (area_code, month[, key]), both with the same additive BIGINT
// measures, kept for every area level (grid, community, street, district,
// city) in the transaction of each event that changes them. The spec gives
// the upserts, the sums over a period (whole months from the monthly rows,
// the days around them from the daily ones), and the check: a module's
// recomputation from its event log is compared with the stored rows and,
// on rebuild, replaces them. Cases (case_rollups) and volunteers
// (volunteer_rollups, volunteer_served) are described this way.
type rollupSpec struct {
	name           string // in the check's lines
	daily, monthly string
	key            string // a further key column ("category"), "" for none
	measures       []string
	// format shows a row's measures in the check's lines (default: the
	// measures named).
	format func([]int64) string
}

// period is the period column of the daily or the monthly table.
func period(monthly bool) string {
	if monthly {
		return "month"
	}
	return "day"
}

func (s *rollupSpec) table(monthly bool) string {
	if monthly {
		return s.monthly
	}
	return s.daily
}

// keyColumns are the key columns of a table of the spec.
func (s *rollupSpec) keyColumns(monthly bool) []string {
	cols := []string{"area_code", period(monthly)}
	if s.key != "" {
		cols = append(cols, s.key)
	}
	return cols
}

func (s *rollupSpec) keyArgs(k rollupKey) []any {
	if s.key != "" {
		return []any{k.area, k.day, k.category}
	}
	return []any{k.area, k.day}
}

// upsertSQL adds a row's measures to what the table holds.
func (s *rollupSpec) upsertSQL(monthly bool) string { return s.upsertRowsSQL(monthly, 1) }

// upsertRowsSQL adds n rows' measures in one statement (the rows' keys must
// differ: a statement may not update a row twice).
func (s *rollupSpec) upsertRowsSQL(monthly bool, n int) string {
	table, keys := s.table(monthly), s.keyColumns(monthly)
	sets := make([]string, len(s.measures))
	for i, c := range s.measures {
		sets[i] = fmt.Sprintf("%s = %s.%s + excluded.%s", c, table, c, c)
	}
	width := len(keys) + len(s.measures)
	rows := make([]string, n)
	for i := range rows {
		rows[i] = "(" + placeholders(1+i*width, width) + ")"
	}
	return `INSERT INTO ` + table + ` (` + strings.Join(keys, ", ") + `, ` + strings.Join(s.measures, ", ") + `) VALUES ` +
		strings.Join(rows, ", ") + ` ON CONFLICT (` + strings.Join(keys, ", ") + `) DO UPDATE SET ` + strings.Join(sets, ", ")
}

// measureRows are rows of a spec's tables by key: [0] daily (day
// yyyymmdd), [1] monthly (yyyymm).
type measureRows [2]map[rollupKey][]int64

// add adds delta to the rows of each area on day (yyyymmdd) and its month.
func (m *measureRows) add(areas []string, day int, key string, delta []int64) {
	if allZero(delta) {
		return
	}
	for t := range m {
		if m[t] == nil {
			m[t] = map[rollupKey][]int64{}
		}
	}
	for _, area := range areas {
		for t, p := range []int{day, day / 100} {
			k := rollupKey{area, p, key}
			row := m[t][k]
			if row == nil {
				row = make([]int64, len(delta))
				m[t][k] = row
			}
			for i, v := range delta {
				row[i] += v
			}
		}
	}
}

func allZero(v []int64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// apply upserts the rows in tx: a table's rows in statements of up to
// upsertChunk rows (an event's five areas are one statement per table).
func (s *rollupSpec) apply(ctx context.Context, tx *Tx, m measureRows) error {
	for t, rows := range m {
		if len(rows) == 0 {
			continue
		}
		keys := make([]rollupKey, 0, len(rows))
		for k := range rows {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { // one order: concurrent writers lock rows alike
			a, b := keys[i], keys[j]
			return a.area < b.area || a.area == b.area && (a.day < b.day || a.day == b.day && a.category < b.category)
		})
		for len(keys) > 0 {
			chunk := keys[:min(len(keys), upsertChunk)]
			keys = keys[len(chunk):]
			var args []any
			for _, k := range chunk {
				args = append(args, s.keyArgs(k)...)
				for _, x := range rows[k] {
					args = append(args, x)
				}
			}
			if _, err := tx.ExecContext(ctx, s.upsertRowsSQL(t == 1, len(chunk)), args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// upsertChunk bounds the rows of one upsert statement (within SQLite's and
// PostgreSQL's limits on parameters).
const upsertChunk = 50

// source is the rows of a period's parts as a subquery yielding cols; with
// key, the rows of that key only.
func (s *rollupSpec) source(scope string, p periodParts, cols string, key *string) (string, []any) {
	args := []any{scope, p.headFrom, p.headTo, p.tailFrom, p.tailTo, p.monthFrom, p.monthTo}
	cond := ""
	if key != nil && s.key != "" {
		cond = " AND " + s.key + " = $8"
		args = append(args, *key)
	}
	return `(SELECT ` + cols + ` FROM ` + s.daily + ` WHERE area_code = $1 AND day >= $2 AND day <= $3` + cond +
		` UNION ALL SELECT ` + cols + ` FROM ` + s.daily + ` WHERE area_code = $1 AND day >= $4 AND day <= $5` + cond +
		` UNION ALL SELECT ` + cols + ` FROM ` + s.monthly + ` WHERE area_code = $1 AND month >= $6 AND month <= $7` + cond + `) AS r`, args
}

// sum sums the measures of an area over the days from..to (yyyymmdd); with
// key, of that key only.
func (s *rollupSpec) sum(ctx context.Context, q rowQuerier, scope string, fromDay, toDay int, key *string) ([]int64, error) {
	from, args := s.source(scope, splitPeriod(fromDay, toDay), strings.Join(s.measures, ", "), key)
	sums := make([]string, len(s.measures))
	for i, col := range s.measures {
		sums[i] = "COALESCE(SUM(" + col + "), 0)"
	}
	out := make([]int64, len(s.measures))
	targets := make([]any, len(out))
	for i := range out {
		targets[i] = &out[i]
	}
	err := q.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM `+from, args...).Scan(targets...)
	return out, err
}

// sumByKey sums the measures of an area over the days from..to per key.
func (s *rollupSpec) sumByKey(ctx context.Context, q querier, scope string, fromDay, toDay int) (map[string][]int64, error) {
	from, args := s.source(scope, splitPeriod(fromDay, toDay), s.key+", "+strings.Join(s.measures, ", "), nil)
	sums := make([]string, len(s.measures))
	for i, col := range s.measures {
		sums[i] = "SUM(" + col + ")"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+s.key+`, `+strings.Join(sums, ", ")+` FROM `+from+` GROUP BY `+s.key, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var key string
		v := make([]int64, len(s.measures))
		targets := []any{&key}
		for i := range v {
			targets = append(targets, &v[i])
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, rows.Err()
}

// stored reads a table of the spec whole.
func (s *rollupSpec) stored(ctx context.Context, q querier, monthly bool) (map[rollupKey][]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(s.keyColumns(monthly), ", ")+`, `+strings.Join(s.measures, ", ")+` FROM `+s.table(monthly))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[rollupKey][]int64{}
	for rows.Next() {
		var k rollupKey
		v := make([]int64, len(s.measures))
		targets := []any{&k.area, &k.day}
		if s.key != "" {
			targets = append(targets, &k.category)
		}
		for i := range v {
			targets = append(targets, &v[i])
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

func (s *rollupSpec) show(v []int64) string {
	if v == nil {
		v = make([]int64, len(s.measures))
	}
	if s.format != nil {
		return s.format(v)
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = s.measures[i] + ":" + strconv.FormatInt(x, 10)
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func equalRows(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diff compares the stored rows with want, a recomputation from the
// module's events: one line per row that differs.
func (s *rollupSpec) diff(ctx context.Context, q querier, want measureRows) ([]string, error) {
	var diffs []string
	for t := range want {
		label := ""
		if t == 1 {
			label = "month "
		}
		if s.name != "" {
			label = s.name + " " + label
		}
		have, err := s.stored(ctx, q, t == 1)
		if err != nil {
			return nil, err
		}
		key := func(k rollupKey) string {
			if s.key == "" {
				return ""
			}
			return " " + k.category
		}
		for k, w := range want[t] {
			if h, ok := have[k]; !ok && !allZero(w) || ok && !equalRows(h, w) {
				diffs = append(diffs, fmt.Sprintf("%s %s%d%s: stored %s, recomputed %s", k.area, label, k.day, key(k), s.show(h), s.show(w)))
			}
		}
		for k, h := range have {
			if _, ok := want[t][k]; !ok && !allZero(h) {
				diffs = append(diffs, fmt.Sprintf("%s %s%d%s: stored %s, but no events count there", k.area, label, k.day, key(k), s.show(h)))
			}
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// replace replaces the stored rows with want (a rebuild).
func (s *rollupSpec) replace(ctx context.Context, tx *Tx, want measureRows) error {
	for _, table := range []string{s.daily, s.monthly} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	return s.apply(ctx, tx, want)
}

// rollupChecks recompute each module's rollups from its event log and
// compare them with the stored ones (replacing them with apply): cases
// first, then what other modules add (their files' init).
var rollupChecks = []func(db *DB, ctx context.Context, apply bool) ([]string, error){
	(*DB).rebuildCaseRollups,
}

// RebuildRollups recomputes every module's indicator rollups from its event
// log and compares them with the stored ones, daily and monthly; with
// apply, the stored ones are replaced.
func (db *DB) RebuildRollups(ctx context.Context, apply bool) ([]string, error) {
	var all []string
	for _, check := range rollupChecks {
		diffs, err := check(db, ctx, apply)
		if err != nil {
			return nil, err
		}
		all = append(all, diffs...)
	}
	return all, nil
}
