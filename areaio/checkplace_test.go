package areaio

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/civicgrid/civicgrid"
)

// placedIn reports whether at lies in (or on the edge of) g.
func placedIn(g orb.Geometry, at *[2]float64) bool {
	if at == nil {
		return false
	}
	pt := orb.Point(*at)
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, pt) || onBoundary(g, pt)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, pt)
	}
	return false
}

func onBoundary(p orb.Polygon, pt orb.Point) bool {
	for _, r := range p {
		for _, q := range r {
			if planar.Distance(q, pt) < 1e-6 {
				return true
			}
		}
	}
	return false
}

// TestCheckShowsEveryProblemAtItsPlace: one check of a file with problems of
// single features and problems of how the sound ones fit together lists
// both, each at its feature and, where it is at one place, that place; it
// gives every feature that can be drawn, and writes nothing.
func TestCheckShowsEveryProblemAtItsPlace(t *testing.T) {
	city := syntheticCity(1600, meshExact)
	store := seeded(t, city)

	// 0: a grid redrawn 5 m east: overlaps its neighbour, leaves a gap.
	shifted := byCode(city, "420106003006007")
	shifted.Geometry = moved(shifted.Geometry, 0.00005, 0)
	// 1: a bow-tie: its boundary crosses itself in the middle.
	bowtie := byCode(city, "420106003006013")
	b := bowtie.Geometry.Bound()
	bowtie.Geometry = orb.Polygon{{b.Min, {b.Max[0], b.Min[1]}, {b.Min[0], b.Max[1]}, b.Max, b.Min}}
	// 2: a grid of a community that does not exist.
	orphan := byCode(city, "420106003001001")
	orphan.Code, orphan.ParentCode = "420106003099001", "420106003099"
	// 3: the same code again.
	again := orphan
	again.Name += "（重）"
	// 4: a code that is not a grid's.
	badCode := byCode(city, "420106003002001")
	badCode.Code = "42010600300200A"

	res, err := Check(context.Background(), store, encoded(t, []civicgrid.Area{shifted, bowtie, orphan, again, badCode}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if store.applyCalls != 0 {
		t.Fatal("the check wrote")
	}
	found := map[string][]civicgrid.Problem{}
	for _, p := range res.Problems {
		found[p.Kind] = append(found[p.Kind], p)
	}
	for kind, index := range map[string]int{KindOverlap: 0, KindGap: -1, KindSelfIntersection: 1, KindMissingParent: 2, KindDuplicateCode: 3, KindBadCode: 4} {
		ps := found[kind]
		if len(ps) == 0 {
			t.Errorf("no %s among %v", kind, res.Problems)
			continue
		}
		if index >= 0 && ps[0].Index != index {
			t.Errorf("%s at feature %d, want %d", kind, ps[0].Index, index)
		}
		if want := fmt.Sprintf("(feature %d)", ps[0].Index); ps[0].Index >= 0 && kind == KindOverlap && !strings.Contains(ps[0].Detail, want) {
			t.Errorf("%s names another feature than %d: %s", kind, ps[0].Index, ps[0].Detail)
		}
	}
	// Places: the overlap in the shifted grid, the gap in its community but
	// not in the grid, the crossing at the bow-tie's middle.
	for _, p := range found[KindOverlap] {
		if p.Index == 0 && !placedIn(shifted.Geometry, p.At) {
			t.Errorf("overlap at %v, not in the shifted grid %v: %v", p.At, shifted.Geometry, p)
		}
	}
	for _, p := range found[KindOverlap] {
		if p.Index == 2 && !strings.Contains(p.Detail, "(feature 2)") {
			t.Errorf("the orphan's overlap names another feature: %s", p.Detail)
		}
	}
	for _, p := range found[KindGap] {
		if !placedIn(byCode(city, "420106003006").Geometry, p.At) || placedIn(shifted.Geometry, p.At) || p.Code != "420106003006" {
			t.Errorf("gap %s at %v, want in community 420106003006 outside the shifted grid", p.Code, p.At)
		}
	}
	if p := found[KindSelfIntersection]; len(p) > 0 {
		c := b.Center()
		if p[0].At == nil || planar.Distance(orb.Point(*p[0].At), c) > 1e-6 {
			t.Errorf("crossing at %v, want the middle %v", p[0].At, c)
		}
	}
	if len(res.Areas) != 5 {
		t.Errorf("%d areas to draw, want all 5", len(res.Areas))
	}
	if res.Preview != (civicgrid.ImportResult{}) {
		t.Errorf("a preview despite problems: %v", res.Preview)
	}
	// The import refuses the file (its own problems first).
	if _, err := Import(context.Background(), store, encoded(t, []civicgrid.Area{shifted, bowtie, orphan, again, badCode}), Options{}); err == nil {
		t.Error("the import took the file")
	}
}

// TestCheckLeavesOutChildrenOfFaultyFeatures: grids of a community whose
// own feature is faulty are not measured against the stored community (the
// file redraws it), and a feature with coordinates that are not degrees is
// not given to draw.
func TestCheckLeavesOutChildrenOfFaultyFeatures(t *testing.T) {
	city := syntheticCity(1600, meshExact)
	store := seeded(t, city)
	community := byCode(city, "420106003006")
	community.Name = "" // faulty: no name
	grid := byCode(city, "420106003006007")
	grid.Geometry = moved(grid.Geometry, 0.00005, 0) // would stick out of the stored community's edge? overlaps its stored neighbours
	far := byCode(city, "420106003006008")
	far.Geometry = orb.Polygon{{{500, 30}, {500.001, 30}, {500.001, 30.001}, {500, 30}}}

	res, err := Check(context.Background(), store, encoded(t, []civicgrid.Area{community, grid, far}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		if p.Index == 1 {
			t.Errorf("a grid of the faulty community was measured: %v", p)
		}
	}
	if len(res.Areas) != 2 {
		t.Errorf("%d areas to draw, want 2 (not the one out of range)", len(res.Areas))
	}
	if !strings.Contains(problemKinds(res.Problems), KindMissingProperty) || !strings.Contains(problemKinds(res.Problems), KindBadCoordinate) {
		t.Errorf("problems %v", res.Problems)
	}
}

func problemKinds(ps []civicgrid.Problem) string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.Kind)
	}
	return strings.Join(ks, " ")
}

// TestCheckPreview: a clean file's check tells what the import will add,
// redraw and leave, and the import then does just that.
func TestCheckPreview(t *testing.T) {
	city := syntheticCity(1600, meshExact)
	store := seeded(t, city)
	same := byCode(city, "420106003006007")
	renamed := byCode(city, "420106003006008")
	renamed.Name += "（新）"
	building := civicgrid.Area{Level: civicgrid.LevelBuilding, Code: "4201060030060080001", ParentCode: renamed.Code, Name: "1栋", Number: "1",
		Geometry: orb.Point(renamed.Geometry.Bound().Center())}
	file := []civicgrid.Area{same, renamed, building}

	res, err := Check(context.Background(), store, encoded(t, file), Options{})
	if err != nil || len(res.Problems) > 0 {
		t.Fatalf("check: %v %v", err, res.Problems)
	}
	want := civicgrid.ImportResult{Created: 1, Redrawn: 1, Unchanged: 1}
	if res.Preview != want {
		t.Errorf("preview %v, want %v", res.Preview, want)
	}
	got, err := Import(context.Background(), store, encoded(t, file), Options{})
	if err != nil || got != res.Preview {
		t.Errorf("import %v (%v), the preview said %v", got, err, res.Preview)
	}
}
