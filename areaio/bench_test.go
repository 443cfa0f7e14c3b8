package areaio

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// Figures for docs: go test -run '^$' -bench . -benchmem -cpu 1 ./areaio/
// Sizes over 10⁴ in the slow (overlay) style run with CIVICGRID_BENCH_LARGE=1.

func BenchmarkValidate(b *testing.B) {
	large := os.Getenv("CIVICGRID_BENCH_LARGE") != ""
	for _, tt := range []struct {
		style meshStyle
		name  string
		opts  Options
		sizes []int
	}{
		{meshExact, "shared-vertices", Options{}, []int{400, 10_000, 100_000}},
		{meshTJunctions, "t-junctions", Options{}, []int{400, 10_000, 100_000}},
		{meshSloppy, "overlay", Options{OverlapToleranceM2: 20, GapToleranceM2: 200, OutsideToleranceM2: 20}, []int{400, 10_000, 100_000}},
	} {
		for _, n := range tt.sizes {
			if n > 10_000 && tt.style == meshSloppy && !large {
				continue
			}
			b.Run(fmt.Sprintf("%s/grids=%d", tt.name, n), func(b *testing.B) {
				city := syntheticCity(n, tt.style)
				b.ResetTimer()
				for b.Loop() {
					if problems := Validate(nil, city, tt.opts); len(problems) > 0 {
						b.Fatal(problems[0])
					}
				}
			})
		}
	}
}

// BenchmarkValidateOneCommunity: one community's 25 grids redrawn in a
// stored city of 10⁵ grids, given the whole city as existing areas (Import
// loads far less).
func BenchmarkValidateOneCommunity(b *testing.B) {
	city := syntheticCity(100_000, meshExact)
	var community []civicgrid.Area
	for _, a := range city {
		if strings.HasPrefix(a.Code, "420106100007") {
			community = append(community, a)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if problems := Validate(city, community, Options{}); len(problems) > 0 {
			b.Fatal(problems[0])
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := Encode(&buf, syntheticCity(10_000, meshExact)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(buf.Bytes()), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	city := syntheticCity(10_000, meshExact)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, city); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
