package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// Warnings is what the early-warning pages need (warning.Service has it);
// it asks Authorize for every step.
type Warnings interface {
	List(ctx context.Context, actor civicgrid.Actor, scope string, status civicgrid.AlertStatus) ([]civicgrid.Alert, error)
	Get(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Alert, error)
	Decide(ctx context.Context, actor civicgrid.Actor, id int64, d civicgrid.AlertDecision) (civicgrid.Alert, error)
	OpenCase(ctx context.Context, actor civicgrid.Actor, id int64, note string) (civicgrid.Case, error)
}

// openHelpCounter counts an area's requests for help still waiting (the
// volunteer service has it).
type openHelpCounter interface {
	OpenInArea(ctx context.Context, actor civicgrid.Actor, scope string) (int, error)
}

// careDueCounter counts an area's care visits due and overdue (the care
// service has it).
type careDueCounter interface {
	DueInArea(ctx context.Context, actor civicgrid.Actor, scope string) (due, overdue int, err error)
}

// warningView is the alerts page (/warnings) of one area.
type warningView struct {
	Scope, ScopeName string
	Scopes           []option
	Status           string
	Statuses         []option
	Alerts           []alertRow
	CanDecide        bool
	CanNotice        bool // the reader may post a notice here: an alert opens a prefilled one
	CSRF             string
}

// alertRow is an alert as the pages show it.
type alertRow struct {
	civicgrid.Alert
	CategoryName string `json:"category_name"`
	AreaName     string `json:"area_name"`
	PText        string `json:"p_text"`    // "p = 2.1e-07"
	ThreshText   string `json:"threshold"` // "< 3.3e-05"
}

// bigView is the big screen (/bigscreen/{code}).
type bigView struct {
	Code, Name   string
	Today, Month bigFigures
	Open         int
	OpenCapped   bool           // more open cases than drawn (maxBigCases)
	Lights       map[string]int // red, yellow, green: open cases by traffic light
	Alerts       []alertRow
	HelpOpen     int // -1: not known to the reader
	CareDue      int // care visits due (counts only); -1: not known to the reader
	CareOverdue  int // of which overdue (red)
	Cases        []bigCase
	DataURL      string
	StreamURL    string
	LeafletJS    string
	Updated      string
}

type bigFigures struct {
	Received int64  `json:"received"`
	Closed   int64  `json:"closed"`
	Closure  string `json:"closure"` // closed / registered: the closure rate's numerator and denominator
}

type bigCase struct {
	ID       int64   `json:"id"`
	Lat      float64 `json:"lat"`
	Lng      float64 `json:"lng"`
	Light    string  `json:"light"`
	Category string  `json:"category"`
}

func (ui *UI) registerWarnings(mux *http.ServeMux) {
	if ui.cfg.Warning == nil || ui.cfg.Cases == nil {
		return
	}
	mux.HandleFunc("GET /warnings", ui.handleWarnings)
	mux.HandleFunc("POST /warnings/{id}/{step}", ui.handleWarningStep)
	mux.HandleFunc("GET /bigscreen/{code}", ui.handleBigScreen)
	mux.HandleFunc("GET /bigscreen/{code}/data", ui.handleBigScreen)
}

func (ui *UI) alertRows(ctx context.Context, p *page, as []civicgrid.Alert) []alertRow {
	byCode, _, _ := ui.categories(ctx)
	out := make([]alertRow, len(as))
	for i, a := range as {
		row := alertRow{Alert: a, CategoryName: a.Category, AreaName: ui.areaName(ctx, a.Grid),
			PText: fmt.Sprintf("p = %.2g", a.PValue), ThreshText: fmt.Sprintf("< %.2g", a.Threshold)}
		if c, ok := byCode[a.Category]; ok {
			row.CategoryName = p.catName(c)
		}
		out[i] = row
	}
	return out
}

// handleWarnings serves /warnings: the alerts of an area, newest first,
// each saying what was observed, what was expected and how unusual it is,
// with acknowledge, dismiss (with a reason) and open-a-case forms for
// those who may decide.
func (ui *UI) handleWarnings(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	q := r.URL.Query()
	p.Title = p.catalogue["warn.title"]
	scopes := actor.Scopes(civicgrid.ActionReadWarnings)
	wv := &warningView{Scope: q.Get("scope"), Status: q.Get("status"), CSRF: actor.CSRFToken}
	p.Warning = wv
	if !p.failedFlash(q, "warn.failed_") {
		if done := q.Get("done"); done != "" {
			p.Flash = p.catalogue["warn.done_"+done]
		}
	}
	if len(scopes) == 0 {
		p.Message = p.catalogue["warn.no_scope"]
		ui.render(w, http.StatusForbidden, "warning", p)
		return
	}
	if wv.Scope == "" {
		wv.Scope = scopes[0]
	}
	for _, s := range scopes {
		wv.Scopes = append(wv.Scopes, option{s, ui.areaName(ctx, s)})
	}
	for _, s := range []string{"", string(civicgrid.AlertOpen), string(civicgrid.AlertAcknowledged), string(civicgrid.AlertDismissed)} {
		wv.Statuses = append(wv.Statuses, option{s, p.catalogue["warn.status_"+map[bool]string{true: "all", false: s}[s == ""]]})
	}
	as, err := ui.cfg.Warning.List(ctx, actor, wv.Scope, civicgrid.AlertStatus(wv.Status))
	if err != nil {
		if code := civicgrid.ErrorCode(err); code == civicgrid.EFORBIDDEN || code == civicgrid.EINVALID {
			p.Message = p.catalogue["warn.bad_scope"]
			ui.render(w, http.StatusForbidden, "warning", p)
			return
		}
		ui.renderError(w, r, p, err)
		return
	}
	wv.ScopeName = ui.areaName(ctx, wv.Scope)
	wv.Alerts = ui.alertRows(ctx, p, as)
	wv.CanDecide = civicgrid.Authorize(actor, civicgrid.ActionDecideWarning, civicgrid.In(wv.Scope)) == nil
	wv.CanNotice = ui.cfg.Notices != nil && len(mayIn(actor, civicgrid.ActionPostNotice)) > 0
	ui.render(w, http.StatusOK, "warning", p)
}

// handleWarningStep takes a step on an alert from a form: acknowledge,
// dismiss (with a reason) or case; back to the list with the outcome.
func (ui *UI) handleWarningStep(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return
	}
	switch step := r.PathValue("step"); step {
	case "acknowledge":
		_, err = ui.cfg.Warning.Decide(r.Context(), actor, id, civicgrid.AlertDecision{Status: civicgrid.AlertAcknowledged})
	case "dismiss":
		_, err = ui.cfg.Warning.Decide(r.Context(), actor, id, civicgrid.AlertDecision{Status: civicgrid.AlertDismissed, Reason: r.PostForm.Get("reason")})
	case "case":
		var c civicgrid.Case
		if c, err = ui.cfg.Warning.OpenCase(r.Context(), actor, id, r.PostForm.Get("note")); err == nil {
			http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	backTo(w, r, "/warnings", r.PathValue("step"), err)
}

// handleBigScreen serves /bigscreen/{code}: a command centre's wall
// screen of a district, street or community — open cases on the map by
// traffic light, today's and this month's figures, open alerts, care
// visits due (a count, no names) and requests for help still waiting — updated live from the case stream.
// /bigscreen/{code}/data is the same as JSON for the page's script. An
// area outside the reader's scope is refused.
func (ui *UI) handleBigScreen(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	code := r.PathValue("code")
	asJSON := strings.HasSuffix(r.URL.Path, "/data")
	p.Title = p.catalogue["big.title"]
	refuse := func(status int, msg string) {
		if asJSON {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
			return
		}
		p.Message = msg
		p.Warning = &warningView{}
		ui.render(w, status, "warning", p)
	}
	switch civicgrid.LevelOfCode(code) {
	case civicgrid.LevelCity, civicgrid.LevelDistrict, civicgrid.LevelStreet, civicgrid.LevelCommunity:
	default:
		refuse(http.StatusBadRequest, p.catalogue["big.bad_code"])
		return
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadWarnings, civicgrid.In(code)); err != nil {
		refuse(http.StatusForbidden, p.catalogue["big.forbidden"])
		return
	}
	bv, err := ui.bigView(ctx, p, actor, code)
	if err != nil {
		if asJSON {
			refuse(http.StatusInternalServerError, civicgrid.ErrorMessage(err))
			return
		}
		ui.renderError(w, r, p, err)
		return
	}
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(bv)
		return
	}
	p.Big = bv
	p.NoStore = true
	ui.render(w, http.StatusOK, "bigscreen", p)
}

// maxBigCases bounds the open cases the big screen draws (the newest).
const maxBigCases = 2000

func (ui *UI) bigView(ctx context.Context, p *page, actor civicgrid.Actor, code string) (*bigView, error) {
	now := ui.now().In(civicgrid.Beijing)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, civicgrid.Beijing)
	bv := &bigView{Code: code, Name: ui.areaName(ctx, code), Lights: map[string]int{"red": 0, "yellow": 0, "green": 0}, HelpOpen: -1, CareDue: -1,
		DataURL: "/bigscreen/" + code + "/data", StreamURL: "/api/v1/cases/stream?within=" + code, LeafletJS: ui.assetURL(leafletJS),
		Updated: now.Format("15:04:05")}
	figures := func(from time.Time) (bigFigures, error) {
		in, err := ui.cfg.Cases.Indicators(ctx, actor, casework.IndicatorQuery{Scope: code, From: from, To: today})
		if err != nil {
			return bigFigures{}, err
		}
		return bigFigures{Received: in.Counters.Received, Closed: in.Counters.Closed,
			Closure: fmt.Sprintf("%d / %d", in.Counters.Closed, in.Counters.Registered)}, nil
	}
	var err error
	if bv.Today, err = figures(today); err != nil {
		return nil, err
	}
	if bv.Month, err = figures(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, civicgrid.Beijing)); err != nil {
		return nil, err
	}
	var open []civicgrid.CaseStatus
	for _, s := range civicgrid.CaseStatuses {
		if s.Open() {
			open = append(open, s)
		}
	}
	cases, err := ui.cfg.Cases.List(ctx, actor, casework.ListQuery{Within: code, Status: open, Limit: maxBigCases + 1})
	if err != nil {
		return nil, err
	}
	if len(cases) > maxBigCases {
		cases, bv.OpenCapped = cases[:maxBigCases], true
	}
	bv.Open = len(cases)
	bv.Cases = []bigCase{}
	for _, c := range cases {
		light := c.Light
		if light == "" {
			light = "green"
		}
		bv.Lights[light]++
		bv.Cases = append(bv.Cases, bigCase{ID: c.ID, Lat: c.Lat, Lng: c.Lng, Light: light, Category: c.Category})
	}
	as, err := ui.cfg.Warning.List(ctx, actor, code, civicgrid.AlertOpen)
	if err != nil {
		return nil, err
	}
	bv.Alerts = ui.alertRows(ctx, p, as)
	if hc, ok := ui.cfg.Volunteer.(openHelpCounter); ok && ui.cfg.Volunteer != nil {
		if n, err := hc.OpenInArea(ctx, actor, code); err == nil {
			bv.HelpOpen = n
		}
	}
	if cc, ok := ui.cfg.Care.(careDueCounter); ok && ui.cfg.Care != nil {
		if due, overdue, err := cc.DueInArea(ctx, actor, code); err == nil {
			bv.CareDue, bv.CareOverdue = due, overdue
		}
	}
	return bv, nil
}
