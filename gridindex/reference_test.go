package gridindex

import (
	"math"
	"math/big"
)

// The reference answers the same questions as the index by brute force over
// every polygon, with different algorithms: the winding number in arbitrary
// precision and an explicit on-segment test for Locate, plain float64
// geometry for Nearest.

func roundUnits(deg float64) int64 { return int64(math.Round(deg * 1e7)) }

// refLocate applies the boundary rule of the package documentation.
func (m *mesh) refLocate(lng, lat float64) (key uint32, onBoundary, ok bool) {
	if math.IsNaN(lng) || math.IsNaN(lat) || math.Abs(lng) > 180 || math.Abs(lat) > 90 {
		return 0, false, false
	}
	p := [2]int64{roundUnits(lng), roundUnits(lat)}
	var insideKeys, edgeKeys []uint32
	for i := range m.parts {
		switch m.parts[i].where(p) {
		case inside:
			insideKeys = append(insideKeys, m.parts[i].key)
		case onEdge:
			edgeKeys = append(edgeKeys, m.parts[i].key)
		}
	}
	if len(insideKeys) > 0 {
		return minKey(insideKeys), false, true
	}
	if len(edgeKeys) > 0 {
		return minKey(edgeKeys), true, true
	}
	return 0, false, false
}

// refInsideCount is how many polygons contain p strictly; more than one means
// the fixture overlaps.
func (m *mesh) refInsideCount(p [2]int64) int {
	n := 0
	for i := range m.parts {
		if m.parts[i].where(p) == inside {
			n++
		}
	}
	return n
}

func minKey(keys []uint32) uint32 {
	k := keys[0]
	for _, x := range keys[1:] {
		k = min(k, x)
	}
	return k
}

func (r *refPolygon) where(p [2]int64) position {
	if p[0] < r.minX || p[0] > r.maxX || p[1] < r.minY || p[1] > r.maxY {
		return outside
	}
	for _, ring := range r.rings {
		if onRing(ring, p) {
			return onEdge
		}
	}
	if windingNumber(r.rings[0], p) == 0 {
		return outside
	}
	for _, hole := range r.rings[1:] {
		if windingNumber(hole, p) != 0 {
			return outside
		}
	}
	return inside
}

// cross is (b−a)×(p−a) in arbitrary precision.
func cross(a, b, p [2]int64) int {
	l := new(big.Int).Mul(big.NewInt(b[0]-a[0]), big.NewInt(p[1]-a[1]))
	r := new(big.Int).Mul(big.NewInt(p[0]-a[0]), big.NewInt(b[1]-a[1]))
	return l.Cmp(r)
}

func onRing(ring [][2]int64, p [2]int64) bool {
	for i := range ring {
		a, b := ring[i], ring[(i+1)%len(ring)]
		if p[0] < min(a[0], b[0]) || p[0] > max(a[0], b[0]) || p[1] < min(a[1], b[1]) || p[1] > max(a[1], b[1]) {
			continue
		}
		if cross(a, b, p) == 0 {
			return true
		}
	}
	return false
}

// windingNumber is Sunday's winding number of ring around p (p not on ring).
func windingNumber(ring [][2]int64, p [2]int64) int {
	wn := 0
	for i := range ring {
		a, b := ring[i], ring[(i+1)%len(ring)]
		if a[1] <= p[1] {
			if b[1] > p[1] && cross(a, b, p) > 0 {
				wn++
			}
		} else if b[1] <= p[1] && cross(a, b, p) < 0 {
			wn--
		}
	}
	return wn
}

// refNearest returns the key and distance of the polygon nearest to the
// point, ties to the smallest key, and every polygon's distance by key.
func (m *mesh) refNearest(lng, lat float64) (key uint32, meters float64, byKey map[uint32]float64) {
	p := [2]int64{roundUnits(lng), roundUnits(lat)}
	lat0 := float64(p[1]) / 1e7 * math.Pi / 180
	const r = 6371008.8
	mx := func(units int64) float64 { return float64(units) / 1e7 * math.Pi / 180 * r * math.Cos(lat0) }
	my := func(units int64) float64 { return float64(units) / 1e7 * math.Pi / 180 * r }
	byKey = map[uint32]float64{}
	meters = math.Inf(1)
	for _, poly := range m.parts {
		d := math.Inf(1)
		if poly.where(p) != outside {
			d = 0
		}
		for _, ring := range poly.rings {
			for i := range ring {
				a, b := ring[i], ring[(i+1)%len(ring)]
				d = math.Min(d, pointSegment(mx(a[0]-p[0]), my(a[1]-p[1]), mx(b[0]-p[0]), my(b[1]-p[1])))
			}
		}
		if old, ok := byKey[poly.key]; !ok || d < old {
			byKey[poly.key] = d
		}
		if d < meters || d == meters && poly.key < key {
			key, meters = poly.key, d
		}
	}
	return key, meters, byKey
}

// pointSegment is the distance from the origin to the segment a–b: the
// distance to an end when the origin projects beyond it (so polygons sharing
// a vertex tie exactly), else to the foot of the perpendicular.
func pointSegment(ax, ay, bx, by float64) float64 {
	vx, vy := bx-ax, by-ay
	t := -(ax*vx + ay*vy) / (vx*vx + vy*vy)
	switch {
	case !(t > 0): // also a zero-length segment
		return math.Sqrt(ax*ax + ay*ay)
	case t >= 1:
		return math.Sqrt(bx*bx + by*by)
	}
	fx, fy := ax+t*vx, ay+t*vy
	return math.Sqrt(fx*fx + fy*fy)
}
