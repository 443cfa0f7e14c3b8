package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Admin is the account administration of the JSON API, called in process on
// behalf of the page's request (server.LocalAPI has it). Every read and
// every change runs through the API route's own checks and
// civicgrid.Authorize, and is logged as the API logs it; the pages only
// show the outcome. Names and phones come back masked as the API masks
// them; secrets (temporary passwords, token secrets) come back once.
type Admin interface {
	ListUsers(r *http.Request, q url.Values) ([]civicgrid.User, error)
	User(r *http.Request, id int64) (civicgrid.User, error)
	CreateUser(r *http.Request, name, phone string, grants []civicgrid.RoleGrant) (civicgrid.User, string, error)
	ResetPassword(r *http.Request, id int64) (string, error)
	Unlock(r *http.Request, id int64) error
	Grant(r *http.Request, userID int64, g civicgrid.RoleGrant) (civicgrid.RoleGrant, error)
	Revoke(r *http.Request, userID, grantID int64) error
	Tokens(r *http.Request) ([]civicgrid.APIToken, error)
	CreateToken(r *http.Request, name string, g civicgrid.RoleGrant, ttlDays int) (civicgrid.APIToken, string, error)
	RevokeToken(r *http.Request, id int64) error
	SecurityEvents(r *http.Request, q url.Values) ([]civicgrid.SecurityEvent, error)
	BuildingRoles(r *http.Request) ([]civicgrid.BuildingRoleKind, error)
	AddBuildingRole(r *http.Request, k civicgrid.BuildingRoleKind) error
}

// registerAdmin adds the admin pages when the UI has the admin API.
func (ui *UI) registerAdmin(mux *http.ServeMux) {
	if ui.cfg.Admin == nil {
		return
	}
	mux.HandleFunc("GET /admin", ui.handleAdminHome)
	mux.HandleFunc("GET /admin/users", ui.handleAdminUsers)
	mux.HandleFunc("GET /admin/users/new", ui.handleAdminNewUser)
	mux.HandleFunc("POST /admin/users", ui.handleAdminCreateUser)
	mux.HandleFunc("GET /admin/users/{id}", ui.handleAdminUser)
	mux.HandleFunc("POST /admin/users/{id}/grants", ui.handleAdminGrant)
	mux.HandleFunc("POST /admin/users/{id}/grants/{grant}/revoke", ui.handleAdminRevoke)
	mux.HandleFunc("POST /admin/users/{id}/password-reset", ui.handleAdminResetPassword)
	mux.HandleFunc("POST /admin/users/{id}/unlock", ui.handleAdminUnlock)
	mux.HandleFunc("GET /admin/tokens", ui.handleAdminTokens)
	mux.HandleFunc("POST /admin/tokens", ui.handleAdminCreateToken)
	mux.HandleFunc("POST /admin/tokens/{id}/revoke", ui.handleAdminRevokeToken)
	mux.HandleFunc("GET /admin/audit", ui.handleAdminAudit)
	mux.HandleFunc("GET /admin/building-roles", ui.handleAdminBuildingRoles)
	mux.HandleFunc("POST /admin/building-roles", ui.handleAdminAddBuildingRole)
	mux.HandleFunc("GET /admin/areas", ui.handleAdminAreas)
	if ui.cfg.Webhooks != nil {
		mux.HandleFunc("GET /admin/webhooks", ui.handleAdminWebhooks)
		mux.HandleFunc("POST /admin/webhooks", ui.handleAdminCreateWebhook)
		mux.HandleFunc("GET /admin/webhooks/{id}", ui.handleAdminWebhook)
		mux.HandleFunc("POST /admin/webhooks/{id}/disable", ui.handleAdminDisableWebhook)
		mux.HandleFunc("POST /admin/webhooks/{id}/replay", ui.handleAdminReplayWebhook)
	}
	if ui.cfg.Calendar != nil {
		mux.HandleFunc("GET /admin/calendar", ui.handleAdminCalendar)
		mux.HandleFunc("POST /admin/calendar", ui.handleAdminAddCalendarDay)
		mux.HandleFunc("GET /admin/calendar/{date}/remove", ui.handleAdminConfirmRemoveCalendarDay)
		mux.HandleFunc("POST /admin/calendar/{date}/remove", ui.handleAdminRemoveCalendarDay)
	}
	if ui.cfg.Open311Keys != nil {
		mux.HandleFunc("GET /admin/open311-keys", ui.handleAdminOpen311Keys)
		mux.HandleFunc("POST /admin/open311-keys", ui.handleAdminCreateOpen311Key)
		mux.HandleFunc("POST /admin/open311-keys/{id}/revoke", ui.handleAdminRevokeOpen311Key)
	}
	if ui.cfg.Catalogue != nil {
		mux.HandleFunc("GET /admin/categories", ui.handleAdminCategories)
		mux.HandleFunc("GET /admin/categories/{code}", ui.handleAdminCategory)
		mux.HandleFunc("POST /admin/categories/{code}", ui.handleAdminSaveCategory)
	}
}

// adminView is what the admin templates show; View picks the page.
type adminView struct {
	View string // users, user, new_user, secret, tokens, audit, categories, category, webhooks, webhook, building_roles, areas, denied
	Tabs []navLink
	CSRF string
	// the user list
	Users   []userRow
	Filter  userFilter
	Roles   []option // roles to filter by, or to grant
	NextURL string
	// one user, and the forms that change accounts
	User          *userRow
	BuildingRoles []option
	Categories    []option // case categories, for a department handler
	Areas         []option // area codes in the actor's scope, offered as the form's list
	Form          adminForm
	FormError     string
	FormDetail    string
	// a secret shown once
	Secret     string
	SecretKind string // password, token
	SecretFor  string
	Back       string
	// tokens
	Tokens    []tokenRow
	OwnGrants []option
	// the security log
	Events   []auditRow
	Audit    auditFilter
	Kinds    []option
	CSVURL   string
	OlderURL string
	// the case categories
	CategoryRows []categoryRow
	Category     *civicgrid.Category
	// webhooks
	Hooks         []webhookRow
	Hook          *webhookRow
	Deliveries    []civicgrid.WebhookDelivery
	DeliveryState string
	DeliveryTabs  []navLink
	// building roles
	BuildingRoleKinds []civicgrid.BuildingRoleKind
	NewKind           civicgrid.BuildingRoleKind
	// the working calendar
	Calendar *calendarView
	// Open311 client keys
	Open311Keys []civicgrid.Open311Key
}

type userFilter struct{ Within, Role string }

// adminForm keeps what was typed into a form that failed.
type adminForm struct {
	Name, Phone, Role, Area, Detail, TokenName, TokenGrant, TTL string
}

type userRow struct {
	civicgrid.User
	KindLabel string
	Locked    bool
	Grants    []grantRow
}

type grantRow struct {
	civicgrid.RoleGrant
	RoleName, AreaName string
}

type tokenRow struct {
	civicgrid.APIToken
	RoleName, AreaName string
	Expired, Revoked   bool
}

type auditRow struct {
	civicgrid.SecurityEvent
	KindLabel, OutcomeLabel, AreaName string
}

type auditFilter struct{ Kind, Within, Since, Until string }

// adminPage starts an admin page for a logged-in actor.
func (ui *UI) adminPage(w http.ResponseWriter, r *http.Request, view, titleKey string) (*page, civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return nil, actor, false
	}
	p := ui.newPage(w, r)
	p.Title = p.catalogue[titleKey]
	p.Admin = &adminView{View: view, CSRF: actor.CSRFToken, Tabs: ui.adminTabs(r, p, actor)}
	q := r.URL.Query()
	if done := q.Get("done"); strings.HasPrefix(done, "admin.") {
		p.Flash = p.catalogue[done]
	}
	if code := q.Get("failed"); code != "" {
		p.FlashError, _ = ui.errorText(p, civicgrid.Errorf(code, ""))
		if d := q.Get("detail"); len(d) <= 300 {
			p.FlashDetail = d
		}
	}
	return p, actor, true
}

// adminTabs are the admin sections the actor may open, by the policy's
// scopes: the same that the routes behind them check.
func (ui *UI) adminTabs(r *http.Request, p *page, a civicgrid.Actor) []navLink {
	var tabs []navLink
	if len(a.Scopes(civicgrid.ActionListUsers)) > 0 {
		tabs = append(tabs, navLink{URL: "/admin/users", Label: p.catalogue["admin.tab_users"]})
	}
	if makesTokens(a) || len(a.Scopes(civicgrid.ActionListTokens)) > 0 {
		tabs = append(tabs, navLink{URL: "/admin/tokens", Label: p.catalogue["admin.tab_tokens"]})
	}
	if len(a.Scopes(civicgrid.ActionReadAudit)) > 0 {
		tabs = append(tabs, navLink{URL: "/admin/audit", Label: p.catalogue["admin.tab_audit"]})
	}
	if ui.cfg.Webhooks != nil && len(a.Scopes(civicgrid.ActionManageWebhooks)) > 0 {
		tabs = append(tabs, navLink{URL: "/admin/webhooks", Label: p.catalogue["admin.tab_webhooks"]})
	}
	if ui.cfg.Catalogue != nil && mayEditCategories(a) == nil {
		tabs = append(tabs, navLink{URL: "/admin/categories", Label: p.catalogue["admin.tab_categories"]})
	}
	if mayImportAreas(a) == nil {
		tabs = append(tabs, navLink{URL: "/admin/areas", Label: p.catalogue["admin.tab_areas"]})
	}
	if mayManageBuildingRoles(a) == nil {
		tabs = append(tabs, navLink{URL: "/admin/building-roles", Label: p.catalogue["admin.tab_building_roles"]})
	}
	if ui.cfg.Open311Keys != nil && mayManageOpen311Keys(a) == nil {
		tabs = append(tabs, navLink{URL: "/admin/open311-keys", Label: p.catalogue["admin.tab_open311"]})
	}
	if ui.cfg.Calendar != nil && mayManageCalendar(a) == nil {
		tabs = append(tabs, navLink{URL: "/admin/calendar", Label: p.catalogue["admin.tab_calendar"]})
	}
	for i := range tabs {
		tabs[i].Current = r.URL.Path == tabs[i].URL || strings.HasPrefix(r.URL.Path, tabs[i].URL+"/")
	}
	return tabs
}

// adminFailed shows a refused or failed read: a friendly page with the
// status the API gave (403 for a page the actor may not use).
func (ui *UI) adminFailed(w http.ResponseWriter, r *http.Request, p *page, err error) {
	code := civicgrid.ErrorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case civicgrid.EFORBIDDEN:
		status = http.StatusForbidden
	case civicgrid.ENOTFOUND:
		status = http.StatusNotFound
	case civicgrid.EINVALID:
		status = http.StatusBadRequest
	case civicgrid.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	default:
		slog.Error("admin page", "path", r.URL.Path, "err", err)
	}
	p.Admin.View = "denied"
	p.FlashError, p.FlashDetail = ui.errorText(p, err)
	if status == http.StatusForbidden {
		p.Title = p.catalogue["admin.denied_title"]
	}
	ui.render(w, status, "admin", p)
}

// errorText is a refusal in the page's language, with the API's own words
// (which name the field at fault) beneath.
func (ui *UI) errorText(p *page, err error) (string, string) {
	code := civicgrid.ErrorCode(err)
	key := "admin.failed_" + code
	if _, ok := p.catalogue[key]; !ok {
		key = "flash.failed_" + code
	}
	if _, ok := p.catalogue[key]; !ok {
		key = "flash.failed_other"
	}
	var ce *civicgrid.Error
	detail := ""
	if errors.As(err, &ce) && code != civicgrid.EINTERNAL {
		detail = ce.Message
	}
	return p.catalogue[key], detail
}

// handleAdminHome sends /admin to the first section the actor may open.
func (ui *UI) handleAdminHome(w http.ResponseWriter, r *http.Request) {
	p, _, ok := ui.adminPage(w, r, "denied", "admin.title")
	if !ok {
		return
	}
	if len(p.Admin.Tabs) == 0 {
		ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.EFORBIDDEN, "no administration in your roles"))
		return
	}
	http.Redirect(w, r, p.Admin.Tabs[0].URL, http.StatusSeeOther)
}

// userListLimit is the page size of the user list.
const userListLimit = 50

// handleAdminUsers lists the accounts in the actor's scope, masked, by area
// and role.
func (ui *UI) handleAdminUsers(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "users", "admin.users_title")
	if !ok {
		return
	}
	in := r.URL.Query()
	av := p.Admin
	av.Filter = userFilter{Within: normalizeCode(in.Get("within")), Role: in.Get("role")}
	q := url.Values{"limit": {strconv.Itoa(userListLimit)}}
	if av.Filter.Within != "" {
		q.Set("within", av.Filter.Within)
	}
	if av.Filter.Role != "" {
		q.Set("role", av.Filter.Role)
	}
	if after := in.Get("after"); after != "" {
		q.Set("after", after)
	}
	users, err := ui.cfg.Admin.ListUsers(r, q)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, u := range users {
		av.Users = append(av.Users, ui.userRow(p, u, names))
	}
	if len(users) == userListLimit {
		next := url.Values{"after": {strconv.FormatInt(users[len(users)-1].ID, 10)}}
		if av.Filter.Within != "" {
			next.Set("within", av.Filter.Within)
		}
		if av.Filter.Role != "" {
			next.Set("role", av.Filter.Role)
		}
		av.NextURL = "/admin/users?" + next.Encode()
	}
	av.Roles = roleOptions(p, civicgrid.Roles)
	av.Areas = ui.scopeAreas(r, actor.Scopes(civicgrid.ActionListUsers))
	ui.render(w, http.StatusOK, "admin", p)
}

// areaNames looks up area names, each once per page.
func (ui *UI) areaNames(r *http.Request) func(code string) string {
	return func(code string) string { return ui.keptAreaName(r.Context(), code) }
}

type nameEntry struct {
	at   time.Time
	name string
}

// keptAreaName is the name of the area code ("" when there is none), read
// at most once a pickerTTL: an area import shows in the names within it.
func (ui *UI) keptAreaName(ctx context.Context, code string) string {
	if e, ok := ui.areaNamesKept.Load(code); ok && time.Since(e.(nameEntry).at) < pickerTTL {
		return e.(nameEntry).name
	}
	a, err := ui.areas.AreaByCode(ctx, code)
	if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		// Not kept: a store that did not answer is asked again next time.
		return ""
	}
	ui.areaNamesKept.Store(code, nameEntry{at: time.Now(), name: a.Name})
	return a.Name
}

func (p *page) roleName(role string) string {
	info, ok := civicgrid.LookupRole(role)
	if !ok {
		return role
	}
	if p.Lang == "en" {
		return info.NameEN
	}
	return info.NameZH
}

func roleOptions(p *page, roles []civicgrid.RoleInfo) []option {
	out := make([]option, 0, len(roles))
	for _, info := range roles {
		out = append(out, option{info.Name, p.roleName(info.Name)})
	}
	return out
}

func (ui *UI) userRow(p *page, u civicgrid.User, areaName func(string) string) userRow {
	row := userRow{User: u, KindLabel: p.catalogue["admin.kind_"+u.Kind], Locked: u.LockedUntil.After(time.Now())}
	if row.KindLabel == "" {
		row.KindLabel = u.Kind
	}
	for _, g := range u.Grants {
		row.Grants = append(row.Grants, grantRow{RoleGrant: g, RoleName: p.roleName(g.Role), AreaName: areaName(g.AreaCode)})
	}
	return row
}

// maxScopeAreas bounds the list of area codes offered in a form.
const maxScopeAreas = 2000

// scopeAreas lists the areas under the actor's scope (city to grid), for
// the area field's suggestions: nobody has to know a 12-digit code.
func (ui *UI) scopeAreas(r *http.Request, scopes []string) []option {
	var out []option
	seen := map[string]bool{}
	for _, s := range scopes {
		for _, l := range civicgrid.Levels {
			if l == civicgrid.LevelBuilding {
				continue
			}
			as, err := ui.areas.CurrentAreas(r.Context(), civicgrid.AreaFilter{Level: l, Within: s, Limit: maxScopeAreas})
			if err != nil {
				slog.Error("admin area list", "err", err)
				return out
			}
			for _, a := range as {
				if !seen[a.Code] && civicgrid.InSubtree(s, a.Code) && len(out) < maxScopeAreas {
					seen[a.Code] = true
					out = append(out, option{a.Code, a.Name})
				}
			}
		}
	}
	return out
}

// grantable is what the actor may give, as the policy answers for a grant
// of each role at each of the actor's own areas: the roles, and the areas
// where any can be given. The forms offer only these; the API decides again
// on the area actually chosen.
func grantable(a civicgrid.Actor) (roles []civicgrid.RoleInfo, areas []string) {
	for _, info := range civicgrid.Roles {
		for _, own := range a.Grants {
			g := civicgrid.RoleGrant{Role: info.Name, AreaCode: own.AreaCode}
			if civicgrid.Authorize(a, civicgrid.ActionGrantRole, civicgrid.Object{Areas: []string{own.AreaCode}, Grants: []civicgrid.RoleGrant{g}}) == nil {
				if !slices.ContainsFunc(roles, func(r civicgrid.RoleInfo) bool { return r.Name == info.Name }) {
					roles = append(roles, info)
				}
				if !slices.Contains(areas, own.AreaCode) {
					areas = append(areas, own.AreaCode)
				}
			}
		}
	}
	return roles, areas
}

// administersAccounts reports whether the actor may give some role somewhere.
func administersAccounts(a civicgrid.Actor) bool {
	roles, _ := grantable(a)
	return len(roles) > 0
}

func (ui *UI) buildingRoleOptions(r *http.Request, p *page) []option {
	kinds, err := ui.cfg.Admin.BuildingRoles(r)
	if err != nil {
		slog.Error("building roles", "err", err)
		return nil
	}
	var out []option
	for _, k := range kinds {
		label := k.NameZH
		if p.Lang == "en" {
			label = k.NameEN
		}
		out = append(out, option{k.Key, label})
	}
	return out
}

// prepareUserForm fills the choices of the staff account and grant forms.
func (ui *UI) prepareUserForm(r *http.Request, p *page, a civicgrid.Actor) {
	roles, areas := grantable(a)
	p.Admin.Roles = roleOptions(p, roles)
	p.Admin.BuildingRoles = ui.buildingRoleOptions(r, p)
	p.Admin.Areas = ui.scopeAreas(r, areas)
	if ui.cfg.Cases != nil {
		if cats, err := ui.cfg.Cases.Categories(r.Context()); err == nil {
			for _, c := range cats {
				p.Admin.Categories = append(p.Admin.Categories, option{c.Code, p.catName(c)})
			}
		}
	}
}

// handleAdminNewUser shows the form for a staff account.
func (ui *UI) handleAdminNewUser(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "new_user", "admin.new_user_title")
	if !ok {
		return
	}
	if !administersAccounts(actor) {
		ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.EFORBIDDEN, "your roles give no other roles"))
		return
	}
	ui.prepareUserForm(r, p, actor)
	ui.render(w, http.StatusOK, "admin", p)
}

// formGrant reads the role fields of a form.
func formGrant(f url.Values) civicgrid.RoleGrant {
	g := civicgrid.RoleGrant{Role: f.Get("role"), AreaCode: normalizeCode(f.Get("area_code")), Detail: strings.TrimSpace(f.Get("detail"))}
	switch g.Role {
	case civicgrid.RoleBuilding:
		g.Detail = f.Get("building_role")
	case civicgrid.RoleDepartmentHandler:
		g.Categories = f["categories"]
	}
	return g
}

func parseAdminForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, false
	}
	return r.PostForm, true
}

// handleAdminCreateUser makes a staff account through the API and shows
// its temporary password once.
func (ui *UI) handleAdminCreateUser(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "new_user", "admin.new_user_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	g := formGrant(f)
	name, phone := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("phone"))
	u, temporary, err := ui.cfg.Admin.CreateUser(r, name, phone, []civicgrid.RoleGrant{g})
	if err != nil {
		p.Admin.Form = adminForm{Name: name, Phone: phone, Role: g.Role, Area: g.AreaCode, Detail: f.Get("detail")}
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.prepareUserForm(r, p, actor)
		ui.render(w, statusOf(err), "admin", p)
		return
	}
	ui.showSecret(w, p, "password", u.Name, temporary, "/admin/users/"+strconv.FormatInt(u.ID, 10))
}

// statusOf is the status of a form the API refused.
func statusOf(err error) int {
	switch civicgrid.ErrorCode(err) {
	case civicgrid.EFORBIDDEN:
		return http.StatusForbidden
	case civicgrid.ENOTFOUND:
		return http.StatusNotFound
	case civicgrid.ECONFLICT:
		return http.StatusConflict
	case civicgrid.EINVALID:
		return http.StatusBadRequest
	case civicgrid.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case civicgrid.ETHROTTLED:
		return http.StatusTooManyRequests
	case civicgrid.ENOSPACE:
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// showSecret shows a new password or token secret, once: the answer is not
// stored by the browser, and the page says it will not be shown again.
func (ui *UI) showSecret(w http.ResponseWriter, p *page, kind, forWhom, secret, back string) {
	p.Title = p.catalogue["admin.secret_title_"+kind]
	p.Admin.View, p.Admin.SecretKind, p.Admin.SecretFor, p.Admin.Secret, p.Admin.Back = "secret", kind, forWhom, secret, back
	p.NoStore = true
	ui.render(w, http.StatusOK, "admin", p)
}

func pathInt(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

// handleAdminUser shows one account with its roles and the forms that
// change it.
func (ui *UI) handleAdminUser(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "user", "admin.user_title")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	u, err := ui.cfg.Admin.User(r, id)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	row := ui.userRow(p, u, ui.areaNames(r))
	p.Admin.User = &row
	p.Title, _ = p.T("admin.user_title_named", "name", u.Name)
	ui.prepareUserForm(r, p, actor)
	ui.render(w, http.StatusOK, "admin", p)
}

// redirectOutcome sends a form's outcome back to path as a flash: the
// step done, or the refusal with the API's words.
func redirectOutcome(w http.ResponseWriter, r *http.Request, path, done string, err error) {
	q := url.Values{}
	if err != nil {
		code := civicgrid.ErrorCode(err)
		q.Set("failed", code)
		var ce *civicgrid.Error
		if errors.As(err, &ce) && code != civicgrid.EINTERNAL {
			q.Set("detail", ce.Message)
		} else {
			slog.Error("admin step", "path", r.URL.Path, "err", err)
		}
	} else {
		q.Set("done", done)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+q.Encode()+"#flash", http.StatusSeeOther)
}

func backToUser(w http.ResponseWriter, r *http.Request, id int64, done string, err error) {
	redirectOutcome(w, r, "/admin/users/"+strconv.FormatInt(id, 10), done, err)
}

// handleAdminGrant gives the user a role through the API.
func (ui *UI) handleAdminGrant(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	_, err := ui.cfg.Admin.Grant(r, id, formGrant(f))
	backToUser(w, r, id, "admin.granted", err)
}

// handleAdminRevoke takes a role away through the API.
func (ui *UI) handleAdminRevoke(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok1 := pathInt(r, "id")
	gid, ok2 := pathInt(r, "grant")
	if !ok1 || !ok2 {
		http.NotFound(w, r)
		return
	}
	backToUser(w, r, id, "admin.revoked", ui.cfg.Admin.Revoke(r, id, gid))
}

// handleAdminUnlock ends a lockout through the API.
func (ui *UI) handleAdminUnlock(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	backToUser(w, r, id, "admin.unlocked", ui.cfg.Admin.Unlock(r, id))
}

// handleAdminResetPassword gives the user a temporary password through the
// API and shows it once.
func (ui *UI) handleAdminResetPassword(w http.ResponseWriter, r *http.Request) {
	p, _, ok := ui.adminPage(w, r, "secret", "admin.secret_title_password")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	temporary, err := ui.cfg.Admin.ResetPassword(r, id)
	if err != nil {
		backToUser(w, r, id, "", err)
		return
	}
	name := ""
	if u, err := ui.cfg.Admin.User(r, id); err == nil {
		name = u.Name
	}
	ui.showSecret(w, p, "password", name, temporary, "/admin/users/"+strconv.FormatInt(id, 10))
}

// handleAdminTokens lists the actor's API tokens (and, for admins, those of
// their area) with the form for a new one.
func (ui *UI) handleAdminTokens(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "tokens", "admin.tokens_title")
	if !ok {
		return
	}
	ui.tokensPage(w, r, p, actor, http.StatusOK)
}

func (ui *UI) tokensPage(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor, status int) {
	toks, err := ui.cfg.Admin.Tokens(r)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	now := time.Now()
	for _, t := range toks {
		p.Admin.Tokens = append(p.Admin.Tokens, tokenRow{APIToken: t, RoleName: p.roleName(t.Role), AreaName: names(t.AreaCode),
			Revoked: !t.RevokedAt.IsZero(), Expired: !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(now)})
	}
	for i, g := range actor.Grants {
		label := p.roleName(g.Role) + " · " + names(g.AreaCode)
		if g.Detail != "" {
			label += " (" + g.Detail + ")"
		}
		p.Admin.OwnGrants = append(p.Admin.OwnGrants, option{strconv.Itoa(i), label})
	}
	if p.Admin.Form.TTL == "" {
		p.Admin.Form.TTL = "90"
	}
	ui.render(w, status, "admin", p)
}

// handleAdminCreateToken cuts a token from one of the actor's own grants
// through the API and shows its secret once.
func (ui *UI) handleAdminCreateToken(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "tokens", "admin.tokens_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(f.Get("name"))
	var g civicgrid.RoleGrant
	if i, err := strconv.Atoi(f.Get("grant")); err == nil && i >= 0 && i < len(actor.Grants) {
		g = actor.Grants[i]
		g = civicgrid.RoleGrant{Role: g.Role, AreaCode: g.AreaCode, Detail: g.Detail, Categories: g.Categories}
	}
	ttl, _ := strconv.Atoi(strings.TrimSpace(f.Get("ttl_days")))
	if ttl == 0 {
		ttl = -1 // an empty or unreadable lifetime is refused, not defaulted
	}
	t, secret, err := ui.cfg.Admin.CreateToken(r, name, g, ttl)
	if err != nil {
		p.Admin.Form = adminForm{TokenName: name, TokenGrant: f.Get("grant"), TTL: f.Get("ttl_days")}
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.tokensPage(w, r, p, actor, statusOf(err))
		return
	}
	ui.showSecret(w, p, "token", t.Name, secret, "/admin/tokens")
}

// handleAdminRevokeToken revokes a token through the API.
func (ui *UI) handleAdminRevokeToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	redirectOutcome(w, r, "/admin/tokens", "admin.token_revoked", ui.cfg.Admin.RevokeToken(r, id))
}

// auditKinds are the security log's event kinds, for the filter.
var auditKinds = []string{civicgrid.EventLoginOK, civicgrid.EventLoginFailed, civicgrid.EventLoginLocked, civicgrid.EventLoginThrottled,
	civicgrid.EventLogout, civicgrid.EventSignup, civicgrid.EventUserCreated, civicgrid.EventPasswordChanged, civicgrid.EventPasswordReset,
	civicgrid.EventAccountUnlocked, civicgrid.EventRoleGranted, civicgrid.EventRoleRevoked, civicgrid.EventRoleDenied,
	civicgrid.EventTokenCreated, civicgrid.EventTokenRevoked, civicgrid.EventUnmask, civicgrid.EventCSRFRejected,
	civicgrid.EventOIDCLogin, civicgrid.EventAccessDenied, "audit.exported", "building_role.added", "webhook.created", "webhook.disabled",
	"calendar.day_added", "calendar.day_removed", civicgrid.EventOpen311KeyCreated, civicgrid.EventOpen311KeyRevoked,
	civicgrid.EventRollFrozen}

// auditPageSize is the number of events a page of the log shows.
const auditPageSize = 100

// handleAdminAudit shows the security log to auditors, newest first, with
// filters and a link to the same selection as CSV.
func (ui *UI) handleAdminAudit(w http.ResponseWriter, r *http.Request) {
	p, _, ok := ui.adminPage(w, r, "audit", "admin.audit_title")
	if !ok {
		return
	}
	in := r.URL.Query()
	av := p.Admin
	av.Audit = auditFilter{Kind: in.Get("kind"), Within: normalizeCode(in.Get("within")), Since: in.Get("since"), Until: in.Get("until")}
	q := url.Values{}
	if av.Audit.Kind != "" {
		q.Set("kind", av.Audit.Kind)
	}
	if av.Audit.Within != "" {
		q.Set("within", av.Audit.Within)
	}
	// Days are Beijing days: since from its start, until to its end.
	for _, d := range []struct {
		name, value string
		add         time.Duration
	}{{"since", av.Audit.Since, 0}, {"until", av.Audit.Until, 24*time.Hour - time.Second}} {
		if d.value == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", d.value, civicgrid.Beijing)
		if err != nil {
			ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.EINVALID, "%s: want a date such as 2026-11-01", d.name))
			return
		}
		q.Set(d.name, day.Add(d.add).Format(time.RFC3339))
	}
	csv := "/api/v1/audit/security.csv"
	if len(q) > 0 {
		csv += "?" + q.Encode()
	}
	av.CSVURL = csv
	if before := in.Get("before"); before != "" {
		q.Set("before", before)
	}
	q.Set("limit", strconv.Itoa(auditPageSize))
	evs, err := ui.cfg.Admin.SecurityEvents(r, q)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, ev := range evs {
		row := auditRow{SecurityEvent: ev, KindLabel: p.catalogue["audit.kind."+ev.Kind]}
		if row.KindLabel == "" {
			row.KindLabel = ev.Kind
		}
		if row.OutcomeLabel = p.catalogue["admin.outcome_"+ev.Outcome]; row.OutcomeLabel == "" {
			row.OutcomeLabel = ev.Outcome
		}
		if ev.AreaCode != "" {
			row.AreaName = names(ev.AreaCode)
		}
		av.Events = append(av.Events, row)
	}
	if len(evs) == auditPageSize {
		older := url.Values{}
		for _, k := range []string{"kind", "within", "since", "until"} {
			if v := in.Get(k); v != "" {
				older.Set(k, v)
			}
		}
		older.Set("before", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		av.OlderURL = "/admin/audit?" + older.Encode()
	}
	for _, k := range auditKinds {
		label := p.catalogue["audit.kind."+k]
		if label == "" {
			label = k
		}
		av.Kinds = append(av.Kinds, option{k, label})
	}
	slices.SortStableFunc(av.Kinds, func(a, b option) int { return strings.Compare(a.Value, b.Value) })
	ui.render(w, http.StatusOK, "admin", p)
}

// Catalogue edits the case categories; casework.Service has it, and asks
// civicgrid.Authorize and checks the category itself.
type Catalogue interface {
	Categories(ctx context.Context) ([]civicgrid.Category, error)
	PutCategory(ctx context.Context, actor civicgrid.Actor, c civicgrid.Category) error
}

// makesTokens reports whether the policy lets the actor make API tokens
// for integrations from their own roles.
func makesTokens(a civicgrid.Actor) bool {
	return civicgrid.Authorize(a, civicgrid.ActionCreateToken, civicgrid.Object{Owner: a.UserID}) == nil
}

// offersAdmin decides the menu's Admin entry: for those who administer
// accounts or the city's settings, or make API tokens for their
// integrations (street dispatchers, department handlers). Auditors have
// their own entry, the audit log, whose page shows their other tabs.
func offersAdmin(a civicgrid.Actor) bool {
	if len(a.Scopes(civicgrid.ActionReadAudit)) > 0 {
		return false
	}
	return administersAccounts(a) || makesTokens(a)
}

// mayEditCategories is the policy's answer for the categories tab and page.
func mayEditCategories(a civicgrid.Actor) error {
	return civicgrid.Authorize(a, civicgrid.ActionManageCategories, civicgrid.Object{})
}

type categoryRow struct {
	civicgrid.Category
	Name, Respond, Resolve string
}

// categoriesPage starts a category page for an actor the policy lets edit
// categories, with the catalogue.
func (ui *UI) categoriesPage(w http.ResponseWriter, r *http.Request, view, titleKey string) (*page, []civicgrid.Category, bool) {
	p, actor, ok := ui.adminPage(w, r, view, titleKey)
	if !ok {
		return nil, nil, false
	}
	err := mayEditCategories(actor)
	var cats []civicgrid.Category
	if err == nil {
		cats, err = ui.cfg.Catalogue.Categories(r.Context())
	}
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return nil, nil, false
	}
	return p, cats, true
}

// handleAdminCategories lists the categories with their deadlines and
// default handlers.
func (ui *UI) handleAdminCategories(w http.ResponseWriter, r *http.Request) {
	p, cats, ok := ui.categoriesPage(w, r, "categories", "admin.categories_title")
	if !ok {
		return
	}
	for _, c := range cats {
		p.Admin.CategoryRows = append(p.Admin.CategoryRows, categoryRow{Category: c, Name: p.catName(c), Respond: p.humanLimit(c.RespondWithin), Resolve: p.humanLimit(c.ResolveWithin)})
	}
	ui.render(w, http.StatusOK, "admin", p)
}

// handleAdminCategory shows the edit form of one category.
func (ui *UI) handleAdminCategory(w http.ResponseWriter, r *http.Request) {
	p, cats, ok := ui.categoriesPage(w, r, "category", "admin.category_title")
	if !ok {
		return
	}
	i := slices.IndexFunc(cats, func(c civicgrid.Category) bool { return c.Code == r.PathValue("code") })
	if i < 0 {
		ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no category %q", r.PathValue("code")))
		return
	}
	p.Admin.Category = &cats[i]
	p.Title, _ = p.T("admin.category_title_named", "name", p.catName(cats[i]))
	ui.render(w, http.StatusOK, "admin", p)
}

// handleAdminSaveCategory saves a category through the case service.
func (ui *UI) handleAdminSaveCategory(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "category", "admin.category_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	c := civicgrid.Category{Code: r.PathValue("code"), NameZH: strings.TrimSpace(f.Get("name_zh")), NameEN: strings.TrimSpace(f.Get("name_en")),
		Group: strings.TrimSpace(f.Get("group")), Icon: strings.TrimSpace(f.Get("icon")), Keyword: strings.TrimSpace(f.Get("keywords")),
		RespondWithin: strings.TrimSpace(f.Get("respond_within")), ResolveWithin: strings.TrimSpace(f.Get("resolve_within")),
		DefaultDept: strings.TrimSpace(f.Get("default_dept")), Active: f.Get("active") == "1"}
	var err error
	if c.DuplicateRadiusM, err = strconv.ParseFloat(strings.TrimSpace(f.Get("duplicate_radius_m")), 64); err != nil {
		err = civicgrid.Errorf(civicgrid.EINVALID, "duplicate_radius_m: give a number of metres")
	} else if c.DuplicateHours, err = strconv.Atoi(strings.TrimSpace(f.Get("duplicate_hours"))); err != nil {
		err = civicgrid.Errorf(civicgrid.EINVALID, "duplicate_hours: give a whole number of hours")
	} else {
		err = ui.cfg.Catalogue.PutCategory(r.Context(), actor, c)
	}
	if err != nil {
		p.Admin.Category = &c
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.render(w, statusOf(err), "admin", p)
		return
	}
	redirectOutcome(w, r, "/admin/categories", "admin.category_saved", nil)
}

// Webhooks manages outbound webhooks through the API (server.LocalAPI has
// it): the routes check the area scope and log the changes.
type Webhooks interface {
	Webhooks(r *http.Request) ([]civicgrid.Webhook, error)
	CreateWebhook(r *http.Request, h civicgrid.Webhook) (civicgrid.Webhook, string, error)
	DisableWebhook(r *http.Request, id int64) error
	WebhookDeliveries(r *http.Request, id int64, state string) ([]civicgrid.WebhookDelivery, error)
	ReplayWebhook(r *http.Request, id, deliveryID int64) (int, error)
}

type webhookRow struct {
	civicgrid.Webhook
	AreaName string
}

// handleAdminWebhooks lists the webhooks of the actor's area with the form
// for a new one.
func (ui *UI) handleAdminWebhooks(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "webhooks", "admin.webhooks_title")
	if !ok {
		return
	}
	ui.webhooksPage(w, r, p, actor, http.StatusOK)
}

func (ui *UI) webhooksPage(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor, status int) {
	hooks, err := ui.cfg.Webhooks.Webhooks(r)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, h := range hooks {
		p.Admin.Hooks = append(p.Admin.Hooks, webhookRow{Webhook: h, AreaName: names(h.Within)})
	}
	p.Admin.Areas = ui.scopeAreas(r, actor.Scopes(civicgrid.ActionManageWebhooks))
	ui.render(w, status, "admin", p)
}

// handleAdminCreateWebhook subscribes an integration through the API and
// shows its signing secret once.
func (ui *UI) handleAdminCreateWebhook(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "webhooks", "admin.webhooks_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	in := civicgrid.Webhook{Name: strings.TrimSpace(f.Get("name")), URL: strings.TrimSpace(f.Get("url")), Within: normalizeCode(f.Get("within"))}
	h, secret, err := ui.cfg.Webhooks.CreateWebhook(r, in)
	if err != nil {
		p.Admin.Form = adminForm{Name: in.Name, Detail: in.URL, Area: in.Within}
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.webhooksPage(w, r, p, actor, statusOf(err))
		return
	}
	ui.showSecret(w, p, "webhook", h.Name, secret, "/admin/webhooks/"+strconv.FormatInt(h.ID, 10))
}

// handleAdminDisableWebhook stops a webhook through the API.
func (ui *UI) handleAdminDisableWebhook(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	redirectOutcome(w, r, "/admin/webhooks", "admin.webhook_disabled", ui.cfg.Webhooks.DisableWebhook(r, id))
}

// deliveryStates are the states the deliveries page filters by.
var deliveryStates = []civicgrid.DeliveryState{civicgrid.DeliveryDead, civicgrid.DeliveryPending, civicgrid.DeliveryDelivered}

// handleAdminWebhook shows a webhook's deliveries, dead ones first by
// default, with replay.
func (ui *UI) handleAdminWebhook(w http.ResponseWriter, r *http.Request) {
	p, _, ok := ui.adminPage(w, r, "webhook", "admin.webhook_title")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	hooks, err := ui.cfg.Webhooks.Webhooks(r)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	i := slices.IndexFunc(hooks, func(h civicgrid.Webhook) bool { return h.ID == id })
	if i < 0 {
		ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no webhook %d in your scope", id))
		return
	}
	state := r.URL.Query().Get("state")
	if !slices.Contains(deliveryStates, civicgrid.DeliveryState(state)) {
		state = string(civicgrid.DeliveryDead)
	}
	ds, err := ui.cfg.Webhooks.WebhookDeliveries(r, id, state)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	p.Admin.Hook = &webhookRow{Webhook: hooks[i], AreaName: ui.areaNames(r)(hooks[i].Within)}
	p.Admin.Deliveries, p.Admin.DeliveryState = ds, state
	for _, s := range deliveryStates {
		p.Admin.DeliveryTabs = append(p.Admin.DeliveryTabs, navLink{URL: "/admin/webhooks/" + strconv.FormatInt(id, 10) + "?state=" + string(s),
			Label: p.catalogue["admin.delivery_"+string(s)], Current: string(s) == state})
	}
	p.Title, _ = p.T("admin.webhook_title_named", "name", hooks[i].Name)
	ui.render(w, http.StatusOK, "admin", p)
}

// handleAdminReplayWebhook requeues one dead delivery, or all of a hook's,
// through the API.
func (ui *UI) handleAdminReplayWebhook(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	delivery, _ := strconv.ParseInt(f.Get("delivery"), 10, 64)
	_, err := ui.cfg.Webhooks.ReplayWebhook(r, id, delivery)
	redirectOutcome(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10), "admin.webhook_replayed", err)
}

// mayManageBuildingRoles is the policy's answer for the building roles tab
// and page (the route asks the same).
func mayManageBuildingRoles(a civicgrid.Actor) error {
	return civicgrid.Authorize(a, civicgrid.ActionManageBuildingRoles, civicgrid.Object{})
}

// handleAdminBuildingRoles lists the building roles (两长四员) with the
// form for a local one.
func (ui *UI) handleAdminBuildingRoles(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "building_roles", "admin.building_roles_title")
	if !ok {
		return
	}
	ui.buildingRolesPage(w, r, p, actor, http.StatusOK)
}

func (ui *UI) buildingRolesPage(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor, status int) {
	if err := mayManageBuildingRoles(actor); err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	kinds, err := ui.cfg.Admin.BuildingRoles(r)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	p.Admin.BuildingRoleKinds = kinds
	ui.render(w, status, "admin", p)
}

// handleAdminAddBuildingRole adds a building role through the API.
func (ui *UI) handleAdminAddBuildingRole(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "building_roles", "admin.building_roles_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	k := civicgrid.BuildingRoleKind{Key: strings.TrimSpace(f.Get("key")), NameZH: strings.TrimSpace(f.Get("name_zh")), NameEN: strings.TrimSpace(f.Get("name_en"))}
	if err := ui.cfg.Admin.AddBuildingRole(r, k); err != nil {
		p.Admin.NewKind = k
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.buildingRolesPage(w, r, p, actor, statusOf(err))
		return
	}
	redirectOutcome(w, r, "/admin/building-roles", "admin.building_role_added", nil)
}
