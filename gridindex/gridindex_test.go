package gridindex

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func mustBuild(t testing.TB, entries []Entry) *Index {
	t.Helper()
	ix, err := Build(entries)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// square is an axis-aligned square with its lower left corner at (x, y) and
// side s, all in fixed-point units.
func square(x, y, s int64) [][2]int32 {
	return [][2]int32{{int32(x), int32(y)}, {int32(x + s), int32(y)}, {int32(x + s), int32(y + s)}, {int32(x), int32(y + s)}}
}

func TestBuildErrors(t *testing.T) {
	ok := toOrb(square(meshOriginX, meshOriginY, 100))
	for _, tc := range []struct {
		name  string
		shape orb.Geometry
		want  string
	}{
		{"nil", nil, "no shape"},
		{"point", orb.Point{114.3, 30.58}, "Point"},
		{"linestring", orb.LineString{{114.3, 30.58}, {114.4, 30.58}}, "LineString"},
		{"empty polygon", orb.Polygon{}, "empty polygon"},
		{"nil polygon", orb.Polygon(nil), "empty polygon"},
		{"empty multipolygon", orb.MultiPolygon{}, "empty multipolygon"},
		{"multipolygon with empty member", orb.MultiPolygon{ok, {}}, "empty polygon"},
		{"two vertices", orb.Polygon{{{114.3, 30.58}, {114.4, 30.58}, {114.3, 30.58}}}, "2 distinct vertices"},
		{"vertices equal after rounding", orb.Polygon{{{114.3, 30.58}, {114.30000001, 30.58}, {114.3, 30.58000001}, {114.3, 30.58}}}, "1 distinct vertices"},
		{"NaN", orb.Polygon{{{114.3, 30.58}, {math.NaN(), 30.58}, {114.3, 30.59}}}, "not a finite"},
		{"Inf", orb.Polygon{{{114.3, 30.58}, {114.4, math.Inf(1)}, {114.3, 30.59}}}, "not a finite"},
		{"latitude out of range", orb.Polygon{{{114.3, 90}, {114.4, 90.5}, {114.3, 89}}}, "not a finite"},
		{"longitude out of range", orb.Polygon{{{180, 30}, {180.1, 30}, {180, 31}}}, "not a finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build([]Entry{{Key: 1, Shape: ok}, {Key: 9, Shape: tc.shape}})
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "key 9") {
				t.Errorf("error %q does not mention %q and the key", err, tc.want)
			}
		})
	}
}

// TestBoundaryRule checks the documented rule on a hand-made layout:
//
//	+----+----+
//	| 8  | 5  |   each square 1000 units; key 8 has a square hole in which
//	+----+----+   the island 2 sits, key 3 has an empty hole; key 4 is a
//	| 3  | 6  |   MultiPolygon of two squares to the right.
//	+----+----+
func TestBoundaryRule(t *testing.T) {
	const s = 1000
	x, y := int64(meshOriginX), int64(meshOriginY)
	island := square(x+400, y+s+400, 200)
	entries := []Entry{
		{Key: 8, Shape: toOrb(square(x, y+s, s), reversed(island))},
		{Key: 5, Shape: toOrb(square(x+s, y+s, s))},
		{Key: 3, Shape: toOrb(square(x, y, s), square(x+100, y+100, 100))},
		{Key: 6, Shape: toOrb(square(x+s, y, s))},
		{Key: 2, Shape: toOrb(island)},
		{Key: 4, Shape: orb.MultiPolygon{toOrb(square(x+3*s, y, s)), toOrb(square(x+5*s, y, s))}},
	}
	ix := mustBuild(t, entries)
	if ix.Len() != len(entries) {
		t.Errorf("Len = %d, want %d", ix.Len(), len(entries))
	}
	for _, tc := range []struct {
		name         string
		dx, dy       int64
		key          uint32
		edge, inGrid bool
	}{
		{"inside 3", 500, 500, 3, false, true},
		{"inside 8", 100, 1900, 8, false, true},
		{"edge 3|6", 1000, 300, 3, true, true},
		{"edge 8|5", 1000, 1700, 5, true, true},
		{"edge 3|8", 600, 1000, 3, true, true},
		{"vertex of four", 1000, 1000, 3, true, true},
		{"outer edge of 6", 2000, 500, 6, true, true},
		{"outer vertex of 5", 2000, 2000, 5, true, true},
		{"in island (hole of 8)", 500, 1500, 2, false, true},
		{"on island ring", 400, 1450, 2, true, true},
		{"on island corner", 600, 1600, 2, true, true},
		{"just inside 8 beside island", 399, 1450, 8, false, true},
		{"in empty hole of 3", 150, 150, 0, false, false},
		{"on empty hole ring of 3", 100, 150, 3, true, true},
		{"multipolygon first part", 3500, 500, 4, false, true},
		{"multipolygon second part", 5500, 500, 4, false, true},
		{"between multipolygon parts", 4500, 500, 0, false, false},
		{"outside", -1, 500, 0, false, false},
	} {
		lng, lat := float64(x+tc.dx)/1e7, float64(y+tc.dy)/1e7
		key, edge, ok := ix.Locate(lng, lat)
		if key != tc.key || edge != tc.edge || ok != tc.inGrid {
			t.Errorf("%s: Locate = %d, %v, %v; want %d, %v, %v", tc.name, key, edge, ok, tc.key, tc.edge, tc.inGrid)
		}
	}
}

// TestRounding checks that a point is rounded to the 1e-7° lattice before
// the exact test: within half a unit of an edge is on it.
func TestRounding(t *testing.T) {
	x, y := int64(meshOriginX), int64(meshOriginY)
	ix := mustBuild(t, []Entry{{Key: 1, Shape: toOrb(square(x, y, 1000))}})
	for _, tc := range []struct {
		dx           float64 // units of 1e-7° from the left edge
		edge, inside bool
	}{
		{-0.6, false, false},
		{-0.4, true, true},
		{0.3, true, true},
		{0.45, true, true},
		{0.55, false, true},
		{1, false, true},
	} {
		lng := (float64(x) + tc.dx) / 1e7
		_, edge, ok := ix.Locate(lng, float64(y+500)/1e7)
		if edge != tc.edge || ok != tc.inside {
			t.Errorf("%+.2f units from the edge: onBoundary %v, ok %v; want %v, %v", tc.dx, edge, ok, tc.edge, tc.inside)
		}
	}
}

func TestInvalidPoints(t *testing.T) {
	m := newMesh(4, 4, 1, false, false)
	ix := mustBuild(t, m.entries)
	nan, inf := math.NaN(), math.Inf(1)
	for _, p := range [][2]float64{
		{nan, 30.58}, {114.3, nan}, {nan, nan}, {inf, 30.58}, {114.3, -inf},
		{180.0000001, 30}, {-181, 30}, {114.3, 90.5}, {114.3, -91}, {1e300, 1e300},
	} {
		if _, _, ok := ix.Locate(p[0], p[1]); ok {
			t.Errorf("Locate(%v, %v) ok", p[0], p[1])
		}
		if _, _, ok := ix.Nearest(p[0], p[1], inf); ok {
			t.Errorf("Nearest(%v, %v) ok", p[0], p[1])
		}
	}
	for _, maxMeters := range []float64{nan, -1, -inf} {
		if _, _, ok := ix.Nearest(114.3, 30.58, maxMeters); ok {
			t.Errorf("Nearest with maxMeters %v ok", maxMeters)
		}
	}
	// Extreme but valid positions must not panic.
	for _, p := range [][2]float64{{180, 90}, {-180, -90}, {0, 0}, {-180, 90}} {
		ix.Locate(p[0], p[1])
		ix.Nearest(p[0], p[1], inf)
	}

	empty := mustBuild(t, nil)
	if _, _, ok := empty.Locate(114.3, 30.58); ok {
		t.Error("empty index located a point")
	}
	if _, _, ok := empty.Nearest(114.3, 30.58, inf); ok {
		t.Error("empty index found a nearest grid")
	}
	if empty.Len() != 0 || empty.MemoryBytes() <= 0 {
		t.Errorf("empty index: Len %d, MemoryBytes %d", empty.Len(), empty.MemoryBytes())
	}
}

// TestMeshTiles checks the fixture itself: no two grids overlap, and a point
// in the mesh that no grid contains is on an edge or in an empty hole.
func TestMeshTiles(t *testing.T) {
	m := newMesh(12, 12, 2, true, true)
	rng := rand.New(rand.NewPCG(2, 2))
	margin := int64(meshCell * 3 / 10) // boundary jitter reaches 0.14 cell past the lattice
	holes := 0
	for range 20000 {
		p := [2]int64{
			m.minX + margin + rng.Int64N(m.maxX-m.minX-2*margin),
			m.minY + margin + rng.Int64N(m.maxY-m.minY-2*margin),
		}
		switch n := m.refInsideCount(p); {
		case n > 1:
			t.Fatalf("point %v is inside %d grids", p, n)
		case n == 0:
			if _, edge, _ := m.refLocate(float64(p[0])/1e7, float64(p[1])/1e7); edge {
				continue
			}
			if !m.inHole(p) {
				t.Fatalf("point %v is in a gap of the mesh", p)
			}
			holes++
		}
	}
	if holes == 0 {
		t.Error("no point fell in an empty hole")
	}
}

func (m *mesh) inHole(p [2]int64) bool {
	for _, poly := range m.parts {
		if windingNumber(poly.rings[0], p) == 0 {
			continue
		}
		for _, h := range poly.rings[1:] {
			if windingNumber(h, p) != 0 {
				return true
			}
		}
	}
	return false
}

// TestLocateMatchesBruteForce compares Locate with the reference on random
// points, on every vertex, on lattice points exactly on edges, and on points
// within a unit or so of edges, on and off the lattice.
func TestLocateMatchesBruteForce(t *testing.T) {
	m := newMesh(32, 32, 3, true, true)
	ix := mustBuild(t, m.entries)
	rng := rand.New(rand.NewPCG(3, 3))

	type point struct {
		lng, lat float64
		kind     string
	}
	var points []point
	lattice := func(x, y int64, kind string) {
		points = append(points, point{float64(x) / 1e7, float64(y) / 1e7, kind})
	}
	padX, padY := (m.maxX-m.minX)/100, (m.maxY-m.minY)/100
	for range 100_000 {
		points = append(points, point{
			float64(m.minX-padX+rng.Int64N(m.maxX-m.minX+2*padX)) / 1e7,
			float64(m.minY-padY+rng.Int64N(m.maxY-m.minY+2*padY)) / 1e7,
			"random",
		})
	}
	for _, poly := range m.parts {
		for _, ring := range poly.rings {
			for i, a := range ring {
				b := ring[(i+1)%len(ring)]
				lattice(a[0], a[1], "vertex")
				dx, dy := b[0]-a[0], b[1]-a[1]
				if g := gcd(dx, dy); g > 1 {
					k := 1 + rng.Int64N(g-1)
					lattice(a[0]+dx/g*k, a[1]+dy/g*k, "on edge")
				}
				if dx%2 == 0 && dy%2 == 0 {
					lattice(a[0]+dx/2, a[1]+dy/2, "on edge")
				}
				f := rng.Float64()
				lattice(a[0]+int64(math.Round(f*float64(dx)))+rng.Int64N(3)-1,
					a[1]+int64(math.Round(f*float64(dy)))+rng.Int64N(3)-1, "near edge")
				// Off the lattice: the point is rounded before the test.
				points = append(points, point{
					(float64(a[0]) + f*float64(dx) + rng.Float64()*1.4 - 0.7) / 1e7,
					(float64(a[1]) + f*float64(dy) + rng.Float64()*1.4 - 0.7) / 1e7,
					"near edge, off lattice",
				})
			}
		}
	}

	counts := map[string]int{}
	results := map[string]int{}
	failures := 0
	for _, p := range points {
		key, edge, ok := ix.Locate(p.lng, p.lat)
		wKey, wEdge, wOK := m.refLocate(p.lng, p.lat)
		counts[p.kind]++
		switch {
		case !wOK:
			results["outside"]++
		case wEdge:
			results["boundary"]++
		default:
			results["inside"]++
		}
		if key != wKey || edge != wEdge || ok != wOK {
			failures++
			if failures <= 10 {
				t.Errorf("%s point (%.7f, %.7f): Locate = %d, %v, %v; brute force %d, %v, %v",
					p.kind, p.lng, p.lat, key, edge, ok, wKey, wEdge, wOK)
			}
		}
	}
	t.Logf("%d points %v; brute force found %v", len(points), counts, results)
	if failures > 0 {
		t.Errorf("%d of %d points differ", failures, len(points))
	}
	// The test is only as good as its points: make sure every case occurs.
	if counts["random"] < 100_000 || counts["on edge"] < 5000 || counts["vertex"] < 20000 {
		t.Errorf("too few points: %v", counts)
	}
	if results["boundary"] < 20000 || results["outside"] < 1000 || results["inside"] < 50000 {
		t.Errorf("too few points per outcome: %v", results)
	}
}

func gcd(a, b int64) int64 {
	a, b = max(a, -a), max(b, -b)
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func TestNearest(t *testing.T) {
	m := newMesh(10, 10, 4, true, true)
	ix := mustBuild(t, m.entries)
	rng := rand.New(rand.NewPCG(4, 4))
	pad := int64(3 * meshCell) // about a kilometre
	inHoles, outside := 0, 0
	for outside < 1500 || inHoles < 100 {
		x := m.minX - pad + rng.Int64N(m.maxX-m.minX+2*pad)
		y := m.minY - pad + rng.Int64N(m.maxY-m.minY+2*pad)
		lng, lat := float64(x)/1e7, float64(y)/1e7
		if k, _, ok := m.refLocate(lng, lat); ok {
			got, d, ok := ix.Nearest(lng, lat, 1)
			if !ok || got != k || d != 0 {
				t.Fatalf("Nearest inside grid %d = %d, %v, %v; want distance 0", k, got, d, ok)
			}
			continue
		}
		hole := m.inHole([2]int64{x, y})
		if hole {
			inHoles++
		} else if outside >= 1500 {
			continue
		} else {
			outside++
		}

		wantKey, want, byKey := m.refNearest(lng, lat)
		key, d, ok := ix.Nearest(lng, lat, math.Inf(1))
		if !ok || math.Abs(d-want) > 1e-6*(1+want) || math.Abs(byKey[key]-want) > 1e-6*(1+want) {
			t.Fatalf("Nearest(%.7f, %.7f) = %d, %.9f m, %v; brute force %d, %.9f m", lng, lat, key, d, ok, wantKey, want)
		}
		// Another key is right only for a tie within rounding (distinct
		// edges at the same distance); a shared vertex must tie exactly.
		if key != wantKey && (key > wantKey && byKey[key] == want || byKey[key]-want > 1e-9*want) {
			t.Errorf("Nearest(%.7f, %.7f) = %d at %.9f m; brute force prefers %d at %.9f m", lng, lat, key, d, wantKey, want)
		}
		if _, _, ok := ix.Nearest(lng, lat, want*1.0001+1e-6); !ok {
			t.Errorf("Nearest(%.7f, %.7f, %.3f) found nothing at %.3f m", lng, lat, want*1.0001, want)
		}
		if _, _, ok := ix.Nearest(lng, lat, want*0.9999); ok && want > 0.01 {
			t.Errorf("Nearest(%.7f, %.7f, %.3f) found a grid at %.3f m", lng, lat, want*0.9999, want)
		}
	}
}

// TestNearestFarAway measures across the whole longitude range, where a
// difference in fixed-point units no longer fits an int32. The projection
// does not wrap around the antimeridian.
func TestNearestFarAway(t *testing.T) {
	ix := mustBuild(t, []Entry{{Key: 1, Shape: toOrb(square(1_799_000_000, 0, 10_000))}})
	_, d, ok := ix.Nearest(-179.9, 0.0005, math.Inf(1))
	want := 359.8 * 6371008.8 * math.Pi / 180
	if !ok || math.Abs(d-want) > 1e-6*want {
		t.Errorf("Nearest = %.1f m, %v; want %.1f m", d, ok, want)
	}
}

func TestMemoryBytes(t *testing.T) {
	m := newMesh(40, 50, 5, false, false)
	ix := mustBuild(t, m.entries)
	leaves, branches := ix.countNodes()
	// 2000 polygons in nodes of at most 64: at least 32 leaves, at least one
	// branch above them, and far fewer nodes than polygons.
	if leaves < 32 || leaves > 400 || branches < 1 || branches > leaves {
		t.Errorf("counted %d leaves and %d branches for 2000 polygons", leaves, branches)
	}
	vertexBytes := 2000 * (2 + 1 + 2*28) * 4
	if got := ix.MemoryBytes(); got < vertexBytes+leaves*1296 || got > vertexBytes+leaves*2000+branches*2000+1000 {
		t.Errorf("MemoryBytes = %d; vertices alone take %d", got, vertexBytes)
	}
}

// TestConcurrentUse is meant for -race: lookups and the first MemoryBytes
// call share one index.
func TestConcurrentUse(t *testing.T) {
	m := newMesh(8, 8, 6, true, false)
	ix := mustBuild(t, m.entries)
	done := make(chan int)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 6))
			found := 0
			for range 2000 {
				lng := float64(m.minX+rng.Int64N(m.maxX-m.minX)) / 1e7
				lat := float64(m.minY+rng.Int64N(m.maxY-m.minY)) / 1e7
				if _, _, ok := ix.Locate(lng, lat); ok {
					found++
				}
				ix.Nearest(lng+0.01, lat, 2000)
			}
			ix.MemoryBytes()
			done <- found
		}()
	}
	for range 4 {
		if found := <-done; found < 1500 {
			t.Errorf("only %d of 2000 points found a grid", found)
		}
	}
}
