package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

const pushColumns = `id, user_id, endpoint, p256dh, auth, created_at`

func scanPushSubscription(sc interface{ Scan(...any) error }) (civicgrid.PushSubscription, error) {
	var p civicgrid.PushSubscription
	var created int64
	err := sc.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256DH, &p.Auth, &created)
	p.CreatedAt = time.UnixMilli(created)
	return p, err
}

// AddPushSubscription stores a browser's subscription, or renews the keys
// of the person's own one at that endpoint; another person's endpoint is a
// conflict. A person keeps their newest MaxPushSubscriptions.
func (db *DB) AddPushSubscription(ctx context.Context, p civicgrid.PushSubscription) (civicgrid.PushSubscription, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		// The session's row, or none (NULL) for a bearer token or a
		// session that has just ended.
		var session any
		if p.Session != "" {
			var id int64
			switch err := tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE secret_hash = $1`, hashSecret(p.Session)).Scan(&id); {
			case err == nil:
				session = id
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		old, err := scanPushSubscription(tx.QueryRowContext(ctx, `SELECT `+pushColumns+` FROM push_subscriptions WHERE endpoint = $1`, p.Endpoint))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at, session_id)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.UserID, p.Endpoint, p.P256DH, p.Auth, p.CreatedAt.UnixMilli(), session).Scan(&p.ID); err != nil {
				return err
			}
			// Beyond the limit the oldest browsers make room: each
			// message is pushed to a bounded number of endpoints.
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN
				(SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY id DESC LIMIT %d)`, civicgrid.MaxPushSubscriptions), p.UserID)
			return err
		case err != nil:
			return err
		case old.UserID != p.UserID:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "endpoint: this browser's subscription belongs to another account; subscribe afresh")
		}
		p.ID, p.CreatedAt = old.ID, old.CreatedAt
		_, err = tx.ExecContext(ctx, `UPDATE push_subscriptions SET p256dh = $1, auth = $2, session_id = $3 WHERE id = $4`, p.P256DH, p.Auth, session, p.ID)
		return err
	})
	return p, err
}

// PushSubscriptions lists a person's subscriptions, oldest first.
func (db *DB) PushSubscriptions(ctx context.Context, userID int64) ([]civicgrid.PushSubscription, error) {
	return pushSubscriptions(ctx, db.rd, userID, 0)
}

// PushSubscriptionByEndpoint returns the subscription at an endpoint.
func (db *DB) PushSubscriptionByEndpoint(ctx context.Context, endpoint string) (civicgrid.PushSubscription, error) {
	p, err := scanPushSubscription(db.rd.QueryRowContext(ctx, `SELECT `+pushColumns+` FROM push_subscriptions WHERE endpoint = $1`, endpoint))
	if errors.Is(err, sql.ErrNoRows) {
		return p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no such push subscription")
	}
	return p, err
}

// DeletePushSubscription removes a subscription (none left is no error:
// a push service's "gone" and the person's own switch may meet).
func (db *DB) DeletePushSubscription(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, id)
		return err
	})
}

// TakePush takes the notifications waiting for push, oldest first, with
// their recipients' subscriptions; the mark is cleared only if it is still
// set, so two instances never take the same one.
func (db *DB) TakePush(ctx context.Context, limit int) ([]civicgrid.OutgoingPush, error) {
	// Looked for first on a reader: the sender wakes after every batch of
	// reports and mostly finds nothing to push.
	if due, err := db.exists(ctx, `SELECT 1 FROM notifications WHERE push_pending = TRUE LIMIT 1`); err != nil || !due {
		return nil, err
	}
	var out []civicgrid.OutgoingPush
	err := db.inTx(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT n.id, n.user_id, n.kind, n.source, n.title, n.body, n.link, n.created_at, n.read_at, n.sms_state, COALESCE(p.push_off, FALSE)
			FROM notifications n LEFT JOIN notification_prefs p ON p.user_id = n.user_id
			WHERE n.push_pending = TRUE ORDER BY n.id LIMIT %d`, limit))
		if err != nil {
			return err
		}
		type due struct {
			civicgrid.Notification
			off bool
		}
		var ds []due
		for rows.Next() {
			var d due
			var created int64
			var read sql.NullInt64
			var sms string
			if err := rows.Scan(&d.ID, &d.UserID, &d.Kind, &d.Source, &d.Title, &d.Body, &d.Link, &created, &read, &sms, &d.off); err != nil {
				rows.Close()
				return err
			}
			d.CreatedAt, d.ReadAt, d.SMS = time.UnixMilli(created), timeOrZero(read), civicgrid.SMSState(sms)
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		subs := map[int64][]civicgrid.PushSubscription{}
		for _, d := range ds {
			res, err := tx.ExecContext(ctx, `UPDATE notifications SET push_pending = FALSE WHERE id = $1 AND push_pending = TRUE`, d.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || d.off {
				continue
			}
			ss, ok := subs[d.UserID]
			if !ok {
				if ss, err = pushSubscriptions(ctx, tx, d.UserID, db.now().UnixMilli()); err != nil {
					return err
				}
				subs[d.UserID] = ss
			}
			if len(ss) > 0 {
				out = append(out, civicgrid.OutgoingPush{Notification: d.Notification, Subscriptions: ss})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func pushSubscriptions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, userID int64, liveAt int64) ([]civicgrid.PushSubscription, error) {
	// liveAt (when not 0) leaves out subscriptions whose session has
	// expired but is not yet purged: those go to nobody logged in.
	query, args := `SELECT `+pushColumns+` FROM push_subscriptions s WHERE user_id = $1`, []any{userID}
	if liveAt != 0 {
		query += ` AND (s.session_id IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = s.session_id AND expires_at > $2))`
		args = append(args, liveAt)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPushSubscription)
}
