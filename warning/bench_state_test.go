package warning_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/warning"
)

// BenchmarkWarningDailyRun is the whole daily run over a city on SQLite —
// reading the counts, judging every series and zone, storing the alerts —
// without the kept state (full: a year of rows read, the run before
// migration 0035) and with it, side by side on one store: 10⁴ grids × 20
// categories (10⁶ reports a year), or 10⁵ grids (10⁷ reports a year, the
// issue's size) with CIVICGRID_BENCH_LARGE=1. The store holds the grids'
// rollup rows and the city's own, written directly (a year and the guard
// of reports, 100 a grid a year, categories from a skewed mix), the two
// rollup indexes built after the load (index-s: the time migration 0035's
// index takes over these rows). Then:
//
//   - full: the day judged by reading the whole history (ns/op).
//   - state: the first run builds the state (rebuild-s), then each of the
//     following days is judged from it (ns/op per day), and the last
//     day's alerts are checked to be the full run's.
//
// Run with -benchtime=1x -cpu 1 (each op judges the days once).
func BenchmarkWarningDailyRun(b *testing.B) {
	ng := 10_000
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		ng = 100_000
	}
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "civicgrid.db")+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	const nc, extra = 20, 6
	p := warning.DefaultParams()
	hist := p.HistoryDays() + extra
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, civicgrid.Beijing) // the first day judged
	days := make([]int, hist)                                      // days[i]: i days before the last judged
	last := first.AddDate(0, 0, extra-1)
	for i := range days {
		days[i] = civicgrid.DayNumber(last.AddDate(0, 0, -i))
	}
	grids := make([]civicgrid.Area, ng)
	side := 1
	for side*side < ng {
		side++
	}
	for i := range grids {
		x, y := float64(i%side), float64(i/side)
		d := 0.001
		grids[i] = civicgrid.Area{Code: fmt.Sprintf("420102%09d", i), Level: civicgrid.LevelGrid, Geometry: orb.Polygon{{{114 + x*d, 30 + y*d},
			{114 + (x+1)*d, 30 + y*d}, {114 + (x+1)*d, 30 + (y+1)*d}, {114 + x*d, 30 + (y+1)*d}, {114 + x*d, 30 + y*d}}}}
	}
	load := time.Now()
	for _, idx := range []string{"case_rollups_received", "case_rollups_grid_day"} {
		if _, err := raw.ExecContext(ctx, `DROP INDEX `+idx); err != nil {
			b.Fatal(err)
		}
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	city := map[[2]int]int64{}
	var q strings.Builder
	var args []any
	rows := 0
	flush := func() {
		if len(args) == 0 {
			return
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_rollups (area_code, day, category, received) VALUES `+
			strings.TrimSuffix(q.String(), ","), args...); err != nil {
			b.Fatal(err)
		}
		q.Reset()
		args = args[:0]
	}
	perGrid := 100 * hist / 365
	for _, g := range grids {
		n := map[[2]int]int64{}
		for range perGrid {
			c := min(nc-1, int(r.ExpFloat64()*nc/4))
			n[[2]int{hist - 1 - r.IntN(hist), c}]++ // oldest day first
		}
		for di := range hist {
			for c := range nc {
				k := [2]int{di, c}
				if v := n[k]; v > 0 {
					q.WriteString("(?, ?, ?, ?),")
					args = append(args, g.Code, days[hist-1-di], fmt.Sprintf("C%04d", c), v)
					city[k] += v
					rows++
					if len(args) >= 800 {
						flush()
					}
				}
			}
		}
	}
	for k, v := range city {
		q.WriteString("(?, ?, ?, ?),")
		args = append(args, "420100", days[hist-1-k[0]], fmt.Sprintf("C%04d", k[1]), v)
		if len(args) >= 800 {
			flush()
		}
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(load)
	start := time.Now()
	if _, err := raw.ExecContext(ctx, `CREATE INDEX case_rollups_received ON case_rollups (area_code, category, day, received)`); err != nil {
		b.Fatal(err)
	}
	covering := time.Since(start)
	start = time.Now()
	if _, err := raw.ExecContext(ctx, `CREATE INDEX case_rollups_grid_day ON case_rollups (day, area_code, category, received) WHERE LENGTH(area_code) = 15`); err != nil {
		b.Fatal(err)
	}
	byDay := time.Since(start)
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d grid rows loaded in %s; migration 0031's index built in %s, 0035's in %s", rows, loaded, covering, byDay)
	areas := benchAreas{grids}
	system := civicgrid.Actor{Via: "cli"}
	var fullAlerts []civicgrid.Alert
	b.Run(fmt.Sprintf("grids=%d/full", ng), func(b *testing.B) {
		svc := warning.New(warning.Config{}, fullStore{db}, areas, nil)
		cpu := cpuTime()
		for range b.N {
			if fullAlerts, err = svc.RunDay(ctx, system, "420100", last); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s")
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(len(fullAlerts)), "alerts")
	})
	b.Run(fmt.Sprintf("grids=%d/state", ng), func(b *testing.B) {
		for range b.N {
			for _, t := range []string{"warning_state", "warning_alert_grids", "warning_alerts"} {
				if _, err := raw.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					b.Fatal(err)
				}
			}
			svc := warning.New(warning.Config{}, db, areas, nil)
			b.StopTimer()
			start := time.Now()
			if _, err := svc.RunDay(ctx, system, "420100", first.AddDate(0, 0, -1)); err != nil {
				b.Fatal(err)
			}
			if i := svc.LastRun(); i.Mode != warning.ModeRebuilt {
				b.Fatalf("first run: %+v", i)
			}
			b.ReportMetric(time.Since(start).Seconds(), "rebuild-s")
			b.ReportMetric(float64(svc.LastRun().Bytes)/1e6, "state-MB")
			b.StartTimer()
			var as []civicgrid.Alert
			var read int
			cpu := cpuTime()
			for d := range extra {
				if as, err = svc.RunDay(ctx, system, "420100", first.AddDate(0, 0, d)); err != nil {
					b.Fatal(err)
				}
				if i := svc.LastRun(); i.Mode != warning.ModeCaughtUp || i.Moved != 1 {
					b.Fatalf("day %d: %+v", d, i)
				}
				read += svc.LastRun().Rows
			}
			b.StopTimer()
			b.ReportMetric((cpuTime()-cpu).Seconds()/extra, "cpu-s/day")
			if len(as) != len(fullAlerts) {
				b.Fatalf("the last day: %d alerts from the state, %d from the history", len(as), len(fullAlerts))
			}
			b.ReportMetric(float64(read)/extra, "rows/day")
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/extra, "ns/day")
	})
}

// cpuTime is the CPU time the process has used (user and system): what a
// run costs whatever else the machine runs (the timings are wall time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fullStore hides the store's state methods: the run reads the history.
type fullStore struct{ warning.Store }

type benchAreas struct{ grids []civicgrid.Area }

func (a benchAreas) CurrentAreas(ctx context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error) {
	return a.grids, nil
}

func (a benchAreas) AreaByCode(ctx context.Context, code string) (civicgrid.Area, error) {
	return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area %s", code)
}
