package democity_test

import (
	"os"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/democity"
)

func TestZZBig(t *testing.T) {
	if os.Getenv("ZZ") == "" { t.Skip() }
	for _, seed := range []int64{1, 2} {
		start := time.Now()
		c := generate(t, democity.Options{Seed: seed, Grids: 100000})
		t.Logf("gen %v", time.Since(start))
		checkCodes(t, c)
		checkRings(t, c)
		checkTiling(t, c)
		checkGridOrder(t, c)
		checkPointSample(t, c, 100000)
		checkPeople(t, c)
		t.Logf("done %v", time.Since(start))
	}
}
