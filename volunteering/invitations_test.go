package volunteering_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Staff invite an approved volunteer of the area; nothing happens until
// the volunteer answers: declining leaves the request open, accepting
// claims it through the same exactly-once claim. Bad invitations are
// refused naming the rule and write nothing.
func TestInvitations(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.with(volunteering.Config{ClaimLimit: 2, People: e.db})
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	staffAway := e.person(civicgrid.RoleCommunityStaff, away[:12])
	vol := e.person(civicgrid.RoleVolunteer, community)
	vol2 := e.person(civicgrid.RoleVolunteer, community)
	volAway := e.person(civicgrid.RoleVolunteer, away[:12])
	unapproved := e.person(civicgrid.RoleResident, building)

	r := must(svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	// Not open yet.
	_, err := svc.Invite(ctx, staff, r.ID, vol.UserID)
	wantErr(t, err, civicgrid.ECONFLICT, "invited only while it is open")
	must(svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	before := len(must(svc.Request(ctx, staff, r.ID)).History)

	for _, c := range []struct {
		who        civicgrid.Actor
		user       int64
		code, text string
	}{
		{staff, 0, civicgrid.EINVALID, "name the volunteer"},
		{staff, 999999, civicgrid.EINVALID, "no volunteer 999999"},
		{staff, resident.UserID, civicgrid.EINVALID, "asked for this help"},
		{staff, unapproved.UserID, civicgrid.EINVALID, "not a volunteer whose area covers"},
		{staff, volAway.UserID, civicgrid.EINVALID, "not a volunteer whose area covers"},
		{staffAway, vol.UserID, civicgrid.ENOTFOUND, "no volunteer request"},
		{vol2, vol.UserID, civicgrid.EFORBIDDEN, ""},
	} {
		_, err := svc.Invite(ctx, c.who, r.ID, c.user)
		wantErr(t, err, c.code, c.text)
	}
	// A volunteer grant without an approved registration is not invited.
	e.n++
	unregistered := testdb.Person(t, e.db, e.n, civicgrid.RoleVolunteer, community)
	_, err = svc.Invite(ctx, staff, r.ID, unregistered.UserID)
	wantErr(t, err, civicgrid.EINVALID, "cannot be invited: only approved volunteers claim")
	if v := must(svc.Request(ctx, staff, r.ID)); len(v.History) != before || len(v.Invitations) != 0 {
		t.Fatalf("a refused invitation wrote: %d events, %+v", len(v.History), v.Invitations)
	}

	inv := must(svc.Invite(ctx, staff, r.ID, vol.UserID))
	if inv.Status != civicgrid.InvitationOpen || inv.Volunteer == "" {
		t.Fatalf("invitation: %+v", inv)
	}
	_, err = svc.Invite(ctx, staff, r.ID, vol.UserID)
	wantErr(t, err, civicgrid.ECONFLICT, "already invited")
	inv2 := must(svc.Invite(ctx, staff, r.ID, vol2.UserID))

	// Nothing changed on the request: no force.
	v := must(svc.Request(ctx, staff, r.ID))
	if v.Status != civicgrid.HelpAccepted || v.VolunteerID != 0 || !v.CanInvite || len(v.Invitations) != 2 {
		t.Fatalf("after inviting: %+v", v)
	}
	if got := must(svc.Invitations(ctx, vol)); len(got) != 1 || got[0].ID != inv.ID || got[0].Request.ID != r.ID || got[0].Request.Address != "" {
		t.Fatalf("vol's invitations: %+v", got)
	}
	if got := must(svc.Invitations(ctx, resident)); len(got) != 0 {
		t.Fatalf("resident's invitations: %+v", got)
	}

	// Someone else's invitation is not found; too long a reason is refused.
	_, err = svc.AcceptInvitation(ctx, vol2, inv.ID)
	wantErr(t, err, civicgrid.ENOTFOUND, "no invitation")
	_, err = svc.DeclineInvitation(ctx, vol2, inv.ID, "")
	wantErr(t, err, civicgrid.ENOTFOUND, "no invitation")
	_, err = svc.DeclineInvitation(ctx, vol2, inv2.ID, string(make([]rune, civicgrid.MaxHelpReason+1)))
	wantErr(t, err, civicgrid.EINVALID, "at most")

	// vol2 declines: the request stays open; vol accepts: it is theirs.
	d := must(svc.DeclineInvitation(ctx, vol2, inv2.ID, "这周不在"))
	if d.Status != civicgrid.InvitationDeclined || d.Reason != "这周不在" {
		t.Fatalf("declined: %+v", d)
	}
	_, err = svc.AcceptInvitation(ctx, vol2, inv2.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "only an open invitation")
	_, err = svc.DeclineInvitation(ctx, vol2, inv2.ID, "")
	wantErr(t, err, civicgrid.ECONFLICT, "only an open invitation")
	if v := must(svc.Request(ctx, staff, r.ID)); v.Status != civicgrid.HelpAccepted {
		t.Fatalf("declined invitation changed the request: %s", v.Status)
	}
	got := must(svc.AcceptInvitation(ctx, vol, inv.ID))
	if got.Status != civicgrid.HelpClaimed || got.VolunteerID != vol.UserID {
		t.Fatalf("accepted: %+v", got)
	}
	v = must(svc.Request(ctx, staff, r.ID))
	acts := []string{}
	for _, ev := range v.History {
		acts = append(acts, ev.Action)
	}
	if !slices.Equal(acts[len(acts)-4:], []string{civicgrid.HelpActInvited, civicgrid.HelpActInvited, civicgrid.HelpActInviteDeclined, civicgrid.HelpActClaimed}) ||
		v.History[len(v.History)-1].Data["invitation"] == "" || civicgrid.VerifyVolunteerChain(v.History) != nil {
		t.Fatalf("history: %v", acts)
	}
	if v.Invitations[0].Status != civicgrid.InvitationAccepted || v.CanInvite {
		t.Fatalf("invitations after the claim: %+v", v.Invitations)
	}
	_, err = svc.Invite(ctx, staff, r.ID, vol2.UserID)
	wantErr(t, err, civicgrid.ECONFLICT, "invited only while it is open")
}

// An invitation accepted at the same moment as other volunteers claim:
// exactly one wins; an accepted invitation of a request another took is
// refused "taken" and stays open.
func TestInvitationRacesClaims(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.with(volunteering.Config{ClaimLimit: 2, People: e.db})
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	invited := e.person(civicgrid.RoleVolunteer, community)
	var others []civicgrid.Actor
	for range 6 {
		others = append(others, e.person(civicgrid.RoleVolunteer, community))
	}
	r := must(svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	must(svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	inv := must(svc.Invite(ctx, staff, r.ID, invited.UserID))
	var wg sync.WaitGroup
	wins := make(chan int64, 7)
	try := func(a civicgrid.Actor, f func() (volunteering.View, error)) {
		defer wg.Done()
		if _, err := f(); err == nil {
			wins <- a.UserID
		} else if civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
			t.Errorf("%d: %v", a.UserID, err)
		}
	}
	wg.Add(7)
	go try(invited, func() (volunteering.View, error) { return svc.AcceptInvitation(ctx, invited, inv.ID) })
	for _, o := range others {
		go try(o, func() (volunteering.View, error) { return svc.Claim(ctx, o, r.ID) })
	}
	wg.Wait()
	close(wins)
	var won []int64
	for w := range wins {
		won = append(won, w)
	}
	v := must(svc.Request(ctx, staff, r.ID))
	if len(won) != 1 || v.VolunteerID != won[0] {
		t.Fatalf("winners %v, request's volunteer %d", won, v.VolunteerID)
	}
	want := civicgrid.InvitationOpen
	if won[0] == invited.UserID {
		want = civicgrid.InvitationAccepted
	}
	if v.Invitations[0].Status != want {
		t.Fatalf("invitation %s, want %s (winner %d)", v.Invitations[0].Status, want, won[0])
	}
}

// A release tells the poster, and the person helped when they have an
// account (a resident of the building with the contact phone), with the
// reason; an invitation tells its volunteer.
func TestReleaseAndInvitationNotices(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.with(volunteering.Config{People: e.db})
	grid := e.person(civicgrid.RoleGridWorker, community)
	elder := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	r := must(svc.Ask(ctx, grid, civicgrid.HelpInput{Service: "meals", BuildingCode: building, Beneficiary: "王秀英", Contact: elder.Phone}))
	must(svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	inv := must(svc.Invite(ctx, staff, r.ID, vol.UserID))
	must(svc.AcceptInvitation(ctx, vol, inv.ID))
	must(svc.Release(ctx, vol, r.ID, "孩子生病"))
	drafts, _, err := svc.NotifySource().Read(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, d := range drafts {
		got[d.Kind] = append(got[d.Kind], d.UserID)
		if slices.Contains(d.Args, "王秀英") || slices.Contains(d.Args, elder.Phone) {
			t.Fatalf("personal data in %+v", d)
		}
		if d.Kind == "volunteer.released" && !slices.Contains(d.Args, "孩子生病") {
			t.Fatalf("release without its reason: %+v", d)
		}
	}
	slices.Sort(got["volunteer.released"])
	want := []int64{grid.UserID, elder.UserID}
	slices.Sort(want)
	if !slices.Equal(got["volunteer.released"], want) || !slices.Equal(got["volunteer.invited"], []int64{vol.UserID}) || len(got) != 2 {
		t.Fatalf("notices: %v", got)
	}
}
