package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/sms"
)

// meResponse is the logged-in user's own record: their own data unmasked.
type meResponse struct {
	User      civicgrid.User `json:"user"`
	Via       string         `json:"via"`
	CSRFToken string         `json:"csrf_token,omitempty"`
}

// handleMe: GET /api/v1/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	if err := civicgrid.Authorize(a, civicgrid.ActionReadSelf, civicgrid.Object{Owner: a.UserID}); err != nil {
		// A token made on the command line acts for no user.
		writeJSON(w, http.StatusOK, meResponse{User: civicgrid.User{Name: a.Name, Grants: a.Grants}, Via: a.Via})
		return
	}
	u, err := s.store.UserByID(r.Context(), a.UserID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if a.Via == "token" {
		u.Grants = a.Grants // a token acts with its own grant only
	}
	writeJSON(w, http.StatusOK, meResponse{User: u, Via: a.Via, CSRFToken: a.CSRFToken})
}

type changePasswordRequest struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// handleChangePassword: POST /api/v1/me/password. All the user's sessions
// end; this one is replaced by a fresh session.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	if err := civicgrid.Authorize(a, civicgrid.ActionChangeOwnPassword, civicgrid.Object{Owner: a.UserID}); err != nil {
		writeError(w, r, err)
		return
	}
	var req changePasswordRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	rec, err := s.store.LoginRecordByPhone(r.Context(), a.Phone)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Wrong current passwords count as failed logins: a session left open
	// is no way around the lockout, and each one is in the security log.
	if until := rec.User.LockedUntil; !until.IsZero() && s.now().Before(until) {
		password.DummyVerify(req.Current)
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(s.now()).Seconds())+1))
		writeError(w, r, civicgrid.Errorf(civicgrid.ETHROTTLED, "too many wrong passwords: the account is locked until %s (Beijing time); your community office or an admin can unlock it",
			until.In(beijing).Format("2006-01-02 15:04")))
		return
	}
	if ok, _, _ := password.Verify(req.Current, rec.PasswordHash, s.cfg.Auth.Password); !ok {
		ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventPasswordChangeFailed, Outcome: civicgrid.OutcomeFailed,
			AreaCode: firstArea(rec.User), Detail: "wrong current password"})
		if _, _, err := s.store.RecordLoginFailure(r.Context(), a.UserID, s.cfg.Auth.MaxFailures, s.cfg.Auth.LockFor, ev); err != nil {
			writeError(w, r, err)
			return
		}
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "current_password is wrong; after %d wrong passwords in a row the account is locked for %s",
			s.cfg.Auth.MaxFailures, lockoutWords(s.cfg.Auth.LockFor)))
		return
	}
	if req.New == req.Current {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "new_password must differ from the current one"))
		return
	}
	if err := password.Validate(req.New, a.Phone); err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "new_password: %v", err))
		return
	}
	hash, err := password.Hash(req.New, s.cfg.Auth.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventPasswordChanged, AreaCode: firstArea(rec.User)})
	if err := s.store.SetPassword(r.Context(), a.UserID, hash, false, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.credentialsChanged()
	rec.User.MustChangePassword = false
	resp, err := s.startSession(w, r, rec.User, "password", civicgrid.EventLoginOK)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// page reads the limit (1 to 1000, default def) and after (an id) of a
// paged list.
func page(q url.Values, def int, what string) (limit int, after int64, err error) {
	limit = def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, civicgrid.Errorf(civicgrid.EINVALID, "limit must be 1 to 1000")
		}
		limit = n
	}
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, 0, civicgrid.Errorf(civicgrid.EINVALID, "after must be a %s id", what)
		}
	}
	return limit, after, nil
}

// pathID reads a numeric path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, civicgrid.Errorf(civicgrid.EINVALID, "%s %q is not an id", name, r.PathValue(name))
	}
	return id, nil
}

// targetUser loads the user named in the path.
func (s *Server) targetUser(r *http.Request) (civicgrid.User, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return civicgrid.User{}, err
	}
	return s.store.UserByID(r.Context(), id)
}

// handleListUsers: GET /api/v1/users?within=CODE&role=R&after=ID&limit=N,
// names and phones masked.
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	q := r.URL.Query()
	f := civicgrid.UserFilter{Role: q.Get("role"), Limit: 200}
	if within := q.Get("within"); within != "" {
		if err := civicgrid.Authorize(a, civicgrid.ActionListUsers, civicgrid.In(within)); err != nil {
			writeError(w, r, err)
			return
		}
		f.Within = []string{within}
	} else {
		f.Within = a.Scopes(civicgrid.ActionListUsers)
		if len(f.Within) == 0 {
			writeError(w, r, civicgrid.Authorize(a, civicgrid.ActionListUsers, civicgrid.Object{Areas: []string{"-"}}))
			return
		}
	}
	var err error
	if f.Limit, f.After, err = page(q, f.Limit, "user"); err != nil {
		writeError(w, r, err)
		return
	}
	users, err := s.store.ListUsers(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]civicgrid.User, len(users))
	for i, u := range users {
		out[i] = u.Masked()
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// handleReadUser: GET /api/v1/users/{id}, masked (unmasked for oneself).
func (s *Server) handleReadUser(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := civicgrid.Authorize(a, civicgrid.ActionReadUser, u.Object()); err != nil {
		writeError(w, r, err)
		return
	}
	if u.ID != a.UserID {
		u = u.Masked()
	}
	writeJSON(w, http.StatusOK, u)
}

type unmaskRequest struct {
	Reason string `json:"reason"`
}

// handleUnmaskUser: POST /api/v1/users/{id}/unmask with a reason returns the
// full name and phone, and logs who looked and why.
func (s *Server) handleUnmaskUser(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := civicgrid.Authorize(a, civicgrid.ActionUnmaskUser, u.Object()); err != nil {
		writeError(w, r, err)
		return
	}
	var req unmaskRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if n := len([]rune(reason)); n < 2 || n > 200 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "reason: say in 2 to 200 characters why you need the full name and phone"))
		return
	}
	// The record of the look is written before anything is shown.
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventUnmask, TargetUserID: u.ID, AreaCode: firstArea(u), Detail: reason})
	if err := s.store.AppendSecurityEvent(r.Context(), ev); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "name": u.Name, "phone": u.Phone})
}

type grantRequest struct {
	Role       string   `json:"role"`
	AreaCode   string   `json:"area_code"`
	Detail     string   `json:"detail"`
	Categories []string `json:"categories"`
}

func (g grantRequest) grant() civicgrid.RoleGrant {
	return civicgrid.RoleGrant{Role: g.Role, AreaCode: g.AreaCode, Detail: strings.TrimSpace(g.Detail), Categories: g.Categories}
}

// checkGrant validates a grant's shape and that its area and building role
// kind exist.
func (s *Server) checkGrant(r *http.Request, g civicgrid.RoleGrant) error {
	if err := g.CheckShape(); err != nil {
		return err
	}
	if _, err := s.store.AreaByCode(r.Context(), g.AreaCode); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return civicgrid.Errorf(civicgrid.EINVALID, "area_code: no area %s", g.AreaCode)
		}
		return err
	}
	if g.Role == civicgrid.RoleBuilding {
		kinds, err := s.store.BuildingRoleKinds(r.Context())
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(kinds, func(k civicgrid.BuildingRoleKind) bool { return k.Key == g.Detail }) {
			return civicgrid.Errorf(civicgrid.EINVALID, "detail: %q is not a building role (GET /api/v1/building-roles)", g.Detail)
		}
	}
	return nil
}

// authorizeGrant asks the policy whether the actor may administer a person
// holding (or to hold) grants, and records a refusal in the security log.
// The refusal is filed under area, the grant's own.
func (s *Server) authorizeGrant(r *http.Request, action civicgrid.Action, target int64, area string, grants []civicgrid.RoleGrant) error {
	areas := make([]string, len(grants))
	for i, g := range grants {
		areas[i] = g.AreaCode
	}
	err := civicgrid.Authorize(actorFrom(r), action, civicgrid.Object{Areas: areas, Grants: grants})
	if err != nil && civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
		s.audit(r, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleDenied, Outcome: civicgrid.OutcomeDenied,
			TargetUserID: target, AreaCode: area, Detail: civicgrid.ErrorMessage(err) + "; person's roles: " + describeGrantList(grants)})
	}
	return err
}

type createUserRequest struct {
	Name     string         `json:"name"`
	Phone    string         `json:"phone"`
	Password string         `json:"password"`
	Grants   []grantRequest `json:"grants"`
}

// handleCreateUser: POST /api/v1/users makes a staff account with its roles.
// Without a password a temporary one is made, shown once, to be changed at
// first login.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	phone, err := sms.Normalize(req.Phone)
	if err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "phone: %v", err))
		return
	}
	name := strings.TrimSpace(req.Name)
	if n := len([]rune(name)); n == 0 || n > 40 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "name: give 1 to 40 characters"))
		return
	}
	if len(req.Grants) == 0 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "grants: a staff account needs at least one role"))
		return
	}
	grants := make([]civicgrid.RoleGrant, len(req.Grants))
	for i, g := range req.Grants {
		grants[i] = g.grant()
		grants[i].GrantedBy = actorFrom(r).UserID
		if err := s.checkGrant(r, grants[i]); err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.ErrorCode(err), "grants[%d]: %s", i, civicgrid.ErrorMessage(err)))
			return
		}
	}
	if err := s.authorizeGrant(r, civicgrid.ActionCreateUser, 0, grants[0].AreaCode, grants); err != nil {
		writeError(w, r, err)
		return
	}
	temporary := ""
	pw := req.Password
	if pw == "" {
		if temporary, err = password.Temporary(); err != nil {
			writeError(w, r, err)
			return
		}
		pw = temporary
	} else if err := password.Validate(pw, phone); err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "password: %v", err))
		return
	}
	hash, err := password.Hash(pw, s.cfg.Auth.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated, AreaCode: grants[0].AreaCode, Detail: describeGrantList(grants)})
	u, err := s.store.CreateUser(r.Context(), civicgrid.User{Name: name, Phone: phone, Kind: civicgrid.KindStaff, MustChangePassword: temporary != ""}, hash, grants, ev)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := map[string]any{"user": u.Masked()}
	if temporary != "" {
		resp["temporary_password"] = temporary
	}
	writeJSON(w, http.StatusCreated, resp)
}

func describeGrantList(gs []civicgrid.RoleGrant) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.Role + "@" + g.AreaCode
		if g.Detail != "" {
			parts[i] += "(" + g.Detail + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// handleResetPassword: POST /api/v1/users/{id}/password-reset gives the user
// a temporary password (shown once to the admin) and ends their sessions.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.authorizeAccount(r, civicgrid.ActionResetPassword, u); err != nil {
		writeError(w, r, err)
		return
	}
	temporary, err := password.Temporary()
	if err != nil {
		writeError(w, r, err)
		return
	}
	hash, err := password.Hash(temporary, s.cfg.Auth.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventPasswordReset, AreaCode: firstArea(u), Detail: "by admin"})
	if err := s.store.SetPassword(r.Context(), u.ID, hash, true, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.credentialsChanged()
	writeJSON(w, http.StatusOK, map[string]any{"user_id": u.ID, "temporary_password": temporary, "must_change_password": true})
}

// authorizeAccount decides account administration on a whole person: every
// role they hold must be one the actor could grant.
func (s *Server) authorizeAccount(r *http.Request, action civicgrid.Action, u civicgrid.User) error {
	obj := u.Object()
	obj.Owner = 0 // one's own account is administered by someone else
	return civicgrid.Authorize(actorFrom(r), action, obj)
}

// handleUnlock: POST /api/v1/users/{id}/unlock ends a lockout.
func (s *Server) handleUnlock(w http.ResponseWriter, r *http.Request) {
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.authorizeAccount(r, civicgrid.ActionUnlockUser, u); err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventAccountUnlocked, AreaCode: firstArea(u)})
	if err := s.store.Unlock(r.Context(), u.ID, ev); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGrant: POST /api/v1/users/{id}/grants gives a user a role.
func (s *Server) handleGrant(w http.ResponseWriter, r *http.Request) {
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req grantRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	g := req.grant()
	g.UserID, g.GrantedBy = u.ID, actorFrom(r).UserID
	if err := s.checkGrant(r, g); err != nil {
		writeError(w, r, err)
		return
	}
	// The granter must cover the whole person, not only the new grant: else
	// a grant in one's own area would bring anyone into it (and so into
	// reach of reading and unmasking them).
	if err := s.authorizeGrant(r, civicgrid.ActionGrantRole, u.ID, g.AreaCode, append(slices.Clone(u.Grants), g)); err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted, AreaCode: g.AreaCode, Detail: describeGrantList([]civicgrid.RoleGrant{g})})
	g, err = s.store.AddGrant(r.Context(), g, ev)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

// handleRevokeGrant: DELETE /api/v1/users/{id}/grants/{grant}.
func (s *Server) handleRevokeGrant(w http.ResponseWriter, r *http.Request) {
	u, err := s.targetUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	gid, err := pathID(r, "grant")
	if err != nil {
		writeError(w, r, err)
		return
	}
	i := slices.IndexFunc(u.Grants, func(g civicgrid.RoleGrant) bool { return g.ID == gid })
	if i < 0 {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "user %d has no grant %d", u.ID, gid))
		return
	}
	g := u.Grants[i]
	if err := s.authorizeGrant(r, civicgrid.ActionRevokeRole, u.ID, g.AreaCode, u.Grants); err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleRevoked, AreaCode: g.AreaCode, Detail: describeGrantList([]civicgrid.RoleGrant{g})})
	if err := s.store.RevokeGrant(r.Context(), u.ID, gid, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.credentialsChanged()
	w.WriteHeader(http.StatusNoContent)
}
