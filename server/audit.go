package server

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// auditFilter reads the audit query and checks the caller's scope for it.
func (s *Server) auditFilter(r *http.Request, action civicgrid.Action, maxLimit int) (civicgrid.EventFilter, error) {
	a := actorFrom(r)
	q := r.URL.Query()
	f := civicgrid.EventFilter{Kind: q.Get("kind"), Limit: maxLimit}
	if within := q.Get("within"); within != "" {
		if err := civicgrid.Authorize(a, action, civicgrid.In(within)); err != nil {
			return f, err
		}
		f.Within = []string{within}
	} else {
		f.Within = a.Scopes(action)
		if len(f.Within) == 0 {
			return f, civicgrid.Authorize(a, action, civicgrid.Object{Areas: []string{"-"}})
		}
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, civicgrid.Errorf(civicgrid.EINVALID, "%s: want an RFC 3339 time such as 2026-11-01T00:00:00+08:00", name)
			}
			*dst = t
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "before must be an event id")
		}
		f.BeforeID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return f, civicgrid.Errorf(civicgrid.EINVALID, "limit must be 1 to %d", maxLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// handleAuditList: GET /api/v1/audit/security — newest first, for auditors.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	f, err := s.auditFilter(r, civicgrid.ActionReadAudit, 500)
	if err != nil {
		writeError(w, r, err)
		return
	}
	evs, err := s.store.ListSecurityEvents(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if evs == nil {
		evs = []civicgrid.SecurityEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

// handleAuditExport: GET /api/v1/audit/security.csv — UTF-8 with a byte-order
// mark so that Excel reads the Chinese text; the export itself is logged.
func (s *Server) handleAuditExport(w http.ResponseWriter, r *http.Request) {
	f, err := s.auditFilter(r, civicgrid.ActionExportAudit, 100_000)
	if err != nil {
		writeError(w, r, err)
		return
	}
	evs, err := s.store.ListSecurityEvents(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.store.AppendSecurityEvent(r.Context(), s.event(r, civicgrid.SecurityEvent{Kind: "audit.exported",
		AreaCode: strings.Join(f.Within, ","), Detail: strconv.Itoa(len(evs)) + " events"})); err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	setAttachment(w, "security-events.csv")
	w.Write([]byte("\xef\xbb\xbf"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "kind", "outcome", "actor_id", "actor", "target_user_id", "area_code", "ip", "detail"})
	for _, e := range evs {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.In(beijing).Format(time.RFC3339), e.Kind, e.Outcome,
			idOrEmpty(e.ActorID), csvSafe(e.Actor), idOrEmpty(e.TargetUserID), e.AreaCode, e.IP, csvSafe(e.Detail)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		slog.WarnContext(r.Context(), "audit export interrupted", "err", err)
	}
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// csvSafe defuses spreadsheet formulas in free text (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleRoles: GET /api/v1/roles lists the roles and where they are held.
func (s *Server) handleRoles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"roles": civicgrid.Roles})
}

// handleBuildingRoles: GET /api/v1/building-roles lists the building roles.
func (s *Server) handleBuildingRoles(w http.ResponseWriter, r *http.Request) {
	kinds, err := s.store.BuildingRoleKinds(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"building_roles": kinds})
}

var buildingRoleKey = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// handleAddBuildingRole: POST /api/v1/building-roles adds a local building role.
func (s *Server) handleAddBuildingRole(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageBuildingRoles, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	var k civicgrid.BuildingRoleKind
	if _, err := decodeAuthBody(w, r, &k); err != nil {
		writeError(w, r, err)
		return
	}
	if !buildingRoleKey.MatchString(k.Key) {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "key: 2 to 40 lower-case letters, digits or _, starting with a letter"))
		return
	}
	if strings.TrimSpace(k.NameZH) == "" || strings.TrimSpace(k.NameEN) == "" {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "name_zh and name_en are both required"))
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: "building_role.added", Detail: k.Key})
	if err := s.store.AddBuildingRoleKind(r.Context(), k, ev); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, k)
}
