package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/civicgrid/civicgrid"
)

var _ civicgrid.TokenStore = (*DB)(nil)

// tokenPrefix makes leaked tokens easy to recognise in logs and by scanners.
const tokenPrefix = "cgt_"

// hashToken returns the stored form of a secret. Secrets are 256 random bits,
// so a fast hash is enough here (passwords, being guessable, get argon2id).
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken stores a new token and returns its secret, shown only now.
func (db *DB) CreateAPIToken(ctx context.Context, t civicgrid.APIToken) (string, int64, error) {
	if t.Name == "" || t.Role == "" {
		return "", 0, civicgrid.Errorf(civicgrid.EINVALID, "a token needs a name and a role")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", 0, err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var expires sql.NullInt64
	if !t.ExpiresAt.IsZero() {
		expires = sql.NullInt64{Int64: t.ExpiresAt.UnixMilli(), Valid: true}
	}
	var id int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, token_hash, role, area_code, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			t.Name, hashToken(secret), t.Role, t.AreaCode, db.now().UnixMilli(), expires).Scan(&id)
	})
	return secret, id, err
}

// AuthenticateAPIToken looks a secret up by its hash.
func (db *DB) AuthenticateAPIToken(ctx context.Context, secret string) (civicgrid.APIToken, error) {
	var (
		t                civicgrid.APIToken
		created          int64
		expires, revoked sql.NullInt64
	)
	err := db.read.QueryRowContext(ctx, `SELECT id, name, role, area_code, created_at, expires_at, revoked_at
		FROM api_tokens WHERE token_hash = $1`, hashToken(secret)).
		Scan(&t.ID, &t.Name, &t.Role, &t.AreaCode, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "unknown API token")
	} else if err != nil {
		return t, err
	}
	t.CreatedAt = time.UnixMilli(created)
	if expires.Valid {
		t.ExpiresAt = time.UnixMilli(expires.Int64)
		if !db.now().Before(t.ExpiresAt) {
			return civicgrid.APIToken{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "API token expired")
		}
	}
	if revoked.Valid {
		return civicgrid.APIToken{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "API token revoked")
	}
	return t, nil
}

// RevokeAPIToken ends a token at once.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			db.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no active token with id %d", id)
		}
		return nil
	})
}
