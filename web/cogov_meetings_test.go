package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// The meeting pages over the real service and store: staff schedule from
// the proposals on the agenda and see the door code and the roll; an
// invited resident signs in with the code; the minutes form publishes a
// decision per item, which the proposal's page then shows.
func TestCogovMeetingPages(t *testing.T) {
	ctx := context.Background()
	svc, h, person := cogovTestUI(t)
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	neighbour := person(civicgrid.RoleResident, "4201020010010020001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	p, err := svc.Propose(ctx, resident, cogovern.ProposalInput{AreaCode: "420102001001", Title: "加装电梯"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Support(ctx, neighbour, p.ID); err != nil { // onto the agenda at a threshold of 1
		t.Fatal(err)
	}
	if rec := as(h, resident, "GET", "/proposals", nil); strings.Contains(rec.Body.String(), `action="/meetings"`) {
		t.Fatal("a resident is offered the schedule form")
	}
	rec := as(h, secretary, "GET", "/proposals", nil)
	if !strings.Contains(rec.Body.String(), `action="/meetings"`) || !strings.Contains(rec.Body.String(), fmt.Sprintf(`name="agenda" value="%d"`, p.ID)) {
		t.Fatalf("staff's schedule form with the proposal on the agenda: %s", rec.Body)
	}
	when := time.Now().Add(24 * time.Hour).Format("2006-01-02T15:04")
	form := url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "title": {"十二月议事会"}, "place": {""}, "starts_at": {when}, "agenda": {fmt.Sprint(p.ID)}}
	if rec = as(h, secretary, "POST", "/meetings", form); !strings.Contains(rec.Header().Get("Location"), "failed=invalid") {
		t.Fatalf("no place: %s", rec.Header().Get("Location"))
	}
	form.Set("place", "社区活动室")
	rec = as(h, secretary, "POST", "/meetings", form)
	loc := rec.Header().Get("Location")
	if !regexp.MustCompile(`^/meetings/\d+\?done=scheduled`).MatchString(loc) {
		t.Fatalf("schedule: %d %s", rec.Code, loc)
	}
	page := strings.Split(loc, "?")[0]
	var id int64
	fmt.Sscanf(page, "/meetings/%d", &id)
	m, err := svc.Meeting(ctx, secretary, id)
	if err != nil {
		t.Fatal(err)
	}
	staffPage := as(h, secretary, "GET", page, nil).Body.String()
	if !strings.Contains(staffPage, m.Code) || !strings.Contains(staffPage, `data-testid="roll"`) || strings.Contains(staffPage, "居民1<") {
		t.Fatalf("staff page: the code, the roll, names masked: %s", staffPage)
	}
	resPage := as(h, resident, "GET", page, nil).Body.String()
	if strings.Contains(resPage, m.Code) || !strings.Contains(resPage, `data-testid="signin"`) {
		t.Fatalf("resident page: no code, the sign-in form: %s", resPage)
	}
	if rec = as(h, resident, "POST", page+"/signin", url.Values{"csrf_token": {"tok"}, "code": {"nope"}}); !strings.Contains(rec.Header().Get("Location"), "failed=invalid") {
		t.Fatalf("wrong code: %s", rec.Header().Get("Location"))
	}
	if rec = as(h, resident, "POST", page+"/signin", url.Values{"csrf_token": {"tok"}, "code": {m.Code}}); !strings.Contains(rec.Header().Get("Location"), "done=signed_in") {
		t.Fatalf("sign in: %s", rec.Header().Get("Location"))
	}
	if !strings.Contains(as(h, resident, "GET", page, nil).Body.String(), `data-testid="signed-in"`) {
		t.Fatal("the resident is shown as signed in")
	}
	rec = as(h, secretary, "POST", page+"/minutes", url.Values{"csrf_token": {"tok"}, "item": {fmt.Sprint(p.ID)},
		"decision_" + fmt.Sprint(p.ID): {"adopted"}, "note_" + fmt.Sprint(p.ID): {"报街道立项"}, "minutes": {"到会1人"}})
	if !strings.Contains(rec.Header().Get("Location"), "done=minutes") {
		t.Fatalf("minutes: %s", rec.Header().Get("Location"))
	}
	// 1 of the 2 residents invited (the default roll: residents and
	// building roles): the quorum is not met, and the page says so.
	pub := as(h, neighbour, "GET", page, nil).Body.String()
	if !strings.Contains(pub, "到会1人") || !strings.Contains(pub, "报街道立项") || !strings.Contains(pub, "已签到 1 人 / 应到 2 人") ||
		!strings.Contains(pub, "参加人数未达到要求") {
		t.Fatalf("published minutes: %s", pub)
	}
	prop := as(h, neighbour, "GET", fmt.Sprintf("/proposals/%d", p.ID), nil).Body.String()
	if !strings.Contains(prop, `data-testid="proposal-meeting"`) || !strings.Contains(prop, "报街道立项") {
		t.Fatalf("the proposal shows its meeting's decision: %s", prop)
	}
}
