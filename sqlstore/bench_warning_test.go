package sqlstore

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkForEachGridDay reads what the daily warning run reads: every
// grid's daily rows of the whole city over a year, from the rollups of N
// cases (fillRollups: 5,000 grids, the default catalogue). N is 10⁶, or
// 10⁷ with CIVICGRID_BENCH_LARGE=1 (10⁵ with -short).
func BenchmarkForEachGridDay(b *testing.B) {
	n := 1_000_000
	switch {
	case testing.Short():
		n = 100_000
	case os.Getenv("CIVICGRID_BENCH_LARGE") == "1":
		n = 10_000_000
	}
	b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
		ctx := context.Background()
		db, err := OpenSQLite(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		f, err := fillRollups(ctx, b, db, n)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		var rows, reports int64
		for range b.N {
			rows, reports = 0, 0
			if err := db.ForEachGridDay(ctx, "420100", "", f.year*10000+101, f.year*10000+1231, func(g civicgrid.GridDay) error {
				rows++
				reports += g.Received
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		if reports != int64(n) {
			b.Fatalf("read %d reports, want %d", reports, n)
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	})
}
