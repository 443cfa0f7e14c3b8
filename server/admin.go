package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
)

// handleImport: POST /api/v1/admin/areas/import — a GeoJSON FeatureCollection
// of areas (docs/area-format.md). All or nothing: any problem rejects the
// whole file with every problem listed.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	actor, opts, ok := s.importer(w, r)
	if !ok {
		return
	}
	areas, err := areaio.Decode(http.MaxBytesReader(w, r.Body, s.cfg.MaxImportBytes+1), opts)
	if err != nil {
		writeError(w, r, err)
		return
	}
	for _, a := range areas {
		if err := civicgrid.Authorize(actor, civicgrid.ActionImportAreas, civicgrid.In(a.Code)); err != nil {
			writeError(w, r, err)
			return
		}
	}
	res, err := areaio.ImportAreas(r.Context(), s.store, areas, opts)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.locator.Refresh(r.Context()); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// importer starts an import or its check: it refuses early an actor who
// could import nothing at all, and gives the import's options.
func (s *Server) importer(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, areaio.Options, bool) {
	actor := actorFrom(r)
	if len(actor.Scopes(civicgrid.ActionImportAreas)) == 0 {
		writeError(w, r, civicgrid.Authorize(actor, civicgrid.ActionImportAreas, civicgrid.Object{Areas: []string{"-"}}))
		return actor, areaio.Options{}, false
	}
	opts := s.cfg.Import
	opts.MaxBytes = s.cfg.MaxImportBytes
	return actor, opts, true
}

// handleExport: GET /api/v1/admin/areas/export?within=CODE — the current
// areas as GeoJSON, grid workers' phones masked.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	actor := actorFrom(r)
	within := r.URL.Query().Get("within")
	if within == "" {
		if scopes := actor.Scopes(civicgrid.ActionExportAreas); len(scopes) > 0 {
			within = civicgrid.SubtreePrefix(scopes[0])
		}
	} else if civicgrid.LevelOfCode(within) == "" {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "within: %q is not an area code", within))
		return
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionExportAreas, civicgrid.In(within)); err != nil {
		writeError(w, r, err)
		return
	}
	areas, err := s.store.CurrentAreas(r.Context(), civicgrid.AreaFilter{Within: civicgrid.SubtreePrefix(within)})
	if err != nil {
		writeError(w, r, err)
		return
	}
	for i := range areas {
		for j := range areas[i].Workers {
			areas[i].Workers[j] = areas[i].Workers[j].Public()
		}
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	setAttachment(w, "areas-"+within+".geojson")
	if err := areaio.Encode(w, areas); err != nil {
		// The status line is already sent; all that is left is to log it.
		slog.WarnContext(r.Context(), "export interrupted", "err", err)
	}
}

// checkedProblem is a problem with the geometry of the area it concerns,
// for drawing on a map (its place, when at one, is Problem.At).
type checkedProblem struct {
	civicgrid.Problem
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

// handleCheckImport: POST /api/v1/admin/areas/check — the import's dry run.
// It answers the file's areas as GeoJSON (those that can be drawn), every
// problem an import would refuse, each with the geometry of the area it
// concerns (the file's, else the stored one) and its place when it is at
// one, and what an import would add and change; it writes nothing.
func (s *Server) handleCheckImport(w http.ResponseWriter, r *http.Request) {
	actor, opts, ok := s.importer(w, r)
	if !ok {
		return
	}
	res, err := areaio.Check(r.Context(), s.store, http.MaxBytesReader(w, r.Body, s.cfg.MaxImportBytes+1), opts)
	if err != nil {
		writeError(w, r, err)
		return
	}
	byCode := map[string]civicgrid.Area{}
	for _, a := range res.Areas {
		// A malformed code is one of the problems; a well-formed one must
		// be in the actor's scope, as the import asks.
		if civicgrid.LevelOfCode(a.Code) != "" {
			if err := civicgrid.Authorize(actor, civicgrid.ActionImportAreas, civicgrid.In(a.Code)); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if _, dup := byCode[a.Code]; !dup {
			byCode[a.Code] = a
		}
	}
	out := make([]checkedProblem, len(res.Problems))
	for i, p := range res.Problems {
		out[i].Problem = p
		a, ok := byCode[p.Code]
		if !ok && civicgrid.LevelOfCode(p.Code) != "" {
			if stored, err := s.store.AreaByCode(r.Context(), p.Code); err == nil {
				a, ok = stored, true
			}
		}
		if ok && a.Geometry != nil {
			out[i].Geometry = geojson.NewGeometry(a.Geometry)
		}
	}
	var fc bytes.Buffer
	if err := areaio.Encode(&fc, res.Areas); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": len(res.Problems) == 0, "areas": json.RawMessage(fc.Bytes()), "problems": out, "preview": res.Preview})
}
