package democity

import (
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// PointIn is a random point inside an area's outline (tried within its
// bounds; their middle when no try falls inside, or for a point), for
// made-up reports: the demo's past, the soak's load.
func PointIn(rng *rand.Rand, g orb.Geometry) (lat, lng float64) {
	b := g.Bound()
	for range 100 {
		p := orb.Point{b.Min.Lon() + rng.Float64()*(b.Max.Lon()-b.Min.Lon()), b.Min.Lat() + rng.Float64()*(b.Max.Lat()-b.Min.Lat())}
		switch g := g.(type) {
		case orb.Polygon:
			if planar.PolygonContains(g, p) {
				return p.Lat(), p.Lon()
			}
		case orb.MultiPolygon:
			if planar.MultiPolygonContains(g, p) {
				return p.Lat(), p.Lon()
			}
		default:
			c := b.Center()
			return c.Lat(), c.Lon()
		}
	}
	c := b.Center()
	return c.Lat(), c.Lon()
}
