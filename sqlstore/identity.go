package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

var _ civicgrid.IdentityStore = (*DB)(nil)

// randomSecret returns 256 random bits, URL-safe, with a recognisable prefix.
func randomSecret(prefix string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// hashSecret returns the stored form of a random secret. Secrets are 256
// random bits, so a fast hash is enough (passwords, being guessable, get
// argon2id in the password package).
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func msOrNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func timeOrZero(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// insertEvent appends a security event inside tx.
func (db *DB) insertEvent(ctx context.Context, tx *Tx, ev civicgrid.SecurityEvent) error {
	if ev.Kind == "" {
		return nil // the caller has nothing to record
	}
	if ev.At.IsZero() {
		ev.At = db.now()
	}
	if ev.Outcome == "" {
		ev.Outcome = civicgrid.OutcomeOK
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO security_events (at, kind, outcome, actor_id, actor, target_user_id, area_code, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		ev.At.UnixMilli(), ev.Kind, ev.Outcome, nullID(ev.ActorID), ev.Actor, nullID(ev.TargetUserID), ev.AreaCode, ev.IP, ev.Detail)
	return err
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// AppendSecurityEvent records an event on its own.
func (db *DB) AppendSecurityEvent(ctx context.Context, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error { return db.insertEvent(ctx, tx, ev) })
}

// ListSecurityEvents returns events newest first.
func (db *DB) ListSecurityEvents(ctx context.Context, f civicgrid.EventFilter) ([]civicgrid.SecurityEvent, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Within != nil {
		where = append(where, scopeClause("area_code", f.Within, arg))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(f.Since.UnixMilli()))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(f.Until.UnixMilli()))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT id, at, kind, outcome, actor_id, actor, target_user_id, area_code, ip, detail FROM security_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.SecurityEvent
	for rows.Next() {
		var (
			e             civicgrid.SecurityEvent
			at            int64
			actor, target sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Outcome, &actor, &e.Actor, &target, &e.AreaCode, &e.IP, &e.Detail); err != nil {
			return nil, err
		}
		e.At, e.ActorID, e.TargetUserID = time.UnixMilli(at), actor.Int64, target.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}

// scopeClause matches column against area subtrees; a city's subtree also
// holds the empty code (objects tied to no area).
func scopeClause(column string, roots []string, arg func(any) string) string {
	if len(roots) == 0 {
		return "1 = 0"
	}
	var ors []string
	for _, r := range roots {
		if civicgrid.InSubtree(r, "") {
			ors = append(ors, column+" = ''")
		}
		ors = append(ors, column+" LIKE "+arg(civicgrid.SubtreePrefix(r)+"%"))
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

const userColumns = `u.id, u.name, u.phone, u.kind, u.password_hash, u.must_change_password, u.failed_logins, u.locked_until, u.created_at,
	` + linkedLogin

// linkedLogin says whether an external (OIDC) identity is tied to user u.
const linkedLogin = `EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id)`

func scanUser(sc interface{ Scan(...any) error }) (civicgrid.User, string, error) {
	var (
		u       civicgrid.User
		hash    sql.NullString
		locked  sql.NullInt64
		created int64
	)
	err := sc.Scan(&u.ID, &u.Name, &u.Phone, &u.Kind, &hash, &u.MustChangePassword, &u.FailedLogins, &locked, &created, &u.ExternalLogin)
	u.HasPassword = hash.Valid && hash.String != ""
	u.LockedUntil = timeOrZero(locked)
	u.CreatedAt = time.UnixMilli(created)
	return u, hash.String, err
}

// CreateUser makes an account with its first grants.
func (db *DB) CreateUser(ctx context.Context, u civicgrid.User, passwordHash string, grants []civicgrid.RoleGrant, ev civicgrid.SecurityEvent) (civicgrid.User, error) {
	if u.Kind == "" {
		u.Kind = civicgrid.KindStaff
	}
	ms := db.now().UnixMilli()
	err := db.inTx(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE phone = $1`, u.Phone).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "an account with phone %s exists already", civicgrid.MaskPhone(u.Phone))
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, phone, kind, password_hash, must_change_password, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			u.Name, u.Phone, u.Kind, nullIfEmpty(passwordHash), u.MustChangePassword, ms).Scan(&u.ID); err != nil {
			return err
		}
		for _, g := range grants {
			g.UserID = u.ID
			if _, err := insertGrant(ctx, tx, g, ms); err != nil {
				return err
			}
		}
		ev.TargetUserID = u.ID
		return db.insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.User{}, err
	}
	return db.UserByID(ctx, u.ID)
}

func insertGrant(ctx context.Context, tx *Tx, g civicgrid.RoleGrant, ms int64) (int64, error) {
	var touch audienceTouch
	if err := touch.note(ctx, tx, g.UserID); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO role_grants (user_id, role, area_code, detail, categories, granted_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, role, area_code, detail) DO NOTHING RETURNING id`,
		g.UserID, g.Role, g.AreaCode, g.Detail, strings.Join(g.Categories, ","), nullID(g.GrantedBy), ms).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, civicgrid.Errorf(civicgrid.ECONFLICT, "user %d already holds %s over %s", g.UserID, g.Role, g.AreaCode)
	}
	if err != nil {
		return 0, err
	}
	return id, touch.apply(ctx, tx)
}

// UserByID returns a user with their grants.
func (db *DB) UserByID(ctx context.Context, id int64) (civicgrid.User, error) {
	u, _, err := scanUser(db.rd.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, civicgrid.Errorf(civicgrid.ENOTFOUND, "no user with id %d", id)
	} else if err != nil {
		return u, err
	}
	users := []civicgrid.User{u}
	if err := db.attachGrants(ctx, users); err != nil {
		return u, err
	}
	return users[0], nil
}

// LoginRecordByPhone returns an account and its password hash.
func (db *DB) LoginRecordByPhone(ctx context.Context, phone string) (civicgrid.LoginRecord, error) {
	u, hash, err := scanUser(db.rd.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.phone = $1`, phone))
	if errors.Is(err, sql.ErrNoRows) {
		return civicgrid.LoginRecord{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no account with this phone")
	} else if err != nil {
		return civicgrid.LoginRecord{}, err
	}
	users := []civicgrid.User{u}
	if err := db.attachGrants(ctx, users); err != nil {
		return civicgrid.LoginRecord{}, err
	}
	return civicgrid.LoginRecord{User: users[0], PasswordHash: hash}, nil
}

// UserByPhone returns the account with a phone number, with its grants
// (no password hash).
func (db *DB) UserByPhone(ctx context.Context, phone string) (civicgrid.User, error) {
	rec, err := db.LoginRecordByPhone(ctx, phone)
	return rec.User, err
}

// ListUsers returns users ordered by id.
func (db *DB) ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.Within) == 0 && !f.All {
		return nil, nil
	}
	if f.All {
		f.Within = nil
	}
	if f.Within != nil || f.Role != "" {
		cond := "g.user_id = u.id"
		if f.Within != nil {
			cond += " AND " + scopeClause("g.area_code", f.Within, arg)
		}
		if f.Role != "" {
			cond += " AND g.role = " + arg(f.Role)
		}
		where = append(where, "EXISTS (SELECT 1 FROM role_grants g WHERE "+cond+")")
	}
	if f.After > 0 {
		where = append(where, "u.id > "+arg(f.After))
	}
	if f.CanLogIn {
		where = append(where, "(COALESCE(u.password_hash, '') <> '' OR "+linkedLogin+")")
	}
	q := `SELECT ` + userColumns + ` FROM users u`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY u.id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var users []civicgrid.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return users, db.attachGrants(ctx, users)
}

// attachGrants loads the grants of the given users.
func (db *DB) attachGrants(ctx context.Context, users []civicgrid.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[int64]int, len(users))
	ph := make([]string, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		byID[u.ID] = i
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = u.ID
		users[i].Grants = []civicgrid.RoleGrant{}
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT id, user_id, role, area_code, detail, categories, granted_by, created_at
		FROM role_grants WHERE user_id IN (`+strings.Join(ph, ",")+`) ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			g       civicgrid.RoleGrant
			cats    string
			by      sql.NullInt64
			created int64
		)
		if err := rows.Scan(&g.ID, &g.UserID, &g.Role, &g.AreaCode, &g.Detail, &cats, &by, &created); err != nil {
			return err
		}
		if cats != "" {
			g.Categories = strings.Split(cats, ",")
		}
		g.GrantedBy, g.CreatedAt = by.Int64, time.UnixMilli(created)
		i := byID[g.UserID]
		users[i].Grants = append(users[i].Grants, g)
	}
	return rows.Err()
}

// SetPassword stores a new password hash, clears failures and locks, and ends
// the user's sessions (a reset must log out whoever held the old password).
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = NULL
			WHERE id = $3`, hash, mustChange, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no user with id %d", userID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		ev.TargetUserID = userID
		return db.insertEvent(ctx, tx, ev)
	})
}

// RecordLoginFailure counts one failed password in a row; the count that
// reaches maxFailures locks the account.
func (db *DB) RecordLoginFailure(ctx context.Context, userID int64, maxFailures int, lockFor time.Duration, ev civicgrid.SecurityEvent) (int, time.Time, error) {
	var (
		failures int
		until    time.Time
	)
	now := db.now()
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`,
			userID).Scan(&failures); err != nil {
			return err
		}
		if maxFailures > 0 && failures >= maxFailures {
			until = now.Add(lockFor)
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2`,
				until.UnixMilli(), userID); err != nil {
				return err
			}
			ev.Kind = civicgrid.EventLoginLocked
			ev.Detail = strings.TrimSpace(ev.Detail + fmt.Sprintf(" locked until %s after %d failed logins", until.Format(time.RFC3339), failures))
		}
		ev.TargetUserID = userID
		return db.insertEvent(ctx, tx, ev)
	})
	return failures, until, err
}

// Unlock ends a lockout and clears the failure count.
func (db *DB) Unlock(ctx context.Context, userID int64, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no user with id %d", userID)
		}
		ev.TargetUserID = userID
		return db.insertEvent(ctx, tx, ev)
	})
}

// AddGrant gives a user a role.
func (db *DB) AddGrant(ctx context.Context, g civicgrid.RoleGrant, ev civicgrid.SecurityEvent) (civicgrid.RoleGrant, error) {
	ms := db.now().UnixMilli()
	err := db.inTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, g.UserID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no user with id %d", g.UserID)
		}
		id, err := insertGrant(ctx, tx, g, ms)
		if err != nil {
			return err
		}
		g.ID, g.CreatedAt = id, time.UnixMilli(ms)
		ev.TargetUserID = g.UserID
		return db.insertEvent(ctx, tx, ev)
	})
	return g, err
}

// RevokeGrant removes one grant of a user.
func (db *DB) RevokeGrant(ctx context.Context, userID, grantID int64, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var touch audienceTouch
		if err := touch.note(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE id = $1 AND user_id = $2`, grantID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "user %d has no grant %d", userID, grantID)
		}
		if err := touch.apply(ctx, tx); err != nil {
			return err
		}
		ev.TargetUserID = userID
		return db.insertEvent(ctx, tx, ev)
	})
}

// sessionPrefix marks session secrets.
const sessionPrefix = "cgs_"

// CreateSession stores a new session with a fresh secret and CSRF token.
func (db *DB) CreateSession(ctx context.Context, s civicgrid.Session, ev civicgrid.SecurityEvent) (string, civicgrid.Session, error) {
	secret, err := randomSecret(sessionPrefix)
	if err != nil {
		return "", s, err
	}
	if s.CSRFToken, err = randomSecret(""); err != nil {
		return "", s, err
	}
	now := db.now()
	s.CreatedAt, s.LastSeenAt = now, now
	if s.ExpiresAt.IsZero() {
		return "", s, fmt.Errorf("session without expiry")
	}
	if len(s.UserAgent) > 300 {
		s.UserAgent = s.UserAgent[:300]
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO sessions (secret_hash, user_id, csrf_token, via, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			hashSecret(secret), s.UserID, s.CSRFToken, s.Via, now.UnixMilli(), now.UnixMilli(), s.ExpiresAt.UnixMilli(), s.IP, s.UserAgent).Scan(&s.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, s.UserID); err != nil {
			return err
		}
		ev.TargetUserID = s.UserID
		return db.insertEvent(ctx, tx, ev)
	})
	return secret, s, err
}

// SessionBySecret returns a live session.
func (db *DB) SessionBySecret(ctx context.Context, secret string, idle time.Duration) (civicgrid.Session, error) {
	var (
		s                      civicgrid.Session
		created, seen, expires int64
	)
	if !strings.HasPrefix(secret, sessionPrefix) {
		return s, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "not a session")
	}
	err := db.rd.QueryRowContext(ctx, `SELECT id, user_id, csrf_token, via, created_at, last_seen_at, expires_at, ip, user_agent
		FROM sessions WHERE secret_hash = $1`, hashSecret(secret)).
		Scan(&s.ID, &s.UserID, &s.CSRFToken, &s.Via, &created, &seen, &expires, &s.IP, &s.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return civicgrid.Session{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "session unknown or ended; log in again")
	} else if err != nil {
		return civicgrid.Session{}, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
	return db.liveSession(ctx, s, idle)
}

// liveSession refuses an expired or idle session and refreshes its
// seen-time now and then.
func (db *DB) liveSession(ctx context.Context, s civicgrid.Session, idle time.Duration) (civicgrid.Session, error) {
	now := db.now()
	if !now.Before(s.ExpiresAt) || (idle > 0 && now.Sub(s.LastSeenAt) > idle) {
		return civicgrid.Session{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "session expired; log in again")
	}
	// Refreshing the seen-time on every request would make every read a write.
	// It is best effort: a full disk must not log everyone out of reading.
	if now.Sub(s.LastSeenAt) > time.Minute {
		if _, err := db.wr.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, now.UnixMilli(), s.ID); err != nil {
			slog.Warn("session seen-time not refreshed", "session", s.ID, "err", err)
		} else {
			s.LastSeenAt = now
		}
	}
	return s, nil
}

// SessionUser returns a live session with its user and the user's grants.
// Every logged-in request pays it, so what it read is kept in process and
// used again while the user's row in auth_versions — moved by triggers on
// every change to the user, the grants and the sessions, whoever makes it —
// still holds the version read with it: one point read instead of three
// tables, and a revocation still takes effect on the next request.
func (db *DB) SessionUser(ctx context.Context, secret string, idle time.Duration) (civicgrid.Session, civicgrid.User, error) {
	if !strings.HasPrefix(secret, sessionPrefix) {
		return civicgrid.Session{}, civicgrid.User{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "not a session")
	}
	key := hashSecret(secret)
	s, u, version, err := db.cachedSessionUser(ctx, key)
	if err != nil {
		return civicgrid.Session{}, civicgrid.User{}, err
	}
	seen := s.LastSeenAt
	s, err = db.liveSession(ctx, s, idle)
	if err != nil {
		return civicgrid.Session{}, civicgrid.User{}, err
	}
	if !s.LastSeenAt.Equal(seen) {
		db.sessions.put(key, s, u, version, db.now())
	}
	u.Grants = slices.Clone(u.Grants)
	return s, u, nil
}

// cachedSessionUser is the kept read of a session if its user's version has
// not moved since, otherwise a new read (kept in turn).
func (db *DB) cachedSessionUser(ctx context.Context, key string) (civicgrid.Session, civicgrid.User, int64, error) {
	now := db.now()
	if e, ok := db.sessions.get(key, now); ok {
		var v int64
		if err := db.rd.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM auth_versions WHERE user_id = $1), 0)`, e.user.ID).Scan(&v); err != nil {
			return civicgrid.Session{}, civicgrid.User{}, 0, err
		}
		if v == e.version {
			sessionCacheHits.Add(1)
			return e.session, e.user, v, nil
		}
	}
	s, u, v, err := db.readSessionUser(ctx, key)
	if err != nil {
		db.sessions.drop(key)
		return s, u, v, err
	}
	db.sessions.put(key, s, u, v, now)
	return s, u, v, nil
}

// readSessionUser reads a session, its user, the user's grants and the
// user's auth version in one query (one snapshot).
func (db *DB) readSessionUser(ctx context.Context, key string) (civicgrid.Session, civicgrid.User, int64, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT s.id, s.user_id, s.csrf_token, s.via, s.created_at, s.last_seen_at, s.expires_at, s.ip,
		s.user_agent, `+userColumns+`, COALESCE(av.n, 0), g.id, g.role, g.area_code, g.detail, g.categories, g.granted_by, g.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN auth_versions av ON av.user_id = u.id
		LEFT JOIN role_grants g ON g.user_id = u.id
		WHERE s.secret_hash = $1 ORDER BY g.id`, key)
	if err != nil {
		return civicgrid.Session{}, civicgrid.User{}, 0, err
	}
	defer rows.Close()
	var (
		s       civicgrid.Session
		u       civicgrid.User
		version int64
		found   bool
	)
	for rows.Next() {
		var (
			created, seen, expires int64
			hash                   sql.NullString
			locked                 sql.NullInt64
			userCreated            int64
			gID, gBy, gCreated     sql.NullInt64
			gRole, gArea, gDetail  sql.NullString
			gCats                  sql.NullString
		)
		if err := rows.Scan(&s.ID, &s.UserID, &s.CSRFToken, &s.Via, &created, &seen, &expires, &s.IP, &s.UserAgent,
			&u.ID, &u.Name, &u.Phone, &u.Kind, &hash, &u.MustChangePassword, &u.FailedLogins, &locked, &userCreated, &u.ExternalLogin,
			&version, &gID, &gRole, &gArea, &gDetail, &gCats, &gBy, &gCreated); err != nil {
			return civicgrid.Session{}, civicgrid.User{}, 0, err
		}
		if !found {
			found = true
			s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
			u.HasPassword = hash.Valid && hash.String != ""
			u.LockedUntil, u.CreatedAt = timeOrZero(locked), time.UnixMilli(userCreated)
			u.Grants = []civicgrid.RoleGrant{}
		}
		if gID.Valid {
			g := civicgrid.RoleGrant{ID: gID.Int64, UserID: u.ID, Role: gRole.String, AreaCode: gArea.String, Detail: gDetail.String,
				GrantedBy: gBy.Int64, CreatedAt: time.UnixMilli(gCreated.Int64)}
			if gCats.String != "" {
				g.Categories = strings.Split(gCats.String, ",")
			}
			u.Grants = append(u.Grants, g)
		}
	}
	if err := rows.Err(); err != nil {
		return civicgrid.Session{}, civicgrid.User{}, 0, err
	}
	if !found {
		return civicgrid.Session{}, civicgrid.User{}, 0, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "session unknown or ended; log in again")
	}
	return s, u, version, nil
}

// DeleteSession ends a session (logout); unknown secrets are ignored.
func (db *DB) DeleteSession(ctx context.Context, secret string, ev *civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE secret_hash = $1`, hashSecret(secret))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || ev == nil {
			return nil
		}
		return db.insertEvent(ctx, tx, *ev)
	})
}

func hashCode(phone, purpose, code string) string {
	return hashSecret(phone + "\x00" + purpose + "\x00" + code)
}

// CreateOneTimeCode stores a code, at most one per phone and purpose per minGap.
func (db *DB) CreateOneTimeCode(ctx context.Context, phone, purpose, code string, ttl, minGap time.Duration) error {
	now := db.now()
	return db.inTx(ctx, func(tx *Tx) error {
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM one_time_codes WHERE phone = $1 AND purpose = $2 AND created_at > $3`,
			phone, purpose, now.Add(-minGap).UnixMilli()).Scan(&recent); err != nil {
			return err
		}
		if recent > 0 {
			return civicgrid.Errorf(civicgrid.ETHROTTLED, "a code was sent to this phone less than %s ago; wait before asking again", minGap)
		}
		// A new code replaces older ones.
		if _, err := tx.ExecContext(ctx, `UPDATE one_time_codes SET used_at = $1 WHERE phone = $2 AND purpose = $3 AND used_at IS NULL`,
			now.UnixMilli(), phone, purpose); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO one_time_codes (phone, purpose, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			phone, purpose, hashCode(phone, purpose, code), now.UnixMilli(), now.Add(ttl).UnixMilli())
		return err
	})
}

// ConsumeOneTimeCode checks and uses up a code.
func (db *DB) ConsumeOneTimeCode(ctx context.Context, phone, purpose, code string, maxAttempts int) error {
	now := db.now()
	var wrong bool
	err := db.inTx(ctx, func(tx *Tx) error {
		var (
			id, expires int64
			stored      string
			attempts    int
		)
		err := tx.QueryRowContext(ctx, `SELECT id, code_hash, expires_at, attempts FROM one_time_codes
			WHERE phone = $1 AND purpose = $2 AND used_at IS NULL ORDER BY id DESC LIMIT 1`, phone, purpose).
			Scan(&id, &stored, &expires, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return civicgrid.Errorf(civicgrid.EINVALID, "no valid code for this phone; ask for a new one")
		} else if err != nil {
			return err
		}
		if now.UnixMilli() >= expires || attempts >= maxAttempts {
			return civicgrid.Errorf(civicgrid.EINVALID, "the code has expired or was tried too often; ask for a new one")
		}
		if subtle.ConstantTimeCompare([]byte(stored), []byte(hashCode(phone, purpose, code))) != 1 {
			wrong = true
			_, err := tx.ExecContext(ctx, `UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1`, id)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE one_time_codes SET used_at = $1 WHERE id = $2`, now.UnixMilli(), id)
		return err
	})
	if err == nil && wrong {
		return civicgrid.Errorf(civicgrid.EINVALID, "wrong code")
	}
	return err
}

// BuildingRoleKinds lists the configured building roles.
func (db *DB) BuildingRoleKinds(ctx context.Context) ([]civicgrid.BuildingRoleKind, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT key, name_zh, name_en FROM building_role_kinds ORDER BY created_at, key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.BuildingRoleKind
	for rows.Next() {
		var k civicgrid.BuildingRoleKind
		if err := rows.Scan(&k.Key, &k.NameZH, &k.NameEN); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddBuildingRoleKind adds a building role.
func (db *DB) AddBuildingRoleKind(ctx context.Context, k civicgrid.BuildingRoleKind, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO building_role_kinds (key, name_zh, name_en, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key) DO NOTHING`, k.Key, k.NameZH, k.NameEN, db.now().UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "building role %q exists already", k.Key)
		}
		return db.insertEvent(ctx, tx, ev)
	})
}

// LinkIdentity ties an external login to a user.
func (db *DB) LinkIdentity(ctx context.Context, issuer, subject string, userID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (issuer, subject) DO UPDATE SET user_id = excluded.user_id`, issuer, subject, userID, db.now().UnixMilli())
		return err
	})
}

// UserByIdentity finds the user an external login is tied to.
func (db *DB) UserByIdentity(ctx context.Context, issuer, subject string) (civicgrid.User, error) {
	var id int64
	err := db.rd.QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return civicgrid.User{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "this external account is not linked to a civicgrid user")
	} else if err != nil {
		return civicgrid.User{}, err
	}
	return db.UserByID(ctx, id)
}

// purgeBatch bounds the rows one purge transaction changes, so that the
// single writer is never held for long: after a long stop, or on a store
// whose retention period has just been shortened, there may be 10⁵ rows to
// purge, and intake waits behind each transaction.
const purgeBatch = 500

// The purge's queries, each changing at most $2 rows older than $1.
const (
	purgeSessionsQuery = `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)`
	purgeCodesQuery    = `DELETE FROM one_time_codes WHERE id IN (SELECT id FROM one_time_codes WHERE expires_at <= $1 LIMIT $2)`
	purgeEventIPsQuery = `UPDATE security_events SET ip = '' WHERE id IN (SELECT id FROM security_events WHERE ip <> '' AND at < $1 LIMIT $2)`
	purgeCasesQuery    = `UPDATE cases SET reporter_name = '', reporter_phone = '', address = '' WHERE id IN (SELECT id FROM cases
		WHERE status IN ('closed', 'rated', 'rejected', 'merged', 'cancelled')
		AND (reporter_name <> '' OR reporter_phone <> '' OR address <> '') AND updated_at < $1 LIMIT $2)`
)

// PurgePersonalData deletes expired sessions and old codes, blanks the IP
// addresses of security events before cutoff, and erases the reporter names,
// phones and addresses of cases finished before cutoff, in transactions of
// at most purgeBatch rows. Each query finds its rows through an index that
// holds only rows still to purge (migration 0048).
func (db *DB) PurgePersonalData(ctx context.Context, cutoff time.Time) (civicgrid.PurgeResult, error) {
	var r civicgrid.PurgeResult
	now := db.now().UnixMilli()
	steps := []struct {
		n     *int64
		query string
		arg   int64
	}{
		{&r.Sessions, purgeSessionsQuery, now},
		// Codes live minutes; a day's margin keeps the gap check meaningful.
		{&r.Codes, purgeCodesQuery, now - 24*3600*1000},
		{&r.EventIPs, purgeEventIPsQuery, cutoff.UnixMilli()},
		// Finished cases keep no caller names, phones or addresses past the
		// retention period; the case and its history stay for the record.
		{&r.Cases, purgeCasesQuery, cutoff.UnixMilli()},
	}
	for _, st := range steps {
		for {
			var n int64
			err := db.inTx(ctx, func(tx *Tx) error {
				res, err := tx.ExecContext(ctx, st.query, st.arg, purgeBatch)
				if err == nil {
					n, err = res.RowsAffected()
				}
				return err
			})
			if err != nil {
				return r, err
			}
			*st.n += n
			if n < purgeBatch {
				break
			}
		}
	}
	return r, nil
}
