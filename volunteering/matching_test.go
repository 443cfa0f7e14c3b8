package volunteering_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Matching by areas served and insurance: a volunteer's open list holds
// the requests in the areas they serve, and those outside only when they
// opt in — after theirs even when nearer; a request whose service needs
// insurance (陪诊) is listed as not claimable to a volunteer without valid
// insurance, and claiming it is refused naming the rule (no insurance, or
// insurance ended), writing nothing; with the setting every claim needs it.
func TestMatchingAreasAndInsurance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	e.n++
	vol := testdb.Person(t, e.db, e.n, civicgrid.RoleVolunteer, community)
	reg := civicgrid.ProfileInput{Community: community, Areas: []string{grid}} // building2 lies in another grid
	must(e.svc.Register(ctx, vol, reg))
	must(e.svc.Decide(ctx, staff, vol.UserID, "approve", ""))

	open := func(svc civicgrid.HelpInput) int64 {
		r := must(e.svc.Ask(ctx, staff, svc))
		must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
		return r.ID
	}
	inside := open(civicgrid.HelpInput{Service: "shopping", BuildingCode: building})
	outside := open(civicgrid.HelpInput{Service: "shopping", BuildingCode: building2})
	nearOutside := &volunteering.Point{Lat: 30.5502, Lng: 114.3102} // at building2, 1 km from building

	ids := func(vs []volunteering.View) []int64 {
		var out []int64
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	if got := must(e.svc.Open(ctx, vol, nearOutside)); len(got) != 1 || got[0].ID != inside || got[0].OutsideAreas {
		t.Fatalf("without opting in: %v", ids(got))
	}
	reg.OutsideAreas = true
	if p := must(e.svc.Register(ctx, vol, reg)); !p.OutsideAreas || p.Status != civicgrid.ProfileApproved {
		t.Fatalf("opted in: %+v", p)
	}
	got := must(e.svc.Open(ctx, vol, nearOutside))
	if len(got) != 2 || got[0].ID != inside || got[1].ID != outside || got[0].OutsideAreas || !got[1].OutsideAreas ||
		got[1].DistanceM >= got[0].DistanceM {
		t.Fatalf("opted in, near the outside one: %v (%+v)", ids(got), got)
	}

	// Insurance: 陪诊 needs it.
	clinic := open(civicgrid.HelpInput{Service: "clinic", BuildingCode: building})
	history := func() int { return len(must(e.db.VolunteerEvents(ctx, clinic))) }
	before := history()
	for _, v := range must(e.svc.Open(ctx, vol, nil)) {
		if v.ID == clinic && (!v.InsuranceNeeded || v.CanClaim) {
			t.Fatalf("the clinic escort for an uninsured volunteer: %+v", v)
		}
	}
	_, err := e.svc.Claim(ctx, vol, clinic)
	wantErr(t, err, civicgrid.EFORBIDDEN, "needs an insured volunteer, and your registration names no insurance")
	reg.InsuranceUntil = "2026-01-01" // before the env's day
	must(e.svc.Register(ctx, vol, reg))
	_, err = e.svc.Claim(ctx, vol, clinic)
	wantErr(t, err, civicgrid.EFORBIDDEN, "your insurance ended on 2026-01-01")
	if n := history(); n != before {
		t.Fatalf("refused claims wrote %d events", n-before)
	}
	reg.InsuranceUntil = "2027-06-30"
	must(e.svc.Register(ctx, vol, reg))
	if v := must(e.svc.Claim(ctx, vol, clinic)); v.Status != civicgrid.HelpClaimed {
		t.Fatalf("insured claim: %+v", v)
	}

	// The setting: every claim needs insurance.
	strict := e.with(volunteering.Config{ClaimLimit: 5, RequireInsurance: true})
	e.n++
	other := testdb.Person(t, e.db, e.n, civicgrid.RoleVolunteer, community)
	must(strict.Register(ctx, other, civicgrid.ProfileInput{Community: community}))
	must(strict.Decide(ctx, staff, other.UserID, "approve", ""))
	_, err = strict.Claim(ctx, other, inside)
	wantErr(t, err, civicgrid.EFORBIDDEN, "requires insurance for every claim")
	if v := must(e.svc.Claim(ctx, other, inside)); v.Status != civicgrid.HelpClaimed {
		t.Fatalf("without the setting: %+v", v)
	}
}
