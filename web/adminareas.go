package web

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// mayImportAreas is the policy's answer for the area import tab and page:
// the actor may import areas somewhere (the API then asks area by area).
func mayImportAreas(a civicgrid.Actor) error {
	for _, scope := range a.Scopes(civicgrid.ActionImportAreas) {
		if civicgrid.Authorize(a, civicgrid.ActionImportAreas, civicgrid.In(scope)) == nil {
			return nil
		}
	}
	return civicgrid.Authorize(a, civicgrid.ActionImportAreas, civicgrid.Object{Areas: []string{"-"}})
}

// handleAdminAreas serves the area import page: a file is checked by the
// import's dry run (POST /api/v1/admin/areas/check), its areas and every
// problem drawn on the map over the current ones and listed beside it, and
// imported (POST /api/v1/admin/areas/import) only once it checks clean.
// The script makes both calls with the session; the page gives it the map,
// the words and the CSRF token.
func (ui *UI) handleAdminAreas(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "areas", "admin.areas_title")
	if !ok {
		return
	}
	if err := mayImportAreas(actor); err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	msgs := map[string]string{}
	for k, v := range p.catalogue {
		if strings.HasPrefix(k, "areas.") || strings.HasPrefix(k, "level.") || strings.HasPrefix(k, "map.") {
			msgs[k] = v
		}
	}
	p.NeedsMap = ui.hasMap
	p.MapScripts = ui.mapScripts(true)
	p.Config = &jsConfig{Lang: p.Lang, Map: ui.cfg.Map.config(), Zoom: ui.cfg.Zoom, Messages: msgs, CSRF: actor.CSRFToken}
	if ui.cfg.Center != [2]float64{} {
		c := ui.cfg.Center
		p.Config.Center = &c
	}
	ui.render(w, http.StatusOK, "admin", p)
}
