package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
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
	Name  string
	Items []catOption
}

type catOption struct {
	Code, Name, Icon, Limit string
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
	_, cats, err := ui.categories(r.Context())
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	rv := &reportView{Phone: ui.cfg.CommunityPhone}
	index := map[string]int{}
	for _, c := range cats {
		if !c.Active {
			continue
		}
		i, ok := index[c.Group]
		if !ok {
			i = len(rv.Groups)
			index[c.Group] = i
			name := c.Group
			if v, ok := p.catalogue["group."+c.Group]; ok {
				name = v
			}
			rv.Groups = append(rv.Groups, catGroup{Name: name})
		}
		rv.Groups[i].Items = append(rv.Groups[i].Items, catOption{Code: c.Code, Name: p.catName(c), Icon: c.Icon,
			Limit: p.humanLimit(c.ResolveWithin)})
	}
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

// consoleView is the staff console: triage, dispatch and a filtered list.
type consoleView struct {
	Triage    []caseItem // reported
	Dispatch  []caseItem // registered
	Approvals []caseItem // waiting for an extension, suspension or cancellation decision
	Results   []caseItem
	Filter    consoleFilter
	Statuses  []option
	Cats      []option
	CSV       string
	More      bool
}

type consoleFilter struct {
	Status, Category, Within, Q string
	Overdue                     bool
}

// consoleLimit bounds each list of the console.
const consoleLimit = 100

// handleConsole serves /console for community and street staff: triage
// (register, reject with a reason, merge), dispatch, pending approvals and
// a case search with filters and a CSV export.
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
	cv := &consoleView{Filter: consoleFilter{Status: q.Get("status"), Category: q.Get("category"), Within: strings.TrimSpace(q.Get("within")),
		Overdue: q.Get("overdue") == "1"}}
	if cv.Filter.Status == "" {
		cv.Filter.Status = "open"
	}
	p.Title = p.catalogue["console.title"]
	p.flash(r)
	if len(actor.Scopes(civicgrid.ActionReadCase)) == 0 {
		p.Console = cv
		p.Message = p.catalogue["console.no_scope"]
		ui.render(w, http.StatusForbidden, "console", p)
		return
	}
	list := func(lq casework.ListQuery) ([]caseItem, bool, error) {
		lq.Limit = consoleLimit
		vs, more, err := ui.urgentFirst(ctx, actor, lq)
		if err != nil {
			return nil, false, err
		}
		out := make([]caseItem, 0, len(vs))
		for _, v := range vs {
			out = append(out, p.item(v, byCode))
		}
		urgency(out)
		return out, more, nil
	}
	back := r.URL.RequestURI()
	only := func(it caseItem, keep ...civicgrid.CaseAction) []actionForm {
		var skip []civicgrid.CaseAction
		for _, a := range it.Actions {
			if !containsAction(keep, a) {
				skip = append(skip, a)
			}
		}
		return ui.forms(ctx, p, it, back, skip...)
	}
	if cv.Triage, _, err = list(casework.ListQuery{Within: cv.Filter.Within, Status: []civicgrid.CaseStatus{civicgrid.StatusReported}}); err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}
	for i := range cv.Triage {
		cv.Triage[i].Forms = only(cv.Triage[i], civicgrid.CaseRegister, civicgrid.CaseReject, civicgrid.CaseMerge)
	}
	if cv.Dispatch, _, err = list(casework.ListQuery{Within: cv.Filter.Within, Status: []civicgrid.CaseStatus{civicgrid.StatusRegistered}}); err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}
	for i := range cv.Dispatch {
		cv.Dispatch[i].Forms = only(cv.Dispatch[i], civicgrid.CaseDispatch)
	}
	working, _, err := list(casework.ListQuery{Within: cv.Filter.Within, Status: []civicgrid.CaseStatus{civicgrid.StatusDispatched, civicgrid.StatusInProgress, civicgrid.StatusHandled, civicgrid.StatusVerified}})
	if err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}
	for _, it := range working {
		if it.Pending != "" || it.Status == civicgrid.StatusHandled || it.Status == civicgrid.StatusVerified {
			it.Forms = only(it, civicgrid.CaseApproveExtension, civicgrid.CaseDenyExtension, civicgrid.CaseApproveSuspend,
				civicgrid.CaseDenySuspend, civicgrid.CaseApproveCancel, civicgrid.CaseDenyCancel, civicgrid.CaseVerify, civicgrid.CaseClose)
			if len(it.Forms) > 0 {
				cv.Approvals = append(cv.Approvals, it)
			}
		}
	}

	lq := casework.ListQuery{Within: cv.Filter.Within, Overdue: cv.Filter.Overdue}
	switch cv.Filter.Status {
	case "open":
		lq.Status = openStatuses
	case "all":
	default:
		lq.Status = []civicgrid.CaseStatus{civicgrid.CaseStatus(cv.Filter.Status)}
	}
	if cv.Filter.Category != "" {
		lq.Category = []string{cv.Filter.Category}
	}
	if cv.Results, cv.More, err = list(lq); err != nil {
		ui.consoleError(w, r, p, cv, err)
		return
	}

	cv.Statuses = []option{{"open", p.catalogue["console.status_open"]}, {"all", p.catalogue["console.status_all"]}}
	for _, s := range civicgrid.CaseStatuses {
		cv.Statuses = append(cv.Statuses, option{string(s), p.statusName(s)})
	}
	cv.Cats = []option{{"", p.catalogue["console.category_all"]}}
	for _, c := range cats {
		cv.Cats = append(cv.Cats, option{c.Code, c.Icon + " " + p.catName(c)})
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
	p.Console = cv
	ui.render(w, http.StatusOK, "console", p)
}

func containsAction(as []civicgrid.CaseAction, a civicgrid.CaseAction) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
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
	Trend            []trendDay
	TrendMax         int64
	Map              *choropleth
	Metric           string
	Metrics          []option
}

type rateCard struct {
	Label, Value string
}

type catRow struct {
	Name, Icon   string
	Received     int64
	Closed       int64
	Closure      string
	Satisfaction string
	Share        int // of the largest category's received, in %
}

type trendDay struct {
	Day                string
	Received, Closed   int64
	RecvPct, ClosedPct int
}

// choropleth is a server-drawn map of grids shaded by an indicator, with
// the same figures as a table for screen readers and keyboards.
type choropleth struct {
	ViewBox string
	Cells   []cell
	Legend  []legendStep
}

type cell struct {
	Code, Name, Path, Value string
	Class                   int // 0 no data, 1–5 light to dark
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
	dv := &dashView{Scope: q.Get("scope"), Days: 30, Metric: q.Get("metric")}
	if dv.Scope == "" {
		dv.Scope = scopes[0]
	}
	if n, err := strconv.Atoi(q.Get("days")); err == nil && n >= 1 && n <= 366 {
		dv.Days = n
	}
	switch dv.Metric {
	case "closure_rate", "satisfaction_rate", "received":
	default:
		dv.Metric = "received"
	}
	for _, m := range []string{"received", "closure_rate", "satisfaction_rate"} {
		dv.Metrics = append(dv.Metrics, option{m, p.catalogue["dash.metric_"+m]})
	}
	today := time.Now().In(civicgrid.Beijing)
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
	c := total.Counters
	dv.Rates = []rateCard{
		{p.catalogue["dash.received"], strconv.FormatInt(c.Received, 10)},
		{p.catalogue["dash.response_rate"], pct(total.ResponseRate)},
		{p.catalogue["dash.closure_rate"], pct(total.ClosureRate)},
		{p.catalogue["dash.on_time_rate"], pct(total.OnTimeClosureRate)},
		{p.catalogue["dash.rework_rate"], pct(total.ReworkRate)},
		{p.catalogue["dash.extension_rate"], pct(total.ExtensionRate)},
		{p.catalogue["dash.satisfaction_rate"], pct(total.SatisfactionRate)},
		{p.catalogue["dash.mean_close"], hours(p, total.MeanCloseHours)},
	}
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
			cr := catRow{Name: row.Category, Received: row.Counters.Received, Closed: row.Counters.Closed, Closure: pct(row.ClosureRate),
				Satisfaction: pct(row.SatisfactionRate), Share: int(row.Counters.Received * 100 / top)}
			if cat, ok := byCode[row.Category]; ok {
				cr.Name, cr.Icon = p.catName(cat), cat.Icon
			}
			dv.ByCategory = append(dv.ByCategory, cr)
		}
	}
	// The trend: one figure per day of the last 14 (or fewer) days.
	trendDays := min(dv.Days, 14)
	for d := trendDays - 1; d >= 0; d-- {
		day := to.AddDate(0, 0, -d)
		in, err := ui.cfg.Cases.Indicators(ctx, actor, casework.IndicatorQuery{Scope: dv.Scope, From: day, To: day})
		if err != nil {
			break
		}
		dv.Trend = append(dv.Trend, trendDay{Day: day.Format("01-02"), Received: in.Counters.Received, Closed: in.Counters.Closed})
		dv.TrendMax = max(dv.TrendMax, in.Counters.Received, in.Counters.Closed)
	}
	for i := range dv.Trend {
		if dv.TrendMax > 0 {
			dv.Trend[i].RecvPct = int(dv.Trend[i].Received * 100 / dv.TrendMax)
			dv.Trend[i].ClosedPct = int(dv.Trend[i].Closed * 100 / dv.TrendMax)
		}
	}
	dv.Map = ui.gridMap(r, p, actor, dv, from, to)
	p.Dash = dv
	ui.render(w, http.StatusOK, "dashboard", p)
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
	m.Legend = append(m.Legend, legendStep{0, p.catalogue["dash.no_data"]})
	for k := 1; k <= 5; k++ {
		lo, up := hi*float64(k-1)/5, hi*float64(k)/5
		m.Legend = append(m.Legend, legendStep{k, format(roundTo(lo, rate)) + "–" + format(roundTo(up, rate))})
	}
	return m
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
