package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// A final election with a seat left empty offers staff (only) the
// by-election; calling it opens the new election's page, which links back.
func TestCogovByElectionPage(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	areas.areas["420102001001"] = civicgrid.Area{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区"}
	areas.areas["4201020010010010001"] = civicgrid.Area{Code: "4201020010010010001", Level: civicgrid.LevelBuilding, Name: "1栋"}
	now := time.Now()
	svc := cogovern.New(cogovern.Config{SupportThreshold: 1, Now: func() time.Time { return now }}, db, areas)
	svc.SetGrants(db)
	ui, err := New(Config{Cogov: svc}, areas)
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	var people []civicgrid.Actor
	for i, role := range []string{civicgrid.RoleCommunitySecretary, civicgrid.RoleResident, civicgrid.RoleResident, civicgrid.RoleResident} {
		area := "4201020010010010001"
		if i == 0 {
			area = "420102001001"
		}
		a := testdb.Person(t, db, i+1, role, area)
		a.CSRFToken = "tok"
		people = append(people, a)
	}
	staff, r := people[0], people[1:]
	e, err := svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: "4201020010010010001", Role: "building_head", Seats: 2, TermMonths: 36})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r {
		if err := svc.Nominate(ctx, a, e.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	el, err := svc.OpenElectionVote(ctx, staff, e.ID, cogovern.ElectionVoteInput{Hours: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r { // 李2 gets two approvals of three (elected), 李4 one: the second seat stays empty
		choice := []string{a.Name}
		if a.UserID == r[1].UserID {
			choice = []string{r[0].Name}
		}
		if _, err := svc.Cast(ctx, a, el.VoteID, choice); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := svc.Close(ctx, staff, el.VoteID)
	if err != nil {
		t.Fatal(err)
	}
	now = closed.NoticeUntil.Add(time.Second)
	page := fmt.Sprintf("/elections/%d", e.ID)
	if b := as(h, r[0], "GET", page, nil).Body.String(); strings.Contains(b, `data-testid="call-by-election"`) {
		t.Fatal("a resident is offered the by-election")
	}
	b := as(h, staff, "GET", page, nil).Body.String()
	if !strings.Contains(b, `data-testid="call-by-election"`) || !strings.Contains(b, "还有 1 个席位空缺") {
		t.Fatalf("staff are offered the by-election for the empty seat: %s", b)
	}
	loc := as(h, staff, "POST", page+"/by-election", url.Values{"csrf_token": {"tok"}}).Header().Get("Location")
	if !strings.Contains(loc, "done=called") || strings.HasPrefix(loc, page+"?") {
		t.Fatalf("called: %s", loc)
	}
	if b := as(h, r[0], "GET", strings.Split(loc, "?")[0], nil).Body.String(); !strings.Contains(b, `data-testid="by-election-of"`) || !strings.Contains(b, page) {
		t.Fatalf("the by-election links to the first: %s", b)
	}
	if b := as(h, r[0], "GET", page, nil).Body.String(); !strings.Contains(b, `data-testid="by-elections"`) {
		t.Fatalf("the first lists its by-election: %s", b)
	}
}
