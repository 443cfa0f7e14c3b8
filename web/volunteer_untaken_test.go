package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Staff see the open requests no volunteer took yet with the cases'
// traffic light, red past the take-by time, on /volunteer and on the
// request's page with its history; others do not see the list, and a
// request one may not read is not found.
func TestVolunteerUntakenPages(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	const building = "4201020010010010001"
	areas.areas[building] = civicgrid.Area{Code: building, Level: civicgrid.LevelBuilding, Name: "三阳路1号", Geometry: orb.Point{114.295, 30.585}}
	now := time.Now()
	svc := volunteering.New(volunteering.Config{TakeWithin: time.Hour, Now: func() time.Time { return now }}, db, areas)
	ui, err := New(Config{Volunteer: svc}, areas)
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	n := 0
	person := func(role, area string) civicgrid.Actor {
		n++
		u, err := db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("居民%d", n), Phone: fmt.Sprintf("1370000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		a.CSRFToken = "tok"
		return a
	}
	resident := person(civicgrid.RoleResident, building)
	other := person(civicgrid.RoleResident, building)
	staff := person(civicgrid.RoleCommunityStaff, "420102001001")
	r, err := svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
		t.Fatal(err)
	}
	rec := as(h, staff, "GET", "/volunteer", nil)
	if body := rec.Body.String(); !contains(body, `data-testid="waiting"`) || !contains(body, `data-light="green"`) || !contains(body, `data-testid="take-by"`) {
		t.Fatalf("waiting list, green: %s", body)
	}
	now = now.Add(2 * time.Hour)
	if n, err := svc.FireUntaken(ctx); err != nil || n != 1 {
		t.Fatalf("fired %d, %v", n, err)
	}
	for _, lang := range []string{"zh-CN", "en"} {
		rec = as(h, staff, "GET", "/volunteer/requests/"+fmt.Sprint(r.ID)+"?lang="+lang, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !contains(body, `data-light="red"`) || !contains(body, `data-action="request.untaken"`) {
			t.Fatalf("request page (%s): %d %s", lang, rec.Code, body)
		}
	}
	if body := as(h, staff, "GET", "/volunteer", nil).Body.String(); !contains(body, `light-border-red`) {
		t.Fatalf("waiting list, red: %s", body)
	}
	if body := as(h, resident, "GET", "/volunteer", nil).Body.String(); contains(body, `data-testid="waiting"`) {
		t.Fatalf("a resident sees staff's waiting list")
	}
	if rec := as(h, other, "GET", "/volunteer/requests/"+fmt.Sprint(r.ID), nil); rec.Code != http.StatusNotFound {
		t.Fatalf("another resident reads the request page: %d", rec.Code)
	}
	if rec := as(h, staff, "GET", "/volunteer/requests/x", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("a malformed id: %d", rec.Code)
	}
}

// Staff invite an approved volunteer from the request's page; the
// volunteer finds the invitation on /volunteer and accepts it (the request
// is theirs) or declines it (it stays open); nobody else sees it.
func TestVolunteerInvitationPages(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	const building = "4201020010010010001"
	areas.areas[building] = civicgrid.Area{Code: building, Level: civicgrid.LevelBuilding, Name: "三阳路1号", Geometry: orb.Point{114.295, 30.585}}
	svc := volunteering.New(volunteering.Config{People: db}, db, areas)
	ui, err := New(Config{Volunteer: svc}, areas)
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	n := 0
	person := func(role, area string) civicgrid.Actor {
		n++
		a := testdb.Person(t, db, n, role, area)
		if role == civicgrid.RoleVolunteer {
			testdb.ApproveVolunteer(t, db, a, area)
		}
		a.CSRFToken = "tok"
		return a
	}
	resident := person(civicgrid.RoleResident, building)
	staff := person(civicgrid.RoleCommunityStaff, "420102001001")
	volA := person(civicgrid.RoleVolunteer, "420102001001")
	volB := person(civicgrid.RoleVolunteer, "420102001001")
	ask := func() int64 {
		r, err := svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	r1, r2 := ask(), ask()
	page := fmt.Sprint("/volunteer/requests/", r1)
	body := as(h, staff, "GET", page, nil).Body.String()
	if !contains(body, `data-testid="invite"`) || !contains(body, fmt.Sprintf(`value="%d"`, volA.UserID)) || contains(body, fmt.Sprintf(`value="%d"`, resident.UserID)) {
		t.Fatalf("invite form: %s", body)
	}
	if body := as(h, volA, "GET", page, nil).Body.String(); contains(body, `data-testid="invite"`) {
		t.Fatalf("a volunteer is offered the invite form")
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {"tok"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	outcome := func(rec interface{ Header() http.Header }, want string) {
		t.Helper()
		if loc := rec.Header().Get("Location"); !contains(loc, want) {
			t.Fatalf("outcome %q, want %q", loc, want)
		}
	}
	outcome(as(h, staff, "POST", page+"/invite", form("user_id", fmt.Sprint(resident.UserID))), "failed=invalid")
	outcome(as(h, staff, "POST", page+"/invite", form("user_id", fmt.Sprint(volA.UserID))), "done=invite")
	outcome(as(h, staff, "POST", fmt.Sprint("/volunteer/requests/", r2, "/invite"), form("user_id", fmt.Sprint(volA.UserID))), "done=invite")
	if body := as(h, staff, "GET", page, nil).Body.String(); !contains(body, `data-testid="invited"`) || !contains(body, `data-status="invited"`) {
		t.Fatalf("invitations sent: %s", body)
	}
	if body := as(h, volB, "GET", "/volunteer", nil).Body.String(); contains(body, `data-testid="invitations"`) {
		t.Fatalf("another volunteer sees the invitations")
	}
	invs, err := svc.Invitations(ctx, volA)
	if err != nil || len(invs) != 2 {
		t.Fatalf("invitations: %v %+v", err, invs)
	}
	for _, lang := range []string{"zh-CN", "en"} {
		body := as(h, volA, "GET", "/volunteer?lang="+lang, nil).Body.String()
		if !contains(body, `data-testid="invitations"`) || !contains(body, fmt.Sprintf(`action="/volunteer/invitations/%d/accept"`, invs[0].ID)) {
			t.Fatalf("volunteer's invitations (%s): %s", lang, body)
		}
	}
	outcome(as(h, volB, "POST", fmt.Sprintf("/volunteer/invitations/%d/accept", invs[0].ID), form()), "failed=not_found")
	outcome(as(h, volA, "POST", fmt.Sprintf("/volunteer/invitations/%d/accept", invs[0].ID), form()), "done=invite_accept")
	outcome(as(h, volA, "POST", fmt.Sprintf("/volunteer/invitations/%d/decline", invs[1].ID), form("reason", "一次只接一单")), "done=invite_decline")
	v1, _ := svc.Request(ctx, staff, r1)
	v2, _ := svc.Request(ctx, staff, r2)
	if v1.Status != civicgrid.HelpClaimed || v1.VolunteerID != volA.UserID || v2.Status != civicgrid.HelpAccepted || v2.Invitations[0].Reason != "一次只接一单" {
		t.Fatalf("after answering: %s/%d, %s %+v", v1.Status, v1.VolunteerID, v2.Status, v2.Invitations)
	}
	if body := as(h, volA, "GET", "/volunteer", nil).Body.String(); contains(body, `data-testid="invitations"`) {
		t.Fatalf("answered invitations still shown")
	}
}
