package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The care pages over the real service and store: staff register a person
// with consent (refused without), the grid worker finds the visit in the
// queue with its light, reads the person's page and records a visit by
// phone; an unassigned grid worker sees nothing; a missed slot shows red.
func TestCarePages(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	const building = "4201020010010010001"
	areas.areas[building] = civicgrid.Area{Code: building, Level: civicgrid.LevelBuilding, Name: "三阳路1号", Geometry: orb.Point{114.295, 30.585}}
	now := time.Now()
	vol := volunteering.New(volunteering.Config{Now: func() time.Time { return now }}, db, areas)
	svc := care.New(care.Config{Now: func() time.Time { return now }, Requests: vol}, db, db, areas, nil)
	ui, err := New(Config{Care: svc, People: db, Volunteer: vol}, areas)
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	n := 0
	person := func(role, area string) civicgrid.Actor {
		n++
		u, err := db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("刘%d", n), Phone: fmt.Sprintf("1370000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		a.CSRFToken = "tok"
		return a
	}
	staff := person(civicgrid.RoleCommunityStaff, "420102001001")
	worker := person(civicgrid.RoleGridWorker, "420102001001001")
	other := person(civicgrid.RoleGridWorker, "420102001001001")
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {"tok"}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	rec := as(h, staff, "GET", "/care", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !contains(body, `value="`+building+`"`) || !contains(body, `value="living_alone"`) ||
		!contains(body, fmt.Sprintf(`name="visitor_ids" value="%d"`, worker.UserID)) || !contains(body, "知情同意") || !contains(body, "刘*（网格员）") {
		t.Fatalf("staff's care page: %d %s", rec.Code, body)
	}
	reg := []string{"name", "王秀英", "building_code", building, "address", "1单元302", "kinds", "living_alone",
		"visitor_ids", fmt.Sprint(worker.UserID), "consent_scope", "姓名、住址", "consent_purpose", "探访", "consent_at", now.In(ui.location()).Format(time.DateOnly)}
	rec = as(h, staff, "POST", "/care", form(reg...))
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "failed=invalid") || !strings.Contains(loc, "consent") {
		t.Fatalf("without consent: %s", loc)
	}
	rec = as(h, staff, "POST", "/care", form(append(reg, "consent_by", "self")...))
	m := regexp.MustCompile(`^/care/(\d+)\?done=registered`).FindStringSubmatch(rec.Header().Get("Location"))
	if m == nil {
		t.Fatalf("registered: %s", rec.Header().Get("Location"))
	}
	page := "/care/" + m[1]

	rec = as(h, worker, "GET", "/care", nil)
	if !contains(rec.Body.String(), `data-light="green"`) || !contains(rec.Body.String(), "王**") || contains(rec.Body.String(), "王秀英") {
		t.Fatalf("the worker's queue: %s", rec.Body)
	}
	if rec = as(h, other, "GET", page, nil); rec.Code != http.StatusNotFound || contains(rec.Body.String(), "王秀英") {
		t.Fatalf("an unassigned worker reads: %d %s", rec.Code, rec.Body)
	}
	rec = as(h, worker, "GET", page, nil)
	if rec.Code != http.StatusOK || !contains(rec.Body.String(), "王秀英") || !contains(rec.Body.String(), `data-testid="visit-form"`) ||
		rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("the worker's page of the person: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = as(h, worker, "POST", page+"/visit", form("mode", "phone", "state", "concern"))
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "failed=invalid") || !strings.Contains(loc, "note") {
		t.Fatalf("a concern without a note: %s", loc)
	}
	rec = as(h, worker, "POST", page+"/visit", form("mode", "phone", "state", "concern", "note", "燃气灶打不着火"))
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "done=visited") {
		t.Fatalf("visit: %s", loc)
	}
	rec = as(h, worker, "GET", page, nil)
	if !contains(rec.Body.String(), "燃气灶打不着火") || !contains(rec.Body.String(), `data-testid="to-case"`) || contains(rec.Body.String(), `data-testid="visit-form"`) {
		t.Fatalf("after the visit: %s", rec.Body)
	}
	// The concern becomes a request for help, linked, once.
	vm := regexp.MustCompile(`data-visit="(\d+)"`).FindStringSubmatch(rec.Body.String())
	if vm == nil || !contains(rec.Body.String(), `data-testid="to-request"`) || !contains(rec.Body.String(), `<option value="shopping">代购</option>`) {
		t.Fatalf("no request form: %s", rec.Body)
	}
	if loc := as(h, worker, "POST", page+"/request/"+vm[1], form("service", "")).Header().Get("Location"); !strings.Contains(loc, "failed=invalid") {
		t.Fatalf("a request without a service: %s", loc)
	}
	if loc := as(h, worker, "POST", page+"/request/"+vm[1], form("service", "shopping")).Header().Get("Location"); !strings.Contains(loc, "done=request") {
		t.Fatalf("to request: %s", loc)
	}
	rec = as(h, worker, "GET", page, nil)
	if !contains(rec.Body.String(), `data-testid="visit-request"`) || !contains(rec.Body.String(), "已由此次探访转为志愿服务需求") || contains(rec.Body.String(), `data-testid="to-request"`) {
		t.Fatalf("after the request: %s", rec.Body)
	}
	rs, err := db.HelpRequests(ctx, []string{"4201"}, nil, 10)
	if err != nil || len(rs) != 1 || rs[0].Beneficiary != "王秀英" {
		t.Fatalf("requests: %+v %v", rs, err)
	}
	// The visit links to the request's page for whoever may read it.
	if link := fmt.Sprintf(`<a href="/volunteer/requests/%d" data-testid="visit-request">`, rs[0].ID); !contains(rec.Body.String(), link) {
		t.Fatalf("the worker's page does not link the request (%s): %s", link, rec.Body)
	}
	if rec := as(h, worker, "GET", fmt.Sprintf("/volunteer/requests/%d", rs[0].ID), nil); rec.Code != http.StatusOK {
		t.Fatalf("the linked request's page: %d", rec.Code)
	}
	// Past the due time with the next slot unvisited: red.
	now = now.Add(15 * 24 * time.Hour)
	if _, err := svc.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	if rec = as(h, worker, "GET", "/care", nil); !contains(rec.Body.String(), `data-light="red"`) {
		t.Fatalf("a missed visit is not red: %s", rec.Body)
	}
	if rec = as(h, staff, "GET", page, nil); !contains(rec.Body.String(), `data-testid="care-missed"`) || !contains(rec.Body.String(), "结束关爱") ||
		!contains(rec.Body.String(), fmt.Sprintf(`name="visitor_ids" value="%d" checked`, worker.UserID)) {
		t.Fatalf("staff's page after the miss: %s", rec.Body)
	}
	// Staff change the plan: every 3 days, the other grid worker too; a
	// visitor may not.
	if loc := as(h, worker, "POST", page+"/plan", form("frequency_days", "3", "visitor_ids", fmt.Sprint(worker.UserID))).Header().Get("Location"); !strings.Contains(loc, "failed=forbidden") {
		t.Fatalf("a visitor changes the plan: %s", loc)
	}
	if loc := as(h, staff, "POST", page+"/plan", form("frequency_days", "3", "visitor_ids", fmt.Sprint(worker.UserID), "visitor_ids", fmt.Sprint(other.UserID))).Header().Get("Location"); !strings.Contains(loc, "done=plan") {
		t.Fatalf("staff change the plan: %s", loc)
	}
	if rec = as(h, other, "GET", page, nil); rec.Code != http.StatusOK || !contains(rec.Body.String(), "每 3 天探访一次") {
		t.Fatalf("the newly assigned worker reads the new plan: %d %s", rec.Code, rec.Body)
	}
}
