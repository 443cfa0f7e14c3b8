package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestUnsyncedRestoresFullSync: inside Unsynced the writer does not sync
// each commit; afterwards it does again, whatever fn returned, and what fn
// wrote is there.
func TestUnsyncedRestoresFullSync(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	synchronous := func() int {
		var n int
		if err := db.write.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cache := func() int {
		var n int
		if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const off, full = 0, 2
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d before, want FULL (%d)", got, full)
	}
	if got := cache(); got != defaultCacheKiB {
		t.Fatalf("cache_size = %d before, want %d", got, defaultCacheKiB)
	}
	boom := errors.New("boom")
	for _, fnErr := range []error{nil, boom} {
		err := db.Unsynced(ctx, func() error {
			if got := synchronous(); got != off {
				t.Errorf("synchronous = %d inside Unsynced, want OFF (%d)", got, off)
			}
			if got := cache(); got != bulkCacheKiB || !db.wal.unsynced.Load() {
				t.Errorf("inside Unsynced: cache_size = %d (want %d), keeper told %v", got, bulkCacheKiB, db.wal.unsynced.Load())
			}
			if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS unsynced_probe (n INTEGER)`); err != nil {
				return err
			}
			_, err := db.write.ExecContext(ctx, `INSERT INTO unsynced_probe (n) VALUES (1)`)
			if err != nil {
				return err
			}
			return fnErr
		})
		if !errors.Is(err, fnErr) {
			t.Errorf("Unsynced = %v, want %v", err, fnErr)
		}
		if got := synchronous(); got != full {
			t.Errorf("synchronous = %d after Unsynced, want FULL (%d)", got, full)
		}
		if got := cache(); got != defaultCacheKiB || db.wal.unsynced.Load() {
			t.Errorf("after Unsynced: cache_size = %d (want %d), keeper told %v", got, defaultCacheKiB, db.wal.unsynced.Load())
		}
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM unsynced_probe`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows written inside Unsynced: %d, %v; want 2", n, err)
	}
}

// The writer keeps its statement journals in memory (temp_store=MEMORY): a
// batch's upserts modify pages already dirty in the transaction, and the
// journal of those statements spilled to a temporary file past 64 KiB — a
// third of the writer's file writes in the intake profile
// (docs/benchmarks.md).
func TestWriterKeepsTemporaryFilesInMemory(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const memory = 2
	var n int
	if err := db.write.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != memory {
		t.Errorf("writer: temp_store = %d, want MEMORY (%d)", n, memory)
	}
}

// TestUnsyncedKeeperDoesNotSync: while the writer does not sync, the WAL
// keeper makes no checkpoint of its own (each would sync the log and the
// database file) but still starts the log over past its limit; afterwards
// it copies the log back again.
func TestUnsyncedKeeperDoesNotSync(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.wal.stop()
	db.wal.limit, db.wal.every = 256<<10, 5*time.Millisecond
	db.wal.start(db)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE scratch (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	counts := func() (passive, restarts int) {
		db.wal.mu.Lock()
		defer db.wal.mu.Unlock()
		return db.wal.passive, db.wal.restarts
	}
	blob := make([]byte, 32<<10)
	var inside, restartsInside int
	if err := db.Unsynced(ctx, func() error {
		p0, r0 := counts()
		for i := range 200 {
			blob[0] = byte(i)
			if _, err := db.write.ExecContext(ctx, `INSERT INTO scratch (b) VALUES ($1)`, blob); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
		p1, r1 := counts()
		inside, restartsInside = p1-p0, r1-r0
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if inside != 0 {
		t.Errorf("the keeper made %d checkpoints of its own inside Unsynced", inside)
	}
	if restartsInside == 0 {
		t.Errorf("the log was never started over inside Unsynced")
	}
	p0, _ := counts()
	deadline := time.Now().Add(5 * time.Second)
	for p, _ := counts(); p == p0 && time.Now().Before(deadline); p, _ = counts() {
		time.Sleep(5 * time.Millisecond)
	}
	if p, _ := counts(); p == p0 {
		t.Errorf("the keeper did not copy the log back after Unsynced")
	}
}
