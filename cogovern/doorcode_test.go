package cogovern_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Wrong door codes are limited per person and meeting: the sixth try in the
// window is refused even with the right code; another person is not
// affected; after the window the right code signs in.
func TestDoorCodeAttemptsLimited(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1, r2 := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleResident, building)
	p := e.agenda(r1, secretary, "加装电梯")
	m, err := e.svc.ScheduleMeeting(ctx, secretary, civicgrid.MeetingInput{AreaCode: community, Title: "议事会", Place: "活动室",
		StartsAt: e.now.Add(time.Hour), Agenda: []int64{p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if m.Code == wrong {
		wrong = "000001"
	}
	for i := range 5 {
		if _, err := e.svc.SignIn(ctx, r1, m.ID, wrong); code(err) != civicgrid.EINVALID {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := e.svc.SignIn(ctx, r1, m.ID, m.Code); code(err) != civicgrid.ETHROTTLED {
		t.Fatalf("the right code after five wrong ones: %v", err)
	}
	if v, err := e.svc.SignIn(ctx, r2, m.ID, m.Code); err != nil || !v.SignedIn {
		t.Fatalf("a neighbour is not throttled: %v", err)
	}
	e.now = e.now.Add(16 * time.Minute)
	if v, err := e.svc.SignIn(ctx, r1, m.ID, m.Code); err != nil || !v.SignedIn {
		t.Fatalf("after the window: %v", err)
	}
}
