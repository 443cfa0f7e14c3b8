package volunteering_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// Staff form a team with an approved captain; approved volunteers of the
// community ask to join and the captain (or staff) accept them; others
// cannot; TeamMembers and TeamsOf give other modules the accepted members.
func TestTeams(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])
	captain := e.person(civicgrid.RoleVolunteer, community)
	rider := e.person(civicgrid.RoleVolunteer, community)
	stranger := e.person(civicgrid.RoleVolunteer, away[:12])
	e.n++
	unapproved := testdb.Person(t, e.db, e.n, civicgrid.RoleVolunteer, community)
	resident := e.person(civicgrid.RoleResident, building)

	in := civicgrid.TeamInput{Kind: civicgrid.TeamRiders, Name: "红色骑手志愿队", Community: community, CaptainID: captain.UserID}
	_, err := e.svc.FormTeam(ctx, otherStaff, in)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	_, err = e.svc.FormTeam(ctx, captain, in)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	bad := in
	bad.CaptainID = unapproved.UserID
	_, err = e.svc.FormTeam(ctx, staff, bad)
	wantErr(t, err, civicgrid.EINVALID, "the captain is an approved volunteer")
	bad.CaptainID = stranger.UserID
	_, err = e.svc.FormTeam(ctx, staff, bad)
	wantErr(t, err, civicgrid.EINVALID, "the captain is an approved volunteer")
	_, err = e.svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: "choir", Name: " ", Community: "42", CaptainID: 0})
	var ce *civicgrid.Error
	if !errors.As(err, &ce) || len(ce.Problems) != 4 {
		t.Fatalf("every problem named: %v", err)
	}

	team := must(e.svc.FormTeam(ctx, staff, in))
	if team.Members != 1 || team.Captain != civicgrid.MaskName(captain.Name) {
		t.Fatalf("formed: %+v", team)
	}
	_, err = e.svc.FormTeam(ctx, staff, in)
	wantErr(t, err, civicgrid.ECONFLICT, "already has a team named")

	_, err = e.svc.Join(ctx, unapproved, team.ID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "approved volunteers registered in its community")
	_, err = e.svc.Join(ctx, stranger, team.ID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "approved volunteers registered in its community")
	v := must(e.svc.Join(ctx, rider, team.ID))
	if len(v.Roster) != 2 || v.Roster[1].Status != civicgrid.MemberRequested || v.CanAccept {
		t.Fatalf("asked to join: %+v", v)
	}
	_, err = e.svc.Join(ctx, rider, team.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "already asked")
	// A resident sees the team without the requests; only the captain or staff accept.
	if v := must(e.svc.Team(ctx, resident, team.ID)); len(v.Roster) != 1 || v.CanAccept {
		t.Fatalf("a resident's view: %+v", v)
	}
	_, err = e.svc.Accept(ctx, rider, team.ID, rider.UserID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.lead")
	_, err = e.svc.Accept(ctx, otherStaff, team.ID, rider.UserID)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.lead")
	if ids := must(e.svc.TeamMembers(ctx, team.ID)); !slices.Equal(ids, []int64{captain.UserID}) {
		t.Fatalf("members before acceptance: %v", ids)
	}
	v = must(e.svc.Accept(ctx, captain, team.ID, rider.UserID))
	if v.Roster[1].Status != civicgrid.MemberAccepted || v.Roster[0].UserID != captain.UserID || !v.Roster[0].Captain {
		t.Fatalf("accepted: %+v", v)
	}
	_, err = e.svc.Accept(ctx, staff, team.ID, rider.UserID)
	wantErr(t, err, civicgrid.ECONFLICT, "no request waiting")
	_, err = e.svc.Accept(ctx, staff, team.ID, resident.UserID)
	wantErr(t, err, civicgrid.ECONFLICT, "no request waiting")

	if ids := must(e.svc.TeamMembers(ctx, team.ID)); !slices.Equal(ids, []int64{captain.UserID, rider.UserID}) {
		t.Fatalf("TeamMembers: %v", ids)
	}
	lecture := must(e.svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamLecture, Name: "政策宣讲团", Community: community, CaptainID: rider.UserID}))
	ts := must(e.svc.TeamsOf(ctx, rider.UserID))
	slices.SortFunc(ts, func(a, b civicgrid.Team) int { return int(a.ID - b.ID) })
	if len(ts) != 2 || ts[1].ID != lecture.ID || ts[0].Members != 2 || ts[1].Members != 1 {
		t.Fatalf("TeamsOf: %+v", ts)
	}
	if ts := must(e.svc.Teams(ctx, resident, community)); len(ts) != 2 {
		t.Fatalf("teams of the community: %+v", ts)
	}
	if ts := must(e.svc.Teams(ctx, resident, away[:12])); len(ts) != 0 {
		t.Fatalf("teams of another community: %+v", ts)
	}
	_, err = e.svc.Teams(ctx, resident, "x")
	wantErr(t, err, civicgrid.EINVALID, "area code")
	_, err = e.svc.Team(ctx, resident, 9999)
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer team")
}

// Staff add service points of their community; anyone logged in lists
// them for the map; bad points are refused naming every problem.
func TestServicePoints(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	otherStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])
	resident := e.person(civicgrid.RoleResident, building)
	in := civicgrid.ServicePointInput{Community: community, Name: "骑手爱心驿站", Lat: 30.551, Lng: 114.301, Hours: "每天 8:00–20:00", Offers: "饮水、充电、休息、如厕"}
	_, err := e.svc.AddServicePoint(ctx, otherStaff, in)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	_, err = e.svc.AddServicePoint(ctx, resident, in)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.teams")
	_, err = e.svc.AddServicePoint(ctx, staff, civicgrid.ServicePointInput{Community: "1", Lat: 95})
	var ce *civicgrid.Error
	if !errors.As(err, &ce) || len(ce.Problems) != 5 {
		t.Fatalf("every problem named: %v", err)
	}
	bad := in
	bad.Community = "420102009009"
	_, err = e.svc.AddServicePoint(ctx, e.person(civicgrid.RoleDistrictAdmin, "420102"), bad)
	wantErr(t, err, civicgrid.EINVALID, "no community")
	p := must(e.svc.AddServicePoint(ctx, staff, in))
	if p.ID == 0 || p.Name != "骑手爱心驿站" {
		t.Fatalf("added: %+v", p)
	}
	if ps := must(e.svc.ServicePoints(ctx, resident, community)); len(ps) != 1 || ps[0].Lat != 30.551 || ps[0].Offers != in.Offers {
		t.Fatalf("listed: %+v", ps)
	}
	if ps := must(e.svc.ServicePoints(ctx, resident, away[:12])); len(ps) != 0 {
		t.Fatalf("another community's: %+v", ps)
	}
	_, err = e.svc.ServicePoints(ctx, resident, "")
	wantErr(t, err, civicgrid.EINVALID, "area code")
}
