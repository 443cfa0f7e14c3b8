package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/civicgrid/civicgrid"
)

const open311KeyPrefix = "o311_"

// CreateOpen311Key makes an api_key for an Open311 client; the key is
// returned only here.
func (db *DB) CreateOpen311Key(ctx context.Context, name string) (key string, id int64, err error) {
	if key, err = randomSecret(open311KeyPrefix); err != nil {
		return "", 0, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO open311_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id`,
			name, hashSecret(key), db.now().UnixMilli()).Scan(&id)
	})
	return key, id, err
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

// RevokeOpen311Key ends a key.
func (db *DB) RevokeOpen311Key(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no live Open311 key %d", id)
		}
		return nil
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
