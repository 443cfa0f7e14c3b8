package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// cogovTestUI serves the co-governance pages over the real service (a
// support threshold of 1) and store, with a maker of logged-in people.
func cogovTestUI(t *testing.T, extra ...civicgrid.Area) (*cogovern.Service, http.Handler, func(role, area string) civicgrid.Actor) {
	t.Helper()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	areas.areas["420102001001"] = civicgrid.Area{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区"}
	for _, a := range extra {
		areas.areas[a.Code] = a
	}
	svc := cogovern.New(cogovern.Config{SupportThreshold: 1}, db, areas)
	ui, err := New(Config{Cogov: svc}, areas)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return svc, httptestMux(ui), func(role, area string) civicgrid.Actor {
		n++
		u, err := db.CreateUser(context.Background(), civicgrid.User{Name: fmt.Sprintf("居民%d", n), Phone: fmt.Sprintf("1370000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		a.CSRFToken = "tok"
		return a
	}
}

// The co-governance pages over the real service and store: what each
// person is offered follows the policy, forms report refusals, and the
// receipt is shown once and never cached.
func TestCogovPages(t *testing.T) {
	_, h, person := cogovTestUI(t)
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	neighbour := person(civicgrid.RoleResident, "4201020010010020001")
	outsider := person(civicgrid.RoleResident, "4201030010010010001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")

	rec := as(h, resident, "GET", "/proposals", nil)
	if rec.Code != http.StatusOK || !contains(rec.Body.String(), `value="420102001001"`) {
		t.Fatalf("list: %d, the community is offered as a scope: %s", rec.Code, rec.Body)
	}
	rec = as(h, resident, "POST", "/proposals", url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "title": {"加装电梯"}})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !regexp.MustCompile(`^/proposals/\d+\?done=proposed`).MatchString(loc) {
		t.Fatalf("propose: %d %s", rec.Code, loc)
	}
	page := strings.Split(loc, "?")[0]
	if rec = as(h, outsider, "GET", page, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("another district's proposal: %d", rec.Code)
	}
	body := as(h, resident, "GET", page, nil).Body.String()
	if contains(body, "/support") || contains(body, "/moderate") {
		t.Fatal("the author is offered support or moderation of their own proposal")
	}
	if body = as(h, neighbour, "GET", page, nil).Body.String(); !contains(body, page+"/support") || contains(body, "/moderate") {
		t.Fatal("a neighbour is offered support, not moderation")
	}
	rec = as(h, secretary, "POST", page+"/moderate", url.Values{"csrf_token": {"tok"}, "decision": {"decline"}})
	if loc = rec.Header().Get("Location"); !contains(loc, "failed=invalid") {
		t.Fatalf("decline without a reason: %s", loc)
	}
	if body = as(h, secretary, "GET", loc, nil).Body.String(); !contains(body, `data-testid="flash-error"`) {
		t.Fatal("the refusal is not shown")
	}
	if rec = as(h, neighbour, "POST", page+"/support", url.Values{"csrf_token": {"tok"}}); !contains(rec.Header().Get("Location"), "done=supported") {
		t.Fatalf("support: %s", rec.Header().Get("Location"))
	}
	rec = as(h, secretary, "POST", page+"/vote", url.Values{"csrf_token": {"tok"}, "rule": {"two_thirds"}, "hours": {"24"}})
	vote := strings.Split(rec.Header().Get("Location"), "?")[0]
	if !regexp.MustCompile(`^/votes/\d+$`).MatchString(vote) {
		t.Fatalf("open a vote: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if body = as(h, secretary, "GET", vote, nil).Body.String(); contains(body, `data-testid="ballot"`) || !contains(body, vote+"/close") {
		t.Fatal("staff off the roll get a ballot, or no close button")
	}
	if body = as(h, resident, "GET", vote, nil).Body.String(); !contains(body, `data-testid="ballot"`) || contains(body, vote+"/close") {
		t.Fatal("a resident on the roll gets no ballot, or a close button")
	}
	rec = as(h, resident, "POST", vote+"/ballot", url.Values{"csrf_token": {"tok"}, "choice": {"yes"}})
	if rec.Code != http.StatusOK || !regexp.MustCompile(`[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}`).MatchString(rec.Body.String()) ||
		!contains(rec.Header().Get("Cache-Control"), "no-store") {
		t.Fatalf("ballot: %d %q, receipt shown and not cached", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if rec = as(h, resident, "POST", vote+"/ballot", url.Values{"csrf_token": {"tok"}, "choice": {"no"}}); !contains(rec.Header().Get("Location"), "failed=conflict") {
		t.Fatalf("second ballot: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	// Staff elect two of three from the list page's form; a resident has no such form.
	if contains(as(h, resident, "GET", "/proposals", nil).Body.String(), `action="/votes"`) {
		t.Fatal("a resident is offered to open a vote")
	}
	if !contains(as(h, secretary, "GET", "/proposals", nil).Body.String(), `action="/votes"`) {
		t.Fatal("the secretary is not offered to open a vote")
	}
	rec = as(h, secretary, "POST", "/votes", url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "question": {"选举楼栋长"},
		"method": {"approval"}, "options": {"张大爷\r\n李阿姨\r\n\r\n王师傅"}, "winners": {"2"}, "hours": {"24"}, "notice_days": {"7"}})
	election := strings.Split(rec.Header().Get("Location"), "?")[0]
	if !regexp.MustCompile(`^/votes/\d+$`).MatchString(election) {
		t.Fatalf("open an election: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if body = as(h, neighbour, "GET", election, nil).Body.String(); !contains(body, `type="checkbox" name="choice" value="李阿姨"`) || contains(body, `value="">`) {
		t.Fatalf("the election's ballot lists the three candidates as checkboxes: %s", body)
	}
	// The list asks to vote only those on the roll who have not voted.
	if body = as(h, neighbour, "GET", "/proposals", nil).Body.String(); !contains(body, `href="`+election+`" data-testid="list-go-vote"`) {
		t.Fatalf("a neighbour on the election's roll is not asked to vote: %s", body)
	}
	if body = as(h, secretary, "GET", "/proposals", nil).Body.String(); contains(body, `data-testid="list-go-vote"`) {
		t.Fatal("staff off the rolls are asked to vote in the list")
	}
	if body = as(h, resident, "GET", "/proposals", nil).Body.String(); contains(body, `href="`+vote+`" data-testid="list-go-vote"`) {
		t.Fatal("a resident who voted is asked to vote again in the list")
	}
	rec = as(h, secretary, "POST", "/votes", url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "question": {"q"},
		"method": {"approval"}, "options": {"甲"}, "winners": {"1"}, "hours": {"24"}})
	if !contains(rec.Header().Get("Location"), "failed=invalid") {
		t.Fatalf("an election of one candidate: %s", rec.Header().Get("Location"))
	}
	// Closed, the result is on the community's public board for anyone.
	if rec = as(h, secretary, "POST", vote+"/close", url.Values{"csrf_token": {"tok"}}); !contains(rec.Header().Get("Location"), "done=closed") {
		t.Fatalf("close: %s", rec.Header().Get("Location"))
	}
	rec = as(h, civicgrid.Actor{}, "GET", "/notices/4201020010010010001", nil)
	if body = rec.Body.String(); rec.Code != http.StatusOK || !contains(body, `data-testid="board"`) || !contains(body, "加装电梯") || contains(body, "居民1") {
		t.Fatalf("public board: %d %s", rec.Code, body)
	}
	if rec = as(h, civicgrid.Actor{}, "GET", "/notices/nope", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("board of no area: %d", rec.Code)
	}
}
