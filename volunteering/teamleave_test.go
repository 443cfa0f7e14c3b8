package volunteering_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// A member leaves a team (and may not leave twice); the captain does not
// leave until staff name another captain, who must be an accepted member
// and an approved volunteer of the community; only the community's staff
// change the captain.
func TestLeaveTeamAndChangeCaptain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])
	captain := e.person(civicgrid.RoleVolunteer, community)
	rider := e.person(civicgrid.RoleVolunteer, community)
	asker := e.person(civicgrid.RoleVolunteer, community)
	team := must(e.svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamRiders, Name: "骑手队", Community: community, CaptainID: captain.UserID}))
	must(e.svc.Join(ctx, rider, team.ID))
	must(e.svc.Accept(ctx, captain, team.ID, rider.UserID))
	must(e.svc.Join(ctx, asker, team.ID))

	_, err := e.svc.Leave(ctx, captain, team.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "name another captain first")
	_, err = e.svc.ChangeCaptain(ctx, otherStaff, team.ID, rider.UserID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	_, err = e.svc.ChangeCaptain(ctx, captain, team.ID, rider.UserID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	_, err = e.svc.ChangeCaptain(ctx, staff, team.ID, asker.UserID) // asked, not accepted
	wantErr(t, err, civicgrid.ECONFLICT, "not an accepted member")
	_, err = e.svc.ChangeCaptain(ctx, staff, team.ID, captain.UserID)
	wantErr(t, err, civicgrid.EINVALID, "already captains")
	v := must(e.svc.ChangeCaptain(ctx, staff, team.ID, rider.UserID))
	if v.CaptainID != rider.UserID {
		t.Fatalf("captain: %+v", v.Team)
	}
	// The former captain is a member now and may leave; the asker withdraws.
	v = must(e.svc.Leave(ctx, captain, team.ID))
	if v.Members != 1 {
		t.Fatalf("after the former captain left: %+v", v.Team)
	}
	_, err = e.svc.Leave(ctx, captain, team.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "is not a member")
	must(e.svc.Leave(ctx, asker, team.ID))
	if ids := must(e.svc.TeamMembers(ctx, team.ID)); len(ids) != 1 || ids[0] != rider.UserID {
		t.Fatalf("members: %v", ids)
	}
}
