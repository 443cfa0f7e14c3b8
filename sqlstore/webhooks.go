package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

const webhookColumns = `id, name, url, within_code, actions, secret_salt, cursor_event, created_by, created_at, disabled_at, help_cursor`

func scanWebhook(sc interface{ Scan(...any) error }) (civicgrid.Webhook, error) {
	var (
		h         civicgrid.Webhook
		actions   string
		createdBy sql.NullInt64
		created   int64
		disabled  sql.NullInt64
	)
	if err := sc.Scan(&h.ID, &h.Name, &h.URL, &h.Within, &actions, &h.SecretSalt, &h.Cursor, &createdBy, &created, &disabled, &h.HelpCursor); err != nil {
		return h, err
	}
	for _, a := range splitList(actions) {
		h.Actions = append(h.Actions, civicgrid.CaseAction(a))
	}
	h.CreatedBy, h.CreatedAt, h.Disabled = createdBy.Int64, time.UnixMilli(created), disabled.Valid
	return h, nil
}

// CreateWebhook stores a hook whose cursor starts at the newest case event
// (no further than the log horizon, so that an event still being written
// below the newest is not skipped): it hears of what happens from now on.
func (db *DB) CreateWebhook(ctx context.Context, h civicgrid.Webhook) (civicgrid.Webhook, error) {
	actions := make([]string, len(h.Actions))
	for i, a := range h.Actions {
		actions[i] = string(a)
	}
	h.CreatedAt = db.now()
	horizon := int64(math.MaxInt64)
	if db.dialect == Postgres {
		last, err := db.lastEventID(ctx)
		if err == nil {
			horizon, err = db.logHorizon(ctx, last)
		}
		if err != nil {
			return h, err
		}
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_events WHERE id <= $1`, horizon).Scan(&h.Cursor); err != nil {
			return err
		}
		// The requests' log from its end too (volunteer requests).
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM volunteer_events`).Scan(&h.HelpCursor); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO webhooks (name, url, within_code, actions, secret_salt, cursor_event, created_by, created_at, help_cursor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, h.Name, h.URL, h.Within, strings.Join(actions, ","), h.SecretSalt,
			h.Cursor, nullID(h.CreatedBy), h.CreatedAt.UnixMilli(), h.HelpCursor).Scan(&h.ID)
	})
	return h, err
}

// Webhooks lists hooks, oldest first.
func (db *DB) Webhooks(ctx context.Context, includeDisabled bool) ([]civicgrid.Webhook, error) {
	q := `SELECT ` + webhookColumns + ` FROM webhooks`
	if !includeDisabled {
		q += ` WHERE disabled_at IS NULL`
	}
	rows, err := db.rd.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanWebhook)
}

// Webhook returns one hook.
func (db *DB) Webhook(ctx context.Context, id int64) (civicgrid.Webhook, error) {
	h, err := scanWebhook(db.rd.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, civicgrid.Errorf(civicgrid.ENOTFOUND, "no webhook %d", id)
	}
	return h, err
}

// DisableWebhook stops a hook; its pending deliveries are dropped to dead
// so they can still be replayed if it is wanted again.
func (db *DB) DisableWebhook(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL`, db.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no active webhook %d", id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'dead', last_error = 'webhook disabled'
			WHERE webhook_id = $1 AND state = 'pending'`, id)
		return err
	})
}

// EnqueueDeliveries adds deliveries and moves the hook's cursor, if it is
// still where the caller read it.
func (db *DB) EnqueueDeliveries(ctx context.Context, hookID, from, to int64, ds []civicgrid.WebhookDelivery) (bool, error) {
	return db.enqueueDeliveries(ctx, "cursor_event", "case", hookID, from, to, ds)
}

// EnqueueHelpDeliveries adds deliveries of request events and moves the
// hook's cursor of the requests' log, if it is still where the caller
// read it.
func (db *DB) EnqueueHelpDeliveries(ctx context.Context, hookID, from, to int64, ds []civicgrid.WebhookDelivery) (bool, error) {
	return db.enqueueDeliveries(ctx, "help_cursor", "request", hookID, from, to, ds)
}

func (db *DB) enqueueDeliveries(ctx context.Context, cursor, source string, hookID, from, to int64, ds []civicgrid.WebhookDelivery) (bool, error) {
	moved := false
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET `+cursor+` = $1 WHERE id = $2 AND `+cursor+` = $3 AND disabled_at IS NULL`, to, hookID, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		moved = true
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, case_id, event_type, payload, state,
				next_attempt_at, created_at, source) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)`,
				hookID, d.EventID, d.CaseID, d.Type, string(d.Payload), d.NextAttempt.UnixMilli(), d.CreatedAt.UnixMilli(), source); err != nil {
				return err
			}
		}
		return nil
	})
	return moved && err == nil, err
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.case_id, d.event_type, d.payload, d.state, d.attempts, d.next_attempt_at,
	d.last_status, d.last_error, d.created_at, d.delivered_at, h.url, h.secret_salt, d.source`

func scanDelivery(sc interface{ Scan(...any) error }) (civicgrid.WebhookDelivery, error) {
	var (
		d                civicgrid.WebhookDelivery
		payload, state   string
		next, created    int64
		delivered        sql.NullInt64
		lastErr, hookURL string
	)
	if err := sc.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.CaseID, &d.Type, &payload, &state, &d.Attempts, &next, &d.LastStatus,
		&lastErr, &created, &delivered, &hookURL, &d.SecretSalt, &d.Source); err != nil {
		return d, err
	}
	d.Payload, d.State, d.LastError, d.URL = []byte(payload), civicgrid.DeliveryState(state), lastErr, hookURL
	d.NextAttempt, d.CreatedAt, d.DeliveredAt = time.UnixMilli(next), time.UnixMilli(created), timeOrZero(delivered)
	return d, nil
}

// ClaimDueDeliveries leases due deliveries of active hooks to the caller.
func (db *DB) ClaimDueDeliveries(ctx context.Context, now, lease time.Time, limit int) ([]civicgrid.WebhookDelivery, error) {
	// Looked for first on a reader: the sender wakes after every intake
	// batch and mostly finds nothing due, and the write connection it
	// would take is the one intake waits for.
	if next, err := db.NextDeliveryDue(ctx); err != nil || next.IsZero() || next.After(now) {
		return nil, err
	}
	var out []civicgrid.WebhookDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND h.disabled_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT %d`, limit),
			now.UnixMilli())
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2`, lease.UnixMilli(), d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordDeliveryAttempt stores how an attempt went.
func (db *DB) RecordDeliveryAttempt(ctx context.Context, id int64, a civicgrid.DeliveryAttempt) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var delivered sql.NullInt64
		if a.State == civicgrid.DeliveryDelivered {
			delivered = msOrNull(a.At)
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, last_status = $4,
			last_error = $5, delivered_at = $6 WHERE id = $7`, string(a.State), a.Attempts, a.NextAttempt.UnixMilli(), a.Status, a.Error,
			delivered, id)
		return err
	})
}

// NextDeliveryDue returns the earliest pending attempt of an active hook.
func (db *DB) NextDeliveryDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
		WHERE d.state = 'pending' AND h.disabled_at IS NULL`).Scan(&next)
	return timeOrZero(next), err
}

// Deliveries lists a hook's deliveries, newest first, optionally in one state.
func (db *DB) Deliveries(ctx context.Context, hookID int64, state civicgrid.DeliveryState, limit int) ([]civicgrid.WebhookDelivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id WHERE d.webhook_id = $1`
	args := []any{hookID}
	if state != "" {
		q += ` AND d.state = $2`
		args = append(args, string(state))
	}
	rows, err := db.rd.QueryContext(ctx, fmt.Sprintf(q+` ORDER BY d.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDelivery)
}

// ReplayDeliveries requeues one delivery of a hook (any state but pending),
// or with deliveryID 0 all its dead ones.
func (db *DB) ReplayDeliveries(ctx context.Context, hookID, deliveryID int64, now time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		q := `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, last_error = '' WHERE webhook_id = $2 AND `
		args := []any{now.UnixMilli(), hookID}
		if deliveryID != 0 {
			q += `id = $3 AND state <> 'pending'`
			args = append(args, deliveryID)
		} else {
			q += `state = 'dead'`
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if deliveryID != 0 && n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "webhook %d has no delivery %d that is delivered or dead", hookID, deliveryID)
		}
		return nil
	})
	return int(n), err
}
