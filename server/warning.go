package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Risk early warning: the alerts of an area, acknowledging or dismissing
// one (a dismissal with a reason), opening a case from one, and running
// the warning over an area now. The warning service asks Authorize for
// every step; an alert the caller may not read is "not found".

func (s *Server) warningRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Warning == nil {
		return
	}
	guarded("GET", "/api/v1/warnings/alerts", civicgrid.ActionReadWarnings, s.handleAlerts)
	guarded("GET", "/api/v1/warnings/alerts/{id}", civicgrid.ActionReadWarnings, withID(s.handleAlert))
	guarded("POST", "/api/v1/warnings/alerts/{id}/decide", civicgrid.ActionDecideWarning, withID(s.handleDecideAlert))
	guarded("POST", "/api/v1/warnings/alerts/{id}/case", civicgrid.ActionDecideWarning, withID(s.handleAlertCase))
	guarded("POST", "/api/v1/warnings/run", civicgrid.ActionRunWarnings, s.handleRunWarnings)
}

func init() {
	for k, op := range map[string]operation{
		"GET /api/v1/warnings/alerts": {summary: "Early-warning alerts touching an area (default: the caller's first), newest first", tag: "warnings",
			query: []string{"scope", "status"}, response: alertsResponse{}},
		"GET /api/v1/warnings/alerts/{id}":         {summary: "One alert: what was observed, what was expected, how unusual", tag: "warnings", response: alertResponse{}},
		"POST /api/v1/warnings/alerts/{id}/decide": {summary: "Acknowledge an open alert, or dismiss it with a reason", tag: "warnings", request: civicgrid.AlertDecision{}, response: alertResponse{}},
		"POST /api/v1/warnings/alerts/{id}/case":   {summary: "Open a case from an alert (once), at its grid, in its category", tag: "warnings", request: alertCaseRequest{}, created: true},
		"POST /api/v1/warnings/run":                {summary: "Run the early warning over an area for a day now (default: yesterday)", tag: "warnings", request: warningRunRequest{}, response: alertsResponse{}},
	} {
		operations[k] = op
	}
}

type alertsResponse struct {
	Alerts []civicgrid.Alert `json:"alerts"`
}

type alertResponse struct {
	Alert civicgrid.Alert `json:"alert"`
}

type alertCaseRequest struct {
	Note string `json:"note"`
}

type warningRunRequest struct {
	Scope string `json:"scope"`
	Day   string `json:"day"` // yyyy-mm-dd (Beijing time)
}

// defaultScope is the area a list is for: the one asked, or the caller's
// first grant's.
func defaultScope(r *http.Request) string {
	if sc := strings.TrimSpace(r.URL.Query().Get("scope")); sc != "" {
		return sc
	}
	if a := actorFrom(r); len(a.Grants) > 0 {
		return a.Grants[0].AreaCode
	}
	return ""
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	as, err := s.cfg.Warning.List(r.Context(), actorFrom(r), defaultScope(r), civicgrid.AlertStatus(r.URL.Query().Get("status")))
	if as == nil {
		as = []civicgrid.Alert{}
	}
	answer(w, r, http.StatusOK, "alerts", as, err)
}

func (s *Server) handleAlert(w http.ResponseWriter, r *http.Request, id int64) {
	a, err := s.cfg.Warning.Get(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "alert", a, err)
}

func (s *Server) handleDecideAlert(w http.ResponseWriter, r *http.Request, id int64) {
	var d civicgrid.AlertDecision
	if err := decodeJSON(w, r, 8<<10, &d); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.cfg.Warning.Decide(r.Context(), actorFrom(r), id, d)
	answer(w, r, http.StatusOK, "alert", a, err)
}

func (s *Server) handleAlertCase(w http.ResponseWriter, r *http.Request, id int64) {
	var in alertCaseRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, 8<<10, &in); err != nil {
			writeError(w, r, err)
			return
		}
	}
	c, err := s.cfg.Warning.OpenCase(r.Context(), actorFrom(r), id, in.Note)
	if err == nil && s.cases != nil {
		v, verr := s.cases.View(r.Context(), actorFrom(r), c)
		answer(w, r, http.StatusCreated, "case", v, verr)
		return
	}
	answer(w, r, http.StatusCreated, "case", c, err)
}

func (s *Server) handleRunWarnings(w http.ResponseWriter, r *http.Request) {
	var in warningRunRequest
	if err := decodeJSON(w, r, 4<<10, &in); err != nil {
		writeError(w, r, err)
		return
	}
	day := s.now().In(civicgrid.Beijing).AddDate(0, 0, -1)
	if in.Day != "" {
		d, err := time.ParseInLocation(time.DateOnly, in.Day, civicgrid.Beijing)
		if err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "day %q: yyyy-mm-dd", in.Day))
			return
		}
		day = d
	}
	if in.Scope == "" {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "scope: the area to run over"))
		return
	}
	as, err := s.cfg.Warning.RunDay(r.Context(), actorFrom(r), in.Scope, day)
	if as == nil {
		as = []civicgrid.Alert{}
	}
	answer(w, r, http.StatusOK, "alerts", as, err)
}
