package cogovern_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// A nominee withdraws (or declines) their nomination before the vote
// opens, not after; staff cancel an election before its vote opens, with
// a reason everyone reads, and nothing can be done in it afterwards.
func TestWithdrawNominationAndCancelElection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.SetGrants(e.db)
	staff := e.person(civicgrid.RoleCommunitySecretary, community) // 1
	var rs []civicgrid.Actor
	for range 4 {
		rs = append(rs, e.person(civicgrid.RoleResident, building)) // 2..5
	}
	call := func() civicgrid.Election {
		el, err := e.svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: building, Role: "building_head", Seats: 1, TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		return el
	}
	el := call()
	for _, step := range []func() error{
		func() error { return e.svc.Nominate(ctx, rs[0], el.ID, "") },         // self, accepted
		func() error { return e.svc.Nominate(ctx, rs[0], el.ID, phoneOf(3)) }, // rs[1], pending
		func() error { return e.svc.Nominate(ctx, rs[2], el.ID, "") },
		func() error { return e.svc.Nominate(ctx, rs[3], el.ID, "") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.WithdrawNomination(ctx, staff, el.ID); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("someone not nominated withdraws: %v", err)
	}
	if v, _ := e.svc.Election(ctx, rs[1], el.ID); !v.CanWithdraw || !v.AwaitsMe {
		t.Fatalf("the pending nominee is offered to accept and to decline: %+v", v)
	}
	if err := e.svc.WithdrawNomination(ctx, rs[1], el.ID); err != nil { // declines the neighbour's nomination
		t.Fatal(err)
	}
	if err := e.svc.WithdrawNomination(ctx, rs[0], el.ID); err != nil { // an accepted candidate stands down
		t.Fatal(err)
	}
	if err := e.svc.WithdrawNomination(ctx, rs[0], el.ID); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a second withdrawal: %v", err)
	}
	v, err := e.svc.Election(ctx, staff, el.ID)
	if err != nil || len(v.Candidates) != 2 {
		t.Fatalf("candidates after the withdrawals: %+v %v", v.Candidates, err)
	}
	if err := civicgrid.VerifyCogovChain(v.History); err != nil || v.History[len(v.History)-1].Action != civicgrid.CogovNominationGone {
		t.Fatalf("history: %+v %v", v.History, err)
	}
	got, err := e.svc.OpenElectionVote(ctx, staff, el.ID, cogovern.ElectionVoteInput{Hours: 24})
	if err != nil {
		t.Fatal(err)
	}
	vote, _ := e.db.VoteByID(ctx, got.VoteID)
	if len(vote.Options) != 2 {
		t.Fatalf("the ballot lists the withdrawn: %v", vote.Options)
	}
	if err := e.svc.WithdrawNomination(ctx, rs[2], el.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("withdrawing after the vote opened: %v", err)
	}
	if _, err := e.svc.CancelElection(ctx, staff, el.ID, "楼栋合并"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("cancelling after the vote opened: %v", err)
	}

	// Cancelling: staff only, with a reason; then closed to every step.
	el2 := call()
	if err := e.svc.Nominate(ctx, rs[0], el2.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CancelElection(ctx, rs[0], el2.ID, "不想选了"); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident cancels: %v", err)
	}
	if _, err := e.svc.CancelElection(ctx, staff, el2.ID, "  "); code(err) != civicgrid.EINVALID {
		t.Fatalf("a cancellation without a reason: %v", err)
	}
	if _, err := e.svc.CancelElection(ctx, staff, el2.ID, string(make([]rune, 501))); code(err) != civicgrid.EINVALID {
		t.Fatalf("a reason over 500: %v", err)
	}
	if v, _ := e.svc.Election(ctx, rs[2], el2.ID); v.Status != civicgrid.ElectionNominating {
		t.Fatalf("a refused cancellation was written: %+v", v.Election)
	}
	c, err := e.svc.CancelElection(ctx, staff, el2.ID, "楼栋合并，另行选举")
	if err != nil || c.Status != civicgrid.ElectionCancelled || c.CancelReason != "楼栋合并，另行选举" {
		t.Fatalf("cancelled: %+v %v", c, err)
	}
	// Neighbours read the reason; nothing more happens in it.
	if v, err := e.svc.Election(ctx, rs[3], el2.ID); err != nil || v.CancelReason == "" || v.CanNominate || v.CanWithdraw {
		t.Fatalf("the neighbour's view: %+v %v", v, err)
	}
	if err := e.svc.Nominate(ctx, rs[3], el2.ID, ""); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a nomination after the cancellation: %v", err)
	}
	if err := e.svc.WithdrawNomination(ctx, rs[0], el2.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a withdrawal after the cancellation: %v", err)
	}
	if _, err := e.svc.OpenElectionVote(ctx, staff, el2.ID, cogovern.ElectionVoteInput{Hours: 24}); code(err) == "" {
		t.Fatal("a vote opened on a cancelled election")
	}
	if _, err := e.svc.CancelElection(ctx, staff, el2.ID, "再次取消"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second cancellation: %v", err)
	}
	if n, err := e.svc.FireElections(ctx); err != nil || n != 0 {
		t.Fatalf("the scheduler touches a cancelled election: %d %v", n, err)
	}
}
