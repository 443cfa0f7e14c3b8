package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Sign-in code lock-out (civicgrid.VolunteerCodeStore): wrong codes are
// rows of volunteer_code_attempts, counted under the request's row lock, so
// that guesses from several instances at once are counted one after the
// other and none passes the limit.

// lockHelpRow takes the request's row lock for the transaction (a no-op
// update: PostgreSQL locks the row, SQLite's write transaction is the
// database's) and reads its code and the code's generation.
func lockHelpRow(ctx context.Context, tx *Tx, id int64) (code string, gen int64, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET sign_code = sign_code WHERE id = $1`, id)
	if err != nil {
		return "", 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", 0, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer request %d", id)
	}
	err = tx.QueryRowContext(ctx, `SELECT sign_code, sign_code_gen FROM volunteer_requests WHERE id = $1`, id).Scan(&code, &gen)
	return code, gen, err
}

// codeLock reads the wrong codes that count at now: against the current
// code (its generation), within the window, newest first, at most maxWrong
// of them.
func codeLock(ctx context.Context, q querier, id, gen int64, now time.Time, maxWrong int, window time.Duration) (civicgrid.SignCodeLock, error) {
	var l civicgrid.SignCodeLock
	rows, err := q.QueryContext(ctx, `SELECT at FROM volunteer_code_attempts WHERE request_id = $1 AND code_gen = $2 AND at > $3 AND at <= $4
		ORDER BY at DESC, id DESC LIMIT $5`, id, gen, now.Add(-window).UnixMilli(), now.UnixMilli(), maxWrong)
	if err != nil {
		return l, err
	}
	ats, err := collect(rows, func(sc rowScanner) (int64, error) { var at int64; return at, sc.Scan(&at) })
	if err != nil || len(ats) == 0 {
		return l, err
	}
	l.Wrong, l.Last, l.First = len(ats), time.UnixMilli(ats[0]), time.UnixMilli(ats[len(ats)-1])
	if len(ats) >= maxWrong {
		// Locked until the oldest of the last maxWrong leaves the window.
		l.Until = l.First.Add(window)
	}
	return l, nil
}

// TrySignCode checks a code under the request's row lock.
func (db *DB) TrySignCode(ctx context.Context, g civicgrid.SignCodeGuess) (bool, civicgrid.SignCodeLock, error) {
	var match bool
	var lock civicgrid.SignCodeLock
	err := db.inTx(ctx, func(tx *Tx) error {
		code, gen, err := lockHelpRow(ctx, tx, g.RequestID)
		if err != nil {
			return err
		}
		if lock, err = codeLock(ctx, tx, g.RequestID, gen, g.At, g.MaxWrong, g.Window); err != nil {
			return err
		}
		if lock.Locked(g.At) {
			lock.Refused = true
			return nil // compared nothing, wrote nothing
		}
		if code != "" && subtle.ConstantTimeCompare([]byte(code), []byte(g.Code)) == 1 {
			match = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO volunteer_code_attempts (request_id, code_gen, actor_id, at) VALUES ($1, $2, $3, $4)`,
			g.RequestID, gen, g.Locked.ActorID, g.At.UnixMilli()); err != nil {
			return err
		}
		if lock, err = codeLock(ctx, tx, g.RequestID, gen, g.At, g.MaxWrong, g.Window); err != nil {
			return err
		}
		if !lock.Locked(g.At) {
			return nil
		}
		ev := g.Locked
		ev.RequestID, ev.Action = g.RequestID, civicgrid.HelpActCodeLocked
		ev.Data = map[string]string{"wrong": strconv.Itoa(lock.Wrong), "until": lock.Until.UTC().Format(time.RFC3339)}
		return appendVolunteerEvent(ctx, tx, ev)
	})
	return match, lock, err
}

// SignCodeLockOf reads how the request's code stands at now.
func (db *DB) SignCodeLockOf(ctx context.Context, id int64, now time.Time, maxWrong int, window time.Duration) (civicgrid.SignCodeLock, error) {
	var gen int64
	if err := db.rd.QueryRowContext(ctx, `SELECT sign_code_gen FROM volunteer_requests WHERE id = $1`, id).Scan(&gen); err != nil {
		if err == sql.ErrNoRows {
			return civicgrid.SignCodeLock{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer request %d", id)
		}
		return civicgrid.SignCodeLock{}, err
	}
	return codeLock(ctx, db.rd, id, gen, now, maxWrong, window)
}

// RenewSignCode replaces the code of a claimed or in-service request.
func (db *DB) RenewSignCode(ctx context.Context, id int64, code string, ev civicgrid.VolunteerEvent) (civicgrid.HelpRequest, error) {
	var out civicgrid.HelpRequest
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET sign_code = $1, sign_code_gen = sign_code_gen + 1, updated_at = $2
			WHERE id = $3 AND status IN ($4, $5)`, code, ev.At.UnixMilli(), id, string(civicgrid.HelpClaimed), string(civicgrid.HelpInService))
		if err != nil {
			return err
		}
		r, err := helpByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is %s: a sign-in code is renewed only while a volunteer has it (claimed or in service)", id, r.Status)
		}
		ev.RequestID = id
		if err := appendVolunteerEvent(ctx, tx, ev); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

var _ civicgrid.VolunteerCodeStore = (*DB)(nil)
