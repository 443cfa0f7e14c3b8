package sqlstore

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
	// Side by side in one run: the rows found through the primary key
	// (each row then looked up in the table: the key of a rowid table is
	// an index of its own) and through the covering index of migration
	// 0031 (area, category, day, received: read from the index alone).
	for _, variant := range []struct{ name, sql string }{
		{"index=primary-key", `DROP INDEX IF EXISTS case_rollups_received`},
		{"index=covering", `CREATE INDEX IF NOT EXISTS case_rollups_received ON case_rollups (area_code, category, day, received)`},
	} {
		if _, err := db.write.ExecContext(ctx, variant.sql); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("cases=%d/%s", n, variant.name), func(b *testing.B) {
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
}

// BenchmarkIntakeRollupIndex is what migration 0031's covering index of
// the rollups costs a report: cases filed one at a time (each updates its
// rollup rows at every level, the index with them), on days and
// categories that make both new rollup rows and updated ones; without the
// index (the code before it) and with it, side by side in one run.
func BenchmarkIntakeRollupIndex(b *testing.B) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	if _, err := db.ApplyAreas(ctx, sampleAreas(), base.AddDate(-1, 0, 0)); err != nil {
		b.Fatal(err)
	}
	cats := []string{"C0005", "06010"}
	for _, code := range cats {
		if err := db.PutCategory(ctx, civicgrid.Category{Code: code, NameZH: code, NameEN: code, RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for _, variant := range []struct{ name, sql string }{
		{"index=none", `DROP INDEX IF EXISTS case_rollups_received`},
		{"index=covering", `CREATE INDEX IF NOT EXISTS case_rollups_received ON case_rollups (area_code, category, day, received)`},
	} {
		if _, err := db.write.ExecContext(ctx, variant.sql); err != nil {
			b.Fatal(err)
		}
		b.Run(variant.name, func(b *testing.B) {
			for range b.N {
				i++
				at := base.Add(time.Duration(i/10) * 24 * time.Hour).Add(time.Duration(i) * time.Second)
				c := civicgrid.Case{Category: cats[i%len(cats)], Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
					GridCode: "420102001001001", CreatedAt: at, UpdatedAt: at}
				if _, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: at, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
