package server

import (
	"maps"
	"net/http"

	"github.com/civicgrid/civicgrid"
)

// Courtyards (院落): named groups of a community's buildings, kept by its
// staff, the scope of proposals, meetings, votes and projects (which take
// "courtyard_id" in place of "area_code").

func (s *Server) courtyardRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Cogov == nil {
		return
	}
	guarded("GET", "/api/v1/courtyards", civicgrid.ActionReadCogov, s.handleCourtyards)
	guarded("POST", "/api/v1/courtyards", civicgrid.ActionManageCourtyard, s.handleSaveCourtyard)
	guarded("GET", "/api/v1/courtyards/{id}", civicgrid.ActionReadCogov, withID(s.handleCourtyard))
	guarded("PUT", "/api/v1/courtyards/{id}", civicgrid.ActionManageCourtyard, withID(s.handleEditCourtyard))
}

func (s *Server) handleCourtyards(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Cogov.Courtyards(r.Context(), actorFrom(r), r.URL.Query().Get("community"))
	if cs == nil {
		cs = []civicgrid.Courtyard{}
	}
	answer(w, r, http.StatusOK, "courtyards", cs, err)
}

func (s *Server) handleSaveCourtyard(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.CourtyardInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.cfg.Cogov.SaveCourtyard(r.Context(), actorFrom(r), 0, in)
	answer(w, r, http.StatusCreated, "courtyard", c, err)
}

func (s *Server) handleCourtyard(w http.ResponseWriter, r *http.Request, id int64) {
	c, err := s.cfg.Cogov.CourtyardDetail(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "courtyard", c, err)
}

func (s *Server) handleEditCourtyard(w http.ResponseWriter, r *http.Request, id int64) {
	var in civicgrid.CourtyardInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.cfg.Cogov.SaveCourtyard(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "courtyard", c, err)
}

func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/courtyards": {summary: "Courtyards (院落) of a community (?community=CODE) or of the caller's communities: names and buildings",
			tag: "co-governance"},
		"POST /api/v1/courtyards": {summary: "Make a courtyard: a name and 1–100 buildings of one community, each in no other courtyard; its staff and secretary",
			tag: "co-governance", request: civicgrid.CourtyardInput{}},
		"GET /api/v1/courtyards/{id}": {summary: "One courtyard (with its history for the staff who keep it)", tag: "co-governance"},
		"PUT /api/v1/courtyards/{id}": {summary: "Rename a courtyard or change its buildings; matters already raised in it keep the buildings they were raised in",
			tag: "co-governance", request: civicgrid.CourtyardInput{}},
	})
}
