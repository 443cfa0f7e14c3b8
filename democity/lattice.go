package democity

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/paulmach/orb"
)

// Shape of the lattice. Cells are about cellSize metres across. Column widths
// and row heights vary, a smooth city-wide warp bends the north–south lattice
// lines into gentle curves, corners are jittered and every cell side is a
// wavy polyline, so no two grids look alike.
const (
	cellSize      = 250.0 // metres
	sizeVariation = 0.15  // column widths and row heights: cellSize·(1 ± this)
	cornerJitter  = 0.12  // corners move up to this·cellSize in x and in y
	warpWaves     = 3     // sine waves of the warp …
	warpSlope     = 0.08  // … each tilting north–south lines by at most this
	sideBulge     = 0.04  // a side bows out by up to this·length in the middle
	sideNoise     = 0.008 // plus a small wobble of each point, ·length
	// Interior points per cell side: 5–7 between two single cells, 4–5 on a
	// side of a double grid, none on the side inside a double grid. A single
	// cell so has 4 + 4·(4…7) = 20…32 vertices, a double 6 + 6·(4…5) = 30…36.
	minSidePoints, maxSidePoints             = 5, 7
	minSidePointsDouble, maxSidePointsDouble = 4, 5
)

// coneTan bounds how far a side strays from its chord, as the tangent of the
// angle seen from either end: with fractions t ≥ 0.75/(maxSidePoints+1) from
// each end, the sideways push is at most (π·sideBulge·t + sideNoise)·length.
// It is about tan 12°.
const coneTan = math.Pi*sideBulge + sideNoise*(maxSidePoints+1)/0.75

// metresPerDegree is the length of a degree of latitude on a sphere of the
// mean Earth radius.
const metresPerDegree = 6371008.8 * math.Pi / 180

// projection maps local metres (x east, y north of a centre) to WGS-84
// degrees. An equirectangular projection is plenty for a city: the rounding
// to 1e-7 degree is applied once per vertex, and shared vertices are copied,
// never recomputed, so neighbours agree exactly.
type projection struct{ lon0, lat0, metresPerDegreeLon float64 }

func newProjection(lon0, lat0 float64) projection {
	return projection{lon0, lat0, metresPerDegree * math.Cos(lat0*math.Pi/180)}
}

func (p projection) point(x, y float64) orb.Point {
	return orb.Point{round7(p.lon0 + x/p.metresPerDegreeLon), round7(p.lat0 + y/metresPerDegree)}
}

// lattice is the city's cols×rows cells. Corner (i, j), 0 ≤ i ≤ cols,
// 0 ≤ j ≤ rows, is the north-west corner of cell (column i, row j). Each cell
// side is stored once, as the interior points of a polyline, and copied into
// both grids it separates.
type lattice struct {
	cols, rows int
	proj       projection
	mergedEast []bool // by cell (row*cols+column): one grid with its eastern neighbour

	cornerX, cornerY []float64   // metres, index j*(cols+1)+i
	corners          []orb.Point // degrees, same index
	// The side from corner (i, j) east to (i+1, j) has interior points
	// hPoints[hStart[k]:hStart[k+1]] with k = j*cols+i; the side from (i, j)
	// south to (i, j+1) has vPoints[vStart[k]:vStart[k+1]] with k = j*(cols+1)+i.
	hStart, vStart   []int32
	hPoints, vPoints []orb.Point
}

// Walking directions along cell sides. Turning left from one gives the next:
// a walk that keeps the block on its left goes counter-clockwise.
const (
	south = iota
	east
	north
	west
)

func newLattice(seed int64, cols, rows int, mergedEast []bool, proj projection) *lattice {
	l := &lattice{cols: cols, rows: rows, proj: proj, mergedEast: mergedEast}

	// Column and row edges, centred on the projection's centre.
	xs := make([]float64, cols+1)
	for i := range cols {
		r := newStream(seed, kindColumn, uint64(i))
		xs[i+1] = xs[i] + cellSize*r.between(1-sizeVariation, 1+sizeVariation)
	}
	ys := make([]float64, rows+1)
	for j := range rows {
		r := newStream(seed, kindRow, uint64(j))
		ys[j+1] = ys[j] - cellSize*r.between(1-sizeVariation, 1+sizeVariation)
	}
	midX, midY := xs[cols]/2, ys[rows]/2
	w := newWarp(seed)

	n := (cols + 1) * (rows + 1)
	l.cornerX, l.cornerY, l.corners = make([]float64, n), make([]float64, n), make([]orb.Point, n)
	parallel(rows+1, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			for i := 0; i <= cols; i++ {
				k := j*(cols+1) + i
				r := newStream(seed, kindCorner, uint64(k))
				x, y := xs[i]-midX, ys[j]-midY
				x += w.dx(x, y) + cellSize*r.between(-cornerJitter, cornerJitter)
				y += cellSize * r.between(-cornerJitter, cornerJitter)
				l.cornerX[k], l.cornerY[k], l.corners[k] = x, y, proj.point(x, y)
			}
		}
	})

	// How many interior points each side gets, then where they go.
	l.hStart = make([]int32, cols*(rows+1)+1)
	for j := 0; j <= rows; j++ {
		for i := range cols {
			k := j*cols + i
			r := newStream(seed, kindSideH, uint64(k))
			l.hStart[k+1] = l.hStart[k] + int32(l.sidePointCount(&r, i, j-1, i, j))
		}
	}
	l.vStart = make([]int32, (cols+1)*rows+1)
	for j := range rows {
		for i := 0; i <= cols; i++ {
			k := j*(cols+1) + i
			r := newStream(seed, kindSideV, uint64(k))
			l.vStart[k+1] = l.vStart[k] + int32(l.sidePointCount(&r, i-1, j, i, j))
		}
	}
	l.hPoints = make([]orb.Point, l.hStart[len(l.hStart)-1])
	l.vPoints = make([]orb.Point, l.vStart[len(l.vStart)-1])
	parallel(rows+1, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			for i := range cols {
				k := j*cols + i
				l.sidePoints(l.hPoints[l.hStart[k]:l.hStart[k+1]], newStream(seed, kindSideH, uint64(k)), i, j, i+1, j)
			}
			if j == rows {
				continue
			}
			for i := 0; i <= cols; i++ {
				k := j*(cols+1) + i
				l.sidePoints(l.vPoints[l.vStart[k]:l.vStart[k+1]], newStream(seed, kindSideV, uint64(k)), i, j, i, j+1)
			}
		}
	})
	return l
}

func (l *lattice) corner(i, j int) int { return j*(l.cols+1) + i }

// inDouble reports whether cell (c, r) exists and is half of a double grid.
func (l *lattice) inDouble(c, r int) bool {
	if c < 0 || c >= l.cols || r < 0 || r >= l.rows {
		return false
	}
	k := r*l.cols + c
	return l.mergedEast[k] || (c > 0 && l.mergedEast[k-1])
}

// sidePointCount is the first draw of a side's stream: how many interior
// points the side between cells (c1, r1) and (c2, r2) gets (either may lie
// outside the lattice).
func (l *lattice) sidePointCount(r *stream, c1, r1, c2, r2 int) int {
	u := r.next()
	switch {
	case r1 == r2 && c1 >= 0 && c2 < l.cols && l.mergedEast[r1*l.cols+c1]:
		return 0 // inside a double grid: never drawn
	case l.inDouble(c1, r1) || l.inDouble(c2, r2):
		return minSidePointsDouble + int(u%(maxSidePointsDouble-minSidePointsDouble+1))
	default:
		return minSidePoints + int(u%(maxSidePoints-minSidePoints+1))
	}
}

// sidePoints fills dst with the interior points of the side from corner
// (i1, j1) to corner (i2, j2): points at increasing fractions t of the chord
// (so the polyline cannot cross itself), pushed sideways by a smooth bulge
// plus a wobble. The side stays within a cone of tangent coneTan around its
// chord seen from either end; where the chord meets another side at an angle
// θ so sharp that tan(0.4·θ) < coneTan, the push is scaled down to fit. Two
// sides meeting at a corner thus lie in disjoint cones and never cross,
// whatever the jitter and warp did to the corners.
func (l *lattice) sidePoints(dst []orb.Point, r stream, i1, j1, i2, j2 int) {
	if len(dst) == 0 {
		return
	}
	r.next() // the point count, drawn by sidePointCount
	a, b := l.corner(i1, j1), l.corner(i2, j2)
	ax, ay := l.cornerX[a], l.cornerY[a]
	dx, dy := l.cornerX[b]-ax, l.cornerY[b]-ay
	length := math.Hypot(dx, dy)
	nx, ny := -dy/length, dx/length // unit normal
	sharpest := min(l.sharpestAngle(i1, j1, i2, j2), l.sharpestAngle(i2, j2, i1, j1))
	scale := min(1, math.Tan(0.4*sharpest)/coneTan)
	bulge := scale * r.between(-sideBulge, sideBulge)
	k := float64(len(dst) + 1)
	for m := range dst {
		t := (float64(m+1) + r.between(-0.25, 0.25)) / k
		off := length * (bulge*math.Sin(math.Pi*t) + scale*r.between(-sideNoise, sideNoise))
		dst[m] = l.proj.point(ax+dx*t+nx*off, ay+dy*t+ny*off)
	}
}

// sharpestAngle is the smallest angle at corner (i, j) between the chord to
// corner (i2, j2) and the chords to the corner's other neighbours.
func (l *lattice) sharpestAngle(i, j, i2, j2 int) float64 {
	o := l.corner(i, j)
	ox, oy := l.cornerX[o], l.cornerY[o]
	t := l.corner(i2, j2)
	tx, ty := l.cornerX[t]-ox, l.cornerY[t]-oy
	sharpest := math.Pi
	for _, nb := range [4][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
		if nb[0] < 0 || nb[0] > l.cols || nb[1] < 0 || nb[1] > l.rows || (nb[0] == i2 && nb[1] == j2) {
			continue
		}
		n := l.corner(nb[0], nb[1])
		nx, ny := l.cornerX[n]-ox, l.cornerY[n]-oy
		sharpest = min(sharpest, math.Abs(math.Atan2(tx*ny-ty*nx, tx*nx+ty*ny)))
	}
	return sharpest
}

// warp is a smooth east–west displacement of the whole lattice: a sum of
// long sine waves (8–24 cells) running in random directions. Lattice lines
// running north–south curve across the city. Corners move only east or west
// so that rows stay level: grids are numbered by rows of centroids, and a
// tilted row would not read west→east. Its slope is at most
// warpWaves·warpSlope, so neighbouring corners move nearly together and cells
// keep their shape.
type warp [warpWaves]wave

type wave struct{ kx, ky, phase, amplitude float64 }

func newWarp(seed int64) warp {
	var w warp
	for i := range w {
		r := newStream(seed, kindWarp, uint64(i))
		wavelength := cellSize * r.between(8, 24)
		k := 2 * math.Pi / wavelength
		dir := r.between(0, 2*math.Pi)
		w[i] = wave{k * math.Cos(dir), k * math.Sin(dir), r.between(0, 2*math.Pi), r.between(0.5, 1) * warpSlope / k}
	}
	return w
}

// dx returns the eastward shift of the point (x, y).
func (w warp) dx(x, y float64) float64 {
	d := 0.0
	for _, v := range w {
		d += v.amplitude * math.Sin(v.kx*x+v.ky*y+v.phase)
	}
	return d
}

// stepLen is how many points appendStep adds.
func (l *lattice) stepLen(i, j, dir int) int {
	switch dir {
	case south:
		k := j*(l.cols+1) + i
		return int(1 + l.vStart[k+1] - l.vStart[k])
	case east:
		k := j*l.cols + i
		return int(1 + l.hStart[k+1] - l.hStart[k])
	case north:
		k := (j-1)*(l.cols+1) + i
		return int(1 + l.vStart[k+1] - l.vStart[k])
	default:
		k := j*l.cols + i - 1
		return int(1 + l.hStart[k+1] - l.hStart[k])
	}
}

// appendStep appends corner (i, j) and the interior points of the cell side
// leaving it in direction dir, in walking order, and returns the corner
// reached.
func (l *lattice) appendStep(ring orb.Ring, i, j, dir int) (orb.Ring, int, int) {
	ring = append(ring, l.corners[l.corner(i, j)])
	switch dir {
	case south:
		k := j*(l.cols+1) + i
		return append(ring, l.vPoints[l.vStart[k]:l.vStart[k+1]]...), i, j + 1
	case east:
		k := j*l.cols + i
		return append(ring, l.hPoints[l.hStart[k]:l.hStart[k+1]]...), i + 1, j
	case north:
		k := (j-1)*(l.cols+1) + i
		return appendReversed(ring, l.vPoints[l.vStart[k]:l.vStart[k+1]]), i, j - 1
	default:
		k := j*l.cols + i - 1
		return appendReversed(ring, l.hPoints[l.hStart[k]:l.hStart[k+1]]), i - 1, j
	}
}

func appendReversed(ring orb.Ring, pts []orb.Point) orb.Ring {
	for m := len(pts) - 1; m >= 0; m-- {
		ring = append(ring, pts[m])
	}
	return ring
}

// gridRingLen is the length of the closed ring of the grid whose north-west
// cell is (c, r) and which is width cells wide (1 or 2).
func (l *lattice) gridRingLen(c, r, width int) int {
	n := 1 + l.stepLen(c, r, south) + l.stepLen(c+width, r+1, north)
	for i := range width {
		n += l.stepLen(c+i, r+1, east) + l.stepLen(c+i+1, r, west)
	}
	return n
}

// appendGridRing appends the closed ring of the grid whose north-west cell is
// (c, r) and which is width cells wide: from the north-west corner down the
// west side, east along the south sides, up the east side and back along the
// north sides. In WGS-84 (north up) that is counter-clockwise, as RFC 7946
// wants for exterior rings.
func (l *lattice) appendGridRing(ring orb.Ring, c, r, width int) orb.Ring {
	ring, _, _ = l.appendStep(ring, c, r, south)
	for i := range width {
		ring, _, _ = l.appendStep(ring, c+i, r+1, east)
	}
	ring, _, _ = l.appendStep(ring, c+width, r+1, north)
	for i := width; i > 0; i-- {
		ring, _, _ = l.appendStep(ring, c+i, r, west)
	}
	return append(ring, l.corners[l.corner(c, r)])
}

// outline traces the closed counter-clockwise boundary of the block of cells
// b from the shared side polylines, so it matches the grids inside exactly.
// The walk is general (any set of cells forming one piece without holes);
// comparing the traced sides with the block's boundary sides checks that.
func (l *lattice) outline(b rect) (orb.Ring, error) {
	in := func(c, r int) bool {
		return c >= b.x0 && c < b.x1 && r >= b.y0 && r < b.y1
	}
	wantSides := 0
	for r := b.y0; r < b.y1; r++ {
		for c := b.x0; c < b.x1; c++ {
			if !in(c, r) {
				continue
			}
			for _, nb := range [4][2]int{{c - 1, r}, {c + 1, r}, {c, r - 1}, {c, r + 1}} {
				if !in(nb[0], nb[1]) {
					wantSides++
				}
			}
		}
	}
	ring := make(orb.Ring, 0, wantSides*(maxSidePoints+1)+1)
	// The block's first cell in reading order has its west side on the
	// boundary: start at its north-west corner going south.
	i, j, dir := b.x0, b.y0, south
	for sides := 1; ; sides++ {
		ring, i, j = l.appendStep(ring, i, j, dir)
		if i == b.x0 && j == b.y0 {
			if sides != wantSides {
				return nil, fmt.Errorf("democity: block %v is not one simple piece (%d of %d boundary sides traced)", b, sides, wantSides)
			}
			return append(ring, ring[0]), nil
		}
		next := -1
		for _, d := range [3]int{(dir + 1) % 4, dir, (dir + 3) % 4} { // left, straight, right
			if onBoundary(i, j, d, in) {
				next = d
				break
			}
		}
		if next < 0 || sides > wantSides {
			return nil, fmt.Errorf("democity: lost the boundary of block %v at corner (%d, %d)", b, i, j)
		}
		dir = next
	}
}

// onBoundary reports whether the side leaving corner (i, j) in direction dir
// has a block cell on its left and none on its right.
func onBoundary(i, j, dir int, in func(c, r int) bool) bool {
	switch dir {
	case south:
		return in(i, j) && !in(i-1, j)
	case east:
		return in(i, j-1) && !in(i, j)
	case north:
		return in(i-1, j-1) && !in(i, j-1)
	default:
		return in(i-1, j) && !in(i-1, j-1)
	}
}

// parallel runs fn over [0, n) split into contiguous chunks, one goroutine
// per CPU. Callers write only to their own chunk's slots, so the result does
// not depend on scheduling.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
