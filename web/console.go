package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// reportView is what the report page offers: the catalogue by group.
type reportView struct {
	Groups []catGroup
	// Patrol: the reporter is a grid worker, who may file what they find on
	// patrol (and then handle it on the spot, 自处置).
	Patrol bool
	// Phone is the community's number for those who cannot report online.
	Phone string
}

type catGroup struct {
	Key, Name string
	Items     []catOption
}

type catOption struct {
	Code, Name, Icon, Limit string
	// Search is what the report page's search box matches: both names, the
	// group's names, the keywords and the residents' synonyms.
	Search string
}

// handleReport serves /report, the resident's three steps: place, category,
// photo and words. The page is complete without scripts (the steps and the
// catalogue are in it); report.js adds the map, the photo downscaling, the
// duplicate check and the submission.
func (ui *UI) handleReport(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	groups, err := ui.categoryGroups(r.Context(), p)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	rv := &reportView{Groups: groups, Phone: ui.cfg.CommunityPhone}
	for _, g := range actor.Grants {
		if g.Role == civicgrid.RoleGridWorker {
			rv.Patrol = true
		}
	}
	p.Report = rv
	p.Title = p.catalogue["report.title"]
	p.Config = &jsConfig{Lang: p.Lang, Map: ui.cfg.Map.config(), Zoom: ui.cfg.Zoom,
		Messages: p.messages("report.", "upload.", "status.", "map.", "places.", "level."), CSRF: actor.CSRFToken}
	if ui.hasMap {
		p.Config.Assets = map[string]string{"leafletJS": ui.assetURL(leafletJS), "leafletCSS": ui.assetURL("vendor/leaflet/leaflet.css")}
		p.Config.Scripts = ui.mapScripts(false)
	}
	if ui.cfg.Center != [2]float64{} {
		c := ui.cfg.Center
		p.Config.Center = &c
	}
	ui.render(w, http.StatusOK, "report", p)
}

// categoryGroups is the active catalogue under the headings in residents'
// words (casework.GroupForResidents), in the page's language, as the report
// and patrol forms offer it.
func (ui *UI) categoryGroups(ctx context.Context, p *page) ([]catGroup, error) {
	_, cats, err := ui.categories(ctx)
	if err != nil {
		return nil, err
	}
	rgs, err := casework.GroupForResidents(cats)
	if err != nil {
		return nil, err
	}
	synonyms := casework.Synonyms()
	groups := make([]catGroup, len(rgs))
	for i, g := range rgs {
		groups[i] = catGroup{Key: g.Key, Name: g.NameZH}
		if p.Lang == "en" && g.NameEN != "" {
			groups[i].Name = g.NameEN
		}
		for _, c := range g.Items {
			search := strings.Join([]string{c.NameZH, c.NameEN, g.NameZH, g.NameEN, c.Keyword, synonyms[c.Code]}, " ")
			groups[i].Items = append(groups[i].Items, catOption{Code: c.Code, Name: p.catName(c), Icon: c.Icon,
				Limit: p.humanLimit(c.ResolveWithin), Search: strings.ToLower(search)})
		}
	}
	return groups, nil
}

// humanLimit says a deadline limit ("2h", "3d", "5wh", "1wd") in words.
func (p *page) humanLimit(limit string) string {
	for _, unit := range []string{"wh", "wd", "h", "d"} {
		if n, ok := strings.CutSuffix(limit, unit); ok {
			if _, err := strconv.Atoi(n); err == nil {
				s, _ := p.T("limit."+unit, "n", n)
				return s
			}
		}
	}
	return limit
}

// consoleView is the staff console: one work queue (or a search) at a
// time as a compact list, a page at a time, with the chosen case's steps in
// a pane beside it (below it on a phone).
type consoleView struct {
	Tab      string
	Tabs     []consoleTab
	Rows     []consoleRow
	Next     string // the next page ("" on the last)
	First    string // the first page ("" on it)
	Case     *caseItem
	CaseArea string
	CaseURL  string // the pane's own address, where its forms come back to
	Close    string // the list without the pane
	Batch    []option
	Back     string
	Filter   consoleFilter
	Statuses []option
	Cats     []option
	Areas    []option
	CSV      string
}

type consoleFilter struct {
	Status, Category, Within string
	Overdue                  bool
}

// consoleTab is one list of the console.
type consoleTab struct {
	Key, Label, URL string
	Current         bool
}

// consoleRow is one line of the compact list.
type consoleRow struct {
	caseItem
	AreaName string
	URL      string // the list with this case in the pane
	Selected bool
}

// consolePage is how many cases a page of the console lists.
const consolePage = 50

// consoleTabs are the console's lists: a work queue of one status worked
// from its oldest deadline, the cases waiting for a decision, or a search.
var consoleTabs = []string{"triage", "dispatch", "approvals", "search"}

// batchActions are the steps the console takes on several checked cases.
var batchActions = []civicgrid.CaseAction{civicgrid.CaseRegister, civicgrid.CaseDispatch}

// handleConsole serves /console for community and street staff. The list
// carries no forms: the chosen case (?case=ID) is read alone, with its
// forms and its likely duplicates, so a page costs one list read however
// many cases wait. ?partial=pane gives the pane alone, for the script.
func (ui *UI) handleConsole(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	q := r.URL.Query()
	if id := strings.TrimPrefix(strings.TrimSpace(q.Get("q")), "#"); id != "" {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			http.Redirect(w, r, "/cases/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
			return
		}
	}
	byCode, cats, err := ui.categories(ctx)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	cv := &consoleView{Tab: q.Get("tab"), Filter: consoleFilter{Status: q.Get("status"), Category: q.Get("category"),
		Within: strings.TrimSpace(q.Get("within")), Overdue: q.Get("overdue") == "1"}}
	if !slices.Contains(consoleTabs, cv.Tab) {
		cv.Tab = "triage"
	}
	if cv.Filter.Status == "" {
		cv.Filter.Status = "open"
	}
	p.Title = p.catalogue["console.title"]
	p.flash(r)
	p.Console = cv
	if len(actor.Scopes(civicgrid.ActionReadCase)) == 0 {
		p.Message = p.catalogue["console.no_scope"]
		ui.render(w, http.StatusForbidden, "console", p)
		return
	}
	// The list's address without its page and pane, for links to both.
	base := url.Values{}
	for _, k := range []string{"tab", "status", "category", "within", "overdue"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	link := func(set ...string) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i+1 < len(set); i += 2 {
			if set[i+1] == "" {
				v.Del(set[i])
			} else {
				v.Set(set[i], set[i+1])
			}
		}
		if len(v) == 0 {
			return "/console"
		}
		return "/console?" + v.Encode()
	}
	for _, t := range consoleTabs {
		cv.Tabs = append(cv.Tabs, consoleTab{Key: t, Label: p.catalogue["console.tab_"+t], URL: link("tab", t), Current: t == cv.Tab})
	}
	page := link("from", q.Get("from"))
	cv.Back = page

	if id, err := strconv.ParseInt(q.Get("case"), 10, 64); err == nil && id > 0 {
		v, err := ui.cfg.Cases.Get(ctx, actor, id)
		if err == nil {
			it := p.item(v, byCode)
			cv.CaseURL = link("from", q.Get("from"), "case", strconv.FormatInt(id, 10))
			// Evidence with photos is handed in on the case page.
			it.Forms = ui.forms(ctx, p, it, cv.CaseURL, civicgrid.CaseComment, civicgrid.CaseHandle, civicgrid.CaseSelfHandle)
			cv.Case, cv.CaseArea = &it, ui.areaName(ctx, it.GridCode)
			cv.Close = page
		} else if code := civicgrid.ErrorCode(err); code != civicgrid.ENOTFOUND {
			ui.renderError(w, r, p, err)
			return
		}
	}
	if q.Get("partial") == "pane" {
		ui.renderPartial(w, "console", "consolepane", p)
		return
	}

	lq := casework.ListQuery{Within: cv.Filter.Within, Overdue: cv.Filter.Overdue}
	if cv.Filter.Category != "" {
		lq.Category = []string{cv.Filter.Category}
	}
	keep := func(casework.View) bool { return true }
	switch cv.Tab {
	case "triage":
		lq.Status, lq.Order = []civicgrid.CaseStatus{civicgrid.StatusReported}, civicgrid.OrderRespondBy
	case "dispatch":
		lq.Status, lq.Order = []civicgrid.CaseStatus{civicgrid.StatusRegistered}, civicgrid.OrderRespondedAt
	case "approvals":
		lq.Status = []civicgrid.CaseStatus{civicgrid.StatusDispatched, civicgrid.StatusInProgress, civicgrid.StatusHandled, civicgrid.StatusVerified}
		keep = func(v casework.View) bool {
			return slices.ContainsFunc(v.Actions, func(a civicgrid.CaseAction) bool { return slices.Contains(decisions, a) })
		}
	case "search":
		switch cv.Filter.Status {
		case "open":
			lq.Status = openStatuses
		case "all":
		default:
			lq.Status = []civicgrid.CaseStatus{civicgrid.CaseStatus(cv.Filter.Status)}
		}
	}
	if lq.From, lq.After, err = parseCursor(q.Get("from")); err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}
	vs, next, err := ui.consoleList(ctx, actor, lq, keep)
	if err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}
	names := ui.areaNames(r)
	for _, v := range vs {
		it := p.item(v, byCode)
		row := consoleRow{caseItem: it, AreaName: names(v.GridCode), URL: link("from", q.Get("from"), "case", strconv.FormatInt(v.ID, 10))}
		if row.AreaName == "" {
			row.AreaName = v.GridCode
		}
		row.Selected = cv.Case != nil && cv.Case.ID == v.ID
		cv.Rows = append(cv.Rows, row)
	}
	if next != "" {
		cv.Next = link("from", next)
	}
	if q.Get("from") != "" {
		cv.First = link("from", "")
	}
	for _, a := range batchActions {
		if cv.Tab == "triage" && a == civicgrid.CaseRegister || cv.Tab == "dispatch" && a == civicgrid.CaseDispatch {
			cv.Batch = append(cv.Batch, option{string(a), p.catalogue["console.batch_"+string(a)]})
		}
	}

	cv.Statuses = []option{{"open", p.catalogue["console.status_open"]}, {"all", p.catalogue["console.status_all"]}}
	for _, s := range civicgrid.CaseStatuses {
		cv.Statuses = append(cv.Statuses, option{string(s), p.statusName(s)})
	}
	cv.Cats = []option{{"", p.catalogue["console.category_all"]}}
	for _, c := range cats {
		cv.Cats = append(cv.Cats, option{c.Code, c.Icon + " " + p.catName(c)})
	}
	cv.Areas = append([]option{{"", p.catalogue["console.area_all"]}}, ui.areaPicker(r, actor.Scopes(civicgrid.ActionReadCase))...)
	if cv.Filter.Within != "" && !slices.ContainsFunc(cv.Areas, func(o option) bool { return o.Value == cv.Filter.Within }) {
		cv.Areas = append(cv.Areas, option{cv.Filter.Within, ui.areaName(ctx, cv.Filter.Within)})
	}
	csv := url.Values{}
	if lq.Status != nil {
		var ss []string
		for _, s := range lq.Status {
			ss = append(ss, string(s))
		}
		csv.Set("status", strings.Join(ss, ","))
	}
	if cv.Filter.Category != "" {
		csv.Set("category", cv.Filter.Category)
	}
	if cv.Filter.Within != "" {
		csv.Set("within", cv.Filter.Within)
	}
	if cv.Filter.Overdue {
		csv.Set("overdue", "true")
	}
	csv.Set("lang", p.Lang)
	cv.CSV = "/api/v1/cases.csv?" + csv.Encode()
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("console.", "upload."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "console", p)
}

type pickerEntry struct {
	at   time.Time
	opts []option
}

// pickerTTL is how long an area picker is kept: an area import shows in
// the pickers within it.
const pickerTTL = time.Minute

// areaPicker lists the areas of scopes for the console's picker, read at
// most once a pickerTTL for the same scopes.
func (ui *UI) areaPicker(r *http.Request, scopes []string) []option {
	key := strings.Join(scopes, ",")
	if e, ok := ui.pickers.Load(key); ok && time.Since(e.(pickerEntry).at) < pickerTTL {
		return e.(pickerEntry).opts
	}
	opts := ui.scopeAreas(r, scopes)
	ui.pickers.Store(key, pickerEntry{at: time.Now(), opts: opts})
	return opts
}

// decisions are the steps the approvals list is for.
var decisions = []civicgrid.CaseAction{civicgrid.CaseApproveExtension, civicgrid.CaseDenyExtension, civicgrid.CaseApproveSuspend,
	civicgrid.CaseDenySuspend, civicgrid.CaseApproveCancel, civicgrid.CaseDenyCancel, civicgrid.CaseVerify, civicgrid.CaseClose}

// consoleList reads one page of lq: the first consolePage cases that keep
// accepts, read from the store a page at a time from the cursor, and the
// cursor of the next page ("" when the list ends there). A list that keeps
// few cases ends its page after a few reads, with a next page, so a page
// never reads the whole store.
func (ui *UI) consoleList(ctx context.Context, actor civicgrid.Actor, lq casework.ListQuery, keep func(casework.View) bool) ([]casework.View, string, error) {
	lq.Limit = consolePage + 1
	var out []casework.View
	for range 4 {
		vs, err := ui.cfg.Cases.List(ctx, actor, lq)
		if err != nil {
			return nil, "", err
		}
		for _, v := range vs {
			if keep(v) {
				out = append(out, v)
			}
		}
		if len(out) > consolePage {
			return out[:consolePage], cursorOf(out[consolePage-1], lq.Order), nil
		}
		if len(vs) < lq.Limit {
			return out, "", nil
		}
		last := vs[len(vs)-1]
		if lq.Order == civicgrid.OrderNewest {
			lq.After = last.ID
		} else {
			c := last.Cursor(lq.Order)
			lq.From = &c
		}
	}
	if len(out) == 0 {
		return nil, "", nil
	}
	return out, cursorOf(out[len(out)-1], lq.Order), nil
}

// cursorOf writes where a list in order o continues after v: "ms.id" for
// an ordered list, the id for one newest first.
func cursorOf(v casework.View, o civicgrid.CaseOrder) string {
	c := v.Cursor(o)
	if o == civicgrid.OrderNewest {
		return strconv.FormatInt(c.ID, 10)
	}
	return strconv.FormatInt(c.At.UnixMilli(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// parseCursor reads a cursor written by cursorOf.
func parseCursor(s string) (*civicgrid.CaseCursor, int64, error) {
	if s == "" {
		return nil, 0, nil
	}
	bad := civicgrid.Errorf(civicgrid.EINVALID, "from: not a page of this list")
	ms, id, ordered := strings.Cut(s, ".")
	if !ordered {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, 0, bad
		}
		return nil, n, nil
	}
	at, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil, 0, bad
	}
	return &civicgrid.CaseCursor{At: time.UnixMilli(at), ID: n}, 0, nil
}

// handleConsoleBatch takes one step on the checked cases of the console:
// POST /console/batch with action and id (repeated). All or nothing: each
// case is checked as a single step would be, and one refused (out of
// scope, in another state, …) refuses the batch with that case's reason
// and nothing is written.
func (ui *UI) handleConsoleBatch(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	back := localPath(f.Get("back"))
	if !strings.HasPrefix(back, "/console") {
		back = "/console"
	}
	action := civicgrid.CaseAction(f.Get("action"))
	var ids []int64
	var err error
	for _, s := range f["id"] {
		id, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || id <= 0 {
			err = civicgrid.Errorf(civicgrid.EINVALID, "id: %q is not a case number", s)
			break
		}
		ids = append(ids, id)
	}
	switch {
	case err != nil:
	case !slices.Contains(batchActions, action):
		err = civicgrid.Errorf(civicgrid.EINVALID, "action: %q is not taken on several cases at once", action)
	case len(ids) == 0:
		err = civicgrid.Errorf(civicgrid.EINVALID, "id: no case checked")
	default:
		_, err = ui.cfg.Cases.ActMany(r.Context(), actor, ids, action, casework.Step{Note: strings.TrimSpace(f.Get("note"))})
	}
	q := outcome(action, err, "cases", ids)
	if err == nil {
		q.Set("count", strconv.Itoa(len(ids)))
	}
	http.Redirect(w, r, withQuery(back, q)+"#flash", http.StatusSeeOther)
}

// consoleError shows a refused filter (an area outside one's scope, a bad
// status) on the console instead of failing the page.
func (ui *UI) consoleError(w http.ResponseWriter, r *http.Request, p *page, cv *consoleView, err error) {
	switch civicgrid.ErrorCode(err) {
	case civicgrid.EFORBIDDEN, civicgrid.EINVALID, civicgrid.ENOTFOUND:
		p.Console = cv
		p.Message = p.catalogue["console.bad_filter"]
		ui.render(w, http.StatusBadRequest, "console", p)
	default:
		ui.renderError(w, r, p, err)
	}
}

// dashView is the indicator dashboard of one area.
type dashView struct {
	Scope, ScopeName string
	Scopes           []option
	From, To         string
	Days             int
	Total            civicgrid.Indicators
	Rates            []rateCard
	ByCategory       []catRow
	SmallInTable     bool // a rate of ByCategory rests on few cases
	SmallSample      int  // civicgrid.SmallSample
	Trend            []trendRow
	TrendMax         int64
	Bucket           string // asked for ("" automatic)
	TrendBucket      string // used
	Buckets          []option
	TrendData        *trendData // for the chart script
	Map              *choropleth
	Metric           string
	Metrics          []option
	Ranking          []rankRow  // the areas one level down, by reports
	Lectures         []rateCard // lectures held and their attendance in the scope and period
	Volunteers       []rateCard // the volunteer service's indicators in the scope and period
}

// rateCard is one figure; a rate also shows its numerator, denominator
// and formula, and a mark when it rests on few cases.
type rateCard struct {
	Label, Value string
	Fraction     string // "12 / 15"; "" for a count
	Formula      string
	Small        bool
	SmallNote    string
}

type catRow struct {
	Name, Icon   string
	Received     int64
	Closed       int64
	Closure      rateCell
	Satisfaction rateCell
	Share        int // of the largest category's received, in %
}

// rateCell is a rate in a table: the value, its fraction and whether the
// sample is small.
type rateCell struct {
	Value, Fraction string
	Small           bool
}

// rateLabels are the dashboard's names of the rates (civicgrid.Rates).
var rateLabels = map[string]string{"response_rate": "dash.response_rate", "closure_rate": "dash.closure_rate",
	"on_time_closure_rate": "dash.on_time_rate", "rework_rate": "dash.rework_rate", "extension_rate": "dash.extension_rate",
	"satisfaction_rate": "dash.satisfaction_rate"}

// rateCardOf shows rate r of in with its counts, formula and, below
// civicgrid.SmallSample cases, what a small sample means.
func rateCardOf(p *page, in civicgrid.Indicators, r civicgrid.Rate) rateCard {
	n, d := r.Of(in.Counters)
	rc := rateCard{Label: p.catalogue[rateLabels[r.Name]], Value: pct(in.Value(r.Name)), Fraction: fmt.Sprintf("%d / %d", n, d),
		Small: civicgrid.Small(d)}
	rc.Formula, _ = p.T("dash.formula_"+r.Name, "n", n, "d", d)
	if rc.Small {
		rc.SmallNote, _ = p.T("dash.small_sample_note", "d", d, "min", civicgrid.SmallSample, "step", math.Round(100/float64(d)))
	}
	return rc
}

func rateCellOf(in civicgrid.Indicators, name string) rateCell {
	for _, r := range civicgrid.Rates {
		if r.Name == name {
			n, d := r.Of(in.Counters)
			return rateCell{Value: pct(in.Value(name)), Fraction: fmt.Sprintf("%d / %d", n, d), Small: civicgrid.Small(d)}
		}
	}
	return rateCell{Value: "—"}
}

// trendRow is one bucket of the trend table.
type trendRow struct {
	Label, Title       string // "11-23", "11-17 – 11-23", "2026-11"; the full dates
	Received, Closed   int64
	RecvPct, ClosedPct int
	Response           rateCell
}

// trendData is the trend handed to the chart script in a JSON block, with
// its words, so the script holds no text.
type trendData struct {
	Labels   []string          `json:"labels"`
	Received []int64           `json:"received"`
	Closed   []int64           `json:"closed"`
	Messages map[string]string `json:"messages"`
}

// choropleth is a server-drawn map of grids shaded by an indicator, with
// the same figures as a table for screen readers and keyboards.
type choropleth struct {
	ViewBox string
	Cells   []cell
	Legend  []legendStep
	Alerts  int // grids with an open alert
}

type cell struct {
	Code, Name, Path, Value string
	Class                   int // 0 no data, 1–5 light to dark
	// Alert is the newest open early-warning alert covering the grid (0:
	// none): the cell is outlined and links to it on the alerts page.
	Alert int64
	Scope string // the alerts page's area for the link
}

type legendStep struct {
	Class int
	Label string
}

// handleDashboard serves /dashboard: the indicators of an area over the last
// days, their trend, the categories and a choropleth of the area's grids.
func (ui *UI) handleDashboard(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	q := r.URL.Query()
	p.Title = p.catalogue["dash.title"]
	scopes := actor.Scopes(civicgrid.ActionReadIndicators)
	if len(scopes) == 0 {
		p.Message = p.catalogue["dash.no_scope"]
		p.Dash = &dashView{}
		ui.render(w, http.StatusForbidden, "dashboard", p)
		return
	}
	dv := &dashView{Scope: q.Get("scope"), Days: 30, Metric: q.Get("metric"), SmallSample: civicgrid.SmallSample}
	if dv.Scope == "" {
		dv.Scope = scopes[0]
	}
	if n, err := strconv.Atoi(q.Get("days")); err == nil && n >= 1 && n <= 366 {
		dv.Days = n
	}
	dv.Bucket = q.Get("bucket")
	switch dv.Bucket {
	case civicgrid.BucketDay, civicgrid.BucketWeek, civicgrid.BucketMonth:
	default:
		dv.Bucket = ""
	}
	for _, b := range []string{"", civicgrid.BucketDay, civicgrid.BucketWeek, civicgrid.BucketMonth} {
		dv.Buckets = append(dv.Buckets, option{b, p.catalogue["dash.bucket_"+cmp.Or(b, "auto")]})
	}
	switch dv.Metric {
	case "closure_rate", "satisfaction_rate", "received":
	default:
		dv.Metric = "received"
	}
	for _, m := range []string{"received", "closure_rate", "satisfaction_rate"} {
		dv.Metrics = append(dv.Metrics, option{m, p.catalogue["dash.metric_"+m]})
	}
	today := ui.now().In(civicgrid.Beijing)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, civicgrid.Beijing)
	from := to.AddDate(0, 0, -(dv.Days - 1))
	iq := casework.IndicatorQuery{Scope: dv.Scope, From: from, To: to}
	total, err := ui.cfg.Cases.Indicators(ctx, actor, iq)
	if err != nil {
		if code := civicgrid.ErrorCode(err); code == civicgrid.EFORBIDDEN || code == civicgrid.EINVALID {
			p.Message = p.catalogue["dash.bad_scope"]
			p.Dash = &dashView{}
			ui.render(w, http.StatusForbidden, "dashboard", p)
			return
		}
		ui.renderError(w, r, p, err)
		return
	}
	dv.Total, dv.From, dv.To = total, total.From, total.To
	dv.ScopeName = ui.areaName(ctx, dv.Scope)
	for _, s := range scopes {
		dv.Scopes = append(dv.Scopes, option{s, ui.areaName(ctx, s)})
	}
	// The areas one level down, so staff can look closer.
	if child := childLevel(civicgrid.LevelOfCode(dv.Scope)); child != "" && child != civicgrid.LevelBuilding {
		if kids, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: child, Within: civicgrid.SubtreePrefix(dv.Scope), Limit: 200}); err == nil {
			for _, k := range kids {
				dv.Scopes = append(dv.Scopes, option{k.Code, "— " + k.Name})
			}
		}
	}
	dv.Rates = []rateCard{{Label: p.catalogue["dash.received"], Value: strconv.FormatInt(total.Counters.Received, 10)}}
	for _, r := range civicgrid.Rates {
		dv.Rates = append(dv.Rates, rateCardOf(p, total, r))
	}
	dv.Rates = append(dv.Rates, rateCard{Label: p.catalogue["dash.mean_close"], Value: hours(p, total.MeanCloseHours)})
	byCode, _, err := ui.categories(ctx)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	if rows, err := ui.cfg.Cases.IndicatorsByCategory(ctx, actor, iq); err == nil {
		var top int64 = 1
		for _, row := range rows {
			top = max(top, row.Counters.Received)
		}
		for _, row := range rows {
			cr := catRow{Name: row.Category, Received: row.Counters.Received, Closed: row.Counters.Closed, Closure: rateCellOf(row, "closure_rate"),
				Satisfaction: rateCellOf(row, "satisfaction_rate"), Share: int(row.Counters.Received * 100 / top)}
			dv.SmallInTable = dv.SmallInTable || cr.Closure.Small || cr.Satisfaction.Small
			if cat, ok := byCode[row.Category]; ok {
				cr.Name, cr.Icon = p.catName(cat), cat.Icon
			}
			dv.ByCategory = append(dv.ByCategory, cr)
		}
	}
	if trend, err := ui.cfg.Cases.IndicatorTrend(ctx, actor, iq, dv.Bucket); err == nil {
		dv.TrendBucket = trend.Bucket
		dv.TrendData = &trendData{Messages: map[string]string{"received": p.catalogue["dash.received"], "closed": p.catalogue["dash.closed"]}}
		for _, b := range trend.Buckets {
			row := trendRow{Label: bucketLabel(trend.Bucket, b.From, b.To), Title: b.From, Received: b.Counters.Received,
				Closed: b.Counters.Closed, Response: rateCellOf(b, "response_rate")}
			if b.To != b.From {
				row.Title += " – " + b.To
			}
			dv.Trend = append(dv.Trend, row)
			dv.TrendMax = max(dv.TrendMax, row.Received, row.Closed)
			dv.TrendData.Labels = append(dv.TrendData.Labels, row.Label)
			dv.TrendData.Received = append(dv.TrendData.Received, row.Received)
			dv.TrendData.Closed = append(dv.TrendData.Closed, row.Closed)
		}
	}
	for i := range dv.Trend {
		if dv.TrendMax > 0 {
			dv.Trend[i].RecvPct = int(dv.Trend[i].Received * 100 / dv.TrendMax)
			dv.Trend[i].ClosedPct = int(dv.Trend[i].Closed * 100 / dv.TrendMax)
		}
	}
	if p.ChartCSS = ui.chartCSS(); p.ChartCSS != "" {
		p.ChartScripts = []string{ui.assetURL(chartJS), ui.assetURL("trend.js")}
	}
	dv.Map = ui.gridMap(r, p, actor, dv, from, to)
	dv.Ranking = ui.ranking(ctx, actor, dv.Scope, from, to)
	dv.Lectures = ui.lectureCards(ctx, p, actor, dv.Scope, from, to.AddDate(0, 0, 1))
	dv.Volunteers = ui.volunteerCards(ctx, p, actor, dv.Scope, from, to)
	p.Dash = dv
	ui.render(w, http.StatusOK, "dashboard", p)
}

// lectureCards shows, beside the case indicators, the lectures held in the
// scope and period (cancelled ones not counted) and their attendance, read
// through the lecture service's counts (one query); none without lectures.
func (ui *UI) lectureCards(ctx context.Context, p *page, actor civicgrid.Actor, scope string, from, to time.Time) []rateCard {
	if ui.cfg.Lectures == nil {
		return nil
	}
	st, err := ui.cfg.Lectures.Stats(ctx, actor, scope, from, to)
	if err != nil {
		return nil
	}
	var held, seated, attended int
	for _, s := range st {
		held, seated, attended = held+s.Lectures, seated+s.Confirmed, attended+s.Attended
	}
	cards := []rateCard{{Label: p.catalogue["dash.lectures_held"], Value: strconv.Itoa(held)}}
	att := rateCard{Label: p.catalogue["dash.lecture_attendance"], Value: "—", Fraction: fmt.Sprintf("%d / %d", attended, seated),
		Formula: p.catalogue["dash.lecture_attendance_formula"] + fmt.Sprintf(" = %d / %d", attended, seated)}
	if seated > 0 {
		att.Value = fmt.Sprintf("%.1f%%", float64(attended)*100/float64(seated))
	}
	return append(cards, att)
}

// bucketLabel names a trend bucket briefly: "11-23" (a day), "11-17–11-23"
// (a week), "2026-11" (a month), from its first and last day (yyyy-mm-dd).
func bucketLabel(size, from, to string) string {
	switch size {
	case civicgrid.BucketMonth:
		return from[:7]
	case civicgrid.BucketWeek:
		if from != to {
			return from[5:] + "–" + to[5:]
		}
	}
	return from[5:]
}

// maxMapGrids bounds the grids of a choropleth (one indicator query each).
const maxMapGrids = 500

// gridMap shades the grids of the scope by the chosen metric.
func (ui *UI) gridMap(r *http.Request, p *page, actor civicgrid.Actor, dv *dashView, from, to time.Time) *choropleth {
	ctx := r.Context()
	grids, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid, Within: civicgrid.SubtreePrefix(dv.Scope), Limit: maxMapGrids})
	if err != nil || len(grids) == 0 {
		return nil
	}
	values := make([]*float64, len(grids))
	var hi float64
	for i, g := range grids {
		in, err := ui.cfg.Cases.Indicators(ctx, actor, casework.IndicatorQuery{Scope: g.Code, From: from, To: to})
		if err != nil {
			continue
		}
		var v *float64
		switch dv.Metric {
		case "closure_rate":
			v = in.ClosureRate
		case "satisfaction_rate":
			v = in.SatisfactionRate
		default:
			n := float64(in.Counters.Received)
			v = &n
		}
		values[i] = v
		if v != nil {
			hi = max(hi, *v)
		}
	}
	rate := dv.Metric != "received"
	if rate {
		hi = 1
	} else {
		hi = math.Max(5, math.Ceil(hi/5)*5) // whole numbers in the legend
	}
	var shapes []orb.Geometry
	for _, g := range grids {
		shapes = append(shapes, g.Geometry)
	}
	vb, paths := projectShapes(shapes, 640)
	if vb == "" {
		return nil
	}
	m := &choropleth{ViewBox: vb}
	classOf := func(v float64) int {
		if hi <= 0 {
			return 1
		}
		return min(5, 1+int(math.Floor(v/hi*5)))
	}
	format := func(v float64) string {
		if rate {
			return fmt.Sprintf("%.0f%%", v*100)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for i, g := range grids {
		if paths[i] == "" {
			continue
		}
		c := cell{Code: g.Code, Name: g.Name, Path: paths[i], Value: p.catalogue["dash.no_data"]}
		if values[i] != nil && (rate || *values[i] > 0) {
			c.Class, c.Value = classOf(*values[i]), format(*values[i])
		} else if values[i] != nil {
			c.Value = "0"
		}
		m.Cells = append(m.Cells, c)
	}
	ui.markAlerts(ctx, actor, dv.Scope, m)
	m.Legend = append(m.Legend, legendStep{0, p.catalogue["dash.no_data"]})
	for k := 1; k <= 5; k++ {
		lo, up := hi*float64(k-1)/5, hi*float64(k)/5
		m.Legend = append(m.Legend, legendStep{k, format(roundTo(lo, rate)) + "–" + format(roundTo(up, rate))})
	}
	return m
}

// markAlerts marks the map's grids covered by an open early-warning alert
// the reader may read (a cluster marks each of its grids), newest first.
func (ui *UI) markAlerts(ctx context.Context, actor civicgrid.Actor, scope string, m *choropleth) {
	if ui.cfg.Warning == nil || civicgrid.Authorize(actor, civicgrid.ActionReadWarnings, civicgrid.In(scope)) != nil {
		return
	}
	as, err := ui.cfg.Warning.List(ctx, actor, scope, civicgrid.AlertOpen)
	if err != nil {
		return
	}
	alertOf := map[string]int64{}
	for _, a := range as {
		for _, g := range append([]string{a.Grid}, a.Grids...) {
			if alertOf[g] < a.ID {
				alertOf[g] = a.ID
			}
		}
	}
	for i := range m.Cells {
		if id := alertOf[m.Cells[i].Code]; id != 0 {
			m.Cells[i].Alert, m.Cells[i].Scope = id, scope
			m.Alerts++
		}
	}
}

func roundTo(v float64, rate bool) float64 {
	if rate {
		return math.Round(v*100) / 100
	}
	return math.Round(v*10) / 10
}

// projectShapes fits polygons into a viewBox width wide, like the area
// outline; it returns one path per shape ("" for a shape without area).
func projectShapes(shapes []orb.Geometry, width float64) (string, []string) {
	var b orb.Bound
	first := true
	for _, s := range shapes {
		if !isPolygonal(s) {
			continue
		}
		if first {
			b, first = s.Bound(), false
		} else {
			b = b.Union(s.Bound())
		}
	}
	if first {
		return "", nil
	}
	k := math.Cos(b.Center()[1] * math.Pi / 180)
	w, h := (b.Max[0]-b.Min[0])*k, b.Max[1]-b.Min[1]
	if w <= 0 || h <= 0 {
		return "", nil
	}
	scale := width / w
	project := func(pt orb.Point) (float64, float64) {
		return (pt[0] - b.Min[0]) * k * scale, (b.Max[1] - pt[1]) * scale
	}
	paths := make([]string, len(shapes))
	for i, s := range shapes {
		if isPolygonal(s) {
			paths[i] = pathData(s, project)
		}
	}
	pad := 2.0
	return strings.Join([]string{num(-pad), num(-pad), num(w*scale + 2*pad), num(h*scale + 2*pad)}, " "), paths
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func hours(p *page, v *float64) string {
	if v == nil {
		return "—"
	}
	s, _ := p.T("dash.hours", "n", strconv.FormatFloat(*v, 'f', 1, 64))
	return s
}
