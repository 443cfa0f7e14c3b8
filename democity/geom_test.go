package democity_test

// Geometry helpers for the tests, written independently of the generator:
// a local metre projection, shoelace areas, ray-casting point-in-polygon,
// segment intersection and a bucket index for point queries.

import (
	"math"

	"github.com/paulmach/orb"
)

const metresPerDegree = 6371008.8 * math.Pi / 180

// localMetres projects lon/lat to metres around a reference latitude
// (equirectangular), plenty for areas and angles within a city.
type localMetres struct{ lon0, lat0, kx float64 }

func newLocalMetres(b orb.Bound) localMetres {
	c := b.Center()
	return localMetres{c[0], c[1], metresPerDegree * math.Cos(c[1]*math.Pi/180)}
}

func (m localMetres) xy(p orb.Point) (float64, float64) {
	return (p[0] - m.lon0) * m.kx, (p[1] - m.lat0) * metresPerDegree
}

// signedArea is the shoelace area of a closed ring in m², positive when
// counter-clockwise.
func (m localMetres) signedArea(r orb.Ring) float64 {
	sum := 0.0
	for i := 0; i+1 < len(r); i++ {
		x1, y1 := m.xy(r[i])
		x2, y2 := m.xy(r[i+1])
		sum += x1*y2 - x2*y1
	}
	return sum / 2
}

// centroid is the area centroid of a closed ring, in metres.
func (m localMetres) centroid(r orb.Ring) (float64, float64) {
	var a, cx, cy float64
	for i := 0; i+1 < len(r); i++ {
		x1, y1 := m.xy(r[i])
		x2, y2 := m.xy(r[i+1])
		cross := x1*y2 - x2*y1
		a += cross
		cx += (x1 + x2) * cross
		cy += (y1 + y2) * cross
	}
	return cx / (3 * a), cy / (3 * a)
}

// inRing is the even–odd ray-casting test. Points exactly on an edge may go
// either way; the tests use random points, which never are.
func inRing(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func cross(o, a, b orb.Point) float64 {
	return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
}

func onSegment(p, q, r orb.Point) bool { // r collinear with p–q: is it within?
	return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) &&
		math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
}

// segmentsMeet reports whether the closed segments p1–p2 and p3–p4 have a
// point in common.
func segmentsMeet(p1, p2, p3, p4 orb.Point) bool {
	d1, d2 := cross(p3, p4, p1), cross(p3, p4, p2)
	d3, d4 := cross(p1, p2, p3), cross(p1, p2, p4)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(p3, p4, p1)) || (d2 == 0 && onSegment(p3, p4, p2)) ||
		(d3 == 0 && onSegment(p1, p2, p3)) || (d4 == 0 && onSegment(p1, p2, p4))
}

// selfIntersection returns the indices of two segments of the closed ring r
// that meet other than at the vertex joining neighbours, or -1, -1.
func selfIntersection(r orb.Ring) (int, int) {
	n := len(r) - 1 // segments
	for i := range n {
		// Neighbours share a vertex; they must not fold back onto each other.
		j := (i + 1) % n
		if cross(r[i], r[i+1], r[j+1]) == 0 && dot(r[i], r[i+1], r[j+1]) < 0 {
			return i, j
		}
		bi := orb.Bound{Min: r[i], Max: r[i]}.Extend(r[i+1])
		for k := i + 2; k < n; k++ {
			if i == 0 && k == n-1 {
				continue // the closing neighbours
			}
			if !bi.Intersects(orb.Bound{Min: r[k], Max: r[k]}.Extend(r[k+1])) {
				continue
			}
			if segmentsMeet(r[i], r[i+1], r[k], r[k+1]) {
				return i, k
			}
		}
	}
	return -1, -1
}

// dot is (a-o)·(b-a): negative when o→a→b turns back.
func dot(o, a, b orb.Point) float64 {
	return (a[0]-o[0])*(b[0]-a[0]) + (a[1]-o[1])*(b[1]-a[1])
}

// bucketIndex finds the rings whose bounding box holds a point.
type bucketIndex struct {
	bound  orb.Bound
	n      int
	bucket [][]int
	rings  []orb.Ring
}

func newBucketIndex(rings []orb.Ring) *bucketIndex {
	bound := rings[0].Bound()
	for _, r := range rings {
		bound = bound.Union(r.Bound())
	}
	n := max(1, int(math.Sqrt(float64(len(rings)))))
	ix := &bucketIndex{bound: bound, n: n, bucket: make([][]int, n*n), rings: rings}
	for k, r := range rings {
		b := r.Bound()
		x0, y0 := ix.cell(b.Min)
		x1, y1 := ix.cell(b.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				ix.bucket[y*n+x] = append(ix.bucket[y*n+x], k)
			}
		}
	}
	return ix
}

func (ix *bucketIndex) cell(p orb.Point) (int, int) {
	fx := (p[0] - ix.bound.Min[0]) / (ix.bound.Max[0] - ix.bound.Min[0])
	fy := (p[1] - ix.bound.Min[1]) / (ix.bound.Max[1] - ix.bound.Min[1])
	clamp := func(f float64) int { return min(ix.n-1, max(0, int(f*float64(ix.n)))) }
	return clamp(fx), clamp(fy)
}

// containing returns the rings that contain p.
func (ix *bucketIndex) containing(p orb.Point) []int {
	x, y := ix.cell(p)
	var out []int
	for _, k := range ix.bucket[y*ix.n+x] {
		if ix.rings[k].Bound().Contains(p) && inRing(ix.rings[k], p) {
			out = append(out, k)
		}
	}
	return out
}
