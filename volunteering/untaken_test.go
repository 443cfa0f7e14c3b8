package volunteering_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// An open request not taken within TakeWithin turns red once its time
// passes: the scheduler marks it untaken with an event of its history
// (once, however often it fires, also after a restart), the staff of its
// community are told from that event, and a release opens a new clock.
func TestUntakenRequestEscalates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cfg := volunteering.Config{ClaimLimit: 2, TakeWithin: 2 * time.Hour, People: e.db, Now: func() time.Time { return e.now }}
	svc := e.with(cfg)
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	staffAway := e.person(civicgrid.RoleCommunityStaff, away[:12])
	vol := e.person(civicgrid.RoleVolunteer, community)

	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building, Address: "3单元502", Contact: "13912345678"}))
	other := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building}))
	opened := e.now
	v := must(svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	if !v.TakeBy.Equal(opened.Add(2*time.Hour)) || !v.OpenedAt.Equal(opened) || v.Light != "green" {
		t.Fatalf("accepted: take by %v opened %v light %q", v.TakeBy, v.OpenedAt, v.Light)
	}
	if next := must(e.db.NextHelpTakeBy(ctx)); !next.Equal(v.TakeBy) {
		t.Fatalf("next take-by %v, want %v", next, v.TakeBy)
	}
	if n := must(svc.FireUntaken(ctx)); n != 0 {
		t.Fatalf("fired %d before its time", n)
	}
	e.now = opened.Add(105 * time.Minute) // 87.5 % of the limit
	if ws := must(svc.Waiting(ctx, staff)); len(ws) != 1 || ws[0].ID != r.ID || ws[0].Light != "yellow" {
		t.Fatalf("waiting at 87.5%%: %+v", ws)
	}
	if ws := must(svc.Waiting(ctx, vol)); len(ws) != 0 {
		t.Fatalf("a volunteer sees staff's waiting list: %+v", ws)
	}

	e.now = opened.Add(2*time.Hour + time.Minute)
	if n := must(svc.FireUntaken(ctx)); n != 1 {
		t.Fatalf("fired %d, want 1", n)
	}
	if n := must(svc.FireUntaken(ctx)); n != 0 {
		t.Fatalf("fired again: %d", n)
	}
	// A restart: a new service over the same store fires nothing more.
	if n := must(e.with(cfg).FireUntaken(ctx)); n != 0 {
		t.Fatalf("fired after a restart: %d", n)
	}
	if next := must(e.db.NextHelpTakeBy(ctx)); !next.IsZero() {
		t.Fatalf("still due: %v", next)
	}
	got := must(svc.Request(ctx, staff, r.ID))
	if got.Light != "red" || !got.UntakenAt.Equal(e.now) || got.Status != civicgrid.HelpAccepted {
		t.Fatalf("untaken: light %q at %v status %s", got.Light, got.UntakenAt, got.Status)
	}
	last := got.History[len(got.History)-1]
	if last.Action != civicgrid.HelpActUntaken || last.Actor != "system" || civicgrid.VerifyVolunteerChain(got.History) != nil {
		t.Fatalf("history: %+v", last)
	}
	if ws := must(svc.Waiting(ctx, staff)); len(ws) != 1 || ws[0].Light != "red" {
		t.Fatalf("waiting: %+v", ws)
	}
	if o := must(svc.Request(ctx, staff, other.ID)); o.Light != "" || !o.TakeBy.IsZero() {
		t.Fatalf("a posted request has a clock: %+v", o)
	}

	// The staff of the community hear of it once; nobody else does, and
	// the message carries no address or phone.
	src := svc.NotifySource()
	drafts, to, err := src.Read(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var users []int64
	for _, d := range drafts {
		users = append(users, d.UserID)
		if d.Kind != "volunteer.untaken" || !strings.HasPrefix(d.Source, "volunteer_event:") || d.Link != "/volunteer/requests/"+itoa(r.ID) ||
			slices.Contains(d.Args, "3单元502") || slices.Contains(d.Args, "13912345678") {
			t.Fatalf("draft: %+v", d)
		}
	}
	slices.Sort(users)
	if want := []int64{staff.UserID, secretary.UserID}; !slices.Equal(users, want) {
		t.Fatalf("told %v, want %v (not %d, %d, %d)", users, want, staffAway.UserID, vol.UserID, resident.UserID)
	}
	if again, _, _ := src.Read(ctx, to, 100); len(again) != 0 {
		t.Fatalf("told twice: %+v", again)
	}

	// Taken: the clock stops; given back: a new clock, which fires again.
	v = must(svc.Claim(ctx, vol, r.ID))
	if v.Light != "" || !v.TakeBy.IsZero() {
		t.Fatalf("claimed: light %q take-by %v", v.Light, v.TakeBy)
	}
	e.now = e.now.Add(time.Hour)
	v = must(svc.Release(ctx, vol, r.ID, "生病了"))
	if !v.TakeBy.Equal(e.now.Add(2*time.Hour)) || !v.UntakenAt.IsZero() {
		t.Fatalf("released: take by %v untaken %v", v.TakeBy, v.UntakenAt)
	}
	if got := must(svc.Request(ctx, staff, r.ID)); got.Light != "green" {
		t.Fatalf("reopened: light %q", got.Light)
	}
	e.now = e.now.Add(3 * time.Hour)
	if n := must(svc.FireUntaken(ctx)); n != 1 {
		t.Fatalf("reopened request fired %d", n)
	}
}

// The scheduler loop (casework.Deadlines) fires what is due when it starts.
func TestUntakenSchedulerRuns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t)
	svc := e.with(volunteering.Config{TakeWithin: time.Hour})
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	must(svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	e.now = e.now.Add(2 * time.Hour)
	done := make(chan struct{})
	go func() { svc.RunScheduler(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for must(svc.Request(ctx, staff, r.ID)).UntakenAt.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not mark the request")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
