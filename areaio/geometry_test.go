package areaio

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/civicgrid/civicgrid"
)

func TestAreaM2(t *testing.T) {
	// 0.001° × 0.001° at 30.55°N: 111320·cos(30.55°) m × 110574 m · 1e-6.
	square := orb.Polygon{{{114.3, 30.5495}, {114.301, 30.5495}, {114.301, 30.5505}, {114.3, 30.5505}, {114.3, 30.5495}}}
	want := 0.001 * 111320 * math.Cos(30.55*math.Pi/180) * 0.001 * 110574
	if got := AreaM2(square); math.Abs(got-want) > 0.01 {
		t.Errorf("square: got %.3f m², want %.3f", got, want)
	}
	// Clockwise gives the same; a hole is subtracted; a MultiPolygon adds up.
	cw := orb.Polygon{{{114.3, 30.5495}, {114.3, 30.5505}, {114.301, 30.5505}, {114.301, 30.5495}, {114.3, 30.5495}}}
	if got := AreaM2(cw); math.Abs(got-want) > 0.01 {
		t.Errorf("clockwise: got %.3f, want %.3f", got, want)
	}
	holed := orb.Polygon{square[0], {{114.3004, 30.5499}, {114.3006, 30.5499}, {114.3006, 30.5501}, {114.3004, 30.5501}, {114.3004, 30.5499}}}
	if got := AreaM2(holed); math.Abs(got-want*0.96) > 0.01 {
		t.Errorf("with a hole: got %.3f, want %.3f", got, want*0.96)
	}
	if got := AreaM2(orb.MultiPolygon{square, cw}); math.Abs(got-2*want) > 0.01 {
		t.Errorf("two squares: got %.3f, want %.3f", got, 2*want)
	}
	if got := AreaM2(orb.Point{114.3, 30.55}); got != 0 {
		t.Errorf("a point has no area, got %v", got)
	}
}

func TestTilesExactly(t *testing.T) {
	for _, tt := range []struct {
		style meshStyle
		want  bool
	}{
		{meshExact, true},
		{meshTJunctions, true},
		{meshSloppy, false},
	} {
		city := syntheticCity(50, tt.style)
		parents := map[string]orb.Geometry{}
		pieces := map[string][]orb.Geometry{}
		for _, a := range city {
			parents[a.Code] = a.Geometry
			if a.Level == civicgrid.LevelGrid {
				pieces[a.ParentCode] = append(pieces[a.ParentCode], a.Geometry)
			}
		}
		for code, ps := range pieces {
			if got := tilesExactly(parents[code], ps); got != tt.want {
				t.Errorf("style %d, community %s: got %v, want %v", tt.style, code, got, tt.want)
			}
			// Leaving out one grid always breaks the tiling.
			if tilesExactly(parents[code], ps[1:]) {
				t.Errorf("style %d, community %s: tiled exactly without its first grid", tt.style, code)
			}
			// So does one grid twice.
			if tilesExactly(parents[code], append(ps[:len(ps):len(ps)], ps[0])) {
				t.Errorf("style %d, community %s: tiled exactly with a grid twice", tt.style, code)
			}
		}
	}
}

// TestInteriorsDisjointNeverWrong: whenever the fast test says two shapes do
// not overlap, the overlay agrees. Shapes are random polygons on a coarse
// lattice, so shared edges, T-junctions and touching vertices are common.
func TestInteriorsDisjointNeverWrong(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const unit = 1e-5
	randomPolygon := func() orb.Polygon {
		// A star-shaped polygon around a lattice point: always simple.
		cx, cy := rng.IntN(6), rng.IntN(6)
		n := 3 + rng.IntN(5)
		var r orb.Ring
		for k := range n {
			angle := 2 * math.Pi * (float64(k) + rng.Float64()*0.5) / float64(n)
			rad := 1 + float64(rng.IntN(3))
			x := float64(cx) + math.Round(rad*math.Cos(angle)*2)/2
			y := float64(cy) + math.Round(rad*math.Sin(angle)*2)/2
			p := orb.Point{roundCoord(114.3 + x*unit), roundCoord(30.55 + y*unit)}
			if len(r) == 0 || r[len(r)-1] != p {
				r = append(r, p)
			}
		}
		r = append(r, r[0])
		return orb.Polygon{r}
	}
	valid := func(p orb.Polygon) (geom.Geometry, bool) {
		g, err := toSF(p)
		if err != nil || len(p[0]) < 4 || g.Validate() != nil || AreaM2(p) < 0.001 {
			return g, false
		}
		return g, true
	}
	saidDisjoint, checked := 0, 0
	for range 20000 {
		a, b := randomPolygon(), randomPolygon()
		ga, ok1 := valid(a)
		gb, ok2 := valid(b)
		if !ok1 || !ok2 || !a.Bound().Intersects(b.Bound()) {
			continue
		}
		checked++
		if !interiorsDisjoint(a, b) {
			continue
		}
		saidDisjoint++
		inter, err := geom.Intersection(ga, gb)
		if err != nil {
			continue
		}
		if m2 := sfAreaM2(inter, 30.55); m2 > 1e-6 {
			t.Fatalf("said disjoint, but they overlap by %g m²:\n%v\n%v", m2, a, b)
		}
	}
	if saidDisjoint < checked/10 {
		t.Errorf("only %d of %d pairs found disjoint; the test shapes are not varied enough", saidDisjoint, checked)
	}
	t.Logf("%d pairs with meeting boxes, %d found disjoint", checked, saidDisjoint)

	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	holed := orb.Polygon{sq(0, 0, 3, 3)[0], sq(1, 1, 2, 2)[0]}
	for _, tt := range []struct {
		name string
		a, b orb.Polygon
		want bool
	}{
		{"side by side", sq(0, 0, 1, 1), sq(1, 0, 2, 1), true},
		{"side by side, T-junction", sq(0, 0, 1, 2), sq(1, 0, 2, 1), true},
		{"corner to corner", sq(0, 0, 1, 1), sq(1, 1, 2, 2), true},
		{"the same", sq(0, 0, 1, 1), sq(0, 0, 1, 1), false},
		{"one inside the other", sq(0, 0, 3, 3), sq(1, 1, 2, 2), false},
		{"inside, sharing an edge", sq(0, 0, 3, 3), sq(0, 0, 1, 1), false},
		{"in the hole", holed, sq(1, 1, 2, 2), true},
		{"over the hole's edge", holed, sq(1, 1, 2, 2.5), false},
		{"crossing", sq(0, 0, 2, 1), sq(1, -1, 2, 2), false},
	} {
		if got := interiorsDisjoint(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if got := interiorsDisjoint(tt.b, tt.a); got != tt.want {
			t.Errorf("%s, swapped: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRingSelfIntersection(t *testing.T) {
	for _, tt := range []struct {
		name  string
		ring  orb.Ring
		found bool
		at    orb.Point
	}{
		{"square", orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, false, orb.Point{}},
		{"bow-tie", orb.Ring{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}, true, orb.Point{0.5, 0.5}},
		{"touches itself", orb.Ring{{0, 0}, {2, 0}, {2, 2}, {1, 0}, {0, 2}, {0, 0}}, true, orb.Point{1, 0}},
		{"spike", orb.Ring{{0, 0}, {2, 0}, {3, 0}, {2, 0}, {2, 2}, {0, 0}}, true, orb.Point{3, 0}},
		{"repeated points are fine", orb.Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, false, orb.Point{}},
	} {
		at, _, found := ringSelfIntersection(tt.ring)
		if found != tt.found || (found && at != tt.at) {
			t.Errorf("%s: got %v at %v, want %v at %v", tt.name, found, at, tt.found, tt.at)
		}
	}
}
