package volunteering_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Matching by needs: a request needs its service's skills and what was
// asked for besides; a volunteer's open list is ordered by distance and
// fit (each need not met weighs as a kilometre farther) and says what they
// do not meet; an unknown need, too many needs or a gender not offered is
// refused naming the rule, with nothing written.
func TestMatchingByNeeds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	resident2 := e.person(civicgrid.RoleResident, building2)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	other := e.person(civicgrid.RoleVolunteer, community)
	must(e.svc.Register(ctx, vol, civicgrid.ProfileInput{Community: community, Skills: []string{"driver", "烹饪"}, Gender: civicgrid.GenderFemale}))
	if p := must(e.svc.Profile(ctx, vol)); p.Gender != civicgrid.GenderFemale || p.Status != civicgrid.ProfileApproved {
		t.Fatalf("registration with gender: %+v", p)
	}

	// Bad input: nothing written.
	before := len(must(e.db.HelpRequests(ctx, []string{community}, nil, 100)))
	_, err := e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building, Needs: []string{"driver", "pilot"}})
	wantErr(t, err, civicgrid.EINVALID, "not valid")
	if !strings.Contains(err.Error(), "pilot") || !strings.Contains(err.Error(), "not a need of the catalogue") {
		t.Fatalf("the unknown need is not named: %v", err)
	}
	_, err = e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "clinic", BuildingCode: building,
		Needs: []string{"driver", "woman", "first_aid", "sign_language", "digital", "lecture"}})
	if err == nil || !strings.Contains(err.Error(), "at most 6 needs") {
		t.Fatalf("seven needs: %v", err)
	}
	if n := len(must(e.db.HelpRequests(ctx, []string{community}, nil, 100))); n != before {
		t.Fatalf("a refused request was written: %d requests", n)
	}
	_, err = e.svc.Register(ctx, other, civicgrid.ProfileInput{Community: community, Gender: "x"})
	if err == nil || !strings.Contains(err.Error(), "gender") || !strings.Contains(err.Error(), "voluntary") {
		t.Fatalf("a gender not offered: %v", err)
	}
	if p := must(e.svc.Profile(ctx, other)); p.Gender != "" {
		t.Fatalf("a refused registration was written: %+v", p)
	}

	// The service's skills come first, then what was asked, each once.
	z := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building, Needs: []string{" woman", "driver", "cooking"}}))
	if !slices.Equal(z.Needs, []string{"cooking", "woman", "driver"}) {
		t.Fatalf("needs: %v", z.Needs)
	}
	x := must(e.svc.Ask(ctx, resident2, civicgrid.HelpInput{Service: "shopping", BuildingCode: building2}))
	v := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "repair", BuildingCode: building, Needs: []string{"sign_language"}}))
	for _, r := range []civicgrid.HelpRequest{z, x, v} {
		must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	}
	if got := must(e.svc.Request(ctx, staff, z.ID)); !slices.Equal(got.Needs, z.Needs) {
		t.Fatalf("stored needs: %v", got.Needs)
	}

	ids := func(vs []volunteering.View) []int64 {
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = v.ID
		}
		return out
	}
	// Near the building: z (0 m, all met), x (about 1 km, nothing
	// needed), v (0 m, two needs not met: 2 km).
	open := must(e.svc.Open(ctx, vol, here))
	if !slices.Equal(ids(open), []int64{z.ID, x.ID, v.ID}) {
		t.Fatalf("order by distance and fit: %v, want %v", ids(open), []int64{z.ID, x.ID, v.ID})
	}
	if f := open[0].Fit; f == nil || f.Needs != 3 || f.Met != 3 || len(f.Missing) != 0 {
		t.Fatalf("z's fit: %+v", f)
	}
	if f := open[2].Fit; f.Needs != 2 || f.Met != 0 || !slices.Equal(f.Missing, []string{"repair", "sign_language"}) {
		t.Fatalf("v's fit: %+v", f)
	}
	// Another volunteer without a registration's skills or gender: z
	// lacks all three and falls behind x; anybody may still claim it.
	open = must(e.svc.Open(ctx, other, here))
	if !slices.Equal(ids(open), []int64{x.ID, v.ID, z.ID}) || !slices.Equal(open[2].Fit.Missing, []string{"cooking", "woman", "driver"}) {
		t.Fatalf("another volunteer's order: %v %+v", ids(open), open[2].Fit)
	}
	// Without a position: by fit alone, then urgency and window.
	open = must(e.svc.Open(ctx, vol, nil))
	if open[len(open)-1].ID != v.ID {
		t.Fatalf("without a position the least fit is not last: %v", ids(open))
	}
	must(e.svc.Claim(ctx, other, z.ID))
}
