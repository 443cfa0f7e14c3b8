package cogovern_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

func phoneOf(n int) string { return fmt.Sprintf("1390000%04d", n) } // testdb.Person's phones

// openBuildingVote opens a yes/no vote on the building's roll.
func (e *env) openBuildingVote(staff civicgrid.Actor) civicgrid.Vote {
	e.t.Helper()
	v, err := e.svc.OpenVote(context.Background(), staff, civicgrid.VoteInput{AreaCode: building, Question: "楼道安装声控灯", Method: civicgrid.MethodYesNo,
		Rule: "simple_majority", Hours: 24})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func TestVotingTwiceAcrossChannelsIsRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	online := e.person(civicgrid.RoleResident, building)    // 2
	paper := e.person(civicgrid.RoleResident, building)     // 3
	outsider := e.person(civicgrid.RoleResident, building2) // 4
	v := e.openBuildingVote(staff)

	// Online, then paper: refused, nothing written.
	if _, err := e.svc.Cast(ctx, online, v.ID, []string{"yes"}); err != nil {
		t.Fatal(err)
	}
	err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(2))
	if code(err) != civicgrid.ECONFLICT || !strings.Contains(err.Error(), "online") {
		t.Fatalf("a paper ballot for someone who voted online: %v", err)
	}
	// Paper, then online: refused with a clear error.
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cast(ctx, paper, v.ID, []string{"no"}); code(err) != civicgrid.ECONFLICT || !strings.Contains(err.Error(), "paper") {
		t.Fatalf("an online ballot after a paper one: %v", err)
	}
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(3)); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second paper ballot: %v", err)
	}
	// Off the roll, or not staff.
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(4)); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a paper voter off the roll: %v", err)
	}
	if err := e.svc.MarkPaperVoter(ctx, online, v.ID, phoneOf(3)); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident marking paper voters: %v", err)
	}
	_ = outsider
	// The roll marks the channel.
	for n, want := range map[int64]string{online.UserID: civicgrid.ChannelOnline, paper.UserID: civicgrid.ChannelPaper} {
		if ch, err := e.db.RollChannel(ctx, v.ID, n); err != nil || ch != want {
			t.Fatalf("roll channel of %d: %q %v, want %q", n, ch, err, want)
		}
	}
	got, _ := e.db.VoteByID(ctx, v.ID)
	if got.Ballots != 1 {
		t.Fatalf("ballots %d after refusals, want 1", got.Ballots)
	}
}

func TestPaperBallotsNeedTwoStaffAndStaySecret(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	first := e.person(civicgrid.RoleCommunityStaff, community) // 1
	second := e.person(civicgrid.RoleCommunitySecretary, community)
	var residents []civicgrid.Actor
	for range 4 {
		residents = append(residents, e.person(civicgrid.RoleResident, building)) // 3..6
	}
	v := e.openBuildingVote(first)
	if _, err := e.svc.Cast(ctx, residents[0], v.ID, []string{"no"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4, 5} {
		if err := e.svc.MarkPaperVoter(ctx, first, v.ID, phoneOf(n)); err != nil {
			t.Fatal(err)
		}
	}
	ballots := func() int {
		got, err := e.db.VoteByID(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Ballots
	}
	if _, err := e.svc.EnterPaperBallot(ctx, first, v.ID, []string{"yes"}, " "); code(err) != civicgrid.EINVALID {
		t.Fatalf("a paper ballot without a witness: %v", err)
	}
	if _, err := e.svc.EnterPaperBallot(ctx, first, v.ID, []string{"yes", "no"}, "王监票"); code(err) != civicgrid.EINVALID {
		t.Fatalf("a spoilt yes/no entry: %v", err)
	}
	if _, err := e.svc.EnterPaperBallot(ctx, residents[1], v.ID, []string{"yes"}, "王监票"); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident entering a paper ballot: %v", err)
	}
	entry, err := e.svc.EnterPaperBallot(ctx, first, v.ID, []string{"yes"}, "王监票")
	if err != nil {
		t.Fatal(err)
	}
	// One staff member cannot both enter and confirm.
	if err := e.svc.ConfirmPaperBallot(ctx, first, v.ID, entry.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("the same staff member confirming their own entry: %v", err)
	}
	if ballots() != 1 {
		t.Fatal("an unconfirmed paper ballot was counted")
	}
	if _, err := e.svc.Close(ctx, second, v.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("closing with a paper ballot unconfirmed: %v", err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, second, v.ID, entry.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, first, v.ID, entry.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("confirming twice: %v", err)
	}
	for range 2 { // two more entries for the one paper voter left: the second is refused
		en, err := e.svc.EnterPaperBallot(ctx, second, v.ID, []string{"yes"}, "王监票")
		if err != nil {
			t.Fatal(err)
		}
		err = e.svc.ConfirmPaperBallot(ctx, first, v.ID, en.ID)
		if n := ballots(); n == 3 && err == nil {
			continue
		}
		if code(err) != civicgrid.ECONFLICT || ballots() != 3 {
			t.Fatalf("more paper ballots than paper voters: %v (ballots %d)", err, ballots())
		}
	}
	es, _ := e.svc.PaperEntries(ctx, first, v.ID)
	pending := slices.IndexFunc(es, func(p civicgrid.PaperEntry) bool { return p.Status == civicgrid.PaperPending })
	if pending < 0 {
		t.Fatal("the refused entry should still be pending")
	}
	if err := e.svc.MarkPaperVoter(ctx, first, v.ID, phoneOf(6)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, first, v.ID, es[pending].ID); err != nil {
		t.Fatal(err)
	}
	closed, err := e.svc.Close(ctx, second, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := closed.Result; r.Ballots != 4 || r.Counts[0].Count != 3 || r.Counts[1].Count != 1 || !r.Passed {
		t.Fatalf("result with paper ballots %+v", r)
	}
	// The recount (civicgrid verify's) equals the tally.
	box, err := e.db.Ballots(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := civicgrid.Recount(closed, box); err != nil {
		t.Fatal(err)
	}

	// Secrecy: no stored field links a paper ballot to its voter. The
	// entries name staff and the witness, never a voter, and keep no
	// choices once confirmed; the box is unchanged.
	rows, err := e.db.SQL().Query(`SELECT * FROM cogov_paper_ballots`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	// weight: 0 but in an owners' vote, whose box carries the same area.
	want := []string{"id", "vote_id", "choices", "witness", "status", "entered_by", "confirmed_by", "entered_at", "weight"}
	if !slices.Equal(cols, want) {
		t.Fatalf("paper ballot columns %v, want %v", cols, want)
	}
	voters := map[string]bool{}
	for _, r := range residents {
		voters[fmt.Sprint(r.UserID)] = true
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			s := fmt.Sprint(vals[i])
			if b, ok := vals[i].([]byte); ok {
				s = string(b)
			}
			if (c == "entered_by" || c == "confirmed_by") && voters[s] {
				t.Fatalf("a paper entry names a voter in %s", c)
			}
			if c == "choices" && s != "" {
				t.Fatalf("a confirmed paper entry keeps its choices %q", s)
			}
		}
	}
	rows.Close()
	rows, err = e.db.SQL().Query(`SELECT * FROM cogov_ballots`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ = rows.Columns()
	rows.Close()
	// weight: an owners' area, 0 here (docs/cogovernance.md).
	if !slices.Equal(cols, []string{"vote_id", "receipt_hash", "choices", "weight"}) {
		t.Fatalf("ballot columns %v", cols)
	}
	rows, err = e.db.SQL().Query(`SELECT * FROM cogov_roll`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ = rows.Columns()
	rows.Close()
	// household_id and weight: the household or the owner's area of
	// household and owners' votes (who may vote, and with what weight).
	if !slices.Equal(cols, []string{"vote_id", "user_id", "voted", "channel", "household_id", "weight"}) {
		t.Fatalf("roll columns %v: the roll says how, never what", cols)
	}
}

func TestFinalityAfterTheNoticePeriod(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		decision string // "" no objection; uphold, reject; open: left undecided
		want     string
	}{
		{"no objection", "", civicgrid.StandingFinal},
		{"objection rejected", cogovern.DecisionReject, civicgrid.StandingFinal},
		{"objection upheld", cogovern.DecisionUphold, civicgrid.StandingVoided},
		{"objection undecided", "open", civicgrid.StandingPending},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			staff := e.person(civicgrid.RoleCommunityStaff, community)
			resident := e.person(civicgrid.RoleResident, building)
			outsider := e.person(civicgrid.RoleResident, away)
			v := e.openBuildingVote(staff)
			if _, err := e.svc.RaiseObjection(ctx, resident, v.ID, "计票有误"); code(err) != civicgrid.ECONFLICT {
				t.Fatalf("an objection before the result: %v", err)
			}
			if _, err := e.svc.Cast(ctx, resident, v.ID, []string{"yes"}); err != nil {
				t.Fatal(err)
			}
			closed, err := e.svc.Close(ctx, staff, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			standing := func() string {
				d, err := e.svc.VoteDecision(ctx, resident, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				return d.Standing
			}
			if s := standing(); s != civicgrid.StandingNotice {
				t.Fatalf("standing at the close: %s", s)
			}
			if _, err := e.svc.RaiseObjection(ctx, resident, v.ID, "  "); code(err) != civicgrid.EINVALID {
				t.Fatalf("an objection without a reason: %v", err)
			}
			if _, err := e.svc.RaiseObjection(ctx, outsider, v.ID, "不同意"); code(err) != civicgrid.ENOTFOUND {
				t.Fatalf("an objection from outside the scope: %v", err)
			}
			if c.decision != "" {
				o, err := e.svc.RaiseObjection(ctx, resident, v.ID, "有人代签")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.DecideObjection(ctx, resident, o.ID, cogovern.DecisionUphold, "x"); code(err) != civicgrid.EFORBIDDEN {
					t.Fatalf("a resident deciding an objection: %v", err)
				}
				if _, err := e.svc.DecideObjection(ctx, staff, o.ID, cogovern.DecisionReject, ""); code(err) != civicgrid.EINVALID {
					t.Fatalf("a decision without a reason: %v", err)
				}
				if c.decision != "open" {
					if _, err := e.svc.DecideObjection(ctx, staff, o.ID, c.decision, "经核实"); err != nil {
						t.Fatal(err)
					}
					if _, err := e.svc.DecideObjection(ctx, staff, o.ID, c.decision, "经核实"); code(err) != civicgrid.ECONFLICT {
						t.Fatalf("deciding twice: %v", err)
					}
				}
			}
			// Just before the end of the notice: not final yet (unless voided).
			e.now = closed.NoticeUntil.Add(-time.Minute)
			if s := standing(); c.decision == cogovern.DecisionUphold && s != civicgrid.StandingVoided || c.decision != cogovern.DecisionUphold && s != civicgrid.StandingNotice {
				t.Fatalf("standing a minute before the end: %s", s)
			}
			e.now = closed.NoticeUntil
			if s := standing(); s != c.want {
				t.Fatalf("standing at the end of the notice: %s, want %s", s, c.want)
			}
			if _, err := e.svc.RaiseObjection(ctx, resident, v.ID, "晚了"); code(err) != civicgrid.ECONFLICT {
				t.Fatalf("an objection after the notice: %v", err)
			}
			board, err := e.svc.Board(ctx, building)
			if err != nil || len(board) != 1 || board[0].Standing != c.want {
				t.Fatalf("board %+v %v", board, err)
			}
		})
	}
}

func grantsOf(t *testing.T, e *env, id int64) []civicgrid.RoleGrant {
	t.Helper()
	u, err := e.db.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(u.Grants, func(g civicgrid.RoleGrant) bool {
		return g.Role != civicgrid.RoleBuilding || g.AreaCode != building || g.Detail != "building_head"
	})
}

func TestElectionGrantsTheRoleWhenFinal(t *testing.T) {
	ctx := context.Background()
	for _, upheld := range []bool{false, true} {
		t.Run(fmt.Sprint("upheld=", upheld), func(t *testing.T) {
			e := newEnv(t)
			e.svc.SetGrants(e.db)
			staff := e.person(civicgrid.RoleCommunitySecretary, community) // 1
			oldHead := e.person(civicgrid.RoleBuilding, building)          // 2
			var rs []civicgrid.Actor
			for range 4 {
				rs = append(rs, e.person(civicgrid.RoleResident, building)) // 3..6
			}
			outsider := e.person(civicgrid.RoleResident, away) // 7

			// Bad input: nothing written.
			if _, err := e.svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: building2, Role: "building_head", Seats: 1, TermMonths: 36}); code(err) != civicgrid.EINVALID {
				t.Fatalf("an election whose roll is empty: %v", err)
			}
			if _, err := e.svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: building, Role: "mayor", Seats: 1, TermMonths: 36}); code(err) != civicgrid.EINVALID {
				t.Fatalf("an unknown role: %v", err)
			}
			if _, err := e.svc.CallElection(ctx, rs[0], civicgrid.ElectionInput{AreaCode: building, Role: "building_head", Seats: 1, TermMonths: 36}); code(err) != civicgrid.EFORBIDDEN {
				t.Fatalf("a resident calling an election: %v", err)
			}
			if es, _ := e.svc.Elections(ctx, staff); len(es) != 0 {
				t.Fatalf("refused elections were written: %+v", es)
			}
			el, err := e.svc.CallElection(ctx, staff, civicgrid.ElectionInput{AreaCode: building, Role: "building_head", Seats: 1, TermMonths: 36})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Nominate(ctx, rs[0], el.ID, ""); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Nominate(ctx, rs[0], el.ID, phoneOf(4)); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Nominate(ctx, rs[0], el.ID, phoneOf(7)); code(err) != civicgrid.EINVALID {
				t.Fatalf("nominating someone outside the building: %v", err)
			}
			if err := e.svc.Nominate(ctx, outsider, el.ID, ""); code(err) != civicgrid.ENOTFOUND {
				t.Fatalf("a nomination from outside: %v", err)
			}
			// The nomination not accepted does not count.
			if _, err := e.svc.OpenElectionVote(ctx, staff, el.ID, cogovern.ElectionVoteInput{Hours: 24}); code(err) != civicgrid.EINVALID {
				t.Fatalf("a vote with one accepted candidate for one seat: %v", err)
			}
			if v, _ := e.svc.Election(ctx, rs[2], el.ID); len(v.Candidates) != 1 {
				t.Fatalf("neighbours see only accepted candidates: %+v", v.Candidates)
			}
			if err := e.svc.AcceptNomination(ctx, rs[2], el.ID); code(err) != civicgrid.EFORBIDDEN {
				t.Fatalf("accepting a nomination one does not have: %v", err)
			}
			if err := e.svc.AcceptNomination(ctx, rs[1], el.ID); err != nil {
				t.Fatal(err)
			}
			el2, err := e.svc.OpenElectionVote(ctx, staff, el.ID, cogovern.ElectionVoteInput{Hours: 24})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := e.db.VoteByID(ctx, el2.VoteID)
			if !slices.Equal(v.Options, []string{"李3", "李4"}) || v.Winners != 1 || v.RollSize != 5 {
				t.Fatalf("the election's vote %+v", v)
			}
			if err := e.svc.Nominate(ctx, rs[2], el.ID, ""); code(err) != civicgrid.ECONFLICT {
				t.Fatalf("a nomination after the vote opened: %v", err)
			}
			if _, err := e.svc.Cast(ctx, outsider, v.ID, []string{"李4"}); code(err) != civicgrid.ENOTFOUND {
				t.Fatalf("a vote outside the roll: %v", err)
			}
			for i, r := range rs {
				choice := "李4"
				if i == 0 {
					choice = "李3"
				}
				if _, err := e.svc.Cast(ctx, r, v.ID, []string{choice}); err != nil {
					t.Fatal(err)
				}
			}
			closed, err := e.svc.Close(ctx, staff, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(closed.Result.Winners, []string{"李4"}) || !closed.Result.QuorumMet {
				t.Fatalf("result %+v", closed.Result)
			}
			if upheld {
				o, err := e.svc.RaiseObjection(ctx, rs[0], v.ID, "选票有误")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.DecideObjection(ctx, staff, o.ID, cogovern.DecisionUphold, "经核实，重新选举"); err != nil {
					t.Fatal(err)
				}
			}
			// During the notice nothing is granted.
			if n, err := e.svc.FireElections(ctx); err != nil || n != 0 {
				t.Fatalf("fired %d during the notice: %v", n, err)
			}
			if len(grantsOf(t, e, rs[1].UserID)) != 0 || len(grantsOf(t, e, oldHead.UserID)) != 1 {
				t.Fatal("the role changed hands during the notice")
			}
			e.now = closed.NoticeUntil.Add(time.Second)
			if n, err := e.svc.FireElections(ctx); err != nil || n != 1 {
				t.Fatalf("fired %d at the end of the notice: %v", n, err)
			}
			got, _ := e.svc.Election(ctx, staff, el.ID)
			if upheld {
				if got.Status != civicgrid.ElectionVoided || len(grantsOf(t, e, rs[1].UserID)) != 0 || len(grantsOf(t, e, oldHead.UserID)) != 1 {
					t.Fatalf("a voided election changed the role: %s", got.Status)
				}
				return
			}
			if got.Status != civicgrid.ElectionFinal || !got.TermEndsAt.Equal(e.now.AddDate(0, 36, 0)) {
				t.Fatalf("election %s, term ends %v", got.Status, got.TermEndsAt)
			}
			if len(grantsOf(t, e, rs[1].UserID)) != 1 {
				t.Fatal("the winner did not get the role")
			}
			if len(grantsOf(t, e, oldHead.UserID)) != 0 {
				t.Fatal("the previous holder kept the role")
			}
			evs, err := e.db.ListSecurityEvents(ctx, civicgrid.EventFilter{Within: []string{building}, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var granted, revoked bool
			for _, ev := range evs {
				granted = granted || ev.Kind == civicgrid.EventRoleGranted && ev.TargetUserID == rs[1].UserID && strings.Contains(ev.Detail, "elected")
				revoked = revoked || ev.Kind == civicgrid.EventRoleRevoked && ev.TargetUserID == oldHead.UserID
			}
			if !granted || !revoked {
				t.Fatalf("the audit lacks the grant (%v) or the revocation (%v)", granted, revoked)
			}
			// Settling again does nothing; the term reminder comes before the end.
			if n, _ := e.svc.FireElections(ctx); n != 0 {
				t.Fatalf("settled twice: %d", n)
			}
			e.now = got.TermEndsAt.Add(-civicgrid.TermReminder + time.Minute)
			if n, err := e.svc.FireElections(ctx); err != nil || n != 1 {
				t.Fatalf("term reminder: %d %v", n, err)
			}
			drafts, _, err := e.svc.NotifySource().Read(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]bool{}
			for _, d := range drafts {
				if d.UserID == rs[1].UserID {
					kinds[d.Kind] = true
				}
			}
			if !kinds["cogov.nominated"] || !kinds["cogov.elected"] || !kinds["cogov.term_ending"] {
				t.Fatalf("the winner's notifications: %v", kinds)
			}
		})
	}
}

func TestDecisionsMoveTheProposal(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunitySecretary, community)
	author := e.person(civicgrid.RoleResident, building)
	voter := e.person(civicgrid.RoleResident, building)
	p := e.agenda(author, staff, "楼顶防水")
	v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{ProposalID: p.ID, Method: civicgrid.MethodYesNo, Hours: 24, Rule: "simple_majority"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []civicgrid.Actor{author, voter} {
		if _, err := e.svc.Cast(ctx, a, v.ID, []string{"no"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Close(ctx, staff, v.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Proposal(ctx, author, p.ID); got.Status != civicgrid.ProposalRejected {
		t.Fatalf("a proposal whose vote failed: %s", got.Status)
	}
	if _, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{ProposalID: p.ID, Method: civicgrid.MethodYesNo, Hours: 24}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second vote on a decided proposal: %v", err)
	}
}
