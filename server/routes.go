package server

import (
	"net/http"

	"github.com/civicgrid/civicgrid"
)

// Route describes one API route: the access matrix test and docs/security.md
// are built from this table, so a route cannot exist without saying who may
// call it.
type Route struct {
	Method  string
	Pattern string
	// Action is what the route asks Authorize for; empty for public routes.
	Action civicgrid.Action
	// Public routes need no login (they still show only public data).
	Public  bool
	handler http.HandlerFunc
}

// Routes lists the API routes in registration order.
func (s *Server) Routes() []Route { return s.table }

func (s *Server) routes() {
	public := func(method, pattern string, h http.HandlerFunc) {
		s.table = append(s.table, Route{Method: method, Pattern: pattern, Public: true, handler: h})
	}
	guarded := func(method, pattern string, action civicgrid.Action, h http.HandlerFunc) {
		s.table = append(s.table, Route{Method: method, Pattern: pattern, Action: action, handler: s.requireLogin(h)})
	}

	// Liveness (the process answers) apart from readiness (it can serve:
	// the database answers and the disk takes writes); /healthz is
	// readiness, as it always was.
	public("GET", "/healthz", s.handleHealth)
	public("GET", "/readyz", s.handleHealth)
	public("GET", "/livez", s.handleLive)
	public("GET", "/api/v1/locate", s.handleLocate)
	public("GET", "/api/v1/areas", s.handleAreas)
	public("GET", "/api/v1/areas.geojson", s.handleAreasGeoJSON)
	public("GET", "/api/v1/areas/{code}", s.handleArea)
	public("GET", "/api/v1/areas/{code}/versions", s.handleAreaVersions)
	public("GET", "/api/v1/basemap.geojson", s.handleBasemap)
	public("GET", "/api/v1/places", s.handlePlaces)
	public("GET", "/api/v1/roles", s.handleRoles)
	public("GET", "/api/v1/building-roles", s.handleBuildingRoles)

	public("POST", "/api/v1/auth/login", s.handleLogin)
	public("POST", "/api/v1/auth/logout", s.handleLogout)
	public("POST", "/api/v1/auth/signup/code", s.handleSendCode(purposeSignup))
	public("POST", "/api/v1/auth/signup", s.handleSignup)
	public("POST", "/api/v1/auth/reset/code", s.handleSendCode(purposeReset))
	public("POST", "/api/v1/auth/reset", s.handleResetBySMS)
	public("GET", "/auth/oidc/login", s.handleOIDCLogin)
	public("GET", "/auth/oidc/callback", s.handleOIDCCallback)

	guarded("GET", "/api/v1/me", civicgrid.ActionReadSelf, s.handleMe)
	guarded("POST", "/api/v1/me/password", civicgrid.ActionChangeOwnPassword, s.handleChangePassword)

	guarded("GET", "/api/v1/users", civicgrid.ActionListUsers, s.handleListUsers)
	guarded("POST", "/api/v1/users", civicgrid.ActionCreateUser, s.handleCreateUser)
	guarded("GET", "/api/v1/users/{id}", civicgrid.ActionReadUser, s.handleReadUser)
	guarded("POST", "/api/v1/users/{id}/unmask", civicgrid.ActionUnmaskUser, s.handleUnmaskUser)
	guarded("POST", "/api/v1/users/{id}/password-reset", civicgrid.ActionResetPassword, s.handleResetPassword)
	guarded("POST", "/api/v1/users/{id}/unlock", civicgrid.ActionUnlockUser, s.handleUnlock)
	guarded("POST", "/api/v1/users/{id}/grants", civicgrid.ActionGrantRole, s.handleGrant)
	guarded("DELETE", "/api/v1/users/{id}/grants/{grant}", civicgrid.ActionRevokeRole, s.handleRevokeGrant)

	guarded("GET", "/api/v1/tokens", civicgrid.ActionListTokens, s.handleListTokens)
	guarded("POST", "/api/v1/tokens", civicgrid.ActionCreateToken, s.handleCreateToken)
	guarded("DELETE", "/api/v1/tokens/{id}", civicgrid.ActionRevokeToken, s.handleRevokeToken)

	guarded("GET", "/api/v1/audit/security", civicgrid.ActionReadAudit, s.handleAuditList)
	guarded("GET", "/api/v1/audit/security.csv", civicgrid.ActionExportAudit, s.handleAuditExport)
	guarded("POST", "/api/v1/building-roles", civicgrid.ActionManageBuildingRoles, s.handleAddBuildingRole)

	guarded("POST", "/api/v1/admin/areas/check", civicgrid.ActionImportAreas, s.handleCheckImport)
	guarded("POST", "/api/v1/admin/areas/import", civicgrid.ActionImportAreas, s.handleImport)
	guarded("GET", "/api/v1/admin/areas/export", civicgrid.ActionExportAreas, s.handleExport)

	s.open311KeyRoutes(guarded)
	s.cogovernanceRoutes(public, guarded)
	s.projectRoutes(public, guarded)
	s.householdRoutes(guarded)
	s.courtyardRoutes(guarded)
	s.meetingRoutes(public, guarded)
	s.volunteerRoutes(public, guarded)
	s.volunteerRecordRoutes(guarded)
	s.lectureRoutes(public, guarded)
	s.searchRoutes(guarded)
	s.warningRoutes(guarded)
	s.careRoutes(guarded)
	s.noticeRoutes(guarded)
	if s.cfg.Calendar != nil {
		s.calendarRoutes(public, guarded)
	}
	if s.cases != nil {
		s.caseRoutes(public, guarded)
		s.webhookRoutes(guarded)
		s.notificationRoutes(guarded)
		if s.open311 != nil {
			s.open311Routes(public)
		}
	}

	// The API's own description, built from the table above.
	public("GET", "/api/v1/openapi.json", s.handleOpenAPI)
	public("GET", "/api/docs", s.handleAPIDocs)

	for _, rt := range s.table {
		s.mux.HandleFunc(rt.Method+" "+rt.Pattern, rt.handler)
	}
}

// requireLogin refuses anonymous requests before the handler runs (with the
// reason the credential failed, if one was sent), and holds people who must
// change a temporary password to doing just that.
func (s *Server) requireLogin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor := actorFrom(r)
		if actor.Anonymous() {
			if err := authErrorFrom(r); err != nil {
				writeError(w, r, err)
			} else {
				writeError(w, r, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first (session cookie or Authorization: Bearer <token>)"))
			}
			return
		}
		if actor.MustChangePassword && r.URL.Path != "/api/v1/me" && r.URL.Path != "/api/v1/me/password" {
			writeError(w, r, civicgrid.Errorf(civicgrid.EFORBIDDEN, "change your temporary password first (POST /api/v1/me/password)"))
			return
		}
		h(w, r)
	}
}
