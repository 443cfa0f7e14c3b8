package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Alerts of the early warning (warning.go, migration 0025): one row per
// alert and one per grid it counts.

const alertColumns = `id, kind, category, grid, day, window_days, observed, expected, p_value, threshold, status, reason,
	decided_by_id, decided_by, decided_at, case_id, created_at`

func scanAlert(sc rowScanner) (civicgrid.Alert, error) {
	var a civicgrid.Alert
	var decidedByID, decidedAt, caseID sql.NullInt64
	var created int64
	err := sc.Scan(&a.ID, &a.Kind, &a.Category, &a.Grid, &a.Day, &a.WindowDays, &a.Observed, &a.Expected, &a.PValue, &a.Threshold,
		&a.Status, &a.Reason, &decidedByID, &a.DecidedBy, &decidedAt, &caseID, &created)
	a.DecidedByID, a.CaseID = decidedByID.Int64, caseID.Int64
	if decidedAt.Valid {
		a.DecidedAt = time.UnixMilli(decidedAt.Int64)
	}
	a.CreatedAt = time.UnixMilli(created)
	return a, err
}

// SaveAlerts stores the alerts not stored yet (same kind, grid, category
// and day) and returns those, with their ids.
func (db *DB) SaveAlerts(ctx context.Context, as []civicgrid.Alert) ([]civicgrid.Alert, error) {
	// The update after each report usually finds nothing to raise: taking
	// the one write connection for nothing would queue intake behind it.
	if len(as) == 0 {
		return nil, nil
	}
	var out []civicgrid.Alert
	err := db.inTx(ctx, func(tx *Tx) error {
		out = out[:0]
		for _, a := range as {
			err := tx.QueryRowContext(ctx, `INSERT INTO warning_alerts (kind, category, grid, day, window_days, observed, expected, p_value,
				threshold, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (kind, grid, category, day) DO NOTHING RETURNING id`,
				string(a.Kind), a.Category, a.Grid, a.Day, a.WindowDays, a.Observed, a.Expected, a.PValue, a.Threshold,
				string(civicgrid.AlertOpen), a.CreatedAt.UnixMilli()).Scan(&a.ID)
			if err == sql.ErrNoRows {
				continue // raised before
			}
			if err != nil {
				return err
			}
			for _, g := range a.Grids {
				if _, err := tx.ExecContext(ctx, `INSERT INTO warning_alert_grids (alert_id, grid) VALUES ($1, $2)`, a.ID, g); err != nil {
					return err
				}
			}
			a.Status = civicgrid.AlertOpen
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func (db *DB) alertGrids(ctx context.Context, q rowsQuerier, as []civicgrid.Alert) error {
	for i := range as {
		rows, err := q.QueryContext(ctx, `SELECT grid FROM warning_alert_grids WHERE alert_id = $1`, as[i].ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return err
			}
			as[i].Grids = append(as[i].Grids, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The grid it was raised for first, then the others in order.
		sort.Slice(as[i].Grids, func(x, y int) bool {
			gx, gy := as[i].Grids[x], as[i].Grids[y]
			if (gx == as[i].Grid) != (gy == as[i].Grid) {
				return gx == as[i].Grid
			}
			return gx < gy
		})
	}
	return nil
}

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Alerts lists the alerts touching a subtree, newest first.
func (db *DB) Alerts(ctx context.Context, f civicgrid.AlertFilter) ([]civicgrid.Alert, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + alertColumns + ` FROM warning_alerts WHERE id IN (SELECT alert_id FROM warning_alert_grids WHERE ` +
		scopeClause("grid", []string{f.Scope}, arg) + `)`
	if f.Status != "" {
		q += ` AND status = ` + arg(string(f.Status))
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q += ` ORDER BY day DESC, id DESC LIMIT ` + arg(f.Limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []civicgrid.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, db.alertGrids(ctx, db.rd, out)
}

// AlertByID returns an alert.
func (db *DB) AlertByID(ctx context.Context, id int64) (civicgrid.Alert, error) {
	a, err := byID(ctx, db.rd, `SELECT `+alertColumns+` FROM warning_alerts WHERE id = $1`, id, scanAlert, "alert")
	if err != nil {
		return a, err
	}
	as := []civicgrid.Alert{a}
	err = db.alertGrids(ctx, db.rd, as)
	return as[0], err
}

// DecideAlert acknowledges or dismisses an open alert: one conditional
// update, so two staff deciding at once cannot both succeed.
func (db *DB) DecideAlert(ctx context.Context, id int64, d civicgrid.AlertDecision, actorID int64, actor string, at time.Time) (civicgrid.Alert, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE warning_alerts SET status = $1, reason = $2, decided_by_id = $3, decided_by = $4, decided_at = $5
			WHERE id = $6 AND status = $7`, string(d.Status), d.Reason, nullID(actorID), actor, at.UnixMilli(), id, string(civicgrid.AlertOpen))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM warning_alerts WHERE id = $1`, id).Scan(&status); err == sql.ErrNoRows {
				return civicgrid.Errorf(civicgrid.ENOTFOUND, "no alert %d", id)
			} else if err != nil {
				return err
			}
			return civicgrid.Errorf(civicgrid.ECONFLICT, "alert %d is %s already", id, status)
		}
		return nil
	})
	if err != nil {
		return civicgrid.Alert{}, err
	}
	return db.AlertByID(ctx, id)
}

// LinkAlertCase records the case opened from an alert, once.
func (db *DB) LinkAlertCase(ctx context.Context, id, caseID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE warning_alerts SET case_id = $1 WHERE id = $2 AND case_id IS NULL`, caseID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "alert %d has a case already", id)
		}
		return nil
	})
}

// WarningState is the early warning's state kept for scope (migration
// 0035; warning/state.go), nil if none.
func (db *DB) WarningState(ctx context.Context, scope string) ([]byte, error) {
	var data []byte
	err := db.rd.QueryRowContext(ctx, `SELECT data FROM warning_state WHERE scope = $1`, scope).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return data, err
}

// SaveWarningState keeps the state of scope as of day, unless a state of a
// later day is kept (another instance ran further: it stays).
func (db *DB) SaveWarningState(ctx context.Context, scope string, day int, data []byte) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO warning_state (scope, day, data, saved_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope) DO UPDATE SET day = excluded.day, data = excluded.data, saved_at = excluded.saved_at
			WHERE warning_state.day <= excluded.day`, scope, day, data, db.now().UnixMilli())
		return err
	})
}
