package democity_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/civicgrid/civicgrid/democity"
)

// BenchmarkGenerate measures Generate at 400, 10⁴ and 10⁵ grids, and at 10⁶
// (with and without buildings) when CIVICGRID_BENCH_LARGE=1. Besides time and
// allocations it reports MB-live: the heap the finished city occupies.
func BenchmarkGenerate(b *testing.B) {
	type size struct {
		grids       int
		noBuildings bool
	}
	sizes := []size{{400, false}, {10_000, false}, {100_000, false}}
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		sizes = append(sizes, size{1_000_000, false}, size{1_000_000, true})
	}
	for _, s := range sizes {
		name := fmt.Sprintf("grids=%d", s.grids)
		if s.noBuildings {
			name += ",no-buildings"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var city *democity.City
			for b.Loop() {
				city = nil // let the previous city go before making the next
				var err error
				if city, err = democity.Generate(democity.Options{Seed: 1, Grids: s.grids, NoBuildings: s.noBuildings}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "MB-live")
			runtime.KeepAlive(city)
		})
	}
}
