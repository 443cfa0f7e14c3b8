package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

const open311KeyPrefix = "o311_"

// CreateOpen311Key makes an api_key for an Open311 client with its security
// event; the key is returned only here.
func (db *DB) CreateOpen311Key(ctx context.Context, name string, ev civicgrid.SecurityEvent) (key string, id int64, err error) {
	if key, err = randomSecret(open311KeyPrefix); err != nil {
		return "", 0, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO open311_keys (name, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			name, hashSecret(key), civicgrid.Open311KeyPrefix(key), db.now().UnixMilli()).Scan(&id); err != nil {
			return err
		}
		if ev.Detail == "" {
			ev.Detail = fmt.Sprintf("open311 key %d %s", id, name)
		}
		return db.insertEvent(ctx, tx, ev)
	})
	return key, id, err
}

// Open311Keys lists every key, newest first.
func (db *DB) Open311Keys(ctx context.Context) ([]civicgrid.Open311Key, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, name, key_prefix, created_at, revoked_at FROM open311_keys ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.Open311Key
	for rows.Next() {
		var k civicgrid.Open311Key
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, &created, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt = time.UnixMilli(created)
		if revoked.Valid {
			k.RevokedAt = time.UnixMilli(revoked.Int64)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AuthenticateOpen311Key returns the id and name of a live key.
func (db *DB) AuthenticateOpen311Key(ctx context.Context, key string) (int64, string, error) {
	var id int64
	var name string
	var revoked sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT id, name, revoked_at FROM open311_keys WHERE key_hash = $1`, hashSecret(key)).
		Scan(&id, &name, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked.Valid {
		return 0, "", civicgrid.Errorf(civicgrid.EFORBIDDEN, "api_key is missing, unknown or revoked")
	}
	return id, name, err
}

// RevokeOpen311Key ends a live key with its security event.
func (db *DB) RevokeOpen311Key(ctx context.Context, id int64, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no live Open311 key %d", id)
		}
		return db.insertEvent(ctx, tx, ev)
	})
}

// IdempotentCaseID returns the case stored under an idempotency key (0 if
// none); Open311 request tokens are such keys.
func (db *DB) IdempotentCaseID(ctx context.Context, scope, key string) (int64, error) {
	var id int64
	err := db.rd.QueryRowContext(ctx, `SELECT case_id FROM idempotency_keys WHERE scope = $1 AND idem_key = $2`, scope, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("idempotency key: %w", err)
	}
	return id, nil
}
