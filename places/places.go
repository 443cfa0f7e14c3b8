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
	"cmp"
	"slices"
	"strings"
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
	place  Place
	parent int32 // index of the parent entry, -1 for none
	units  int   // bigrams of its own name, for ranking exact names first
}

// Index is an immutable search index over current areas.
type Index struct {
	entries  []entry
	postings map[string][]int32 // bigram → entries whose own name holds it
}

// NewIndex indexes areas (of any levels; those not in Levels are skipped).
// Parents must come before their children, as CurrentAreas orders them.
func NewIndex(areas []civicgrid.Area) *Index {
	ix := &Index{postings: map[string][]int32{}}
	byCode := make(map[string]int32, len(areas))
	for _, a := range areas {
		if !slices.Contains(Levels, a.Level) || a.Name == "" {
			continue
		}
		e := entry{place: Place{Code: a.Code, Level: a.Level, Name: a.Name}, parent: -1}
		if p, ok := byCode[a.ParentCode]; ok {
			e.parent = p
			var names []string
			for q := p; q >= 0; q = ix.entries[q].parent {
				names = append(names, ix.entries[q].place.Name)
			}
			e.place.Context = strings.Join(names, " · ")
		}
		if a.Geometry != nil {
			pt, b := anchor(a.Geometry)
			e.place.Lng, e.place.Lat = pt[0], pt[1]
			if a.Level != civicgrid.LevelBuilding || b.Min != b.Max {
				e.place.BBox = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
			}
		}
		i := int32(len(ix.entries))
		grams := Bigrams(a.Name)
		e.units = len(grams)
		for _, g := range uniq(grams) {
			ix.postings[g] = append(ix.postings[g], i)
		}
		ix.entries = append(ix.entries, e)
		byCode[a.Code] = i
	}
	return ix
}

// Len is the number of places indexed.
func (ix *Index) Len() int { return len(ix.entries) }

// MinCoverage is the share of a query's bigrams a place must hold.
const MinCoverage = 0.5

// Search returns up to limit places for query, best first.
func (ix *Index) Search(query string, limit int) []Place {
	q := uniq(Bigrams(query))
	if len(q) == 0 || limit <= 0 {
		return nil
	}
	if len(q) > 64 {
		q = q[:64] // a mask bit per bigram; longer queries are not names
	}
	// own[e]: which of the query's bigrams entry e's own name holds.
	own := map[int32]uint64{}
	for bit, g := range q {
		for _, e := range ix.postings[g] {
			own[e] |= 1 << bit
		}
	}
	// A place's match is its own bigrams and its ancestors' (the query may
	// name the community or street too), but only places whose own name
	// matches are candidates, so "社区" does not list every building.
	var out []Place
	for e, mask := range own {
		all := mask
		for p := ix.entries[e].parent; p >= 0; p = ix.entries[p].parent {
			all |= own[p]
		}
		hit := popcount(all)
		coverage := float64(hit) / float64(len(q))
		if coverage < MinCoverage {
			continue
		}
		en := ix.entries[e]
		// Ties go to the place whose own name the query covers best: the
		// community 三阳社区 before its grids and buildings.
		precision := float64(popcount(mask)) / float64(max(en.units, 1))
		pl := en.place
		pl.Score = coverage + 0.1*min(precision, 1)
		out = append(out, pl)
	}
	slices.SortFunc(out, func(a, b Place) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(levelRank(a.Level), levelRank(b.Level)); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
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
	var units []string
	var run []rune
	flush := func() {
		if len(run) > 0 {
			units = append(units, string(run))
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
			units = append(units, string(c))
		default:
			flush()
		}
	}
	flush()
	if len(units) == 1 {
		return units
	}
	out := make([]string, 0, len(units))
	for i := 1; i < len(units); i++ {
		out = append(out, units[i-1]+"\x00"+units[i])
	}
	return out
}

func uniq(gs []string) []string {
	seen := make(map[string]bool, len(gs))
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
