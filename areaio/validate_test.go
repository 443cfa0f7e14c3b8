package areaio

import (
	"testing"
)

func TestSyntheticCityIsValid(t *testing.T) {
	for _, tt := range []struct {
		name  string
		style meshStyle
		opts  Options
	}{
		{"exact", meshExact, Options{}},
		{"t-junctions", meshTJunctions, Options{}},
		// Nudged grids leave slivers of up to a few m² per pair, tens per community.
		{"sloppy", meshSloppy, Options{OverlapToleranceM2: 20, GapToleranceM2: 200, OutsideToleranceM2: 20}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			city := syntheticCity(100, tt.style)
			p := &problemList{max: 100}
			checkAreas(city, p)
			if problems := p.result(); len(problems) > 0 {
				t.Fatalf("single-area checks: %v", problems)
			}
			if problems := Validate(nil, city, tt.opts); len(problems) > 0 {
				t.Fatalf("got %d problems, want none: %v", len(problems), problems)
			}
		})
	}
}
