package areaio

import (
	"github.com/paulmach/orb"
)

// interiorsDisjoint reports whether the interiors of two polygonal
// geometries surely do not meet, which for neighbours drawn with shared
// edges settles their overlap without an overlay. False means "maybe": the
// caller measures with an overlay.
//
// Two valid polygons' interiors meet exactly when their boundaries cross, or
// a piece of one boundary runs inside the other polygon, or both run along a
// shared edge with their interiors on the same side. Boundaries are cut at
// each other's vertices; with no crossing, every piece either lies on an
// edge of the other shape (compare directions) or strictly inside or outside
// it (test its midpoint). All of it is exact integer arithmetic on the
// 1e-7° grid, midpoints in doubled coordinates.
func interiorsDisjoint(a, b orb.Geometry) bool {
	ab, bb := a.Bound(), b.Bound()
	if !ab.Intersects(bb) {
		return true
	}
	// Coordinates relative to a local origin keep products small; a shape
	// spanning more than 10° is left to the overlay.
	const maxExtent = 10 * coordScale
	whole := ab.Union(bb)
	origin := toIpt(whole.Min)
	if ext := toIpt(whole.Max); ext.x-origin.x > maxExtent || ext.y-origin.y > maxExtent {
		return false
	}
	ringsA, ringsB := orientedRings(a, origin), orientedRings(b, origin)
	box := orb.Bound{
		Min: orb.Point{max(ab.Min[0], bb.Min[0]), max(ab.Min[1], bb.Min[1])},
		Max: orb.Point{min(ab.Max[0], bb.Max[0]), min(ab.Max[1], bb.Max[1])},
	}
	lo, hi := toIpt(box.Min), toIpt(box.Max)
	lo, hi = ipt{lo.x - origin.x, lo.y - origin.y}, ipt{hi.x - origin.x, hi.y - origin.y}
	edgesA, edgesB := edgesIn(ringsA, lo, hi), edgesIn(ringsB, lo, hi)
	for _, e := range edgesA {
		for _, f := range edgesB {
			if boxesMeet(e, f) && crossProperly(e.a, e.b, f.a, f.b) {
				return false
			}
		}
	}
	return boundaryOutside(edgesA, edgesB, ringsB) && boundaryOutside(edgesB, edgesA, ringsA)
}

// orientedRings returns the rings of a polygonal geometry relative to
// origin, each running with the interior on its left (outer rings
// counter-clockwise, holes clockwise) and without repeated points.
func orientedRings(g orb.Geometry, origin ipt) [][]ipt {
	var rings [][]ipt
	addPolygon := func(p orb.Polygon) {
		for i, r := range p {
			pts := ringPoints(r)
			for k := range pts {
				pts[k] = ipt{pts[k].x - origin.x, pts[k].y - origin.y}
			}
			if area, _ := ringAreaCentroid(r); (area < 0) == (i == 0) {
				for l, m := 0, len(pts)-1; l < m; l, m = l+1, m-1 {
					pts[l], pts[m] = pts[m], pts[l]
				}
			}
			rings = append(rings, pts)
		}
	}
	eachPolygon(g, addPolygon)
	return rings
}

type segment struct{ a, b ipt }

// edgesIn returns the edges whose bounding boxes meet the box lo–hi: only
// there can two shapes touch.
func edgesIn(rings [][]ipt, lo, hi ipt) []segment {
	var out []segment
	for _, r := range rings {
		for k := 0; k+1 < len(r); k++ {
			p, q := r[k], r[k+1]
			if max(p.x, q.x) >= lo.x && min(p.x, q.x) <= hi.x && max(p.y, q.y) >= lo.y && min(p.y, q.y) <= hi.y {
				out = append(out, segment{p, q})
			}
		}
	}
	return out
}

func boxesMeet(e, f segment) bool {
	return max(e.a.x, e.b.x) >= min(f.a.x, f.b.x) && max(f.a.x, f.b.x) >= min(e.a.x, e.b.x) &&
		max(e.a.y, e.b.y) >= min(f.a.y, f.b.y) && max(f.a.y, f.b.y) >= min(e.a.y, e.b.y)
}

// crossProperly reports whether the segments cross at a point inside both.
func crossProperly(a, b, c, d ipt) bool {
	return orient(a, b, c)*orient(a, b, d) < 0 && orient(c, d, a)*orient(c, d, b) < 0
}

// boundaryOutside cuts each edge of one shape at the other shape's vertices
// lying on it and reports whether no piece runs inside the other shape or
// along one of its edges in the same direction.
func boundaryOutside(edges, other []segment, otherRings [][]ipt) bool {
	var cuts []ipt
	for _, e := range edges {
		cuts = append(cuts[:0], e.a)
		for _, f := range other {
			if !boxesMeet(e, f) {
				continue
			}
			for _, v := range [2]ipt{f.a, f.b} {
				if v != e.a && v != e.b && orient(e.a, e.b, v) == 0 && within(e.a, e.b, v) {
					cuts = append(cuts, v)
				}
			}
		}
		cuts = append(cuts, e.b)
		// Order the cuts along the edge (they are collinear, so distance
		// from its start along either axis does).
		sortAlong(cuts, e.a)
		for k := 0; k+1 < len(cuts); k++ {
			s, t := cuts[k], cuts[k+1]
			if s == t {
				continue
			}
			shared, sameDirection := onEdgeOf(s, t, other)
			if shared {
				if sameDirection {
					return false
				}
				continue
			}
			mid := ipt{s.x + t.x, s.y + t.y} // doubled
			inside, onBoundary := insideDoubled(mid, otherRings)
			if inside || onBoundary {
				return false
			}
		}
	}
	return true
}

// sortAlong sorts points on a line by their distance from start (insertion
// sort: there are only a few).
func sortAlong(pts []ipt, start ipt) {
	dist := func(p ipt) int64 { return abs64(p.x-start.x) + abs64(p.y-start.y) }
	for i := 1; i < len(pts); i++ {
		for j := i; j > 0 && dist(pts[j]) < dist(pts[j-1]); j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// onEdgeOf reports whether the piece s–t lies along one of the edges, and
// whether it runs the same way.
func onEdgeOf(s, t ipt, edges []segment) (shared, sameDirection bool) {
	for _, f := range edges {
		if orient(f.a, f.b, s) == 0 && orient(f.a, f.b, t) == 0 && within(f.a, f.b, s) && within(f.a, f.b, t) {
			same := (t.x-s.x)*(f.b.x-f.a.x)+(t.y-s.y)*(f.b.y-f.a.y) > 0
			return true, same
		}
	}
	return false, false
}

// insideDoubled tests a point given in doubled coordinates against rings in
// plain ones, by the even-odd rule with a ray towards +x. onBoundary is true
// when the point lies on an edge, which the caller treats as "not sure".
func insideDoubled(m ipt, rings [][]ipt) (inside, onBoundary bool) {
	for _, r := range rings {
		for k := 0; k+1 < len(r); k++ {
			p := ipt{2 * r[k].x, 2 * r[k].y}
			q := ipt{2 * r[k+1].x, 2 * r[k+1].y}
			if (p.y > m.y) == (q.y > m.y) {
				if p.y == m.y && q.y == m.y && min(p.x, q.x) <= m.x && m.x <= max(p.x, q.x) {
					return false, true
				}
				continue
			}
			switch o := orient(p, q, m); {
			case o == 0:
				return false, true
			case (q.y > p.y) == (o > 0):
				inside = !inside
			}
		}
	}
	return inside, false
}
