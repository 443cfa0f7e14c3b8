package areaio

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// seeded returns a store holding areas, written directly.
func seeded(t *testing.T, areas []civicgrid.Area) *memStore {
	t.Helper()
	s := newMemStore()
	if _, err := s.ApplyAreas(context.Background(), areas, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.applyCalls, s.queries = 0, nil
	return s
}

func encoded(t *testing.T, areas []civicgrid.Area) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, areas); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func byCode(areas []civicgrid.Area, code string) civicgrid.Area {
	for _, a := range areas {
		if a.Code == code {
			return a
		}
	}
	panic("no area " + code)
}

// moved returns the polygon shifted by dx, dy degrees.
func moved(g orb.Geometry, dx, dy float64) orb.Polygon {
	p := g.(orb.Polygon)
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			out[i][j] = orb.Point{roundCoord(pt[0] + dx), roundCoord(pt[1] + dy)}
		}
	}
	return out
}

// TestImportIntoStoredCity imports single communities and grids into a
// stored city: only their surroundings are loaded, neighbours already stored
// are checked, and nothing is written when something is wrong.
func TestImportIntoStoredCity(t *testing.T) {
	city := syntheticCity(1600, meshExact) // 4 streets
	store := seeded(t, city)
	ctx := context.Background()

	// One community and its grids again, unchanged.
	var community []civicgrid.Area
	for _, a := range city {
		if strings.HasPrefix(a.Code, "420106003006") {
			community = append(community, a)
		}
	}
	res, err := Import(ctx, store, encoded(t, community), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (civicgrid.ImportResult{Unchanged: 26}); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	// The street's subtree, and boxes around the community and its grids.
	for _, q := range store.queries {
		if q.Within != "" && q.Within != "420106003" || q.Within == "" && q.BBox == nil {
			t.Errorf("loaded more than the community's surroundings: %+v", q)
		}
	}

	// A grid redrawn 5 m east overlaps its stored neighbour and leaves a gap.
	grid := byCode(city, "420106003006007")
	grid.Geometry = moved(grid.Geometry, 0.00005, 0)
	store.applyCalls, store.queries = 0, nil
	_, err = Import(ctx, store, encoded(t, []civicgrid.Area{grid}), Options{})
	kinds := map[string]int{}
	for _, p := range problemsOf(t, err) {
		kinds[p.Kind]++
		if p.Kind == KindOverlap && !strings.Contains(p.Detail, "(already stored)") {
			t.Errorf("the overlap should name the stored neighbour: %v", p)
		}
	}
	if kinds[KindOverlap] == 0 || kinds[KindGap] != 1 {
		t.Errorf("want overlaps and one gap, got %v:\n%v", kinds, err)
	}
	if store.applyCalls != 0 {
		t.Error("ApplyAreas was called despite problems")
	}
	for _, q := range store.queries {
		if q.Within != "" && q.Within != "420106003006" || q.Within == "" && q.BBox == nil {
			t.Errorf("loaded more than the grid's surroundings: %+v", q)
		}
	}
	t.Log(err)
}

// TestRedrawnCommunity: a community redrawn smaller leaves its stored grids
// sticking out; the problems name the grids and point at the community's
// feature.
func TestRedrawnCommunity(t *testing.T) {
	example, err := Decode(bytes.NewReader(readFile(t, exampleFile)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := seeded(t, example)
	community := byCode(example, "420106002001")
	community.Geometry = orb.Polygon{{{114.3000, 30.5500}, {114.3040, 30.5500}, {114.3040, 30.5520}, {114.3000, 30.5520}, {114.3000, 30.5500}}}
	_, err = Import(context.Background(), store, encoded(t, []civicgrid.Area{community}), Options{})
	problems := problemsOf(t, err)
	var codes []string
	for _, p := range problems {
		if p.Kind != KindOutsideParent || p.Index != 0 {
			t.Errorf("unexpected %v", p)
		}
		codes = append(codes, p.Code)
	}
	if want := []string{"420106002001001", "420106002001002"}; !slices.Equal(codes, want) {
		t.Errorf("got grids %v outside, want %v", codes, want)
	}
}

func TestBuildingOutsideItsGrid(t *testing.T) {
	example, _ := Decode(bytes.NewReader(readFile(t, exampleFile)), Options{})
	store := seeded(t, example)
	b := byCode(example, "4201060020010010001")
	b.Geometry = orb.Point{114.3030, 30.5512} // in grid 003, not 001
	_, err := Import(context.Background(), store, encoded(t, []civicgrid.Area{b}), Options{})
	problems := problemsOf(t, err)
	if len(problems) != 1 || problems[0].Kind != KindOutsideParent || problems[0].Code != b.Code {
		t.Errorf("got %v", err)
	}
	// A point on the grid's edge is inside.
	b.Geometry = orb.Point{114.3020, 30.5512}
	if _, err := Import(context.Background(), store, encoded(t, []civicgrid.Area{b}), Options{}); err != nil {
		t.Errorf("a building on its grid's edge: %v", err)
	}
}

// TestGridCrossingIntoNeighbourCommunity: a grid reaching into the next
// community is outside its own and overlaps the neighbour's grid.
func TestGridCrossingIntoNeighbourCommunity(t *testing.T) {
	city := syntheticCity(50, meshExact)
	store := seeded(t, city)
	// Grid 005 is the north-east corner of community 001; community 002 lies east.
	grid := byCode(city, "420106001001005")
	grid.Geometry = moved(grid.Geometry, 0.0003, 0)
	_, err := Import(context.Background(), store, encoded(t, []civicgrid.Area{grid}), Options{})
	kinds := map[string]bool{}
	for _, p := range problemsOf(t, err) {
		kinds[p.Kind] = true
		if p.Kind == KindOverlap && strings.Contains(p.Detail, "420106001002") {
			kinds["neighbour"] = true
		}
	}
	for _, k := range []string{KindOutsideParent, KindOverlap, KindGap, "neighbour"} {
		if !kinds[k] {
			t.Errorf("no %s problem in:\n%v", k, err)
		}
	}
	t.Log(err)
}

func TestTolerances(t *testing.T) {
	data := readFile(t, "testdata/bad/gap.geojson") // a 3180 m² gap
	if _, err := Import(context.Background(), newMemStore(), bytes.NewReader(data), Options{GapToleranceM2: 5000}); err != nil {
		t.Errorf("a gap within the tolerance: %v", err)
	}
	data = readFile(t, "testdata/bad/overlap.geojson") // a 3180 m² overlap
	if _, err := Import(context.Background(), newMemStore(), bytes.NewReader(data), Options{OverlapToleranceM2: 5000}); err != nil {
		t.Errorf("an overlap within the tolerance: %v", err)
	}
	// Negative: none at all. The example tiles exactly, so it still passes.
	strict := Options{GapToleranceM2: -1, OverlapToleranceM2: -1, OutsideToleranceM2: -1}
	if _, err := Import(context.Background(), newMemStore(), bytes.NewReader(readFile(t, exampleFile)), strict); err != nil {
		t.Errorf("the example with no tolerance: %v", err)
	}
}

func TestParentOfWrongLevel(t *testing.T) {
	store := seeded(t, []civicgrid.Area{{Code: "420103", Level: civicgrid.LevelDistrict, Name: "江汉区"}})
	areas := []civicgrid.Area{{Code: "420106", Level: civicgrid.LevelDistrict, Name: "武昌区", ParentCode: "420103"}}
	_, err := ImportAreas(context.Background(), store, areas, Options{})
	problems := problemsOf(t, err)
	if len(problems) != 1 || problems[0].Kind != KindMissingParent || !strings.Contains(problems[0].Detail, "is a district") {
		t.Errorf("got %v", err)
	}
}

func TestImportAreas(t *testing.T) {
	city := syntheticCity(50, meshTJunctions)
	// Unrounded input is rounded on the way in, without touching the caller's slice.
	city[1].Geometry = moved(city[1].Geometry, 0, 0)
	first := city[1].Geometry.(orb.Polygon)[0][0]
	city[1].Geometry.(orb.Polygon)[0][0] = orb.Point{first[0] + 1e-9, first[1]}
	city[1].Geometry.(orb.Polygon)[0][len(city[1].Geometry.(orb.Polygon)[0])-1] = orb.Point{first[0] + 1e-9, first[1]}
	store := newMemStore()
	res, err := ImportAreas(context.Background(), store, city, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(city) {
		t.Errorf("created %d, want %d", res.Created, len(city))
	}
	stored, _ := store.AreaByCode(context.Background(), city[1].Code)
	if got := stored.Geometry.(orb.Polygon)[0][0]; got != first {
		t.Errorf("stored %v, want it rounded to %v", got, first)
	}
	if got := city[1].Geometry.(orb.Polygon)[0][0]; got == first {
		t.Error("the caller's geometry was changed")
	}

	// Areas from code get the same single-area checks as a file.
	bad := []civicgrid.Area{{Code: "4201", Level: civicgrid.LevelDistrict, Name: ""}}
	store = newMemStore()
	_, err = ImportAreas(context.Background(), store, bad, Options{})
	if problems := problemsOf(t, err); len(problems) != 2 || store.applyCalls != 0 {
		t.Errorf("want a bad code and a missing name, got %v", err)
	}
}
