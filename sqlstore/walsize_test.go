package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Under reads that always overlap, SQLite never starts its write-ahead log
// over by itself; the keeper must, or the log (and every read) grows with
// every commit.
func TestWALStaysBoundedUnderOverlappingReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const limit = 2 << 20
	db.wal.stop()
	db.wal.limit, db.wal.every = limit, 10*time.Millisecond
	db.wal.start(db)
	// As in a server, where the file is cut back to the same limit.
	if _, err := db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA journal_size_limit = %d`, limit)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE scratch (b BLOB)`); err != nil {
		t.Fatal(err)
	}

	// Four readers, each holding a read transaction open for a few
	// milliseconds, staggered so that one is always open.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				tx, err := db.read.BeginTx(ctx, nil)
				if err != nil {
					t.Error(err)
					return
				}
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM scratch`).Scan(&n); err != nil {
					t.Error(err)
				}
				time.Sleep(4 * time.Millisecond)
				tx.Rollback()
			}
		}()
	}
	// 48 MB of commits, 24 times the limit.
	blob := make([]byte, 64<<10)
	wal := filepath.Join(dir, SQLiteFile+"-wal")
	var largest int64
	for i := range 768 {
		blob[0] = byte(i)
		if _, err := db.write.ExecContext(ctx, `INSERT INTO scratch (b) VALUES ($1)`, blob); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(wal); err == nil && fi.Size() > largest {
			largest = fi.Size()
		}
	}
	close(stop)
	wg.Wait()
	if db.WALRestarts() == 0 {
		t.Errorf("the log was never started over")
	}
	// Between two looks of the keeper the log grows by a few commits; it
	// must never come near the 48 MB written.
	if largest > 8*limit {
		t.Errorf("the log reached %d MB under a limit of %d MB", largest>>20, limit>>20)
	}
	t.Logf("largest log %.1f MB, %d restarts", float64(largest)/(1<<20), db.WALRestarts())
}
