package volunteering_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// wrongCode returns a code of six digits that is not code.
func wrongCode(code string, i int) string {
	for d := i; ; d++ {
		w := ""
		for range civicgrid.SignCodeDigits {
			w += string(rune('0' + d%10))
		}
		if w != code {
			return w
		}
	}
}

// Five wrong codes within 15 minutes lock the request: the sixth try is
// refused (ETHROTTLED, 429) even with the right code, for every instance
// and after a restart (the wrong codes are counted in the store); once the
// window has passed the right code works. Staff see the lock and why.
func TestSignCodeLockOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := e.claimed(resident, staff, vol, "shopping")
	code := must(e.svc.Request(ctx, resident, r.ID)).SignCode
	other := e.with(volunteering.Config{}) // a second instance over the same store
	start := e.now
	for i := range civicgrid.SignCodeMaxWrong {
		svc := e.svc
		if i%2 == 1 {
			svc = other
		}
		_, err := svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: wrongCode(code, i)})
		if i < civicgrid.SignCodeMaxWrong-1 {
			wantErr(t, err, civicgrid.EINVALID, "code does not match")
		} else {
			wantErr(t, err, civicgrid.EINVALID, "is now locked until")
		}
		e.now = e.now.Add(2 * time.Minute)
	}
	// The 6th, with the right code, on a "restarted" instance.
	restarted := e.with(volunteering.Config{})
	_, err := restarted.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: code})
	wantErr(t, err, civicgrid.ETHROTTLED, "locked: 5 wrong sign-in codes within 15 minutes")
	if got := must(e.db.HelpRequestByID(ctx, r.ID)).Status; got != civicgrid.HelpClaimed {
		t.Fatalf("signed in while locked: %s", got)
	}
	// Staff see the lock and why; the volunteer and the requester do not.
	v := must(e.svc.Request(ctx, staff, r.ID))
	if !v.CanRenewCode || v.CodeLock == nil || v.CodeLock.Wrong != 5 || !v.CodeLock.First.Equal(start) ||
		!v.CodeLock.Until.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("staff's view of the lock: %+v %+v", v.CanRenewCode, v.CodeLock)
	}
	for _, a := range []civicgrid.Actor{vol, resident} {
		if v := must(e.svc.Request(ctx, a, r.ID)); v.CodeLock != nil || v.CanRenewCode {
			t.Fatalf("%v reads the lock", a.UserID)
		}
	}
	h := must(e.db.VolunteerEvents(ctx, r.ID))
	if last := h[len(h)-1]; last.Action != civicgrid.HelpActCodeLocked || last.Data["wrong"] != "5" || last.ActorID != vol.UserID {
		t.Fatalf("the lock's event: %+v", last)
	}
	// A minute before the window passes: still locked; after it: the right code works.
	e.now = start.Add(15*time.Minute - time.Second)
	_, err = e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: code})
	wantErr(t, err, civicgrid.ETHROTTLED, "locked")
	e.now = start.Add(15 * time.Minute)
	if v := must(other.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: code})); v.Status != civicgrid.HelpInService {
		t.Fatalf("after the window: %s", v.Status)
	}
	if err := civicgrid.VerifyVolunteerChain(must(e.db.VolunteerEvents(ctx, r.ID))); err != nil {
		t.Fatal(err)
	}
}

// Staff issue a new code: it works at once, even while the old one is
// locked; the old code stops working; the renewal is in the history; the
// requester reads the new code. Nobody else renews.
func TestSignCodeRenewed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := e.claimed(resident, staff, vol, "shopping")
	old := must(e.svc.Request(ctx, resident, r.ID)).SignCode
	for i := range civicgrid.SignCodeMaxWrong {
		_, err := e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: wrongCode(old, i)})
		wantErr(t, err, civicgrid.EINVALID, "does not match")
	}
	for _, a := range []civicgrid.Actor{vol, resident} {
		_, err := e.svc.RenewCode(ctx, a, r.ID, "")
		if civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			t.Fatalf("%v renewed: %v", a.UserID, err)
		}
	}
	_, err := e.svc.RenewCode(ctx, staff, r.ID, string(make([]rune, 501)))
	wantErr(t, err, civicgrid.EINVALID, "at most 500")
	v := must(e.svc.RenewCode(ctx, staff, r.ID, "签到码被猜测"))
	fresh := must(e.svc.Request(ctx, resident, r.ID)).SignCode
	if v.SignCode == "" || fresh != v.SignCode || len(fresh) != civicgrid.SignCodeDigits {
		t.Fatalf("the new code: staff %q, requester %q", v.SignCode, fresh)
	}
	if fresh != old {
		_, err = e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: old})
		wantErr(t, err, civicgrid.EINVALID, "does not match")
	}
	h := must(e.db.VolunteerEvents(ctx, r.ID))
	renewed := h[len(h)-1]
	if renewed.Action != civicgrid.HelpActCodeRenewed || renewed.Data["wrong"] != "5" || renewed.Data["was_locked"] != "1" ||
		renewed.Note != "签到码被猜测" || renewed.ActorID != staff.UserID {
		t.Fatalf("the renewal's event: %+v", renewed)
	}
	if v := must(e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: fresh})); v.Status != civicgrid.HelpInService {
		t.Fatalf("the new code: %s", v.Status)
	}
	// Signed out and done: no more codes to renew.
	must(e.svc.SignOutWith(ctx, vol, r.ID, volunteering.Presence{Code: fresh}))
	_, err = e.svc.RenewCode(ctx, staff, r.ID, "")
	wantErr(t, err, civicgrid.ECONFLICT, "renewed only while a volunteer has it")
}

// Guesses at the same moment are counted one after the other: of 12
// concurrent wrong codes exactly 5 are compared and recorded, the others
// refused as locked.
func TestSignCodeConcurrentGuesses(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := e.claimed(resident, staff, vol, "shopping")
	code := must(e.svc.Request(ctx, resident, r.ID)).SignCode
	var wg sync.WaitGroup
	codes := make(chan string, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: wrongCode(code, i)})
			codes <- civicgrid.ErrorCode(err)
		}()
	}
	wg.Wait()
	close(codes)
	n := map[string]int{}
	for c := range codes {
		n[c]++
	}
	if n[civicgrid.EINVALID] != civicgrid.SignCodeMaxWrong || n[civicgrid.ETHROTTLED] != 12-civicgrid.SignCodeMaxWrong {
		t.Fatalf("outcomes: %v", n)
	}
}
