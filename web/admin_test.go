package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// fakeAdmin records what the pages ask of the admin API and answers with
// canned data, or with readErr (reads) or err (changes) when set. (The real
// API, with its scope rules, is exercised through these pages in
// server/local_test.go.)
type fakeAdmin struct {
	readErr error
	err     error
	calls   []string
	query   url.Values
	grant   civicgrid.RoleGrant
	name    string
	phone   string
	ttl     int
	users   []civicgrid.User
}

func (f *fakeAdmin) record(call string) error { f.calls = append(f.calls, call); return f.err }

func (f *fakeAdmin) read(call string) error { f.calls = append(f.calls, call); return f.readErr }

func (f *fakeAdmin) ListUsers(r *http.Request, q url.Values) ([]civicgrid.User, error) {
	f.query = q
	return f.users, f.read("ListUsers")
}
func (f *fakeAdmin) User(r *http.Request, id int64) (civicgrid.User, error) {
	u := civicgrid.User{ID: id, Name: "王**", Phone: "138****1677", Kind: civicgrid.KindStaff,
		Grants: []civicgrid.RoleGrant{{ID: 31, UserID: id, Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}}}
	return u, f.read("User")
}
func (f *fakeAdmin) CreateUser(r *http.Request, name, phone string, grants []civicgrid.RoleGrant) (civicgrid.User, string, error) {
	f.name, f.phone, f.grant = name, phone, grants[0]
	return civicgrid.User{ID: 77, Name: "测**"}, "Tmp-Secret-123", f.record("CreateUser")
}
func (f *fakeAdmin) ResetPassword(r *http.Request, id int64) (string, error) {
	return "Reset-Secret-9", f.record("ResetPassword")
}
func (f *fakeAdmin) Unlock(r *http.Request, id int64) error { return f.record("Unlock") }
func (f *fakeAdmin) Grant(r *http.Request, userID int64, g civicgrid.RoleGrant) (civicgrid.RoleGrant, error) {
	f.grant = g
	return g, f.record("Grant")
}
func (f *fakeAdmin) Revoke(r *http.Request, userID, grantID int64) error {
	return f.record("Revoke " + url.Values{"user": {itoa(userID)}, "grant": {itoa(grantID)}}.Encode())
}
func (f *fakeAdmin) Tokens(r *http.Request) ([]civicgrid.APIToken, error) {
	return []civicgrid.APIToken{{ID: 5, Name: "热线系统", Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102",
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(24 * time.Hour)}}, f.read("Tokens")
}
func (f *fakeAdmin) CreateToken(r *http.Request, name string, g civicgrid.RoleGrant, ttlDays int) (civicgrid.APIToken, string, error) {
	f.name, f.grant, f.ttl = name, g, ttlDays
	return civicgrid.APIToken{ID: 6, Name: name}, "cgt_secret_once", f.record("CreateToken")
}
func (f *fakeAdmin) RevokeToken(r *http.Request, id int64) error {
	return f.record("RevokeToken " + itoa(id))
}
func (f *fakeAdmin) SecurityEvents(r *http.Request, q url.Values) ([]civicgrid.SecurityEvent, error) {
	f.query = q
	return []civicgrid.SecurityEvent{{ID: 9, At: time.Now(), Kind: civicgrid.EventRoleGranted, Outcome: civicgrid.OutcomeOK,
		Actor: "区**", AreaCode: "420102", IP: "127.0.0.1", Detail: "grid_worker@420102001001001"}}, f.read("SecurityEvents")
}
func (f *fakeAdmin) AddBuildingRole(r *http.Request, k civicgrid.BuildingRoleKind) error {
	f.name = k.Key + "|" + k.NameZH + "|" + k.NameEN
	return f.record("AddBuildingRole")
}
func (f *fakeAdmin) BuildingRoles(r *http.Request) ([]civicgrid.BuildingRoleKind, error) {
	return []civicgrid.BuildingRoleKind{{Key: "building_head", NameZH: "楼栋长", NameEN: "Building head"}}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var (
	districtAdmin = civicgrid.Actor{UserID: 10, Name: "区管理员", Via: "session", CSRFToken: "tok-admin",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102"}}}
	cityAdmin = civicgrid.Actor{UserID: 11, Name: "市管理员", Via: "session", CSRFToken: "tok-city",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleCityAdmin, AreaCode: "420100"}}}
	auditor = civicgrid.Actor{UserID: 12, Name: "审计员", Via: "session", CSRFToken: "tok-audit",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleAuditor, AreaCode: "420100"}}}
	gridWorker = civicgrid.Actor{UserID: 4, Name: "网格员", Via: "session", CSRFToken: "tok-grid",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}}}
)

func newAdminUI(t *testing.T, admin *fakeAdmin) http.Handler {
	t.Helper()
	ui, err := New(Config{Cases: catalogueCases{}, Admin: admin}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	return httptestMux(ui)
}

// as sends a request as actor; a form body is posted as a form.
func as(h http.Handler, actor civicgrid.Actor, method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), actor))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The user list passes its filters to the API, shows the masked names it
// answered and offers the areas of the admin's scope by name.
func TestAdminUserList(t *testing.T) {
	admin := &fakeAdmin{users: []civicgrid.User{{ID: 3, Name: "王**", Phone: "139****6846",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}}}}}
	h := newAdminUI(t, admin)
	for lang, want := range map[string]string{"zh-CN": "网格员", "en": "Grid worker"} {
		rec := as(h, districtAdmin, "GET", "/admin/users?lang="+lang+"&within=420102-001&role=grid_worker", nil)
		b := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", lang, rec.Code, b)
		}
		if q := admin.query; q.Get("within") != "420102001" || q.Get("role") != "grid_worker" || q.Get("limit") != "50" {
			t.Errorf("query to the API: %v", q)
		}
		for _, s := range []string{`href="/admin/users/3"`, "王**", "139****6846", want, "三阳第一网格", `<option value="420102001001">三阳社区</option>`, `href="/admin/users/new"`} {
			if !strings.Contains(b, s) {
				t.Errorf("%s: page lacks %s", lang, s)
			}
		}
		if strings.Contains(b, `<option value="420103">`) {
			t.Errorf("%s: another district offered to a district admin", lang)
		}
	}
}

// A page the API refuses answers 403 with a friendly page, not the API's
// JSON or a blank.
func TestAdminRefusedPage(t *testing.T) {
	admin := &fakeAdmin{readErr: civicgrid.Errorf(civicgrid.EFORBIDDEN, "users.list: not in your area")}
	h := newAdminUI(t, admin)
	rec := as(h, gridWorker, "GET", "/admin/users", nil)
	b := rec.Body.String()
	if rec.Code != http.StatusForbidden || !strings.Contains(b, "您无权使用此页面") || !strings.Contains(b, "users.list: not in your area") || !strings.Contains(b, `href="/"`) {
		t.Fatalf("%d:\n%s", rec.Code, b)
	}
	// The new-account form is not offered to someone who may give no role.
	if rec := as(h, gridWorker, "GET", "/admin/users/new", nil); rec.Code != http.StatusForbidden {
		t.Errorf("new account form for a grid worker: %d", rec.Code)
	}
	// Anonymous visitors are sent to log in.
	req := httptest.NewRequest("GET", "/admin/users", nil)
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusSeeOther || !strings.HasPrefix(rr.Header().Get("Location"), "/login?next=") {
		t.Errorf("anonymous: %d %s", rr.Code, rr.Header().Get("Location"))
	}
}

// The account form posts name, phone and one grant to the API and shows the
// temporary password once, on a page no cache keeps. The roles offered are
// those the policy lets this admin give.
func TestAdminCreateUser(t *testing.T) {
	admin := &fakeAdmin{}
	h := newAdminUI(t, admin)
	form := as(h, districtAdmin, "GET", "/admin/users/new", nil).Body.String()
	for _, s := range []string{`name="csrf_token" value="tok-admin"`, `value="grid_worker"`, `value="community_secretary"`, `<option value="building_head">楼栋长</option>`, `<label for="n-name">`, `<label for="n-area">`} {
		if !strings.Contains(form, s) {
			t.Errorf("form lacks %s", s)
		}
	}
	for _, s := range []string{`value="district_admin"`, `value="city_admin"`} {
		if strings.Contains(form, s) {
			t.Errorf("form offers %s to a district admin", s)
		}
	}
	rec := as(h, districtAdmin, "POST", "/admin/users", url.Values{"csrf_token": {"tok-admin"}, "name": {" 测试员 "}, "phone": {"13812345678"},
		"role": {"building_role"}, "area_code": {"4201-0200 1001001"}, "building_role": {"building_head"}, "detail": {"ignored"}})
	b := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(b, `value="Tmp-Secret-123"`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %q:\n%s", rec.Code, rec.Header().Get("Cache-Control"), b)
	}
	g := admin.grant
	if admin.name != "测试员" || admin.phone != "13812345678" || g.Role != civicgrid.RoleBuilding || g.AreaCode != "420102001001001" || g.Detail != "building_head" {
		t.Errorf("sent %q %q %+v", admin.name, admin.phone, g)
	}
	if !strings.Contains(b, `href="/admin/users/77"`) {
		t.Errorf("no way on to the new account")
	}
	// A refusal keeps what was typed and says why, in the page's language
	// with the API's words beneath.
	admin.err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "roles.grant: role district_admin cannot administer community_staff@420103001001")
	rec = as(h, districtAdmin, "POST", "/admin/users?lang=en", url.Values{"name": {"测试员"}, "phone": {"13812345678"},
		"role": {"community_staff"}, "area_code": {"420103001001"}})
	b = rec.Body.String()
	if rec.Code != http.StatusForbidden || !strings.Contains(b, "Your role does not allow this here") || !strings.Contains(b, "cannot administer community_staff@420103001001") ||
		!strings.Contains(b, `value="420103001001"`) || !strings.Contains(b, `value="测试员"`) || strings.Contains(b, "Tmp-Secret-123") {
		t.Errorf("refusal: %d\n%s", rec.Code, b)
	}
}

// The user page lists the grants with a revoke form each, and the grant,
// reset and revoke forms post to the API with the right fields.
func TestAdminUserPageForms(t *testing.T) {
	admin := &fakeAdmin{}
	h := newAdminUI(t, admin)
	rec := as(h, districtAdmin, "GET", "/admin/users/42", nil)
	b := rec.Body.String()
	for _, s := range []string{`action="/admin/users/42/grants/31/revoke"`, `action="/admin/users/42/grants"`, `action="/admin/users/42/password-reset"`, "王**", "138****1677", "三阳第一网格"} {
		if !strings.Contains(b, s) {
			t.Errorf("user page lacks %s", s)
		}
	}
	if strings.Contains(b, "/unlock") {
		t.Errorf("unlock offered for an account that is not locked")
	}
	rec = as(h, districtAdmin, "POST", "/admin/users/42/grants", url.Values{"role": {"department_handler"}, "area_code": {"420102"}, "categories": {"C0005", "01001"}})
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/admin/users/42?done=admin.granted#flash" {
		t.Errorf("grant: %d %s", rec.Code, loc)
	}
	if g := admin.grant; g.Role != civicgrid.RoleDepartmentHandler || g.AreaCode != "420102" || strings.Join(g.Categories, ",") != "C0005,01001" {
		t.Errorf("grant sent %+v", g)
	}
	as(h, districtAdmin, "POST", "/admin/users/42/grants/31/revoke", url.Values{})
	if last := admin.calls[len(admin.calls)-1]; last != "Revoke grant=31&user=42" {
		t.Errorf("revoke called %s", last)
	}
	rec = as(h, districtAdmin, "POST", "/admin/users/42/password-reset", url.Values{})
	if !strings.Contains(rec.Body.String(), `value="Reset-Secret-9"`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("reset: %d", rec.Code)
	}
	// A refused step comes back to the page with the reason shown.
	admin.err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "roles.revoke: not yours")
	rec = as(h, districtAdmin, "POST", "/admin/users/42/grants/31/revoke", url.Values{})
	loc := rec.Header().Get("Location")
	admin.err = nil
	b = as(h, districtAdmin, "GET", loc[:strings.Index(loc, "#")], nil).Body.String()
	if !strings.Contains(b, "您的角色在此处无权进行该操作") || !strings.Contains(b, "roles.revoke: not yours") || !strings.Contains(b, `data-testid="flash-error"`) {
		t.Errorf("refusal not shown after %s", loc)
	}
}

// Tokens: the form offers the actor's own grants, posts the chosen one and
// shows the secret once; revoke posts the token's id.
func TestAdminTokens(t *testing.T) {
	admin := &fakeAdmin{}
	h := newAdminUI(t, admin)
	b := as(h, districtAdmin, "GET", "/admin/tokens?lang=en", nil).Body.String()
	for _, s := range []string{"热线系统", `action="/admin/tokens/5/revoke"`, `<option value="0">District admin · 江岸区</option>`, `name="ttl_days"`} {
		if !strings.Contains(b, s) {
			t.Errorf("tokens page lacks %s", s)
		}
	}
	rec := as(h, districtAdmin, "POST", "/admin/tokens", url.Values{"name": {"热线"}, "grant": {"0"}, "ttl_days": {"30"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `value="cgt_secret_once"`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d", rec.Code)
	}
	if admin.name != "热线" || admin.ttl != 30 || admin.grant.Role != civicgrid.RoleDistrictAdmin || admin.grant.AreaCode != "420102" {
		t.Errorf("sent %q %d %+v", admin.name, admin.ttl, admin.grant)
	}
	// A grant the actor does not hold cannot be named: nothing is sent
	// but an empty grant, which the API refuses.
	as(h, districtAdmin, "POST", "/admin/tokens", url.Values{"name": {"x"}, "grant": {"7"}, "ttl_days": {""}})
	if admin.grant.Role != "" || admin.ttl != -1 {
		t.Errorf("out-of-range grant sent %+v ttl %d", admin.grant, admin.ttl)
	}
	rec = as(h, districtAdmin, "POST", "/admin/tokens/5/revoke", url.Values{})
	if admin.calls[len(admin.calls)-1] != "RevokeToken 5" || rec.Header().Get("Location") != "/admin/tokens?done=admin.token_revoked#flash" {
		t.Errorf("revoke: %v %s", admin.calls, rec.Header().Get("Location"))
	}
	admin.err = civicgrid.Errorf(civicgrid.EINVALID, "ttl_days must be 1 to 365")
	rec = as(h, districtAdmin, "POST", "/admin/tokens", url.Values{"name": {"热线"}, "grant": {"0"}, "ttl_days": {"900"}})
	if b := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(b, "ttl_days must be 1 to 365") || !strings.Contains(b, `value="900"`) {
		t.Errorf("refused token: %d\n%s", rec.Code, b)
	}
}

// The audit page turns Beijing dates into the API's times, keeps the
// filter in the CSV link and names the event kinds.
func TestAdminAudit(t *testing.T) {
	admin := &fakeAdmin{}
	h := newAdminUI(t, admin)
	rec := as(h, auditor, "GET", "/admin/audit?kind=role.granted&within=420102&since=2026-11-01&until=2026-11-30", nil)
	b := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, b)
	}
	q := admin.query
	if q.Get("kind") != "role.granted" || q.Get("within") != "420102" || q.Get("since") != "2026-11-01T00:00:00+08:00" || q.Get("until") != "2026-11-30T23:59:59+08:00" {
		t.Errorf("query %v", q)
	}
	csv := `href="/api/v1/audit/security.csv?kind=role.granted&amp;since=2026-11-01T00%3A00%3A00%2B08%3A00&amp;until=2026-11-30T23%3A59%3A59%2B08%3A00&amp;within=420102"`
	for _, s := range []string{csv, "授予角色", "区**", "127.0.0.1", "grid_worker@420102001001001", "江岸区"} {
		if !strings.Contains(b, s) {
			t.Errorf("audit page lacks %s\n%s", s, b)
		}
	}
	if rec := as(h, auditor, "GET", "/admin/audit?since=yesterday", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("bad date: %d", rec.Code)
	}
}

// Menus by role, for every role: each person is offered the pages the
// policy lets them use and no other. Admin goes to whoever administers
// accounts or makes API tokens (street dispatchers and department handlers
// reached their tokens page by no menu before); auditors have the audit log
// instead; the city admin, who oversees without triaging, has the console.
func TestAdminMenus(t *testing.T) {
	h := newAdminUI(t, &fakeAdmin{})
	entries := []string{"/queue", "/console", "/dashboard", "/admin", "/admin/audit"}
	want := map[string]string{ // which of entries, in order, as 0/1
		civicgrid.RoleResident:           "00000",
		civicgrid.RoleReporter:           "00000",
		civicgrid.RoleVolunteer:          "00000",
		civicgrid.RoleGridWorker:         "10100",
		civicgrid.RoleBuilding:           "00000",
		civicgrid.RoleCommunityStaff:     "11100",
		civicgrid.RoleCommunitySecretary: "11110",
		civicgrid.RoleStreetDispatcher:   "11110",
		civicgrid.RoleDepartmentHandler:  "10010",
		civicgrid.RoleDistrictAdmin:      "11110",
		civicgrid.RoleCityAdmin:          "11110",
		civicgrid.RoleAuditor:            "10101",
	}
	chain := map[civicgrid.Level]string{civicgrid.LevelCity: "420100", civicgrid.LevelDistrict: "420102", civicgrid.LevelStreet: "420102001",
		civicgrid.LevelCommunity: "420102001001", civicgrid.LevelGrid: "420102001001001", civicgrid.LevelBuilding: "4201020010010010001"}
	for i, info := range civicgrid.Roles {
		g := civicgrid.RoleGrant{Role: info.Name, AreaCode: chain[info.Levels[len(info.Levels)-1]], Detail: "d"}
		if info.Name == civicgrid.RoleDepartmentHandler {
			g.Categories = []string{"C0005"}
		}
		a := civicgrid.Actor{UserID: int64(100 + i), Name: "某人", Via: "session", CSRFToken: "tok", Grants: []civicgrid.RoleGrant{g}}
		b := as(h, a, "GET", "/", nil).Body.String()
		nav := b[strings.Index(b, `class="page-nav"`):]
		nav = nav[:strings.Index(nav, "</nav>")]
		got := ""
		for _, e := range entries {
			if strings.Contains(nav, `href="`+e+`"`) {
				got += "1"
			} else {
				got += "0"
			}
		}
		if got != want[info.Name] {
			t.Errorf("%s: menu %s, want %s (%v)", info.Name, got, want[info.Name], entries)
		}
		// Admin leads somewhere the person may use.
		if got[3] == '1' {
			if rec := as(h, a, "GET", "/admin", nil); rec.Code != http.StatusSeeOther {
				t.Errorf("%s: /admin answered %d, want a redirect to their first tab", info.Name, rec.Code)
			}
		}
	}
	// Nobody without an admin tab is sent to one.
	resident := civicgrid.Actor{UserID: 200, Name: "居民", Via: "session", CSRFToken: "tok",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: chain[civicgrid.LevelBuilding]}}}
	if rec := as(h, resident, "GET", "/admin", nil); rec.Code != http.StatusForbidden {
		t.Errorf("a resident at /admin: %d, want 403", rec.Code)
	}
}

// fakeCatalogue keeps the categories the page saves, refusing with err.
type fakeCatalogue struct {
	err   error
	saved []civicgrid.Category
	actor civicgrid.Actor
}

func (f *fakeCatalogue) Categories(ctx context.Context) ([]civicgrid.Category, error) {
	return catalogueCases{}.Categories(ctx)
}

func (f *fakeCatalogue) PutCategory(ctx context.Context, actor civicgrid.Actor, c civicgrid.Category) error {
	if f.err != nil {
		return f.err
	}
	f.actor = actor
	f.saved = append(f.saved, c)
	return nil
}

// Categories: the city admin sees the deadlines and default handler, and
// the edit form sends every field to the case service; a district admin,
// whom the policy does not let edit them, gets a 403 page.
func TestAdminCategories(t *testing.T) {
	cat := &fakeCatalogue{}
	ui, err := New(Config{Cases: catalogueCases{}, Admin: &fakeAdmin{}, Catalogue: cat}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	b := as(h, cityAdmin, "GET", "/admin/categories", nil).Body.String()
	for _, s := range []string{`href="/admin/categories/C0005"`, "水管破裂", "1 小时内响应，8 小时内办结", "由所在网格的网格员处置", `href="/admin/categories" aria-current="page"`} {
		if !strings.Contains(b, s) {
			t.Errorf("list lacks %s", s)
		}
	}
	b = as(h, cityAdmin, "GET", "/admin/categories/C0005?lang=en", nil).Body.String()
	for _, s := range []string{`action="/admin/categories/C0005"`, `value="Burst water pipe"`, `name="respond_within" type="text" required value="1h"`, `<label for="c-dept">Default department</label>`} {
		if !strings.Contains(b, s) {
			t.Errorf("form lacks %s", s)
		}
	}
	form := url.Values{"name_zh": {"水管破裂"}, "name_en": {"Burst pipe"}, "group": {"社区"}, "icon": {"💧"}, "respond_within": {"2wh"},
		"resolve_within": {"1wd"}, "default_dept": {"区水务局"}, "duplicate_radius_m": {"50"}, "duplicate_hours": {"24"}, "active": {"1"}}
	rec := as(h, cityAdmin, "POST", "/admin/categories/C0005", form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/categories?done=admin.category_saved#flash" {
		t.Fatalf("save: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	want := civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", Group: "社区", Icon: "💧", RespondWithin: "2wh",
		ResolveWithin: "1wd", DefaultDept: "区水务局", DuplicateRadiusM: 50, DuplicateHours: 24, Active: true}
	if len(cat.saved) != 1 || cat.saved[0] != want || cat.actor.UserID != cityAdmin.UserID {
		t.Errorf("saved %+v by %d", cat.saved, cat.actor.UserID)
	}
	cat.err = civicgrid.Errorf(civicgrid.EINVALID, "respond_within: \"soon\" is not a limit")
	form.Set("respond_within", "soon")
	rec = as(h, cityAdmin, "POST", "/admin/categories/C0005", form)
	if b := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(b, "is not a limit") || !strings.Contains(b, `value="soon"`) {
		t.Errorf("refusal: %d", rec.Code)
	}
	for _, path := range []string{"/admin/categories", "/admin/categories/C0005"} {
		if rec := as(h, districtAdmin, "GET", path, nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s for a district admin: %d", path, rec.Code)
		}
	}
	if b := as(h, districtAdmin, "GET", "/admin/users", nil).Body.String(); strings.Contains(b, `href="/admin/categories"`) {
		t.Errorf("categories tab offered to a district admin")
	}
}

// fakeWebhooks records the webhook calls.
type fakeWebhooks struct {
	err     error
	created civicgrid.Webhook
	calls   []string
}

func (f *fakeWebhooks) Webhooks(r *http.Request) ([]civicgrid.Webhook, error) {
	return []civicgrid.Webhook{{ID: 4, Name: "区热线", URL: "https://hotline.example/hook", Within: "420102"}}, nil
}
func (f *fakeWebhooks) CreateWebhook(r *http.Request, h civicgrid.Webhook) (civicgrid.Webhook, string, error) {
	f.created = h
	h.ID = 5
	return h, "whsec_once", f.err
}
func (f *fakeWebhooks) DisableWebhook(r *http.Request, id int64) error {
	f.calls = append(f.calls, "disable "+itoa(id))
	return f.err
}
func (f *fakeWebhooks) WebhookDeliveries(r *http.Request, id int64, state string) ([]civicgrid.WebhookDelivery, error) {
	f.calls = append(f.calls, "deliveries "+itoa(id)+" "+state)
	return []civicgrid.WebhookDelivery{{ID: 70, WebhookID: id, CaseID: 12, Type: "case.register", State: civicgrid.DeliveryState(state), Attempts: 8,
		LastStatus: 502, LastError: "bad gateway", CreatedAt: time.Now()}}, nil
}
func (f *fakeWebhooks) ReplayWebhook(r *http.Request, id, deliveryID int64) (int, error) {
	f.calls = append(f.calls, "replay "+itoa(id)+" "+itoa(deliveryID))
	return 1, f.err
}

// Webhooks: the list and form, the secret once, the deliveries (dead ones
// first) with replay of one or all, and stop.
func TestAdminWebhooks(t *testing.T) {
	hooks := &fakeWebhooks{}
	ui, err := New(Config{Cases: catalogueCases{}, Admin: &fakeAdmin{}, Webhooks: hooks}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	b := as(h, districtAdmin, "GET", "/admin/webhooks", nil).Body.String()
	for _, s := range []string{`href="/admin/webhooks/4"`, "https://hotline.example/hook", "江岸区", `action="/admin/webhooks/4/disable"`, `action="/admin/webhooks"`, "全部环节"} {
		if !strings.Contains(b, s) {
			t.Errorf("list lacks %s", s)
		}
	}
	rec := as(h, districtAdmin, "POST", "/admin/webhooks", url.Values{"name": {" 区热线 "}, "url": {"https://hotline.example/hook"}, "within": {"420102"}})
	if !strings.Contains(rec.Body.String(), `value="whsec_once"`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d", rec.Code)
	}
	if c := hooks.created; c.Name != "区热线" || c.URL != "https://hotline.example/hook" || c.Within != "420102" {
		t.Errorf("sent %+v", c)
	}
	b = as(h, districtAdmin, "GET", "/admin/webhooks/4", nil).Body.String()
	for _, s := range []string{"case.register", "bad gateway", "HTTP 502", `name="delivery" value="70"`, `href="/cases/12"`, `href="/admin/webhooks/4?state=dead" aria-current="page"`} {
		if !strings.Contains(b, s) {
			t.Errorf("deliveries lack %s", s)
		}
	}
	as(h, districtAdmin, "POST", "/admin/webhooks/4/replay", url.Values{"delivery": {"70"}})
	as(h, districtAdmin, "POST", "/admin/webhooks/4/replay", url.Values{})
	as(h, districtAdmin, "POST", "/admin/webhooks/4/disable", url.Values{})
	if got := strings.Join(hooks.calls, "; "); got != "deliveries 4 dead; replay 4 70; replay 4 0; disable 4" {
		t.Errorf("calls: %s", got)
	}
	if rec := as(h, districtAdmin, "GET", "/admin/webhooks/9", nil); rec.Code != http.StatusNotFound {
		t.Errorf("a hook out of scope: %d", rec.Code)
	}
	hooks.err = civicgrid.Errorf(civicgrid.EINVALID, "url: private address refused")
	rec = as(h, districtAdmin, "POST", "/admin/webhooks", url.Values{"name": {"x"}, "url": {"http://10.0.0.1/"}, "within": {"420102"}})
	if b := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(b, "private address refused") || !strings.Contains(b, `value="http://10.0.0.1/"`) {
		t.Errorf("refused hook: %d", rec.Code)
	}
}

// Building roles: the city admin sees the list and the form posts the new
// role's fields; others get a 403 page and no tab.
func TestAdminBuildingRoles(t *testing.T) {
	admin := &fakeAdmin{}
	h := newAdminUI(t, admin)
	b := as(h, cityAdmin, "GET", "/admin/building-roles", nil).Body.String()
	for _, s := range []string{"楼栋长", `data-kind="building_head"`, `action="/admin/building-roles"`, `href="/admin/building-roles" aria-current="page"`} {
		if !strings.Contains(b, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	rec := as(h, cityAdmin, "POST", "/admin/building-roles", url.Values{"key": {" floor_head "}, "name_zh": {"层长"}, "name_en": {"Floor head"}})
	if rec.Header().Get("Location") != "/admin/building-roles?done=admin.building_role_added#flash" || admin.name != "floor_head|层长|Floor head" {
		t.Errorf("add: %d %s %q", rec.Code, rec.Header().Get("Location"), admin.name)
	}
	admin.err = civicgrid.Errorf(civicgrid.EINVALID, "key: 2 to 40 lower-case letters")
	rec = as(h, cityAdmin, "POST", "/admin/building-roles", url.Values{"key": {"Floor"}, "name_zh": {"层长"}, "name_en": {"Floor head"}})
	if b := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(b, "lower-case letters") || !strings.Contains(b, `value="Floor"`) {
		t.Errorf("refusal: %d", rec.Code)
	}
	if rec := as(h, districtAdmin, "GET", "/admin/building-roles", nil); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), `href="/admin/building-roles"`) {
		t.Errorf("district admin: %d", rec.Code)
	}
}

// The area import page and its tab are for whom the policy lets import
// areas in their own area, and nobody else; the page gives its script the
// session's CSRF token for the check and the import.
func TestAdminAreaImportPage(t *testing.T) {
	h := newAdminUI(t, &fakeAdmin{})
	chain := map[civicgrid.Level]string{civicgrid.LevelCity: "420100", civicgrid.LevelDistrict: "420102", civicgrid.LevelStreet: "420102001",
		civicgrid.LevelCommunity: "420102001001", civicgrid.LevelGrid: "420102001001001", civicgrid.LevelBuilding: "4201020010010010001"}
	allowed := 0
	for i, info := range civicgrid.Roles {
		g := civicgrid.RoleGrant{Role: info.Name, AreaCode: chain[info.Levels[len(info.Levels)-1]], Detail: "d"}
		if info.Name == civicgrid.RoleDepartmentHandler {
			g.Categories = []string{"C0005"}
		}
		a := civicgrid.Actor{UserID: int64(300 + i), Name: "某人", Via: "session", CSRFToken: "tok-areas", Grants: []civicgrid.RoleGrant{g}}
		may := civicgrid.Authorize(a, civicgrid.ActionImportAreas, civicgrid.In(g.AreaCode)) == nil
		rec := as(h, a, "GET", "/admin/areas?lang=en", nil)
		b := rec.Body.String()
		if !may {
			if rec.Code != http.StatusForbidden || strings.Contains(b, `id="area-check-form"`) {
				t.Errorf("%s: /admin/areas answered %d with the form %v, want 403 without", info.Name, rec.Code, strings.Contains(b, `id="area-check-form"`))
			}
			if strings.Contains(as(h, a, "GET", "/admin/tokens", nil).Body.String(), `href="/admin/areas"`) {
				t.Errorf("%s: offered the area import tab", info.Name)
			}
			continue
		}
		allowed++
		if rec.Code != 200 {
			t.Fatalf("%s: %d\n%s", info.Name, rec.Code, b)
		}
		for _, s := range []string{`id="area-check-form"`, `type="file"`, `id="area-map"`, `"csrf":"tok-areas"`, "areaimport.js", `"areas.kind_overlap":"Overlaps another area"`, `href="/admin/areas" aria-current="page"`} {
			if !strings.Contains(b, s) {
				t.Errorf("%s: page lacks %s", info.Name, s)
			}
		}
	}
	if allowed == 0 {
		t.Fatal("no role may import areas: nothing tested")
	}
}

// Area names are read once and kept (a console page names every row's
// area): a second read does not ask the store; an area that does not exist
// is kept as nameless; a store that does not answer is not kept.
func TestAreaNamesAreKept(t *testing.T) {
	store := newMemStore()
	ui, err := New(Config{Cases: catalogueCases{}, Admin: &fakeAdmin{}}, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n := ui.keptAreaName(ctx, "420102001001001"); n != "三阳第一网格" {
		t.Fatalf("name %q", n)
	}
	if n := ui.keptAreaName(ctx, "420102999"); n != "" {
		t.Fatalf("unknown area named %q", n)
	}
	store.fail = errors.New("database is away")
	if n := ui.keptAreaName(ctx, "420102001001001"); n != "三阳第一网格" {
		t.Errorf("a kept name was asked again: %q", n)
	}
	if n := ui.keptAreaName(ctx, "420102999"); n != "" {
		t.Errorf("a kept unknown area: %q", n)
	}
	if n := ui.keptAreaName(ctx, "420102001"); n != "" {
		t.Errorf("a name read while the store failed: %q", n)
	}
	store.fail = nil
	if n := ui.keptAreaName(ctx, "420102001"); n != "大智街道" {
		t.Errorf("after the store came back: %q", n)
	}
}
