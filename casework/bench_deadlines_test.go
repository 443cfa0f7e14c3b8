package casework_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/workcal"
)

// BenchmarkDeadlines runs the escalation scheduler (RunScheduler, on the
// real clock) over a store holding N open cases with a running deadline:
// 10⁵, or 10⁶ with CIVICGRID_BENCH_LARGE=1 (10⁴ with -short). All but K = 20
// are due between one hour and two weeks from now; the K fall due at known
// instants a few seconds from now, in two bursts of ten 400 ms apart with a
// quiet gap of about seven seconds between them.
//
// It reports the lag from each of the K deadlines to the moment its
// escalation is stored (the service's change listener is called after the
// commit), and the process's CPU time (user + system, getrusage) over five
// seconds of the quiet gap, in per cent of one core. The open cases are
// written directly into the cases table with multi-row INSERTs (the far
// ones in one transaction, then the K in another), with the columns intake
// fills (status, deadlines, the due-time index column next_deadline, grid,
// category, times); filing 10⁶ reports through intake would take many
// minutes and test intake rather than the scheduler.
//
// A round takes about 17 s after the load, so each call runs one round and
// ignores b.N (run it with -benchtime=1x); its ns/op is the length of the
// round, load included, and means nothing.
func BenchmarkDeadlines(b *testing.B) {
	n := 100_000
	switch {
	case testing.Short():
		n = 10_000
	case os.Getenv("CIVICGRID_BENCH_LARGE") == "1":
		n = 1_000_000
	}
	b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) { benchDeadlines(b, n) })
}

const (
	burst      = 10                     // deadlines per burst
	burstStep  = 400 * time.Millisecond // between deadlines of a burst
	quietGap   = 7 * time.Second        // from the last deadline of the first burst to the first of the second
	quietSpan  = 5 * time.Second        // measured inside the gap
	quietStart = time.Second            // after the last deadline of the first burst
)

func benchDeadlines(b *testing.B, n int) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cal, err := workcal.Default()
	if err != nil {
		b.Fatal(err)
	}
	svc := casework.New(casework.Config{}, db, db, nil, cal, nil)
	if err := svc.SeedCatalogue(ctx); err != nil {
		b.Fatal(err)
	}
	grids, cats := demoGridsAndCategories(b)

	// The open cases whose deadlines are far off.
	start := time.Now()
	// A connection of its own for the load, with a large page cache.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "civicgrid.db")+
		"?_pragma=busy_timeout(10000)&_pragma=cache_size(-2000000)&_pragma=temp_store(memory)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	r := rand.New(rand.NewPCG(3, 4))
	far := func(i int) openCase {
		due := start.Add(time.Hour + time.Duration(r.Int64N(int64(14*24*time.Hour))))
		return newOpenCase(i, due, grids[r.IntN(len(grids))], cats[r.IntN(len(cats))].Code, r)
	}
	if err := insertOpenCases(ctx, raw, n-2*burst, far); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)

	// The K cases due soon, at whole milliseconds (the store's resolution).
	t0 := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	t1 := t0.Add((burst-1)*burstStep + quietGap)
	var due []time.Time
	for i := range burst {
		due = append(due, t0.Add(time.Duration(i)*burstStep))
	}
	for i := range burst {
		due = append(due, t1.Add(time.Duration(i)*burstStep))
	}
	k := 0
	soon := func(i int) openCase {
		c := newOpenCase(i, due[k], grids[r.IntN(len(grids))], cats[r.IntN(len(cats))].Code, r)
		k++
		return c
	}
	if err := insertOpenCases(ctx, raw, len(due), soon); err != nil {
		b.Fatal(err)
	}
	var open int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE next_deadline IS NOT NULL`).Scan(&open); err != nil {
		b.Fatal(err)
	}
	if open != n {
		b.Fatalf("%d open cases with a deadline, want %d", open, n)
	}
	if time.Until(t0) < time.Second {
		b.Fatalf("loading the due cases took too long: the first is due in %v", time.Until(t0))
	}

	// Escalations as the listener hears of them, after their commit.
	var mu sync.Mutex
	stored := map[int64]time.Time{} // next_deadline missed (ms) → when stored
	var extra []string
	svc.OnEvent(func(c civicgrid.Case, ev civicgrid.CaseEvent) {
		at := time.Now()
		if ev.Action != civicgrid.CaseEscalate {
			return
		}
		missed, err := time.Parse(time.RFC3339, ev.Data["deadline"])
		mu.Lock()
		defer mu.Unlock()
		if err != nil || !slices.ContainsFunc(due, func(d time.Time) bool { return d.Unix() == missed.Unix() }) {
			extra = append(extra, fmt.Sprintf("case %d escalated for %s", c.ID, ev.Data["deadline"]))
			return
		}
		stored[c.ID] = at
	})
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // one line per escalation otherwise
	defer slog.SetDefault(prev)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunScheduler(runCtx)
	}()

	// CPU over five seconds in the quiet gap.
	q0 := due[burst-1].Add(quietStart)
	time.Sleep(time.Until(q0))
	cpu0, wall0 := cpuTime(b), time.Now()
	time.Sleep(quietSpan)
	cpu1, wall1 := cpuTime(b), time.Now()
	if !wall1.Before(t1) {
		b.Fatalf("the quiet interval ran into the second burst")
	}
	// Wait for the second burst (and a margin) to be stored.
	deadline := due[len(due)-1].Add(5 * time.Second)
	for {
		mu.Lock()
		got := len(stored)
		mu.Unlock()
		if got == len(due) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done

	// Every due case escalated once, no other case at all, and each lag.
	rows, err := raw.QueryContext(ctx, `SELECT id, escalation, respond_by, resolve_by, status FROM cases WHERE escalation > 0`)
	if err != nil {
		b.Fatal(err)
	}
	type esc struct {
		id  int64
		due time.Time
	}
	var escalated []esc
	for rows.Next() {
		var id int64
		var level int
		var respondBy, resolveBy sql.NullInt64
		var status string
		if err := rows.Scan(&id, &level, &respondBy, &resolveBy, &status); err != nil {
			b.Fatal(err)
		}
		if level != 1 {
			b.Errorf("case %d raised to level %d, want 1", id, level)
		}
		ms := resolveBy.Int64
		if status == string(civicgrid.StatusReported) {
			ms = respondBy.Int64
		}
		escalated = append(escalated, esc{id, time.UnixMilli(ms)})
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	if len(extra) > 0 {
		b.Errorf("escalations that should not have happened: %s", strings.Join(extra, "; "))
	}
	if len(escalated) != len(due) || len(stored) != len(due) {
		b.Fatalf("%d cases escalated in the store, %d heard of, want %d", len(escalated), len(stored), len(due))
	}
	var maxLag, sumLag time.Duration
	for _, e := range escalated {
		at, ok := stored[e.id]
		if !ok {
			b.Fatalf("case %d escalated but not heard of", e.id)
		}
		lag := at.Sub(e.due)
		if lag < 0 {
			b.Errorf("case %d escalated %v before its deadline", e.id, -lag)
		}
		maxLag = max(maxLag, lag)
		sumLag += lag
	}
	cpuPct := 100 * float64(cpu1-cpu0) / float64(wall1.Sub(wall0))
	b.Logf("%d open cases loaded in %v; %d escalations, lag mean %v, max %v; quiet %v: CPU %v (%.3f %% of a core)",
		n, loaded.Round(100*time.Millisecond), len(due), (sumLag / time.Duration(len(due))).Round(10*time.Microsecond),
		maxLag.Round(10*time.Microsecond), wall1.Sub(wall0).Round(time.Millisecond), cpu1-cpu0, cpuPct)
	b.ReportMetric(float64(maxLag)/1e6, "max-lag-ms")
	b.ReportMetric(float64(sumLag)/float64(len(due))/1e6, "mean-lag-ms")
	b.ReportMetric(cpuPct, "quiet-cpu-%")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openCase is one row of the cases table.
type openCase []any

const openCaseColumns = `category, status, channel, description, lat, lng, grid_code, respond_by, resolve_by, next_deadline,
	created_at, updated_at, responded_at, dispatched_at, assignee_dept, version`

// newOpenCase is an open case whose next deadline is due: a third wait
// for their first response (respond clock), the rest are dispatched
// (resolution clock), alternating for the due ones.
func newOpenCase(i int, due time.Time, grid civicgrid.Area, category string, r *rand.Rand) openCase {
	p := grid.Geometry.Bound().Center()
	ms := due.UnixMilli()
	if i%3 == 0 {
		created := ms - int64(2*time.Hour/time.Millisecond)
		return openCase{category, string(civicgrid.StatusReported), civicgrid.ChannelApp, "楼道堆放杂物，影响通行", p.Lat(), p.Lon(),
			grid.Code, ms, nil, ms, created, created, nil, nil, "", 1}
	}
	span := int64(24*time.Hour/time.Millisecond) + r.Int64N(int64(5*24*time.Hour/time.Millisecond))
	dispatched := ms - span
	created := dispatched - int64(time.Hour/time.Millisecond)
	return openCase{category, string(civicgrid.StatusDispatched), civicgrid.ChannelApp, "楼道堆放杂物，影响通行", p.Lat(), p.Lon(),
		grid.Code, created + int64(2*time.Hour/time.Millisecond), ms, ms, created, dispatched, created + 1000, dispatched, "网格员", 1}
}

// insertOpenCases writes n cases made by gen in one transaction, with
// multi-row INSERTs.
func insertOpenCases(ctx context.Context, db *sql.DB, n int, gen func(i int) openCase) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols := len(strings.Split(openCaseColumns, ","))
	const per = 50
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	stmts := map[int]*sql.Stmt{}
	var args []any
	flush := func() error {
		rows := len(args) / cols
		if rows == 0 {
			return nil
		}
		s := stmts[rows]
		if s == nil {
			q := `INSERT INTO cases (` + openCaseColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
			if s, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
			stmts[rows] = s
		}
		_, err := s.ExecContext(ctx, args...)
		args = args[:0]
		return err
	}
	for i := range n {
		args = append(args, gen(i)...)
		if len(args) == per*cols {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkEscalationBurst times one EscalateDue over a burst of 5,000
// cases already past their deadline (the deadlines missed while a server
// was down, or a whole day's limits passing at once) beside 10⁴ far ones;
// each round loads a fresh store. It reports escalations per second.
func BenchmarkEscalationBurst(b *testing.B) {
	const far, burst = 10_000, 5_000
	ctx := context.Background()
	grids, cats := demoGridsAndCategories(b)
	cal, err := workcal.Default()
	if err != nil {
		b.Fatal(err)
	}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer slog.SetDefault(prev)
	var took time.Duration
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		db, err := sqlstore.OpenSQLite(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		svc := casework.New(casework.Config{}, db, db, nil, cal, nil)
		if err := svc.SeedCatalogue(ctx); err != nil {
			b.Fatal(err)
		}
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "civicgrid.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		raw.SetMaxOpenConns(1)
		r := rand.New(rand.NewPCG(5, 6))
		now := time.Now()
		at := func(due time.Time) func(int) openCase {
			return func(i int) openCase {
				return newOpenCase(i, due, grids[r.IntN(len(grids))], cats[r.IntN(len(cats))].Code, r)
			}
		}
		if err := insertOpenCases(ctx, raw, far, at(now.Add(24*time.Hour))); err != nil {
			b.Fatal(err)
		}
		if err := insertOpenCases(ctx, raw, burst, at(now.Add(-time.Minute))); err != nil {
			b.Fatal(err)
		}
		raw.Close()
		b.StartTimer()
		t0 := time.Now()
		n, err := svc.EscalateDue(ctx)
		took += time.Since(t0)
		b.StopTimer()
		if err != nil || n != burst {
			b.Fatalf("escalated %d (%v), want %d", n, err, burst)
		}
		db.Close()
	}
	b.ReportMetric(float64(burst*b.N)/took.Seconds(), "escalations/s")
}

// demoGridsAndCategories are the demo city's grids and the default catalogue,
// where the benchmarks' open cases lie.
func demoGridsAndCategories(b *testing.B) ([]civicgrid.Area, []civicgrid.Category) {
	city, err := democity.Generate(democity.Options{Seed: 1, NoBuildings: true})
	if err != nil {
		b.Fatal(err)
	}
	var grids []civicgrid.Area
	for _, a := range city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	cats, err := casework.DefaultCatalogue()
	if err != nil {
		b.Fatal(err)
	}
	return grids, cats
}
