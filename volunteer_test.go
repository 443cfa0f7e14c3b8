package civicgrid

import (
	"strings"
	"testing"
	"time"
)

func TestHelpInputCheck(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	r, err := HelpInput{Service: "clinic", BuildingCode: "4201020010010010001"}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != HelpPosted || r.Urgency != UrgencyNormal || r.WindowEnd.Sub(r.WindowStart) != 180*time.Minute || r.OnBehalf {
		t.Fatalf("defaults: %+v", r)
	}
	_, err = HelpInput{Service: "massage", BuildingCode: "420102001001", Urgency: "now", WindowStart: now.Add(-3 * time.Hour), WindowEnd: now.Add(-time.Hour)}.Check(now)
	e, ok := err.(*Error)
	if !ok || e.Code != EINVALID || len(e.Problems) != 4 {
		t.Fatalf("every problem named: %v", err)
	}
	for _, kind := range []string{"service", "building_code", "urgency", "window"} {
		if !strings.Contains(ErrorMessage(err)+problemKinds(e), kind) {
			t.Errorf("no %s problem in %v", kind, e.Problems)
		}
	}
}

func problemKinds(e *Error) string {
	var s []string
	for _, p := range e.Problems {
		s = append(s, p.Kind)
	}
	return strings.Join(s, " ")
}

func TestRoundMinutes(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		step int
		want int
	}{
		{52 * time.Minute, 15, 45}, {53 * time.Minute, 15, 60}, {3 * time.Minute, 15, 15}, {0, 15, 0},
		{90*time.Minute + 30*time.Second, 1, 90}, {20 * time.Second, 1, 1}, {67 * time.Minute, 30, 60},
	} {
		if got := RoundMinutes(c.d, c.step); got != c.want {
			t.Errorf("RoundMinutes(%v, %d) = %d, want %d", c.d, c.step, got, c.want)
		}
	}
}

func TestHelpStepRefusalsNameTheRule(t *testing.T) {
	for _, c := range []struct {
		step   HelpStep
		status HelpStatus
		want   string
	}{
		{StepClaim, HelpClaimed, "is taken"},
		{StepClaim, HelpCancelled, "was cancelled"},
		{StepClaim, HelpPosted, "not verified"},
		{StepSignOut, HelpClaimed, "sign in at the place before signing out"},
		{StepSignIn, HelpInService, "sign-in is taken once"},
		{StepConfirm, HelpClaimed, "confirmed is possible only when it is done"},
	} {
		if c.step.Allows(c.status) {
			t.Fatalf("%s allowed from %s", c.step.Action, c.status)
		}
		err := c.step.Refusal(HelpRequest{ID: 7, Status: c.status})
		if ErrorCode(err) != ECONFLICT || !strings.Contains(ErrorMessage(err), c.want) {
			t.Errorf("%s from %s: %v", c.step.Action, c.status, err)
		}
	}
}

func TestVolunteerPolicy(t *testing.T) {
	const building, other = "4201020010010010001", "4201030010010010001"
	vol := Actor{UserID: 5, Via: "session", Grants: []RoleGrant{{Role: RoleVolunteer, AreaCode: "420102001001"}}}
	staff := Actor{UserID: 6, Via: "session", Grants: []RoleGrant{{Role: RoleCommunityStaff, AreaCode: "420102001001"}}}
	res := Actor{UserID: 7, Via: "session", Grants: []RoleGrant{{Role: RoleResident, AreaCode: building}}}
	open := HelpRequest{BuildingCode: building, PosterID: 7, Status: HelpAccepted}
	away := HelpRequest{BuildingCode: other, PosterID: 9, Status: HelpAccepted}
	mine := open
	mine.VolunteerID = 5
	for _, c := range []struct {
		who    Actor
		action Action
		r      HelpRequest
		ok     bool
	}{
		{vol, ActionClaimHelp, open, true},
		{vol, ActionClaimHelp, away, false}, // outside the grant
		{staff, ActionClaimHelp, open, false},
		{res, ActionClaimHelp, open, false},
		{vol, ActionSeeHelpAddress, open, false}, // not before taking it
		{vol, ActionSeeHelpAddress, mine, true},
		{vol, ActionServeHelp, open, false},
		{vol, ActionServeHelp, mine, true},
		{staff, ActionServeHelp, mine, false}, // nobody signs in for the volunteer
		{res, ActionConfirmHelp, mine, true},
		{vol, ActionConfirmHelp, mine, false}, // the volunteer confirms nothing of their own
		{staff, ActionConfirmHelp, mine, true},
		{staff, ActionVerifyHelp, open, true},
		{staff, ActionVerifyHelp, away, false},
		{vol, ActionVerifyHelp, open, false},
		{res, ActionAskHelp, open, true},
		{res, ActionAskHelp, away, false}, // only at one's own building
	} {
		if err := Authorize(c.who, c.action, c.r.Object()); (err == nil) != c.ok {
			t.Errorf("%s by %s on %s: %v", c.action, c.who.Grants[0].Role, c.r.BuildingCode, err)
		}
	}
}

func TestVolunteerChainBreaks(t *testing.T) {
	evs := []VolunteerEvent{{RequestID: 1, Seq: 1, Action: HelpActPosted, Actor: "a"}, {RequestID: 1, Seq: 2, Action: HelpActAccepted, Actor: "b"}}
	prev := GenesisHash
	for i := range evs {
		evs[i].PrevHash = prev
		evs[i].Hash = evs[i].ChainHash()
		prev = evs[i].Hash
	}
	if err := VerifyVolunteerChain(evs); err != nil {
		t.Fatal(err)
	}
	evs[1].Note = "changed"
	if err := VerifyVolunteerChain(evs); err == nil || !strings.Contains(ErrorMessage(err), "was altered") {
		t.Fatalf("altered event: %v", err)
	}
}
