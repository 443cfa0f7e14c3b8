package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/server"
)

type placesResp struct {
	Places []struct {
		Code    string          `json:"code"`
		Level   civicgrid.Level `json:"level"`
		Name    string          `json:"name"`
		Context string          `json:"context"`
		Lat     float64         `json:"lat"`
		Lng     float64         `json:"lng"`
	} `json:"places"`
}

// firstBuilding is a building of the demo city with its community's name.
func firstBuilding(t *testing.T, f *fixture) (civicgrid.Area, string) {
	t.Helper()
	names := map[string]string{}
	for _, a := range f.city.Areas {
		names[a.Code] = a.Name
	}
	for _, a := range f.city.Areas {
		if a.Level == civicgrid.LevelBuilding && strings.HasSuffix(a.Name, "12栋") {
			return a, names[a.Code[:12]]
		}
	}
	t.Fatal("no building 12栋 in the demo city")
	return civicgrid.Area{}, ""
}

func TestPlacesFindsBuildingsDespiteTypos(t *testing.T) {
	f := newFixture(t)
	b, community := firstBuilding(t, f)
	// One character of the community name replaced by a neighbour on the
	// keyboard's candidate list: the building still comes first.
	typo := []rune(b.Name)
	typo[1] = '洋'
	for _, q := range []string{b.Name, string(typo), community + " " + b.Number} {
		var got placesResp
		if st := f.do(t, "GET", "/api/v1/places?q="+urlQuery(q), "", nil, &got); st != http.StatusOK {
			t.Fatalf("places?q=%s: status %d", q, st)
		}
		if len(got.Places) == 0 || got.Places[0].Code != b.Code {
			t.Fatalf("places?q=%s: first %+v, want %s", q, got.Places, b.Code)
		}
		p := got.Places[0]
		if pt := b.Geometry.(orb.Point); p.Lat != pt[1] || p.Lng != pt[0] || !strings.Contains(p.Context, community) {
			t.Errorf("places?q=%s: %+v, want the building's point %v in %s", q, p, pt, community)
		}
	}
	for _, bad := range []string{"", "?q=", "?q=a&limit=0", "?q=a&limit=x", "?q=" + strings.Repeat("路", 101)} {
		var e apiError
		if st := f.do(t, "GET", "/api/v1/places"+bad, "", nil, &e); st != http.StatusBadRequest || e.Error.Code != civicgrid.EINVALID {
			t.Errorf("places%s: status %d %+v, want 400 invalid", bad, st, e)
		}
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "%20", "&", "%26", "#", "%23").Replace(s)
}

func TestPlacesFollowAreaChanges(t *testing.T) {
	ctx := context.Background()
	db, loc, _ := openDemoStore(t)
	ts := newServer(t, server.New(server.Config{}, db, loc))
	search := func(q string) placesResp {
		var got placesResp
		if st := getJSON(t, ts+"/api/v1/places?q="+q, &got); st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		return got
	}
	if got := search("江滩公园社区"); len(got.Places) != 0 {
		t.Fatalf("found %+v before the rename", got.Places)
	}
	c, err := db.AreaByCode(ctx, "420102001001")
	if err != nil {
		t.Fatal(err)
	}
	c.Name = "江滩公园社区"
	all, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Within: "420102001001"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		if all[i].Code == c.Code {
			all[i] = c
		}
	}
	if _, err := areaio.ImportAreas(ctx, db, all, areaio.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if _, err := loc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search("江滩公园社区"); len(got.Places) == 0 || got.Places[0].Code != c.Code {
		t.Fatalf("after the rename: %+v, want %s first", got.Places, c.Code)
	}
}

func newServer(t *testing.T, s *server.Server) string {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode
}

func basemap(t *testing.T, f *fixture, query string) *geojson.FeatureCollection {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/api/v1/basemap.geojson?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("basemap?%s: status %d %s", query, resp.StatusCode, b)
	}
	// Public data only: names and shapes of areas, never a person.
	if regexp.MustCompile(`\D1\d{10}\D|\*{4}|workers|phone`).Match(b) {
		t.Fatalf("basemap?%s carries personal data", query)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

func TestBasemap(t *testing.T) {
	f := newFixture(t)
	b, community := firstBuilding(t, f)
	pt := b.Geometry.(orb.Point)
	near := "bbox=" + ftoa(pt[0]-0.004) + "," + ftoa(pt[1]-0.003) + "," + ftoa(pt[0]+0.004) + "," + ftoa(pt[1]+0.003)

	kinds := func(fc *geojson.FeatureCollection) map[string]int {
		n := map[string]int{}
		for _, ft := range fc.Features {
			k := ft.Properties.MustString("kind")
			if l, ok := ft.Properties["level"].(string); ok && k == "label" {
				k += ":" + l
			}
			n[k]++
		}
		return n
	}

	// Close up: streets, building footprints with their numbers, community names.
	fc := basemap(t, f, near+"&zoom=17")
	n := kinds(fc)
	if n["road"] == 0 || n["building"] == 0 || n["label:community"] == 0 {
		t.Fatalf("zoom 17: %v, want roads, buildings and community labels", n)
	}
	var found bool
	for _, ft := range fc.Features {
		switch ft.Properties.MustString("kind") {
		case "building":
			if ft.Properties.MustString("code") != b.Code {
				continue
			}
			found = true
			poly, ok := ft.Geometry.(orb.Polygon)
			if !ok || !planar.PolygonContains(poly, pt) {
				t.Errorf("building %s: footprint %v does not hold its point %v", b.Code, ft.Geometry, pt)
			}
			if area := planar.Area(poly) * 111_320 * 111_320 * 0.86; area < 200 || area > 800 {
				t.Errorf("building footprint of about %.0f m², want a block of ~400 m²", area)
			}
			if ft.Properties.MustString("label") != b.Number {
				t.Errorf("building label %q, want %q", ft.Properties.MustString("label"), b.Number)
			}
		case "label":
			if ft.Properties.MustString("level") == "community" && ft.Properties.MustString("label") == community {
				if _, ok := ft.Geometry.(orb.Point); !ok {
					t.Errorf("community label is a %T", ft.Geometry)
				}
			}
		}
	}
	if !found {
		t.Fatalf("building %s not in the base layer around it", b.Code)
	}

	// Every shared edge of two communities, or of a street and its
	// communities, is drawn once.
	segs := map[[4]float64]int{}
	for _, ft := range fc.Features {
		if ft.Properties.MustString("kind") != "road" {
			continue
		}
		for _, ls := range ft.Geometry.(orb.MultiLineString) {
			for i := 1; i < len(ls); i++ {
				a, c := ls[i-1], ls[i]
				if c[0] < a[0] || (c[0] == a[0] && c[1] < a[1]) {
					a, c = c, a
				}
				segs[[4]float64{a[0], a[1], c[0], c[1]}]++
			}
		}
	}
	for s, k := range segs {
		if k > 1 {
			t.Fatalf("road segment %v drawn %d times", s, k)
		}
	}

	// Further out: street outlines and names, no buildings.
	city := "bbox=114.2,30.5,114.4,30.7"
	n = kinds(basemap(t, f, city+"&zoom=12"))
	if n["building"] != 0 || n["label:street"] == 0 || n["road"] == 0 || n["label:community"] != 0 {
		t.Errorf("zoom 12: %v, want streets and their names only", n)
	}
	// Grid outlines only when asked for (pages that do not draw grids
	// themselves), alone over a provider's tiles: every grid edge once.
	n = kinds(basemap(t, f, city+"&zoom=13&layers=grids"))
	if n["grid"] == 0 || n["road"] != 0 || n["label:community"] != 0 {
		t.Errorf("zoom 13, layers=grids: %v, want grid lines only", n)
	}
	n = kinds(basemap(t, f, city+"&zoom=10"))
	if n["label:district"] != 3 {
		t.Errorf("zoom 10: %v, want the 3 district names", n)
	}
	// Outside the city: nothing, and a valid empty collection.
	if fc := basemap(t, f, "bbox=100,20,100.1,20.1&zoom=17"); len(fc.Features) != 0 {
		t.Errorf("outside the city: %d features", len(fc.Features))
	}
	for _, bad := range []string{"zoom=17", near + "&zoom=x", near + "&zoom=30", "bbox=1,2,3&zoom=3", near + "&layers=roads"} {
		var e apiError
		if st := f.do(t, "GET", "/api/v1/basemap.geojson?"+bad, "", nil, &e); st != http.StatusBadRequest || e.Error.Code != civicgrid.EINVALID {
			t.Errorf("basemap?%s: status %d %+v, want 400 invalid", bad, st, e)
		}
	}
}

// A map provider's tiles over plain http (a local mirror) are allowed by
// the Content-Security-Policy, and only those.
func TestImageOriginsInCSP(t *testing.T) {
	db, loc, _ := openDemoStore(t)
	for _, tc := range []struct {
		origins []string
		want    string
	}{
		{nil, "img-src 'self' data: https:;"},
		{[]string{"http://127.0.0.1:9000"}, "img-src 'self' data: https: http://127.0.0.1:9000;"},
	} {
		ts := newServer(t, server.New(server.Config{ImageOrigins: tc.origins}, db, loc))
		resp, err := http.Get(ts + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tc.want) {
			t.Errorf("origins %q: CSP %q, want %q", tc.origins, csp, tc.want)
		}
	}
}
