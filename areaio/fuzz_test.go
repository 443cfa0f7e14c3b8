package areaio

import (
	"bytes"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// FuzzDecode: Decode never panics, fails only with EINVALID or ETOOLARGE,
// and whatever it accepts Encode writes back so that it decodes the same.
// The seed corpus is in testdata/fuzz/FuzzDecode; run with
// go test -run '^$' -fuzz FuzzDecode ./areaio/
func FuzzDecode(f *testing.F) {
	f.Add(readFile(f, exampleFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		areas, err := Decode(bytes.NewReader(data), Options{MaxBytes: 1 << 20})
		if err != nil {
			if code := civicgrid.ErrorCode(err); code != civicgrid.EINVALID && code != civicgrid.ETOOLARGE {
				t.Fatalf("error with code %q: %v", code, err)
			}
			return
		}
		sameAreas(t, roundTrip(t, areas), areas)
	})
}
