package lectures_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// teamBook stands in for the volunteer service's TeamByID.
type teamBook map[int64]civicgrid.Team

func (b teamBook) TeamByID(_ context.Context, id int64) (civicgrid.Team, error) {
	t, ok := b[id]
	if !ok {
		return t, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer team %d", id)
	}
	return t, nil
}

// A lecture names its speakers' team only if it is a lecture team of the
// lecture's scope; the team's name is shown with the lecture; the counts
// per team hold the lectures it gave, their seats, check-ins and mean
// rating, and nothing of lectures without a team or cancelled.
func TestLectureTeams(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := func(team int64) civicgrid.LectureInput {
		return civicgrid.LectureInput{Title: "学习宣讲", AreaCode: community, Place: "社区党群服务中心", StartsAt: e.now.Add(24 * time.Hour), Capacity: 5, TeamID: team}
	}
	// Without the teams wired, a team is refused.
	if _, err := e.svc.Post(ctx, e.staff, in(1)); code(err) != civicgrid.EINVALID {
		t.Errorf("a team with no teams wired: %v", err)
	}
	e.svc.SetTeams(teamBook{
		1: {ID: 1, Kind: civicgrid.TeamLecture, Name: "社区理论宣讲团", Community: community},
		2: {ID: 2, Kind: civicgrid.TeamRiders, Name: "红色骑手志愿队", Community: community},
		3: {ID: 3, Kind: civicgrid.TeamLecture, Name: "别处宣讲团", Community: away},
		4: {ID: 4, Kind: civicgrid.TeamLecture, Name: "另一宣讲团", Community: community},
	})
	for name, id := range map[string]int64{"riders' team": 2, "another district's team": 3, "no such team": 99, "negative": -1} {
		if _, err := e.svc.Post(ctx, e.staff, in(id)); code(err) != civicgrid.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if ls, _ := e.svc.Upcoming(ctx, e.staff); len(ls) != 0 {
		t.Fatalf("refused posts stored %d lectures", len(ls))
	}
	l := must(e.svc.Post(ctx, e.staff, in(1)))
	if l.TeamID != 1 || l.TeamName != "社区理论宣讲团" {
		t.Errorf("posted lecture's team: %d %q", l.TeamID, l.TeamName)
	}
	if got := must(e.svc.Lecture(ctx, e.resident(), l.ID)); got.TeamName != "社区理论宣讲团" {
		t.Errorf("a resident reads the team as %q", got.TeamName)
	}
	second := must(e.svc.Post(ctx, e.staff, in(1)))
	other := must(e.svc.Post(ctx, e.staff, in(4)))
	gone := must(e.svc.Post(ctx, e.staff, in(4)))
	must(e.svc.Post(ctx, e.staff, in(0))) // no team: not in the team counts
	if other.TeamName != "另一宣讲团" {
		t.Errorf("the other team's lecture: %q", other.TeamName)
	}
	must(e.svc.SignUp(ctx, e.resident(), gone.ID)) // cancelled below: not counted
	if err := e.svc.Cancel(ctx, e.staff, gone.ID); err != nil {
		t.Fatal(err)
	}
	// Three sign up for the first lecture, two come, both rate it (5 and 4);
	// one signs up for the second and does not come.
	a, b, c := e.resident(), e.resident(), e.resident()
	ta := must(e.svc.SignUp(ctx, a, l.ID)).Ticket
	tb := must(e.svc.SignUp(ctx, b, l.ID)).Ticket
	must(e.svc.SignUp(ctx, c, l.ID))
	must(e.svc.SignUp(ctx, c, second.ID))
	e.now = l.StartsAt.Add(-10 * time.Minute)
	must(e.svc.CheckIn(ctx, e.staff, l.ID, ta))
	must(e.svc.CheckIn(ctx, e.staff, l.ID, tb))
	e.now = l.EndsAt.Add(time.Minute)
	if err := e.svc.Feedback(ctx, a, l.ID, 5, "好"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Feedback(ctx, b, l.ID, 4, ""); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := e.svc.TeamStats(ctx, e.staff, community, from, to)
	if err != nil || len(st) != 2 {
		t.Fatalf("team stats %+v %v", st, err)
	}
	want := []civicgrid.LectureTeamStats{
		{TeamID: 1, Team: "社区理论宣讲团", Month: "2026-12", Lectures: 2, Confirmed: 4, Attended: 2, Rated: 2, RatingMean: 4.5},
		{TeamID: 4, Team: "另一宣讲团", Month: "2026-12", Lectures: 1},
	}
	for i := range want {
		if st[i] != want[i] {
			t.Errorf("team stats[%d] = %+v, want %+v", i, st[i], want[i])
		}
	}
	// The same rule as the counts per scope: staff of another district and
	// residents are refused; a bad area or period is invalid.
	if _, err := e.svc.TeamStats(ctx, e.resident(), community, from, to); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("a resident reads the team counts: %v", err)
	}
	if _, err := e.svc.TeamStats(ctx, e.person(civicgrid.RoleCommunityStaff, away), community, from, to); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("another district's staff read the team counts: %v", err)
	}
	if _, err := e.svc.TeamStats(ctx, e.staff, "x", from, to); code(err) != civicgrid.EINVALID {
		t.Errorf("a bad area: %v", err)
	}
	if _, err := e.svc.TeamStats(ctx, e.staff, community, to, from); code(err) != civicgrid.EINVALID {
		t.Errorf("a period ending first: %v", err)
	}
	if st, err := e.svc.TeamStats(ctx, e.staff, community, to, to.AddDate(0, 1, 0)); err != nil || st == nil || len(st) != 0 {
		t.Errorf("an empty period: %+v %v", st, err)
	}
}
