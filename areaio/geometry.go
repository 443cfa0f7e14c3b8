package areaio

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
)

// Areas in square metres come from a local equirectangular projection: around
// a latitude lat0, one degree of longitude is cos(lat0)·111320 m and one degree
// of latitude 110574 m. Within a city (tens of kilometres) this is within a
// fraction of a percent of the geodesic area, which is plenty for tolerances
// of a square metre on shapes of thousands.
const (
	metresPerDegreeLng = 111320.0 // at the equator
	metresPerDegreeLat = 110574.0
)

// coordScale is the precision coordinates are rounded to: 1e-7 degrees, about
// a centimetre.
const coordScale = 1e7

// m2PerDeg2 converts square degrees near latitude lat0 to square metres.
func m2PerDeg2(lat0 float64) float64 {
	return math.Cos(lat0*math.Pi/180) * metresPerDegreeLng * metresPerDegreeLat
}

// AreaM2 returns the area of a Polygon, MultiPolygon, Ring, Bound or a
// Collection of them in square metres, projecting the WGS-84 degrees to a
// local equirectangular plane around the shape's centroid latitude (see
// docs/area-format.md for the approximation). Holes are subtracted; other
// geometries have no area.
func AreaM2(g orb.Geometry) float64 {
	a, cy := areaDeg2(g)
	if a <= 0 {
		return 0
	}
	return a * m2PerDeg2(cy)
}

// areaDeg2 returns the planar area in square degrees and the latitude of the
// centroid.
func areaDeg2(g orb.Geometry) (area, centroidLat float64) {
	var sum, moment float64
	addRing := func(r orb.Ring, hole bool) {
		a, cy := ringAreaCentroid(r)
		a = math.Abs(a)
		if hole {
			a = -a
		}
		sum += a
		moment += a * cy
	}
	var addPolygon func(p orb.Polygon)
	addPolygon = func(p orb.Polygon) {
		for i, r := range p {
			addRing(r, i > 0)
		}
	}
	var walk func(g orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Polygon:
			addPolygon(g)
		case orb.MultiPolygon:
			for _, p := range g {
				addPolygon(p)
			}
		case orb.Ring:
			addRing(g, false)
		case orb.Bound:
			addPolygon(g.ToPolygon())
		case orb.Collection:
			for _, c := range g {
				walk(c)
			}
		}
	}
	walk(g)
	if sum <= 0 {
		return 0, 0
	}
	return sum, moment / sum
}

// ringAreaCentroid returns the signed shoelace area (positive when
// counter-clockwise) and the centroid latitude of a ring. Coordinates are
// taken relative to the first vertex to keep precision.
func ringAreaCentroid(r orb.Ring) (area, centroidLat float64) {
	if len(r) < 3 {
		return 0, 0
	}
	x0, y0 := r[0][0], r[0][1]
	var a2, cy6 float64
	for i := 0; i+1 < len(r); i++ {
		x1, y1 := r[i][0]-x0, r[i][1]-y0
		x2, y2 := r[i+1][0]-x0, r[i+1][1]-y0
		cross := x1*y2 - x2*y1
		a2 += cross
		cy6 += (y1 + y2) * cross
	}
	if a2 == 0 {
		return 0, y0
	}
	return a2 / 2, y0 + cy6/(3*a2)
}

// sfAreaM2 is the area of an overlay result, in square metres around lat0.
func sfAreaM2(g geom.Geometry, lat0 float64) float64 {
	return g.Area() * m2PerDeg2(lat0)
}

// boundOverlapM2 is the area of the intersection of two bounding boxes: an
// upper bound for the overlap of the shapes inside them.
func boundOverlapM2(a, b orb.Bound) float64 {
	w := math.Min(a.Max[0], b.Max[0]) - math.Max(a.Min[0], b.Min[0])
	h := math.Min(a.Max[1], b.Max[1]) - math.Max(a.Min[1], b.Min[1])
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h * m2PerDeg2((a.Min[1]+a.Max[1])/2)
}

// roundCoord rounds to the stored precision; -0 becomes 0 so files read the
// same whichever side of zero a value came from.
func roundCoord(v float64) float64 {
	r := math.Round(v*coordScale) / coordScale
	if r == 0 {
		return 0
	}
	return r
}

// roundGeometry returns a copy of g with every coordinate rounded.
func roundGeometry(g orb.Geometry) orb.Geometry {
	ring := func(r orb.Ring) orb.Ring {
		out := make(orb.Ring, len(r))
		for i, p := range r {
			out[i] = orb.Point{roundCoord(p[0]), roundCoord(p[1])}
		}
		return out
	}
	poly := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = ring(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{roundCoord(g[0]), roundCoord(g[1])}
	case orb.Polygon:
		return poly(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = poly(p)
		}
		return out
	}
	return g
}

// polygonal reports whether g is a Polygon or MultiPolygon.
func polygonal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

// toSF converts a Point, Polygon or MultiPolygon to a simplefeatures geometry
// for the overlay operations. It does not validate: Decode has done that.
func toSF(g orb.Geometry) (geom.Geometry, error) {
	poly := func(p orb.Polygon) geom.Polygon {
		rings := make([]geom.LineString, len(p))
		for i, r := range p {
			flat := make([]float64, 0, 2*len(r))
			for _, pt := range r {
				flat = append(flat, pt[0], pt[1])
			}
			rings[i] = geom.NewLineString(geom.NewSequence(flat, geom.DimXY))
		}
		return geom.NewPolygon(rings)
	}
	switch g := g.(type) {
	case orb.Point:
		return geom.XY{X: g[0], Y: g[1]}.AsPoint().AsGeometry(), nil
	case orb.Polygon:
		return poly(g).AsGeometry(), nil
	case orb.MultiPolygon:
		polys := make([]geom.Polygon, len(g))
		for i, p := range g {
			polys[i] = poly(p)
		}
		return geom.NewMultiPolygon(polys).AsGeometry(), nil
	case nil:
		return geom.Geometry{}, fmt.Errorf("no geometry")
	}
	return geom.Geometry{}, fmt.Errorf("unsupported geometry type %s", g.GeoJSONType())
}

// largestPartPoint returns a point inside the largest polygon of an overlay
// result, to tell a person where to look.
func largestPartPoint(g geom.Geometry) (orb.Point, bool) {
	var best geom.Geometry
	bestArea := -1.0
	var visit func(g geom.Geometry)
	visit = func(g geom.Geometry) {
		switch g.Type() {
		case geom.TypePolygon:
			if a := g.Area(); a > bestArea {
				best, bestArea = g, a
			}
		case geom.TypeMultiPolygon:
			mp := g.MustAsMultiPolygon()
			for i := range mp.NumPolygons() {
				visit(mp.PolygonN(i).AsGeometry())
			}
		case geom.TypeGeometryCollection:
			gc := g.MustAsGeometryCollection()
			for i := range gc.NumGeometries() {
				visit(gc.GeometryN(i))
			}
		}
	}
	visit(g)
	if bestArea < 0 {
		return orb.Point{}, false
	}
	xy, ok := best.PointOnSurface().XY()
	if !ok {
		return orb.Point{}, false
	}
	return orb.Point{roundTo(xy.X, 6), roundTo(xy.Y, 6)}, true
}

func roundTo(v float64, digits int) float64 {
	s := math.Pow(10, float64(digits))
	return math.Round(v*s) / s
}

// fmtPoint writes a position as a person would paste it into a map search.
func fmtPoint(p orb.Point) string {
	return fmt.Sprintf("[%g, %g]", p[0], p[1])
}

// Exact predicates. Rounded coordinates are whole numbers of 1e-7 degrees,
// so on integers collinearity and touching are decided exactly, without the
// float noise that would make a vertex on an edge look a hair off it.

type ipt struct{ x, y int64 }

func toIpt(p orb.Point) ipt {
	return ipt{int64(math.Round(p[0] * coordScale)), int64(math.Round(p[1] * coordScale))}
}

func (p ipt) point() orb.Point {
	return orb.Point{float64(p.x) / coordScale, float64(p.y) / coordScale}
}

func (p ipt) less(q ipt) bool { return p.x < q.x || (p.x == q.x && p.y < q.y) }

// orient is the sign of the turn a→b→c: +1 left, -1 right, 0 straight.
// Differences of valid coordinates are below 3.6e9 units, so each product
// stays below 6.5e18 and fits an int64; comparing the products instead of
// subtracting them avoids overflow.
func orient(a, b, c ipt) int {
	p1 := (b.x - a.x) * (c.y - a.y)
	p2 := (b.y - a.y) * (c.x - a.x)
	switch {
	case p1 > p2:
		return 1
	case p1 < p2:
		return -1
	}
	return 0
}

// within reports whether p, collinear with a and b, lies on the segment a–b.
func within(a, b, p ipt) bool {
	return min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
}

// segmentsMeet returns a point shared by segments a–b and c–d, if any.
func segmentsMeet(a, b, c, d ipt) (orb.Point, bool) {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		// A proper crossing; its position only names a place, so floats do.
		ax, ay := float64(a.x), float64(a.y)
		bx, by := float64(b.x), float64(b.y)
		cx, cy := float64(c.x), float64(c.y)
		dx, dy := float64(d.x), float64(d.y)
		den := (bx-ax)*(dy-cy) - (by-ay)*(dx-cx)
		t := ((cx-ax)*(dy-cy) - (cy-ay)*(dx-cx)) / den
		return orb.Point{roundTo((ax+t*(bx-ax))/coordScale, 7), roundTo((ay+t*(by-ay))/coordScale, 7)}, true
	}
	switch {
	case o1 == 0 && within(a, b, c):
		return c.point(), true
	case o2 == 0 && within(a, b, d):
		return d.point(), true
	case o3 == 0 && within(c, d, a):
		return a.point(), true
	case o4 == 0 && within(c, d, b):
		return b.point(), true
	}
	return orb.Point{}, false
}

// ringPoints returns the ring's vertices on the integer grid without
// consecutive repeats (which are allowed and harmless), still closed.
func ringPoints(r orb.Ring) []ipt {
	pts := make([]ipt, 0, len(r))
	for _, p := range r {
		q := toIpt(p)
		if len(pts) > 0 && pts[len(pts)-1] == q {
			continue
		}
		pts = append(pts, q)
	}
	return pts
}

// collinear reports whether all points of a ring lie on one line (or there
// are fewer than three distinct ones).
func collinear(r orb.Ring) bool {
	pts := ringPoints(r)
	a := pts[0]
	var b ipt
	found := false
	for _, p := range pts[1:] {
		if p != a {
			b, found = p, true
			break
		}
	}
	if !found {
		return true
	}
	for _, p := range pts {
		if orient(a, b, p) != 0 {
			return false
		}
	}
	return true
}

// ringSelfIntersection finds a place where a closed ring touches or crosses
// itself, or doubles back along its own edge. Segments are swept in order of
// their west end, so only segments whose longitude ranges overlap are
// compared.
func ringSelfIntersection(r orb.Ring) (at orb.Point, doublesBack, found bool) {
	pts := ringPoints(r)
	n := len(pts) - 1 // segments; pts[n] == pts[0]
	if n < 3 {
		return orb.Point{}, false, false
	}
	adjacent := func(i, j int) bool {
		if i > j {
			i, j = j, i
		}
		return j == i+1 || (i == 0 && j == n-1)
	}
	// Adjacent segments share a vertex; they only go wrong by doubling back.
	for i := range n {
		prev, at, next := pts[(i+n-1)%n], pts[i], pts[i+1]
		if orient(prev, at, next) == 0 && (prev.x-at.x)*(next.x-at.x)+(prev.y-at.y)*(next.y-at.y) > 0 {
			return at.point(), true, true
		}
	}
	type seg struct {
		i          int
		minX, maxX int64
		minY, maxY int64
	}
	segs := make([]seg, n)
	for i := range n {
		a, b := pts[i], pts[i+1]
		segs[i] = seg{i, min(a.x, b.x), max(a.x, b.x), min(a.y, b.y), max(a.y, b.y)}
	}
	slices.SortFunc(segs, func(a, b seg) int {
		switch {
		case a.minX < b.minX:
			return -1
		case a.minX > b.minX:
			return 1
		}
		return a.i - b.i
	})
	active := make([]seg, 0, 16)
	for _, s := range segs {
		kept := active[:0]
		for _, t := range active {
			if t.maxX >= s.minX {
				kept = append(kept, t)
			}
		}
		active = kept
		for _, t := range active {
			if t.maxY < s.minY || s.maxY < t.minY || adjacent(s.i, t.i) {
				continue
			}
			if p, ok := segmentsMeet(pts[s.i], pts[s.i+1], pts[t.i], pts[t.i+1]); ok {
				return p, false, true
			}
		}
		active = append(active, s)
	}
	return orb.Point{}, false, false
}

// eachPolygon calls fn for every polygon of a Polygon or MultiPolygon.
func eachPolygon(g orb.Geometry, fn func(orb.Polygon)) {
	switch g := g.(type) {
	case orb.Polygon:
		fn(g)
	case orb.MultiPolygon:
		for _, p := range g {
			fn(p)
		}
	}
}

// PointInside returns a point inside an area's polygon (in its largest part
// when it has several), where a form may place something in the area.
func PointInside(g orb.Geometry) (orb.Point, bool) {
	sf, err := toSF(g)
	if err != nil {
		return orb.Point{}, false
	}
	return largestPartPoint(sf)
}
