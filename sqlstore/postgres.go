package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicgrid/civicgrid"
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
	return open(ctx, dbURL, dataDir, true)
}

// OpenUnmigrated opens the store like Open but applies no migration, so
// that MigrationStatus can show what is pending.
func OpenUnmigrated(ctx context.Context, dbURL, dataDir string) (*DB, error) {
	return open(ctx, dbURL, dataDir, false)
}

func open(ctx context.Context, dbURL, dataDir string, migrate bool) (*DB, error) {
	switch {
	case dbURL == "":
		return openSQLite(ctx, dataDir, migrate)
	case IsPostgresURL(dbURL):
		return openPostgres(ctx, dbURL, migrate)
	}
	return nil, fmt.Errorf("--db %q: want a postgres:// URL, or nothing for the embedded store", dbURL)
}

// OpenPostgres opens a PostgreSQL database and applies pending migrations.
// Several civicgrid instances may share it: writes are concurrent, and the
// pieces that must happen once (migrations, deadline escalations, webhook
// cursors) are guarded by locks or versioned updates.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	return openPostgres(ctx, url, true)
}

func openPostgres(ctx context.Context, url string, migrate bool) (*DB, error) {
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
		rd: &pool{db: conn, direct: true}, wr: &pool{db: conn, direct: true}, url: url, instance: newInstanceID()}
	db.intake, db.ballots = db.newIntake(), db.newBallots()
	if !migrate {
		return db, nil
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// caseEventsChannel is the PostgreSQL notification channel of case events.
const caseEventsChannel = "civicgrid_case_events"

// caseLogLock is the advisory lock that orders writes to the case log.
const caseLogLock = 727275

// lockCaseLog serialises transactions that write case events on
// PostgreSQL, from before their first read until their commit. Event ids
// then commit in increasing order, which the webhook cursors rely on (with
// concurrent writers a smaller id could commit after a larger one had been
// read, and be skipped), and an idempotency key is checked and stored
// without a race between instances. SQLite has one writer already. Intake
// still commits many reports per transaction (group commit).
func (db *DB) lockCaseLog(ctx context.Context, tx *Tx) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, caseLogLock)
	return err
}

// caseEventRef names a stored case event.
type caseEventRef struct{ caseID, eventID int64 }

// maxNotifyRefs keeps a notification's payload under PostgreSQL's 8,000
// bytes.
const maxNotifyRefs = 250

// notifyCaseEvents tells the other instances of events written in tx; the
// notification is delivered when tx commits. Payload: "<instance>
// <case>:<event> …".
func (db *DB) notifyCaseEvents(ctx context.Context, tx *Tx, refs []caseEventRef) error {
	if db.dialect != Postgres {
		return nil
	}
	for len(refs) > 0 {
		n := min(len(refs), maxNotifyRefs)
		var b strings.Builder
		b.WriteString(db.instance)
		for _, r := range refs[:n] {
			fmt.Fprintf(&b, " %d:%d", r.caseID, r.eventID)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, caseEventsChannel, b.String()); err != nil {
			return err
		}
		refs = refs[n:]
	}
	return nil
}

// ListenCaseEvents calls fn for every case event committed by another
// instance on the same PostgreSQL database, until ctx ends; it reconnects
// after a lost connection (events in the gap are not replayed: live
// clients reload on reconnecting). On SQLite there are no other instances
// and it returns at once.
func (db *DB) ListenCaseEvents(ctx context.Context, fn func(caseID, eventID int64)) error {
	if db.dialect != Postgres {
		return nil
	}
	var backoff reconnectBackoff
	for ctx.Err() == nil {
		listened, err := db.listenOnce(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		wait := backoff.next(listened)
		slog.Warn("case event listener lost its connection; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return nil
}

// reconnectBackoff is the wait before reconnecting: one second after a
// connection that worked, doubling after each attempt that did not, up to
// 30 s.
type reconnectBackoff struct{ wait time.Duration }

func (b *reconnectBackoff) next(connected bool) time.Duration {
	if connected || b.wait == 0 {
		b.wait = time.Second
	} else {
		b.wait = min(2*b.wait, 30*time.Second)
	}
	return b.wait
}

// listenOnce listens on one connection until it fails; listened says
// whether it got as far as listening.
func (db *DB) listenOnce(ctx context.Context, fn func(caseID, eventID int64)) (listened bool, err error) {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+caseEventsChannel); err != nil {
		return false, err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		fields := strings.Fields(n.Payload)
		if len(fields) < 2 || fields[0] == db.instance {
			continue
		}
		for _, f := range fields[1:] {
			c, e, _ := strings.Cut(f, ":")
			caseID, err1 := strconv.ParseInt(c, 10, 64)
			eventID, err2 := strconv.ParseInt(e, 10, 64)
			if err1 == nil && err2 == nil {
				fn(caseID, eventID)
			}
		}
	}
}

// CaseEventByID returns one event.
func (db *DB) CaseEventByID(ctx context.Context, id int64) (civicgrid.CaseEvent, error) {
	ev, err := scanCaseEvent(db.rd.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM case_events WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ev, civicgrid.Errorf(civicgrid.ENOTFOUND, "no case event %d", id)
	}
	return ev, err
}

func newInstanceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
