package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

var _ civicgrid.TokenStore = (*DB)(nil)

// tokenPrefix makes leaked tokens easy to recognise in logs and by scanners.
const tokenPrefix = "cgt_"

// CreateAPIToken stores a new token and returns its secret, shown only now.
func (db *DB) CreateAPIToken(ctx context.Context, t civicgrid.APIToken, ev civicgrid.SecurityEvent) (string, civicgrid.APIToken, error) {
	if t.Name == "" || t.Role == "" {
		return "", t, civicgrid.Errorf(civicgrid.EINVALID, "a token needs a name and a role")
	}
	secret, err := randomSecret(tokenPrefix)
	if err != nil {
		return "", t, err
	}
	t.CreatedAt = time.UnixMilli(db.now().UnixMilli())
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, token_hash, role, area_code, detail, categories, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			t.Name, hashSecret(secret), t.Role, t.AreaCode, t.Detail, strings.Join(t.Categories, ","), nullID(t.CreatedBy),
			t.CreatedAt.UnixMilli(), msOrNull(t.ExpiresAt)).Scan(&t.ID); err != nil {
			return err
		}
		if ev.Detail == "" {
			ev.Detail = "token " + t.Name + " (" + t.Role + "@" + t.AreaCode + ")"
		}
		return db.insertEvent(ctx, tx, ev)
	})
	return secret, t, err
}

const tokenColumns = `id, name, role, area_code, detail, categories, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(sc interface{ Scan(...any) error }) (civicgrid.APIToken, error) {
	var (
		t                          civicgrid.APIToken
		cats                       string
		by                         sql.NullInt64
		created                    int64
		expires, revoked, lastUsed sql.NullInt64
	)
	err := sc.Scan(&t.ID, &t.Name, &t.Role, &t.AreaCode, &t.Detail, &cats, &by, &created, &expires, &revoked, &lastUsed)
	if cats != "" {
		t.Categories = strings.Split(cats, ",")
	}
	t.CreatedBy, t.CreatedAt = by.Int64, time.UnixMilli(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = timeOrZero(expires), timeOrZero(revoked), timeOrZero(lastUsed)
	return t, err
}

// AuthenticateAPIToken looks a secret up by its hash.
func (db *DB) AuthenticateAPIToken(ctx context.Context, secret string) (civicgrid.APIToken, error) {
	t, err := scanToken(db.rd.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hashSecret(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return civicgrid.APIToken{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "unknown API token")
	} else if err != nil {
		return civicgrid.APIToken{}, err
	}
	now := db.now()
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return civicgrid.APIToken{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "API token expired")
	}
	if !t.RevokedAt.IsZero() {
		return civicgrid.APIToken{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "API token revoked")
	}
	// Last use is kept to the hour: enough to find unused tokens, few writes.
	// Best effort, like a session's seen-time: a full disk or a busy writer
	// must not shut integrations out of reading.
	if now.Sub(t.LastUsedAt) > time.Hour {
		if _, err := db.wr.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), t.ID); err != nil {
			slog.Warn("API token last use not recorded", "token", t.ID, "err", err)
		}
	}
	return t, nil
}

// APITokenByID returns a token's record (never its secret).
func (db *DB) APITokenByID(ctx context.Context, id int64) (civicgrid.APIToken, error) {
	t, err := scanToken(db.rd.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, civicgrid.Errorf(civicgrid.ENOTFOUND, "no token with id %d", id)
	}
	return t, err
}

// ListAPITokens returns tokens made by createdBy, or lying in the given area
// subtrees; newest first.
func (db *DB) ListAPITokens(ctx context.Context, createdBy int64, within []string) ([]civicgrid.APIToken, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + itoa(len(args)) }
	conds := []string{"created_by = " + arg(createdBy)}
	if len(within) > 0 {
		conds = append(conds, scopeClause("area_code", within, arg))
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE `+strings.Join(conds, " OR ")+` ORDER BY id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanToken)
}

// RevokeAPIToken ends a token at once.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			db.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no active token with id %d", id)
		}
		return db.insertEvent(ctx, tx, ev)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
