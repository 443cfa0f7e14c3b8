package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

func TestUrgencyOrder(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	mk := func(id int64, light string, next time.Duration) caseItem {
		v := casework.View{Case: civicgrid.Case{ID: id}, Light: light}
		if next != 0 {
			v.NextDeadline = at.Add(next)
		}
		return caseItem{View: v}
	}
	items := []caseItem{mk(1, "", 0), mk(2, "green", time.Hour), mk(3, "red", 3*time.Hour), mk(4, "yellow", 2*time.Hour),
		mk(5, "red", time.Hour), mk(6, "green", 0), mk(7, "green", 30*time.Minute)}
	urgency(items)
	var got []int64
	for _, it := range items {
		got = append(got, it.ID)
	}
	want := []int64{5, 3, 4, 7, 2, 6, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestHumanLimit(t *testing.T) {
	ui, err := New(Config{}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	zh := &page{catalogue: ui.cats["zh-CN"], Lang: "zh-CN"}
	en := &page{catalogue: ui.cats["en"], Lang: "en"}
	for _, tc := range []struct{ in, zh, en string }{
		{"2h", "2 小时", "2 hours"}, {"1wd", "1 个工作日", "1 working days"}, {"5wh", "5 个工作小时", "5 working hours"},
		{"3d", "3 天", "3 days"}, {"soon", "soon", "soon"},
	} {
		if got := zh.humanLimit(tc.in); got != tc.zh {
			t.Errorf("zh %s: %q, want %q", tc.in, got, tc.zh)
		}
		if got := en.humanLimit(tc.in); got != tc.en {
			t.Errorf("en %s: %q, want %q", tc.in, got, tc.en)
		}
	}
}

// Elderly mode: ?elder=1 switches it on and a cookie keeps it; the header
// offers the way back; every page has the switch.
func TestElderMode(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	res := get(t, mux, "/?elder=1")
	b := body(t, res)
	if !contains(b, `<html lang="zh-CN" class="elder">`) || !contains(b, "退出长者模式") {
		t.Fatalf("elderly mode not on: %.300s", b)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == elderCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie != "elder=1" {
		t.Fatalf("cookie %q", cookie)
	}
	b = body(t, get(t, mux, "/login", "Cookie", cookie))
	if !contains(b, `class="elder"`) || !contains(b, `href="/login?elder=0"`) {
		t.Errorf("not remembered on another page")
	}
	b = body(t, get(t, mux, "/find?code=12ab"))
	if contains(b, `class="elder"`) || !contains(b, "elder=1") {
		t.Errorf("a page without the cookie: no switch or already on")
	}
}

// Case pages need a login: anonymous visitors go to the login page and come
// back.
func TestCasePagesNeedLogin(t *testing.T) {
	ui, err := New(Config{Cases: fakeCases{}}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	mux := httptestMux(ui)
	for _, path := range []string{"/report", "/my", "/queue", "/cases/1", "/console", "/dashboard"} {
		res := get(t, mux, path)
		if res.StatusCode != 303 || res.Header.Get("Location") != "/login?next="+urlEscape(path) {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	req := httptest.NewRequest("POST", "/cases/1/register", nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 303 {
		t.Errorf("anonymous step: %d", rec.Code)
	}
}

type fakeCases struct{ Cases }

func httptestMux(ui *UI) *http.ServeMux {
	mux := http.NewServeMux()
	ui.Register(mux)
	return mux
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// catalogueCases answers the catalogue, as the report page needs.
type catalogueCases struct{ Cases }

func (catalogueCases) Categories(context.Context) ([]civicgrid.Category, error) {
	return []civicgrid.Category{{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst water pipe", Group: "社区", Icon: "💧",
		RespondWithin: "1h", ResolveWithin: "8h", Active: true}}, nil
}

// TestPatrolPage: a grid worker is pointed from the report page to the
// one-page patrol form, which offers their grid (with a point inside it)
// and the catalogue; a resident is offered neither.
func TestPatrolPage(t *testing.T) {
	ui, err := New(Config{Cases: catalogueCases{}}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	mux := httptestMux(ui)
	get := func(role, path string) (int, string) {
		actor := civicgrid.Actor{UserID: 7, Name: "王小明", Via: "session", CSRFToken: "tok",
			Grants: []civicgrid.RoleGrant{{Role: role, AreaCode: "420102001001001"}}}
		req := httptest.NewRequest("GET", path, nil)
		req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), actor))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for role, want := range map[string]bool{civicgrid.RoleGridWorker: true, civicgrid.RoleResident: false} {
		code, b := get(role, "/report")
		if code != 200 || !strings.Contains(b, "水管破裂") {
			t.Fatalf("%s: %d, catalogue missing", role, code)
		}
		if got := strings.Contains(b, `href="/patrol"`); got != want {
			t.Errorf("%s: patrol form offered %v, want %v", role, got, want)
		}
	}
	code, b := get(civicgrid.RoleGridWorker, "/patrol")
	if code != 200 || !strings.Contains(b, `<option value="420102001001001" data-lat="30.585000" data-lng="114.295000">三阳第一网格</option>`) ||
		!strings.Contains(b, `<option value="C0005">💧 水管破裂</option>`) || !strings.Contains(b, `id="patrol-handled"`) {
		t.Errorf("patrol form for a grid worker: %d %s", code, b)
	}
	if code, b := get(civicgrid.RoleResident, "/patrol"); code != http.StatusForbidden || strings.Contains(b, `id="patrol-form"`) {
		t.Errorf("patrol form for a resident: %d", code)
	}
}

// closedCases answers one closed case of the viewer's, which may be rated
// or reopened.
type closedCases struct{ catalogueCases }

func (closedCases) List(context.Context, civicgrid.Actor, casework.ListQuery) ([]casework.View, error) {
	c := civicgrid.Case{ID: 41, Category: "C0005", Status: civicgrid.StatusClosed, Version: 6, GridCode: "420102001001001"}
	return []casework.View{{Case: c, Actions: []civicgrid.CaseAction{civicgrid.CaseRate, civicgrid.CaseReopen}}}, nil
}

func (closedCases) History(context.Context, civicgrid.Actor, int64) ([]civicgrid.CaseEvent, error) {
	return nil, nil
}

func (closedCases) Config() casework.Config { return casework.Config{} }

// TestMyReopenAsksReason: reopening from /my sends the reason the server
// requires, and a rating is chosen, never preset.
func TestMyReopenAsksReason(t *testing.T) {
	ui, err := New(Config{Cases: closedCases{}}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	actor := civicgrid.Actor{UserID: 7, Name: "王小明", Via: "session", CSRFToken: "tok",
		Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "420102001001001001"}}}
	req := httptest.NewRequest("GET", "/my", nil)
	req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), actor))
	rec := httptest.NewRecorder()
	httptestMux(ui).ServeHTTP(rec, req)
	b := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("/my: %d", rec.Code)
	}
	reopen := b[strings.Index(b, `data-action="reopen"`):]
	reopen = reopen[:strings.Index(reopen, "</form>")]
	if !strings.Contains(reopen, `name="reason"`) || !strings.Contains(reopen, "required") {
		t.Errorf("the reopen form asks no reason:\n%s", reopen)
	}
	if strings.Contains(b, `name="rating" value="5" required checked`) || strings.Contains(b, "checked") {
		t.Error("a rating is preselected")
	}
}

// TestFlashOfAFullDiskOrAFrozenDatabase: a step that failed on a full disk
// or a database that did not answer says so, and what to do, in both
// languages, rather than "try again later" for a disk that stays full.
func TestFlashOfAFullDiskOrAFrozenDatabase(t *testing.T) {
	cats, err := loadCatalogues(files)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][2]string{"zh-CN": {"存储空间已满", "稍后重试"}, "en": {"disk is full", "Try again"}} {
		for i, code := range []string{civicgrid.ENOSPACE, civicgrid.EUNAVAILABLE} {
			p := &page{catalogue: cats[lang]}
			p.flash(httptest.NewRequest("GET", "/cases/1?failed="+code, nil))
			if !strings.Contains(p.FlashError, want[i]) {
				t.Errorf("%s, failed=%s: %q", lang, code, p.FlashError)
			}
		}
	}
}

// countingPeople counts the reads of grid workers.
type countingPeople struct{ reads int }

func (c *countingPeople) ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error) {
	c.reads++
	return []civicgrid.User{{ID: 7, Name: "张三", Phone: "13800000007", HasPassword: true}, {ID: 8, Name: "李四", Phone: "13800000008"}}, nil
}

// TestDispatchTargetsReadOncePerGrid: a page of many cases to dispatch
// reads each grid's workers once (the console read them for every case,
// a query each).
func TestDispatchTargetsReadOncePerGrid(t *testing.T) {
	people := &countingPeople{}
	ui, err := New(Config{People: people}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	p := &page{catalogue: ui.cats["zh-CN"], Lang: "zh-CN"}
	for _, grid := range []string{"420102001001001", "420102001001001", "420102001001002", "420102001001001"} {
		it := caseItem{View: casework.View{Case: civicgrid.Case{GridCode: grid}}}
		opts, off := ui.dispatchTargets(context.Background(), p, it)
		if len(opts) != 2 || opts[1].Value != "7" || len(off) != 1 || off[0].Value != "8" {
			t.Fatalf("targets %v, unavailable %v", opts, off)
		}
	}
	// Workers and community staff: two reads a grid.
	if people.reads != 4 {
		t.Errorf("%d reads of dispatch targets for 2 grids", people.reads)
	}
}

// defaultCatalogueCases answers the default catalogue.
type defaultCatalogueCases struct{ Cases }

func (defaultCatalogueCases) Categories(context.Context) ([]civicgrid.Category, error) {
	return casework.DefaultCatalogue()
}

// TestReportCategoriesUnderResidentHeadings: without scripts the category
// step is a plain grouped radio list — every heading in residents' words
// open, every category a radio, "other" last — and the search box, which
// needs the script, stays hidden.
func TestReportCategoriesUnderResidentHeadings(t *testing.T) {
	ui, err := New(Config{Cases: defaultCatalogueCases{}}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	mux := httptestMux(ui)
	for lang, headings := range map[string][]string{
		"zh-CN": {"路面与设施", "环境卫生", "安全隐患", "邻里与秩序", "其他"},
		"en":    {"Roads and facilities", "Cleanliness", "Safety hazards", "Neighbours and order", "Other"},
	} {
		actor := civicgrid.Actor{UserID: 7, Name: "王小明", Via: "session", CSRFToken: "tok",
			Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "4201020010010010001"}}}
		req := httptest.NewRequest("GET", "/report?lang="+lang, nil)
		req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), actor))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		b := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("%s: %d", lang, rec.Code)
		}
		at := 0
		for _, h := range headings {
			i := strings.Index(b[at:], "<summary>"+h+" ")
			if i < 0 {
				t.Fatalf("%s: heading %q missing or out of order", lang, h)
			}
			at += i
		}
		cats, _ := casework.DefaultCatalogue()
		if n := strings.Count(b, `<input type="radio" name="category"`); n != len(cats) {
			t.Errorf("%s: %d radios, want %d", lang, n, len(cats))
		}
		if strings.Count(b, `<details class="cat-group"`) != strings.Count(b, `" open>`) {
			t.Errorf("%s: a heading is folded without the script", lang)
		}
		if !strings.Contains(b, `id="cat-search-box" hidden`) {
			t.Errorf("%s: the search box shows without its script", lang)
		}
		if i := strings.Index(b, `value="C0099"`); i < at {
			t.Errorf("%s: \"other\" is not under the last heading", lang)
		}
		if !strings.Contains(b, `data-search="电梯故障 lift out of order 安全隐患 safety hazards 电梯 困人 停运 故障 升降梯 电梯坏了 困梯 elevator lift"`) {
			t.Errorf("%s: the lift's search words are missing", lang)
		}
	}
}
