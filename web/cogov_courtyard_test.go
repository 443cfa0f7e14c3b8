package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// The courtyard pages: the community's secretary ticks buildings into a
// courtyard (a building of another courtyard is offered disabled), the
// courtyard is then a scope in the pickers of those inside it, and a
// neighbour of another building is not offered it.
func TestCourtyardPages(t *testing.T) {
	_, h, person := cogovTestUI(t,
		civicgrid.Area{Code: "4201020010010010001", Level: civicgrid.LevelBuilding, Name: "1栋"},
		civicgrid.Area{Code: "4201020010010010002", Level: civicgrid.LevelBuilding, Name: "2栋"},
		civicgrid.Area{Code: "4201020010010020001", Level: civicgrid.LevelBuilding, Name: "5栋"})
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	inside := person(civicgrid.RoleResident, "4201020010010010001")
	neighbour := person(civicgrid.RoleResident, "4201020010010020001")

	rec := as(h, secretary, "GET", "/courtyards", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !contains(body, `data-testid="yard-form"`) || !contains(body, `value="4201020010010010001"`) {
		t.Fatalf("the secretary's courtyard page: %d %s", rec.Code, body)
	}
	if rec = as(h, inside, "GET", "/courtyards", nil); rec.Code != http.StatusOK || contains(rec.Body.String(), `data-testid="yard-form"`) {
		t.Fatalf("a resident is offered the form: %d", rec.Code)
	}
	rec = as(h, secretary, "POST", "/courtyards", url.Values{"csrf_token": {"tok"}, "community": {"420102001001"}, "name": {"幸福里"},
		"building": {"4201020010010010001", "4201020010010010002"}})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !regexp.MustCompile(`^/courtyards/\d+\?done=courtyard_saved`).MatchString(loc) {
		t.Fatalf("make: %d %s", rec.Code, loc)
	}
	page := strings.Split(loc, "?")[0]
	if body = as(h, secretary, "GET", strings.Split(loc, "#")[0], nil).Body.String(); !contains(body, "幸福里") || !contains(body, `checked`) || !contains(body, "院落已保存") {
		t.Fatalf("the courtyard page: %s", body)
	}
	// A second courtyard may not take a building of the first: refused, shown.
	rec = as(h, secretary, "POST", "/courtyards", url.Values{"csrf_token": {"tok"}, "community": {"420102001001"}, "name": {"和平院"},
		"building": {"4201020010010010001"}})
	if loc = rec.Header().Get("Location"); !contains(loc, "failed=invalid") {
		t.Fatalf("a building of another courtyard: %s", loc)
	}
	if body = as(h, secretary, "GET", "/courtyards", nil).Body.String(); !regexp.MustCompile(`value="4201020010010010001" disabled`).MatchString(body) {
		t.Fatal("a building of a courtyard is offered to another")
	}
	// The pickers: the courtyard is offered to the people inside it.
	id := strings.TrimPrefix(page, "/courtyards/")
	if body = as(h, inside, "GET", "/proposals", nil).Body.String(); !contains(body, `value="courtyard:`+id+`"`) {
		t.Fatal("the courtyard is not offered as a scope to a resident inside it")
	}
	if body = as(h, neighbour, "GET", "/proposals", nil).Body.String(); contains(body, `value="courtyard:`) {
		t.Fatal("the courtyard is offered to a neighbour of another building")
	}
	rec = as(h, inside, "POST", "/proposals", url.Values{"csrf_token": {"tok"}, "area_code": {"courtyard:" + id}, "title": {"院内停车"}})
	if loc = rec.Header().Get("Location"); !regexp.MustCompile(`^/proposals/\d+\?done=proposed`).MatchString(loc) {
		t.Fatalf("propose in the courtyard: %s", loc)
	}
	if body = as(h, inside, "GET", strings.Split(loc, "#")[0], nil).Body.String(); !contains(body, "幸福里") {
		t.Fatal("the proposal does not name its courtyard")
	}
	if rec = as(h, neighbour, "GET", strings.Split(loc, "?")[0], nil); rec.Code != http.StatusNotFound {
		t.Fatalf("a neighbour of another building reads the courtyard's proposal: %d", rec.Code)
	}
	if rec = as(h, inside, "POST", page, url.Values{"csrf_token": {"tok"}, "name": {"x"}, "building": {"4201020010010010001"}}); !contains(rec.Header().Get("Location"), "failed=") {
		t.Fatalf("a resident edits the courtyard: %s", rec.Header().Get("Location"))
	}
}

// Staff merge a proposal into another on its page; the merged one then
// says where it went and why.
func TestMergeProposalPage(t *testing.T) {
	_, h, person := cogovTestUI(t)
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	neighbour := person(civicgrid.RoleResident, "4201020010010020001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	propose := func(a civicgrid.Actor, title string) string {
		rec := as(h, a, "POST", "/proposals", url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "title": {title}})
		return strings.Split(rec.Header().Get("Location"), "?")[0]
	}
	into := propose(resident, "小区加装充电桩")
	from := propose(neighbour, "楼下装充电桩")
	intoID := strings.TrimPrefix(into, "/proposals/")
	if body := as(h, neighbour, "GET", from, nil).Body.String(); contains(body, `data-testid="merge"`) {
		t.Fatal("a resident is offered to merge")
	}
	if body := as(h, secretary, "GET", from, nil).Body.String(); !contains(body, `data-testid="merge"`) || !contains(body, `<option value="`+intoID+`">`) {
		t.Fatalf("the secretary is not offered to merge into %s", intoID)
	}
	rec := as(h, secretary, "POST", from+"/moderate", url.Values{"csrf_token": {"tok"}, "decision": {"merge"}, "into": {intoID}, "reason": {"同一件事"}})
	if loc := rec.Header().Get("Location"); !contains(loc, "done=moderated") {
		t.Fatalf("merge: %s", loc)
	}
	body := as(h, neighbour, "GET", from, nil).Body.String()
	if !contains(body, `data-testid="merged-into"`) || !contains(body, `href="`+into+`"`) || !contains(body, "同一件事") {
		t.Fatal("the merged proposal does not say where it went and why")
	}
	if body = as(h, neighbour, "GET", into, nil).Body.String(); !contains(body, "1 / ") {
		t.Fatal("the neighbour's support was not carried over")
	}
}
