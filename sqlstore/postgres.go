package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// IsPostgresURL reports whether s names a PostgreSQL database rather than
// the embedded store.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens the store named by dbURL (a postgres:// URL) or, when dbURL is
// empty, the embedded SQLite store in dataDir.
func Open(ctx context.Context, dbURL, dataDir string) (*DB, error) {
	switch {
	case dbURL == "":
		return OpenSQLite(ctx, dataDir)
	case IsPostgresURL(dbURL):
		return OpenPostgres(ctx, dbURL)
	}
	return nil, fmt.Errorf("--db %q: want a postgres:// URL, or nothing for the embedded store", dbURL)
}

// OpenPostgres opens a PostgreSQL database and applies pending migrations.
// Several civicgrid instances may share it: writes are concurrent, and the
// pieces that must happen once (migrations, deadline escalations, webhook
// cursors) are guarded by locks or versioned updates.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	conn, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(32)
	conn.SetMaxIdleConns(16)
	conn.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.PingContext(pingCtx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	// pgx keeps prepared statements per connection itself: no second cache.
	db := &DB{dialect: Postgres, write: conn, read: conn, now: time.Now,
		rd: &pool{db: conn, direct: true}, wr: &pool{db: conn, direct: true}, url: url}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// isUniqueViolation reports a unique constraint failure on either engine.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
