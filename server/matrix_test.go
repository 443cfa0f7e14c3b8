package server_test

// The authorization matrix: every guarded API route × every role × an object
// in the actor's area and one in another district, over real HTTP with real
// sessions. The cases come from the server's own route table, so a route
// added without a fixture and an expected row fails here, and the observed
// matrix must equal docs/security.md (go test ./server -run Matrix -update
// rewrites it).

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/internal/gendoc"
	"github.com/civicgrid/civicgrid/lectures"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/search"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
	"github.com/civicgrid/civicgrid/warning"
	"github.com/civicgrid/civicgrid/web"
	"github.com/civicgrid/civicgrid/webhook"
	"github.com/civicgrid/civicgrid/webpush"
	"github.com/civicgrid/civicgrid/workcal"
)

var updateDocs = flag.Bool("update", false, "rewrite the access matrix in docs/security.md")

// Cheap hashing: the matrix makes hundreds of accounts.
var mxPasswordParams = password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const mxPassword = "matrix-Pass-2026"

// mxExpected is the access policy written out by hand, one row per guarded
// route: for each role in civicgrid.Roles order (resident, reporter,
// volunteer, grid worker, building role, community staff, community
// secretary, street dispatcher, department handler, district admin, city
// admin, auditor) two letters, for an object in the actor's own area and for
// one in another district. Y allowed, N denied, - not applicable (the route
// only ever acts on the caller's own account).
var mxExpected = map[string]string{
	//                                           res rep vol gw  bld cs  sec sd  dh  da  ca  aud
	"GET /api/v1/me":                           "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-",
	"POST /api/v1/me/password":                 "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-",
	"GET /api/v1/users":                        "NN NN NN YN NN YN YN YN NN YN YY YN",
	"POST /api/v1/users":                       "NN NN NN NN NN NN YN NN NN YN YY NN",
	"GET /api/v1/users/{id}":                   "NN NN NN YN NN YN YN YN NN YN YY YN",
	"POST /api/v1/users/{id}/unmask":           "NN NN NN YN NN YN YN YN NN YN YY NN",
	"POST /api/v1/users/{id}/password-reset":   "NN NN NN NN NN NN YN NN NN YN YY NN",
	"POST /api/v1/users/{id}/unlock":           "NN NN NN NN NN NN YN NN NN YN YY NN",
	"POST /api/v1/users/{id}/grants":           "NN NN NN NN NN NN YN NN NN YN YY NN",
	"DELETE /api/v1/users/{id}/grants/{grant}": "NN NN NN NN NN NN YN NN NN YN YY NN",
	"GET /api/v1/tokens":                       "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-",
	"POST /api/v1/tokens":                      "NN NN NN NN NN NN YN YN YN YN YY YN",
	"DELETE /api/v1/tokens/{id}":               "NN NN NN NN NN NN NN NN NN YN YY NN",
	"GET /api/v1/audit/security":               "NN NN NN NN NN NN NN NN NN NN NN YN",
	"GET /api/v1/audit/security.csv":           "NN NN NN NN NN NN NN NN NN NN NN YN",
	"POST /api/v1/building-roles":              "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"POST /api/v1/admin/areas/check":           "NN NN NN NN NN NN NN NN NN YN YY NN",
	"POST /api/v1/admin/areas/import":          "NN NN NN NN NN NN NN NN NN YN YY NN",
	"POST /api/v1/calendar/days":               "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"DELETE /api/v1/calendar/days/{date}":      "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"GET /api/v1/open311/keys":                 "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"POST /api/v1/open311/keys":                "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"DELETE /api/v1/open311/keys/{id}":         "N- N- N- N- N- N- N- N- N- N- Y- N-",
	"GET /api/v1/admin/areas/export":           "NN NN NN NN NN NN NN NN NN YN YY NN",
}

// mxPublic lists the routes anyone may call. A new public route must be added
// here on purpose.
var mxPublic = []string{
	"GET /healthz", "GET /readyz", "GET /livez", "GET /api/v1/locate", "GET /api/v1/areas", "GET /api/v1/areas.geojson",
	"GET /api/v1/areas/{code}", "GET /api/v1/areas/{code}/versions",
	"GET /api/v1/basemap.geojson", "GET /api/v1/places", // names and shapes of areas, never people
	"GET /api/v1/roles", "GET /api/v1/building-roles", "GET /api/v1/categories",
	"GET /api/v1/calendar/days",                 // the working calendar's holidays and make-up days are public schedules
	"GET /api/v1/notices",                       // the public notice board (公示栏): results of votes, no personal data
	"GET /api/v1/notices/projects",              // the board's projects with their progress, without owners or bodies
	"GET /api/v1/notices/meetings",              // the board's published minutes: decisions, attendance, quorum; nobody named
	"GET /api/v1/lectures.ics",                  // lectures' titles, times, places and speakers, as on a notice board; never who signed up
	"GET /api/v1/volunteer/certificates/verify", // a certificate's code shows its masked holder, hours, period and issuer
	"GET /photos/{ref}",                         // content-addressed, metadata-free copies
	"POST /api/v1/auth/login", "POST /api/v1/auth/logout", "POST /api/v1/auth/signup/code", "POST /api/v1/auth/signup",
	"POST /api/v1/auth/reset/code", "POST /api/v1/auth/reset", "GET /auth/oidc/login", "GET /auth/oidc/callback",
	// Open311: reads are public (requests in their public form); POST takes an api_key.
	"GET /open311/discovery.xml", "GET /open311/v2/services.xml", "POST /open311/v2/requests.xml", "GET /open311/v2/requests.xml",
	"GET /open311/discovery.json", "GET /open311/v2/services.json", "POST /open311/v2/requests.json", "GET /open311/v2/requests.json",
	"GET /open311/v2/services/{file}", "GET /open311/v2/requests/{file}", "GET /open311/v2/tokens/{file}",
	"GET /api/v1/openapi.json", "GET /api/docs", // the API's description: routes and who may call them, no data
}

// mxChain is one line of descent from a district down to a building.
type mxChain struct {
	district, street, community, grid, building string
	gridArea                                    civicgrid.Area
}

// at returns the chain's area of a level (the city for LevelCity).
func (c mxChain) at(l civicgrid.Level) string {
	switch l {
	case civicgrid.LevelCity:
		return "420100"
	case civicgrid.LevelDistrict:
		return c.district
	case civicgrid.LevelStreet:
		return c.street
	case civicgrid.LevelCommunity:
		return c.community
	case civicgrid.LevelGrid:
		return c.grid
	}
	return c.building
}

type mxEnv struct {
	t      *testing.T
	db     *sqlstore.DB
	srv    *httptest.Server
	home   mxChain // where every actor holds their role
	away   mxChain // another district
	hash   string
	phones int
	cases  *casework.Service
	photos *photo.Store
	hooks  *webhook.Service
	notes  *notify.Service
	// calendar is the working calendar; the fixtures' days are spread
	// over weekdays so that none repeats.
	calendar *workcal.Live
	days     int
	cogov    *cogovern.Service
	// invitee is on the roll of the last meeting(); meetingProposal on its agenda.
	invitee         civicgrid.User
	meetingProposal int64
	elector         civicgrid.User // the last vote's resident on the roll
	volunteer       *volunteering.Service
	lectures        *lectures.Service
	warning         *warning.Service
	care            *care.Service
	notices         *notices.Service
}

// mxActor is a logged-in person holding one role, or (bearer set) an API
// token of that person.
type mxActor struct {
	user   civicgrid.User
	cookie string
	csrf   string
	bearer string
}

// mxRequest is one request a fixture makes.
type mxRequest struct {
	method, path string
	body         any // JSON-encoded; a string is sent as is
}

// mxFixture builds the request for one cell: the actor acting on an object
// in its own area (away false) or in another district (away true).
type mxFixture func(e *mxEnv, a mxActor, away bool) mxRequest

var mxFixtures = map[string]mxFixture{
	"GET /api/v1/me": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/me"}
	},
	"POST /api/v1/me/password": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/me/password", map[string]string{"current_password": mxPassword, "new_password": "another-Pass-2027"}}
	},
	"GET /api/v1/users": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/users?within=" + e.chain(away).building}
	},
	"POST /api/v1/users": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/users", map[string]any{"name": "新居民", "phone": e.nextPhone(),
			"grants": []map[string]string{{"role": civicgrid.RoleResident, "area_code": e.chain(away).building}}}}
	},
	"GET /api/v1/users/{id}": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/users/%d", e.resident(away).ID)}
	},
	"POST /api/v1/users/{id}/unmask": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/users/%d/unmask", e.resident(away).ID), map[string]string{"reason": "回访报事人"}}
	},
	"POST /api/v1/users/{id}/password-reset": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/users/%d/password-reset", e.resident(away).ID)}
	},
	"POST /api/v1/users/{id}/unlock": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/users/%d/unlock", e.resident(away).ID)}
	},
	"POST /api/v1/users/{id}/grants": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/users/%d/grants", e.resident(away).ID),
			map[string]string{"role": civicgrid.RoleVolunteer, "area_code": e.chain(away).community}}
	},
	"DELETE /api/v1/users/{id}/grants/{grant}": func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/users/%d/grants/%d", u.ID, u.Grants[0].ID)}
	},
	"GET /api/v1/tokens": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/tokens"}
	},
	"POST /api/v1/tokens": func(e *mxEnv, a mxActor, away bool) mxRequest {
		// A token carrying the actor's own role, over the actor's own area
		// or over the same level in another district.
		g := a.user.Grants[0]
		return mxRequest{"POST", "/api/v1/tokens", map[string]any{"name": "对接", "role": g.Role,
			"area_code": e.chain(away).at(civicgrid.LevelOfCode(g.AreaCode)), "detail": g.Detail, "categories": g.Categories}}
	},
	"DELETE /api/v1/tokens/{id}": func(e *mxEnv, a mxActor, away bool) mxRequest {
		// Someone else's token for a community's integration.
		owner := e.resident(away)
		_, tok, err := e.db.CreateAPIToken(context.Background(), civicgrid.APIToken{Name: "积分商城", Role: civicgrid.RoleCommunityStaff,
			AreaCode: e.chain(away).community, CreatedBy: owner.ID, ExpiresAt: time.Now().Add(24 * time.Hour)}, civicgrid.SecurityEvent{})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", tok.ID)}
	},
	"GET /api/v1/audit/security": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/audit/security?within=" + e.chain(away).community}
	},
	"GET /api/v1/audit/security.csv": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/audit/security.csv?within=" + e.chain(away).community}
	},
	"POST /api/v1/building-roles": func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.phones++
		return mxRequest{"POST", "/api/v1/building-roles", map[string]string{"key": fmt.Sprintf("role_%d", e.phones), "name_zh": "垃圾分类督导员", "name_en": "Waste sorting guide"}}
	},
	"POST /api/v1/admin/areas/check": func(e *mxEnv, a mxActor, away bool) mxRequest {
		var b strings.Builder
		if err := areaio.Encode(&b, []civicgrid.Area{e.chain(away).gridArea}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", "/api/v1/admin/areas/check", b.String()}
	},
	"POST /api/v1/admin/areas/import": func(e *mxEnv, a mxActor, away bool) mxRequest {
		g := e.chain(away).gridArea
		e.phones++
		g.Name = fmt.Sprintf("%s（%d）", g.Name, e.phones)
		var b strings.Builder
		if err := areaio.Encode(&b, []civicgrid.Area{g}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", "/api/v1/admin/areas/import", b.String()}
	},
	"POST /api/v1/calendar/days": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/calendar/days", map[string]string{"date": e.nextWeekday(), "kind": civicgrid.DayHoliday, "note": "防汛"}}
	},
	"DELETE /api/v1/calendar/days/{date}": func(e *mxEnv, a mxActor, away bool) mxRequest {
		date := e.nextWeekday()
		if err := e.db.AddCalendarDay(context.Background(), civicgrid.CalendarDay{Date: date, Kind: civicgrid.DayHoliday}, civicgrid.SecurityEvent{}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "DELETE", path: "/api/v1/calendar/days/" + date}
	},
	"GET /api/v1/open311/keys": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/open311/keys"}
	},
	"POST /api/v1/open311/keys": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/open311/keys", map[string]string{"name": "市民热线"}}
	},
	"DELETE /api/v1/open311/keys/{id}": func(e *mxEnv, a mxActor, away bool) mxRequest {
		_, id, err := e.db.CreateOpen311Key(context.Background(), "区级应用", civicgrid.SecurityEvent{})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/open311/keys/%d", id)}
	},
	"GET /api/v1/admin/areas/export": func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/admin/areas/export?within=" + e.chain(away).community}
	},
}

func (e *mxEnv) chain(away bool) mxChain {
	if away {
		return e.away
	}
	return e.home
}

// nextWeekday is a working day of next year not used before.
func (e *mxEnv) nextWeekday() string {
	for {
		e.days++
		d := time.Date(time.Now().Year()+1, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, e.days)
		if e.calendar.Current().IsWorkday(d) && e.calendar.CheckChange(workcal.Change{Date: d.Format(time.DateOnly)}, time.Now()) == nil {
			return d.Format(time.DateOnly)
		}
	}
}

func (e *mxEnv) nextPhone() string {
	e.phones++
	return fmt.Sprintf("137%08d", e.phones)
}

// newUser makes an account holding grant, with mxPassword.
func (e *mxEnv) newUser(g civicgrid.RoleGrant) civicgrid.User {
	e.t.Helper()
	u, err := e.db.CreateUser(context.Background(), civicgrid.User{Name: "测试" + g.Role, Phone: e.nextPhone(), Kind: civicgrid.KindStaff},
		e.hash, []civicgrid.RoleGrant{g}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// resident makes a fresh resident of the home or the away building, the
// person a cell's request acts on.
func (e *mxEnv) resident(away bool) civicgrid.User {
	return e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleResident, AreaCode: e.chain(away).building})
}

// actor makes a fresh account holding role over the deepest level the role
// may sit at on the home chain, and logs it in.
func (e *mxEnv) actor(info civicgrid.RoleInfo) mxActor {
	e.t.Helper()
	g := civicgrid.RoleGrant{Role: info.Name, AreaCode: e.home.at(info.Levels[len(info.Levels)-1])}
	switch info.Name {
	case civicgrid.RoleReporter:
		g.Detail = "美团骑手队"
	case civicgrid.RoleBuilding:
		g.Detail = "building_head"
	case civicgrid.RoleDepartmentHandler:
		g.Categories = []string{mxCategory}
	}
	u := e.newUser(g)
	secret, sess, err := e.db.CreateSession(context.Background(), civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	return mxActor{user: u, cookie: secret, csrf: sess.CSRFToken}
}

// send makes the request as the actor (or anonymously when a is nil).
func (e *mxEnv) send(a *mxActor, req mxRequest) (int, string) {
	e.t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	r, err := http.NewRequest(req.method, e.srv.URL+req.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	switch {
	case a != nil && a.bearer != "":
		r.Header.Set("Authorization", "Bearer "+a.bearer)
	case a != nil:
		r.AddCookie(&http.Cookie{Name: "cg_session", Value: a.cookie})
		r.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, "(a stream)" // it never ends: the status is the answer
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	return resp.StatusCode, string(b)
}

func newMatrixEnv(t *testing.T) *mxEnv {
	ctx := context.Background()
	db, loc, _ := openDemoStore(t)
	c := demoCity(t)
	photos, err := photo.NewStore(t.TempDir(), photo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := photos.Save(ctx, bytes.NewReader(testJPEGBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	mxPhotos[0] = saved.Ref
	calendar := testCalendar(t)
	cases := casework.New(casework.Config{Photos: photos}, db, db, loc, calendar, nil)
	if err := cases.SeedCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	pusher, err := webpush.New(webpush.Config{Key: mxVAPIDKey(t), Subject: "mailto:ops@example.org", Resolver: testResolver})
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Config{Texts: texts, Push: pusher}, db, nil)
	hooks, err := webhook.New(webhook.Config{Key: bytes.Repeat([]byte{7}, 32), Resolver: testResolver}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	cogov := cogovern.New(cogovern.Config{Calendar: calendar}, db, db)
	cogov.SetProjectDeps(cogovern.ProjectDeps{Documents: photos})
	// A clock a second on at every reading, so that a sign-in and the
	// sign-out after it never fall in the same millisecond.
	var ticks atomic.Int64
	vol := volunteering.New(volunteering.Config{People: db, Now: func() time.Time { return time.Now().Add(time.Duration(ticks.Add(1)) * time.Second) }}, db, db)
	careSvc := care.New(care.Config{Photos: photos, Requests: vol}, db, db, db, cases)
	vol.SetLinks(cases, careSvc)
	nts, err := notices.New(notices.Config{Key: bytes.Repeat([]byte{9}, 32), Resolver: testResolver, Documents: photos}, db)
	if err != nil {
		t.Fatal(err)
	}
	lec := lectures.New(lectures.Config{}, db, db)
	warn := warning.New(warning.Config{}, db, db, cases)
	s := server.New(server.Config{MaxImportBytes: 1 << 20, Auth: server.AuthConfig{Password: mxPasswordParams}, Cases: cases, Photos: photos,
		Webhooks: hooks, Notify: notes, Calendar: calendar, Cogov: cogov, Volunteer: vol, Lectures: lec, Search: search.New(db), Warning: warn, Care: careSvc, Notices: nts, PublicURL: mxPublicURL}, db, loc)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	hash, err := password.Hash(mxPassword, mxPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	e := &mxEnv{t: t, db: db, srv: srv, hash: hash, cases: cases, photos: photos, hooks: hooks, notes: notes, calendar: calendar, cogov: cogov, volunteer: vol, lectures: lec, warning: warn, care: careSvc, notices: nts}
	chains := newMatrixChains(t, c)
	e.home, e.away = chains[0], chains[1]
	return e
}

// newMatrixChains returns the first building of the first district and of
// the second, with their ancestors.
func newMatrixChains(t testing.TB, c *democity.City) []mxChain {
	var chains []mxChain
	for _, a := range c.Areas {
		if a.Level != civicgrid.LevelBuilding || (len(chains) > 0 && chains[len(chains)-1].district == a.Code[:6]) {
			continue
		}
		chains = append(chains, mxChain{district: a.Code[:6], street: a.Code[:9], community: a.Code[:12], grid: a.Code[:15], building: a.Code})
		if len(chains) == 2 {
			break
		}
	}
	if len(chains) != 2 {
		t.Fatalf("demo city has %d districts with buildings, want 2", len(chains))
	}
	for i := range chains {
		for _, a := range c.Areas {
			if a.Code == chains[i].grid {
				chains[i].gridArea = a
			}
		}
	}
	return chains
}

// mxCell classifies an answer: Y for success, N for 403 (or 404 for a case
// outside the actor's sight, which is answered as not found so that case
// ids reveal nothing); anything else means the fixture is broken and fails
// the test.
func mxCell(key string, status int) (string, bool) {
	switch {
	case status >= 200 && status < 300:
		return "Y", true
	case status == http.StatusForbidden:
		return "N", true
	case status == http.StatusNotFound && (strings.Contains(key, "/cases/{id}") || strings.Contains(key, "/proposals/{id}") || strings.Contains(key, "/votes/{id}") || strings.Contains(key, "/meetings/{id}") || strings.Contains(key, "/elections/{id}") || strings.Contains(key, "/objections/{id}") || strings.Contains(key, "/webhooks/{id}") || strings.Contains(key, "/notifications/{id}") || strings.Contains(key, "/volunteer/requests/{id}") || strings.Contains(key, "/lectures/{id}") || strings.Contains(key, "/certificates/{id}") || strings.Contains(key, "/warnings/alerts/{id}") || strings.Contains(key, "/care/entries/{id}") || strings.Contains(key, "/care/visits/{id}") || strings.Contains(key, "/announcements/{id}") || strings.Contains(key, "/group-robots/{id}") ||
		strings.Contains(key, "/projects/{id}") || strings.Contains(key, "/comments/{id}") || strings.Contains(key, "/courtyards/{id}") ||
		strings.Contains(key, "/volunteer/registrations/{id}") || strings.Contains(key, "/volunteer/invitations/{id}") ||
		key == "DELETE /api/v1/notifications/push"):
		return "N", true
	}
	return "?", false
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newMatrixEnv(t)
	routes := server.New(server.Config{Cases: e.cases, Open311: e.db, Photos: e.photos, Webhooks: e.hooks, Notify: e.notes, Calendar: e.calendar,
		Cogov: e.cogov, Volunteer: e.volunteer, Lectures: e.lectures, Search: search.New(e.db), Warning: e.warning, Care: e.care, Notices: e.notices}, e.db, nil).Routes()
	known := civicgrid.Actions()

	observed := map[string][]string{}
	var order []string
	// Thousands of requests, most of them writing their fixtures: what is
	// tested is who may do what, not durability, so the store does not
	// wait for the disk at each commit (113 → 102 s on SQLite, 2026-12-05).
	if err := e.db.Unsynced(context.Background(), func() error {
		for _, rt := range routes {
			key := rt.Method + " " + rt.Pattern
			if rt.Public {
				if !slices.Contains(mxPublic, key) {
					t.Errorf("%s is public but not in the public list: add it to mxPublic on purpose, or guard it with an action", key)
				}
				continue
			}
			if !slices.Contains(known, rt.Action) {
				t.Errorf("%s asks for action %q, which the policy does not know", key, rt.Action)
			}
			fixture, ok := mxFixtures[key]
			want, ok2 := mxExpected[key]
			if !ok || !ok2 {
				t.Errorf("%s has no matrix fixture or no expected row: add both to server/matrix_test.go", key)
				continue
			}
			wantCells := strings.Fields(want)
			if len(wantCells) != len(civicgrid.Roles) {
				t.Fatalf("%s: expected row has %d cells, want %d", key, len(wantCells), len(civicgrid.Roles))
			}
			order = append(order, key)

			// Nobody logged in: always refused before the handler runs.
			if st, body := e.send(nil, fixture(e, mxActor{user: civicgrid.User{Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: e.home.building}}}}, false)); st != http.StatusUnauthorized {
				t.Errorf("%s anonymous: status %d, want 401: %s", key, st, body)
			}

			for i, info := range civicgrid.Roles {
				cell := ""
				for _, away := range []bool{false, true} {
					if away && wantCells[i][1] == '-' {
						cell += "-"
						continue
					}
					a := e.actor(info)
					st, body := e.send(&a, fixture(e, a, away))
					got, ok := mxCell(key, st)
					if !ok {
						t.Errorf("%s as %s (away=%v): status %d is neither success nor 403 — the fixture is broken: %s", key, info.Name, away, st, body)
					}
					cell += got
				}
				if cell != wantCells[i] {
					t.Errorf("%s as %s: got %s, want %s (in own area, in another district)", key, info.Name, cell, wantCells[i])
				}
				observed[key] = append(observed[key], cell)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for key := range mxExpected {
		if !slices.ContainsFunc(routes, func(rt server.Route) bool { return rt.Method+" "+rt.Pattern == key }) {
			t.Errorf("expected row for %s, which is not a route any more", key)
		}
	}
	if t.Failed() {
		return
	}
	gendoc.Check(t, "../docs/security.md", "access-matrix", renderMatrix(routes, order, observed), *updateDocs, "go test ./server -run Matrix -update")
}

// renderMatrix writes the observed matrix as Markdown.
func renderMatrix(routes []server.Route, order []string, observed map[string][]string) string {
	var b strings.Builder
	b.WriteString("| Route | Action |")
	for _, r := range civicgrid.Roles {
		b.WriteString(" " + r.NameEN + " |")
	}
	b.WriteString("\n|---|---|")
	for range civicgrid.Roles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	symbol := map[byte]string{'Y': "✓", 'N': "✗", '-': "–"}
	for _, key := range order {
		i := slices.IndexFunc(routes, func(rt server.Route) bool { return rt.Method+" "+rt.Pattern == key })
		fmt.Fprintf(&b, "| `%s` | %s |", key, routes[i].Action)
		for _, c := range observed[key] {
			fmt.Fprintf(&b, " %s %s |", symbol[c[0]], symbol[c[1]])
		}
		b.WriteString("\n")
	}
	b.WriteString("\nPublic routes (no login; they show only public data): ")
	pub := make([]string, 0, len(mxPublic))
	for _, p := range mxPublic {
		pub = append(pub, "`"+p+"`")
	}
	b.WriteString(strings.Join(pub, ", ") + ".\n")
	return b.String()
}
