package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// memStore is an in-memory AreaStore holding a small slice of Wuhan.
type memStore struct {
	areas map[string]civicgrid.Area
	fail  error // returned by every call when set
}

func newMemStore() *memStore {
	square := orb.Polygon{{{114.29, 30.58}, {114.30, 30.58}, {114.30, 30.59}, {114.29, 30.59}, {114.29, 30.58}}}
	from := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	s := &memStore{areas: map[string]civicgrid.Area{}}
	for _, a := range []civicgrid.Area{
		{Code: "420100", Level: civicgrid.LevelCity, Name: "武汉市"},
		{Code: "420102", Level: civicgrid.LevelDistrict, Name: "江岸区", ParentCode: "420100"},
		{Code: "420103", Level: civicgrid.LevelDistrict, Name: "江汉区", ParentCode: "420100"},
		{Code: "420102001", Level: civicgrid.LevelStreet, Name: "大智街道", ParentCode: "420102"},
		{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区", ParentCode: "420102001"},
		{Code: "420102001001001", Level: civicgrid.LevelGrid, Name: "三阳第一网格", ParentCode: "420102001001", Geometry: square,
			Workers: []civicgrid.Worker{{Name: "张伟", Phone: "13812341234"}, {Name: "李娜", Phone: "15900005678"}}},
		{Code: "420102001001002", Level: civicgrid.LevelGrid, Name: "<b>三阳第二网格</b>", ParentCode: "420102001001", Geometry: square},
	} {
		a.ValidFrom = from
		s.areas[a.Code] = a
	}
	return s
}

func (s *memStore) ApplyAreas(context.Context, []civicgrid.Area, time.Time) (civicgrid.ImportResult, error) {
	return civicgrid.ImportResult{}, errors.New("read-only")
}

func (s *memStore) CurrentAreas(_ context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	var out []civicgrid.Area
	for _, a := range s.areas {
		if (f.Level == "" || a.Level == f.Level) && strings.HasPrefix(a.Code, f.Within) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *memStore) AreaByCode(_ context.Context, code string) (civicgrid.Area, error) {
	if s.fail != nil {
		return civicgrid.Area{}, s.fail
	}
	a, ok := s.areas[code]
	if !ok {
		return a, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area with code %q", code)
	}
	return a, nil
}

func (s *memStore) AreaVersions(ctx context.Context, code string) ([]civicgrid.Area, error) {
	a, err := s.AreaByCode(ctx, code)
	return []civicgrid.Area{a}, err
}

func (s *memStore) AreaGeneration(context.Context) (int64, error) { return 1, nil }

func newTestMux(t *testing.T, store civicgrid.AreaStore) *http.ServeMux {
	t.Helper()
	ui, err := New(Config{Center: [2]float64{114.30, 30.58}, Zoom: 13}, store)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	return mux
}

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	cats, err := loadCatalogues(files)
	if err != nil {
		t.Fatal(err)
	}
	ref := cats[languages[0]]
	for _, lang := range languages {
		c := cats[lang]
		if len(c) == 0 {
			t.Fatalf("%s: empty catalogue", lang)
		}
		for k, v := range c {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			if _, ok := ref[k]; !ok {
				t.Errorf("%s has %q, %s does not", lang, k, languages[0])
			}
		}
		for k := range ref {
			if _, ok := c[k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}

func TestCataloguesCoverEveryLevel(t *testing.T) {
	cats, err := loadCatalogues(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range civicgrid.Levels {
		if _, ok := cats["en"]["level."+string(l)]; !ok {
			t.Errorf("no name for level %s", l)
		}
		if c := childLevel(l); c != "" {
			if _, ok := cats["en"]["area.children_"+string(c)]; !ok {
				t.Errorf("no heading for children of level %s", l)
			}
		}
	}
}

func TestScriptMessagesExist(t *testing.T) {
	cats, err := loadCatalogues(files)
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(files, "static/map.js")
	if err != nil {
		t.Fatal(err)
	}
	// Every literal t('…') key in the script must be in the catalogue.
	for _, m := range regexp.MustCompile(`\bt\('([a-z_.]+)'\s*[,)]`).FindAllStringSubmatch(string(js), -1) {
		if _, ok := cats["en"][m[1]]; !ok {
			t.Errorf("map.js uses unknown message %q", m[1])
		}
	}
}

func TestLanguageSelection(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	for _, tc := range []struct {
		name       string
		target     string
		header     []string
		want       string
		wantCookie string
	}{
		{"default", "/", nil, "zh-CN", ""},
		{"query en", "/?lang=en", nil, "en", "en"},
		{"query zh", "/?lang=zh", []string{"Cookie", "lang=en"}, "zh-CN", "zh-CN"},
		{"query beats cookie", "/?lang=en", []string{"Cookie", "lang=zh-CN"}, "en", "en"},
		{"unknown query ignored", "/?lang=fr", []string{"Cookie", "lang=en"}, "en", ""},
		{"cookie", "/", []string{"Cookie", "lang=en"}, "en", ""},
		{"cookie beats header", "/", []string{"Cookie", "lang=zh-CN", "Accept-Language", "en-US,en"}, "zh-CN", ""},
		{"bad cookie", "/", []string{"Cookie", "lang=xx"}, "zh-CN", ""},
		{"header prefers english", "/", []string{"Accept-Language", "en-GB,en;q=0.9,zh-CN;q=0.5"}, "en", ""},
		{"header prefers chinese", "/", []string{"Accept-Language", "zh-TW,zh;q=0.9,en;q=0.8"}, "zh-CN", ""},
		{"header other languages only", "/", []string{"Accept-Language", "fr-FR,de;q=0.5"}, "zh-CN", ""},
		{"area page follows cookie", "/grids/420102", []string{"Cookie", "lang=en"}, "en", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, mux, tc.target, tc.header...)
			b := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if !strings.Contains(b, `<html lang="`+tc.want+`">`) {
				t.Errorf("want lang %s in %.200s", tc.want, b)
			}
			var got string
			for _, c := range res.Cookies() {
				if c.Name == langCookie {
					got = c.Value
				}
			}
			if got != tc.wantCookie {
				t.Errorf("cookie %q, want %q", got, tc.wantCookie)
			}
		})
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                          "zh-CN",
		"en":                        "en",
		"en;q=0.5, zh;q=0.5":        "en", // a tie goes to the first listed
		"zh;q=0.5, en;q=0.5":        "zh-CN",
		"ja, en;q=0.3, zh-CN;q=0.2": "en",
		"*":                         "zh-CN",
	} {
		if got := fromAcceptLanguage(header); got != want {
			t.Errorf("%q: got %s, want %s", header, got, want)
		}
	}
}

func TestMapPage(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	for lang, want := range map[string][]string{
		"zh-CN": {"武汉市网格地图", "按编码查找网格", `href="/grids/420102001"`, `data-testid="grid-panel"`, `lang="en"`},
		"en":    {"武汉市 grid map", "Find a grid by code", "Browse by district", `href="/?lang=zh-CN"`},
	} {
		res := get(t, mux, "/?lang="+lang)
		b := body(t, res)
		for _, w := range want {
			if !strings.Contains(b, w) {
				t.Errorf("%s: page lacks %q", lang, w)
			}
		}
		// The script's configuration is a JSON block with the messages.
		m := regexp.MustCompile(`(?s)<script type="application/json" id="cg-config">(.*?)</script>`).FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no config block", lang)
		}
		var cfg jsConfig
		if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
			t.Fatalf("%s: config block: %v", lang, err)
		}
		if cfg.Lang != lang || cfg.Messages["panel.code"] == "" || cfg.Center == nil || cfg.Center[0] != 114.30 {
			t.Errorf("%s: config %+v", lang, cfg)
		}
	}
}

func TestMapPageWithoutVendoredAssets(t *testing.T) {
	ui, err := New(Config{}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	ui.hasMap = false // as in a build made before scripts/vendor-assets.sh ran
	mux := http.NewServeMux()
	ui.Register(mux)
	b := body(t, get(t, mux, "/"))
	if !strings.Contains(b, "make build") || !strings.Contains(b, `data-testid="assets-missing"`) {
		t.Error("no notice that the map assets are missing")
	}
	if strings.Contains(b, "leaflet.js") {
		t.Error("page loads leaflet.js although it is missing")
	}
}

func TestFind(t *testing.T) {
	store := newMemStore()
	mux := newTestMux(t, store)
	for _, tc := range []struct {
		query    string
		status   int
		location string
		text     string
	}{
		{"?code=420102001001001", http.StatusSeeOther, "/grids/420102001001001", ""},
		{"?code=+420102+001-001-001+", http.StatusSeeOther, "/grids/420102001001001", ""},
		{"?code=" + "４２０１０２", http.StatusSeeOther, "/grids/420102", ""}, // full-width digits
		{"?code=", http.StatusBadRequest, "", "请输入编码"},
		{"", http.StatusBadRequest, "", "请输入编码"},
		{"?code=4201x2", http.StatusBadRequest, "", "“4201x2”不是有效的编码"},
		{"?code=1234", http.StatusBadRequest, "", "不是有效的编码"},
		{"?code=420102001001999", http.StatusNotFound, "", "没有找到编码为 420102001001999 的区域"},
		{"?code=420102001001999&lang=en", http.StatusNotFound, "", "No area has the code 420102001001999"},
		{"?code=%3Cscript%3E", http.StatusBadRequest, "", "“&lt;script&gt;”"},
	} {
		res := get(t, mux, "/find"+tc.query)
		b := body(t, res)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, res.StatusCode, tc.status)
		}
		if loc := res.Header.Get("Location"); loc != tc.location {
			t.Errorf("%s: Location %q, want %q", tc.query, loc, tc.location)
		}
		if tc.text != "" {
			if !strings.Contains(b, tc.text) {
				t.Errorf("%s: page lacks %q", tc.query, tc.text)
			}
			if !strings.Contains(b, `aria-invalid="true"`) || !strings.Contains(b, `role="alert"`) {
				t.Errorf("%s: the error is not tied to the input", tc.query)
			}
		}
	}

	// The failure is logged; keep the log out of the test output.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	store.fail = errors.New("disk on fire")
	res := get(t, mux, "/find?code=420102001001001")
	if b := body(t, res); res.StatusCode != http.StatusInternalServerError || !strings.Contains(b, "查询失败") || strings.Contains(b, "disk on fire") {
		t.Errorf("store failure: status %d, body %.300s", res.StatusCode, b)
	}
	// A database that did not answer in time is a 503, as in the API.
	store.fail = fmt.Errorf("find area: %w", context.DeadlineExceeded)
	res = get(t, mux, "/find?code=420102001001001")
	if b := body(t, res); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b, "查询失败") {
		t.Errorf("store timeout: status %d, body %.300s", res.StatusCode, b)
	}
}

func TestAreaPage(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	res := get(t, mux, "/grids/420102001001001")
	b := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, w := range []string{
		"三阳第一网格", "420102001001001",
		"138****1234", "159****5678", "张伟", // masked phones
		`href="/grids/420102"`, `href="/grids/420102001"`, `href="/grids/420102001001"`, ">江岸区<", ">三阳社区<", // ancestors
		`href="/#code=420102001001001"`,
		`<svg viewBox=`, `class="area"`, // the outline among its community's grids
	} {
		if !strings.Contains(b, w) {
			t.Errorf("grid page lacks %q", w)
		}
	}
	for _, leak := range []string{"13812341234", "15900005678"} {
		if strings.Contains(b, leak) {
			t.Errorf("grid page shows the full phone %s", leak)
		}
	}

	// A community lists its grids, names escaped.
	b = body(t, get(t, mux, "/grids/420102001001?lang=en"))
	for _, w := range []string{"Grids", `href="/grids/420102001001002"`, "&lt;b&gt;三阳第二网格&lt;/b&gt;", "Community"} {
		if !strings.Contains(b, w) {
			t.Errorf("community page lacks %q", w)
		}
	}
	// The city lists its districts.
	if b = body(t, get(t, mux, "/grids/420100")); !strings.Contains(b, `href="/grids/420103"`) {
		t.Error("city page does not list its districts")
	}

	for target, text := range map[string]string{
		"/grids/420102001001999": "没有找到编码为 420102001001999 的区域",
		"/grids/abc":             "“abc”不是有效的编码",
	} {
		res := get(t, mux, target)
		b := body(t, res)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(b, text) {
			t.Errorf("%s: status %d, body lacks %q", target, res.StatusCode, text)
		}
	}
}

func TestStatic(t *testing.T) {
	ui, err := New(Config{}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	hash := ui.hashes["app.css"]
	if hash == "" {
		t.Fatal("no hash for app.css")
	}
	page := body(t, get(t, mux, "/"))
	if !strings.Contains(page, "/static/app.css?v="+hash) {
		t.Error("page does not link app.css with its hash")
	}
	res := get(t, mux, "/static/app.css?v="+hash)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("hashed: %d %q %q", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
	}
	res = get(t, mux, "/static/app.css")
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
		t.Errorf("unhashed: %q %q", res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
	}
	if res := get(t, mux, "/static/app.css", "If-None-Match", `"`+hash+`"`); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", res.StatusCode)
	}
	for _, p := range []string{"/static/", "/static/vendor/", "/static/nope.js", "/static/vendor"} {
		if res := get(t, mux, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}
