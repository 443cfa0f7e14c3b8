package sqlstore

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite in WAL mode appends every commit to the -wal file and starts the
// file over only when, at the start of a write, the whole log has been
// copied back into the database and no reader still reads from it. Under a
// steady flow of overlapping reads — a server with users — there is always
// such a reader, so the log is never started over: it grows without end
// (1.9 GB in 7 minutes under the scale suite's load with an escalation wave),
// and every page a reader looks up is searched for in the whole log's index,
// so every read slows down as it grows. The automatic checkpoint cannot help:
// it copies pages back but never waits for readers.
//
// The keeper also does the copying back: SQLite's automatic checkpoint runs
// inside the commit that pushes the log past 1,000 pages — and, once the log
// cannot start over, inside every commit after it — adding a sync of the
// database file to intake's commit path. The writer's automatic checkpoint
// is off (wal_autocheckpoint=0); the keeper runs a PASSIVE checkpoint from a
// connection of its own every tick, which copies pages back beside the
// writer without taking its lock or waiting for readers.
//
// walKeeper also watches the file's size and, past a limit, runs a RESTART
// checkpoint on the writer: it copies the log back and waits briefly (the
// writer's 100 ms busy timeout) for the readers of the old log to finish, so
// that the next commit starts the file over; journal_size_limit then cuts the
// file back to the limit. Readers that begin meanwhile read the database file
// and do not hold it up. When a long reader (an export) keeps it waiting, the
// checkpoint gives up and the keeper tries again on its next look.
type walKeeper struct {
	ckpt  *sql.DB       // one connection, for the PASSIVE checkpoints
	path  string        // the -wal file
	limit int64         // bytes
	every time.Duration // how often the size is looked at
	quit  chan struct{}
	wg    sync.WaitGroup
	// restarts counts checkpoints that started the log over, passive the
	// keeper's copying checkpoints (tests).
	mu                sync.Mutex
	restarts, passive int
	// unsynced: the writer does not sync (DB.Unsynced). The keeper then
	// leaves the copying to the restarts, which the writer makes without
	// a sync: a PASSIVE checkpoint from its own, synced connection would
	// sync the log and the database file every second.
	unsynced atomic.Bool
}

// walLimit is the log size past which the keeper restarts it: a few
// seconds of writes at full intake, small enough that lookups in the log's
// index stay cheap.
const walLimit = 64 << 20

func (k *walKeeper) start(db *DB) {
	k.quit = make(chan struct{})
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(k.every)
		defer t.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-t.C:
				k.check(db)
			}
		}
	}()
}

func (k *walKeeper) stop() {
	if k.quit == nil {
		return
	}
	close(k.quit)
	k.wg.Wait()
	k.quit = nil
}

// check copies the log back and restarts it when it has outgrown the limit.
func (k *walKeeper) check(db *DB) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var busy, logFrames, copied int
	if k.unsynced.Load() {
		// No copying beside the writer (see unsynced).
	} else if err := k.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err == nil {
		k.mu.Lock()
		k.passive++
		k.mu.Unlock()
	}
	fi, err := os.Stat(k.path)
	if err != nil || fi.Size() <= k.limit {
		return
	}
	// On the writer, which is shared with intake: the wait for readers is
	// bounded by its 100 ms busy timeout.
	if err := db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &logFrames, &copied); err != nil || busy != 0 {
		return
	}
	k.mu.Lock()
	k.restarts++
	k.mu.Unlock()
}

// WALRestarts says how many times the store's write-ahead log was started
// over because it outgrew its limit (SQLite; 0 on PostgreSQL).
func (db *DB) WALRestarts() int {
	if db.wal == nil {
		return 0
	}
	db.wal.mu.Lock()
	defer db.wal.mu.Unlock()
	return db.wal.restarts
}
