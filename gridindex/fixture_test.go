package gridindex

import (
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// A mesh is a jittered lattice of grids around Wuhan that tiles without gaps
// or overlaps: every cell side is a polyline of 8 vertices (2 corners and 6
// jittered interior points) shared exactly with the neighbouring cell, so a
// cell has 28 vertices. With extras, some cells get a hole (square or
// diamond); half of the holes are filled by an island grid and half are left
// empty, and some pairs of cells two apart share one key as a MultiPolygon.
type mesh struct {
	entries []Entry
	parts   []refPolygon // every polygon, MultiPolygon members separately
	minX    int64        // extent of the mesh in fixed-point units
	minY    int64
	maxX    int64
	maxY    int64
}

// refPolygon is a polygon as the reference implementation sees it.
type refPolygon struct {
	key                    uint32
	rings                  [][][2]int64 // outer first, no closing vertex
	minX, minY, maxX, maxY int64
}

const (
	meshCell      = 30_000 // cell side in units of 1e-7°: about 330 m × 290 m at Wuhan
	meshOriginX   = 1_143_000_000
	meshOriginY   = 305_800_000
	meshEdgeSteps = 7 // segments per cell side
)

// newMesh builds a rows × cols mesh centred on (114.3, 30.58), deterministic
// from seed. Without extras every cell is a simple Polygon; the reference
// polygons are only kept when withRef is set (they double the memory).
func newMesh(rows, cols int, seed uint64, extras, withRef bool) *mesh {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	jitter := func(amount float64) int32 { return int32((rng.Float64()*2 - 1) * amount * meshCell) }
	x0 := int32(meshOriginX - cols*meshCell/2)
	y0 := int32(meshOriginY - rows*meshCell/2)

	// corners[(j*(cols+1))+i] is lattice vertex (i, j), jittered by up to 10%.
	corners := make([][2]int32, (rows+1)*(cols+1))
	for j := 0; j <= rows; j++ {
		for i := 0; i <= cols; i++ {
			corners[j*(cols+1)+i] = [2]int32{
				x0 + int32(i)*meshCell + jitter(0.1),
				y0 + int32(j)*meshCell + jitter(0.1),
			}
		}
	}
	corner := func(i, j int) [2]int32 { return corners[j*(cols+1)+i] }
	// side returns the interior points from a to b, moved along the side by up
	// to 2% and across it by up to 4% of a cell: small enough that the
	// polylines of one cell never cross.
	side := func(a, b [2]int32, acrossX bool) [][2]int32 {
		pts := make([][2]int32, meshEdgeSteps-1)
		for k := range pts {
			t := float64(k+1)/meshEdgeSteps + (rng.Float64()*2-1)*0.02
			p := [2]int32{
				a[0] + int32(t*float64(b[0]-a[0])),
				a[1] + int32(t*float64(b[1]-a[1])),
			}
			if acrossX {
				p[0] += jitter(0.04)
			} else {
				p[1] += jitter(0.04)
			}
			pts[k] = p
		}
		return pts
	}
	// bottom[j*cols+i] runs from corner (i, j) to (i+1, j); left[j*(cols+1)+i]
	// from corner (i, j) to (i, j+1).
	bottom := make([][][2]int32, (rows+1)*cols)
	for j := 0; j <= rows; j++ {
		for i := 0; i < cols; i++ {
			bottom[j*cols+i] = side(corner(i, j), corner(i+1, j), false)
		}
	}
	left := make([][][2]int32, rows*(cols+1))
	for j := 0; j < rows; j++ {
		for i := 0; i <= cols; i++ {
			left[j*(cols+1)+i] = side(corner(i, j), corner(i, j+1), true)
		}
	}

	m := &mesh{minX: 1 << 62, minY: 1 << 62, maxX: -1 << 62, maxY: -1 << 62}
	var shapes []orb.Geometry
	add := func(g orb.Geometry) { shapes = append(shapes, g) }
	pairedWith := map[int]int{} // cell index → the cell two to its right, same entry
	for j := 0; j < rows; j++ {
		for i := 0; i < cols; i++ {
			c := j*cols + i
			ring := make([][2]int32, 0, 4*meshEdgeSteps)
			ring = append(ring, corner(i, j))
			ring = append(ring, bottom[j*cols+i]...)
			ring = append(ring, corner(i+1, j))
			ring = append(ring, left[j*(cols+1)+i+1]...)
			ring = append(ring, corner(i+1, j+1))
			ring = append(ring, reversed(bottom[(j+1)*cols+i])...)
			ring = append(ring, corner(i, j+1))
			ring = append(ring, reversed(left[j*(cols+1)+i])...)
			poly := [][][2]int32{ring}

			if extras && (i*7+j*3)%11 == 0 {
				// A hole in the middle of the cell, filled by an island on
				// every other occasion.
				cx, cy := x0+int32(i)*meshCell+meshCell/2, y0+int32(j)*meshCell+meshCell/2
				h := int32(meshCell/5) + jitter(0.02)
				var hole [][2]int32
				if (i+j)%2 == 0 {
					hole = [][2]int32{{cx - h, cy - h}, {cx + h, cy - h}, {cx + h, cy + h}, {cx - h, cy + h}}
				} else {
					hole = [][2]int32{{cx, cy - h}, {cx + h, cy}, {cx, cy + h}, {cx - h, cy}}
				}
				poly = append(poly, reversed(hole))
				if (i/2+j)%2 == 0 {
					add(toOrb(hole))
				}
			}
			if extras && j%5 == 2 && i%6 == 1 && i+2 < cols {
				pairedWith[c+2] = len(shapes)
			}
			if s, ok := pairedWith[c]; ok {
				shapes[s] = orb.MultiPolygon{shapes[s].(orb.Polygon), toOrb(poly...)}
				continue
			}
			add(toOrb(poly...))
		}
	}

	// Keys are a shuffled, sparse numbering, so "smallest key" is unrelated
	// to position or input order.
	perm := rng.Perm(len(shapes))
	m.entries = make([]Entry, len(shapes))
	for n, g := range shapes {
		key := uint32(perm[n]*3 + 7)
		m.entries[n] = Entry{Key: key, Shape: g}
		polys, _ := polygonsOf(g, make(orb.MultiPolygon, 1))
		for _, p := range polys {
			r := newRefPolygon(key, p)
			m.minX, m.minY = min(m.minX, r.minX), min(m.minY, r.minY)
			m.maxX, m.maxY = max(m.maxX, r.maxX), max(m.maxY, r.maxY)
			if withRef {
				m.parts = append(m.parts, r)
			}
		}
	}
	return m
}

func reversed(pts [][2]int32) [][2]int32 {
	out := make([][2]int32, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

// toOrb converts fixed-point rings to a closed orb.Polygon in degrees.
func toOrb(rings ...[][2]int32) orb.Polygon {
	poly := make(orb.Polygon, len(rings))
	for r, ring := range rings {
		or := make(orb.Ring, 0, len(ring)+1)
		for _, p := range ring {
			or = append(or, degrees(int64(p[0]), int64(p[1])))
		}
		poly[r] = append(or, or[0])
	}
	return poly
}

// degrees converts fixed-point units to an orb.Point that rounds back to them.
func degrees(x, y int64) orb.Point {
	return orb.Point{float64(x) / 1e7, float64(y) / 1e7}
}

// newRefPolygon converts p for the reference, with its own rounding code.
func newRefPolygon(key uint32, p orb.Polygon) refPolygon {
	r := refPolygon{key: key, minX: 1 << 62, minY: 1 << 62, maxX: -1 << 62, maxY: -1 << 62}
	for _, ring := range p {
		var pts [][2]int64
		for _, pt := range ring[:len(ring)-1] {
			q := [2]int64{roundUnits(pt[0]), roundUnits(pt[1])}
			pts = append(pts, q)
			r.minX, r.minY = min(r.minX, q[0]), min(r.minY, q[1])
			r.maxX, r.maxY = max(r.maxX, q[0]), max(r.maxY, q[1])
		}
		r.rings = append(r.rings, pts)
	}
	return r
}
