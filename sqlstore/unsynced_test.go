package sqlstore

import (
	"context"
	"errors"
	"testing"
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
	const off, full = 0, 2
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d before, want FULL (%d)", got, full)
	}
	boom := errors.New("boom")
	for _, fnErr := range []error{nil, boom} {
		err := db.Unsynced(ctx, func() error {
			if got := synchronous(); got != off {
				t.Errorf("synchronous = %d inside Unsynced, want OFF (%d)", got, off)
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
