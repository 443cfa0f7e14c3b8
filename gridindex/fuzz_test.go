package gridindex

import (
	"sync"
	"testing"
)

// fuzzMesh is a small mesh with holes, islands and a MultiPolygon.
var fuzzMesh = sync.OnceValues(func() (*mesh, *Index) {
	m := newMesh(6, 6, 11, true, true)
	ix, err := Build(m.entries)
	if err != nil {
		panic(err)
	}
	return m, ix
})

// FuzzLocate compares Locate with the brute-force reference. Besides the
// corpus under testdata, it is seeded with every vertex and every exact edge
// midpoint of the mesh, so mutations start on boundaries.
func FuzzLocate(f *testing.F) {
	m, ix := fuzzMesh()
	for _, poly := range m.parts {
		for _, ring := range poly.rings {
			for i, a := range ring {
				b := ring[(i+1)%len(ring)]
				f.Add(float64(a[0])/1e7, float64(a[1])/1e7)
				if (a[0]+b[0])%2 == 0 && (a[1]+b[1])%2 == 0 {
					f.Add(float64((a[0]+b[0])/2)/1e7, float64((a[1]+b[1])/2)/1e7)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, lng, lat float64) {
		key, edge, ok := ix.Locate(lng, lat)
		wKey, wEdge, wOK := m.refLocate(lng, lat)
		if key != wKey || edge != wEdge || ok != wOK {
			t.Fatalf("Locate(%v, %v) = %d, %v, %v; brute force %d, %v, %v", lng, lat, key, edge, ok, wKey, wEdge, wOK)
		}
		if k, d, found := ix.Nearest(lng, lat, 0); found != ok || k != key || d != 0 {
			t.Fatalf("Nearest(%v, %v, 0) = %d, %v, %v; Locate %d, %v", lng, lat, k, d, found, key, ok)
		}
	})
}
