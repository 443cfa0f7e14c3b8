package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
)

// Care is what the care pages need (care.Service has it); it asks
// Authorize for every step and logs every read of an entry.
type Care interface {
	Kinds() []civicgrid.CareKind
	Register(ctx context.Context, actor civicgrid.Actor, in civicgrid.CareInput) (care.View, error)
	Registry(ctx context.Context, actor civicgrid.Actor, within string) ([]care.View, error)
	Queue(ctx context.Context, actor civicgrid.Actor) ([]care.View, error)
	Entry(ctx context.Context, actor civicgrid.Actor, id int64) (care.View, error)
	Record(ctx context.Context, actor civicgrid.Actor, id int64, in care.VisitInput) (civicgrid.CareVisit, error)
	ToCase(ctx context.Context, actor civicgrid.Actor, visitID int64, category string) (civicgrid.CareVisit, error)
	ToRequest(ctx context.Context, actor civicgrid.Actor, visitID int64, service string) (civicgrid.CareVisit, error)
	End(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (care.View, error)
	SetPlan(ctx context.Context, actor civicgrid.Actor, id int64, in care.PlanInput) (care.View, error)
	Coverage(ctx context.Context, actor civicgrid.Actor, area, month string) (care.Coverage, error)
	EntryOfCase(ctx context.Context, actor civicgrid.Actor, caseID int64) (int64, error)
}

// careView is what the pages /care and /care/{id} show.
type careView struct {
	Kinds     []civicgrid.CareKind
	Queue     []careRow // the reader's due visits
	Registry  []careRow // staff: the registry of their communities
	Register  bool      // the reader may register people
	Buildings []scopeOption
	Visitors  []visitorOption
	Coverage  []care.Coverage
	Entry     *careRow // the person's page
	Today     string   // the consent date's default (YYYY-MM-DD)
	// Services are the volunteer services a concern may become a request
	// for: set when requests for help are served and the reader may ask
	// on someone's behalf at the person's building.
	Services []civicgrid.VolunteerService
	// Requests are the requests for help the person's visits became that
	// the reader may read (linked to their page; the others are named).
	Requests map[int64]bool
	CSRF     string
}

type careRow struct {
	care.View
	AreaName string
}

type visitorOption struct {
	ID          int64
	Label, Role string
}

func (ui *UI) registerCare(mux *http.ServeMux) {
	if ui.cfg.Care == nil {
		return
	}
	mux.HandleFunc("GET /care", ui.handleCarePage)
	mux.HandleFunc("POST /care", ui.handleCareRegister)
	mux.HandleFunc("GET /care/{id}", ui.handleCareEntry)
	mux.HandleFunc("POST /care/{id}/visit", ui.handleCareVisit)
	mux.HandleFunc("POST /care/{id}/end", ui.handleCareEnd)
	mux.HandleFunc("POST /care/{id}/plan", ui.handleCarePlan)
	mux.HandleFunc("POST /care/{id}/case/{visit}", ui.handleCareCase)
	mux.HandleFunc("POST /care/{id}/request/{visit}", ui.handleCareRequest)
}

func (ui *UI) carePage(w http.ResponseWriter, r *http.Request) (*page, civicgrid.Actor, bool) {
	p, actor, ok := ui.outcomePage(w, r, "care.")
	if ok {
		p.Care = &careView{Kinds: ui.cfg.Care.Kinds(), CSRF: actor.CSRFToken, Today: time.Now().In(ui.location()).Format(time.DateOnly)}
	}
	return p, actor, ok
}

func (ui *UI) careRows(r *http.Request, vs []care.View) []careRow {
	names := ui.areaNames(r)
	out := make([]careRow, len(vs))
	for i, v := range vs {
		out[i] = careRow{v, names(v.BuildingCode)}
	}
	return out
}

// handleCarePage serves /care: a visitor's due visits with their traffic
// light (red first); for community staff the registry (names masked), the
// registration form with consent, and this month's coverage rate.
func (ui *UI) handleCarePage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.carePage(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := p.Care
	q, err := ui.cfg.Care.Queue(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v.Queue = ui.careRows(r, q)
	communities := actor.Scopes(civicgrid.ActionRegisterCare)
	if len(communities) > 0 {
		v.Register = true
		reg, err := ui.cfg.Care.Registry(ctx, actor, "")
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		v.Registry = ui.careRows(r, reg)
		names := ui.areaNames(r)
		for _, c := range communities {
			if cov, err := ui.cfg.Care.Coverage(ctx, actor, c, ""); err == nil {
				v.Coverage = append(v.Coverage, cov)
			}
			bs, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelBuilding, Within: c, Limit: 300})
			if err != nil {
				ui.renderError(w, r, p, err)
				return
			}
			for _, b := range bs {
				v.Buildings = append(v.Buildings, scopeOption{b.Code, names(b.Code)})
			}
			if v.Visitors, err = ui.careVisitorOptions(ctx, c, v.Visitors); err != nil {
				ui.renderError(w, r, p, err)
				return
			}
		}
	}
	p.Title = p.catalogue["care.title"]
	ui.render(w, http.StatusOK, "care", p)
}

// careVisitorOptions adds to opts the people who may be assigned to visit
// in a community: its grid workers, building roles and volunteers (masked).
func (ui *UI) careVisitorOptions(ctx context.Context, community string, opts []visitorOption) ([]visitorOption, error) {
	if ui.cfg.People == nil {
		return opts, nil
	}
	for _, role := range []string{civicgrid.RoleGridWorker, civicgrid.RoleBuilding, civicgrid.RoleVolunteer} {
		us, err := ui.cfg.People.ListUsers(ctx, civicgrid.UserFilter{Within: []string{community}, Role: role, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if !slices.ContainsFunc(opts, func(o visitorOption) bool { return o.ID == u.ID }) {
				opts = append(opts, visitorOption{u.ID, civicgrid.MaskName(u.Name), role})
			}
		}
	}
	return opts, nil
}

// problemsError makes a form's error say each problem (the flash shows the
// message only).
func problemsError(err error) error {
	var ce *civicgrid.Error
	if !errors.As(err, &ce) || len(ce.Problems) == 0 {
		return err
	}
	ds := make([]string, len(ce.Problems))
	for i, pr := range ce.Problems {
		ds[i] = pr.Kind + ": " + pr.Detail
	}
	return &civicgrid.Error{Code: ce.Code, Message: ce.Message + " — " + strings.Join(ds, "; ")}
}

func (ui *UI) handleCareRegister(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := civicgrid.CareInput{BuildingCode: strings.TrimSpace(f.Get("building_code")), Name: f.Get("name"), Phone: f.Get("phone"),
		Address: f.Get("address"), Kinds: f["kinds"], Consent: civicgrid.CareConsent{GivenBy: f.Get("consent_by"), Guardian: f.Get("guardian"),
			Relation: f.Get("relation"), Scope: f.Get("consent_scope"), Purpose: f.Get("consent_purpose")}}
	if n := f.Get("frequency_days"); n != "" {
		in.FrequencyDays, _ = strconv.Atoi(n)
		if in.FrequencyDays == 0 {
			in.FrequencyDays = -1 // not a number: refused as such
		}
	}
	if d := f.Get("consent_at"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, ui.location())
		if err != nil {
			backTo(w, r, "/care", "", civicgrid.Errorf(civicgrid.EINVALID, "the consent date is not a date"))
			return
		}
		in.Consent.At = t
	}
	for _, s := range f["visitor_ids"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.VisitorIDs = append(in.VisitorIDs, id)
		}
	}
	v, err := ui.cfg.Care.Register(r.Context(), actor, in)
	if err != nil {
		backTo(w, r, "/care", "", problemsError(err))
		return
	}
	backTo(w, r, "/care/"+strconv.FormatInt(v.ID, 10), "registered", nil)
}

// handleCareEntry serves /care/{id}: the person's page — who, consent,
// plan and visitors, the visit history (a concern linked to its case and
// its request for help),
// the record-a-visit form for the visitors and ending care for staff.
// Every read is logged by the service.
func (ui *UI) handleCareEntry(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.carePage(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	e, err := ui.cfg.Care.Entry(r.Context(), actor, id)
	if ui.itemFailed(w, r, p, err, "care.failed_not_found") {
		return
	}
	row := ui.careRows(r, []care.View{e})[0]
	p.Care.Entry = &row
	if ui.cfg.Volunteer != nil && e.IsVisitor && civicgrid.Authorize(actor, civicgrid.ActionAskHelpFor, civicgrid.In(e.BuildingCode)) == nil {
		p.Care.Services = civicgrid.VolunteerServices
	}
	if ui.cfg.Volunteer != nil {
		for _, v := range e.Visits {
			if v.RequestID == 0 {
				continue
			}
			// The volunteering service decides who reads a request.
			if _, err := ui.cfg.Volunteer.Request(r.Context(), actor, v.RequestID); err == nil {
				if p.Care.Requests == nil {
					p.Care.Requests = map[int64]bool{}
				}
				p.Care.Requests[v.RequestID] = true
			}
		}
	}
	if e.CanManage {
		if p.Care.Visitors, err = ui.careVisitorOptions(r.Context(), e.BuildingCode[:12], nil); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	p.Title, _ = p.T("care.entry_title", "name", e.Name)
	if e.Name == "" {
		p.Title = p.catalogue["care.entry_purged"]
	}
	p.NoStore = true
	ui.render(w, http.StatusOK, "care", p)
}

func (ui *UI) handleCareVisit(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := care.VisitInput{Mode: f.Get("mode"), State: f.Get("state"), Note: f.Get("note")}
	if lat, err1 := strconv.ParseFloat(f.Get("lat"), 64); err1 == nil {
		if lng, err2 := strconv.ParseFloat(f.Get("lng"), 64); err2 == nil {
			in.Lat, in.Lng = &lat, &lng
		}
	}
	_, err := ui.cfg.Care.Record(r.Context(), actor, id, in)
	backTo(w, r, "/care/"+strconv.FormatInt(id, 10), "visited", problemsError(err))
}

func (ui *UI) handleCareCase(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	visit, _ := strconv.ParseInt(r.PathValue("visit"), 10, 64)
	_, err := ui.cfg.Care.ToCase(r.Context(), actor, visit, r.PostForm.Get("category"))
	backTo(w, r, "/care/"+strconv.FormatInt(id, 10), "case", problemsError(err))
}

func (ui *UI) handleCareRequest(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	visit, _ := strconv.ParseInt(r.PathValue("visit"), 10, 64)
	_, err := ui.cfg.Care.ToRequest(r.Context(), actor, visit, r.PostForm.Get("service"))
	backTo(w, r, "/care/"+strconv.FormatInt(id, 10), "request", problemsError(err))
}

func (ui *UI) handleCarePlan(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	in := care.PlanInput{}
	in.FrequencyDays, _ = strconv.Atoi(r.PostForm.Get("frequency_days"))
	for _, s := range r.PostForm["visitor_ids"] {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.VisitorIDs = append(in.VisitorIDs, v)
		}
	}
	_, err := ui.cfg.Care.SetPlan(r.Context(), actor, id, in)
	backTo(w, r, "/care/"+strconv.FormatInt(id, 10), "plan", problemsError(err))
}

func (ui *UI) handleCareEnd(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	_, err := ui.cfg.Care.End(r.Context(), actor, id, r.PostForm.Get("reason"))
	backTo(w, r, "/care/"+strconv.FormatInt(id, 10), "ended", err)
}

// CareKind is a kind's name in the page's language.
func (p *page) CareKind(code string) string {
	k, ok := civicgrid.LookupCareKind(code)
	if !ok {
		return code
	}
	if p.Lang == "en" {
		return k.NameEN
	}
	return k.NameZH
}

// RoleName is a role's name in the page's language.
func (p *page) RoleName(role string) string {
	info, ok := civicgrid.LookupRole(role)
	switch {
	case !ok:
		return role
	case p.Lang == "en":
		return info.NameEN
	}
	return info.NameZH
}

// Percent shows a rate as a percentage with one decimal.
func (p *page) Percent(rate float64) string {
	return strconv.FormatFloat(rate*100, 'f', 1, 64) + "%"
}

// itemFailed answers a page of one item (a care entry, a request for help)
// whose read failed and says whether it did: not found and not allowed
// alike are 404 with the module's message (what one may not read does not
// show it exists), anything else an error page.
func (ui *UI) itemFailed(w http.ResponseWriter, r *http.Request, p *page, err error, notFoundKey string) bool {
	switch civicgrid.ErrorCode(err) {
	case "":
		return false
	case civicgrid.ENOTFOUND, civicgrid.EFORBIDDEN:
		p.Title = p.catalogue[notFoundKey]
		p.Message = p.Title
		ui.render(w, http.StatusNotFound, "find", p)
	default:
		ui.renderError(w, r, p, err)
	}
	return true
}
