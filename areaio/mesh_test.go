package areaio

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// A synthetic city for tests and benchmarks: one district, streets of 4×4
// communities, communities of 5×5 grids of about 100 m × 100 m. Grid
// corners are jittered so shapes are irregular and neighbours' bounding boxes
// overlap; every shape is traced along one shared lattice, so neighbours
// share their vertices exactly.
type meshStyle int

const (
	meshExact      meshStyle = iota // shared vertices everywhere
	meshTJunctions                  // communities and streets traced through block corners only
	meshSloppy                      // each grid nudged by up to 2 cm: slivers everywhere, nothing exact
)

const (
	meshSub            = 4 // lattice points per grid edge
	gridsPerCommunity  = 5 // per side
	communitiesPerSide = 4 // per street side
	meshLng0, meshLat0 = 114.2, 30.5
	meshCellLng        = 0.00104 // ≈ 100 m at 30.5°N
	meshCellLat        = 0.0009
)

// syntheticCity returns about n grids (a whole number of communities) and
// their district, streets and communities, parents first.
func syntheticCity(n int, style meshStyle) []civicgrid.Area {
	perCommunity := gridsPerCommunity * gridsPerCommunity
	communities := max(1, (n+perCommunity-1)/perCommunity)
	side := int(math.Ceil(math.Sqrt(float64(communities)))) // communities per city side
	cells := side * gridsPerCommunity

	// lattice point (a, b) → position, jittered except on the city edge.
	point := func(a, b int) orb.Point {
		jx, jy := jitter(a, b)
		if a == 0 || b == 0 || a == cells*meshSub || b == cells*meshSub {
			jx, jy = 0, 0
		}
		// Traced through block corners only, community edges are straight:
		// the lattice points on them may only slide along them.
		if blockSide := meshSub * gridsPerCommunity; style == meshTJunctions {
			if a%blockSide == 0 {
				jx = 0
			}
			if b%blockSide == 0 {
				jy = 0
			}
		}
		return orb.Point{
			roundCoord(meshLng0 + (float64(a)+jx)*meshCellLng/meshSub),
			roundCoord(meshLat0 + (float64(b)+jy)*meshCellLat/meshSub),
		}
	}
	// block traces the boundary of cells [i0,i1)×[j0,j1) counter-clockwise,
	// through every lattice point or, with step > 1, fewer.
	block := func(i0, j0, i1, j1, step int) orb.Polygon {
		a0, b0, a1, b1 := i0*meshSub, j0*meshSub, i1*meshSub, j1*meshSub
		var r orb.Ring
		for a := a0; a < a1; a += step {
			r = append(r, point(a, b0))
		}
		for b := b0; b < b1; b += step {
			r = append(r, point(a1, b))
		}
		for a := a1; a > a0; a -= step {
			r = append(r, point(a, b1))
		}
		for b := b1; b > b0; b -= step {
			r = append(r, point(a0, b))
		}
		return orb.Polygon{append(r, r[0])}
	}
	outerStep := 1
	if style == meshTJunctions {
		outerStep = meshSub * gridsPerCommunity // block corners only
	}

	areas := []civicgrid.Area{{Code: "420106", Level: civicgrid.LevelDistrict, Name: "合成区"}}
	var grids []civicgrid.Area
	streetSide := (side + communitiesPerSide - 1) / communitiesPerSide
	made := 0
	for sy := range streetSide {
		for sx := range streetSide {
			street := fmt.Sprintf("420106%03d", sy*streetSide+sx+1)
			ci0, cj0 := sx*communitiesPerSide, sy*communitiesPerSide
			ci1, cj1 := min(ci0+communitiesPerSide, side), min(cj0+communitiesPerSide, side)
			streetStep := outerStep
			if streetStep > 1 {
				streetStep = meshSub * gridsPerCommunity * communitiesPerSide
				if (ci1-ci0)*gridsPerCommunity*meshSub%streetStep != 0 || (cj1-cj0)*gridsPerCommunity*meshSub%streetStep != 0 {
					streetStep = meshSub * gridsPerCommunity
				}
			}
			areas = append(areas, civicgrid.Area{Code: street, Level: civicgrid.LevelStreet, Name: "街道" + street[6:], ParentCode: "420106",
				Geometry: block(ci0*gridsPerCommunity, cj0*gridsPerCommunity, ci1*gridsPerCommunity, cj1*gridsPerCommunity, streetStep)})
			seq := 0
			for cj := cj1 - 1; cj >= cj0; cj-- { // north to south
				for ci := ci0; ci < ci1; ci++ { // west to east
					if made >= communities {
						continue
					}
					made++
					seq++
					community := fmt.Sprintf("%s%03d", street, seq)
					i0, j0 := ci*gridsPerCommunity, cj*gridsPerCommunity
					areas = append(areas, civicgrid.Area{Code: community, Level: civicgrid.LevelCommunity, Name: "社区" + community[9:], ParentCode: street,
						Geometry: block(i0, j0, i0+gridsPerCommunity, j0+gridsPerCommunity, outerStep)})
					g := 0
					for j := j0 + gridsPerCommunity - 1; j >= j0; j-- {
						for i := i0; i < i0+gridsPerCommunity; i++ {
							g++
							poly := block(i, j, i+1, j+1, 1)
							if style == meshSloppy {
								poly = nudge(poly, i, j)
							}
							grids = append(grids, civicgrid.Area{Code: fmt.Sprintf("%s%03d", community, g), Level: civicgrid.LevelGrid,
								Name: fmt.Sprintf("网格%d", g), ParentCode: community, Geometry: poly})
						}
					}
				}
			}
		}
	}
	return append(areas, grids...)
}

// jitter is a deterministic offset of a lattice point, up to ±0.2 of the
// lattice spacing: enough to make every shape irregular, never enough to
// fold an edge.
func jitter(a, b int) (float64, float64) {
	h := uint64(a)*0x9E3779B97F4A7C15 ^ uint64(b)*0xC2B2AE3D27D4EB4F
	h ^= h >> 31
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 29
	return (float64(h&0xFFFF)/0xFFFF - 0.5) * 0.4, (float64(h>>16&0xFFFF)/0xFFFF - 0.5) * 0.4
}

// nudge moves a polygon by up to 2e-7° (about 2 cm) each way.
func nudge(p orb.Polygon, i, j int) orb.Polygon {
	jx, jy := jitter(i+7919, j+104729)
	dx, dy := math.Round(jx*5)*1e-7, math.Round(jy*5)*1e-7
	out := make(orb.Polygon, len(p))
	for k, r := range p {
		out[k] = make(orb.Ring, len(r))
		for m, pt := range r {
			out[k][m] = orb.Point{roundCoord(pt[0] + dx), roundCoord(pt[1] + dy)}
		}
	}
	return out
}
