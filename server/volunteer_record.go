package server

import (
	"maps"
	"net/http"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Service-record corrections: the recording organisation's staff correct a
// record's minutes or service with a reason (volunteering.Correct).

func (s *Server) volunteerRecordRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Volunteer == nil {
		return
	}
	guarded("POST", "/api/v1/volunteer/requests/{id}/correct", civicgrid.ActionCorrectHelp, withID(s.handleCorrectHelp))
}

// handleCorrectHelp: POST /api/v1/volunteer/requests/{id}/correct
// {"minutes", "service", "reason"}.
func (s *Server) handleCorrectHelp(w http.ResponseWriter, r *http.Request, id int64) {
	var in volunteering.Correction
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Volunteer.Correct(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "request", v, err)
}

func init() {
	maps.Copy(operations, map[string]operation{
		"POST /api/v1/volunteer/requests/{id}/correct": {summary: "Correct a service record's minutes or service, with a reason (the recording community's staff): the original stays in the history, a confirmed record's time bank moves by the difference", tag: "volunteers", request: volunteering.Correction{}},
	})
}
