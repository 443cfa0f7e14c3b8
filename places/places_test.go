package places_test

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/places"
)

func TestBigrams(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"三阳社区", []string{"三\x00阳", "阳\x00社", "社\x00区"}},
		{"三阳 社区", []string{"三\x00阳", "阳\x00社", "社\x00区"}}, // spaces do not break pairs
		{"12栋", []string{"12\x00栋"}},                      // a run of digits is one unit
		{"１２栋", []string{"12\x00栋"}},                      // full-width digits fold
		{"Block B", []string{"block\x00b"}},               // letters lower-cased
		{"栋", []string{"栋"}},                              // one unit stands alone
		{"—，", nil},
	} {
		if got := places.Bigrams(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Bigrams(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScoreForgivesTypos(t *testing.T) {
	for _, tc := range []struct {
		query, text string
		want        float64
	}{
		{"三阳社区12栋", "三阳社区12栋", 1},
		{"三洋社区12栋", "三阳社区12栋", 3.0 / 5}, // one wrong character: 2 of 5 bigrams lost
		{"三阳12栋", "三阳社区12栋", 2.0 / 3},   // 社区 left out
		{"社区三阳", "三阳社区", 2.0 / 3},       // out of order
		{"解放大道", "三阳社区12栋", 0},
		{"", "三阳社区", 0},
	} {
		if got := places.Score(tc.query, tc.text); got != tc.want {
			t.Errorf("Score(%q, %q) = %v, want %v", tc.query, tc.text, got, tc.want)
		}
	}
}

// registry is a small area tree: a district, a street, two communities
// with a grid each, and buildings.
func registry() []civicgrid.Area {
	sq := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}}
	}
	return []civicgrid.Area{
		{Code: "420102", Level: civicgrid.LevelDistrict, Name: "江岸区", Geometry: sq(114.28, 30.59)},
		{Code: "420102001", Level: civicgrid.LevelStreet, Name: "大智街道", ParentCode: "420102", Geometry: sq(114.28, 30.59)},
		{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区", ParentCode: "420102001", Geometry: sq(114.28, 30.59)},
		{Code: "420102001001001", Level: civicgrid.LevelGrid, Name: "三阳社区第1网格", ParentCode: "420102001001", Geometry: sq(114.28, 30.59)},
		{Code: "4201020010010010001", Level: civicgrid.LevelBuilding, Name: "三阳社区12栋", Number: "12栋", ParentCode: "420102001001001", Geometry: orb.Point{114.283, 30.593}},
		{Code: "4201020010010010002", Level: civicgrid.LevelBuilding, Name: "三阳社区13栋", Number: "13栋", ParentCode: "420102001001001", Geometry: orb.Point{114.284, 30.594}},
		{Code: "420102001002", Level: civicgrid.LevelCommunity, Name: "鄱阳社区", ParentCode: "420102001", Geometry: sq(114.29, 30.59)},
		{Code: "420102001002001", Level: civicgrid.LevelGrid, Name: "鄱阳社区第1网格", ParentCode: "420102001002", Geometry: sq(114.29, 30.59)},
		{Code: "4201020010020010001", Level: civicgrid.LevelBuilding, Name: "鄱阳社区12栋", Number: "12栋", ParentCode: "420102001002001", Geometry: orb.Point{114.293, 30.593}},
	}
}

func codes(ps []places.Place) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

func TestSearch(t *testing.T) {
	ix := places.NewIndex(registry())
	if ix.Len() != 9 {
		t.Fatalf("indexed %d places, want 9", ix.Len())
	}
	for _, tc := range []struct {
		query string
		first string // the best match
	}{
		{"三阳社区12栋", "4201020010010010001"},
		{"三洋社区12栋", "4201020010010010001"}, // a wrong character
		{"三阳社12栋", "4201020010010010001"},  // a missing one
		{"大智三阳12栋", "4201020010010010001"}, // with the street's name
		{"鄱阳12栋", "4201020010020010001"},
		{"三阳社区", "420102001001"}, // the community before its grids and buildings
		{"大智街道", "420102001"},
		{"三阳 第1网格", "420102001001001"},
	} {
		got := ix.Search(tc.query, 5)
		if len(got) == 0 || got[0].Code != tc.first {
			t.Errorf("Search(%q) = %v, want %s first", tc.query, codes(got), tc.first)
		}
	}
	best := ix.Search("三阳社区12栋", 1)[0]
	if best.Lat != 30.593 || best.Lng != 114.283 || best.Context != "三阳社区第1网格 · 三阳社区 · 大智街道 · 江岸区" {
		t.Errorf("best place = %+v", best)
	}
	if got := ix.Search("解放大道", 5); len(got) != 0 {
		t.Errorf("Search(解放大道) = %v, want nothing", codes(got))
	}
	// "社区" is in every name below the street, but a query must cover half
	// of its bigrams in a place's own name or above it: a lone word common to
	// all names still lists only up to the limit.
	if got := ix.Search("社区", 3); len(got) != 3 {
		t.Errorf("Search(社区, 3) gave %d places", len(got))
	}
	if got := ix.Search("三阳社区", 0); got != nil {
		t.Errorf("limit 0 gave %v", codes(got))
	}
}
