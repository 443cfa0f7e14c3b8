package sqlstore

import (
	"context"
	"os"
	"sync"
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
// walKeeper watches the file's size and, past a limit, runs a RESTART
// checkpoint on the writer: it copies the log back and waits briefly (the
// writer's 100 ms busy timeout) for the readers of the old log to finish, so
// that the next commit starts the file over; journal_size_limit then cuts the
// file back to the limit. Readers that begin meanwhile read the database file
// and do not hold it up. When a long reader (an export) keeps it waiting, the
// checkpoint gives up and the keeper tries again on its next look.
type walKeeper struct {
	path  string        // the -wal file
	limit int64         // bytes
	every time.Duration // how often the size is looked at
	quit  chan struct{}
	wg    sync.WaitGroup
	// restarts counts checkpoints that started the log over (tests).
	mu       sync.Mutex
	restarts int
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
}

// check restarts the log when it has outgrown the limit.
func (k *walKeeper) check(db *DB) {
	fi, err := os.Stat(k.path)
	if err != nil || fi.Size() <= k.limit {
		return
	}
	// Bounded: the writer is shared with intake, which must not wait long.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var busy, logFrames, copied int
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
