package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Courtyards (院落): /courtyards lists the courtyards of the reader's
// communities, and to their staff offers a form to make one (a name and the
// buildings ticked); /courtyards/{id} edits one. Scope pickers elsewhere
// (propose, open a vote, schedule a meeting, start a project) offer the
// courtyards in which the reader may take that step, as "courtyard:ID".

func (ui *UI) registerCourtyards(mux *http.ServeMux) {
	mux.HandleFunc("GET /courtyards", ui.handleCourtyards)
	mux.HandleFunc("POST /courtyards", ui.handleCourtyardForm)
	mux.HandleFunc("GET /courtyards/{id}", ui.handleCourtyardPage)
	mux.HandleFunc("POST /courtyards/{id}", ui.handleCourtyardForm)
}

// courtyardScopePrefix marks a courtyard in a scope picker's value.
const courtyardScopePrefix = "courtyard:"

// formScope reads a scope picker's value: an area code, or a courtyard.
func formScope(v string) (string, int64) {
	if id, ok := strings.CutPrefix(v, courtyardScopePrefix); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return v, 0 // refused as an area code that is none
		}
		return "", n
	}
	return v, 0
}

// courtyardChoices are the courtyards in which the actor may take action,
// as scope options.
func (ui *UI) courtyardChoices(ctx context.Context, p *page, actor civicgrid.Actor, action civicgrid.Action, names func(string) string) []scopeOption {
	cs, err := ui.cfg.Cogov.CourtyardsFor(ctx, actor, action)
	if err != nil {
		return nil // the picker then offers areas only
	}
	out := make([]scopeOption, 0, len(cs))
	for _, c := range cs {
		label, _ := p.catalogue.T("yard.option", "name", c.Name, "community", names(c.Community))
		out = append(out, scopeOption{courtyardScopePrefix + strconv.FormatInt(c.ID, 10), label})
	}
	return out
}

// courtyardView is the data of the courtyard pages.
type courtyardView struct {
	CSRF string
	// Communities are those whose courtyards the reader keeps; Community
	// the one shown with its buildings to tick.
	Communities []scopeOption
	Community   string
	Courtyards  []courtyardRow
	Buildings   []yardBuilding
	// Edit is the courtyard edited on /courtyards/{id}.
	Edit    *courtyardRow
	History []civicgrid.CogovEvent
}

type courtyardRow struct {
	civicgrid.Courtyard
	CommunityName string
	BuildingNames []string
	CanManage     bool
}

// yardBuilding is a building of the community on the form: ticked when in
// the courtyard edited, or named with the courtyard it lies in.
type yardBuilding struct {
	Code, Name string
	Checked    bool
	Elsewhere  string
}

func courtyardPath(id int64) string { return "/courtyards/" + strconv.FormatInt(id, 10) }

// keptCommunities are the communities of the actor's grants in which they
// may keep courtyards.
func keptCommunities(actor civicgrid.Actor) []string {
	var out []string
	for _, g := range actor.Grants {
		if len(g.AreaCode) >= 12 && !slices.Contains(out, g.AreaCode[:12]) &&
			civicgrid.Authorize(actor, civicgrid.ActionManageCourtyard, civicgrid.In(g.AreaCode[:12])) == nil {
			out = append(out, g.AreaCode[:12])
		}
	}
	return out
}

func (ui *UI) handleCourtyards(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "courtyards")
	if !ok {
		return
	}
	ctx := r.Context()
	names := ui.areaNames(r)
	v := &courtyardView{CSRF: actor.CSRFToken}
	for _, c := range keptCommunities(actor) {
		v.Communities = append(v.Communities, scopeOption{c, names(c)})
	}
	if len(v.Communities) > 0 {
		v.Community = v.Communities[0].Code
		if q := r.URL.Query().Get("community"); slices.ContainsFunc(v.Communities, func(o scopeOption) bool { return o.Code == q }) {
			v.Community = q
		}
	}
	cs, err := ui.cfg.Cogov.Courtyards(ctx, actor, "")
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	for _, c := range cs {
		v.Courtyards = append(v.Courtyards, yardRow(actor, c, names))
	}
	if v.Community != "" {
		if v.Buildings, err = ui.yardBuildings(ctx, v.Community, 0, cs, names); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	p.Courtyards = v
	p.Title = p.catalogue["yard.title"]
	ui.render(w, http.StatusOK, "courtyard", p)
}

func yardRow(actor civicgrid.Actor, c civicgrid.Courtyard, names func(string) string) courtyardRow {
	row := courtyardRow{Courtyard: c, CommunityName: names(c.Community),
		CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageCourtyard, c.Object()) == nil}
	for _, b := range c.Buildings {
		row.BuildingNames = append(row.BuildingNames, names(b))
	}
	return row
}

// yardBuildings lists the community's buildings for the form, those of the
// courtyard edited (id) ticked and those of others named with theirs.
func (ui *UI) yardBuildings(ctx context.Context, community string, id int64, cs []civicgrid.Courtyard, names func(string) string) ([]yardBuilding, error) {
	as, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelBuilding, Within: community, Limit: maxChildren})
	if err != nil {
		return nil, err
	}
	held := map[string]civicgrid.Courtyard{}
	for _, c := range cs {
		for _, b := range c.Buildings {
			held[b] = c
		}
	}
	var out []yardBuilding
	for _, a := range as {
		b := yardBuilding{Code: a.Code, Name: a.Name}
		if b.Name == "" {
			b.Name = names(a.Code)
		}
		if c, ok := held[a.Code]; ok {
			if c.ID == id {
				b.Checked = true
			} else {
				b.Elsewhere = c.Name
			}
		}
		out = append(out, b)
	}
	return out, nil
}

func (ui *UI) handleCourtyardPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "courtyard")
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		ui.cogovFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no courtyard"))
		return
	}
	ctx := r.Context()
	view, err := ui.cfg.Cogov.CourtyardDetail(ctx, actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	row := yardRow(actor, view.Courtyard, names)
	v := &courtyardView{CSRF: actor.CSRFToken, Edit: &row, Community: view.Community, History: view.History}
	if row.CanManage {
		cs, err := ui.cfg.Cogov.Courtyards(ctx, actor, view.Community)
		if err != nil {
			ui.cogovFailed(w, r, p, err)
			return
		}
		if v.Buildings, err = ui.yardBuildings(ctx, view.Community, id, cs, names); err != nil {
			ui.renderError(w, r, p, err)
			return
		}
	}
	p.Courtyards = v
	p.Title = view.Name
	ui.render(w, http.StatusOK, "courtyard", p)
}

// handleCourtyardForm makes (POST /courtyards) or edits (POST
// /courtyards/{id}) a courtyard from the ticked buildings.
func (ui *UI) handleCourtyardForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := formOf(w, r, 64<<10)
	if !ok {
		return
	}
	f := r.PostForm
	in := civicgrid.CourtyardInput{Community: f.Get("community"), Name: f.Get("name"), Buildings: f["building"]}
	var id int64
	back := "/courtyards?community=" + in.Community
	if s := r.PathValue("id"); s != "" {
		var err error
		if id, err = strconv.ParseInt(s, 10, 64); err != nil {
			http.NotFound(w, r)
			return
		}
		back = courtyardPath(id)
	}
	c, err := ui.cfg.Cogov.SaveCourtyard(r.Context(), actor, id, in)
	if err != nil {
		backTo(w, r, back, "", err)
		return
	}
	backTo(w, r, courtyardPath(c.ID), "courtyard_saved", nil)
}

// scopeLabel names a matter's scope: its area, or its courtyard with the
// community.
func scopeLabel(names func(string) string, area string, c civicgrid.CourtyardScope) string {
	if c.InCourtyard() {
		return c.CourtyardName + " · " + names(area)
	}
	return names(area)
}
