package cogovern_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// agenda makes a proposal of the community and puts it on the agenda.
func (e *env) agenda(author, staff civicgrid.Actor, title string) civicgrid.Proposal {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.svc.Propose(ctx, author, cogovern.ProposalInput{AreaCode: community, Title: title})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.Moderate(ctx, staff, p.ID, cogovern.DecisionAccept, ""); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestMeetingScheduleSignInMinutes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1, r2, r3 := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleResident, building2), e.person(civicgrid.RoleBuilding, building)
	outsider := e.person(civicgrid.RoleResident, away)
	p1, p2 := e.agenda(r1, secretary, "加装电梯"), e.agenda(r2, secretary, "增设充电桩")
	open, err := e.svc.Propose(ctx, r1, cogovern.ProposalInput{AreaCode: community, Title: "还在附议"})
	if err != nil {
		t.Fatal(err)
	}
	in := civicgrid.MeetingInput{AreaCode: community, Title: "十二月居民议事会", Place: "社区活动室", StartsAt: e.now.Add(48 * time.Hour),
		Agenda: []int64{p1.ID, p2.ID}}

	// Bad input: nothing written.
	for name, c := range map[string]struct {
		actor civicgrid.Actor
		in    func(civicgrid.MeetingInput) civicgrid.MeetingInput
		want  string
	}{
		"a resident schedules":    {r1, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { return m }, civicgrid.EFORBIDDEN},
		"no place":                {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.Place = " "; return m }, civicgrid.EINVALID},
		"empty agenda":            {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.Agenda = nil; return m }, civicgrid.EINVALID},
		"an item twice":           {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.Agenda = []int64{p1.ID, p1.ID}; return m }, civicgrid.EINVALID},
		"a proposal still open":   {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.Agenda = []int64{p1.ID, open.ID}; return m }, civicgrid.ECONFLICT},
		"an unknown role invited": {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.InvitedRoles = []string{"mayor"}; return m }, civicgrid.EINVALID},
		"two years ahead":         {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.StartsAt = e.now.AddDate(2, 0, 0); return m }, civicgrid.EINVALID},
		"an empty roll (no volunteer)": {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput {
			m.InvitedRoles = []string{civicgrid.RoleVolunteer}
			return m
		}, civicgrid.EINVALID},
		"a scope the staff do not run": {secretary, func(m civicgrid.MeetingInput) civicgrid.MeetingInput { m.AreaCode = away; return m }, civicgrid.EFORBIDDEN},
	} {
		if _, err := e.svc.ScheduleMeeting(ctx, c.actor, c.in(in)); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	if ms, err := e.svc.Meetings(ctx, secretary); err != nil || len(ms) != 0 {
		t.Fatalf("a refused meeting was written: %v %v", ms, err)
	}

	m, err := e.svc.ScheduleMeeting(ctx, secretary, in)
	if err != nil || m.Invited != 3 || len(m.Agenda) != 2 || m.Agenda[0].Title != "加装电梯" || len(m.Code) != 6 || m.Status != civicgrid.MeetingScheduled {
		t.Fatalf("scheduled: %+v %v", m, err)
	}
	// Residents see the meeting, not the door code nor the roll.
	rv, err := e.svc.Meeting(ctx, r1, m.ID)
	if err != nil || rv.Code != "" || rv.Roll != nil || rv.History != nil || !rv.OnRoll || rv.SignedIn || rv.CanManage {
		t.Fatalf("resident's view: %+v %v", rv, err)
	}
	if ms, err := e.svc.Meetings(ctx, r2); err != nil || len(ms) != 1 || ms[0].Code != "" {
		t.Fatalf("resident's list: %+v %v", ms, err)
	}
	if _, err := e.svc.Meeting(ctx, outsider, m.ID); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("outsider reads the meeting: %v", err)
	}
	sv, err := e.svc.Meeting(ctx, secretary, m.ID)
	if err != nil || sv.Code != m.Code || len(sv.Roll) != 3 || !strings.Contains(sv.Roll[0].Name, "*") {
		t.Fatalf("staff view, names masked: %+v %v", sv, err)
	}

	// Sign-in: a wrong code, the right one, twice; staff tick another.
	if _, err := e.svc.SignIn(ctx, r1, m.ID, "000000x"); code(err) != civicgrid.EINVALID {
		t.Fatalf("wrong code: %v", err)
	}
	if v, err := e.svc.SignIn(ctx, r1, m.ID, " "+m.Code+" "); err != nil || !v.SignedIn || v.Attended != 1 {
		t.Fatalf("sign in: %+v %v", v, err)
	}
	if _, err := e.svc.SignIn(ctx, r1, m.ID, m.Code); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("sign in twice: %v", err)
	}
	if _, err := e.svc.MarkAttended(ctx, r1, m.ID, r2.UserID); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident ticks someone: %v", err)
	}
	if _, err := e.svc.MarkAttended(ctx, secretary, m.ID, outsider.UserID); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("staff tick someone off the roll: %v", err)
	}
	late := e.person(civicgrid.RoleResident, building) // granted after the roll was frozen
	if _, err := e.svc.SignIn(ctx, late, m.ID, m.Code); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("someone not invited signs in: %v", err)
	}
	if v, err := e.svc.MarkAttended(ctx, secretary, m.ID, r2.UserID); err != nil || v.Attended != 2 {
		t.Fatalf("staff tick: %+v %v", v, err)
	}
	// Before publication the proposal shows the meeting without a decision.
	pv, err := e.svc.Proposal(ctx, r2, p1.ID)
	if err != nil || len(pv.Meetings) != 1 || pv.Meetings[0].MeetingID != m.ID || pv.Meetings[0].Decision != "" {
		t.Fatalf("proposal's meetings before the minutes: %+v %v", pv.Meetings, err)
	}

	// Minutes: every item decided, nothing else.
	bad := map[string][]civicgrid.AgendaItem{
		"an item undecided":       {{ProposalID: p1.ID, Decision: civicgrid.ItemAdopted}},
		"an unknown decision":     {{ProposalID: p1.ID, Decision: "maybe"}, {ProposalID: p2.ID, Decision: civicgrid.ItemDeferred}},
		"an item not on the list": {{ProposalID: p1.ID, Decision: civicgrid.ItemAdopted}, {ProposalID: p2.ID, Decision: civicgrid.ItemDeferred}, {ProposalID: open.ID, Decision: civicgrid.ItemAdopted}},
		"a decision twice":        {{ProposalID: p1.ID, Decision: civicgrid.ItemAdopted}, {ProposalID: p1.ID, Decision: civicgrid.ItemDeferred}},
	}
	for name, items := range bad {
		if _, err := e.svc.PublishMinutes(ctx, secretary, m.ID, cogovern.MinutesInput{Minutes: "x", Items: items}); code(err) != civicgrid.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	good := cogovern.MinutesInput{Minutes: "到会2人。", Items: []civicgrid.AgendaItem{
		{ProposalID: p2.ID, Decision: civicgrid.ItemDeferred, Note: "待供电公司答复"}, {ProposalID: p1.ID, Decision: civicgrid.ItemAdopted, Note: "报街道立项"}}}
	if _, err := e.svc.PublishMinutes(ctx, r1, m.ID, good); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident publishes minutes: %v", err)
	}
	v, err := e.svc.PublishMinutes(ctx, secretary, m.ID, good)
	// 2 of 3 invited: more than half, the residents' meeting quorum is met.
	if err != nil || v.Status != civicgrid.MeetingPublished || !v.QuorumMet || v.Attended != 2 || v.Invited != 3 ||
		v.Agenda[0].Decision != civicgrid.ItemAdopted || v.Agenda[1].Note != "待供电公司答复" {
		t.Fatalf("published: %+v %v", v, err)
	}
	if _, err := e.svc.PublishMinutes(ctx, secretary, m.ID, good); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("published twice: %v", err)
	}
	if _, err := e.svc.SignIn(ctx, r3, m.ID, m.Code); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("sign in after the minutes: %v", err)
	}
	rv, err = e.svc.Meeting(ctx, r3, m.ID)
	if err != nil || rv.Minutes != "到会2人。" || rv.Code != "" {
		t.Fatalf("residents read the published minutes: %+v %v", rv, err)
	}
	pv, err = e.svc.Proposal(ctx, r2, p1.ID)
	if err != nil || len(pv.Meetings) != 1 || pv.Meetings[0].Decision != civicgrid.ItemAdopted || pv.Meetings[0].Note != "报街道立项" {
		t.Fatalf("proposal's decision: %+v %v", pv.Meetings, err)
	}
	if last := pv.History[len(pv.History)-1]; last.Action != civicgrid.CogovMinutesPublished || last.Data["decision"] != civicgrid.ItemAdopted {
		t.Fatalf("proposal's history: %+v", last)
	}
	// Every chain verifies; the meeting's history holds scheduling, two
	// sign-ins and the minutes.
	sv, err = e.svc.Meeting(ctx, secretary, m.ID)
	if err != nil || len(sv.History) != 4 || sv.History[3].Data["quorum_met"] != "true" {
		t.Fatalf("meeting history: %+v %v", sv.History, err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}

// The quorum of a residents' meeting is more than half of the roll.
func TestMeetingQuorum(t *testing.T) {
	for _, c := range []struct {
		attended, invited int
		met               bool
	}{{0, 0, false}, {1, 2, false}, {2, 3, true}, {5, 10, false}, {6, 10, true}, {1, 1, true}} {
		if got := civicgrid.MeetingQuorumMet(civicgrid.DefaultQuorumRule, c.attended, c.invited); got != c.met {
			t.Errorf("%d of %d: %v, want %v", c.attended, c.invited, got, c.met)
		}
	}
}
