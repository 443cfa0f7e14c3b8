package democity

import "math"

// Random numbers are drawn from small streams keyed by (seed, kind, index)
// rather than from one sequential generator, so that each lattice corner, side,
// grid and person gets the same values whatever order (or goroutine) computes
// it in. That keeps the output identical for the same Options and lets the
// large cases be built in parallel.

// Kinds of keyed streams; each names one use of randomness.
const (
	kindLayout    uint64 = iota + 1 // counts and weights of the hierarchy
	kindColumn                      // width of a lattice column
	kindRow                         // height of a lattice row
	kindCorner                      // jitter of a lattice corner
	kindSideH                       // a horizontal cell side's polyline
	kindSideV                       // a vertical cell side's polyline
	kindBuildings                   // buildings of a cell
	kindPerson                      // a person's name and phone prefix
	kindPhone                       // the key of the phone-number permutation
	kindMerge                       // which cells of a community form double grids
	kindWarp                        // the city-wide warp of the lattice
)

// stream is a SplitMix64 generator.
type stream struct{ state uint64 }

func newStream(seed int64, kind, index uint64) stream {
	s := stream{state: uint64(seed)*0x9E3779B97F4A7C15 ^ kind*0xD1B54A32D192ED03 ^ index*0xABC98388FB8FAC03}
	s.next() // decorrelate nearby keys
	return s
}

func (s *stream) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// float returns a number in [0, 1).
func (s *stream) float() float64 { return float64(s.next()>>11) / (1 << 53) }

// between returns a number in [lo, hi).
func (s *stream) between(lo, hi float64) float64 { return lo + (hi-lo)*s.float() }

// intn returns a number in [0, n); the modulo bias is negligible for the
// small n used here.
func (s *stream) intn(n int) int { return int(s.next() % uint64(n)) }

// round7 rounds a coordinate to 1e-7 degree, the precision the area store
// keeps, so the generated vertices are exactly what gets stored and shared
// vertices stay identical after a round trip.
func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }
