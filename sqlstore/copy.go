package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// copyOrder lists the tables in an order that satisfies their foreign keys.
// A table a migration adds must be added here (Copy refuses a store with a
// table it does not know, so it cannot be silently left behind).
var copyOrder = []string{
	"meta", "areas", "users", "role_grants", "api_tokens", "sessions", "one_time_codes", "security_events",
	"building_role_kinds", "user_identities", "case_categories", "cases", "case_events", "case_supporters",
	"idempotency_keys", "case_rollups", "case_rollup_hist", "case_rollups_monthly", "case_rollup_hist_monthly", "open311_keys", "webhooks", "webhook_deliveries",
}

// CopyReport says what Copy moved and checked.
type CopyReport struct {
	Rows   map[string]int64 // per table, equal in both stores
	Chains int              // case histories whose hash chains verified in the target
}

// Copy moves every row of src into dst, which must hold no areas, people or
// cases yet (its own seeded defaults are replaced), in one transaction on
// dst, keeping ids. It then checks that every table has the same number of
// rows in both, and that every case's hash chain verifies in dst and ends
// at the same hash as in src. Both stores must be at the same migration.
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
	err = dst.inTx(ctx, func(tx *Tx) error {
		for i := len(copyOrder) - 1; i >= 0; i-- {
			if slices.Contains(srcTables, copyOrder[i]) {
				if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+copyOrder[i]); err != nil {
					return fmt.Errorf("clear %s: %w", copyOrder[i], err)
				}
			}
		}
		for _, t := range copyOrder {
			if !slices.Contains(srcTables, t) {
				continue
			}
			n, err := copyTable(ctx, src, tx, t, boolCols[t])
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			rep.Rows[t] = n
		}
		return dst.resetIdentities(ctx, tx, srcTables)
	})
	if err != nil {
		return rep, err
	}
	return rep, verifyCopy(ctx, src, dst, &rep)
}

// copyTable streams one table's rows into the target transaction. A case
// merged into a later case points forward, so merged_into is set after all
// cases are in.
func copyTable(ctx context.Context, src *DB, tx *Tx, table string, boolCols []string) (int64, error) {
	rows, err := src.read.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	insert := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + placeholders(1, len(cols)) + `)`
	mergedAt := slices.Index(cols, "merged_into")
	idAt := slices.Index(cols, "id")
	var merges [][2]any
	var n int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
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
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	for _, m := range merges {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET merged_into = $1 WHERE id = $2`, m[1], m[0]); err != nil {
			return n, err
		}
	}
	return n, nil
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
		if t != "schema_migrations" {
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

// verifyCopy compares row counts and case chain heads.
func verifyCopy(ctx context.Context, src, dst *DB, rep *CopyReport) error {
	for t, want := range rep.Rows {
		s, err := countRows(ctx, src, t)
		if err != nil {
			return err
		}
		d, err := countRows(ctx, dst, t)
		if err != nil {
			return err
		}
		if s != want || d != want {
			return fmt.Errorf("copy check: %s has %d rows in the source and %d in the target, %d copied", t, s, d, want)
		}
	}
	heads := map[int64]string{}
	if err := src.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		heads[id] = evs[len(evs)-1].Hash
		return nil
	}); err != nil {
		return err
	}
	err := dst.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		if err := civicgrid.VerifyChain(evs); err != nil {
			return fmt.Errorf("copy check: case %d: %w", id, err)
		}
		if heads[id] != evs[len(evs)-1].Hash {
			return fmt.Errorf("copy check: case %d's history ends differently in the target", id)
		}
		rep.Chains++
		return nil
	})
	if err == nil && rep.Chains != len(heads) {
		err = fmt.Errorf("copy check: %d case histories in the source, %d in the target", len(heads), rep.Chains)
	}
	return err
}
