// Package gridindex answers "which grid is this point in?" for a fixed set of
// grid polygons held in memory.
//
// Vertices are stored once, in a single flat []int32 of fixed-point units of
// 1e-7 degree (about 1 cm, the precision the area store keeps), and every
// point-in-polygon test is done in exact integer arithmetic. A query point is
// rounded to the same 1e-7 degree lattice first, so the answer is exact and
// deterministic for that rounded point: "on an edge" means on the edge after
// rounding, i.e. within about half a centimetre. Candidates are found with an
// R-tree (github.com/tidwall/rtree) of float32 bounding boxes rounded outward,
// so no polygon is ever missed by the float32 approximation.
//
// # Boundary rule
//
// A point strictly inside a polygon gets that polygon's key. A point exactly
// on an edge or vertex gets, among the polygons whose closed area contains it,
// the one with the smallest key, with onBoundary = true. A point inside a hole
// is not in the polygon with the hole (a polygon filling the hole, if any,
// gets it; a point on the hole's ring is on the boundary of both). Polygons of
// a valid tiling do not overlap; if they do, interior containment still wins
// over boundary contact, and the smallest key among the interiors is returned.
//
// An Index is immutable after Build and safe for concurrent use.
//
// # Benchmarks
//
// BenchmarkLocate and BenchmarkSQLiteRTree compare this index with a SQLite
// R*Tree over the same grids. The 10⁶-grid cases run only when -short is not
// given and CIVICGRID_BENCH_LARGE=1 is set:
//
//	CIVICGRID_BENCH_LARGE=1 go test -run '^$' -bench . -benchtime=2s -cpu 1 ./gridindex/
package gridindex

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"sync"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// unitsPerDegree is the fixed-point scale: 1 unit = 1e-7 degree.
const unitsPerDegree = 1e7

// metersPerDegree is the length of one degree of latitude (and of longitude at
// the equator) on a sphere of the mean Earth radius, 6371008.8 m.
const metersPerDegree = 6371008.8 * math.Pi / 180

// Entry is one grid to index.
type Entry struct {
	Key   uint32       // the caller's id, returned by lookups
	Shape orb.Geometry // orb.Polygon or orb.MultiPolygon in [lng, lat] WGS-84 degrees
}

// Index is a point-lookup index over grid polygons. Build one with Build.
//
// Each polygon (a MultiPolygon contributes one per member) is a block of data:
//
//	key, ring count R, R ring lengths (in vertices), then the vertices as
//	lng, lat pairs, outer ring first, without the closing vertex.
//
// The R-tree maps each polygon's bounding box to the offset of its block, so a
// candidate costs one jump into data and no further indirection.
type Index struct {
	tree    rtree.RTreeGN[float32, uint32]
	data    []int32
	entries int

	nodesOnce sync.Once
	treeBytes int
}

// Build indexes entries. It fails on a shape that is not a polygon or
// multipolygon, an empty one, a ring with fewer than three distinct vertices,
// or a coordinate that is not finite or outside [-180, 180] × [-90, 90].
func Build(entries []Entry) (*Index, error) {
	one := make(orb.MultiPolygon, 1) // lets a Polygon take the MultiPolygon path without allocating
	var boxes []box                  // one per polygon
	size := 0
	for i, e := range entries {
		polys, err := polygonsOf(e.Shape, one)
		if err != nil {
			return nil, fmt.Errorf("gridindex: entry %d (key %d): %w", i, e.Key, err)
		}
		for _, p := range polys {
			b, n, err := measure(p)
			if err != nil {
				return nil, fmt.Errorf("gridindex: entry %d (key %d): %w", i, e.Key, err)
			}
			b.offset = uint32(size)
			boxes = append(boxes, b)
			size += n
			if uint64(size) > math.MaxUint32 {
				return nil, errors.New("gridindex: too many vertices for one index")
			}
		}
	}

	ix := &Index{data: make([]int32, 0, size), entries: len(entries)}
	for _, e := range entries {
		polys, _ := polygonsOf(e.Shape, one)
		for _, p := range polys {
			ix.data = appendPolygon(ix.data, e.Key, p)
		}
	}
	// Insert in a fixed pseudo-random order. Input order is usually spatially
	// sorted, and then tidwall/rtree splits each full leaf and never revisits
	// the left half: the leaves stay half full, and lookups on the benchmark
	// mesh (row by row) were 20-40 % slower.
	for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(len(boxes)) {
		b := &boxes[i]
		ix.tree.Insert(
			[2]float32{down32(float64(b.min[0]) / unitsPerDegree), down32(float64(b.min[1]) / unitsPerDegree)},
			[2]float32{up32(float64(b.max[0]) / unitsPerDegree), up32(float64(b.max[1]) / unitsPerDegree)},
			b.offset)
	}
	return ix, nil
}

// box is a polygon's bounding box in fixed-point units while building, and
// the offset of its block in data.
type box struct {
	min, max [2]int32
	offset   uint32
}

func polygonsOf(g orb.Geometry, one orb.MultiPolygon) (orb.MultiPolygon, error) {
	var polys orb.MultiPolygon
	switch s := g.(type) {
	case orb.Polygon:
		one[0] = s
		polys = one
	case orb.MultiPolygon:
		polys = s
	case nil:
		return nil, errors.New("no shape")
	default:
		return nil, fmt.Errorf("shape is a %s, want Polygon or MultiPolygon", g.GeoJSONType())
	}
	if len(polys) == 0 {
		return nil, errors.New("empty multipolygon")
	}
	for _, p := range polys {
		if len(p) == 0 {
			return nil, errors.New("empty polygon")
		}
	}
	return polys, nil
}

// measure validates p and returns its bounding box and the number of int32s
// its block takes.
func measure(p orb.Polygon) (box, int, error) {
	b := box{min: [2]int32{math.MaxInt32, math.MaxInt32}, max: [2]int32{math.MinInt32, math.MinInt32}}
	size := 2 + len(p)
	for r, ring := range p {
		for i, pt := range ring {
			if _, _, ok := toFixed(pt[0], pt[1]); !ok {
				return box{}, 0, fmt.Errorf("ring %d point %d: %v is not a finite WGS-84 [lng, lat]", r, i, pt)
			}
		}
		n := 0
		for x, y := range ringVertices(ring) {
			n++
			b.min[0], b.min[1] = min(b.min[0], x), min(b.min[1], y)
			b.max[0], b.max[1] = max(b.max[0], x), max(b.max[1], y)
		}
		if n < 3 {
			return box{}, 0, fmt.Errorf("ring %d has %d distinct vertices, want at least 3", r, n)
		}
		size += 2 * n
	}
	return b, size, nil
}

// ringVertices yields the vertices of a ring with valid coordinates in fixed
// point, skipping repeats of the previous vertex and the closing vertex, so
// that every stored edge has a length.
func ringVertices(ring orb.Ring) iter.Seq2[int32, int32] {
	return func(yield func(x, y int32) bool) {
		if len(ring) == 0 {
			return
		}
		first, end := fixedOf(ring[0]), len(ring)
		for end > 1 && fixedOf(ring[end-1]) == first {
			end--
		}
		var last [2]int32
		for i, pt := range ring[:end] {
			q := fixedOf(pt)
			if i > 0 && q == last {
				continue
			}
			last = q
			if !yield(q[0], q[1]) {
				return
			}
		}
	}
}

// appendPolygon appends p's block (see Index) to data. p has passed measure.
func appendPolygon(data []int32, key uint32, p orb.Polygon) []int32 {
	data = append(data, int32(key), int32(len(p)))
	lengths := len(data)
	data = append(data, make([]int32, len(p))...)
	for r, ring := range p {
		n := int32(0)
		for x, y := range ringVertices(ring) {
			data = append(data, x, y)
			n++
		}
		data[lengths+r] = n
	}
	return data
}

// toFixed rounds a WGS-84 position to fixed-point units; ok is false for NaN,
// infinities and positions outside [-180, 180] × [-90, 90].
func toFixed(lng, lat float64) (x, y int32, ok bool) {
	if !(lng >= -180 && lng <= 180 && lat >= -90 && lat <= 90) {
		return 0, 0, false
	}
	return int32(math.Round(lng * unitsPerDegree)), int32(math.Round(lat * unitsPerDegree)), true
}

func fixedOf(p orb.Point) [2]int32 {
	x, y, _ := toFixed(p[0], p[1])
	return [2]int32{x, y}
}

// down32 and up32 round to float32 toward -Inf and +Inf, so a float32 box
// always contains the exact one.
func down32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// treePoint is the float32 search point for a fixed-point position. Rounding
// is monotonic, so a point inside a polygon's exact box stays inside the
// outward-rounded float32 box.
func treePoint(x, y int32) [2]float32 {
	return [2]float32{float32(float64(x) / unitsPerDegree), float32(float64(y) / unitsPerDegree)}
}

// Len returns the number of entries indexed.
func (ix *Index) Len() int { return ix.entries }

// Locate returns the key of the grid containing (lng, lat), following the
// boundary rule of the package documentation. ok is false when no grid
// contains the point or the input is NaN, infinite or outside
// [-180, 180] × [-90, 90].
func (ix *Index) Locate(lng, lat float64) (key uint32, onBoundary bool, ok bool) {
	x, y, valid := toFixed(lng, lat)
	if !valid {
		return 0, false, false
	}
	return ix.locate(x, y)
}

func (ix *Index) locate(x, y int32) (key uint32, onBoundary bool, ok bool) {
	var (
		insideKey, edgeKey     uint32
		insideFound, edgeFound bool
	)
	q := treePoint(x, y)
	ix.tree.Search(q, q, func(_, _ [2]float32, off uint32) bool {
		k := uint32(ix.data[off])
		if insideFound && k >= insideKey {
			return true // cannot win
		}
		switch ix.position(off, x, y) {
		case inside:
			insideKey, insideFound = k, true
		case onEdge:
			if !edgeFound || k < edgeKey {
				edgeKey, edgeFound = k, true
			}
		}
		return true
	})
	switch {
	case insideFound:
		return insideKey, false, true
	case edgeFound:
		return edgeKey, true, true
	}
	return 0, false, false
}

type position uint8

const (
	outside position = iota
	inside
	onEdge
)

// position reports where (x, y) lies relative to the polygon at data[off].
func (ix *Index) position(off uint32, x, y int32) position {
	block := ix.data[off+1:]
	rings := int(block[0])
	lengths := block[1 : 1+rings]
	v := block[1+rings:]
	for r, n := range lengths {
		ring := v[:2*n]
		v = v[2*n:]
		switch ringPosition(ring, int64(x), int64(y)) {
		case onEdge:
			return onEdge
		case outside:
			if r == 0 {
				return outside
			}
		case inside:
			if r > 0 {
				return outside // in a hole
			}
		}
	}
	return inside
}

// ringPosition is the crossing-number test for a ray towards +x, made exact:
// every product is a longitude difference (< 3.6e9) times a latitude
// difference (< 1.8e9), so it fits an int64, and the two products are compared
// rather than subtracted, which could overflow.
func ringPosition(ring []int32, x, y int64) position {
	in := false
	ax, ay := int64(ring[len(ring)-2]), int64(ring[len(ring)-1])
	for i := 0; i+1 < len(ring); i += 2 {
		bx, by := int64(ring[i]), int64(ring[i+1])
		if (ay > y) != (by > y) {
			// The edge straddles the ray's line (half-open, so a vertex on it
			// is counted once). Compare (b-a)×(p-a) with zero.
			l, r := (bx-ax)*(y-ay), (x-ax)*(by-ay)
			if l == r {
				return onEdge
			}
			if (l > r) == (by > ay) {
				in = !in // crossing lies to the right of the point
			}
		} else if ay == y && (ax == x || by == y && (ax <= x) != (bx < x)) {
			return onEdge // on vertex a, or on a horizontal edge
		}
		ax, ay = bx, by
	}
	if in {
		return inside
	}
	return outside
}

// Nearest returns the grid nearest to (lng, lat) within maxMeters, measured
// from the point to the grid's boundary (0 when the point is in a grid, which
// is then the one Locate returns). Ties go to the smallest key. Distances use
// a local equirectangular projection centred on the point (x scaled by the
// cosine of its latitude, on a sphere of radius 6371008.8 m): the error is far
// below a metre over the few kilometres that matter for grids, but it grows
// with distance and towards the poles. ok is false when nothing lies within
// maxMeters or an input is NaN, infinite or out of range.
func (ix *Index) Nearest(lng, lat, maxMeters float64) (key uint32, meters float64, ok bool) {
	x, y, valid := toFixed(lng, lat)
	if !valid || !(maxMeters >= 0) {
		return 0, 0, false
	}
	if k, _, in := ix.locate(x, y); in {
		return k, 0, true
	}
	kx := math.Cos(float64(y)/unitsPerDegree*math.Pi/180) * metersPerDegree
	ky := metersPerDegree
	qx, qy := float64(x)/unitsPerDegree, float64(y)/unitsPerDegree // exact, unlike treePoint
	best, found := math.Inf(1), false
	// Boxes come out in order of their distance, a lower bound of the
	// polygon's; stop once that bound passes the best polygon so far. The
	// slack keeps equal distances (shared vertices) from being cut off by
	// rounding, so the smallest key among them is seen.
	const slack = 1e-6 // metres
	ix.tree.Nearby(
		func(bmin, bmax [2]float32, _ uint32, _ bool) float64 {
			dx := max(float64(bmin[0])-qx, qx-float64(bmax[0]), 0) * kx
			dy := max(float64(bmin[1])-qy, qy-float64(bmax[1]), 0) * ky
			return math.Hypot(dx, dy)
		},
		func(_, _ [2]float32, off uint32, bound float64) bool {
			if bound > maxMeters || bound > best+slack {
				return false
			}
			d := ix.boundaryMeters(off, x, y, kx, ky)
			k := uint32(ix.data[off])
			if d < best || d == best && k < key {
				best, key, found = d, k, true
			}
			return true
		})
	if !found || best > maxMeters {
		return 0, 0, false
	}
	return key, best, true
}

// boundaryMeters is the distance from (x, y) to the nearest edge of the
// polygon at data[off], in the projection described at Nearest.
func (ix *Index) boundaryMeters(off uint32, x, y int32, kx, ky float64) float64 {
	block := ix.data[off+1:]
	rings := int(block[0])
	lengths := block[1 : 1+rings]
	v := block[1+rings:]
	best := math.Inf(1)
	project := func(i int) (float64, float64) {
		// In int64: a longitude difference can exceed the int32 range.
		return float64(int64(v[i])-int64(x)) / unitsPerDegree * kx, float64(int64(v[i+1])-int64(y)) / unitsPerDegree * ky
	}
	for _, n32 := range lengths {
		n := int(n32)
		ax, ay := project(2*n - 2)
		for i := 0; i < 2*n; i += 2 {
			bx, by := project(i)
			best = min(best, segmentDistance(ax, ay, bx, by))
			ax, ay = bx, by
		}
		v = v[2*n:]
	}
	return best
}

// segmentDistance is the distance from the origin to segment a–b.
func segmentDistance(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t, l := -(ax*dx + ay*dy), dx*dx+dy*dy // the origin's projection, times l
	switch {
	case t <= 0 || l == 0:
		return math.Hypot(ax, ay)
	case t >= l:
		return math.Hypot(bx, by)
	}
	return math.Hypot(ax+dx*t/l, ay+dy*t/l)
}

// MemoryBytes estimates the bytes held by the index: the capacity of the
// vertex array plus the R-tree's nodes, counted by walking the tree once (on
// the first call) and sized from the node layout of tidwall/rtree v1.10
// (64 float32 boxes plus 64 items or child pointers per node), rounded up to
// the Go allocator's size class. The Entry slice and its orb shapes, which the
// caller may drop after Build, are not counted.
func (ix *Index) MemoryBytes() int {
	ix.nodesOnce.Do(func() {
		leaves, branches := ix.countNodes()
		ix.treeBytes = leaves*sizeClass(int(unsafe.Sizeof(leafLayout{}))) +
			branches*sizeClass(int(unsafe.Sizeof(branchLayout{})))
	})
	return cap(ix.data)*4 + ix.treeBytes + int(unsafe.Sizeof(*ix))
}

// nodeLayout, leafLayout and branchLayout mirror the node structs of
// tidwall/rtree for RTreeGN[float32, uint32].
type nodeLayout struct {
	cow   uint64
	kind  int8
	count int16
	rects [64][4]float32
}

type leafLayout struct {
	nodeLayout
	items [64]uint32
}

type branchLayout struct {
	nodeLayout
	children [64]unsafe.Pointer
}

// sizeClass rounds a node's size up to the Go allocator's size class; the
// table holds the classes from 1 to 2 KiB, where both kinds of node fall.
func sizeClass(n int) int {
	for _, c := range []int{1024, 1152, 1280, 1408, 1536, 1792, 2048} {
		if n <= c {
			return c
		}
	}
	return n
}

// countNodes walks the tree with Nearby, the only traversal that exposes
// nodes: node distances keep decreasing, which makes the walk depth-first
// with a small queue, and items sort before every node, so each leaf's items
// are drained before the next node opens. A leaf is thus a run of item
// distance calls.
func (ix *Index) countNodes() (leaves, branches int) {
	if ix.tree.Len() == 0 {
		return 0, 0
	}
	nodes, next, inLeaf := 1, 0.0, false
	ix.tree.Nearby(
		func(_, _ [2]float32, _ uint32, item bool) float64 {
			if item {
				if !inLeaf {
					leaves++
				}
				inLeaf = true
				return math.Inf(-1)
			}
			inLeaf = false
			nodes++
			next--
			return next
		},
		func(_, _ [2]float32, _ uint32, _ float64) bool {
			inLeaf = false
			return true
		})
	return leaves, nodes - leaves
}
