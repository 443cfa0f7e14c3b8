package web

import (
	"context"
	"fmt"
	"net/http"
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
