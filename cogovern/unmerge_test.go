package cogovern_test

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Undoing a merge: staff, with a reason; the supports the merge carried
// leave the other proposal (those given to it directly stay), the merged
// one goes back to where it was with its own supports; both histories
// record it. Refused when not merged, without a reason, by residents, or
// once the other is voted on.
func TestUnmergeProposal(t *testing.T) {
	ctx := context.Background()
	e := courtyardEnv(t) // threshold 2
	staff := e.person(civicgrid.RoleCommunitySecretary, community)
	a := e.person(civicgrid.RoleResident, building)
	b := e.person(civicgrid.RoleResident, building)
	c := e.person(civicgrid.RoleResident, building)
	d := e.person(civicgrid.RoleResident, building2)
	propose := func(by civicgrid.Actor, area, title string) civicgrid.Proposal {
		p, err := e.svc.Propose(ctx, by, cogovern.ProposalInput{AreaCode: area, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wide := propose(a, community, "小区加装充电桩")
	narrow := propose(b, building, "1号楼门口装充电桩")
	if _, err := e.svc.Support(ctx, c, narrow.ID); err != nil { // narrow: 1 support (c), open
		t.Fatal(err)
	}
	if _, err := e.svc.Support(ctx, d, wide.ID); err != nil { // wide: 1 support (d), its own
		t.Fatal(err)
	}
	if _, err := e.svc.UnmergeProposal(ctx, staff, narrow.ID, "误合并"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("undoing a merge of a proposal not merged: %v", err)
	}
	if _, err := e.svc.MergeProposal(ctx, staff, narrow.ID, wide.ID, "同一件事"); err != nil {
		t.Fatal(err)
	}
	if w, _ := e.svc.Proposal(ctx, staff, wide.ID); w.Supports != 3 || w.Status != civicgrid.ProposalAgenda { // d + b (author) + c
		t.Fatalf("after the merge: %+v", w.Proposal)
	}
	for name, k := range map[string]struct {
		actor  civicgrid.Actor
		reason string
		want   string
	}{
		"a resident undoes it": {a, "不是一回事", civicgrid.EFORBIDDEN},
		"no reason":            {staff, " ", civicgrid.EINVALID},
		"someone far away":     {e.person(civicgrid.RoleResident, away), "不是一回事", civicgrid.ENOTFOUND},
	} {
		if _, err := e.svc.UnmergeProposal(ctx, k.actor, narrow.ID, k.reason); code(err) != k.want {
			t.Errorf("%s: got %v, want %s", name, err, k.want)
		}
	}
	n, err := e.svc.UnmergeProposal(ctx, staff, narrow.ID, "一个是门口，一个是全小区，不是一回事")
	if err != nil || n.Status != civicgrid.ProposalOpen || n.MergedInto != 0 || n.Supports != 1 {
		t.Fatalf("the merged proposal back: %+v %v", n, err)
	}
	w, err := e.svc.Proposal(ctx, b, wide.ID)
	if err != nil || w.Supports != 1 || w.Status != civicgrid.ProposalAgenda {
		t.Fatalf("the other keeps its own support (and the agenda): %+v %v", w.Proposal, err)
	}
	if last := w.History[len(w.History)-1]; last.Action != civicgrid.CogovUnmergedOut || last.Data["supports_removed"] != "2" {
		t.Fatalf("the other's history: %+v", last)
	}
	nv, _ := e.svc.Proposal(ctx, c, narrow.ID)
	if last := nv.History[len(nv.History)-1]; last.Action != civicgrid.CogovUnmerged || last.Note != "一个是门口，一个是全小区，不是一回事" {
		t.Fatalf("the merged one's history: %+v", last)
	}
	// Only the carried supports left: d, who supported wide by themself, still does.
	for _, k := range []struct {
		who  civicgrid.Actor
		want bool
	}{{b, false}, {c, false}, {d, true}} {
		if got, err := e.db.HasSupported(ctx, wide.ID, k.who.UserID); err != nil || got != k.want {
			t.Fatalf("%s supports the other: %v, want %v (%v)", k.who.Name, got, k.want, err)
		}
	}
	if got, _ := e.db.HasSupported(ctx, narrow.ID, c.UserID); !got {
		t.Fatal("c's support of the merged proposal is back where it was")
	}
	if _, err := e.svc.UnmergeProposal(ctx, staff, narrow.ID, "again"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("undone twice: %v", err)
	}
	// Merged again, and the other goes to a vote: the merge then stands.
	if _, err := e.svc.MergeProposal(ctx, staff, narrow.ID, wide.ID, "还是合并"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{ProposalID: wide.ID, Method: civicgrid.MethodYesNo, Hours: 24}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UnmergeProposal(ctx, staff, narrow.ID, "不是一回事"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("undoing a merge into a proposal being voted on: %v", err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}
