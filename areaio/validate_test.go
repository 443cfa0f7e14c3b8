package areaio

import (
	"math"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
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

// TestUnionOfKeepsEveryShape: on these grids (nudged by a centimetre, so
// edges nearly coincide) the library's many-input union drops a whole grid;
// unionOf notices and redoes the union pairwise.
func TestUnionOfKeepsEveryShape(t *testing.T) {
	var grids []geom.Geometry
	sum := 0.0
	for _, a := range syntheticCity(10_000, meshSloppy) {
		if a.ParentCode == "420106021008" {
			g, _ := toSF(a.Geometry)
			grids = append(grids, g)
			s, _ := areaDeg2(a.Geometry)
			sum += s
		}
	}
	if len(grids) != 25 {
		t.Fatalf("%d grids", len(grids))
	}
	if many, err := geom.UnionMany(grids); err == nil && covers(many, grids) {
		t.Log("the library's union kept every grid here; unionOf is only checked for the result")
	}
	u, err := unionOf(grids)
	if err != nil {
		t.Fatal(err)
	}
	// The nudges leave slivers of overlap and gap, a tiny part of the whole.
	if got := u.Area(); math.Abs(got-sum)/sum > 1e-3 {
		t.Errorf("union area %g, grids add up to %g", got, sum)
	}
}
