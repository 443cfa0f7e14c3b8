// Package places finds streets, communities, grids and buildings of the area
// registry by name, typed the way people type them: partial, out of order, with
// a wrong or missing character ("三洋社区12栋" finds 三阳社区12栋).
//
// Names are cut into units (one per Chinese character, one per run of
// letters or digits) and indexed by unit bigrams; a query is scored by the
// share of its bigrams found in a place's name or in the names of the areas
// above it (its community, street, district), so a query may name the
// building together with its community or street. One wrong character loses
// the two bigrams it sits in, not the match.
package places

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/civicgrid/civicgrid"
)

// Place is one search result.
type Place struct {
	Code  string          `json:"code"`
	Level civicgrid.Level `json:"level"`
	Name  string          `json:"name"`
	// Context names the areas above it, nearest first ("三阳社区 · 大智街道 · 江岸区").
	Context string `json:"context,omitempty"`
	// Lat, Lng (WGS-84) is a point inside the place: where a pin goes.
	Lat   float64   `json:"lat"`
	Lng   float64   `json:"lng"`
	BBox  []float64 `json:"bbox,omitempty"` // minLng, minLat, maxLng, maxLat
	Score float64   `json:"score"`
}

// Levels are the levels searched.
var Levels = []civicgrid.Level{civicgrid.LevelDistrict, civicgrid.LevelStreet, civicgrid.LevelCommunity, civicgrid.LevelGrid, civicgrid.LevelBuilding}

type entry struct {
	place  Place // without Context, made for results only
	parent int32 // index of the parent entry, -1 for none
	units  int   // bigrams of its own name, for ranking exact names first
}

// Index is an immutable search index over current areas.
type Index struct {
	entries  []entry
	vocab    map[string]uint32  // unit → id
	postings map[uint64][]int32 // bigram of unit ids → entries whose own name holds it
	scratch  sync.Pool          // []uint64 masks, one per entry, zero between searches
}

// NewIndex indexes areas (of any levels; those not in Levels are skipped).
// Parents must come before their children, as CurrentAreas orders them.
func NewIndex(areas []civicgrid.Area) *Index {
	ix := &Index{vocab: map[string]uint32{}, postings: map[uint64][]int32{}}
	byCode := make(map[string]int32, len(areas))
	for _, a := range areas {
		if !slices.Contains(Levels, a.Level) || a.Name == "" {
			continue
		}
		e := entry{place: Place{Code: a.Code, Level: a.Level, Name: a.Name}, parent: -1}
		if p, ok := byCode[a.ParentCode]; ok {
			e.parent = p
		}
		if a.Geometry != nil {
			pt, b := anchor(a.Geometry)
			e.place.Lng, e.place.Lat = pt[0], pt[1]
			if a.Level != civicgrid.LevelBuilding || b.Min != b.Max {
				e.place.BBox = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
			}
		}
		i := int32(len(ix.entries))
		keys := ix.keys(a.Name, true)
		e.units = len(keys)
		for _, k := range uniq(keys) {
			ix.postings[k] = append(ix.postings[k], i)
		}
		ix.entries = append(ix.entries, e)
		byCode[a.Code] = i
	}
	n := len(ix.entries)
	ix.scratch.New = func() any { return make([]uint64, n) }
	return ix
}

// noUnit stands for the missing second unit of a one-unit name.
const noUnit = math.MaxUint32

// keys are the bigrams of s as pairs of unit ids. Indexing (add) gives new
// units ids; a query's unknown units get ids of their own counting down
// from noUnit, so their bigrams match nothing but still count.
func (ix *Index) keys(s string, add bool) []uint64 {
	us := units(s)
	ids := make([]uint64, len(us))
	unknown := uint64(noUnit)
	for i, u := range us {
		id, ok := ix.vocab[u]
		switch {
		case ok:
			ids[i] = uint64(id)
		case add:
			id = uint32(len(ix.vocab))
			ix.vocab[u] = id
			ids[i] = uint64(id)
		default:
			unknown--
			ids[i] = unknown
		}
	}
	if len(ids) == 1 {
		return []uint64{ids[0]<<32 | noUnit}
	}
	out := make([]uint64, 0, len(ids))
	for i := 1; i < len(ids); i++ {
		out = append(out, ids[i-1]<<32|ids[i])
	}
	return out
}

// Len is the number of places indexed.
func (ix *Index) Len() int { return len(ix.entries) }

// MinCoverage is the share of a query's bigrams a place must hold.
const MinCoverage = 0.5

type candidate struct {
	entry int32
	score float64
}

// Search returns up to limit places for query, best first.
func (ix *Index) Search(query string, limit int) []Place {
	q := uniq(ix.keys(query, false))
	if len(q) == 0 || limit <= 0 || len(ix.entries) == 0 {
		return nil
	}
	if len(q) > 64 {
		q = q[:64] // a mask bit per bigram; longer queries are not names
	}
	// own[e]: which of the query's bigrams entry e's own name holds.
	own := ix.scratch.Get().([]uint64)
	var touched []int32
	for bit, k := range q {
		for _, e := range ix.postings[k] {
			if own[e] == 0 {
				touched = append(touched, e)
			}
			own[e] |= 1 << bit
		}
	}
	// A place's match is its own bigrams and its ancestors' (the query may
	// name the community or street too), but only places whose own name
	// matches are candidates, so "社区" does not list every building. The
	// best limit are kept as they come.
	best := make([]candidate, 0, limit+1)
	for _, e := range touched {
		all := own[e]
		for p := ix.entries[e].parent; p >= 0; p = ix.entries[p].parent {
			all |= own[p]
		}
		coverage := float64(popcount(all)) / float64(len(q))
		if coverage < MinCoverage {
			continue
		}
		// Ties go to the place whose own name the query covers best: the
		// community 三阳社区 before its grids and buildings.
		precision := float64(popcount(own[e])) / float64(max(ix.entries[e].units, 1))
		c := candidate{e, coverage + 0.1*min(precision, 1)}
		at := len(best)
		for at > 0 && ix.before(c, best[at-1]) {
			at--
		}
		if at < limit {
			best = slices.Insert(best, at, c)
			if len(best) > limit {
				best = best[:limit]
			}
		}
	}
	for _, e := range touched {
		own[e] = 0
	}
	ix.scratch.Put(own)

	out := make([]Place, len(best))
	for i, c := range best {
		en := ix.entries[c.entry]
		out[i] = en.place
		out[i].Score = math.Round(c.score*1000) / 1000
		var names []string
		for p := en.parent; p >= 0; p = ix.entries[p].parent {
			names = append(names, ix.entries[p].place.Name)
		}
		out[i].Context = strings.Join(names, " · ")
	}
	return out
}

// before orders results: higher score, then higher level, then code.
func (ix *Index) before(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	pa, pb := ix.entries[a.entry].place, ix.entries[b.entry].place
	if ra, rb := levelRank(pa.Level), levelRank(pb.Level); ra != rb {
		return ra < rb
	}
	return pa.Code < pb.Code
}

// Score rates how well query matches text: the share of the query's unit
// bigrams found in text, 0 to 1. It is the measure Search ranks by (there
// with the names of the areas above a place counted as its text).
func Score(query, text string) float64 {
	q := uniq(Bigrams(query))
	if len(q) == 0 {
		return 0
	}
	have := map[string]bool{}
	for _, g := range Bigrams(text) {
		have[g] = true
	}
	hit := 0
	for _, g := range q {
		if have[g] {
			hit++
		}
	}
	return float64(hit) / float64(len(q))
}

// Bigrams cuts s into units — each Chinese character, each run of letters
// or digits (lower-cased, full-width forms folded) — and returns the pairs of
// neighbouring units; a single unit is returned alone. Spaces and
// punctuation separate runs but do not break pairs, so "三阳 社区" and
// "三阳社区" give the same bigrams.
func Bigrams(s string) []string {
	us := units(s)
	if len(us) == 1 {
		return us
	}
	out := make([]string, 0, len(us))
	for i := 1; i < len(us); i++ {
		out = append(out, us[i-1]+"\x00"+us[i])
	}
	return out
}

func units(s string) []string {
	var us []string
	var run []rune
	flush := func() {
		if len(run) > 0 {
			us = append(us, string(run))
			run = run[:0]
		}
	}
	for _, c := range s {
		if c >= 0xFF01 && c <= 0xFF5E { // full-width ASCII from Chinese input methods
			c -= 0xFEE0
		}
		switch {
		case c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)):
			run = append(run, unicode.ToLower(c))
		case unicode.Is(unicode.Han, c):
			flush()
			us = append(us, string(c))
		default:
			flush()
		}
	}
	flush()
	return us
}

func uniq[T comparable](gs []T) []T {
	seen := make(map[T]bool, len(gs))
	out := gs[:0:0]
	for _, g := range gs {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func levelRank(l civicgrid.Level) int {
	return slices.Index(Levels, l)
}

// anchor is a point inside g where a pin or a label goes, and g's bounds:
// the centroid of a polygon (the middle of its bounds when the centroid
// falls outside, as it can for an L-shaped area), the point itself for a
// building without a footprint.
func anchor(g orb.Geometry) (orb.Point, orb.Bound) {
	b := g.Bound()
	switch g := g.(type) {
	case orb.Point:
		return g, b
	case orb.Polygon, orb.MultiPolygon:
		c, _ := planar.CentroidArea(g)
		if inside(g, c) {
			return c, b
		}
	}
	return b.Center(), b
}

func inside(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

// Anchor is the point where a label or pin for geometry g goes.
func Anchor(g orb.Geometry) orb.Point {
	p, _ := anchor(g)
	return p
}
