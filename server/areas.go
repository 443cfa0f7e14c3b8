package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/civicgrid/civicgrid"
)

// workerView is a grid worker as the public sees them (Worker.Public).
type workerView struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

func maskWorkers(ws []civicgrid.Worker) []workerView {
	out := make([]workerView, len(ws))
	for i, w := range ws {
		p := w.Public()
		out[i] = workerView{Name: p.Name, Phone: p.Phone}
	}
	return out
}

type locateResponse struct {
	Grid       civicgrid.AreaRef  `json:"grid"`
	Community  *civicgrid.AreaRef `json:"community,omitempty"`
	Street     *civicgrid.AreaRef `json:"street,omitempty"`
	District   *civicgrid.AreaRef `json:"district,omitempty"`
	City       *civicgrid.AreaRef `json:"city,omitempty"`
	Workers    []workerView       `json:"workers"`
	OnBoundary bool               `json:"on_boundary"`
	DistanceM  float64            `json:"distance_m"`
}

// handleLocate: GET /api/v1/locate?lat=…&lng=… (WGS-84).
func (s *Server) handleLocate(w http.ResponseWriter, r *http.Request) {
	lat, err := floatParam(r, "lat")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lng, err := floatParam(r, "lng")
	if err != nil {
		writeError(w, r, err)
		return
	}
	loc, err := s.locator.Locate(lng, lat)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := locateResponse{Grid: loc.Grid, Workers: maskWorkers(loc.Workers), OnBoundary: loc.OnBoundary, DistanceM: loc.DistanceM}
	for _, a := range loc.Ancestors {
		a := a
		switch a.Level {
		case civicgrid.LevelCommunity:
			resp.Community = &a
		case civicgrid.LevelStreet:
			resp.Street = &a
		case civicgrid.LevelDistrict:
			resp.District = &a
		case civicgrid.LevelCity:
			resp.City = &a
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func floatParam(r *http.Request, name string) (float64, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, civicgrid.Errorf(civicgrid.EINVALID, "query parameter %q is required", name)
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, civicgrid.Errorf(civicgrid.EINVALID, "query parameter %q: %q is not a number", name, raw)
	}
	return v, nil
}

// areaFilter reads level, within, bbox and limit from the query string.
func areaFilter(r *http.Request, maxLimit int) (civicgrid.AreaFilter, error) {
	q := r.URL.Query()
	f := civicgrid.AreaFilter{Within: q.Get("within"), Limit: maxLimit}
	if v := q.Get("level"); v != "" {
		l, err := civicgrid.ParseLevel(v)
		if err != nil {
			return f, err
		}
		f.Level = l
	}
	for _, c := range f.Within {
		if c < '0' || c > '9' {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "within=%q: an area code has digits only", f.Within)
		}
	}
	if v := q.Get("bbox"); v != "" {
		parts := strings.Split(v, ",")
		var n [4]float64
		if len(parts) != 4 {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "bbox=%q: want minLng,minLat,maxLng,maxLat", v)
		}
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || x != x {
				return f, civicgrid.Errorf(civicgrid.EINVALID, "bbox=%q: %q is not a number", v, p)
			}
			n[i] = x
		}
		if n[0] > n[2] || n[1] > n[3] {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "bbox=%q: minimum greater than maximum", v)
		}
		f.BBox = &orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "limit=%q: want a positive whole number", v)
		}
		f.Limit = min(n, maxLimit)
	}
	// Ask for one more than the limit to know whether the answer is truncated.
	f.Limit++
	return f, nil
}

type areaSummary struct {
	Code      string              `json:"code"`
	Level     civicgrid.Level     `json:"level"`
	Name      string              `json:"name"`
	Parent    string              `json:"parent,omitempty"`
	Number    string              `json:"number,omitempty"`
	ValidFrom time.Time           `json:"valid_from"`
	ValidTo   *time.Time          `json:"valid_to,omitempty"`
	BBox      []float64           `json:"bbox,omitempty"`
	Workers   []workerView        `json:"workers,omitempty"`
	Ancestors []civicgrid.AreaRef `json:"ancestors,omitempty"`
	Geometry  json.RawMessage     `json:"geometry,omitempty"`
}

func summarize(a civicgrid.Area) areaSummary {
	v := areaSummary{Code: a.Code, Level: a.Level, Name: a.Name, Parent: a.ParentCode, Number: a.Number,
		ValidFrom: a.ValidFrom.UTC(), Workers: maskWorkers(a.Workers)}
	if !a.ValidTo.IsZero() {
		t := a.ValidTo.UTC()
		v.ValidTo = &t
	}
	if a.Geometry != nil {
		b := a.Geometry.Bound()
		v.BBox = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	return v
}

// selectAreas runs the query string's area filter, capped at MaxFeatures,
// and reports whether more areas matched than it returns.
func (s *Server) selectAreas(r *http.Request) ([]civicgrid.Area, bool, error) {
	f, err := areaFilter(r, s.cfg.MaxFeatures)
	if err != nil {
		return nil, false, err
	}
	areas, err := s.store.CurrentAreas(r.Context(), f)
	if err != nil {
		return nil, false, err
	}
	if len(areas) == f.Limit {
		return areas[:f.Limit-1], true, nil
	}
	return areas, false, nil
}

// handleAreas: GET /api/v1/areas?level=&within=&bbox=&limit= (no geometry).
func (s *Server) handleAreas(w http.ResponseWriter, r *http.Request) {
	areas, truncated, err := s.selectAreas(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]areaSummary, len(areas))
	for i, a := range areas {
		out[i] = summarize(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"areas": out, "truncated": truncated})
}

// handleAreasGeoJSON: GET /api/v1/areas.geojson — the same selection as a
// FeatureCollection, streamed feature by feature.
func (s *Server) handleAreasGeoJSON(w http.ResponseWriter, r *http.Request) {
	areas, truncated, err := s.selectAreas(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Write([]byte(`{"type":"FeatureCollection","features":[`))
	for i, a := range areas {
		if i > 0 {
			w.Write([]byte(","))
		}
		feat := geojson.NewFeature(a.Geometry)
		feat.Properties = geojson.Properties{"code": a.Code, "level": a.Level, "name": a.Name}
		if a.ParentCode != "" {
			feat.Properties["parent"] = a.ParentCode
		}
		if a.Level == civicgrid.LevelGrid {
			feat.Properties["workers"] = maskWorkers(a.Workers)
		}
		b, err := feat.MarshalJSON()
		if err != nil {
			// Headers are gone; end the body so the client sees invalid JSON.
			return
		}
		w.Write(b)
	}
	w.Write([]byte(`],"truncated":` + strconv.FormatBool(truncated) + "}\n"))
}

// handleArea: GET /api/v1/areas/{code} — the current version with its
// ancestors and geometry.
func (s *Server) handleArea(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.AreaByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := summarize(a)
	for code := a.ParentCode; code != ""; {
		p, err := s.store.AreaByCode(r.Context(), code)
		if err != nil {
			break
		}
		v.Ancestors = append([]civicgrid.AreaRef{{Code: p.Code, Level: p.Level, Name: p.Name}}, v.Ancestors...)
		code = p.ParentCode
	}
	if a.Geometry != nil {
		v.Geometry, _ = geojson.NewGeometry(a.Geometry).MarshalJSON()
	}
	writeJSON(w, http.StatusOK, v)
}

// handleAreaVersions: GET /api/v1/areas/{code}/versions — its history.
func (s *Server) handleAreaVersions(w http.ResponseWriter, r *http.Request) {
	versions, err := s.store.AreaVersions(r.Context(), r.PathValue("code"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]areaSummary, len(versions))
	for i, a := range versions {
		out[i] = summarize(a)
		out[i].Workers = nil
		if a.Geometry != nil {
			out[i].Geometry, _ = geojson.NewGeometry(a.Geometry).MarshalJSON()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}
