package cogovern_test

import (
	"context"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// Members move out and in; co-owners of a flat vote once together with its
// area, online or on paper (entered by two staff with a witness and the
// area written on the ballot); a paper ballot of an area no marked owner has
// is refused.
func TestCoOwnersMovesAndOwnersPaper(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var ps []civicgrid.Actor
	for range 6 {
		ps = append(ps, e.person(civicgrid.RoleResident, building)) // 1..6
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)      // 7
	second := e.person(civicgrid.RoleCommunitySecretary, community) // 8
	imp := func(rows ...civicgrid.HouseholdRow) error {
		_, err := e.svc.ImportHouseholds(ctx, staff, building, rows)
		return err
	}
	if err := imp(
		civicgrid.HouseholdRow{Room: "101", Phone: phoneOf(1), Role: "representative"},
		civicgrid.HouseholdRow{Room: "101", Phone: phoneOf(2), Role: "member"},
		civicgrid.HouseholdRow{Room: "101", Phone: phoneOf(1), Role: "owner", Area: "90"},
		civicgrid.HouseholdRow{Room: "101", Phone: phoneOf(2), Role: "co_owner"}, // husband and wife own 101 together
		civicgrid.HouseholdRow{Room: "102", Phone: phoneOf(3), Role: "owner", Area: "60"},
		civicgrid.HouseholdRow{Room: "201", Phone: phoneOf(4), Role: "owner", Area: "60"},
		civicgrid.HouseholdRow{Room: "202", Phone: phoneOf(5), Role: "member"},
	); err != nil {
		t.Fatal(err)
	}
	// Bad rows: nothing written.
	for name, rows := range map[string][]civicgrid.HouseholdRow{
		"a co-owner of a flat without an owner": {{Room: "202", Phone: phoneOf(6), Role: "co_owner"}},
		"the owner as their own co-owner":       {{Room: "101", Phone: phoneOf(1), Role: "co_owner"}},
		"moving out someone not in the flat":    {{Room: "101", Phone: phoneOf(5), Role: "move_out"}},
		"a co-owner with an area":               {{Room: "101", Phone: phoneOf(6), Role: "co_owner", Area: "10"}},
		"moving out without a phone":            {{Room: "101", Role: "move_out"}},
	} {
		if err := imp(rows...); code(err) != civicgrid.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// 5 moves from 202 to 102 in one batch: out, then in.
	if err := imp(civicgrid.HouseholdRow{Room: "202", Phone: phoneOf(5), Role: "move_out"},
		civicgrid.HouseholdRow{Room: "102", Phone: phoneOf(5), Role: "member"}); err != nil {
		t.Fatal(err)
	}
	hs, err := e.svc.Households(ctx, staff, building)
	if err != nil {
		t.Fatal(err)
	}
	byRoom := map[string]civicgrid.Household{}
	for _, h := range hs {
		byRoom[h.Room] = h
	}
	if len(byRoom["202"].Members) != 0 || len(byRoom["102"].Members) != 1 || len(byRoom["101"].CoOwners) != 1 || byRoom["101"].CoOwners[0] == ps[1].Name {
		t.Fatalf("after the move: %+v", hs)
	}

	// The owners' roll: {1,2} for 101 (90 m²), 3 (60), 4 (60): three owners, 210 m².
	v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: building, Question: "更换电梯？", Method: civicgrid.MethodYesNo,
		Hours: 24, Electorate: civicgrid.ElectorateOwners, Rule: "owners_majority"})
	if err != nil || v.RollSize != 3 || v.RollArea != 21000 {
		t.Fatalf("owners' vote: %+v %v", v, err)
	}
	if _, err := e.svc.Cast(ctx, ps[1], v.ID, []string{"yes"}); err != nil { // the wife votes for 101
		t.Fatal(err)
	}
	if _, err := e.svc.Cast(ctx, ps[0], v.ID, []string{"no"}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("the husband votes for 101 again: %v", err)
	}
	if view, _ := e.svc.Vote(ctx, ps[0], v.ID); view.CanVote || !view.HouseholdVoted {
		t.Fatalf("the husband is offered a ballot: %+v", view)
	}
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(1)); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a paper ballot for 101's other owner: %v", err)
	}
	// Owner 3 votes on paper: marked, entered with the area, confirmed by another.
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EnterPaperBallotArea(ctx, staff, v.ID, []string{"yes"}, "王监票", ""); code(err) != civicgrid.EINVALID {
		t.Fatalf("an owners' paper ballot without its area: %v", err)
	}
	wrong, err := e.svc.EnterPaperBallotArea(ctx, staff, v.ID, []string{"yes"}, "王监票", "90") // no owner of 90 m² is marked for paper
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, second, v.ID, wrong.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a paper ballot of an area no paper owner has: %v", err)
	}
	entry, err := e.svc.EnterPaperBallotArea(ctx, staff, v.ID, []string{"yes"}, "王监票", "60")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, staff, v.ID, entry.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("confirmed by the one who entered it: %v", err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, second, v.ID, entry.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EnterPaperBallotArea(ctx, staff, v.ID, []string{"yes"}, "王监票", "60"); err != nil { // a second 60 m² ballot …
		t.Fatal(err)
	}
	// The mistaken entries stay pending and block the close, as any pending entry does.
	if _, err := e.svc.Close(ctx, staff, v.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("closing with pending paper: %v", err)
	}
	// A yes/no vote of a person electorate takes no area.
	pv := e.openBuildingVote(staff)
	if _, err := e.svc.EnterPaperBallotArea(ctx, staff, pv.ID, []string{"yes"}, "王监票", "60"); code(err) != civicgrid.EINVALID {
		t.Fatalf("an area on a person vote's ballot: %v", err)
	}
	got, _ := e.db.VoteByID(ctx, v.ID)
	if got.Ballots != 2 {
		t.Fatalf("ballots %d, want 2 (the wife online, owner 3 on paper)", got.Ballots)
	}
	_, _, _, box, err := e.db.KeptTally(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	var weights []int64
	for _, b := range box {
		weights = append(weights, b.Weight)
	}
	slices.Sort(weights)
	if !slices.Equal(weights, []int64{6000, 9000}) {
		t.Fatalf("box weights %v, want the flat's 90 m² and the paper owner's 60 m²", weights)
	}
}
