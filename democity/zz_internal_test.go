package democity

import (
	"math"
	"testing"
	"os"
)

func TestZZAngles(t *testing.T) {
	if os.Getenv("ZZ") == "" { t.Skip() }
	grids := 1000000
	cols, rows := latticeSize(grids)
	merged := make([]bool, cols*rows)
	l := newLattice(1, cols, rows, merged, newProjection(centreLon, centreLat))
	minA := math.Pi
	scaled := 0
	for j := 0; j <= rows; j++ {
		for i := 0; i < cols; i++ {
			a := min(l.sharpestAngle(i, j, i+1, j), l.sharpestAngle(i+1, j, i, j))
			minA = min(minA, a)
			if math.Tan(0.4*a) < coneTan { scaled++ }
		}
	}
	t.Logf("cols %d rows %d min angle %.1f°, scaled sides %d, coneTan %.3f (%.1f°)", cols, rows, minA*180/math.Pi, scaled, coneTan, math.Atan(coneTan)*180/math.Pi)
}
