package volunteering_test

import (
	"context"
	"errors"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// A person registers as a volunteer; until the community's staff approve
// the registration they cannot claim; a decline needs a reason, which the
// person reads; registering again waits again; staff of another community
// neither see nor decide it; nobody decides their own.
func TestRegistrationGatesClaims(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])
	resident := e.person(civicgrid.RoleResident, building)
	e.n++
	vol := testdb.Person(t, e.db, e.n, civicgrid.RoleVolunteer, community) // not registered

	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	_, err := e.svc.Claim(ctx, vol, r.ID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "register as a volunteer first")
	_, err = e.svc.Profile(ctx, vol)
	wantErr(t, err, civicgrid.ENOTFOUND, "not registered")

	in := civicgrid.ProfileInput{Community: community, Skills: []string{"driver", " first_aid ", "driver"}, Availability: "周末上午",
		Areas: []string{building, grid}, Training: []civicgrid.TrainingRecord{{Name: "急救培训", Date: "2026-05-10", Hours: 8}},
		InsuranceUntil: "2027-06-30", PublishName: false}
	p := must(e.svc.Register(ctx, vol, in))
	if p.Status != civicgrid.ProfilePending || len(p.Skills) != 2 || p.Label != civicgrid.MaskName(vol.Name) || len(p.Areas) != 2 ||
		!p.InsuredOn(e.now) || len(p.Training) != 1 {
		t.Fatalf("registered: %+v", p)
	}
	_, err = e.svc.Claim(ctx, vol, r.ID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "waits for the community's staff")

	if got := must(e.svc.Registrations(ctx, otherStaff, "")); len(got) != 0 {
		t.Fatalf("another community's staff see %+v", got)
	}
	_, err = e.svc.Decide(ctx, otherStaff, vol.UserID, "approve", "")
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer registration")
	_, err = e.svc.Decide(ctx, resident, vol.UserID, "approve", "")
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer registration")
	_, err = e.svc.Decide(ctx, staff, vol.UserID, "maybe", "")
	wantErr(t, err, civicgrid.EINVALID, "approve or decline")
	_, err = e.svc.Decide(ctx, staff, vol.UserID, volunteering.DecisionDecline, "  ")
	wantErr(t, err, civicgrid.EINVALID, "needs a reason")
	if got := must(e.svc.Registrations(ctx, staff, "")); len(got) != 1 || got[0].UserID != vol.UserID {
		t.Fatalf("staff's pending registrations: %+v", got)
	}

	p = must(e.svc.Decide(ctx, staff, vol.UserID, volunteering.DecisionDecline, "请先上传保险单"))
	if p.Status != civicgrid.ProfileDeclined || p.Reason != "请先上传保险单" || p.DecidedBy == "" {
		t.Fatalf("declined: %+v", p)
	}
	_, err = e.svc.Decide(ctx, staff, vol.UserID, "approve", "")
	wantErr(t, err, civicgrid.ECONFLICT, "only a pending registration")
	_, err = e.svc.Claim(ctx, vol, r.ID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "declined (请先上传保险单)")

	// Registering again asks again, and approval opens claiming.
	if p = must(e.svc.Register(ctx, vol, in)); p.Status != civicgrid.ProfilePending || p.Reason != "" {
		t.Fatalf("registered again: %+v", p)
	}
	must(e.svc.Decide(ctx, staff, vol.UserID, "approve", ""))
	if v := must(e.svc.Claim(ctx, vol, r.ID)); v.Status != civicgrid.HelpClaimed {
		t.Fatalf("claimed: %+v", v)
	}
	// A change in the same community keeps the approval; consent shows the name.
	in.Skills, in.PublishName = []string{"repair"}, true
	if p = must(e.svc.Register(ctx, vol, in)); p.Status != civicgrid.ProfileApproved || p.Label != vol.Name {
		t.Fatalf("changed: %+v", p)
	}
	if got := must(e.svc.Registrations(ctx, staff, civicgrid.ProfileApproved)); len(got) != 1 {
		t.Fatalf("approved list: %+v", got)
	}
	_, err = e.svc.Registrations(ctx, staff, "gone")
	wantErr(t, err, civicgrid.EINVALID, "status must be")

	// Staff do not decide their own registration.
	must(e.svc.Register(ctx, staff, civicgrid.ProfileInput{Community: community}))
	_, err = e.svc.Decide(ctx, staff, staff.UserID, "approve", "")
	wantErr(t, err, civicgrid.EFORBIDDEN, "one's own registration")
}

// Bad registrations are refused naming every problem, and write nothing.
func TestRegistrationBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	long := string(make([]rune, 201))
	for _, tc := range []struct {
		in   civicgrid.ProfileInput
		kind string
	}{
		{civicgrid.ProfileInput{Community: "4201"}, "community_code"},
		{civicgrid.ProfileInput{Community: community, Areas: []string{away}}, "areas"},
		{civicgrid.ProfileInput{Community: community, Skills: []string{"一二三四五六七八九十一二三四五六七八九十一"}}, "skills"},
		{civicgrid.ProfileInput{Community: community, Availability: long}, "availability"},
		{civicgrid.ProfileInput{Community: community, Training: []civicgrid.TrainingRecord{{Name: "", Date: "2026-01-01"}}}, "training"},
		{civicgrid.ProfileInput{Community: community, Training: []civicgrid.TrainingRecord{{Name: "急救", Date: "2030-01-01"}}}, "training"},
		{civicgrid.ProfileInput{Community: community, Training: []civicgrid.TrainingRecord{{Name: "急救", Date: "1/5/2026"}}}, "training"},
		{civicgrid.ProfileInput{Community: community, InsuranceUntil: "next year"}, "insurance_until"},
	} {
		_, err := e.svc.Register(ctx, resident, tc.in)
		var ce *civicgrid.Error
		if civicgrid.ErrorCode(err) != civicgrid.EINVALID || !errors.As(err, &ce) || len(ce.Problems) == 0 || ce.Problems[0].Kind != tc.kind {
			t.Fatalf("%+v: want a problem with %s, got %v", tc.in, tc.kind, err)
		}
	}
	_, err := e.svc.Register(ctx, resident, civicgrid.ProfileInput{Community: "420102009009"})
	wantErr(t, err, civicgrid.EINVALID, "no community 420102009009")
	_, err = e.svc.Register(ctx, civicgrid.Actor{}, civicgrid.ProfileInput{Community: community})
	if civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("anonymous registers: %v", err)
	}
	if _, err := e.db.VolunteerProfileOf(ctx, resident.UserID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a refused registration wrote %v", err)
	}
}
