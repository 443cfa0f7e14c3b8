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

// tbCheck fails the test unless the ledger's invariants hold.
func tbCheck(t *testing.T, db *DB) civicgrid.TimeBankCheck {
	t.Helper()
	c, err := db.CheckTimeBank(context.Background())
	if err != nil || c.Sum != 0 || len(c.Unbalanced) > 0 || len(c.Mismatched) > 0 {
		t.Fatalf("time bank: %+v %v", c, err)
	}
	return c
}

// A confirmed service pays its minutes from the community's issuing
// account to the volunteer in the confirmation's transaction, once; a
// confirmation refused writes no entry.
func TestTimeBankCreditOnConfirmation(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	poster := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	vol := cgUser(t, db, 2, civicgrid.RoleVolunteer, cgCommunity)
	r := vtRequest(t, db, poster, civicgrid.HelpAccepted)
	ev := func(action string) civicgrid.VolunteerEvent {
		return civicgrid.VolunteerEvent{At: time.Now(), Actor: "志*", Action: action}
	}
	now := time.Now()
	for _, s := range []struct {
		step civicgrid.HelpStep
		c    civicgrid.HelpChange
	}{
		{civicgrid.StepClaim, civicgrid.HelpChange{Claimer: vol.ID, ClaimerLabel: "志*"}},
		{civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: vol.ID, SignInAt: now}},
		{civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: vol.ID, SignOutAt: now, Minutes: 75}},
	} {
		if _, err := db.StepHelp(ctx, r.ID, s.step, s.c, ev(s.step.Action)); err != nil {
			t.Fatal(err)
		}
	}
	issuer, member := civicgrid.IssuerAccount(cgBuilding), civicgrid.MemberAccount(vol.ID)
	credit := func() *civicgrid.LedgerTransfer {
		return &civicgrid.LedgerTransfer{From: issuer, Kind: civicgrid.LedgerService, Actor: "居*"}
	}
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepConfirm, civicgrid.HelpChange{Rating: 5, Credit: credit()}, ev(civicgrid.HelpActConfirmed)); err != nil {
		t.Fatal(err)
	}
	// Confirming twice is refused by the status, and pays nothing more.
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepConfirm, civicgrid.HelpChange{Rating: 4, Credit: credit()}, ev(civicgrid.HelpActConfirmed)); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("second confirmation: %v", err)
	}
	if b, err := db.Balance(ctx, member); err != nil || b != 75 {
		t.Fatalf("volunteer balance %d %v, want 75", b, err)
	}
	if b, err := db.Balance(ctx, issuer); err != nil || b != -75 {
		t.Fatalf("issuer balance %d %v, want -75", b, err)
	}
	opening, es, err := db.LedgerEntries(ctx, member, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || opening != 0 || len(es) != 1 || es[0].Minutes != 75 || es[0].Kind != civicgrid.LedgerService || es[0].RequestID != r.ID {
		t.Fatalf("statement %d %+v %v", opening, es, err)
	}
	if c := tbCheck(t, db); c.Entries != 2 || c.Accounts != 2 {
		t.Fatalf("check %+v", c)
	}
}

// A spend beyond the floor is refused naming the rule and writes nothing;
// a negative floor allows that much overdraft.
func TestTimeBankFloor(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	u := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	member, issuer := civicgrid.MemberAccount(u.ID), civicgrid.IssuerAccount(cgCommunity)
	tr := func(from, to string, m, floor int) error {
		return db.Transfer(ctx, civicgrid.LedgerTransfer{From: from, To: to, Minutes: m, Kind: civicgrid.LedgerGrant, Reason: "r", Actor: "staff", At: time.Now(), FromFloor: floor})
	}
	if err := tr(issuer, member, 60, 0); err != nil {
		t.Fatal(err)
	}
	err := tr(member, issuer, 61, 0)
	if civicgrid.ErrorCode(err) != civicgrid.ECONFLICT || !strings.Contains(civicgrid.ErrorMessage(err), "below the floor of 0 minutes") {
		t.Fatalf("spend beyond the floor: %v", err)
	}
	if c := tbCheck(t, db); c.Entries != 2 {
		t.Fatalf("a refused spend wrote entries: %+v", c)
	}
	if err := tr(member, issuer, 90, -30); err != nil {
		t.Fatalf("overdraft within a floor of -30: %v", err)
	}
	if b, _ := db.Balance(ctx, member); b != -30 {
		t.Fatalf("balance %d, want -30", b)
	}
	if err := tr(member, member, 1, 0); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("a transfer to itself: %v", err)
	}
	tbCheck(t, db)
}

// Concurrent spends from one account never pass the floor together:
// with 100 minutes and 20 spends of 15, exactly 6 succeed.
func TestTimeBankFloorUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	u := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	member, issuer := civicgrid.MemberAccount(u.ID), civicgrid.IssuerAccount(cgCommunity)
	if err := db.Transfer(ctx, civicgrid.LedgerTransfer{From: issuer, To: member, Minutes: 100, Kind: civicgrid.LedgerGrant, Reason: "r", Actor: "s", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = db.Transfer(ctx, civicgrid.LedgerTransfer{From: member, To: issuer, Minutes: 15, Kind: civicgrid.LedgerGrant, Reason: "spend", Actor: "s", At: time.Now()})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case civicgrid.ErrorCode(err) != civicgrid.ECONFLICT || !strings.Contains(civicgrid.ErrorMessage(err), "floor"):
			t.Fatalf("a refused spend: %v", err)
		}
	}
	if b, _ := db.Balance(ctx, member); ok != 6 || b != 10 {
		t.Fatalf("%d spends succeeded, balance %d; want 6 and 10", ok, b)
	}
	if c := tbCheck(t, db); c.Entries != 2+2*6 {
		t.Fatalf("check %+v", c)
	}
}

// Credits and spends between the same two accounts at once neither
// deadlock nor break the floor or the ledger.
func TestTimeBankBothWaysUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	u := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	member, issuer := civicgrid.MemberAccount(u.ID), civicgrid.IssuerAccount(cgCommunity)
	const n = 24
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tr := civicgrid.LedgerTransfer{From: issuer, To: member, Minutes: 10, Kind: civicgrid.LedgerService, Actor: "s", At: time.Now()}
			if i%2 == 1 {
				tr = civicgrid.LedgerTransfer{From: member, To: issuer, Minutes: 10, Kind: civicgrid.LedgerGrant, Reason: "spend", Actor: "s", At: time.Now()}
			}
			errs[i] = db.Transfer(ctx, tr)
		}()
	}
	close(start)
	wg.Wait()
	spent := 0
	for i, err := range errs {
		switch {
		case err == nil && i%2 == 1:
			spent++
		case err == nil:
		case i%2 == 0 || civicgrid.ErrorCode(err) != civicgrid.ECONFLICT:
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	if b, _ := db.Balance(ctx, member); b != 10*(n/2-spent) || b < 0 {
		t.Fatalf("balance %d after %d credits and %d spends", b, n/2, spent)
	}
	tbCheck(t, db)
}
