package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Staff correcting the same confirmed record at the same moment from what
// they both read: exactly one correction is written, the others are told
// it changed meanwhile; the ledger moves once and stays balanced, and the
// chain holds.
func TestCorrectHelpOnceUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	poster := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	vol := cgUser(t, db, 2, civicgrid.RoleVolunteer, cgCommunity)
	r := vtRequest(t, db, poster, civicgrid.HelpAccepted)
	now := time.Now()
	ev := func(action string) civicgrid.VolunteerEvent {
		return civicgrid.VolunteerEvent{At: now, Actor: "志*", Action: action}
	}
	for _, s := range []struct {
		step civicgrid.HelpStep
		c    civicgrid.HelpChange
	}{
		{civicgrid.StepClaim, civicgrid.HelpChange{Claimer: vol.ID, ClaimerLabel: "志*"}},
		{civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: vol.ID, SignInAt: now}},
		{civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: vol.ID, SignOutAt: now.Add(time.Hour), Minutes: 60}},
		{civicgrid.StepConfirm, civicgrid.HelpChange{Rating: 5, Credit: &civicgrid.LedgerTransfer{From: civicgrid.IssuerAccount(cgBuilding), Kind: civicgrid.LedgerService, Actor: "居*"}}},
	} {
		if _, err := db.StepHelp(ctx, r.ID, s.step, s.c, ev(s.step.Action)); err != nil {
			t.Fatal(err)
		}
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = db.CorrectHelp(ctx, r.ID, civicgrid.HelpCorrection{Minutes: 30 + i, WasMinutes: 60, Service: "shopping", WasService: "shopping",
				Credit: &civicgrid.LedgerTransfer{Reason: "更正", Actor: "社*"}}, ev(civicgrid.HelpActCorrected))
		}()
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Fatalf("two corrections won: %d and %d", won, i)
		case civicgrid.ErrorCode(err) != civicgrid.ECONFLICT:
			t.Fatalf("correction %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no correction won")
	}
	if b, err := db.Balance(ctx, civicgrid.MemberAccount(vol.ID)); err != nil || b != 30+won {
		t.Fatalf("balance %d %v, want %d", b, err, 30+won)
	}
	got, err := db.HelpRequestByID(ctx, r.ID)
	if err != nil || got.Minutes != 30+won || !got.SignOutAt.Equal(got.SignInAt.Add(time.Duration(30+won)*time.Minute)) {
		t.Fatalf("record %+v %v", got, err)
	}
	tbCheck(t, db)
	evs, err := db.VolunteerEvents(ctx, r.ID)
	if err != nil || civicgrid.VerifyVolunteerChain(evs) != nil || evs[len(evs)-1].Action != civicgrid.HelpActCorrected || evs[len(evs)-2].Action != civicgrid.HelpActConfirmed {
		t.Fatalf("history %+v %v", evs, err)
	}
}
