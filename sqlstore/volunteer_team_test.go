package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// A team's name is unique in its community; a request to join is taken
// once and accepted once however many accept it at the same moment; only
// accepted members count and are listed by TeamsOf.
func TestTeamMembershipOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	captain := cgUser(t, db, 1, civicgrid.RoleVolunteer, cgCommunity)
	vol := cgUser(t, db, 2, civicgrid.RoleVolunteer, cgCommunity)
	now := time.UnixMilli(1764800000000)
	team, err := db.CreateTeam(ctx, civicgrid.Team{Kind: civicgrid.TeamBuilding, Name: "1栋志愿队", Community: cgCommunity, CaptainID: captain.ID, CreatedAt: now}, "居*")
	if err != nil || team.Members != 1 || team.Captain != "居*" {
		t.Fatalf("created: %+v %v", team, err)
	}
	if _, err := db.CreateTeam(ctx, civicgrid.Team{Kind: civicgrid.TeamOther, Name: "1栋志愿队", Community: cgCommunity, CaptainID: vol.ID, CreatedAt: now}, "居*"); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second team of the same name: %v", err)
	}
	m := civicgrid.TeamMember{TeamID: team.ID, UserID: vol.ID, Name: "居*", At: now}
	if err := db.RequestTeamMembership(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := db.RequestTeamMembership(ctx, m); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("asked twice: %v", err)
	}
	if ts, err := db.TeamsOf(ctx, vol.ID); err != nil || len(ts) != 0 {
		t.Fatalf("a request is not a membership: %+v %v", ts, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.AcceptTeamMember(ctx, team.ID, vol.ID, now)
			mu.Lock()
			defer mu.Unlock()
			switch civicgrid.ErrorCode(err) {
			case "":
				won++
			case civicgrid.ECONFLICT:
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("accepted %d times", won)
	}
	ms, err := db.TeamMembers(ctx, team.ID)
	if err != nil || len(ms) != 2 || !ms[0].Captain || ms[0].UserID != captain.ID || ms[1].Status != civicgrid.MemberAccepted {
		t.Fatalf("members: %+v %v", ms, err)
	}
	if ts, err := db.TeamsOf(ctx, vol.ID); err != nil || len(ts) != 1 || ts[0].Members != 2 {
		t.Fatalf("TeamsOf: %+v %v", ts, err)
	}
	if ts, err := db.Teams(ctx, []string{"420103"}, 10); err != nil || len(ts) != 0 {
		t.Fatalf("another district's teams: %+v %v", ts, err)
	}
}

// Service points keep their place and text, and list by community.
func TestServicePointsStore(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p, err := db.CreateServicePoint(ctx, civicgrid.ServicePoint{Community: cgCommunity, Name: "驿站", Lat: 30.5851234, Lng: 114.2951234,
		Hours: "8:00–20:00", Offers: "饮水", CreatedAt: time.UnixMilli(1764800000000)})
	if err != nil || p.ID == 0 {
		t.Fatal(p, err)
	}
	ps, err := db.ServicePoints(ctx, []string{"420102"}, 10)
	if err != nil || len(ps) != 1 || ps[0].Lat != 30.5851234 || ps[0].Lng != 114.2951234 || ps[0].TeamID != 0 || ps[0].Offers != "饮水" {
		t.Fatalf("listed: %+v %v", ps, err)
	}
	if ps, err := db.ServicePoints(ctx, []string{"420103"}, 10); err != nil || len(ps) != 0 {
		t.Fatalf("another district: %+v %v", ps, err)
	}
}
