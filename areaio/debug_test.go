package areaio

import (
	"testing"
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

func unionTree(gs []geom.Geometry) (geom.Geometry, error) {
	for len(gs) > 1 {
		var next []geom.Geometry
		for i := 0; i < len(gs); i += 2 {
			if i+1 == len(gs) {
				next = append(next, gs[i])
				continue
			}
			u, err := geom.Union(gs[i], gs[i+1])
			if err != nil {
				return u, err
			}
			next = append(next, u)
		}
		gs = next
	}
	return gs[0], nil
}

func TestDebugTree(t *testing.T) {
	city := syntheticCity(10000, meshSloppy)
	kids := map[string][]geom.Geometry{}
	sum := map[string]float64{}
	var order []string
	for _, a := range city {
		if a.Level == "grid" {
			g, _ := toSF(a.Geometry)
			if kids[a.ParentCode] == nil {
				order = append(order, a.ParentCode)
			}
			kids[a.ParentCode] = append(kids[a.ParentCode], g)
			ad, _ := areaDeg2(a.Geometry); sum[a.ParentCode] += ad * m2PerDeg2(30.55)
		}
	}
	for _, name := range []string{"tree", "many"} {
		start := time.Now()
		bad := 0
		worst := 0.0
		for _, c := range order {
			var u geom.Geometry
			var err error
			if name == "tree" {
				u, err = unionTree(kids[c])
			} else {
				u, err = geom.UnionMany(kids[c])
			}
			if err != nil {
				t.Log(c, err)
				bad++
				continue
			}
			if d := sum[c] - sfAreaM2(u, 30.55); d > 500 || d < -1 {
				bad++
			} else if d > worst {
				worst = d
			}
		}
		t.Log(name, len(order), "bad", bad, "worst ok", worst, time.Since(start))
	}
}
