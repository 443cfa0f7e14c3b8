package areaio

import (
	"slices"

	"github.com/paulmach/orb"
)

// tilesExactly reports whether pieces cover whole exactly: no gap, no
// overlap, nothing outside. It is the fast path of validation and needs no
// polygon overlay.
//
// Why it works: orient every ring so its interior is on the left and add up
// the edges, +1 for each piece's and -1 for the whole's. If every edge
// cancels, the sum of the pieces' indicator functions minus the whole's has
// no boundary, so it is zero everywhere: every point of the whole lies in
// exactly one piece and no point outside it lies in any. Shapes drawn with
// shared vertices (as GIS topology tools and snapping produce) cancel at
// once; a vertex of one shape lying on an edge of another (a T-junction) is
// handled by splitting the edges that did not cancel at such vertices. Shapes
// that only nearly touch do not cancel and go to the overlay instead.
func tilesExactly(whole orb.Geometry, pieces []orb.Geometry) bool {
	count := make(map[edge]int)
	addEdges(count, whole, -1)
	for _, p := range pieces {
		addEdges(count, p, +1)
	}
	var residual []edge
	for e, c := range count {
		if c != 0 {
			residual = append(residual, e)
		}
	}
	if len(residual) == 0 {
		return true
	}
	// Split what is left at every vertex of what is left that lies on it.
	vertices := make([]ipt, 0, 2*len(residual))
	for _, e := range residual {
		vertices = append(vertices, e.a, e.b)
	}
	slices.SortFunc(vertices, cmpIpt)
	vertices = slices.Compact(vertices)
	split := make(map[edge]int, 2*len(residual))
	var on []ipt
	for _, e := range residual {
		c := count[e]
		// e.a < e.b, so the points of the edge in order from a to b are in
		// ascending (x, y) order too, and they lie in this x range.
		lo, _ := slices.BinarySearchFunc(vertices, e.a, cmpIpt)
		on = on[:0]
		for _, v := range vertices[lo:] {
			if v.x > e.b.x {
				break
			}
			if v != e.a && v != e.b && e.a.less(v) && v.less(e.b) && orient(e.a, e.b, v) == 0 && within(e.a, e.b, v) {
				on = append(on, v)
			}
		}
		from := e.a
		for _, v := range on {
			split[edge{from, v}] += c
			from = v
		}
		split[edge{from, e.b}] += c
	}
	for _, c := range split {
		if c != 0 {
			return false
		}
	}
	return true
}

// edge is an undirected segment with a < b; the map value carries direction.
type edge struct{ a, b ipt }

func cmpIpt(p, q ipt) int {
	switch {
	case p.less(q):
		return -1
	case q.less(p):
		return 1
	}
	return 0
}

// addEdges adds the boundary of a polygonal geometry, each ring oriented
// with the interior on its left, times weight.
func addEdges(count map[edge]int, g orb.Geometry, weight int) {
	addPolygon := func(p orb.Polygon) {
		for i, r := range p {
			pts := ringPoints(r)
			area, _ := ringAreaCentroid(r)
			// Outer rings run counter-clockwise, holes clockwise.
			dir := weight
			if (area < 0) == (i == 0) {
				dir = -weight
			}
			for k := 0; k+1 < len(pts); k++ {
				a, b := pts[k], pts[k+1]
				if a.less(b) {
					count[edge{a, b}] += dir
				} else {
					count[edge{b, a}] -= dir
				}
			}
		}
	}
	eachPolygon(g, addPolygon)
}
