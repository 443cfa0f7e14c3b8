package cogovern_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// runElectionVote opens an election's vote, casts the ballots (by voter),
// closes it and moves past its notice so that it settles.
type cast struct {
	by      civicgrid.Actor
	choices []string
}

func (e *env) runElectionVote(staff civicgrid.Actor, id int64, ballots []cast) civicgrid.Vote {
	e.t.Helper()
	ctx := context.Background()
	el, err := e.svc.OpenElectionVote(ctx, staff, id, cogovern.ElectionVoteInput{Hours: 24})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range ballots {
		if _, err := e.svc.Cast(ctx, b.by, el.VoteID, b.choices); err != nil {
			e.t.Fatal(err)
		}
	}
	closed, err := e.svc.Close(ctx, staff, el.VoteID)
	if err != nil {
		e.t.Fatal(err)
	}
	e.now = closed.NoticeUntil.Add(time.Second)
	if _, err := e.svc.FireElections(ctx); err != nil {
		e.t.Fatal(err)
	}
	return closed
}

// A seat left empty (no candidate reached the majority for the second
// seat) is filled by a by-election of that seat only, linked to the first,
// through the same nominations, vote, notice and grant; its winner joins
// the first's winner, who keeps the role, until the first's term ends.
func TestByElectionFillsTheEmptySeat(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.SetGrants(e.db)
	staff := e.person(civicgrid.RoleCommunitySecretary, community) // 1
	oldHead := e.person(civicgrid.RoleBuilding, building)          // 2
	var rs []civicgrid.Actor
	for range 4 {
		rs = append(rs, e.person(civicgrid.RoleResident, building)) // 3..6: 李3..李6
	}
	first, err := e.svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: building, Role: "building_head", Seats: 2, TermMonths: 36})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs[:3] {
		if err := e.svc.Nominate(ctx, r, first.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CallByElection(ctx, staff, first.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a by-election of an election still nominating: %v", err)
	}
	closed := e.runElectionVote(staff, first.ID, []cast{
		{rs[0], []string{"李3"}}, {rs[1], []string{"李3", "李4"}}, {rs[2], []string{"李5"}}, {rs[3], []string{"李3"}}})
	if !slices.Equal(closed.Result.Winners, []string{"李3"}) {
		t.Fatalf("the first election's winners: %+v", closed.Result)
	}
	fv, err := e.svc.Election(ctx, staff, first.ID)
	if err != nil || fv.Status != civicgrid.ElectionFinal || fv.Vacant != 1 || !fv.CanCallByElection {
		t.Fatalf("the first election with a seat empty: %+v %v", fv, err)
	}
	if len(grantsOf(t, e, rs[0].UserID)) != 1 || len(grantsOf(t, e, oldHead.UserID)) != 0 {
		t.Fatal("the first election's grant")
	}

	if _, err := e.svc.CallByElection(ctx, rs[0], first.ID); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident calls a by-election: %v", err)
	}
	by, err := e.svc.CallByElection(ctx, staff, first.ID)
	if err != nil || by.Seats != 1 || by.ByElectionOf != first.ID || by.Status != civicgrid.ElectionNominating || by.Role != "building_head" {
		t.Fatalf("the by-election: %+v %v", by, err)
	}
	if _, err := e.svc.CallByElection(ctx, staff, first.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second by-election while one is under way: %v", err)
	}
	if fv, _ = e.svc.Election(ctx, rs[3], first.ID); len(fv.ByElections) != 1 || fv.ByElections[0].ID != by.ID || fv.CanCallByElection ||
		fv.History[len(fv.History)-1].Action != civicgrid.CogovByElection {
		t.Fatalf("the first election links its by-election: %+v", fv)
	}
	for _, r := range rs[1:3] {
		if err := e.svc.Nominate(ctx, r, by.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The list reads every election's candidates (one query for all).
	es, err := e.svc.Elections(ctx, staff)
	if err != nil || len(es) != 2 || es[0].ID != by.ID || len(es[0].Candidates) != 2 || es[0].Candidates[0].Label != "李4" ||
		len(es[1].Candidates) != 3 || es[1].Candidates[2].Label != "李5" {
		t.Fatalf("the list with candidates: %+v %v", es, err)
	}
	closed = e.runElectionVote(staff, by.ID, []cast{
		{rs[0], []string{"李4"}}, {rs[1], []string{"李4"}}, {rs[2], []string{"李5"}}, {rs[3], []string{"李4"}}})
	bv, err := e.svc.Election(ctx, staff, by.ID)
	if err != nil || bv.Status != civicgrid.ElectionFinal || !bv.TermEndsAt.Equal(fv.TermEndsAt) {
		t.Fatalf("the by-election settled with the first's term: %+v (first ends %v) %v", bv.Election, fv.TermEndsAt, err)
	}
	if len(grantsOf(t, e, rs[1].UserID)) != 1 || len(grantsOf(t, e, rs[0].UserID)) != 1 {
		t.Fatal("the by-election's winner holds the role beside the first's, who keeps it")
	}
	if fv, _ = e.svc.Election(ctx, staff, first.ID); fv.Vacant != 0 || fv.CanCallByElection {
		t.Fatalf("every seat filled: %+v", fv)
	}
	if _, err := e.svc.CallByElection(ctx, staff, first.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a by-election with no empty seat: %v", err)
	}
	if _, err := e.svc.CallByElection(ctx, staff, by.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a by-election of a full by-election: %v", err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}
