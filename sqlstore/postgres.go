package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// districtLockClass is the first key of the case log's district locks
// (pg_advisory_xact_lock(class, district)); the second is a hash of the
// district's code.
const districtLockClass = 727275

// lockDistricts serialises, on PostgreSQL, the transactions that write case
// events in the same districts (the district of each case's grid), from
// before their first read until their commit; transactions in other
// districts run beside them. A transaction touching several districts (an
// escalation wave, a merge across a boundary) takes their locks in
// ascending key order, as every transaction does, so two never wait for
// each other in a cycle.
//
// Within a district, events therefore commit in the order of their log ids,
// and an idempotency key (whose retries carry the same body, so the same
// district) is checked and stored without a race between instances. Across
// districts a smaller id may commit after a larger one: the log's readers
// only read up to the log horizon (see logHorizon), so they never skip it.
// Before it returns the transaction has its transaction id, so that any
// event id it allocates later is covered by the horizon's snapshots.
// SQLite has one writer already. Intake still commits many reports per
// transaction (group commit).
func (db *DB) lockDistricts(ctx context.Context, tx *Tx, grids ...string) error {
	if db.dialect != Postgres {
		return nil
	}
	keys := districtLockKeys(grids)
	for i, k := range keys {
		q := `SELECT pg_advisory_xact_lock($1, $2)`
		if i == len(keys)-1 {
			q = `SELECT pg_advisory_xact_lock($1, $2), pg_current_xact_id()`
		}
		if _, err := tx.ExecContext(ctx, q, districtLockClass, k); err != nil {
			return err
		}
	}
	return nil
}

// districtOf is the district of an area code: its first six digits.
func districtOf(code string) string {
	if len(code) > 6 {
		return code[:6]
	}
	return code
}

// districtLockKeys are the lock keys of the grids' districts, ascending,
// each once (at least one: a case without a grid locks the key of "").
func districtLockKeys(grids []string) []int32 {
	keys := make([]int32, 0, 1)
	for _, g := range grids {
		h := fnv.New32a()
		h.Write([]byte(districtOf(g)))
		keys = append(keys, int32(h.Sum32()))
	}
	if len(keys) == 0 {
		keys = append(keys, districtLockKeys([]string{""})...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
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

// The log horizon. On PostgreSQL transactions of different districts write
// case events beside each other, so event ids (allocated as each event is
// written) do not commit in order: a reader that has passed id 101 must not
// lose id 100 when it commits a moment later. EventsAfter therefore reads
// only up to the horizon: the highest id such that every transaction that
// could still commit an event at or below it has ended. It is found by
// marks: the last id allocated, then — in a later statement — a snapshot
// and a transaction id of the reader's own. Every writer has its
// transaction id before it allocates an event id (see lockDistricts), so a
// writer that allocated an id up to the mark and had not ended is, in that
// snapshot, either in progress (its in-progress list) or above the
// snapshot's xmax (a transaction id assigned after the latest one to end)
// and below the reader's own id, assigned after the snapshot. Once no
// transaction of that set is in progress, every id up to the mark is final.
// A reader waits for that up to maxHorizonWait (about the length of the
// writes in flight), then reads up to the horizon it has. A mark costs a
// transaction id and is made only when ids were allocated since the last.
// SQLite has one writer, whose ids commit in order: no horizon.
//
// The horizon waits for every write transaction that was running, not only
// the case log's: a write transaction left open for long (a session idle in
// a transaction) holds the readers back (never loses an event) until it
// ends.
type logHorizon struct {
	mu      sync.Mutex
	safe    int64        // every event id up to safe is final
	pending *horizonMark // the next mark, not yet final
}

type horizonMark struct {
	upTo int64      // the last event id allocated when the mark was made
	snap pgSnapshot // taken just after
	own  uint64     // the reader's transaction id, assigned after snap
}

// maybeRunning says whether transaction x may have been in progress at
// the mark: in its snapshot's list, or assigned between its xmax and the
// reader's own id.
func (m *horizonMark) maybeRunning(x uint64) bool {
	return slices.Contains(m.snap.xip, x) || (x >= m.snap.xmax && x < m.own)
}

// final says whether every transaction that may have been in progress at
// the mark has ended, as of snapshot now (taken later).
func (m *horizonMark) final(now pgSnapshot) bool {
	if now.xmax <= m.own {
		return false // cannot happen (the reader's own transaction has ended), but then nothing is known
	}
	for _, x := range now.xip {
		if m.maybeRunning(x) {
			return false
		}
	}
	return true
}

// maxHorizonWait bounds how long a reader waits for the horizon to move
// past its cursor.
const maxHorizonWait = time.Second

// logHorizon returns the highest event id up to which the log is final,
// waiting up to maxHorizonWait for it to reach want (a reader's cursor + 1).
func (db *DB) logHorizon(ctx context.Context, want int64) (int64, error) {
	if db.dialect != Postgres {
		return math.MaxInt64, nil
	}
	giveUp := time.Now().Add(maxHorizonWait)
	wait := time.Millisecond
	for {
		safe, settled, err := db.horizon.advance(ctx, db)
		if err != nil || safe >= want || settled || !time.Now().Before(giveUp) {
			return safe, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// advance moves the horizon as far as it can now: the pending mark is
// final once none of its transactions is running, and then a new mark is
// made. settled says nothing is pending (every allocated id is final).
func (h *logHorizon) advance(ctx context.Context, db *DB) (safe int64, settled bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending != nil {
		now, err := db.snapshot(ctx)
		if err != nil {
			return h.safe, false, err
		}
		if h.pending.final(now) {
			h.safe, h.pending = max(h.safe, h.pending.upTo), nil
		}
	}
	if h.pending == nil {
		last, err := db.lastEventID(ctx)
		if err != nil || last <= h.safe {
			return h.safe, err == nil, err
		}
		// In a statement after the sequence's read: its snapshot is taken
		// as it starts, the reader's transaction id during it.
		m := &horizonMark{upTo: last}
		var snap string
		if err := db.rd.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text, pg_current_xact_id()::text::bigint`).Scan(&snap, &m.own); err != nil {
			return h.safe, false, err
		}
		if m.snap, err = parseSnapshot(snap); err != nil {
			return h.safe, false, err
		}
		if len(m.snap.xip) == 0 && m.snap.xmax == m.own {
			h.safe = last // nothing else was in progress
		} else {
			h.pending = m
		}
	}
	return h.safe, h.pending == nil, nil
}

// lastEventID is the last case event id allocated (PostgreSQL), committed
// or not.
func (db *DB) lastEventID(ctx context.Context) (int64, error) {
	var last sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT pg_sequence_last_value(pg_get_serial_sequence('case_events', 'id')::regclass)`).Scan(&last)
	return last.Int64, err
}

// pgSnapshot is a PostgreSQL snapshot: every transaction id below xmin has
// ended, those in xip were in progress, and none from xmax on had ended.
type pgSnapshot struct {
	xmin, xmax uint64
	xip        []uint64
}

// snapshot takes a snapshot of the transactions in progress.
func (db *DB) snapshot(ctx context.Context) (pgSnapshot, error) {
	var snap string
	if err := db.rd.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&snap); err != nil {
		return pgSnapshot{}, err
	}
	return parseSnapshot(snap)
}

// parseSnapshot reads a pg_snapshot's text form, "xmin:xmax:xip,xip,…".
func parseSnapshot(text string) (pgSnapshot, error) {
	var s pgSnapshot
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return s, fmt.Errorf("snapshot %q: want xmin:xmax:xip", text)
	}
	var err1, err2 error
	s.xmin, err1 = strconv.ParseUint(parts[0], 10, 64)
	s.xmax, err2 = strconv.ParseUint(parts[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("snapshot %q: %w", text, err)
	}
	for f := range strings.SplitSeq(parts[2], ",") {
		if f == "" {
			continue
		}
		x, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return s, fmt.Errorf("snapshot %q: %w", text, err)
		}
		s.xip = append(s.xip, x)
	}
	return s, nil
}
