package server_test

// The web UI's admin pages call the API in process (server.LocalAPI): these
// tests drive the pages over HTTP against a real store and check that the
// API's rules, refusals and security log apply to them unchanged.

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/web"
)

func newAdminPagesEnv(t *testing.T) *authEnv {
	db, loc, _ := openDemoStore(t)
	clock := &testClock{now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)}
	db.SetClock(clock.Now)
	local := &server.LocalAPI{}
	ui, err := web.New(web.Config{Admin: local}, db)
	if err != nil {
		t.Fatal(err)
	}
	sender := sms.NewDevSender(slog.New(slog.DiscardHandler))
	s := server.New(server.Config{Auth: server.AuthConfig{Password: mxPasswordParams}, SMS: sender, Now: clock.Now}, db, loc, ui.Register)
	local.Server = s
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	chains := newMatrixChains(t, demoCity(t))
	return &authEnv{t: t, db: db, srv: srv, clock: clock, sms: sender, chain: chains[0], other: chains[1]}
}

var secretValue = regexp.MustCompile(`value="([^"]+)" data-testid="secret"`)

func TestAdminPagesUseTheAPIRules(t *testing.T) {
	e := newAdminPagesEnv(t)
	ctx := context.Background()
	admin := e.account(civicgrid.RoleDistrictAdmin, e.chain.district)
	cookie, csrf, _ := e.login(admin.Phone, mxPassword)
	form := func(v url.Values) url.Values { v.Set("csrf_token", csrf); return v }

	// A staff account made on the page: the temporary password is shown
	// once and works; the log records it with the page's address.
	a := e.do("POST", "/admin/users", form(url.Values{"name": {"新网格员"}, "phone": {"13700002222"}, "role": {civicgrid.RoleGridWorker},
		"area_code": {e.chain.grid}}), cookie, "")
	m := secretValue.FindStringSubmatch(a.body)
	if a.status != 200 || m == nil || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q\n%s", a.status, a.header.Get("Cache-Control"), a.body)
	}
	if _, _, login := e.login("13700002222", m[1]); login.status != 200 || login.json["must_change_password"] != true {
		t.Fatalf("temporary password: %d %v", login.status, login.json)
	}
	evs := e.events(civicgrid.EventUserCreated)
	if len(evs) != 1 || evs[0].ActorID != admin.ID || evs[0].IP != "127.0.0.1" {
		t.Fatalf("account.created events %+v", evs)
	}
	users, err := e.db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{e.chain.grid}, Role: civicgrid.RoleGridWorker, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var made civicgrid.User
	for _, u := range users {
		if u.Phone == "13700002222" {
			made = u
		}
	}
	if made.ID == 0 {
		t.Fatal("account not stored")
	}
	userPage := "/admin/users/" + strconv.FormatInt(made.ID, 10)

	// The list shows it masked, as the API does.
	a = e.do("GET", "/admin/users?within="+e.chain.grid, nil, cookie, "")
	if a.status != 200 || !strings.Contains(a.body, `href="`+userPage+`"`) || !strings.Contains(a.body, "137****2222") || strings.Contains(a.body, "13700002222") {
		t.Fatalf("list: %d", a.status)
	}

	// A grant in another district is refused by the API's rule: the page
	// says so, nothing changes, and the refusal is logged.
	a = e.do("POST", userPage+"/grants", form(url.Values{"role": {civicgrid.RoleCommunityStaff}, "area_code": {e.other.community}}), cookie, "")
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther || !strings.Contains(loc, "failed=forbidden") {
		t.Fatalf("out-of-scope grant: %d %s", a.status, loc)
	}
	if u, _ := e.db.UserByID(ctx, made.ID); len(u.Grants) != 1 {
		t.Fatalf("grants after a refusal: %+v", u.Grants)
	}
	if len(e.events(civicgrid.EventRoleDenied)) != 1 {
		t.Errorf("refusal not logged")
	}
	if a = e.do("GET", loc[:strings.Index(loc, "#")], nil, cookie, ""); !strings.Contains(a.body, `data-testid="flash-error"`) || !strings.Contains(a.body, "roles.grant") {
		t.Errorf("refusal not shown:\n%s", a.body)
	}

	// A grant inside the district goes through; revoking it too.
	a = e.do("POST", userPage+"/grants", form(url.Values{"role": {civicgrid.RoleCommunityStaff}, "area_code": {e.chain.community}}), cookie, "")
	if !strings.Contains(a.header.Get("Location"), "done=admin.granted") {
		t.Fatalf("grant: %d %s", a.status, a.header.Get("Location"))
	}
	u, _ := e.db.UserByID(ctx, made.ID)
	if len(u.Grants) != 2 {
		t.Fatalf("grants %+v", u.Grants)
	}
	// Without the CSRF token the middleware refuses the form.
	gid := strconv.FormatInt(u.Grants[1].ID, 10)
	if a = e.do("POST", userPage+"/grants/"+gid+"/revoke", url.Values{}, cookie, ""); a.status != http.StatusForbidden {
		t.Errorf("revoke without CSRF: %d", a.status)
	}
	a = e.do("POST", userPage+"/grants/"+gid+"/revoke", form(url.Values{}), cookie, "")
	if u, _ := e.db.UserByID(ctx, made.ID); len(u.Grants) != 1 || !strings.Contains(a.header.Get("Location"), "done=admin.revoked") {
		t.Fatalf("revoke: %s %+v", a.header.Get("Location"), u.Grants)
	}

	// A token cut from the admin's own grant: its secret is shown once and
	// authenticates.
	a = e.do("POST", "/admin/tokens", form(url.Values{"name": {"热线系统"}, "grant": {"0"}, "ttl_days": {"30"}}), cookie, "")
	m = secretValue.FindStringSubmatch(a.body)
	if a.status != 200 || m == nil {
		t.Fatalf("token: %d\n%s", a.status, a.body)
	}
	if me := e.do("GET", "/api/v1/me", nil, "", "", "Authorization", "Bearer "+m[1]); me.status != 200 || me.json["via"] != "token" {
		t.Fatalf("token does not work: %d %s", me.status, me.body)
	}
	if a = e.do("GET", "/admin/tokens", nil, cookie, ""); strings.Contains(a.body, m[1]) || !strings.Contains(a.body, "热线系统") {
		t.Errorf("token list shows the secret again, or not the token")
	}

	// The audit log is the auditors': a district admin gets a friendly 403
	// page, an auditor of the city reads what happened above.
	if a = e.do("GET", "/admin/audit", nil, cookie, ""); a.status != http.StatusForbidden || !strings.Contains(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("audit for a district admin: %d %s", a.status, a.header.Get("Content-Type"))
	}
	aud := e.account(civicgrid.RoleAuditor, "420100")
	acookie, _, _ := e.login(aud.Phone, mxPassword)
	a = e.do("GET", "/admin/audit?kind="+civicgrid.EventRoleDenied, nil, acookie, "")
	if a.status != 200 || !strings.Contains(a.body, `data-kind="role.denied"`) || strings.Contains(a.body, `data-kind="account.created"`) {
		t.Errorf("auditor's log: %d\n%s", a.status, a.body)
	}
	// Building roles: the city admin adds one through the page; a district
	// admin is refused by the API's rule and nothing is added.
	city := e.account(civicgrid.RoleCityAdmin, "420100")
	ccookie, ccsrf, _ := e.login(city.Phone, mxPassword)
	a = e.do("POST", "/admin/building-roles", url.Values{"csrf_token": {ccsrf}, "key": {"floor_head"}, "name_zh": {"层长"}, "name_en": {"Floor head"}}, ccookie, "")
	if !strings.Contains(a.header.Get("Location"), "done=admin.building_role_added") {
		t.Errorf("add building role: %d %s", a.status, a.header.Get("Location"))
	}
	a = e.do("POST", "/admin/building-roles", form(url.Values{"key": {"stair_head"}, "name_zh": {"梯长"}, "name_en": {"Stair head"}}), cookie, "")
	kinds, _ := e.db.BuildingRoleKinds(ctx)
	var keys []string
	for _, k := range kinds {
		keys = append(keys, k.Key)
	}
	if a.status != http.StatusForbidden || !slices.Contains(keys, "floor_head") || slices.Contains(keys, "stair_head") {
		t.Errorf("building roles: %d %v", a.status, keys)
	}

	// An auditor administers no accounts.
	if a = e.do("GET", "/admin/users/new", nil, acookie, ""); a.status != http.StatusForbidden {
		t.Errorf("new account form for an auditor: %d", a.status)
	}
}
