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
	guarded("POST", "/api/v1/volunteer/requests/{id}/new-code", civicgrid.ActionRenewSignCode, withID(s.handleRenewCode))
	guarded("POST", "/api/v1/volunteer/cases/{id}/request", civicgrid.ActionAskHelpFor, withID(s.handleCaseToRequest))
	guarded("POST", "/api/v1/volunteer/requests/{id}/to-case", civicgrid.ActionVerifyHelp, withID(s.handleRequestToCase))
}

// handleCaseToRequest: POST /api/v1/volunteer/cases/{id}/request turns a
// case into a request for help on someone's behalf (linked both ways).
func (s *Server) handleCaseToRequest(w http.ResponseWriter, r *http.Request, id int64) {
	var in volunteering.FromCase
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Volunteer.FromCaseRequest(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "request", v, err)
}

// handleRequestToCase: POST /api/v1/volunteer/requests/{id}/to-case turns
// a request not yet served into a case; the request is closed, linked.
func (s *Server) handleRequestToCase(w http.ResponseWriter, r *http.Request, id int64) {
	var in volunteering.ToCase
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
			writeError(w, r, err)
			return
		}
	}
	v, err := s.cfg.Volunteer.RequestToCase(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "request", v, err)
}

// handleRenewCode: POST /api/v1/volunteer/requests/{id}/new-code
// {"reason"}: staff issue a new sign-in code (a locked one, a lost one).
func (s *Server) handleRenewCode(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.RenewCode(r.Context(), actorFrom(r), id, in.Reason)
	})(w, r)
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
		"POST /api/v1/volunteer/requests/{id}/new-code": {summary: "Issue a new sign-in code for a claimed or in-service request (staff; the old code stops working, a lock-out after wrong codes ends); audited in the request's history", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/cases/{id}/request":     {summary: "Turn a case one may read into a request for help on someone's behalf (grid workers, building roles, staff); linked both ways, once per case", tag: "volunteers", request: volunteering.FromCase{}, created: true},
		"POST /api/v1/volunteer/requests/{id}/to-case":  {summary: "Turn a request not yet served into a case (the staff who verify requests); the request is closed and linked to the case, once", tag: "volunteers", request: volunteering.ToCase{}},
		"POST /api/v1/volunteer/requests/{id}/correct":  {summary: "Correct a service record's minutes or service, with a reason (the recording community's staff): the original stays in the history, a confirmed record's time bank moves by the difference", tag: "volunteers", request: volunteering.Correction{}},
	})
}
