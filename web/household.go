package web

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// The households page of a building (/buildings/{code}/households): its
// community's staff see the flats with members (masked), the household
// representative, owner and floor area, add a row with the form or many
// with CSV. The service asks Authorize; the page shows nothing else.

func (ui *UI) registerHouseholds(mux *http.ServeMux) {
	mux.HandleFunc("GET /buildings/{code}/households", ui.handleHouseholds)
	mux.HandleFunc("POST /buildings/{code}/households", ui.handleHouseholdForm)
}

type householdView struct {
	Building, AreaName string
	Rows               []civicgrid.Household
	Members, Owners    int
	CSRF               string
}

func householdsPath(code string) string { return "/buildings/" + code + "/households" }

func (ui *UI) handleHouseholds(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "households")
	if !ok {
		return
	}
	code := r.PathValue("code")
	hs, err := ui.cfg.Cogov.Households(r.Context(), actor, code)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	v := &householdView{Building: code, AreaName: ui.areaNames(r)(code), Rows: hs, CSRF: actor.CSRFToken}
	for _, h := range hs {
		v.Members += len(h.Members)
		if h.AreaCenti > 0 {
			v.Owners++
		}
	}
	p.Households = v
	ui.voteFormChoices(p)
	p.NoStore = true
	p.Title = p.catalogue["hh.title"]
	ui.render(w, http.StatusOK, "household", p)
}

// handleHouseholdForm applies one row of the form, or the CSV pasted.
func (ui *UI) handleHouseholdForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := formOf(w, r, 512<<10)
	if !ok {
		return
	}
	code := r.PathValue("code")
	f := r.PostForm
	var rows []civicgrid.HouseholdRow
	if csv := strings.TrimSpace(f.Get("csv")); csv != "" {
		var err error
		if rows, err = civicgrid.ParseHouseholdCSV(strings.NewReader(csv)); err != nil {
			backTo(w, r, householdsPath(code), "", err)
			return
		}
	} else {
		rows = []civicgrid.HouseholdRow{{Room: f.Get("room"), Phone: f.Get("phone"), Role: f.Get("role"), Area: f.Get("area")}}
	}
	_, err := ui.cfg.Cogov.ImportHouseholds(r.Context(), actor, code, rows)
	backTo(w, r, householdsPath(code), "households", err)
}
