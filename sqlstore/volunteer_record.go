package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Corrections of service records (civicgrid.VolunteerRecordStore): the
// record's row changes under a guard on what the corrector saw, the event
// keeps the values before and after in the request's chain, and a
// confirmed record's credit moves by the difference as a new transfer.

// CorrectHelp applies a correction with its event in one transaction.
func (db *DB) CorrectHelp(ctx context.Context, id int64, c civicgrid.HelpCorrection, ev civicgrid.VolunteerEvent) (civicgrid.HelpRequest, error) {
	var out civicgrid.HelpRequest
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET minutes = $1, service = $2, updated_at = $3,
			sign_out_at = CASE WHEN sign_in_at IS NULL THEN sign_out_at ELSE sign_in_at + $1 * 60000 END
			WHERE id = $4 AND status IN ($5, $6) AND minutes = $7 AND service = $8`,
			c.Minutes, c.Service, ev.At.UnixMilli(), id, string(civicgrid.HelpDone), string(civicgrid.HelpConfirmed), c.WasMinutes, c.WasService)
		if err != nil {
			return err
		}
		r, err := helpByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if r.Status != civicgrid.HelpDone && r.Status != civicgrid.HelpConfirmed {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is %s: only a record signed out (done or confirmed) is corrected", id, r.Status)
			}
			return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d changed meanwhile (now %d minutes, %s): read it again before correcting", id, r.Minutes, r.Service)
		}
		ev.RequestID = id
		if err := appendVolunteerEvent(ctx, tx, ev); err != nil {
			return err
		}
		diff := c.Minutes - c.WasMinutes
		if c.Credit == nil || diff == 0 || r.Status != civicgrid.HelpConfirmed || r.VolunteerID == 0 {
			out = r
			return nil
		}
		// A correction is the truth of the record: it may take the
		// volunteer (or the person helped) below the member floor.
		move := func(payer, payee string) error {
			t := *c.Credit
			t.From, t.To, t.Minutes, t.RequestID, t.At, t.Kind, t.FromFloor = payer, payee, diff, id, ev.At, civicgrid.LedgerCorrection, math.MinInt32
			if diff < 0 {
				t.From, t.To, t.Minutes = payee, payer, -diff
			}
			return postTransfer(ctx, tx, t)
		}
		issuer, volunteer := civicgrid.IssuerAccount(r.BuildingCode), civicgrid.MemberAccount(r.VolunteerID)
		if err := move(issuer, volunteer); err != nil {
			return err
		}
		var spender string
		err = tx.QueryRowContext(ctx, `SELECT e.account FROM timebank_txns t JOIN timebank_entries e ON e.txn = t.id
			WHERE t.request_id = $1 AND t.kind = $2 AND e.minutes < 0`, id, civicgrid.LedgerSpend).Scan(&spender)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := move(spender, issuer); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

// OverlappingHelp finds one of the volunteer's records overlapping [from, to).
func (db *DB) OverlappingHelp(ctx context.Context, volunteer, except int64, from, to time.Time) (civicgrid.HelpRequest, bool, error) {
	r, err := scanHelp(db.rd.QueryRowContext(ctx, `SELECT `+helpColumns+` FROM volunteer_requests
		WHERE volunteer_id = $1 AND id <> $2 AND sign_in_at IS NOT NULL AND sign_in_at < $3
		AND (status = $4 OR (status IN ($5, $6) AND sign_out_at > $7)) ORDER BY sign_in_at LIMIT 1`,
		volunteer, except, to.UnixMilli(), string(civicgrid.HelpInService), string(civicgrid.HelpDone), string(civicgrid.HelpConfirmed), from.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}
