package sqlstore

import (
	"context"
	"time"

	"github.com/civicgrid/civicgrid"
)

// CalendarDays lists the local calendar days, by date.
func (db *DB) CalendarDays(ctx context.Context) ([]civicgrid.CalendarDay, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT day, kind, note, created_at FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.CalendarDay
	for rows.Next() {
		d := civicgrid.CalendarDay{Source: civicgrid.DayLocal}
		var at int64
		if err := rows.Scan(&d.Date, &d.Kind, &d.Note, &at); err != nil {
			return nil, err
		}
		d.CreatedAt = time.UnixMilli(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// AddCalendarDay stores a local day with its security event.
func (db *DB) AddCalendarDay(ctx context.Context, d civicgrid.CalendarDay, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (day, kind, note, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (day) DO NOTHING`, d.Date, d.Kind, d.Note, db.now().UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "%s has a local calendar entry already: remove it first", d.Date)
		}
		return db.insertEvent(ctx, tx, ev)
	})
}

// RemoveCalendarDay deletes the local day of a date with its security event.
func (db *DB) RemoveCalendarDay(ctx context.Context, date string, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE day = $1`, date)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "%s has no local calendar entry", date)
		}
		return db.insertEvent(ctx, tx, ev)
	})
}
