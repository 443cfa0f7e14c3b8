package server

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/places"
)

// The base map and the place search: public data of the area registry
// (names, codes, shapes), never people.

// placeIndex is the search index of the current areas, built at the first
// search and again after the areas change (the locator's generation moves).
type placeIndex struct {
	mu         sync.Mutex
	generation int64
	index      *places.Index
}

func (pi *placeIndex) get(ctx context.Context, store civicgrid.AreaStore, generation int64) (*places.Index, error) {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	if pi.index != nil && pi.generation == generation {
		return pi.index, nil
	}
	var all []civicgrid.Area
	for _, l := range places.Levels {
		as, err := store.CurrentAreas(ctx, civicgrid.AreaFilter{Level: l})
		if err != nil {
			return nil, err
		}
		all = append(all, as...)
	}
	// Parents before children: a parent's code is a prefix of its children's.
	slices.SortStableFunc(all, func(a, b civicgrid.Area) int { return strings.Compare(a.Code, b.Code) })
	pi.index, pi.generation = places.NewIndex(all), generation
	return pi.index, nil
}

// handlePlaces: GET /api/v1/places?q=&limit= — streets, communities, grids
// and buildings whose names (with those of the areas above them) match q,
// typo-tolerant, best first.
func (s *Server) handlePlaces(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "query parameter \"q\" is required"))
		return
	}
	if len([]rune(q)) > 100 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "q: at most 100 characters"))
		return
	}
	limit := 10
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "limit=%q: want 1 to 50", v))
			return
		}
		limit = n
	}
	ix, err := s.places.get(r.Context(), s.store, s.locator.Generation())
	if err != nil {
		writeError(w, r, err)
		return
	}
	found := ix.Search(q, limit)
	if found == nil {
		found = []places.Place{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"places": found})
}

// Base layer zooms: which features a view at a zoom level gets.
const (
	basemapCommunityZoom = 13 // community outlines as minor streets
	basemapGridZoom      = 12 // grid outlines (layers=grids)
	basemapBuildingZoom  = 16 // building footprints
	basemapBuildingLabel = 17 // building numbers
)

// basemapLayers are the parts of the base layer a client may ask for.
var basemapLayers = []string{"streets", "buildings", "labels", "grids"}

// handleBasemap: GET /api/v1/basemap.geojson?bbox=&zoom=&layers= — the
// city's own base layer for maps without a tile provider: streets (the
// outlines of streets as major and of communities as minor roads), building
// footprints (a footprint symbol where only a point is stored), the names of
// districts, streets and communities for the zoom, and on request grid
// outlines. Each shared edge is drawn once and lines are simplified to half
// a pixel at the zoom, so a whole city's grids stay small to send.
func (s *Server) handleBasemap(w http.ResponseWriter, r *http.Request) {
	f, err := areaFilter(r, s.cfg.MaxFeatures)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if f.BBox == nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "query parameter \"bbox\" is required"))
		return
	}
	zoom := 14
	if v := r.URL.Query().Get("zoom"); v != "" {
		if zoom, err = strconv.Atoi(v); err != nil || zoom < 0 || zoom > 22 {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "zoom=%q: want 0 to 22", v))
			return
		}
	}
	want := map[string]bool{"streets": true, "buildings": true, "labels": true}
	if v := r.URL.Query().Get("layers"); v != "" {
		want = map[string]bool{}
		for _, l := range strings.Split(v, ",") {
			if !slices.Contains(basemapLayers, l) {
				writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "layers=%q: want some of %s", v, strings.Join(basemapLayers, ",")))
				return
			}
			want[l] = true
		}
	}
	ctx := r.Context()
	load := func(l civicgrid.Level) ([]civicgrid.Area, error) {
		return s.store.CurrentAreas(ctx, civicgrid.AreaFilter{Level: l, BBox: f.BBox, Limit: s.cfg.MaxFeatures})
	}
	fc := geojson.NewFeatureCollection()
	// Half a pixel at this zoom, in degrees of latitude.
	halfPixel := 0.5 * 360 / (256 * math.Exp2(float64(zoom))) * math.Cos(f.BBox.Center()[1]*math.Pi/180)
	lines := newLineTracer(halfPixel)
	labelLevel := civicgrid.LevelDistrict
	switch {
	case zoom >= 14:
		labelLevel = civicgrid.LevelCommunity
	case zoom >= 12:
		labelLevel = civicgrid.LevelStreet
	}
	levels := []civicgrid.Level{civicgrid.LevelDistrict, civicgrid.LevelStreet, civicgrid.LevelCommunity}
	if want["grids"] && zoom >= basemapGridZoom {
		levels = append(levels, civicgrid.LevelGrid)
	}
	for _, l := range levels {
		roads := want["streets"] && (l == civicgrid.LevelStreet || l == civicgrid.LevelCommunity && zoom >= basemapCommunityZoom)
		labels := want["labels"] && l == labelLevel
		grids := l == civicgrid.LevelGrid
		if !roads && !labels && !grids {
			continue
		}
		areas, err := load(l)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for _, a := range areas {
			// Streets come before grids, so an edge both share is drawn
			// once, as the street.
			switch {
			case grids:
				lines.add(a.Geometry, geojson.Properties{"kind": "grid"}, fc)
			case roads && l == civicgrid.LevelStreet:
				lines.add(a.Geometry, geojson.Properties{"kind": "road", "class": "major"}, fc)
			case roads:
				lines.add(a.Geometry, geojson.Properties{"kind": "road", "class": "minor"}, fc)
			}
			if labels && a.Geometry != nil && a.Name != "" {
				ft := geojson.NewFeature(places.Anchor(a.Geometry))
				ft.Properties = geojson.Properties{"kind": "label", "level": a.Level, "code": a.Code, "label": a.Name}
				fc.Append(ft)
			}
		}
	}
	if want["buildings"] && zoom >= basemapBuildingZoom {
		buildings, err := load(civicgrid.LevelBuilding)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for _, b := range buildings {
			shape := footprint(b.Geometry)
			if shape == nil {
				continue
			}
			ft := geojson.NewFeature(shape)
			ft.Properties = geojson.Properties{"kind": "building", "code": b.Code, "name": b.Name}
			if want["labels"] && zoom >= basemapBuildingLabel {
				ft.Properties["level"] = "building"
				ft.Properties["label"] = cmpOr(b.Number, b.Name)
			}
			fc.Append(ft)
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	body, err := fc.MarshalJSON()
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Write(body)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// footprint is a building's outline: its stored polygon, or, for a building
// stored as a point, a symbol of a typical residential block (28 m × 14 m)
// centred on it.
func footprint(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return g
	case orb.Point:
		const halfW, halfH = 14.0, 7.0 // metres
		dLat := halfH / 111_320
		dLng := halfW / (111_320 * math.Cos(g[1]*math.Pi/180))
		round := func(x float64) float64 { return math.Round(x*1e7) / 1e7 }
		w, e, s, n := round(g[0]-dLng), round(g[0]+dLng), round(g[1]-dLat), round(g[1]+dLat)
		return orb.Polygon{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}
	}
	return nil
}

// lineTracer turns area outlines into lines, drawing each edge shared by
// two areas (or by a street and its communities) once: the first outline to
// reach an edge draws it. Lines are simplified to the tolerance.
type lineTracer struct {
	seen     map[[4]float64]bool
	simplify *simplify.DouglasPeuckerSimplifier
}

func newLineTracer(tolerance float64) *lineTracer {
	return &lineTracer{seen: map[[4]float64]bool{}, simplify: simplify.DouglasPeucker(tolerance)}
}

// add appends g's edges not drawn yet as one feature with props.
func (lt *lineTracer) add(g orb.Geometry, props geojson.Properties, fc *geojson.FeatureCollection) {
	var rings []orb.Ring
	switch g := g.(type) {
	case orb.Polygon:
		rings = g
	case orb.MultiPolygon:
		for _, p := range g {
			rings = append(rings, p...)
		}
	}
	var lines orb.MultiLineString
	flush := func(run orb.LineString) {
		if len(run) > 1 {
			lines = append(lines, lt.simplify.LineString(run))
		}
	}
	for _, ring := range rings {
		var run orb.LineString
		for i := 1; i < len(ring); i++ {
			a, b := ring[i-1], ring[i]
			key := [4]float64{a[0], a[1], b[0], b[1]}
			if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
				key = [4]float64{b[0], b[1], a[0], a[1]}
			}
			if lt.seen[key] {
				flush(run)
				run = nil
				continue
			}
			lt.seen[key] = true
			if len(run) == 0 {
				run = orb.LineString{a}
			}
			run = append(run, b)
		}
		flush(run)
	}
	if len(lines) == 0 {
		return
	}
	ft := geojson.NewFeature(lines)
	ft.Properties = props
	fc.Append(ft)
}
