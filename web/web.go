// Package web is civicgrid's browser UI: the map of the city's grids, one
// server-rendered page per area and find-by-code, in zh-CN and English.
//
// Every page is complete HTML before any script runs (find-by-code and the
// district → street → community → grid links work without JavaScript); the
// map script then draws the grids with Leaflet from the JSON API. Templates,
// message catalogues and static files are embedded in the binary.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// The parent static folder is embedded, not static/vendor itself, so the
// package compiles before scripts/vendor-assets.sh has copied Leaflet there.
//
//go:embed templates i18n static
var files embed.FS

// leafletJS is the vendored file whose presence means the map can be drawn.
const leafletJS = "vendor/leaflet/leaflet.js"

// Config sets up the map.
type Config struct {
	// PublicURL is the site's address as people reach it (--public-url):
	// QR codes and printed sheets use it when set, else the request's.
	PublicURL string
	// Map is the base map under the grids (NewProvider). The zero value,
	// like "none", draws the city's own base layer from the area registry:
	// no tile server is needed or contacted. civicgrid stores WGS-84; a
	// GCJ-02 provider's tiles are matched by shifting in the browser.
	Map Provider
	// Center (longitude, latitude) and Zoom give the first view while the
	// grids load, and the view of a city too large to show whole. A city
	// that fits is shown whole once loaded. Zero values mean China at zoom 4.
	Center [2]float64
	Zoom   int
	// Cases runs the case loop (casework.Service); nil serves no case
	// pages. People lists the grid workers a case may be dispatched to.
	Cases  Cases
	People People
	// Admin is the account administration API (server.LocalAPI); nil
	// serves no admin pages. Catalogue (casework.Service) adds the
	// category pages.
	// Webhooks (server.LocalAPI) adds the webhook pages.
	Admin     Admin
	Catalogue Catalogue
	Webhooks  Webhooks
	// Calendar (server.LocalAPI) adds the working calendar's page.
	Calendar CalendarAdmin
	// Open311Keys (server.LocalAPI) adds the Open311 client keys' page.
	Open311Keys Open311Keys
	// Inbox is the notification service; nil serves no inbox page.
	Inbox Inbox
	// Cogov runs co-governance (proposals, votes); nil serves no such pages.
	Cogov Cogov
	// Volunteer runs the volunteer service; nil serves no such pages.
	Volunteer Volunteer
	// Lookups throttles public look-ups by code (server.LocalAPI: the
	// API's per-address budget); nil throttles none.
	Lookups LookupThrottle
	// CertificateFont is the CJK TrueType font (.ttf, or a .ttc whose
	// first font is used) of certificate PDFs; "" tries
	// DefaultCertificateFonts.
	CertificateFont string
	// Lectures runs study and lecture events; nil serves no such pages.
	Lectures Lectures
	// Search runs the full-text search; nil serves no search page or box.
	Search Searcher
	// Warning runs the risk early warning; nil serves no warning pages.
	Warning Warnings
	// Care runs care visits (探访关爱); nil serves no such pages.
	Care Care
	// Notices runs notices (通知公告) and group robots; nil serves no such pages.
	Notices Notices
	// Hotline and OfficeAddress are where a resident turns when a report
	// is rejected (the city hotline, the community office); "" leaves
	// one out.
	Hotline       string
	OfficeAddress string
	// Auth is the public account API (server.LocalAPI); nil serves no
	// sign-up or password reset pages. DevSMS says codes are only written
	// to the server's log (the development sender), which the pages tell.
	Auth   Auth
	DevSMS bool
	// Now is the clock of the indicator pages' periods (time.Now if nil).
	Now func() time.Time
	// CommunityPhone is the number the report page gives those who cannot
	// report online (the area registry keeps no office phones); "" gives
	// none.
	CommunityPhone string
}

// UI serves the web pages. Create it with New and add its routes to a mux
// with Register.
type UI struct {
	cfg    Config
	areas  civicgrid.AreaStore
	static fs.FS
	hashes map[string]string // static file → short content hash, for cache busting
	hasMap bool              // Leaflet is vendored
	cats   Catalogues
	pages  map[string]*template.Template
	// pickers are the console's area pickers by the scopes they list, kept
	// a minute: reading a city's areas (with their shapes) for every page
	// cost more than the page's cases.
	pickers sync.Map // scopes → pickerEntry
	// areaNamesKept are area names by code, kept for pickerTTL like the
	// pickers: a console page names the area of every row, which was a
	// query per row.
	areaNamesKept sync.Map // code → nameEntry
	// font is the certificates' CJK font, read on first use.
	font cjkFont
}

// LookupThrottle takes one public look-up from the client's budget; an
// error (with Retry-After set) when it is spent.
type LookupThrottle interface {
	ThrottleLookup(w http.ResponseWriter, r *http.Request) error
}

// New returns the UI over areas. It fails only if the embedded files are
// broken, which is a build error.
func New(cfg Config, areas civicgrid.AreaStore) (*UI, error) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	ui := &UI{cfg: cfg, areas: areas, static: static, hashes: map[string]string{}}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ui.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	_, ui.hasMap = ui.hashes[leafletJS]
	if ui.cats, err = loadCatalogues(files); err != nil {
		return nil, err
	}
	if ui.pages, err = ui.parseTemplates(); err != nil {
		return nil, err
	}
	return ui, nil
}

// Register adds the UI's routes to mux (Go 1.22 patterns).
func (ui *UI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", ui.handleMap)
	mux.HandleFunc("GET /static/", ui.handleStatic)
	mux.HandleFunc("GET /grids/{code}", ui.handleArea)
	mux.HandleFunc("GET /find", ui.handleFind)
	mux.HandleFunc("GET /login", ui.handleLogin)
	mux.HandleFunc("GET /manifest.webmanifest", ui.handleManifest)
	mux.HandleFunc("GET /glossary", ui.handleGlossary)
	ui.registerCases(mux)
	ui.registerAdmin(mux)
	ui.registerInbox(mux)
	ui.registerAccount(mux)
	ui.registerCogov(mux)
	ui.registerVolunteer(mux)
	ui.registerLectures(mux)
	ui.registerSearch(mux)
	ui.registerWarnings(mux)
	ui.registerCare(mux)
	ui.registerNotices(mux)
}

func (ui *UI) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		// asset gives the URL of a static file with its content hash, so the
		// file can be cached for a year and still change with each release.
		"asset": ui.assetURL,
		// when shows a time in Beijing time, to the minute.
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(civicgrid.Beijing).Format("2006-01-02 15:04")
		},
		"iso": func(t time.Time) string { return t.Format(time.RFC3339) },
		// filesize shows a file's size in KB or MB ("320 KB", "1.4 MB").
		"filesize": func(n int64) string {
			if n < 1000<<10 {
				return strconv.FormatInt(max(1, (n+1023)>>10), 10) + " KB"
			}
			return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
		},
		// area shows a floor area kept in hundredths of a m² ("89.50").
		"area": civicgrid.FormatArea,
		// yuan shows an amount kept in fen as yuan ("1234.50").
		"yuan": civicgrid.FormatYuan,
		// day shows the date in Beijing time.
		"day":  func(t time.Time) string { return t.In(civicgrid.Beijing).Format("2006-01-02") },
		"term": glossaryTerm,
		// dict hands a shared template several values: (dict "P" "n" "Page" .).
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict wants key and value pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict keys are strings")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
	shared := []string{"templates/layout.html", "templates/partials.html", "templates/casekit.html", "templates/cogovkit.html"}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(files, shared...)
	if err != nil {
		return nil, err
	}
	// Every other template is a page of its own, named by its file: a new
	// module's page needs no list kept by hand.
	all, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, file := range all {
		if slices.Contains(shared, file) {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, file)
		if err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(path.Base(file), ".html")] = t
	}
	return pages, nil
}

// The trend chart's library (uPlot), vendored like Leaflet; without it
// the dashboard shows the trend as a table only.
const (
	chartJS  = "vendor/uplot/uPlot.iife.min.js"
	chartCSS = "vendor/uplot/uPlot.min.css"
)

// chartCSS is the URL of the chart's style sheet, "" when not vendored.
func (ui *UI) chartCSS() string {
	if _, ok := ui.hashes[chartJS]; !ok {
		return ""
	}
	return ui.assetURL(chartCSS)
}

// gcoordJS shifts coordinates between WGS-84 and GCJ-02 in the browser.
const gcoordJS = "vendor/gcoord/gcoord.global.prod.js"

// mapScripts lists the URLs of the map's scripts in load order: Leaflet
// (withLeaflet), gcoord when the provider draws in GCJ-02, and basemap.js.
func (ui *UI) mapScripts(withLeaflet bool) []string {
	if !ui.hasMap {
		return nil
	}
	var out []string
	if withLeaflet {
		out = append(out, ui.assetURL(leafletJS))
	}
	if ui.cfg.Map.Datum == GCJ02 {
		out = append(out, ui.assetURL(gcoordJS))
	}
	return append(out, ui.assetURL("basemap.js"))
}

// assetURL gives the URL of a static file with its content hash, so the
// file can be cached for a year and still change with each release.
func (ui *UI) assetURL(name string) string {
	if h, ok := ui.hashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// page is what every template gets. The catalogue's T method gives the
// messages of the page's language: {{.T "key"}}, {{$.T "key" "name" value}}.
type page struct {
	catalogue
	Lang     string
	Title    string
	LangNav  []langLink
	HasMap   bool
	Message  string // an error or notice shown above the find form
	FindCode string // the code to show in the find form
	// the map page
	City      string
	Directory []dirEntry
	Config    *jsConfig
	// the area page
	Area *areaView
	// Account is who is logged in (nil: nobody); Here is the page's path,
	// where logging in returns to.
	Account *accountView
	Here    string
	// the login page
	Login *loginView
	// Elder is the elderly mode (长者模式): larger text and targets, higher
	// contrast; ElderURL switches it. NeedsMap loads Leaflet's styles.
	Elder    bool
	ElderURL string
	NeedsMap bool
	// ChartCSS is the chart library's style sheet ("" without a chart),
	// ChartScripts the library and the page's chart script.
	ChartCSS     string
	ChartScripts []string
	Nav          []navLink
	// case pages
	Flash, FlashError, FlashDetail string
	Report                         *reportView
	Patrol                         *patrolView
	Cases                          []caseItem
	Case                           *caseItem
	Console                        *consoleView
	Dash                           *dashView
	Receipt                        bool     // the case page right after reporting
	MyGrids                        []string // a grid worker's grids
	NextPage                       string   // a paged list's next page
	// dispatchTargets by grid, read once per page however many of its
	// cases the page offers to dispatch
	dispatchTargets map[string]dispatchList
	// Where a resident turns about a rejected report (Config).
	Hotline, OfficeAddress string
	// Sheet is what the printable dispatch sheet adds to the case.
	Sheet    *dispatchSheet
	CanPrint bool // the case page links to the dispatch sheet
	// MapScripts are the map's scripts in load order (Leaflet, gcoord for a
	// GCJ-02 provider, basemap.js), empty when Leaflet is not vendored.
	MapScripts []string
	Admin      *adminView
	// NoStore keeps the page out of every cache (a secret shown once).
	NoStore bool
	Inbox   *inboxView
	Cogov   *cogovView
	// Households is the households page of a building (household.go).
	Households *householdView
	Courtyards *courtyardView
	// the volunteer service's pages
	Volunteer *volunteerView
	// the lecture pages
	Lecture *lectureView
	// the care visit pages
	Care *careView
	// CareEntry is the care entry a case was made from (0: none, or not
	// the reader's to see).
	CareEntry int64
	// CaseRequest is the request for help a case became (0: none, or not
	// readable by the viewer); CaseToRequest, when set, the form turning
	// the case into one.
	CaseRequest   int64
	CaseToRequest *caseToRequestForm
	// CaseProjects are the co-governance projects a case is linked to.
	CaseProjects []civicgrid.Project
	// the notice pages
	Notices *noticeView
	// the sign-up and password reset pages
	Code *codeView
	// the glossary of terms
	Glossary []glossaryEntry
	// Search is the search page; SearchBox shows the header's search box.
	Search    *searchView
	SearchBox bool
	// Unread names the unread messages in the inbox ("" none).
	Unread string
	// the early warning's pages
	Warning *warningView
	Big     *bigView
}

// navLink is an entry of the page menu.
type navLink struct {
	URL, Label string
	Current    bool
}

// accountView is the logged-in person as the header shows them.
type accountView struct {
	Name  string // masked
	Roles []string
	CSRF  string // for the logout form
}

type langLink struct {
	Lang, Label, URL string
	Current          bool
}

type dirEntry struct {
	Code, Name string
	Children   []dirEntry
}

// jsConfig is handed to the map script in a JSON block, with the messages it
// shows, so no text is written in the script itself.
type jsConfig struct {
	Lang     string            `json:"lang"`
	Map      *mapConfig        `json:"map,omitempty"`
	Center   *[2]float64       `json:"center,omitempty"` // lng, lat
	Zoom     int               `json:"zoom,omitempty"`
	Messages map[string]string `json:"messages"`
	// CSRF is the session's token for the script's API writes.
	CSRF string `json:"csrf,omitempty"`
	// Assets are files a script loads later (Leaflet on the report page),
	// and Scripts the map's scripts to load after Leaflet, in order.
	Assets  map[string]string `json:"assets,omitempty"`
	Scripts []string          `json:"scripts,omitempty"`
	// Points are the volunteer service points (服务站/驿站) the map shows.
	Points []civicgrid.ServicePoint `json:"points,omitempty"`
}

type areaLink struct {
	Code, Name string
	Level      civicgrid.Level
}

type areaView struct {
	areaLink
	Ancestors    []areaLink // the city first
	ValidFrom    time.Time
	Workers      []civicgrid.Worker // phones masked
	Children     []areaLink
	ChildLevel   civicgrid.Level
	MoreChildren bool
	Outline      *outline
	// Households: the reader keeps this building's households (household.go).
	Households bool
}

// maxChildren bounds the list of sub-areas on an area page.
const maxChildren = 500

func (ui *UI) newPage(w http.ResponseWriter, r *http.Request) *page {
	lang := pickLang(w, r)
	p := &page{catalogue: ui.cats[lang], Lang: lang, HasMap: ui.hasMap, Here: r.URL.RequestURI()}
	if a := civicgrid.ActorFromContext(r.Context()); a.Via == "session" && a.UserID != 0 {
		p.Account = &accountView{Name: civicgrid.MaskName(a.Name), CSRF: a.CSRFToken}
		for _, g := range a.Grants {
			info, _ := civicgrid.LookupRole(g.Role)
			name := info.NameZH
			if lang == "en" {
				name = info.NameEN
			}
			if !slices.Contains(p.Account.Roles, name) {
				p.Account.Roles = append(p.Account.Roles, name)
			}
		}
	}
	p.SearchBox = ui.cfg.Search != nil && p.Account != nil
	p.Elder = pickElder(w, r)
	eq := r.URL.Query()
	eq.Del("lang")
	eq.Set("elder", map[bool]string{true: "0", false: "1"}[p.Elder])
	p.ElderURL = r.URL.Path + "?" + eq.Encode()
	p.Nav = ui.nav(r, p)
	labels := map[string]string{"zh-CN": "中文", "en": "English"}
	for _, l := range languages {
		q := r.URL.Query()
		q.Del("elder")
		q.Set("lang", l)
		p.LangNav = append(p.LangNav, langLink{Lang: l, Label: labels[l], URL: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	return p
}

// render writes a page, rendered first to a buffer so that a template error
// becomes a clean 500 rather than half a page.
func (ui *UI) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := ui.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		slog.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if p.NoStore {
		h.Set("Cache-Control", "no-store")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderPartial writes one template of a page alone (a list the page's
// script swaps in).
func (ui *UI) renderPartial(w http.ResponseWriter, name, block string, p *page) {
	var buf bytes.Buffer
	if err := ui.pages[name].ExecuteTemplate(&buf, block, p); err != nil {
		slog.Error("render partial", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

func (ui *UI) renderError(w http.ResponseWriter, r *http.Request, p *page, err error) {
	slog.Error("web page", "path", r.URL.Path, "err", err)
	p.Title = p.catalogue["site.error_title"]
	p.Message = p.catalogue["site.error_body"]
	ui.render(w, failureStatus(r, err), "find", p)
}

// failureStatus is the status of a page the store failed: 503 when the
// database did not answer within the request's deadline (the server's
// table says the same for the API), 500 otherwise.
func failureStatus(r *http.Request, err error) int {
	if civicgrid.ErrorCode(err) == civicgrid.EUNAVAILABLE || errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handleMap serves the map page: the find form, the map and a directory of
// districts and streets.
func (ui *UI) handleMap(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	ctx := r.Context()
	if cities, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelCity, Limit: 1}); err == nil && len(cities) > 0 {
		p.City = cities[0].Name
	}
	if p.City != "" {
		p.Title, _ = p.T("map.title", "city", p.City)
	} else {
		p.Title = p.catalogue["map.title_generic"]
	}
	dir, err := ui.directory(ctx)
	if err != nil {
		// The map still works from the API; the list is a convenience.
		slog.Error("map page directory", "err", err)
	}
	p.Directory = dir

	msgs := map[string]string{}
	for k, v := range p.catalogue {
		if strings.HasPrefix(k, "map.") || strings.HasPrefix(k, "places.") || strings.HasPrefix(k, "panel.") || strings.HasPrefix(k, "find.") || strings.HasPrefix(k, "level.") {
			msgs[k] = v
		}
	}
	p.NeedsMap = ui.hasMap
	p.MapScripts = ui.mapScripts(true)
	p.Config = &jsConfig{Lang: p.Lang, Map: ui.cfg.Map.config(), Zoom: ui.cfg.Zoom, Messages: msgs}
	if ui.cfg.Center != [2]float64{} {
		c := ui.cfg.Center
		p.Config.Center = &c
	}
	p.Config.Points = ui.servicePoints(r)
	ui.render(w, http.StatusOK, "map", p)
}

// directory lists districts with their streets (or, in a city without
// districts, streets alone).
func (ui *UI) directory(ctx context.Context) ([]dirEntry, error) {
	districts, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelDistrict, Limit: maxChildren})
	if err != nil {
		return nil, err
	}
	streets, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelStreet, Limit: 4 * maxChildren})
	if err != nil {
		return nil, err
	}
	var out []dirEntry
	index := map[string]int{}
	for _, d := range districts {
		index[d.Code] = len(out)
		out = append(out, dirEntry{Code: d.Code, Name: d.Name})
	}
	for _, s := range streets {
		if i, ok := index[s.ParentCode]; ok {
			out[i].Children = append(out[i].Children, dirEntry{Code: s.Code, Name: s.Name})
		} else if len(districts) == 0 {
			out = append(out, dirEntry{Code: s.Code, Name: s.Name})
		}
	}
	return out, nil
}

// handleArea serves /grids/{code}: one area (of any level) with its
// ancestors, grid workers and sub-areas.
func (ui *UI) handleArea(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	code := r.PathValue("code")
	ctx := r.Context()
	if !wellFormed(code) {
		ui.notFound(w, p, "find.err_malformed", code)
		return
	}
	a, err := ui.areas.AreaByCode(ctx, code)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		ui.notFound(w, p, "find.err_unknown", code)
		return
	}
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v := &areaView{areaLink: areaLink{Code: a.Code, Name: a.Name, Level: a.Level}, ValidFrom: a.ValidFrom}
	// Walk up the parents; a missing one ends the trail rather than the page.
	for pc, n := a.ParentCode, 0; pc != "" && n < len(civicgrid.Levels); n++ {
		parent, err := ui.areas.AreaByCode(ctx, pc)
		if err != nil {
			break
		}
		v.Ancestors = append([]areaLink{{Code: parent.Code, Name: parent.Name, Level: parent.Level}}, v.Ancestors...)
		pc = parent.ParentCode
	}
	for _, wk := range a.Workers {
		v.Workers = append(v.Workers, wk.Public())
	}
	if child := childLevel(a.Level); child != "" {
		kids, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: child, Within: childPrefix(a), Limit: maxChildren + 1})
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		if len(kids) > maxChildren {
			kids, v.MoreChildren = kids[:maxChildren], true
		}
		var shapes []orb.Geometry
		for _, k := range kids {
			if k.ParentCode == a.Code {
				v.Children = append(v.Children, areaLink{Code: k.Code, Name: k.Name, Level: k.Level})
				shapes = append(shapes, k.Geometry)
			}
		}
		v.ChildLevel = child
		v.Outline = newOutline(a.Geometry, shapes)
	}
	if a.Level == civicgrid.LevelGrid && a.ParentCode != "" {
		// A grid is drawn among the other grids of its community.
		sibs, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: a.Level, Within: a.ParentCode, Limit: maxChildren})
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		var shapes []orb.Geometry
		for _, s := range sibs {
			if s.Code != a.Code && s.ParentCode == a.ParentCode {
				shapes = append(shapes, s.Geometry)
			}
		}
		v.Outline = newOutline(a.Geometry, shapes)
	}
	v.Households = a.Level == civicgrid.LevelBuilding && ui.cfg.Cogov != nil &&
		civicgrid.Authorize(civicgrid.ActorFromContext(ctx), civicgrid.ActionManageHouseholds, civicgrid.In(a.Code)) == nil
	p.Area = v
	name := a.Name
	if name == "" {
		name = a.Code
	}
	p.Title = name + " · " + p.catalogue["level."+string(a.Level)]
	ui.render(w, http.StatusOK, "area", p)
}

// childLevel is the level listed under an area: districts under a city, …,
// buildings under a grid.
func childLevel(l civicgrid.Level) civicgrid.Level {
	for i, x := range civicgrid.Levels {
		if x == l && i+1 < len(civicgrid.Levels) {
			return civicgrid.Levels[i+1]
		}
	}
	return ""
}

// childPrefix is the code prefix shared by an area's children: a city's
// districts share its first 4 digits, other children extend the code.
func childPrefix(a civicgrid.Area) string {
	if a.Level == civicgrid.LevelCity && len(a.Code) >= 4 {
		return a.Code[:4]
	}
	return a.Code
}

func (ui *UI) notFound(w http.ResponseWriter, p *page, key, code string) {
	p.Title = p.catalogue["area.not_found_title"]
	p.Message, _ = p.T(key, "code", code)
	p.FindCode = code
	ui.render(w, http.StatusNotFound, "find", p)
}

// handleFind is the target of the find-by-code form: it sends a known code on
// to its page and explains anything else.
func (ui *UI) handleFind(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	raw := strings.TrimSpace(r.URL.Query().Get("code"))
	code := normalizeCode(raw)
	p.FindCode = raw
	p.Title = p.catalogue["find.heading"]
	switch {
	case code == "":
		p.Message = p.catalogue["find.err_empty"]
		ui.render(w, http.StatusBadRequest, "find", p)
		return
	case !wellFormed(code):
		p.Message, _ = p.T("find.err_malformed", "code", raw)
		ui.render(w, http.StatusBadRequest, "find", p)
		return
	}
	_, err := ui.areas.AreaByCode(r.Context(), code)
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		ui.notFound(w, p, "find.err_unknown", code)
	case err != nil:
		slog.Error("find", "code", code, "err", err)
		p.Message = p.catalogue["find.err_failed"]
		ui.render(w, failureStatus(r, err), "find", p)
	default:
		http.Redirect(w, r, "/grids/"+url.PathEscape(code), http.StatusSeeOther)
	}
}

// normalizeCode drops the spaces and dashes people type or paste into codes
// and turns full-width digits (from Chinese input methods) into ASCII.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '０' && c <= '９':
			b.WriteRune('0' + c - '０')
		case c == ' ' || c == '\u3000' || c == '-' || c == '\t':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// wellFormed reports whether code has the digits of some level's code.
func wellFormed(code string) bool {
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	for _, l := range civicgrid.Levels[1:] { // city codes have a district's length
		if len(code) == l.CodeLen() {
			return true
		}
	}
	return false
}

// handleStatic serves the embedded static files. A request carrying the
// file's current hash (?v=, as written by the asset template function) may be
// cached for a year; any other gets revalidated by ETag.
func (ui *UI) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	hash, ok := ui.hashes[name]
	if !ok || name != path.Clean(name) {
		http.NotFound(w, r)
		return
	}
	f, err := ui.static.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	if v := r.URL.Query().Get("v"); v == hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+hash+`"`)
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, name, time.Time{}, rs)
}
