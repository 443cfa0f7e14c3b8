package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// NotificationCursor returns where the named producer stands in its log.
func (db *DB) NotificationCursor(ctx context.Context, name string) (int64, error) {
	var at int64
	err := db.rd.QueryRowContext(ctx, `SELECT event_id FROM notification_cursors WHERE name = $1`, name).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return at, err
}

// AddNotifications stores a stretch's notifications and moves the
// producer's cursor, if it is still where the caller read it.
func (db *DB) AddNotifications(ctx context.Context, name string, from, to int64, ns []civicgrid.Notification) (bool, error) {
	moved := false
	err := db.inTx(ctx, func(tx *Tx) error {
		var res sql.Result
		var err error
		if from == 0 {
			// The first stretch: the row may not exist yet, and only one
			// instance can make or move it.
			res, err = tx.ExecContext(ctx, `INSERT INTO notification_cursors (name, event_id) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET event_id = excluded.event_id WHERE notification_cursors.event_id = 0`, name, to)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE notification_cursors SET event_id = $1 WHERE name = $2 AND event_id = $3`, to, name, from)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		moved = true
		for _, n := range ns {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, source, title, body, link, created_at, sms_state, sms_next_at, push_pending)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9) ON CONFLICT (source, user_id) DO NOTHING`,
				n.UserID, n.Kind, n.Source, n.Title, n.Body, n.Link, n.CreatedAt.UnixMilli(), string(n.SMS), n.PushPending); err != nil {
				return err
			}
		}
		return nil
	})
	return moved && err == nil, err
}

const notificationColumns = `id, user_id, kind, source, title, body, link, created_at, read_at, sms_state`

func scanNotification(sc interface{ Scan(...any) error }) (civicgrid.Notification, error) {
	var (
		n       civicgrid.Notification
		created int64
		read    sql.NullInt64
		sms     string
	)
	if err := sc.Scan(&n.ID, &n.UserID, &n.Kind, &n.Source, &n.Title, &n.Body, &n.Link, &created, &read, &sms); err != nil {
		return n, err
	}
	n.CreatedAt, n.ReadAt, n.SMS = time.UnixMilli(created), timeOrZero(read), civicgrid.SMSState(sms)
	return n, nil
}

// Notifications lists one person's notifications, newest first.
func (db *DB) Notifications(ctx context.Context, f civicgrid.NotificationFilter) ([]civicgrid.Notification, error) {
	q := `SELECT ` + notificationColumns + ` FROM notifications WHERE user_id = $1`
	args := []any{f.UserID}
	if f.UnreadOnly {
		q += ` AND read_at IS NULL`
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := db.rd.QueryContext(ctx, fmt.Sprintf(q+` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanNotification)
}

// Notification returns one notification.
func (db *DB) Notification(ctx context.Context, id int64) (civicgrid.Notification, error) {
	n, err := scanNotification(db.rd.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, civicgrid.Errorf(civicgrid.ENOTFOUND, "no notification %d", id)
	}
	return n, err
}

// UnreadNotifications counts a person's unread notifications.
func (db *DB) UnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n)
	return n, err
}

// MarkNotificationsRead marks some (or, with no ids, all) of a person's
// unread notifications read. Ids of other people's notifications change
// nothing.
func (db *DB) MarkNotificationsRead(ctx context.Context, userID int64, ids []int64, at time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		q := `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
		args := []any{at.UnixMilli(), userID}
		if len(ids) > 0 {
			for _, id := range ids {
				args = append(args, id)
			}
			q += ` AND id IN (` + placeholders(3, len(ids)) + `)`
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// NotificationPrefs returns a person's choices (the defaults if none).
func (db *DB) NotificationPrefs(ctx context.Context, userID int64) (civicgrid.NotificationPrefs, error) {
	p := civicgrid.NotificationPrefs{UserID: userID}
	err := db.rd.QueryRowContext(ctx, `SELECT sms_off, push_off, lang FROM notification_prefs WHERE user_id = $1`, userID).Scan(&p.SMSOff, &p.PushOff, &p.Lang)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	return p, err
}

// NotificationLangs returns the chosen languages of those users who chose one.
func (db *DB) NotificationLangs(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(userIDs))
	for i, id := range userIDs {
		args[i] = id
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT user_id, lang FROM notification_prefs WHERE lang <> '' AND user_id IN (`+
		placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var lang string
		if err := rows.Scan(&id, &lang); err != nil {
			return nil, err
		}
		out[id] = lang
	}
	return out, rows.Err()
}

// SetNotificationPrefs stores a person's choices.
func (db *DB) SetNotificationPrefs(ctx context.Context, p civicgrid.NotificationPrefs) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notification_prefs (user_id, sms_off, push_off, lang) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET sms_off = excluded.sms_off, push_off = excluded.push_off, lang = excluded.lang`,
			p.UserID, p.SMSOff, p.PushOff, p.Lang)
		return err
	})
}

// ClaimSMS decides the due text messages: each is dropped to opted_out or
// limited, or leased to the caller (state sending) to send. The hourly
// count includes messages being sent, so two claims in a row cannot both
// spend the last one of the hour.
func (db *DB) ClaimSMS(ctx context.Context, now, lease time.Time, perHour, limit int) ([]civicgrid.OutgoingSMS, error) {
	// Looked for first on a reader, as push is.
	if due, err := db.exists(ctx, `SELECT 1 FROM notifications WHERE (sms_state = 'pending' OR sms_state = 'sending') AND sms_next_at <= $1 LIMIT 1`,
		now.UnixMilli()); err != nil || !due {
		return nil, err
	}
	var out []civicgrid.OutgoingSMS
	err := db.inTx(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT n.id, n.user_id, n.kind, n.source, n.title, n.body, n.link, n.created_at, n.read_at,
			n.sms_state, n.sms_attempts, n.sms_next_at, COALESCE(p.sms_off, FALSE)
			FROM notifications n LEFT JOIN notification_prefs p ON p.user_id = n.user_id
			WHERE (n.sms_state = 'pending' OR n.sms_state = 'sending') AND n.sms_next_at <= $1 ORDER BY n.sms_next_at, n.id LIMIT %d`, limit),
			now.UnixMilli())
		if err != nil {
			return err
		}
		type due struct {
			civicgrid.OutgoingSMS
			next int64
			off  bool
		}
		var ds []due
		for rows.Next() {
			var (
				d       due
				created int64
				read    sql.NullInt64
				sms     string
			)
			if err := rows.Scan(&d.ID, &d.UserID, &d.Kind, &d.Source, &d.Title, &d.Body, &d.Link, &created, &read, &sms, &d.Attempts, &d.next, &d.off); err != nil {
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
		hourAgo := now.Add(-time.Hour).UnixMilli()
		// Messages sent or being sent to each person in the last hour,
		// counted once per person and batch: a backlog (an escalation storm
		// makes thousands for a few grid workers) was a count per message.
		spent := map[int64]int{}
		settled := map[int64]bool{}
		for _, d := range ds {
			if settled[d.UserID] {
				continue
			}
			state := civicgrid.SMSSending
			if d.off {
				state = civicgrid.SMSOptedOut
			} else if d.SMS == civicgrid.SMSSending {
				// A message being sent again after a lost lease was
				// counted when first claimed.
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND sms_at >= $2 AND id <> $3
					AND (sms_state = 'sent' OR sms_state = 'sending')`, d.UserID, hourAgo, d.ID).Scan(&n); err != nil {
					return err
				}
				if n >= perHour {
					state = civicgrid.SMSLimited
				}
			} else {
				n, ok := spent[d.UserID]
				if !ok {
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND sms_at >= $2
						AND (sms_state = 'sent' OR sms_state = 'sending')`, d.UserID, hourAgo).Scan(&n); err != nil {
						return err
					}
				}
				if n >= perHour {
					state = civicgrid.SMSLimited
				}
				spent[d.UserID] = n
			}
			if d.SMS == civicgrid.SMSPending && state != civicgrid.SMSSending {
				// Every due message of this person ends alike (over the
				// limit, or text messages turned off): settle them at once.
				if _, err := tx.ExecContext(ctx, `UPDATE notifications SET sms_state = $1, sms_next_at = $2, sms_at = $3
					WHERE user_id = $4 AND sms_state = 'pending' AND sms_next_at <= $5`,
					string(state), lease.UnixMilli(), now.UnixMilli(), d.UserID, now.UnixMilli()); err != nil {
					return err
				}
				settled[d.UserID] = true
				continue
			}
			// Only if no other sender claimed it meanwhile (on PostgreSQL
			// the update waits for the other claim and then finds the row
			// changed).
			res, err := tx.ExecContext(ctx, `UPDATE notifications SET sms_state = $1, sms_next_at = $2, sms_at = $3
				WHERE id = $4 AND sms_state = $5 AND sms_next_at = $6`,
				string(state), lease.UnixMilli(), now.UnixMilli(), d.ID, string(d.SMS), d.next)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 && state == civicgrid.SMSSending && d.SMS == civicgrid.SMSPending {
				spent[d.UserID]++
			}
			if n, _ := res.RowsAffected(); n == 1 && state == civicgrid.SMSSending {
				d.SMS = state
				out = append(out, d.OutgoingSMS)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordSMS stores how sending went.
func (db *DB) RecordSMS(ctx context.Context, id int64, state civicgrid.SMSState, attempts, segments int, at, retryAt time.Time) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET sms_state = $1, sms_attempts = $2, sms_at = $3, sms_next_at = $4, sms_segments = $5 WHERE id = $6`,
			string(state), attempts, at.UnixMilli(), retryAt.UnixMilli(), segments, id)
		return err
	})
}

// SMSCost counts the text messages sent for the notifications of the
// sources and their billed messages (by the index notifications_source).
func (db *DB) SMSCost(ctx context.Context, sources []string) (civicgrid.SMSCost, error) {
	var c civicgrid.SMSCost
	if len(sources) == 0 {
		return c, nil
	}
	args := []any{string(civicgrid.SMSSent)}
	ph := make([]string, len(sources))
	for i, src := range sources {
		args = append(args, src)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(sms_segments), 0) FROM notifications WHERE source IN (`+strings.Join(ph, ", ")+`) AND sms_state = $1`,
		args...).Scan(&c.Sent, &c.Segments)
	return c, err
}

// exists reports whether query, run on a reader, returns a row: the check
// that lets the background senders leave the one write connection alone
// when they have nothing to take.
func (db *DB) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := db.rd.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
