package server

import (
	"net/http"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
)

// Care visits (探访关爱): the care registry, plans, the visitor's queue,
// visits, concern → case or request for help, the coverage rate. The care service asks
// Authorize for every step and logs every read of an entry; an entry the
// caller may not read is "not found". The registry is never exported.

func (s *Server) careRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Care == nil {
		return
	}
	guarded("GET", "/api/v1/care/kinds", civicgrid.ActionReadSelf, s.handleCareKinds)
	guarded("GET", "/api/v1/care/entries", civicgrid.ActionRegisterCare, s.handleCareRegistry)
	guarded("POST", "/api/v1/care/entries", civicgrid.ActionRegisterCare, s.handleCareRegister)
	guarded("GET", "/api/v1/care/entries.csv", civicgrid.ActionExportCare, s.handleCareExport)
	guarded("GET", "/api/v1/care/entries/{id}", civicgrid.ActionReadCare, withID(s.handleCareEntry))
	guarded("POST", "/api/v1/care/entries/{id}/plan", civicgrid.ActionRegisterCare, withID(s.handleCarePlan))
	guarded("POST", "/api/v1/care/entries/{id}/end", civicgrid.ActionRegisterCare, withID(s.handleCareEnd))
	guarded("POST", "/api/v1/care/entries/{id}/visits", civicgrid.ActionVisitCare, withID(s.handleCareVisit))
	guarded("POST", "/api/v1/care/visits/{id}/case", civicgrid.ActionVisitCare, withID(s.handleCareToCase))
	guarded("POST", "/api/v1/care/visits/{id}/request", civicgrid.ActionVisitCare, withID(s.handleCareToRequest))
	guarded("GET", "/api/v1/care/queue", civicgrid.ActionCareQueue, s.handleCareQueue)
	guarded("GET", "/api/v1/care/coverage", civicgrid.ActionCareCoverage, s.handleCareCoverage)
}

// careBody bounds a request body (a note of 500 characters and a few
// fields of 200 are under 4 kB of UTF-8).
const careBody = 16 << 10

func (s *Server) handleCareKinds(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"kinds": s.cfg.Care.Kinds()})
}

// handleCareRegistry: GET /api/v1/care/entries[?within=CODE] lists the
// registry of the caller's communities, names masked.
func (s *Server) handleCareRegistry(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Care.Registry(r.Context(), actorFrom(r), r.URL.Query().Get("within"))
	answer(w, r, http.StatusOK, "entries", vs, err)
}

func (s *Server) handleCareRegister(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.CareInput
	if err := decodeJSON(w, r, careBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Care.Register(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "entry", v, err)
}

// handleCareExport refuses, and the refusal is in the security log.
func (s *Server) handleCareExport(w http.ResponseWriter, r *http.Request) {
	within := r.URL.Query().Get("within")
	err := s.cfg.Care.Export(r.Context(), actorFrom(r), within)
	if err == nil {
		err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: the care registry is not exported", civicgrid.ActionExportCare)
	}
	s.audit(r, civicgrid.SecurityEvent{Kind: "care.export", Outcome: civicgrid.OutcomeDenied, AreaCode: within, Detail: "care registry export refused"})
	writeError(w, r, err)
}

// handleCareEntry answers the full entry, kept out of every cache.
func (s *Server) handleCareEntry(w http.ResponseWriter, r *http.Request, id int64) {
	w.Header().Set("Cache-Control", "no-store")
	v, err := s.cfg.Care.Entry(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "entry", v, err)
}

func (s *Server) handleCarePlan(w http.ResponseWriter, r *http.Request, id int64) {
	var in care.PlanInput
	if err := decodeJSON(w, r, careBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Care.SetPlan(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "entry", v, err)
}

// careEndInput is the body of ending care.
type careEndInput struct {
	Reason string `json:"reason"`
}

func (s *Server) handleCareEnd(w http.ResponseWriter, r *http.Request, id int64) {
	var in careEndInput
	if err := decodeJSON(w, r, careBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Care.End(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "entry", v, err)
}

func (s *Server) handleCareVisit(w http.ResponseWriter, r *http.Request, id int64) {
	var in care.VisitInput
	if err := decodeJSON(w, r, careBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Care.Record(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "visit", v, err)
}

// careCaseInput is the body of turning a concern into a case.
type careCaseInput struct {
	Category string `json:"category"`
}

func (s *Server) handleCareToCase(w http.ResponseWriter, r *http.Request, id int64) {
	var in careCaseInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, careBody, &in); err != nil {
			writeError(w, r, err)
			return
		}
	}
	v, err := s.cfg.Care.ToCase(r.Context(), actorFrom(r), id, in.Category)
	answer(w, r, http.StatusOK, "visit", v, err)
}

// careRequestInput is the body of turning a concern into a request for help.
type careRequestInput struct {
	Service string `json:"service"` // a volunteer service's code (GET /api/v1/volunteer/services)
}

func (s *Server) handleCareToRequest(w http.ResponseWriter, r *http.Request, id int64) {
	var in careRequestInput
	if err := decodeJSON(w, r, careBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Care.ToRequest(r.Context(), actorFrom(r), id, in.Service)
	answer(w, r, http.StatusOK, "visit", v, err)
}

func (s *Server) handleCareQueue(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Care.Queue(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "entries", vs, err)
}

// handleCareCoverage: GET /api/v1/care/coverage?area=CODE[&month=YYYY-MM].
func (s *Server) handleCareCoverage(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Care.Coverage(r.Context(), actorFrom(r), r.URL.Query().Get("area"), r.URL.Query().Get("month"))
	answer(w, r, http.StatusOK, "coverage", c, err)
}
