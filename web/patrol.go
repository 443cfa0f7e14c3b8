package web

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
)

// patrolView is the grid worker's one-page patrol form: a photo, the place
// (their grid, or where the phone says they are), the category, words, and
// "I handled it on the spot" with a note.
type patrolView struct {
	Grids  []patrolGrid
	Groups []catGroup
}

// patrolGrid is one of the worker's grids with a point inside it, the place
// a report is filed at until the phone's position replaces it.
type patrolGrid struct {
	Code, Name string
	Lat, Lng   string
}

// handlePatrol serves /patrol to grid workers. Reporting and self-handling
// are one request to POST /api/v1/cases (channel patrol, self_handled), so
// the case service stores both in one transaction.
func (ui *UI) handlePatrol(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	p.Title = p.catalogue["patrol.title"]
	pv := &patrolView{}
	for _, g := range actor.Grants {
		if g.Role != civicgrid.RoleGridWorker {
			continue
		}
		a, err := ui.areas.AreaByCode(ctx, g.AreaCode)
		if err != nil {
			continue // a grid retired since the grant: nothing to offer there
		}
		pt, ok := areaio.PointInside(a.Geometry)
		if !ok {
			continue
		}
		pv.Grids = append(pv.Grids, patrolGrid{Code: a.Code, Name: a.Name,
			Lat: strconv.FormatFloat(pt.Lat(), 'f', 6, 64), Lng: strconv.FormatFloat(pt.Lon(), 'f', 6, 64)})
	}
	p.Patrol = pv
	if len(pv.Grids) == 0 {
		p.Message = p.catalogue["patrol.not_grid_worker"]
		ui.render(w, http.StatusForbidden, "patrol", p)
		return
	}
	groups, err := ui.categoryGroups(ctx, p)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	pv.Groups = groups
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("patrol.", "upload."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "patrol", p)
}
