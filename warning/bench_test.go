package warning

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkDailyRun is the daily run's work once the counts are read: a
// year of daily rows of a city (grids × 20 categories, 10⁷ reports a year
// at 10⁵ grids, the load docs/indicators.md sizes for, pro rata below),
// added to a run with each grid's lattice neighbours, and every series and
// zone judged. 10⁴ grids by default, 10⁵ with CIVICGRID_BENCH_LARGE=1
// (docs/benchmarks.md).
func BenchmarkDailyRun(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		sizes = append(sizes, 100_000)
	}
	for _, ng := range sizes {
		b.Run(fmt.Sprintf("grids=%d", ng), func(b *testing.B) { benchDailyRun(b, ng, 20) })
	}
}

type benchRow struct {
	g   int32
	c   int8
	day int32
	n   int16
}

func benchDailyRun(b *testing.B, ng, nc int) {
	r := rand.New(rand.NewPCG(3, 4))
	p := DefaultParams()
	hist := p.HistoryDays()
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	days := make([]int, hist)
	for i := range days {
		days[i] = civicgrid.DayNumber(day.AddDate(0, 0, -i))
	}
	grids := make([]string, ng)
	for i := range grids {
		grids[i] = fmt.Sprintf("420102%09d", i)
	}
	cats := make([]string, nc)
	for i := range cats {
		cats[i] = fmt.Sprintf("C%04d", i)
	}
	side := 1
	for side*side < ng {
		side++
	}
	adj := map[string][]string{}
	for i := range ng {
		if i+1 < ng && (i+1)%side != 0 {
			adj[grids[i]] = append(adj[grids[i]], grids[i+1])
		}
		if i+side < ng {
			adj[grids[i]] = append(adj[grids[i]], grids[i+side])
		}
	}
	// 10⁷ reports a year over 10⁵ grids: 100 a grid; categories from a
	// skewed mix, days uniform. The store keeps one row per grid, category
	// and day; reports that fall on one row here stay apart (a few more
	// rows than the store would give, the same counts).
	rows := make([]benchRow, perYear(ng)*hist/365)
	for i := range rows {
		c := int8(min(nc-1, int(r.ExpFloat64()*float64(nc)/4)))
		rows[i] = benchRow{int32(r.IntN(ng)), c, int32(days[r.IntN(hist)]), 1}
	}
	// In the order the store reads them: its primary key (area, day,
	// category).
	slices.SortFunc(rows, func(a, b benchRow) int {
		return cmp.Or(cmp.Compare(a.g, b.g), cmp.Compare(a.day, b.day), cmp.Compare(a.c, b.c))
	})
	runtime.GC()
	b.ReportMetric(float64(len(rows)), "rows")
	b.ResetTimer()
	var alerts int
	for range b.N {
		run := NewRun(days[0], grids, p)
		run.SetNeighbours(adj)
		for _, row := range rows {
			run.Add(civicgrid.GridDay{Grid: grids[row.g], Category: cats[row.c], Day: int(row.day), Received: int64(row.n)})
		}
		alerts = len(run.Alerts())
	}
	b.ReportMetric(float64(alerts), "alerts")
}

func perYear(grids int) int { return grids * 100 }
