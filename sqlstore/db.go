// Package sqlstore keeps civicgrid's data in SQL through database/sql. The
// queries are written once, with $N parameters and portable types, so the same
// text runs on the embedded SQLite store and on PostgreSQL; only the id column
// type differs per dialect and is filled into the migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/civicgrid/civicgrid"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Dialect names a SQL engine; it picks the id column type in migrations.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a civicgrid store. SQLite allows one writer at a time, so writes go
// through a pool of one connection (BEGIN IMMEDIATE: no lock upgrades, no
// SQLITE_BUSY mid-transaction) and reads through a separate pool that WAL lets
// run beside the writer.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	now     func() time.Time
	intake  *intakeBatcher // group commit of new cases (SQLite: the only one)
	// districtIntake is PostgreSQL's group commit of new cases, one per
	// district, so that districts commit beside each other (see intakeFor).
	districtIntake districtBatchers
	ballots        *ballotBatcher // group commit of secret ballots
	wal            *walKeeper     // SQLite: keeps the write-ahead log from growing without end
	rd, wr         *pool          // the pools with their prepared statements
	url            string         // PostgreSQL: the connection URL (for LISTEN)
	// instance tells this process's notifications from other instances'.
	instance string
	// lastNoSpace is when a write last failed on a full disk (Unix ms).
	lastNoSpace atomic.Int64
	// onBatch observes intake transactions (see ObserveIntake).
	onBatch func(size int, d time.Duration)
	// horizon is how far the case log is final (PostgreSQL; see logHorizon).
	horizon logHorizon
	// sessions keeps what SessionUser read, checked against auth_versions.
	sessions sessionCache
}

// Pools returns the connection pools by name, for their statistics:
// SQLite's single writer and its readers, or PostgreSQL's one pool.
func (db *DB) Pools() map[string]*sql.DB {
	if db.write == db.read {
		return map[string]*sql.DB{"main": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}

// OpenSQLite opens (creating if needed) the store in dataDir and applies
// pending migrations.
//
// Durability: WAL with synchronous=FULL, so an acknowledged write survives a
// process crash and a power loss. NORMAL would be faster but may lose the last
// commits on power loss, which breaks "acknowledged means kept".
func OpenSQLite(ctx context.Context, dataDir string) (*DB, error) {
	return openSQLite(ctx, dataDir, true)
}

func openSQLite(ctx context.Context, dataDir string, migrate bool) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, SQLiteFile)
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	pragmas := fmt.Sprintf("_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=journal_size_limit(%d)", walLimit)
	// The writer's busy wait is short: beginWrite waits for another
	// process's write lock in steps that heed the request's deadline.
	// The writer never checkpoints in its commits: the WAL keeper does,
	// beside it (walsize.go).
	// Its statement journals stay in memory (temp_store): past 64 KiB they
	// spilled to a temporary file, a third of the writer's file writes
	// under intake. Readers keep the default: a large sort may spill.
	write, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(100)&_pragma=wal_autocheckpoint(0)&_pragma=temp_store(MEMORY)&"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	// Keep the connections: a new one runs the pragmas, reads the schema
	// and prepares its statements again.
	read.SetMaxIdleConns(8)
	ckpt, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	db := &DB{dialect: SQLite, write: write, read: read, now: time.Now, rd: newPool(read), wr: newPool(write),
		wal: &walKeeper{ckpt: ckpt, path: path + "-wal", limit: walLimit, every: time.Second}}
	db.intake, db.ballots = db.newIntake(), db.newBallots()
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	db.wal.start(db)
	return db, nil
}

// ownerOnly makes the database file readable by its owner only: created
// 0600 when missing (SQLite gives the -wal and -shm files the database's
// mode), and an existing one, with its -wal and -shm, tightened to 0600.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&0o600); err != nil {
			return fmt.Errorf("make %s readable by its owner only: %w", p, err)
		}
	}
	return nil
}

// SetClock makes the store read time from now (tests move it; the server and
// the store must share one clock). Call it before use.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Close releases both pools.
func (db *DB) Close() error {
	db.districtIntake.stop()
	db.intake.stop()
	db.ballots.stop()
	if db.wal != nil {
		db.wal.stop()
		db.wal.ckpt.Close()
	}
	db.rd.close()
	db.wr.close()
	err1 := db.write.Close()
	var err2 error
	if db.read != db.write {
		err2 = db.read.Close()
	}
	if err1 != nil {
		return err1
	}
	return err2
}

// Dialect reports the SQL engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	idPK := map[Dialect]string{
		SQLite:   "INTEGER PRIMARY KEY",
		Postgres: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	}[db.dialect]
	// A table whose rows must not lie in insertion order (the secret
	// ballot box) has no rowid on SQLite; PostgreSQL has no such option.
	withoutRowID := map[Dialect]string{SQLite: "WITHOUT ROWID", Postgres: ""}[db.dialect]
	var ms []migration
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil {
			return nil, fmt.Errorf("migration file %s: name must start with a 4-digit version", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		text := strings.NewReplacer("@ID_PK@", idPK, "@WITHOUT_ROWID@", withoutRowID).Replace(dialectSections(string(b), db.dialect))
		ms = append(ms, migration{v, e.Name(), text})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// dialectSections keeps the lines of a migration meant for the dialect:
// after a line "-- dialect: sqlite" (or postgres) the lines are for that
// engine only, after "-- dialect: all" for both again. Most migrations
// have none: only what the engines cannot share (SQLite's FTS5 against
// PostgreSQL's tsvector) goes in such a section.
func dialectSections(text string, d Dialect) string {
	var b strings.Builder
	keep := true
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- dialect:"); ok {
			rest = strings.TrimSpace(rest)
			keep = rest == "all" || rest == string(d)
			continue
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String()
}

// afterMigration are steps in Go that a migration needs (filling a table
// from what SQL cannot compute), run in the migration's transaction.
var afterMigration = map[int]func(ctx context.Context, db *DB, tx *Tx) error{}

// MigrationStatus lists every known migration and whether it is applied.
type MigrationStatus struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero when pending
}

// Migrate applies pending migrations, each in its own transaction.
func (db *DB) Migrate(ctx context.Context) error {
	if db.dialect == Postgres {
		// Instances starting together migrate one after the other.
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(727274)`)
	}
	if err := db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	for i, m := range ms {
		if !status[i].AppliedAt.IsZero() {
			continue
		}
		err := db.inTx(ctx, func(tx *Tx) error {
			// A migration holds several statements: run it as text.
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if fn := afterMigration[m.version]; fn != nil {
				if err := fn(ctx, db, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, db.now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// MigrationStatus reports applied and pending migrations in version order.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	applied := map[int]int64{}
	if exists, err := db.hasTable(ctx, "schema_migrations"); err != nil || !exists {
		// A store never migrated: every migration is pending.
		out := make([]MigrationStatus, len(ms))
		for i, m := range ms {
			out[i] = MigrationStatus{Version: m.version, Name: m.name}
		}
		return out, err
	}
	rows, err := db.write.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[v] = at
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, len(ms))
	for i, m := range ms {
		out[i] = MigrationStatus{Version: m.version, Name: m.name}
		if at, ok := applied[m.version]; ok {
			out[i].AppliedAt = time.UnixMilli(at)
		}
	}
	return out, nil
}

// inTx runs fn in a write transaction, committing if it returns nil. The
// transaction is rolled back when ctx ends first, so a write never commits
// after its request was answered.
func (db *DB) inTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.beginWrite(ctx)
	if err == nil {
		if err = fn(&Tx{tx: tx, p: db.wr}); err != nil {
			tx.Rollback()
		} else {
			err = tx.Commit()
		}
	}
	if err = diskFull(err); civicgrid.NoSpace(err) {
		db.lastNoSpace.Store(db.now().UnixMilli())
	}
	return err
}

// Health reports a condition that keeps the store from serving: writes
// refused on a full disk within the last minute, or a database that does
// not answer a ping within two seconds.
func (db *DB) Health(ctx context.Context) error {
	if at := db.lastNoSpace.Load(); at != 0 && db.now().Sub(time.UnixMilli(at)) < time.Minute {
		return fmt.Errorf("database: disk full (a write was refused at %s)", time.UnixMilli(at).Format(time.RFC3339))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("database: not answering: %v", err)
	}
	return nil
}

// maxWriteWait bounds the wait for another process's SQLite write lock
// when ctx has no deadline (command-line tools).
const maxWriteWait = 10 * time.Second

// beginWrite starts a write transaction. SQLite's busy handler sleeps
// without heeding ctx, so while another process (a command-line tool)
// holds the write lock the wait is made here, in short busy waits, until
// ctx ends.
func (db *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	giveUp := time.Now().Add(maxWriteWait)
	for {
		tx, err := db.write.BeginTx(ctx, nil)
		var lite *sqlite.Error
		if err == nil || !errors.As(err, &lite) || lite.Code()&0xff != sqlite3.SQLITE_BUSY || ctx.Err() != nil || time.Now().After(giveUp) {
			return tx, err
		}
	}
}

// diskFull makes the engines' own reports of a full disk — SQLite's
// SQLITE_FULL (which is also what it makes of ENOSPC), PostgreSQL's
// disk_full (SQLSTATE 53100) — match syscall.ENOSPC, which
// civicgrid.ErrorCode turns into ENOSPACE. Every write passes here.
func diskFull(err error) error {
	var lite *sqlite.Error
	if errors.As(err, &lite) && lite.Code()&0xff == sqlite3.SQLITE_FULL {
		return noSpaceError{err}
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "53100" {
		return noSpaceError{err}
	}
	return err
}

type noSpaceError struct{ error }

func (e noSpaceError) Is(target error) bool { return target == syscall.ENOSPC }
func (e noSpaceError) Unwrap() error        { return e.error }

// SQL returns the connection pool that writes, bypassing the store: for
// tests that must change rows behind its back (simulated tampering) and for
// one-off maintenance.
func (db *DB) SQL() *sql.DB { return db.write }

// URL is the PostgreSQL connection URL ("" for the embedded store, which
// is named by its data directory).
func (db *DB) URL() string { return db.url }

// rowScanner is a *sql.Row or *sql.Rows, as the scan functions take them.
type rowScanner = interface{ Scan(...any) error }

// collect scans every row of rows with scan and closes them: the one loop
// of the list reads.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// hasTable says whether the store has the table name.
func (db *DB) hasTable(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.dialect == Postgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	err := db.write.QueryRowContext(ctx, q, name).Scan(&n)
	return n > 0, err
}

// The writer's page cache in Unsynced (64 MB) and otherwise (SQLite's
// default, 2 MB), as cache_size takes them: negative is KiB.
const bulkCacheKiB, defaultCacheKiB = -64 << 10, -2000

// Unsynced runs fn with SQLite's commits not waiting for the disk
// (synchronous=OFF), for seeding a new store in bulk — the demo's past —
// where a crash halfway leaves a store to throw away anyway, and a sync per
// commit was most of the time. Afterwards synchronous=FULL is back and a
// full checkpoint syncs everything written, before Unsynced returns. On
// PostgreSQL fn just runs.
func (db *DB) Unsynced(ctx context.Context, fn func() error) error {
	if db.dialect != SQLite {
		return fn()
	}
	// The writer pool holds one connection, so the pragma applies to every
	// write fn makes; a connection opened meanwhile would start synced.
	if _, err := db.write.ExecContext(ctx, `PRAGMA synchronous=OFF`); err != nil {
		return err
	}
	// Nor does the WAL keeper sync beside it (walKeeper.unsynced), and the
	// writer keeps more pages in memory: the seed rewrites the same index
	// and counter pages over and over, and SQLite's default 2 MB cache
	// read them back from the file again and again.
	db.wal.unsynced.Store(true)
	defer db.wal.unsynced.Store(false)
	if _, err := db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size=%d`, bulkCacheKiB)); err != nil {
		return err
	}
	err := fn()
	for _, pragma := range []string{`PRAGMA synchronous=FULL`, fmt.Sprintf(`PRAGMA cache_size=%d`, defaultCacheKiB)} {
		if _, e := db.write.ExecContext(context.WithoutCancel(ctx), pragma); e != nil && err == nil {
			err = e
		}
	}
	if _, e := db.write.ExecContext(context.WithoutCancel(ctx), `PRAGMA wal_checkpoint(FULL)`); e != nil && err == nil {
		err = e
	}
	return err
}
