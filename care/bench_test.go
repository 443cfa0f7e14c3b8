package care_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// BenchmarkCareDue runs the care scheduler (RunScheduler, on the real
// clock, the case deadline scheduler's loop) over a store of N registered
// people: 10⁵, or 10⁶ with CIVICGRID_BENCH_LARGE=1 (10⁴ with -short).
//
//   - spread: all but K = 10 have their visit due between one hour and a
//     month from now (a registry's monthly round); the K fall due 400 ms
//     apart a few seconds from now.
//     It reports the largest lag from a due time to the moment its slot is
//     closed (seen by polling the due-time index every 5 ms, so lags are
//     known to about 5 ms).
//   - burst: every one of the N falls due at the same instant (a whole
//     registry entered in one morning with a weekly plan, the worst case),
//     and it reports the lag from that instant until the first slot is
//     closed (first-lag-ms: the first visitors can hear) and until the
//     last (max-lag-ms), with the default batches (batch=2000) and, side
//     by side in the same run, all in one transaction (batch=all, the
//     code before batches).
//
// The entries are written directly into care_entries with multi-row
// INSERTs (registering 10⁶ people through the service would test
// registration, not firing). Each call runs one round and ignores b.N
// (run with -benchtime=1x); ns/op means nothing.
func BenchmarkCareDue(b *testing.B) {
	n := 100_000
	switch {
	case testing.Short():
		n = 10_000
	case os.Getenv("CIVICGRID_BENCH_LARGE") == "1":
		n = 1_000_000
	}
	b.Run(fmt.Sprintf("spread/people=%d", n), func(b *testing.B) { benchCareDue(b, n, false, 0) })
	b.Run(fmt.Sprintf("burst/people=%d/batch=2000", n), func(b *testing.B) { benchCareDue(b, n, true, 0) })
	b.Run(fmt.Sprintf("burst/people=%d/batch=all", n), func(b *testing.B) { benchCareDue(b, n, true, -1) })
}

func benchCareDue(b *testing.B, n int, burst bool, batch int) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u, err := db.CreateUser(ctx, civicgrid.User{Name: "社区", Phone: "13900000000", Kind: civicgrid.KindStaff}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleCommunityStaff, AreaCode: community}}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "civicgrid.db")+"?_pragma=busy_timeout(10000)&_pragma=cache_size(-2000000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)

	// Loaded with the K (or, in a burst, all) due a year from now; then
	// the due times are set a few seconds ahead, once the load is done.
	start := time.Now().Truncate(time.Millisecond)
	const k = 10
	parked := start.Add(365 * 24 * time.Hour)
	r := rand.New(rand.NewPCG(5, 6))
	if err := insertEntries(ctx, raw, n, u.ID, func(i int) time.Time {
		if burst || i < k {
			return parked
		}
		return start.Add(time.Hour + time.Duration(r.Int64N(int64(30*24*time.Hour))))
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	t0 := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	if burst {
		t0 = t0.Add(loaded) // moving every due time takes a while too
	}
	due := func(i int) time.Time { return t0.Add(time.Duration(i) * 400 * time.Millisecond) }
	week := int64(7 * 24 * time.Hour / time.Millisecond)
	if burst {
		_, err = raw.ExecContext(ctx, `UPDATE care_entries SET due_at = ?, slot_start = ?`, t0.UnixMilli(), t0.UnixMilli()-week)
	} else {
		for i := range k {
			if _, err = raw.ExecContext(ctx, `UPDATE care_entries SET due_at = ?, slot_start = ? WHERE id = ?`, due(i).UnixMilli(), due(i).UnixMilli()-week, i+1); err != nil {
				break
			}
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	// Moving every due time wrote the whole table to the WAL: checkpoint
	// it now, or the scheduler's first commit pays for copying it back.
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	if time.Now().After(t0.Add(-500 * time.Millisecond)) {
		b.Fatalf("setting the due times took too long: the first due time has passed")
	}

	timed := &timedStore{DB: db, b: b}
	svc := care.New(care.Config{FireBatch: batch}, timed, db, testdb.Areas{}, nil)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	b.ResetTimer()
	go svc.RunScheduler(runCtx)
	// Watch the due-time index: a due time is fired when the earliest
	// pending due time has moved past it.
	var lags []time.Duration
	wants := []time.Time{t0}
	if !burst {
		wants = wants[:0]
		for i := range k {
			wants = append(wants, due(i))
		}
	}
	var first time.Duration
	if burst {
		for {
			var found int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM care_slots LIMIT 1)`).Scan(&found); err != nil {
				b.Fatal(err)
			}
			if found > 0 {
				first = time.Since(t0)
				b.Logf("first slot closed %s after the due time", first)
				break
			}
			if time.Since(t0) > time.Minute {
				b.Fatal("no slot closed after a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, want := range wants {
		for {
			next, err := db.NextCareDue(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if next.After(want) {
				lags = append(lags, time.Since(want))
				break
			}
			if time.Since(want) > 10*time.Minute {
				b.Fatalf("due %s not fired after ten minutes", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	b.StopTimer()
	stop()
	var worst time.Duration
	for _, l := range lags {
		worst = max(worst, l)
	}
	closed := 0
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM care_slots`).Scan(&closed); err != nil {
		b.Fatal(err)
	}
	if want := map[bool]int{true: n, false: k}[burst]; closed != want {
		b.Fatalf("closed %d slots, want %d", closed, want)
	}
	b.ReportMetric(float64(worst.Milliseconds()), "max-lag-ms")
	if timed.calls > 0 {
		b.ReportMetric(float64(timed.total.Milliseconds())/float64(timed.calls), "ms/batch")
		b.ReportMetric(float64(timed.worst.Milliseconds()), "slowest-batch-ms")
	}
	if burst {
		b.ReportMetric(float64(first.Milliseconds()), "first-lag-ms")
	}
	b.ReportMetric(loaded.Seconds(), "load-s")
	b.ReportMetric(float64(closed), "slots-closed")
}

// insertEntries writes n active entries (weekly plans) in one transaction,
// 500 to a statement.
func insertEntries(ctx context.Context, db *sql.DB, n int, registrar int64, due func(int) time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const rows = 500
	week := int64(7 * 24 * time.Hour / time.Millisecond)
	for i := 0; i < n; i += rows {
		var q strings.Builder
		q.WriteString(`INSERT INTO care_entries (building, name, kinds, risk, frequency_days, consent_by, consent_scope, consent_purpose,
			consent_at, status, slot_start, due_at, registered_by, registrar, created_at) VALUES `)
		var args []any
		for j := i; j < min(i+rows, n); j++ {
			if j > i {
				q.WriteString(",")
			}
			d := due(j).UnixMilli()
			q.WriteString("(?, ?, 'living_alone', 'high', 7, 'self', '探访', '关爱', ?, 'active', ?, ?, ?, '测*', ?)")
			args = append(args, fmt.Sprintf("4201020010010%02d%04d", j%100, j%10000), fmt.Sprintf("居民%d", j), d-week, d-week, d, registrar, d-week)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// timedStore times the scheduler's batches (the first few are logged: the
// first is what the first visitors wait for).
type timedStore struct {
	*sqlstore.DB
	b            *testing.B
	calls        int
	total, worst time.Duration
}

func (t *timedStore) CloseDueCareSlots(ctx context.Context, now time.Time, limit int) (int, error) {
	start := time.Now()
	n, err := t.DB.CloseDueCareSlots(ctx, now, limit)
	d := time.Since(start)
	if n > 0 {
		t.calls++
		t.total += d
		t.worst = max(t.worst, d)
		if t.calls <= 3 {
			t.b.Logf("batch %d: %d slots closed in %s", t.calls, n, d)
		}
	}
	return n, err
}
