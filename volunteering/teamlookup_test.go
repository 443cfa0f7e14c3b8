package volunteering_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/lectures"
)

// TeamByID gives other modules a team; the lecture module, wired to the
// volunteer service as in the server, takes a lecture team of the
// community as a lecture's speakers and refuses a riders' team.
func TestTeamByIDForLectures(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	captain := e.person(civicgrid.RoleVolunteer, community)
	lt := must(e.svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamLecture, Name: "社区理论宣讲团", Community: community, CaptainID: captain.UserID}))
	rt := must(e.svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamRiders, Name: "红色骑手志愿队", Community: community, CaptainID: captain.UserID}))
	if got := must(e.svc.TeamByID(ctx, lt.ID)); got.Kind != civicgrid.TeamLecture || got.Community != community || got.Name != lt.Name {
		t.Errorf("TeamByID: %+v", got)
	}
	if _, err := e.svc.TeamByID(ctx, rt.ID+100); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Errorf("an unknown team: %v", err)
	}
	svc := lectures.New(lectures.Config{Now: func() time.Time { return e.now }}, e.db, testdb.Areas{community: nil})
	svc.SetTeams(e.svc)
	in := civicgrid.LectureInput{Title: "学习宣讲", AreaCode: community, Place: "社区党群服务中心", StartsAt: e.now.Add(24 * time.Hour), Capacity: 20, TeamID: rt.ID}
	if _, err := svc.Post(ctx, staff, in); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Errorf("a riders' team as speakers: %v", err)
	}
	in.TeamID = lt.ID
	l := must(svc.Post(ctx, staff, in))
	if l.TeamID != lt.ID || l.TeamName != "社区理论宣讲团" {
		t.Errorf("the lecture's team: %d %q", l.TeamID, l.TeamName)
	}
}
