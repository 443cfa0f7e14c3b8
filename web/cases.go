package web

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/internal/siteurl"
)

// Cases is what the case pages need from the case loop; casework.Service
// has it. The pages read and act through it, so every decision is the one
// the JSON API would make (civicgrid.Authorize inside the service).
type Cases interface {
	Categories(ctx context.Context) ([]civicgrid.Category, error)
	Get(ctx context.Context, actor civicgrid.Actor, id int64) (casework.View, error)
	History(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.CaseEvent, error)
	List(ctx context.Context, actor civicgrid.Actor, q casework.ListQuery) ([]casework.View, error)
	Nearby(ctx context.Context, category string, lat, lng float64) ([]civicgrid.Case, error)
	Act(ctx context.Context, actor civicgrid.Actor, id int64, action civicgrid.CaseAction, st casework.Step) (civicgrid.Case, error)
	ActMany(ctx context.Context, actor civicgrid.Actor, ids []int64, action civicgrid.CaseAction, st casework.Step) ([]civicgrid.Case, error)
	Indicators(ctx context.Context, actor civicgrid.Actor, q casework.IndicatorQuery) (civicgrid.Indicators, error)
	IndicatorsByCategory(ctx context.Context, actor civicgrid.Actor, q casework.IndicatorQuery) ([]civicgrid.Indicators, error)
	IndicatorTrend(ctx context.Context, actor civicgrid.Actor, q casework.IndicatorQuery, bucket string) (civicgrid.Trend, error)
	Config() casework.Config
}

// People lists accounts: the grid workers a case may be dispatched to.
type People interface {
	ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error)
}

// registerCases adds the case pages when the UI has a case loop.
func (ui *UI) registerCases(mux *http.ServeMux) {
	if ui.cfg.Cases == nil {
		return
	}
	mux.HandleFunc("GET /report", ui.handleReport)
	mux.HandleFunc("GET /patrol", ui.handlePatrol)
	mux.HandleFunc("GET /my", ui.handleMy)
	mux.HandleFunc("GET /queue", ui.handleQueue)
	mux.HandleFunc("GET /cases/{id}", ui.handleCase)
	mux.HandleFunc("GET /cases/{id}/print", ui.handlePrint)
	mux.HandleFunc("POST /cases/{id}/{action}", ui.handleAct)
	mux.HandleFunc("GET /console", ui.handleConsole)
	mux.HandleFunc("POST /console/batch", ui.handleConsoleBatch)
	mux.HandleFunc("GET /dashboard", ui.handleDashboard)
}

// caseItem is a case as the lists and the case page show it.
type caseItem struct {
	catalogue // the page's messages, for the shared templates
	casework.View
	CatName string
	CatIcon string
	// Due is the deadline of the running clock (zero when none runs).
	Due     time.Time
	Overdue bool
	Forms   []actionForm
	Events  []eventItem
	// AssigneeRole is the assignee's role in the page's language.
	AssigneeRole string
	// Kept is, on a merged report's page, the case it was merged into as
	// the reporter may see it (nil if unreadable).
	Kept *caseItem
	// Rejection is, on a rejected report's page, the reason and the note.
	Rejection *rejection
}

// rejection says why a report was not accepted.
type rejection struct{ Reason, Note string }

// rejectionOf finds the reject step in a case's history.
func (p *page) rejectionOf(evs []civicgrid.CaseEvent) *rejection {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action != civicgrid.CaseReject {
			continue
		}
		r := &rejection{Reason: evs[i].Data["reason"], Note: evs[i].Note}
		if label, ok := p.catalogue["reason."+r.Reason]; ok {
			r.Reason = label
		}
		return r
	}
	return nil
}

type eventItem struct {
	civicgrid.CaseEvent
	Details []string // reason, rating, assignee, … in the page's language
}

// actionForm is one step the viewer may take, as a form posting to
// /cases/{id}/{action}.
type actionForm struct {
	catalogue
	CaseID  int64
	Version int
	Action  civicgrid.CaseAction
	Label   string
	Kind    string // plain, reason, reject, merge, reclassify, dispatch, evidence, rate, extend, note
	Back    string
	CSRF    string
	Options []option // reject reasons, dispatch targets, merge targets, categories, extension limits
	// Unavailable are dispatch targets shown but not to be chosen (no login).
	Unavailable []option
	Danger      bool
}

type option struct{ Value, Label string }

// formKinds says which inputs each action's form has.
var formKinds = map[civicgrid.CaseAction]string{
	civicgrid.CaseReject:           "reject",
	civicgrid.CaseMerge:            "merge",
	civicgrid.CaseReclassify:       "reclassify",
	civicgrid.CaseDispatch:         "dispatch",
	civicgrid.CaseReturn:           "reason",
	civicgrid.CaseRework:           "reason",
	civicgrid.CaseRequestSuspend:   "reason",
	civicgrid.CaseRequestCancel:    "reason",
	civicgrid.CaseReopen:           "reason",
	civicgrid.CaseHandle:           "evidence",
	civicgrid.CaseSelfHandle:       "evidence",
	civicgrid.CaseRate:             "rate",
	civicgrid.CaseRequestExtension: "extend",
	civicgrid.CaseComment:          "note",
}

// dangerous actions are drawn as secondary buttons.
var dangerous = map[civicgrid.CaseAction]bool{civicgrid.CaseReject: true, civicgrid.CaseReturn: true, civicgrid.CaseRework: true,
	civicgrid.CaseRequestCancel: true, civicgrid.CaseApproveCancel: true, civicgrid.CaseReopen: true, civicgrid.CaseMerge: true}

// openStatuses are the statuses of cases that still wait for someone.
var openStatuses = []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered, civicgrid.StatusDispatched,
	civicgrid.StatusInProgress, civicgrid.StatusHandled, civicgrid.StatusVerified, civicgrid.StatusSuspended}

// requireLogin sends anonymous visitors to the login page, coming back here
// afterwards. It reports whether the page may go on.
func requireLogin(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, bool) {
	a := civicgrid.ActorFromContext(r.Context())
	if a.Anonymous() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return a, false
	}
	return a, true
}

// categories returns the catalogue by code.
func (ui *UI) categories(ctx context.Context) (map[string]civicgrid.Category, []civicgrid.Category, error) {
	cats, err := ui.cfg.Cases.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]civicgrid.Category, len(cats))
	for _, c := range cats {
		m[c.Code] = c
	}
	return m, cats, nil
}

func (p *page) catName(c civicgrid.Category) string {
	if p.Lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	if c.NameZH != "" {
		return c.NameZH
	}
	return c.Code
}

// item dresses a view for the page.
func (p *page) item(v casework.View, cats map[string]civicgrid.Category) caseItem {
	it := caseItem{catalogue: p.catalogue, View: v, CatName: v.Category}
	if c, ok := cats[v.Category]; ok {
		it.CatName, it.CatIcon = p.catName(c), c.Icon
	}
	switch v.Status {
	case civicgrid.StatusReported:
		it.Due = v.RespondBy
	case civicgrid.StatusDispatched, civicgrid.StatusInProgress:
		it.Due = v.ResolveBy
	}
	it.Overdue = v.Light == "red"
	return it
}

// forms lists the action forms of the view's allowed actions, in the order
// of the state machine's table, main steps first.
func (ui *UI) forms(ctx context.Context, p *page, it caseItem, back string, skip ...civicgrid.CaseAction) []actionForm {
	var out []actionForm
	csrf := ""
	if p.Account != nil {
		csrf = p.Account.CSRF
	}
	for _, a := range it.Actions {
		if a == civicgrid.CaseMeToo || slices.Contains(skip, a) {
			continue
		}
		f := actionForm{catalogue: p.catalogue, CaseID: it.ID, Version: it.Version, Action: a, Label: p.catalogue["action."+string(a)], Kind: formKinds[a],
			Back: back, CSRF: csrf, Danger: dangerous[a]}
		if f.Label == "" {
			f.Label = string(a)
		}
		if f.Kind == "" {
			f.Kind = "plain"
		}
		switch f.Kind {
		case "reject":
			for _, r := range ui.cfg.Cases.Config().RejectReasons {
				label := p.catalogue["reason."+r]
				if label == "" {
					label = r
				}
				f.Options = append(f.Options, option{r, label})
			}
		case "reclassify":
			if _, cats, err := ui.categories(ctx); err == nil {
				for _, c := range cats {
					if c.Active && c.Code != it.Category {
						f.Options = append(f.Options, option{c.Code, c.Icon + " " + p.catName(c)})
					}
				}
			}
		case "dispatch":
			f.Options, f.Unavailable = ui.dispatchTargets(ctx, p, it)
		case "merge":
			if dups, err := ui.cfg.Cases.Nearby(ctx, it.Category, it.Lat, it.Lng); err == nil {
				for _, d := range dups {
					if d.ID != it.ID {
						label, _ := p.T("case.number", "id", d.ID)
						f.Options = append(f.Options, option{strconv.FormatInt(d.ID, 10), label + " · " + p.statusName(d.Status)})
					}
				}
			}
		case "extend":
			for _, l := range []string{"1wd", "2wd", "3wd", "5wd"} {
				f.Options = append(f.Options, option{l, p.catalogue["extend."+l]})
			}
		}
		out = append(out, f)
	}
	return out
}

// dispatchTargets are the people a case may be sent to — the grid's
// workers and the community's staff — after the default (the category's
// department or else the grid's first worker who can log in). Colleagues
// are named in full (civicgrid.ActionNameColleague), others masked; phones
// are masked; each comes with their area's name, so two 王s can be told
// apart. Those who cannot log in are shown but cannot be chosen: they could
// never accept the case.
func (ui *UI) dispatchTargets(ctx context.Context, p *page, it caseItem) (opts, unavailable []option) {
	if l, ok := p.dispatchTargets[it.GridCode]; ok {
		return l.targets, l.unavailable
	}
	opts = []option{{"", p.catalogue["dispatch.default"]}}
	if ui.cfg.People == nil {
		return opts, nil
	}
	actor := civicgrid.ActorFromContext(ctx)
	seen := map[int64]bool{}
	for _, pick := range []struct {
		role string
		area string
	}{{civicgrid.RoleGridWorker, it.GridCode}, {civicgrid.RoleCommunityStaff, communityOf(it.GridCode)}} {
		us, err := ui.cfg.People.ListUsers(ctx, civicgrid.UserFilter{Within: []string{pick.area}, Role: pick.role, Limit: 20})
		if err != nil {
			slog.Error("dispatch targets", "err", err)
			return opts, nil
		}
		for _, u := range us {
			if seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			name := civicgrid.MaskName(u.Name)
			if civicgrid.Authorize(actor, civicgrid.ActionNameColleague, civicgrid.Colleague(u)) == nil {
				name = u.Name
			}
			area := pick.area
			for _, g := range u.Grants {
				if g.Role == pick.role && civicgrid.InSubtree(pick.area, g.AreaCode) {
					area = g.AreaCode
					break
				}
			}
			key := "dispatch.person"
			if !u.CanLogIn() {
				key = "dispatch.no_login"
			}
			label, _ := p.T(key, "name", name, "role", p.roleName(pick.role), "area", ui.areaName(ctx, area), "phone", civicgrid.MaskPhone(u.Phone))
			o := option{strconv.FormatInt(u.ID, 10), label}
			if u.CanLogIn() {
				opts = append(opts, o)
			} else {
				unavailable = append(unavailable, o)
			}
		}
	}
	if p.dispatchTargets == nil {
		p.dispatchTargets = map[string]dispatchList{}
	}
	p.dispatchTargets[it.GridCode] = dispatchList{opts, unavailable}
	return opts, unavailable
}

// dispatchList are the people a case of a grid may be sent to, and those
// listed there who cannot log in.
type dispatchList struct{ targets, unavailable []option }

// communityOf is the community code of a grid code ("" if it is none).
func communityOf(grid string) string {
	if len(grid) != civicgrid.LevelGrid.CodeLen() {
		return ""
	}
	return grid[:civicgrid.LevelCommunity.CodeLen()]
}

func (p *page) statusName(s civicgrid.CaseStatus) string {
	if v, ok := p.catalogue["status."+string(s)]; ok {
		return v
	}
	return string(s)
}

// events dresses a case's history.
func (p *page) events(evs []civicgrid.CaseEvent, cats map[string]civicgrid.Category) []eventItem {
	out := make([]eventItem, 0, len(evs))
	for _, e := range evs {
		it := eventItem{CaseEvent: e}
		keys := make([]string, 0, len(e.Data))
		for k := range e.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := e.Data[k]
			label, ok := p.catalogue["data."+k]
			if !ok {
				continue // internal markers (indicator flags)
			}
			switch k {
			case civicgrid.DataCategory, civicgrid.DataFromCategory:
				if e.Action != civicgrid.CaseReclassify {
					continue // the report's category is the case's own
				}
				if c, ok := cats[v]; ok {
					v = p.catName(c)
				}
			case "reason":
				if r, ok := p.catalogue["reason."+v]; ok {
					v = r
				}
			case "resolve_by", "respond_by":
				if t, err := time.Parse(time.RFC3339, v); err == nil {
					v = t.In(civicgrid.Beijing).Format("2006-01-02 15:04")
				}
			case "extend_by":
				v = p.humanLimit(v)
			}
			it.Details = append(it.Details, label+": "+v)
		}
		out = append(out, it)
	}
	return out
}

// queuePage is how many cases a page of the queue lists.
const queuePage = 50

// urgentFirst lists the cases of lq, at most lq.Limit, overdue ones
// (escalated or past their deadline) first and then the newest: a list of
// the newest alone hides an escalated case behind enough newer ones. more
// says whether cases were left out; from is where the newest continue on
// the next page (0: from the newest case, when only overdue ones fitted).
func (ui *UI) urgentFirst(ctx context.Context, actor civicgrid.Actor, lq casework.ListQuery) (vs []casework.View, more bool, from int64, err error) {
	limit := lq.Limit
	lq.Limit = limit + 1
	overdue := lq
	overdue.Overdue = true
	if vs, err = ui.cfg.Cases.List(ctx, actor, overdue); err != nil || lq.Overdue || len(vs) > limit {
		more = len(vs) > limit
		vs = vs[:min(len(vs), limit)]
		if lq.Overdue && len(vs) > 0 {
			from = vs[len(vs)-1].ID
		}
		return vs, more, from, err
	}
	newest, err := ui.cfg.Cases.List(ctx, actor, lq)
	if err != nil {
		return nil, false, 0, err
	}
	seen := make(map[int64]bool, len(vs))
	for _, v := range vs {
		seen[v.ID] = true
	}
	for _, v := range newest {
		if !seen[v.ID] {
			vs = append(vs, v)
		}
	}
	more = len(vs) > limit
	vs = vs[:min(len(vs), limit)]
	if len(vs) > len(seen) {
		from = vs[len(vs)-1].ID
	}
	return vs, more, from, nil
}

// urgency orders a queue: red, yellow, green, no clock; then the nearest
// deadline; then the oldest case.
func urgency(items []caseItem) {
	rank := map[string]int{"red": 0, "yellow": 1, "green": 2}
	r := func(it caseItem) int {
		if v, ok := rank[it.Light]; ok {
			return v
		}
		return 3
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if r(a) != r(b) {
			return r(a) < r(b)
		}
		da, db := a.NextDeadline, b.NextDeadline
		if da.IsZero() != db.IsZero() {
			return !da.IsZero()
		}
		if !da.Equal(db) {
			return da.Before(db)
		}
		return a.ID < b.ID
	})
}

// flash reads the outcome of the last step from the query (?done=ACTION or
// ?failed=CODE&detail=…) into the page.
func (p *page) flash(r *http.Request) {
	q := r.URL.Query()
	if a := q.Get("done"); a != "" {
		if name, ok := p.catalogue["action."+a]; ok {
			p.Flash, _ = p.T("flash.done", "action", name)
			if n, err := strconv.Atoi(q.Get("count")); err == nil && n > 0 {
				p.Flash, _ = p.T("flash.done_many", "action", name, "n", strconv.Itoa(n))
			}
		}
	}
	p.failedFlash(q, "flash.failed_")
}

// failedFlash reads a refused step (?failed=CODE&detail=…) into the page:
// the message of key prefix+CODE (prefix+"other" for a code without one)
// and the refusal's own words.
func (p *page) failedFlash(q url.Values, prefix string) bool {
	code := q.Get("failed")
	if code == "" {
		return false
	}
	key := prefix + code
	if _, ok := p.catalogue[key]; !ok {
		key = prefix + "other"
	}
	p.FlashError = p.catalogue[key]
	if d := q.Get("detail"); len(d) <= 300 {
		p.FlashDetail = d
	}
	return true
}

// handleAct takes a step from a form: POST /cases/{id}/{action}, with the
// session's CSRF token (checked before the handler runs), then back to the
// page it came from with the outcome.
func (ui *UI) handleAct(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return
	}
	action := civicgrid.CaseAction(r.PathValue("action"))
	if _, ok := civicgrid.LookupTransition(action); !ok {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	st := casework.Step{Note: strings.TrimSpace(f.Get("note")), Reason: strings.TrimSpace(f.Get("reason")), Dept: strings.TrimSpace(f.Get("dept")),
		ExtendBy: f.Get("extend_by"), Category: f.Get("category")}
	for _, p := range f["photos"] {
		if p = strings.TrimSpace(p); p != "" {
			st.Photos = append(st.Photos, p)
		}
	}
	st.AssigneeID, _ = strconv.ParseInt(f.Get("assignee_id"), 10, 64)
	st.Into, _ = strconv.ParseInt(strings.TrimSpace(f.Get("into")), 10, 64)
	st.Rating, _ = strconv.Atoi(f.Get("rating"))
	st.Version, _ = strconv.Atoi(f.Get("version"))
	if action == civicgrid.CaseRate {
		st.Note = strings.TrimSpace(f.Get("comment"))
	}
	back := localPath(f.Get("back"))
	if back == "/" {
		back = "/cases/" + strconv.FormatInt(id, 10)
	}
	_, err = ui.cfg.Cases.Act(r.Context(), actor, id, action, st)
	http.Redirect(w, r, withQuery(back, outcome(action, err, "case", id))+"#flash", http.StatusSeeOther)
}

// outcome is the flash of a step for the page it returns to (see flash):
// what was done, or the error's code and its message for people. An
// internal error is logged with what is about it, and its text not shown.
func outcome(action civicgrid.CaseAction, err error, about ...any) url.Values {
	q := url.Values{}
	if err == nil {
		q.Set("done", string(action))
		return q
	}
	code := civicgrid.ErrorCode(err)
	if code == "" {
		code = civicgrid.EINTERNAL
	}
	q.Set("failed", code)
	var ce *civicgrid.Error
	if errors.As(err, &ce) && code != civicgrid.EINTERNAL {
		q.Set("detail", ce.Message)
	} else {
		slog.Error("case step", append(about, "action", action, "err", err)...)
	}
	return q
}

// withQuery replaces the flash parameters of a local path.
func withQuery(path string, add url.Values) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/"
	}
	q := u.Query()
	for _, k := range []string{"done", "failed", "detail", "count"} {
		q.Del(k)
	}
	for k, vs := range add {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String()
}

// pageCase reads the case of /cases/{id}… as the actor may see it, dressed
// for the page, with the catalogue; on failure it has answered (404 for a
// case out of sight, as for none) and ok is false.
func (ui *UI) pageCase(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor) (it caseItem, cats map[string]civicgrid.Category, ok bool) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var v casework.View
	if err == nil {
		v, err = ui.cfg.Cases.Get(ctx, actor, id)
	}
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND || civicgrid.ErrorCode(err) == "" {
			p.Title = p.catalogue["case.not_found"]
			p.Message = p.catalogue["case.not_found_body"]
			ui.render(w, http.StatusNotFound, "find", p)
			return it, nil, false
		}
		ui.renderError(w, r, p, err)
		return it, nil, false
	}
	if cats, _, err = ui.categories(ctx); err != nil {
		ui.renderError(w, r, p, err)
		return it, nil, false
	}
	it = p.item(v, cats)
	if v.Assignee != nil && v.Assignee.Role != "" {
		it.AssigneeRole = p.roleName(v.Assignee.Role)
	}
	return it, cats, true
}

// handleCase serves /cases/{id}: the case, its map, photos and history, and
// a form for each step the viewer may take.
func (ui *UI) handleCase(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	it, cats, ok := ui.pageCase(w, r, p, actor)
	if !ok {
		return
	}
	v, id := it.View, it.ID
	evs, err := ui.cfg.Cases.History(ctx, actor, id)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	it.Events = p.events(evs, cats)
	it.Forms = ui.forms(ctx, p, it, r.URL.Path)
	switch {
	case v.Status == civicgrid.StatusMerged && v.MergedInto != 0:
		// The reporter learns the outcome where it happens.
		if kv, err := ui.cfg.Cases.Get(ctx, actor, v.MergedInto); err == nil {
			kept := p.item(kv, cats)
			it.Kept = &kept
		}
	case v.Status == civicgrid.StatusRejected:
		it.Rejection = p.rejectionOf(evs)
	}
	p.Case = &it
	if ui.cfg.Care != nil {
		// A case made from a care visit links back to the person's page,
		// for whoever may read it.
		if p.CareEntry, err = ui.cfg.Care.EntryOfCase(r.Context(), actor, it.ID); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	if ui.cfg.Volunteer != nil { // the request for help it became, through the volunteer service
		if err := ui.caseRequest(r, p, actor, v.Case); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	if ui.cfg.Cogov != nil { // the projects it is linked to, through the co-governance service
		if p.CaseProjects, err = ui.cfg.Cogov.CaseProjects(r.Context(), actor, it.ID); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	p.Hotline, p.OfficeAddress = ui.cfg.Hotline, ui.cfg.OfficeAddress
	// Staff hand out dispatch sheets; reporters have the page itself.
	p.CanPrint = len(actor.Scopes(civicgrid.ActionReadCase)) > 0
	p.Title, _ = p.T("case.number", "id", it.ID)
	p.NeedsMap = ui.hasMap
	p.MapScripts = ui.mapScripts(true)
	p.flash(r)
	p.Receipt = r.URL.Query().Get("receipt") == "1"
	p.Config = &jsConfig{Lang: p.Lang, Map: ui.cfg.Map.config(), Messages: p.messages("case.", "upload.", "map."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "case", p)
}

// dispatchSheet is what the printed dispatch sheet (派遣单) shows beside
// the case: the grid's name, the case page's address, when it was printed.
type dispatchSheet struct {
	GridName string
	URL      string
	At       time.Time
}

// handlePrint serves /cases/{id}/print: the dispatch sheet (派遣单) of a
// case for staff to print on A4 and hand out — the case as the viewer may
// read it, without the site's navigation when printed.
func (ui *UI) handlePrint(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	it, _, ok := ui.pageCase(w, r, p, actor)
	if !ok {
		return
	}
	v := it.View
	p.Case = &it
	p.Sheet = &dispatchSheet{GridName: ui.areaName(r.Context(), v.GridCode), URL: siteurl.Base(ui.cfg.PublicURL, r, false) + "/cases/" + strconv.FormatInt(v.ID, 10), At: time.Now()}
	p.Title, _ = p.T("sheet.heading", "id", v.ID)
	p.Config = &jsConfig{Lang: p.Lang, Messages: map[string]string{}, CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "print", p)
}

// messages picks the catalogue entries a script needs.
func (p *page) messages(prefixes ...string) map[string]string {
	out := map[string]string{}
	for k, v := range p.catalogue {
		for _, pre := range prefixes {
			if strings.HasPrefix(k, pre) {
				out[k] = v
			}
		}
	}
	return out
}

// handleMy serves /my: the viewer's own reports with their history, and
// rating and reopening where allowed.
func (ui *UI) handleMy(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	cats, _, err := ui.categories(ctx)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	views, err := ui.cfg.Cases.List(ctx, actor, casework.ListQuery{Mine: "reported", Limit: 100})
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, v := range views {
		it := p.item(v, cats)
		if evs, err := ui.cfg.Cases.History(ctx, actor, v.ID); err == nil {
			it.Events = p.events(evs, cats)
		}
		// A reporter rates and reopens here; other steps are on the case page.
		var own []civicgrid.CaseAction
		for _, a := range v.Actions {
			if a == civicgrid.CaseRate || a == civicgrid.CaseReopen {
				own = append(own, a)
			}
		}
		it.View.Actions = own
		it.Forms = ui.forms(ctx, p, it, "/my")
		p.Cases = append(p.Cases, it)
	}
	p.Title = p.catalogue["my.title"]
	p.flash(r)
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("upload."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "my", p)
}

// handleQueue serves /queue: the open cases of the viewer's areas and those
// assigned to them, most urgent first. ?partial=1 gives the list alone, for
// the live update.
func (ui *UI) handleQueue(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	cats, _, err := ui.categories(ctx)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	seen := map[int64]bool{}
	var items []caseItem
	add := func(vs []casework.View) {
		for _, v := range vs {
			if !seen[v.ID] && v.Status.Open() {
				seen[v.ID] = true
				items = append(items, p.item(v, cats))
			}
		}
	}
	// The first page is the overdue cases and then the newest; the next
	// pages go on newest first from where the first one's newest ended
	// (?from=ID), a page at a time.
	from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	list := func(lq casework.ListQuery) (bool, int64, error) {
		lq.Status, lq.Limit = openStatuses, queuePage
		if r.URL.Query().Has("from") {
			lq.After, lq.Limit = from, queuePage+1
			vs, err := ui.cfg.Cases.List(ctx, actor, lq)
			if err != nil {
				return false, 0, err
			}
			more := len(vs) > queuePage
			vs = vs[:min(len(vs), queuePage)]
			add(vs)
			if len(vs) == 0 {
				return false, 0, nil
			}
			return more, vs[len(vs)-1].ID, nil
		}
		vs, more, next, err := ui.urgentFirst(ctx, actor, lq)
		add(vs)
		if more && next == 0 {
			next = math.MaxInt64 // only overdue cases fitted: the newest start at the top
		}
		return more, next, err
	}
	var more bool
	var next int64
	if len(actor.Scopes(civicgrid.ActionReadCase)) > 0 {
		m, n, err := list(casework.ListQuery{})
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		more, next = m, n
	}
	m, n, err := list(casework.ListQuery{Mine: "assigned"})
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	if m && (!more || n > next) {
		// Both lists go on: the next page starts at the newer cursor, so
		// neither skips a case (one may show again).
		more, next = true, n
	}
	if more {
		p.NextPage = "/queue?from=" + strconv.FormatInt(next, 10)
	}
	urgency(items)
	for i := range items {
		items[i].Forms = ui.forms(ctx, p, items[i], "/queue", civicgrid.CaseComment, civicgrid.CaseMerge, civicgrid.CaseReclassify, civicgrid.CaseDispatch,
			civicgrid.CaseReject, civicgrid.CaseHandle, civicgrid.CaseSelfHandle, civicgrid.CaseReturn, civicgrid.CaseRework,
			civicgrid.CaseRequestExtension, civicgrid.CaseRequestSuspend, civicgrid.CaseRequestCancel)
	}
	p.Cases = items
	p.Title = p.catalogue["queue.title"]
	p.flash(r)
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("queue.", "upload."), CSRF: actor.CSRFToken}
	for _, g := range actor.Grants {
		if g.Role == civicgrid.RoleGridWorker {
			p.MyGrids = append(p.MyGrids, g.AreaCode)
		}
	}
	if r.URL.Query().Get("partial") == "1" {
		ui.renderPartial(w, "queue", "queuelist", p)
		return
	}
	ui.render(w, http.StatusOK, "queue", p)
}

// gridOf returns a grid's area (for names on the pages), or a bare one.
func (ui *UI) areaName(ctx context.Context, code string) string {
	a, err := ui.areas.AreaByCode(ctx, code)
	if err != nil || a.Name == "" {
		return code
	}
	return a.Name
}
