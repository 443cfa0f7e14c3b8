package volunteering_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// claimed makes a request at building, accepted by staff and claimed by vol.
func (e *env) claimed(poster, staff, vol civicgrid.Actor, service string) civicgrid.HelpRequest {
	e.t.Helper()
	ctx := context.Background()
	r := must(e.svc.Ask(ctx, poster, civicgrid.HelpInput{Service: service, BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	return must(e.svc.Claim(ctx, vol, r.ID)).HelpRequest
}

func (e *env) events(id int64) int {
	e.t.Helper()
	return len(must(e.db.VolunteerEvents(context.Background(), id)))
}

// The person helped shows a code on their phone: the volunteer signs in and
// out by it without a position; a wrong code is refused and writes nothing;
// the volunteer never reads the code.
func TestSignInByCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := e.claimed(resident, staff, vol, "shopping")
	if v := must(e.svc.Request(ctx, vol, r.ID)); v.SignCode != "" {
		t.Fatalf("the volunteer reads the code: %q", v.SignCode)
	}
	code := must(e.svc.Request(ctx, resident, r.ID)).SignCode
	if len(code) != civicgrid.SignCodeDigits || must(e.svc.Request(ctx, staff, r.ID)).SignCode != code {
		t.Fatalf("the requester's and staff's code: %q", code)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	n := e.events(r.ID)
	_, err := e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: wrong})
	wantErr(t, err, civicgrid.EINVALID, "code does not match")
	_, err = e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{})
	wantErr(t, err, civicgrid.EINVALID, "or the code the person helped shows")
	if e.events(r.ID) != n || must(e.db.HelpRequestByID(ctx, r.ID)).Status != civicgrid.HelpClaimed {
		t.Fatal("a refused sign-in wrote something")
	}
	v := must(e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{Code: " " + code[:3] + " " + code[3:]}))
	if v.Status != civicgrid.HelpInService || v.Held != "" {
		t.Fatalf("signed in by code: %+v", v.HelpRequest)
	}
	if h := must(e.db.VolunteerEvents(ctx, r.ID)); h[len(h)-1].Data["by"] != "code" {
		t.Fatalf("the history does not say how: %+v", h[len(h)-1])
	}
	e.now = e.now.Add(50 * time.Minute)
	v = must(e.svc.SignOutWith(ctx, vol, r.ID, volunteering.Presence{Code: code}))
	if v.Status != civicgrid.HelpDone || v.Minutes != 45 || v.SignCode != "" {
		t.Fatalf("signed out by code: %+v", v.HelpRequest)
	}
	must(e.svc.Confirm(ctx, resident, r.ID, 5, ""))
}

// Far from the building: refused, unless the volunteer asks for staff
// confirmation; then the requester alone cannot confirm, staff do.
func TestSignInFarHeldForStaff(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := e.claimed(resident, staff, vol, "shopping")
	far := &volunteering.Point{Lat: 30.560, Lng: 114.300}
	n := e.events(r.ID)
	_, err := e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{At: far})
	wantErr(t, err, civicgrid.EINVALID, "ask for staff confirmation")
	if e.events(r.ID) != n {
		t.Fatal("a refused sign-in wrote an event")
	}
	v := must(e.svc.SignInWith(ctx, vol, r.ID, volunteering.Presence{At: far, Far: true}))
	if v.Held != civicgrid.HoldFar {
		t.Fatalf("held: %q", v.Held)
	}
	e.now = e.now.Add(time.Hour)
	v = must(e.svc.SignOutWith(ctx, vol, r.ID, volunteering.Presence{At: here}))
	if v.Status != civicgrid.HelpDone || v.Held != civicgrid.HoldFar {
		t.Fatalf("signed out: %+v", v.HelpRequest)
	}
	if must(e.svc.Request(ctx, resident, r.ID)).CanConfirm || !must(e.svc.Request(ctx, staff, r.ID)).CanConfirm {
		t.Fatal("can_confirm of a held record")
	}
	n = e.events(r.ID)
	_, err = e.svc.Confirm(ctx, resident, r.ID, 5, "")
	wantErr(t, err, civicgrid.ECONFLICT, "held for staff confirmation (signed in or out far from the building)")
	if e.events(r.ID) != n || must(e.db.Balance(ctx, civicgrid.MemberAccount(vol.UserID))) != 0 {
		t.Fatal("a refused confirmation wrote something")
	}
	v = must(e.svc.Confirm(ctx, staff, r.ID, 4, "confirmed by phone with the resident"))
	if v.Status != civicgrid.HelpConfirmed || v.Held != "" || must(e.db.Balance(ctx, civicgrid.MemberAccount(vol.UserID))) != 60 {
		t.Fatalf("staff confirmed: %+v", v.HelpRequest)
	}
}

// Time over the window plus the tolerance is recorded but held; within
// the tolerance it is not.
func TestOverWindowHeld(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	within := e.claimed(resident, staff, vol, "shopping") // a 60-minute window: 90 allowed (30 min > 50 %)
	must(e.svc.SignIn(ctx, vol, within.ID, here))
	e.now = e.now.Add(89 * time.Minute)
	if v := must(e.svc.SignOut(ctx, vol, within.ID, here)); v.Held != "" || v.Minutes != 90 {
		t.Fatalf("within the tolerance: %+v", v.HelpRequest)
	}
	over := e.claimed(resident, staff, vol, "shopping")
	must(e.svc.SignIn(ctx, vol, over.ID, here))
	e.now = e.now.Add(2 * time.Hour)
	v := must(e.svc.SignOut(ctx, vol, over.ID, here))
	if v.Held != civicgrid.HoldOverWindow || v.Minutes != 120 {
		t.Fatalf("over the window: %+v", v.HelpRequest)
	}
	_, err := e.svc.Confirm(ctx, resident, over.ID, 5, "")
	wantErr(t, err, civicgrid.ECONFLICT, "served longer than the request's time window")
	clinic := e.claimed(resident, staff, vol, "clinic") // 180 minutes: 50 % (90) beats 30 minutes
	if got := e.svc.WindowAllowance(clinic); got != 270*time.Minute {
		t.Fatalf("allowance: %v", got)
	}
}

// One volunteer's records never overlap: a second sign-in while signed in
// elsewhere is refused and writes nothing.
func TestOverlappingSignInRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	a := e.claimed(resident, staff, vol, "shopping")
	b := e.claimed(resident, staff, vol, "meals")
	must(e.svc.SignIn(ctx, vol, a.ID, here))
	n := e.events(b.ID)
	_, err := e.svc.SignIn(ctx, vol, b.ID, here)
	wantErr(t, err, civicgrid.ECONFLICT, "you are signed in at request")
	if e.events(b.ID) != n || must(e.db.HelpRequestByID(ctx, b.ID)).Status != civicgrid.HelpClaimed {
		t.Fatal("a refused sign-in wrote something")
	}
	e.now = e.now.Add(30 * time.Minute)
	must(e.svc.SignOut(ctx, vol, a.ID, here))
	must(e.svc.SignIn(ctx, vol, b.ID, here))
}

// Corrections: the community's staff correct minutes or service with a
// reason; the original stays in the chained history, a confirmed record's
// credit (and the requester's payment) move by the difference, the ledger
// stays balanced; every bad input is refused and writes nothing.
func TestCorrectRecord(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	dispatcher := e.person(civicgrid.RoleStreetDispatcher, community[:9])
	must(e.svc.Adjust(ctx, staff, volunteering.Adjustment{UserID: resident.UserID, Community: community, Minutes: 120, Reason: "opening grant"}))
	r := e.claimed(resident, staff, vol, "shopping")
	must(e.svc.SignIn(ctx, vol, r.ID, here))
	e.now = e.now.Add(60 * time.Minute)
	must(e.svc.SignOut(ctx, vol, r.ID, here))
	must(e.svc.ConfirmPaying(ctx, resident, r.ID, 5, "", true))
	bal := func(a civicgrid.Actor) int { return must(e.db.Balance(ctx, civicgrid.MemberAccount(a.UserID))) }
	if bal(vol) != 60 || bal(resident) != 60 {
		t.Fatalf("before: volunteer %d, resident %d", bal(vol), bal(resident))
	}
	// A later record of the same volunteer, 30 minutes after this one.
	e.now = e.now.Add(30 * time.Minute)
	later := e.claimed(resident, staff, vol, "meals")
	must(e.svc.SignIn(ctx, vol, later.ID, here))
	e.now = e.now.Add(30 * time.Minute)
	must(e.svc.SignOut(ctx, vol, later.ID, here))

	n := e.events(r.ID)
	for _, c := range []struct {
		who  civicgrid.Actor
		in   volunteering.Correction
		code string
		text string
	}{
		{staff, volunteering.Correction{Minutes: 45}, civicgrid.EINVALID, "needs a reason"},
		{staff, volunteering.Correction{Reason: "x"}, civicgrid.EINVALID, "name the corrected minutes or service"},
		{staff, volunteering.Correction{Minutes: 2000, Reason: "x"}, civicgrid.EINVALID, "minutes served"},
		{staff, volunteering.Correction{Service: "karaoke", Reason: "x"}, civicgrid.EINVALID, "catalogue"},
		{staff, volunteering.Correction{Minutes: 60, Reason: "x"}, civicgrid.EINVALID, "changes nothing"},
		{staff, volunteering.Correction{Minutes: 120, Reason: "forgot to sign out"}, civicgrid.ECONFLICT, "would overlap request"},
		{vol, volunteering.Correction{Minutes: 90, Reason: "I stayed longer"}, civicgrid.EFORBIDDEN, "volunteer.correct"},
		{resident, volunteering.Correction{Minutes: 30, Reason: "too long"}, civicgrid.EFORBIDDEN, "volunteer.correct"},
		{dispatcher, volunteering.Correction{Minutes: 30, Reason: "x"}, civicgrid.EFORBIDDEN, "volunteer.correct"},
	} {
		_, err := e.svc.Correct(ctx, c.who, r.ID, c.in)
		if civicgrid.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.text) {
			t.Fatalf("%+v: want %s %q, got %v", c.in, c.code, c.text, err)
		}
	}
	if e.events(r.ID) != n || bal(vol) != 60 {
		t.Fatal("a refused correction wrote something")
	}
	open := e.claimed(resident, staff, vol, "meals")
	_, err := e.svc.Correct(ctx, staff, open.ID, volunteering.Correction{Minutes: 30, Reason: "x"})
	wantErr(t, err, civicgrid.ECONFLICT, "only a record signed out")

	v := must(e.svc.Correct(ctx, staff, r.ID, volunteering.Correction{Minutes: 75, Service: "meals", Reason: "the meal was delivered too"}))
	if v.Minutes != 75 || v.Service != "meals" || !v.SignOutAt.Equal(v.SignInAt.Add(75*time.Minute)) {
		t.Fatalf("corrected: %+v", v.HelpRequest)
	}
	if bal(vol) != 75 || bal(resident) != 45 {
		t.Fatalf("after +15: volunteer %d, resident %d", bal(vol), bal(resident))
	}
	must(e.svc.Correct(ctx, staff, r.ID, volunteering.Correction{Minutes: 30, Reason: "the resident says half an hour"}))
	if bal(vol) != 30 || bal(resident) != 90 {
		t.Fatalf("after −45: volunteer %d, resident %d", bal(vol), bal(resident))
	}
	h := must(e.svc.Request(ctx, staff, r.ID)).History
	var signedOut, corrected []civicgrid.VolunteerEvent
	for _, ev := range h {
		switch ev.Action {
		case civicgrid.HelpActSignedOut:
			signedOut = append(signedOut, ev)
		case civicgrid.HelpActCorrected:
			corrected = append(corrected, ev)
		}
	}
	if len(signedOut) != 1 || signedOut[0].Data["minutes"] != "60" || len(corrected) != 2 ||
		corrected[0].Data["minutes_before"] != "60" || corrected[0].Data["service_before"] != "shopping" || corrected[1].Data["minutes"] != "30" ||
		corrected[1].Note != "the resident says half an hour" {
		t.Fatalf("the history keeps the original: %+v", h)
	}
	if err := civicgrid.VerifyVolunteerChain(h); err != nil {
		t.Fatal(err)
	}
	chk := must(e.db.CheckTimeBank(ctx))
	if chk.Sum != 0 || len(chk.Unbalanced) > 0 || len(chk.Mismatched) > 0 {
		t.Fatalf("ledger after corrections: %+v", chk)
	}
	if hrs := must(e.svc.Hours(ctx, vol)); hrs.ConfirmedMinutes != 30 {
		t.Fatalf("hours after the correction: %+v", hrs)
	}
	// A done (not confirmed) record is corrected without moving the ledger.
	must(e.svc.Correct(ctx, staff, later.ID, volunteering.Correction{Minutes: 15, Reason: "left early"}))
	if bal(vol) != 30 {
		t.Fatalf("a done record moved the ledger: %d", bal(vol))
	}

	// The volunteer and the requester are told.
	drafts, _ := must2(e.svc.NotifySource().Read(ctx, 0, 1000))
	told := map[int64]int{}
	for _, d := range drafts {
		if d.Kind == "volunteer.corrected" {
			told[d.UserID]++
		}
	}
	if told[vol.UserID] != 3 || told[resident.UserID] != 3 {
		t.Fatalf("told of corrections: %v", told)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		cur.Helper()
		cur.Fatal(err)
	}
	return a, b
}

// Approving a registration grants the volunteer role over its community,
// through identity, audited; approving someone who holds it already is fine.
func TestApprovalGrantsVolunteerRole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.with(volunteering.Config{Grants: e.db})
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	resident := e.person(civicgrid.RoleResident, building)
	must(svc.Register(ctx, resident, civicgrid.ProfileInput{Community: community, Skills: []string{"驾驶"}}))
	must(svc.Decide(ctx, staff, resident.UserID, "approve", ""))
	u := must(e.db.UserByID(ctx, resident.UserID))
	var granted bool
	for _, g := range u.Grants {
		if g.Role == civicgrid.RoleVolunteer && g.AreaCode == community && g.GrantedBy == staff.UserID {
			granted = true
		}
	}
	if !granted {
		t.Fatalf("no volunteer grant after approval: %+v", u.Grants)
	}
	evs := must(e.db.ListSecurityEvents(ctx, civicgrid.EventFilter{Limit: 50}))
	found := false
	for _, ev := range evs {
		if ev.Kind == civicgrid.EventRoleGranted && ev.TargetUserID == resident.UserID && ev.ActorID == staff.UserID {
			found = true
		}
	}
	if !found {
		t.Fatal("the grant is not audited")
	}
}
