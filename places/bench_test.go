package places_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/places"
)

// Index build and search over the demo city and a large generated one
// (grids and their buildings, about 3.5 per grid).
func BenchmarkPlaces(b *testing.B) {
	for _, grids := range []int{democity.DefaultGrids, 100_000} {
		city, err := democity.Generate(democity.Options{Seed: 1, Grids: grids})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("index/grids=%d", grids), func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var ix *places.Index
			for b.Loop() {
				ix = places.NewIndex(city.Areas)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(ix.Len()), "places")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-held")
		})
		ix := places.NewIndex(city.Areas)
		for _, q := range []string{"三洋社区12栋", "社区"} {
			b.Run(fmt.Sprintf("search/grids=%d/q=%s", grids, q), func(b *testing.B) {
				for b.Loop() {
					ix.Search(q, 10)
				}
			})
		}
	}
}
