package sqlstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

func vtRequest(t *testing.T, db *DB, poster civicgrid.User, status civicgrid.HelpStatus) civicgrid.HelpRequest {
	t.Helper()
	now := time.Now()
	r, err := civicgrid.HelpInput{Service: "shopping", BuildingCode: cgBuilding, Address: "3单元502", Contact: "13800001111"}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	r.PosterID, r.Poster = poster.ID, "居*"
	r, err = db.CreateHelpRequest(context.Background(), r, civicgrid.VolunteerEvent{At: now, ActorID: poster.ID, Actor: "居*", Action: civicgrid.HelpActPosted})
	if err != nil {
		t.Fatal(err)
	}
	if status == civicgrid.HelpAccepted {
		if r, err = db.StepHelp(context.Background(), r.ID, civicgrid.StepAccept, civicgrid.HelpChange{},
			civicgrid.VolunteerEvent{At: now, Actor: "staff", Action: civicgrid.HelpActAccepted}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func vtClaim(db *DB, id int64, u civicgrid.User, limit int) (civicgrid.HelpRequest, error) {
	return db.StepHelp(context.Background(), id, civicgrid.StepClaim, civicgrid.HelpChange{Claimer: u.ID, ClaimerLabel: "志*", ClaimLimit: limit},
		civicgrid.VolunteerEvent{At: time.Now(), ActorID: u.ID, Actor: "志*", Action: civicgrid.HelpActClaimed})
}

// Many volunteers claim one request at the same moment: exactly one wins,
// every other is told it is taken, and the history has one claim.
func TestHelpClaimedExactlyOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	poster := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	const n = 24
	vols := make([]civicgrid.User, n)
	for i := range vols {
		vols[i] = cgUser(t, db, 100+i, civicgrid.RoleVolunteer, cgCommunity)
	}
	for round := 0; round < 3; round++ {
		r := vtRequest(t, db, poster, civicgrid.HelpAccepted)
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range vols {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = vtClaim(db, r.ID, vols[i], 100)
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: two claims won (%d and %d)", round, won, i)
			case err == nil:
				won = i
			case civicgrid.ErrorCode(err) != civicgrid.ECONFLICT || !strings.Contains(civicgrid.ErrorMessage(err), "is taken"):
				t.Fatalf("round %d: a losing claim: %v", round, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no claim won", round)
		}
		got, err := db.HelpRequestByID(ctx, r.ID)
		if err != nil || got.Status != civicgrid.HelpClaimed || got.VolunteerID != vols[won].ID {
			t.Fatalf("round %d: stored %+v %v, winner %d", round, got, err, vols[won].ID)
		}
		evs, err := db.VolunteerEvents(ctx, r.ID)
		if err != nil || len(evs) != 3 || evs[2].Action != civicgrid.HelpActClaimed || evs[2].ActorID != vols[won].ID {
			t.Fatalf("round %d: history %+v %v", round, evs, err)
		}
		if err := civicgrid.VerifyVolunteerChain(evs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHelpServiceRecordAndRefusals(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	poster := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	vol := cgUser(t, db, 2, civicgrid.RoleVolunteer, cgCommunity)
	other := cgUser(t, db, 3, civicgrid.RoleVolunteer, cgCommunity)
	ev := func(action string) civicgrid.VolunteerEvent {
		return civicgrid.VolunteerEvent{At: time.Now(), ActorID: vol.ID, Actor: "志*", Action: action}
	}
	posted := vtRequest(t, db, poster, civicgrid.HelpPosted)
	if _, err := vtClaim(db, posted.ID, vol, 3); !strings.Contains(civicgrid.ErrorMessage(err), "not verified") {
		t.Fatalf("claim before verification: %v", err)
	}
	r := vtRequest(t, db, poster, civicgrid.HelpAccepted)
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: vol.ID, SignOutAt: time.Now(), Minutes: 1},
		ev(civicgrid.HelpActSignedOut)); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("sign-out of an unclaimed request: %v", err)
	}
	if _, err := vtClaim(db, r.ID, vol, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: other.ID, SignInAt: time.Now()},
		ev(civicgrid.HelpActSignedIn)); !strings.Contains(civicgrid.ErrorMessage(err), "another volunteer's") {
		t.Fatalf("sign-in by another volunteer: %v", err)
	}
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: vol.ID, SignOutAt: time.Now(), Minutes: 1},
		ev(civicgrid.HelpActSignedOut)); !strings.Contains(civicgrid.ErrorMessage(err), "sign in at the place before signing out") {
		t.Fatalf("sign-out before sign-in: %v", err)
	}
	in := time.Now()
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: vol.ID, SignInAt: in}, ev(civicgrid.HelpActSignedIn)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: vol.ID, SignInAt: in}, ev(civicgrid.HelpActSignedIn)); !strings.Contains(civicgrid.ErrorMessage(err), "sign-in is taken once") {
		t.Fatalf("second sign-in: %v", err)
	}
	r, err := db.StepHelp(ctx, r.ID, civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: vol.ID, SignOutAt: in.Add(time.Hour), Minutes: 60}, ev(civicgrid.HelpActSignedOut))
	if err != nil || r.Status != civicgrid.HelpDone || r.Minutes != 60 || r.SignInAt.UnixMilli() != in.UnixMilli() {
		t.Fatalf("sign-out: %+v %v", r, err)
	}
	if c, p, err := db.VolunteerMinutes(ctx, vol.ID); err != nil || c != 0 || p != 60 {
		t.Fatalf("minutes before confirmation: %d %d %v", c, p, err)
	}
	if r, err = db.StepHelp(ctx, r.ID, civicgrid.StepConfirm, civicgrid.HelpChange{Rating: 5, Comment: "谢谢"}, ev(civicgrid.HelpActConfirmed)); err != nil || r.Rating != 5 {
		t.Fatalf("confirm: %+v %v", r, err)
	}
	if c, p, err := db.VolunteerMinutes(ctx, vol.ID); err != nil || c != 60 || p != 0 {
		t.Fatalf("minutes after confirmation: %d %d %v", c, p, err)
	}

	// The limit of open claims, then release reopens.
	a, b := vtRequest(t, db, poster, civicgrid.HelpAccepted), vtRequest(t, db, poster, civicgrid.HelpAccepted)
	if _, err := vtClaim(db, a.ID, vol, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := vtClaim(db, b.ID, vol, 1); !strings.Contains(civicgrid.ErrorMessage(err), "open claims") {
		t.Fatalf("claim beyond the limit: %v", err)
	}
	if got, _ := db.HelpRequestByID(ctx, b.ID); got.Status != civicgrid.HelpAccepted || got.VolunteerID != 0 {
		t.Fatalf("a refused claim wrote: %+v", got)
	}
	a, err = db.StepHelp(ctx, a.ID, civicgrid.StepRelease, civicgrid.HelpChange{Volunteer: vol.ID, ClearVolunteer: true, Reason: "临时有事"}, ev(civicgrid.HelpActReleased))
	if err != nil || a.Status != civicgrid.HelpAccepted || a.VolunteerID != 0 || a.Reason != "临时有事" {
		t.Fatalf("release: %+v %v", a, err)
	}
	if _, err := vtClaim(db, b.ID, vol, 1); err != nil {
		t.Fatalf("claim after a release: %v", err)
	}

	// Cancelled requests are refused by name; tampering is found.
	if _, err := db.StepHelp(ctx, a.ID, civicgrid.StepCancel, civicgrid.HelpChange{Reason: "不需要了"}, ev(civicgrid.HelpActCancelled)); err != nil {
		t.Fatal(err)
	}
	if _, err := vtClaim(db, a.ID, other, 3); !strings.Contains(civicgrid.ErrorMessage(err), "was cancelled") {
		t.Fatalf("claim of a cancelled request: %v", err)
	}
	if _, err := db.SQL().Exec(`UPDATE volunteer_events SET note = 'x' WHERE request_id = $1 AND seq = 2`, r.ID); err != nil {
		t.Fatal(err)
	}
	broken, chains := 0, 0
	if err := db.ForEachVolunteerChain(ctx, func(id int64, evs []civicgrid.VolunteerEvent) error {
		chains++
		if civicgrid.VerifyVolunteerChain(evs) != nil {
			broken++
			if id != r.ID {
				t.Errorf("request %d reported broken", id)
			}
		}
		return nil
	}); err != nil || broken != 1 || chains != 4 {
		t.Fatalf("chains %d, broken %d: %v", chains, broken, err)
	}
	list, err := db.HelpRequests(ctx, []string{cgCommunity}, []civicgrid.HelpStatus{civicgrid.HelpAccepted}, 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("open requests: %+v %v", list, err)
	}
	if list, err = db.HelpRequests(ctx, []string{cgCommunity}, []civicgrid.HelpStatus{civicgrid.HelpPosted}, 10); err != nil || len(list) != 1 || list[0].ID != posted.ID {
		t.Fatalf("posted requests: %+v %v", list, err)
	}
	if list, err = db.HelpRequests(ctx, []string{"420103"}, nil, 10); err != nil || len(list) != 0 {
		t.Fatalf("another district's requests: %+v %v", list, err)
	}
}

// One volunteer claims many requests at the same moment: the limit of open
// claims holds (their claims are counted one after the other).
func TestHelpClaimLimitUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	poster := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	vol := cgUser(t, db, 2, civicgrid.RoleVolunteer, cgCommunity)
	const n, limit = 12, 2
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = vtRequest(t, db, poster, civicgrid.HelpAccepted).ID
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = vtClaim(db, ids[i], vol, limit)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !strings.Contains(civicgrid.ErrorMessage(err), "open claims"):
			t.Fatalf("a refused claim: %v", err)
		}
	}
	mine, err := db.HelpRequestsOf(ctx, vol.ID, 100)
	if won != limit || err != nil || len(mine) != limit {
		t.Fatalf("%d claims won, %d stored (%v); the limit is %d", won, len(mine), err, limit)
	}
}
