package cogovern_test

import (
	"context"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// A ranked poll end to end: online ballots and a paper ballot entered by
// two staff with a witness, a second ballot refused across channels, a bad
// ballot refused with nothing written, the rounds on the result, and a
// recount of the published ballots giving the published result.
func TestRankedPoll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var voters []civicgrid.Actor
	for range 6 {
		voters = append(voters, e.person(civicgrid.RoleResident, building)) // 1..6
	}
	staff, staff2 := e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleCommunityStaff, community)
	in := civicgrid.VoteInput{AreaCode: building, Question: "新路灯装在哪", Method: civicgrid.MethodRanked, Options: []string{"东门", "西门", "北门"}, Hours: 24}
	if _, err := e.svc.OpenVote(ctx, voters[0], in); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident opening a poll: %v", err)
	}
	v, err := e.svc.OpenVote(ctx, staff, in)
	if err != nil || v.RollSize != 6 {
		t.Fatalf("%+v %v", v, err)
	}
	for i, ranking := range [][]string{{"东门", "西门"}, {"东门"}, {"西门", "东门"}, {"北门", "西门"}} {
		if _, err := e.svc.Cast(ctx, voters[i], v.ID, ranking); err != nil {
			t.Fatalf("ballot %d: %v", i, err)
		}
	}
	if _, err := e.svc.Cast(ctx, voters[4], v.ID, []string{"西门", "西门"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("an option ranked twice: %v", err)
	}
	if got, _ := e.db.VoteByID(ctx, v.ID); got.Ballots != 4 {
		t.Fatalf("a refused ballot was written: %d ballots", got.Ballots)
	}
	// Voter 6 votes on paper: marked, entered by one staff member with a
	// witness, confirmed by another; then online is refused.
	if err := e.svc.MarkPaperVoter(ctx, staff, v.ID, phoneOf(6)); err != nil {
		t.Fatal(err)
	}
	entry, err := e.svc.EnterPaperBallot(ctx, staff, v.ID, []string{"北门", "西门"}, "王监票")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmPaperBallot(ctx, staff2, v.ID, entry.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cast(ctx, voters[5], v.ID, []string{"东门"}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("online after paper: %v", err)
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	// Round 1 (5 ballots): 东门 2, 西门 1, 北门 2 → 西门 goes; its ballot
	// passes to 东门: 东门 3 of 5 wins in round 2.
	if !r.QuorumMet || r.Ballots != 5 || len(r.Rounds) != 2 || !slices.Equal(r.Rounds[0].Eliminated, []string{"西门"}) ||
		!slices.Equal(r.Winners, []string{"东门"}) || r.Rounds[1].Counts[0] != (civicgrid.OptionCount{Option: "东门", Count: 3}) {
		t.Fatalf("result %+v", r)
	}
	bs, err := e.svc.Ballots(ctx, voters[0], v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := civicgrid.Recount(closed, bs); err != nil {
		t.Fatal(err)
	}
}

// A score poll: scores 0–5 per option, bad scores refused.
func TestScorePoll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var voters []civicgrid.Actor
	for range 3 {
		voters = append(voters, e.person(civicgrid.RoleResident, building))
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: building, Question: "活动室开放时间", Method: civicgrid.MethodScore,
		Options: []string{"上午", "下午", "晚上"}, Hours: 24, Rule: "simple_majority"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"6", "1", "1"}, {"5", "1"}, {"五", "1", "1"}} {
		if _, err := e.svc.Cast(ctx, voters[0], v.ID, bad); code(err) != civicgrid.EINVALID {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	for i, scores := range [][]string{{"5", "2", ""}, {"3", "4", "1"}, {"4", "", "0"}} {
		if _, err := e.svc.Cast(ctx, voters[i], v.ID, scores); err != nil {
			t.Fatalf("ballot %d: %v", i, err)
		}
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	if len(r.Scores) != 3 || r.Scores[0].Option != "上午" || r.Scores[0].Mean != 4 || r.Scores[1].Option != "下午" || r.Scores[1].Count != 2 ||
		r.Scores[2].Mean != 0.5 || !slices.Equal(r.Winners, []string{"上午"}) {
		t.Fatalf("result %+v", r)
	}
}
