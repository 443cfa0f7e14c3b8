package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// When the earliest caller's deadline cuts a batch's transaction (the
// batch waited for the writer past it), the callers whose time is up are
// answered and the others are written again together — not one by one,
// which under load fell further behind with every batch.
func TestBatchCutByADeadlineIsWrittenAgainTogether(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h",
		ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sizes []int
	db.ObserveIntake(func(size int, _ time.Duration) {
		mu.Lock()
		sizes = append(sizes, size)
		mu.Unlock()
	})
	pending := func(ctx context.Context) *pendingCreate {
		now := time.Now()
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
			GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now, Version: 1}
		return &pendingCreate{ctx: ctx, done: make(chan createResult, 1),
			req: createRequest{c: c, ev: civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}}}
	}
	// Another process holds SQLite's write lock.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}

	// A batch of twenty reports with little time left and twenty with
	// plenty waits for the lock past the earliest deadline.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	long, cancelLong := context.WithTimeout(ctx, time.Minute)
	defer cancelLong()
	var batch, shorts, longs []*pendingCreate
	for range 20 {
		s, l := pending(short), pending(long)
		batch, shorts, longs = append(batch, s, l), append(shorts, s), append(longs, l)
	}
	committed := make(chan struct{})
	go func() { db.commitBatch(batch); close(committed) }()
	for _, p := range shorts {
		if res := <-p.done; !errors.Is(res.err, context.DeadlineExceeded) {
			t.Errorf("a report past its deadline: %v, want the deadline", res.err)
		}
	}
	// Only then is the lock let go.
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	<-committed
	for _, p := range longs {
		if res := <-p.done; res.err != nil || res.c.ID == 0 {
			t.Errorf("a report with time left: %+v", res)
		}
	}
	// The twenty with time left went in one transaction, after the batch of
	// forty was cut (unless the short deadline passed before it was even
	// tried, on a slow machine); none went alone.
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) == 0 || sizes[len(sizes)-1] != 20 || len(sizes) > 2 || slices.Contains(sizes, 1) {
		t.Errorf("intake transactions of sizes %v, want [40 20]", sizes)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil || n != 20 {
		t.Errorf("%d cases stored (%v), want 20", n, err)
	}
}
