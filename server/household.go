package server

import (
	"maps"
	"mime"
	"net/http"

	"github.com/civicgrid/civicgrid"
)

// Households (户) of a building: community staff list and import them
// (rows as JSON or CSV "room,phone,role,area"); a member reads their own.
// The cogovern service asks Authorize for every step and masks names and
// phones.

func (s *Server) householdRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Cogov == nil {
		return
	}
	guarded("GET", "/api/v1/areas/{code}/households", civicgrid.ActionReadHouseholds, s.handleHouseholds)
	guarded("POST", "/api/v1/areas/{code}/households", civicgrid.ActionManageHouseholds, s.handleImportHouseholds)
	guarded("GET", "/api/v1/me/household", civicgrid.ActionReadHouseholds, s.handleMyHousehold)
}

// householdBody bounds an import: 2,000 rows of CSV or JSON.
const householdBody = 512 << 10

func (s *Server) handleHouseholds(w http.ResponseWriter, r *http.Request) {
	hs, err := s.cfg.Cogov.Households(r.Context(), actorFrom(r), r.PathValue("code"))
	if hs == nil {
		hs = []civicgrid.Household{}
	}
	answer(w, r, http.StatusOK, "households", hs, err)
}

func (s *Server) handleImportHouseholds(w http.ResponseWriter, r *http.Request) {
	var rows []civicgrid.HouseholdRow
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "text/csv" {
		var err error
		if rows, err = civicgrid.ParseHouseholdCSV(http.MaxBytesReader(w, r.Body, householdBody)); err != nil {
			writeError(w, r, err)
			return
		}
	} else {
		var in civicgrid.HouseholdImport
		if err := decodeJSON(w, r, householdBody, &in); err != nil {
			writeError(w, r, err)
			return
		}
		rows = in.Rows
	}
	n, err := s.cfg.Cogov.ImportHouseholds(r.Context(), actorFrom(r), r.PathValue("code"), rows)
	answer(w, r, http.StatusOK, "rows", n, err)
}

func (s *Server) handleMyHousehold(w http.ResponseWriter, r *http.Request) {
	h, err := s.cfg.Cogov.MyHousehold(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "household", h, err)
}

func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/areas/{code}/households": {summary: "A building's households (户): rooms, members (masked) with the representative, owner and floor area; community staff only",
			tag: "co-governance"},
		"POST /api/v1/areas/{code}/households": {summary: "Add flats, members, the representative, owners and floor areas to a building (JSON rows, or text/csv room,phone,role,area); all rows or none, audited",
			tag: "co-governance", request: civicgrid.HouseholdImport{}},
		"GET /api/v1/me/household": {summary: "The caller's own household (masked)", tag: "co-governance"},
	})
}
