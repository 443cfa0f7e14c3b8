package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// The demo city is generated once; each test gets its own store and server.
var (
	cityOnce sync.Once
	city     *democity.City
	cityErr  error
)

func demoCity(t testing.TB) *democity.City {
	cityOnce.Do(func() { city, cityErr = democity.Generate(democity.Options{Seed: 1}) })
	if cityErr != nil {
		t.Fatal(cityErr)
	}
	return city
}

type fixture struct {
	db      *sqlstore.DB
	handler http.Handler
	srv     *httptest.Server
	city    *democity.City
}

// openDemoStore opens a store in a temporary directory with the demo city's
// areas, and its grid index.
func openDemoStore(t testing.TB) (db *sqlstore.DB, loc *locate.Service, dir string) {
	t.Helper()
	dir = t.TempDir()
	db = testdb.Open(t, dir)
	return withDemoCity(t, db, dir)
}

// openDemoSQLite is openDemoStore on the embedded store whatever the
// suite's store, for faults only SQLite can be made to show.
func openDemoSQLite(t testing.TB) (db *sqlstore.DB, loc *locate.Service, dir string) {
	t.Helper()
	dir = t.TempDir()
	db, err := sqlstore.OpenSQLite(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return withDemoCity(t, db, dir)
}

func withDemoCity(t testing.TB, db *sqlstore.DB, dir string) (*sqlstore.DB, *locate.Service, string) {
	t.Helper()
	ctx := context.Background()
	var loc *locate.Service
	var err error
	if _, err = areaio.ImportAreas(ctx, db, demoCity(t).Areas, areaio.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if loc, err = locate.New(ctx, db, locate.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	return db, loc, dir
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db, loc, _ := openDemoStore(t)
	c := demoCity(t)
	s := server.New(server.Config{MaxImportBytes: 1 << 20}, db, loc)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &fixture{db: db, handler: s.Handler(), srv: ts, city: c}
}

// get fetches path and decodes a JSON body into v, returning the status.
func (f *fixture) do(t testing.TB, method, path, token string, body io.Reader, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error struct {
		Code     string              `json:"code"`
		Message  string              `json:"message"`
		Problems []civicgrid.Problem `json:"problems"`
	} `json:"error"`
}

type locateResp struct {
	Grid       civicgrid.AreaRef  `json:"grid"`
	Community  *civicgrid.AreaRef `json:"community"`
	Street     *civicgrid.AreaRef `json:"street"`
	District   *civicgrid.AreaRef `json:"district"`
	Workers    []struct{ Name, Phone string }
	OnBoundary bool    `json:"on_boundary"`
	DistanceM  float64 `json:"distance_m"`
}

func locatePath(lat, lng float64) string {
	return fmt.Sprintf("/api/v1/locate?lat=%v&lng=%v", lat, lng)
}

func TestLocateBuildingsLandInTheirGrids(t *testing.T) {
	f := newFixture(t)
	checked := 0
	for _, a := range f.city.Areas {
		if a.Level != civicgrid.LevelBuilding {
			continue
		}
		p, ok := a.Geometry.(orb.Point)
		if !ok {
			continue
		}
		var got locateResp
		if st := f.do(t, "GET", locatePath(p.Lat(), p.Lon()), "", nil, &got); st != 200 {
			t.Fatalf("building %s: status %d", a.Code, st)
		}
		if got.Grid.Code != a.ParentCode {
			t.Fatalf("building %s at %v: located in grid %s, want %s", a.Code, p, got.Grid.Code, a.ParentCode)
		}
		community := a.ParentCode[:12]
		if got.Community == nil || got.Community.Code != community || got.Street == nil || got.Street.Code != community[:9] ||
			got.District == nil || got.District.Code != community[:6] {
			t.Fatalf("building %s: ancestors %+v %+v %+v", a.Code, got.Community, got.Street, got.District)
		}
		if len(got.Workers) == 0 || !strings.Contains(got.Workers[0].Phone, "****") {
			t.Fatalf("building %s: workers %+v (want a masked phone)", a.Code, got.Workers)
		}
		checked++
	}
	if checked < 400 {
		t.Fatalf("only %d buildings checked", checked)
	}
}

func TestLocateBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		query, code, mention string
		status               int
	}{
		{"lat=30.58", "invalid", "lng", 400},
		{"lat=abc&lng=114.3", "invalid", "not a number", 400},
		{"lat=NaN&lng=114.3", "invalid", "finite", 400},
		{"lat=114.3&lng=30.58", "invalid", "swapped", 400},
		{"lat=30.58&lng=200", "invalid", "longitude", 400},
		{"lat=39.9&lng=116.4", "outside", "outside", 422}, // Beijing
	} {
		var e apiError
		st := f.do(t, "GET", "/api/v1/locate?"+tc.query, "", nil, &e)
		if st != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.mention) {
			t.Errorf("%s: got %d %+v, want %d %s mentioning %q", tc.query, st, e.Error, tc.status, tc.code, tc.mention)
		}
	}
}

func TestLocateNearestAtTheEdge(t *testing.T) {
	f := newFixture(t)
	// Just west of the westernmost grid, at the height of its westernmost vertex.
	var west orb.Point
	west[0] = 180
	for _, a := range f.city.Areas {
		if a.Level != civicgrid.LevelGrid {
			continue
		}
		for _, p := range a.Geometry.(orb.Polygon)[0] {
			if p[0] < west[0] {
				west = p
			}
		}
	}
	var got locateResp
	// ~10 m west: within the default 50 m.
	if st := f.do(t, "GET", locatePath(west[1], west[0]-0.0001), "", nil, &got); st != 200 || got.DistanceM <= 0 || got.DistanceM > 50 {
		t.Fatalf("near the edge: %d %+v", st, got)
	}
	// ~1 km west: outside.
	var e apiError
	if st := f.do(t, "GET", locatePath(west[1], west[0]-0.01), "", nil, &e); st != 422 || e.Error.Code != "outside" {
		t.Fatalf("far outside: %d %+v", st, e)
	}
}

func TestAreasGeoJSONMasksPhones(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.srv.URL + "/api/v1/areas.geojson?level=grid")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Fatalf("content type %q", ct)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry   struct{ Type string }
			Properties struct {
				Code, Level, Parent string
				Workers             []struct{ Name, Phone string }
			}
		}
		Truncated bool
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 400 || fc.Truncated {
		t.Fatalf("got %s with %d features, truncated %v", fc.Type, len(fc.Features), fc.Truncated)
	}
	for _, p := range f.city.People {
		if strings.Contains(string(body), p.Phone) {
			t.Fatalf("a full phone number leaked: %s", civicgrid.MaskPhone(p.Phone))
		}
	}
	for _, ft := range fc.Features {
		if ft.Properties.Level != "grid" || len(ft.Properties.Code) != 15 || len(ft.Properties.Workers) == 0 {
			t.Fatalf("feature %+v", ft.Properties)
		}
	}
	// A limit truncates and says so.
	var small struct {
		Areas     []json.RawMessage
		Truncated bool
	}
	if st := f.do(t, "GET", "/api/v1/areas?level=grid&limit=10", "", nil, &small); st != 200 || len(small.Areas) != 10 || !small.Truncated {
		t.Fatalf("limit: %d %d %v", st, len(small.Areas), small.Truncated)
	}
	var e apiError
	if st := f.do(t, "GET", "/api/v1/areas?bbox=1,2,3", "", nil, &e); st != 400 || !strings.Contains(e.Error.Message, "bbox") {
		t.Fatalf("bad bbox: %d %+v", st, e)
	}
}

func TestAreaDetail(t *testing.T) {
	f := newFixture(t)
	var grid civicgrid.Area
	for _, a := range f.city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grid = a
			break
		}
	}
	var got struct {
		Code      string
		Ancestors []civicgrid.AreaRef
		Workers   []struct{ Name, Phone string }
		Geometry  struct{ Type string }
	}
	if st := f.do(t, "GET", "/api/v1/areas/"+grid.Code, "", nil, &got); st != 200 {
		t.Fatalf("status %d", st)
	}
	if got.Code != grid.Code || len(got.Ancestors) != 4 || got.Ancestors[0].Level != civicgrid.LevelCity ||
		got.Ancestors[3].Code != grid.ParentCode || got.Geometry.Type != "Polygon" {
		t.Fatalf("got %+v", got)
	}
	var e apiError
	if st := f.do(t, "GET", "/api/v1/areas/420102999999999", "", nil, &e); st != 404 || e.Error.Code != "not_found" {
		t.Fatalf("unknown code: %d %+v", st, e)
	}
}

func gridsJSON(t testing.TB, areas []civicgrid.Area) string {
	var b strings.Builder
	if err := areaio.Encode(&b, areas); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestImportAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cityToken, _, _ := f.db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "t", Role: civicgrid.RoleCityAdmin, AreaCode: "4201"}, civicgrid.SecurityEvent{})
	jiangan, _, _ := f.db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "t", Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102"}, civicgrid.SecurityEvent{})
	wrongRole, _, _ := f.db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "t", Role: civicgrid.RoleGridWorker, AreaCode: "4201"}, civicgrid.SecurityEvent{})

	var grids []civicgrid.Area
	for _, a := range f.city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	renamed := func(code string) []civicgrid.Area {
		for _, g := range grids {
			if g.Code == code {
				g.Name += "（新）"
				return []civicgrid.Area{g}
			}
		}
		t.Fatalf("no grid %s", code)
		return nil
	}
	var inWuchang string
	for _, g := range grids {
		if strings.HasPrefix(g.Code, "420106") {
			inWuchang = g.Code
			break
		}
	}
	gen0, _ := f.db.AreaGeneration(ctx)

	var e apiError
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", "", strings.NewReader(gridsJSON(t, renamed(grids[0].Code))), &e); st != 401 {
		t.Fatalf("no token: %d", st)
	}
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", "cgt_forged", strings.NewReader("{}"), &e); st != 401 {
		t.Fatalf("forged token: %d", st)
	}
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", wrongRole, strings.NewReader(gridsJSON(t, renamed(grids[0].Code))), &e); st != 403 {
		t.Fatalf("grid worker token: %d", st)
	}
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", jiangan, strings.NewReader(gridsJSON(t, renamed(inWuchang))), &e); st != 403 || !strings.Contains(e.Error.Message, inWuchang) {
		t.Fatalf("out of scope: %d %+v", st, e)
	}
	// A grid moved onto its neighbour overlaps: rejected with the problem named.
	moved := renamed(grids[0].Code)
	moved[0].Geometry = grids[1].Geometry
	e = apiError{}
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", cityToken, strings.NewReader(gridsJSON(t, moved)), &e); st != 400 || len(e.Error.Problems) == 0 {
		t.Fatalf("overlap: %d %+v", st, e)
	}
	if gen, _ := f.db.AreaGeneration(ctx); gen != gen0 {
		t.Fatal("a rejected import changed the store")
	}
	// Oversized body.
	big := strings.Repeat(" ", 2<<20)
	e = apiError{}
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", cityToken, strings.NewReader(big), &e); st != 413 {
		t.Fatalf("oversize: %d %+v", st, e)
	}

	// A good import is applied and seen at once by locate.
	var res civicgrid.ImportResult
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", jiangan, strings.NewReader(gridsJSON(t, renamed(grids[0].Code))), &res); st != 200 || res.Redrawn != 1 {
		t.Fatalf("good import: %d %+v", st, res)
	}
	var inside orb.Point
	for _, a := range f.city.Areas {
		if a.Level == civicgrid.LevelBuilding && a.ParentCode == grids[0].Code {
			inside = a.Geometry.(orb.Point)
		}
	}
	var got locateResp
	f.do(t, "GET", locatePath(inside.Lat(), inside.Lon()), "", nil, &got)
	if got.Grid.Code != grids[0].Code || !strings.HasSuffix(got.Grid.Name, "（新）") {
		t.Fatalf("after import, locate says %+v", got.Grid)
	}
	var versions struct{ Versions []struct{ Name string } }
	f.do(t, "GET", "/api/v1/areas/"+grids[0].Code+"/versions", "", nil, &versions)
	if len(versions.Versions) != 2 {
		t.Fatalf("versions: %+v", versions)
	}
}

func TestExportAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	jiangan, _, _ := f.db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "t", Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102"}, civicgrid.SecurityEvent{})
	var e apiError
	if st := f.do(t, "GET", "/api/v1/admin/areas/export?within=420103", jiangan, nil, &e); st != 403 {
		t.Fatalf("out of scope export: %d", st)
	}
	// A quote in within must not reach the Content-Disposition header.
	if st := f.do(t, "GET", "/api/v1/admin/areas/export?within="+url.QueryEscape(`420102"; filename="evil.exe`), jiangan, nil, &e); st != 400 || !strings.Contains(e.Error.Message, "not an area code") {
		t.Fatalf("a quote in within: %d %+v", st, e)
	}
	resp, err := http.Get(f.srv.URL + "/api/v1/admin/areas/export")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("export without a token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/admin/areas/export", nil)
	req.Header.Set("Authorization", "Bearer "+jiangan)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err != nil || params["filename"] != "areas-420102.geojson" {
		t.Errorf("Content-Disposition %q: %v", resp.Header.Get("Content-Disposition"), err)
	}
	// A masked export is for reading: the importer refuses its masked phones,
	// so it is read here as plain GeoJSON.
	var fc struct {
		Features []struct {
			Properties struct {
				Code    string
				Workers []struct{ Phone string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		t.Fatal(err)
	}
	var areas []civicgrid.Area
	for _, ft := range fc.Features {
		a := civicgrid.Area{Code: ft.Properties.Code}
		for _, w := range ft.Properties.Workers {
			a.Workers = append(a.Workers, civicgrid.Worker{Phone: w.Phone})
		}
		areas = append(areas, a)
	}
	want := 0
	for _, a := range f.city.Areas {
		if strings.HasPrefix(a.Code, "420102") {
			want++
		}
	}
	if len(areas) != want {
		t.Fatalf("exported %d areas, want %d", len(areas), want)
	}
	for _, a := range areas {
		if !strings.HasPrefix(a.Code, "420102") {
			t.Fatalf("exported %s outside the token's scope", a.Code)
		}
		for _, w := range a.Workers {
			if !strings.Contains(w.Phone, "****") {
				t.Fatalf("export leaked a phone of grid %s", a.Code)
			}
		}
	}
}

// FuzzLocateHandler: whatever the query, the handler answers with a 2xx/4xx
// JSON body, never a 500 or a panic.
func FuzzLocateHandler(f *testing.F) {
	fx := newFixture(f)
	for _, s := range []string{"lat=30.58&lng=114.3", "lat=NaN&lng=1", "lat=1e400&lng=0", "lat=&lng=", "lat=-0&lng=+0", "lat=30.58&lng=114.3&lat=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/api/v1/locate", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%q: body is not JSON: %v", query, err)
		}
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d %v", query, rec.Code, v)
		}
	})
}
