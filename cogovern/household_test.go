package cogovern_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// Households: staff of the community keep them, all rows or none; a member
// sees their own household; street staff, neighbours and staff of another
// community see nothing.
func TestHouseholdRegistry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.person(civicgrid.RoleResident, building) // 1
	b := e.person(civicgrid.RoleResident, building) // 2
	c := e.person(civicgrid.RoleResident, building) // 3
	owner := e.person(civicgrid.RoleResident, building2)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	street := e.person(civicgrid.RoleStreetDispatcher, community[:9])
	other := e.person(civicgrid.RoleCommunityStaff, away[:12])
	rows := []civicgrid.HouseholdRow{
		{Room: "1-101", Phone: phoneOf(1), Role: civicgrid.HouseholdRepresent},
		{Room: "1-101", Phone: phoneOf(2), Role: civicgrid.HouseholdMemberRole},
		{Room: "1-101", Phone: phoneOf(4), Role: civicgrid.HouseholdOwnerRole, Area: "89.5"},
		{Room: "1-102", Phone: phoneOf(3), Role: civicgrid.HouseholdMemberRole},
	}
	for _, actor := range []civicgrid.Actor{a, street, other} {
		if _, err := e.svc.ImportHouseholds(ctx, actor, building, rows); code(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("%s imports households: %v", actor.Name, err)
		}
	}
	// A phone nobody has: nothing written, not even the flats.
	bad := append(slices.Clone(rows), civicgrid.HouseholdRow{Room: "1-103", Phone: "13999999999", Role: civicgrid.HouseholdMemberRole})
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, bad); code(err) != civicgrid.EINVALID {
		t.Fatalf("unknown phone: %v", err)
	}
	if hs, _ := e.svc.Households(ctx, staff, building); len(hs) != 0 {
		t.Fatalf("a refused import wrote %d flats", len(hs))
	}
	if _, err := e.svc.ImportHouseholds(ctx, staff, community, rows); code(err) != civicgrid.EINVALID {
		t.Fatalf("households of a community: %v", err)
	}
	if n, err := e.svc.ImportHouseholds(ctx, staff, building, rows); err != nil || n != 4 {
		t.Fatal(n, err)
	}
	// A person belongs to one household.
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, []civicgrid.HouseholdRow{{Room: "1-102", Phone: phoneOf(1), Role: "member"}}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a member of two households: %v", err)
	}
	hs, err := e.svc.Households(ctx, staff, building)
	if err != nil || len(hs) != 2 || hs[0].Room != "1-101" || len(hs[0].Members) != 2 || !hs[0].Members[0].Representative || hs[0].AreaCenti != 8950 {
		t.Fatalf("%+v %v", hs, err)
	}
	if m := hs[0].Members[0]; strings.Contains(m.Phone, phoneOf(1)[3:7]) || m.Name == a.Name || hs[0].Owner == owner.Name {
		t.Fatalf("unmasked: %+v", hs[0])
	}
	for _, actor := range []civicgrid.Actor{a, c, street, other} {
		if _, err := e.svc.Households(ctx, actor, building); code(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("%s reads the building's households: %v", actor.Name, err)
		}
	}
	if mine, err := e.svc.MyHousehold(ctx, b); err != nil || mine.Room != "1-101" || len(mine.Members) != 2 {
		t.Fatalf("own household: %+v %v", mine, err)
	}
	if _, err := e.svc.MyHousehold(ctx, owner); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("an owner who lives elsewhere is no member: %v", err)
	}
	// The new representative replaces the old.
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, []civicgrid.HouseholdRow{{Room: "1-101", Phone: phoneOf(2), Role: "representative"}}); err != nil {
		t.Fatal(err)
	}
	hs, _ = e.svc.Households(ctx, staff, building)
	reps := 0
	for _, m := range hs[0].Members {
		if m.Representative {
			reps++
		}
	}
	if reps != 1 {
		t.Fatalf("%d representatives", reps)
	}
	events, err := e.db.ListSecurityEvents(ctx, civicgrid.EventFilter{Kind: civicgrid.EventHouseholdChanged, Limit: 10})
	if err != nil || len(events) != 2 {
		t.Fatalf("audited: %d %v", len(events), err)
	}
}

// A household vote: the roll lists households; any member casts the
// household's ballot, the second member is told the household has voted;
// the result counts households.
func TestHouseholdVote(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.person(civicgrid.RoleResident, building) // 1
	b := e.person(civicgrid.RoleResident, building) // 2
	c := e.person(civicgrid.RoleResident, building) // 3
	loner := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	in := civicgrid.VoteInput{AreaCode: building, Question: "是否安装门禁？", Method: civicgrid.MethodYesNo, Hours: 24, Electorate: civicgrid.ElectorateHousehold}
	if _, err := e.svc.OpenVote(ctx, staff, in); code(err) != civicgrid.EINVALID {
		t.Fatalf("a household vote with no households: %v", err)
	}
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, []civicgrid.HouseholdRow{
		{Room: "1-101", Phone: phoneOf(1), Role: "representative"}, {Room: "1-101", Phone: phoneOf(2), Role: "member"},
		{Room: "1-102", Phone: phoneOf(3), Role: "representative"}, {Room: "1-103"},
	}); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.OpenVote(ctx, staff, in)
	if err != nil || v.RollSize != 2 || v.Electorate != civicgrid.ElectorateHousehold { // 1-103 has no members
		t.Fatalf("%+v %v", v, err)
	}
	if _, err := e.svc.Cast(ctx, loner, v.ID, []string{"yes"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident of no household: %v", err)
	}
	if _, err := e.svc.Cast(ctx, b, v.ID, []string{"yes"}); err != nil {
		t.Fatal(err)
	}
	view, err := e.svc.Vote(ctx, a, v.ID)
	if err != nil || !view.OnRoll || view.Voted || !view.HouseholdVoted || view.CanVote {
		t.Fatalf("the other member's view: %+v %v", view, err)
	}
	if _, err := e.svc.Cast(ctx, a, v.ID, []string{"no"}); code(err) != civicgrid.ECONFLICT || !strings.Contains(err.Error(), "household") {
		t.Fatalf("second member of the household: %v", err)
	}
	// Paper: the household that voted online gets no paper ballot.
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(1)); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("paper ballot for a household that voted: %v", err)
	}
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(3)); err != nil {
		t.Fatal(err)
	}
	entry, err := e.svc.EnterPaperBallot(ctx, staff, v.ID, []string{"no"}, "王见证")
	if err != nil {
		t.Fatal(err)
	}
	staff2 := e.person(civicgrid.RoleCommunitySecretary, community)
	if err := e.svc.ConfirmPaperBallot(ctx, staff2, v.ID, entry.ID); err != nil {
		t.Fatal(err)
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	if r.RollSize != 2 || r.Ballots != 2 || r.Electorate != civicgrid.ElectorateHousehold || !r.QuorumMet || r.Passed || r.Counts[0].Count != 1 {
		t.Fatalf("result %+v", r)
	}
	bs, err := e.svc.Ballots(ctx, c, v.ID)
	if err != nil || civicgrid.Recount(closed, bs) != nil {
		t.Fatalf("recount: %v %v", bs, err)
	}
}

// An owners' vote: the roll lists owners with their summed area, ballots
// carry it, the result has both majorities; paper is refused.
func TestOwnersVote(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var os []civicgrid.Actor
	for range 4 {
		os = append(os, e.person(civicgrid.RoleResident, building)) // 1..4
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, []civicgrid.HouseholdRow{
		{Room: "101", Phone: phoneOf(1), Role: "owner", Area: "60"},
		{Room: "102", Phone: phoneOf(1), Role: "owner", Area: "60"}, // one owner of two flats counts once, with 120 m²
		{Room: "201", Phone: phoneOf(2), Role: "owner", Area: "40"},
		{Room: "202", Phone: phoneOf(3), Role: "owner", Area: "40"},
		{Room: "301", Phone: phoneOf(4), Role: "member"}, // no owner: not on the roll
	}); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: building, Question: "是否使用维修资金更换电梯？", Method: civicgrid.MethodYesNo,
		Hours: 24, Electorate: civicgrid.ElectorateOwners, Rule: "owners_three_quarters"})
	if err != nil || v.RollSize != 3 || v.RollArea != 20000 {
		t.Fatalf("%+v %v", v, err)
	}
	if _, err := e.svc.Cast(ctx, os[3], v.ID, []string{"yes"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a member who owns nothing: %v", err)
	}
	// The big owner and one small say yes: heads 2 of 3 (short of 3/4),
	// area 160 of 200 (4/5).
	for i, ch := range []string{"yes", "yes", "no"} {
		if _, err := e.svc.Cast(ctx, os[i], v.ID, []string{ch}); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	if r.AreaResult == nil || !r.QuorumMet || r.BallotArea != 20000 || r.AreaCounts[0].Area != 16000 || !r.PassArea || r.PassHead || r.Passed {
		t.Fatalf("result %+v %+v", r, r.AreaResult)
	}
	bs, err := e.svc.Ballots(ctx, os[0], v.ID)
	if err != nil || civicgrid.Recount(closed, bs) != nil {
		t.Fatalf("recount: %v %v", bs, err)
	}
	weights := []int64{}
	for _, b := range bs {
		weights = append(weights, b.Weight)
	}
	slices.Sort(weights)
	if !slices.Equal(weights, []int64{4000, 4000, 12000}) {
		t.Fatalf("ballot weights %v", weights)
	}
}
