package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// copyOrder lists the tables in an order that satisfies their foreign keys.
// A table a migration adds must be added here (Copy refuses a store with a
// table it does not know, so it cannot be silently left behind).
var copyOrder = []string{
	"meta", "areas", "users", "role_grants", "api_tokens", "sessions", "one_time_codes", "security_events",
	"building_role_kinds", "user_identities", "case_categories", "cases", "case_events", "case_supporters",
	"idempotency_keys", "case_rollups", "case_rollup_hist", "case_rollups_monthly", "case_rollup_hist_monthly", "open311_keys", "webhooks", "webhook_deliveries",
	"notification_cursors", "notifications", "notification_prefs", "calendar_days", "push_subscriptions",
	"cogov_proposals", "cogov_supports", "cogov_votes", "cogov_roll", "cogov_ballots", "cogov_events",
	"volunteer_requests", "volunteer_events", "volunteer_claimers", "timebank_accounts", "timebank_txns", "timebank_entries",
	"cogov_meetings", "cogov_meeting_items", "cogov_meeting_roll",
	"cogov_objections", "cogov_paper_ballots", "cogov_elections", "cogov_nominations",
	"lectures", "lecture_signups", "lecture_events", "volunteer_certificates", "volunteer_certificate_events",
	"warning_alerts", "warning_alert_grids", "warning_state",
	"care_entries", "care_visitors", "care_visits", "care_slots",
	"notices", "notice_receipts", "notice_robots", "notice_robot_deliveries", "notice_events", "notice_robot_cursors", "area_audience_counts",
	"cogov_projects", "cogov_milestones", "cogov_project_updates", "cogov_project_ratings", "cogov_project_cases", "cogov_spending", "cogov_comments",
	"volunteer_profiles", "volunteer_teams", "volunteer_team_members", "volunteer_points", "volunteer_invitations", "volunteer_code_attempts",
	"cogov_households", "cogov_household_members", "cogov_roll_households", "cogov_tally",
	"volunteer_rollups", "volunteer_rollups_monthly", "volunteer_served", "volunteer_served_monthly",
	"cogov_courtyards", "cogov_courtyard_buildings", "cogov_household_owners",
	"volunteer_numbers",
}

// CopyReport says what Copy moved and checked.
type CopyReport struct {
	Rows   map[string]int64 // per table, equal in both stores
	Chains int              // case histories whose hash chains verified in the target
	// CogovChains are proposals' and votes' histories verified likewise.
	CogovChains int
	// VolunteerChains are requests for help's histories verified likewise.
	VolunteerChains int
}

// copyTableHook, when set (by tests), runs after each table is written to
// the target, inside the copy: to change the source mid-copy or to fail.
var copyTableHook func(table string) error

// Copy moves every row of src into dst, which must hold no areas, people or
// cases yet (its own seeded defaults are replaced), keeping ids. Both stores
// must be at the same migration.
//
// The source may be serving meanwhile: every table is read in one read-only
// transaction, one snapshot, so a case and its history are copied as they
// stood at one moment. The target is written in one transaction, and
// checked inside it — every row of every table equal to the snapshot's,
// every case's hash chain intact — before it commits: on any failure the
// target is left as it was and the copy can be run again.
func Copy(ctx context.Context, src, dst *DB) (CopyReport, error) {
	rep := CopyReport{Rows: map[string]int64{}}
	srcTables, err := src.tables(ctx)
	if err != nil {
		return rep, err
	}
	dstTables, err := dst.tables(ctx)
	if err != nil {
		return rep, err
	}
	for _, t := range srcTables {
		if !slices.Contains(copyOrder, t) {
			return rep, fmt.Errorf("copy: table %s is not in the copy order (sqlstore/copy.go)", t)
		}
		if !slices.Contains(dstTables, t) {
			return rep, fmt.Errorf("copy: the target has no table %s: migrate both stores to the same version", t)
		}
	}
	for _, t := range []string{"areas", "users", "cases"} {
		n, err := countRows(ctx, dst, t)
		if err != nil {
			return rep, err
		}
		if n != 0 {
			return rep, civicgrid.Errorf(civicgrid.ECONFLICT, "copy: the target already holds %d rows in %s; copy into an empty store", n, t)
		}
	}
	boolCols, err := dst.booleanColumns(ctx)
	if err != nil {
		return rep, err
	}
	// SQLite in WAL mode gives a read transaction one snapshot from its
	// first read; PostgreSQL needs REPEATABLE READ for that.
	snap, err := src.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return rep, fmt.Errorf("copy: open a snapshot of the source: %w", err)
	}
	defer snap.Rollback()
	err = dst.inTx(ctx, func(tx *Tx) error {
		for i := len(copyOrder) - 1; i >= 0; i-- {
			if slices.Contains(srcTables, copyOrder[i]) {
				if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+copyOrder[i]); err != nil {
					return fmt.Errorf("clear %s: %w", copyOrder[i], err)
				}
			}
		}
		want := map[string]tableDigest{}
		for _, t := range copyOrder {
			if !slices.Contains(srcTables, t) {
				continue
			}
			d, err := copyTable(ctx, snap, tx, t, boolCols[t])
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			want[t] = d
			rep.Rows[t] = d.rows
			if copyTableHook != nil {
				if err := copyTableHook(t); err != nil {
					return err
				}
			}
		}
		if err := dst.resetIdentities(ctx, tx, srcTables); err != nil {
			return err
		}
		// The search index is made again from the copied texts: its
		// engine-specific form (FTS5, tsvector) does not cross engines.
		if err := dst.clearSearch(ctx, tx); err != nil {
			return err
		}
		if err := backfillSearch(ctx, dst, tx); err != nil {
			return fmt.Errorf("index the copied texts for search: %w", err)
		}
		if err := indexLectures(ctx, dst, tx); err != nil {
			return fmt.Errorf("index the copied lectures for search: %w", err)
		}
		if err := indexNotices(ctx, dst, tx); err != nil {
			return fmt.Errorf("index the copied notices for search: %w", err)
		}
		return checkCopy(ctx, tx.tx, want, &rep)
	})
	if err != nil {
		return rep, fmt.Errorf("%w (the target is left as it was)", err)
	}
	return rep, nil
}

// copyTable streams one table's rows from the snapshot into the target
// transaction and returns the digest of what it read. A case merged into a
// later case points forward, so merged_into is set after all cases are in.
func copyTable(ctx context.Context, snap querier, tx *Tx, table string, boolCols []string) (tableDigest, error) {
	var d tableDigest
	var insert string
	var mergedAt, idAt int
	var merges [][2]any
	err := eachRow(ctx, snap, table, func(cols []string, vals []any) error {
		if insert == "" {
			insert = `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + placeholders(1, len(cols)) + `)`
			mergedAt, idAt = slices.Index(cols, "merged_into"), slices.Index(cols, "id")
		}
		d.add(cols, vals)
		for i, c := range cols {
			if slices.Contains(boolCols, c) {
				vals[i] = asBool(vals[i])
			}
		}
		if table == "cases" && mergedAt >= 0 && vals[mergedAt] != nil {
			merges = append(merges, [2]any{vals[idAt], vals[mergedAt]})
			vals[mergedAt] = nil
		}
		if _, err := tx.ExecContext(ctx, insert, vals...); err != nil {
			return fmt.Errorf("row %d: %w", d.rows, err)
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	for _, m := range merges {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET merged_into = $1 WHERE id = $2`, m[1], m[0]); err != nil {
			return d, err
		}
	}
	return d, nil
}

// asBool turns SQLite's stored 0/1 into a boolean for PostgreSQL.
func asBool(v any) any {
	switch x := v.(type) {
	case int64:
		return x != 0
	case bool, nil:
		return x
	}
	return v
}

// tables lists the store's tables but the migration ledger.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		// The search index (search_docs and SQLite's FTS5 tables) is
		// rebuilt from the texts rather than copied; auth_versions is kept
		// by triggers as the copied users, grants and sessions go in, and
		// only means something to the caches of processes on its store.
		if t != "schema_migrations" && t != "auth_versions" && !strings.HasPrefix(t, "search_") {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// booleanColumns are, on PostgreSQL, the BOOLEAN columns per table (SQLite
// keeps booleans as integers and takes them either way).
func (db *DB) booleanColumns(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	if db.dialect != Postgres {
		return out, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'boolean'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// resetIdentities moves PostgreSQL's id sequences past the copied ids.
func (db *DB) resetIdentities(ctx context.Context, tx *Tx, tables []string) error {
	if db.dialect != Postgres {
		return nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`)
	if err != nil {
		return err
	}
	var withID []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(tables, t) {
			withID = append(withID, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range withID {
		if _, err := tx.tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`, t); err != nil {
			return fmt.Errorf("reset the id sequence of %s: %w", t, err)
		}
	}
	return nil
}

func countRows(ctx context.Context, db *DB, table string) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	return n, err
}

// tableDigest sums a hash of every row, so two tables compare equal, row
// for row, whatever order the rows come in and whichever engine holds them.
type tableDigest struct {
	rows int64
	sum  [2]uint64
}

// add counts one row. Values are written by kind, not by driver type:
// SQLite returns 0/1 where PostgreSQL returns booleans, and integral
// REAL values as either; columns are taken in name order.
func (d *tableDigest) add(cols []string, vals []any) {
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(cols[a], cols[b]) })
	var row, val []byte
	for _, i := range order {
		val = val[:0]
		switch v := vals[i].(type) {
		case nil:
			val = append(val, "null"...)
		case bool:
			val = append(val, 'n', '0')
			if v {
				val[1] = '1'
			}
		case int64:
			val = strconv.AppendInt(append(val, 'n'), v, 10)
		case int32:
			val = strconv.AppendInt(append(val, 'n'), int64(v), 10)
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				val = strconv.AppendInt(append(val, 'n'), int64(v), 10)
			} else {
				val = strconv.AppendFloat(append(val, 'n'), v, 'g', -1, 64)
			}
		case string:
			val = append(append(val, 's'), v...)
		case []byte:
			val = append(append(val, 's'), v...)
		case time.Time:
			val = strconv.AppendInt(append(val, 't'), v.UnixNano(), 10)
		default:
			val = fmt.Appendf(val, "?%v", v)
		}
		row = append(append(row, cols[i]...), '=')
		row = append(append(strconv.AppendInt(row, int64(len(val)), 10), ':'), val...)
	}
	sum := sha256.Sum256(row)
	d.rows++
	d.sum[0] += binary.BigEndian.Uint64(sum[0:8])
	d.sum[1] += binary.BigEndian.Uint64(sum[8:16])
}

// digestTable reads a whole table through q.
func digestTable(ctx context.Context, q querier, table string) (tableDigest, error) {
	var d tableDigest
	err := eachRow(ctx, q, table, func(cols []string, vals []any) error {
		d.add(cols, vals)
		return nil
	})
	return d, err
}

// eachRow reads a whole table through q, scanning every row into one
// reused slice of values, and calls fn with each.
func eachRow(ctx context.Context, q querier, table string, fn func(cols []string, vals []any) error) error {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// checkCopy reads the target back through q (the copy's own transaction,
// before it commits): every table must hold exactly the rows read from the
// source's snapshot, cases and their histories included, and every case's
// hash chain must verify, and every proposal's and vote's.
func checkCopy(ctx context.Context, q querier, want map[string]tableDigest, rep *CopyReport) error {
	for _, t := range slices.Sorted(maps.Keys(want)) {
		got, err := digestTable(ctx, q, t)
		if err != nil {
			return err
		}
		if got.rows != want[t].rows {
			return fmt.Errorf("copy check: %s has %d rows in the source and %d in the target", t, want[t].rows, got.rows)
		}
		if got != want[t] {
			return fmt.Errorf("copy check: rows of %s differ between the source and the target", t)
		}
	}
	if err := forEachCaseChain(ctx, q, func(id int64, evs []civicgrid.CaseEvent) error {
		if err := civicgrid.VerifyChain(evs); err != nil {
			return fmt.Errorf("copy check: case %d: %w", id, err)
		}
		rep.Chains++
		return nil
	}); err != nil {
		return err
	}
	if err := forEachCogovChain(ctx, q, func(subject string, evs []civicgrid.CogovEvent) error {
		if err := civicgrid.VerifyCogovChain(evs); err != nil {
			return fmt.Errorf("copy check: %w", err)
		}
		rep.CogovChains++
		return nil
	}); err != nil {
		return err
	}
	return forEachVolunteerChain(ctx, q, func(id int64, evs []civicgrid.VolunteerEvent) error {
		if err := civicgrid.VerifyVolunteerChain(evs); err != nil {
			return fmt.Errorf("copy check: %w", err)
		}
		rep.VolunteerChains++
		return nil
	})
}
