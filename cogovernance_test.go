package civicgrid_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

func ballots(choices ...[]string) []civicgrid.Ballot {
	var out []civicgrid.Ballot
	for i, c := range choices {
		out = append(out, civicgrid.Ballot{ReceiptHash: civicgrid.ReceiptHash(strings.Repeat("A", i+1)), Choices: c})
	}
	return out
}

func yesNo(yes, no, abstain int) []civicgrid.Ballot {
	var cs [][]string
	for range yes {
		cs = append(cs, []string{"yes"})
	}
	for range no {
		cs = append(cs, []string{"no"})
	}
	for range abstain {
		cs = append(cs, []string{"abstain"})
	}
	return ballots(cs...)
}

// The quorum and majority rules on a table of cases, at their edges.
func TestTallyYesNo(t *testing.T) {
	for _, tc := range []struct {
		rule                string
		roll, yes, no, abst int
		quorum, passed      bool
	}{
		{"residents_meeting", 10, 6, 0, 0, true, true},   // 6 of 10 took part, all yes
		{"residents_meeting", 10, 5, 0, 0, false, false}, // exactly half took part: no quorum (art. 9 "more than half")
		{"residents_meeting", 10, 3, 3, 0, true, false},  // 6 took part, yes is exactly half: fails
		{"residents_meeting", 10, 4, 2, 1, true, true},   // 4 of 7 is more than half
		{"residents_meeting", 10, 3, 1, 3, true, false},  // abstentions count among those taking part: 3 of 7
		{"residents_meeting", 0, 0, 0, 0, false, false},  // an empty roll decides nothing
		{"two_thirds", 9, 4, 2, 0, true, true},           // 4 of 6 is exactly two thirds: at least 2/3 passes
		{"two_thirds", 9, 4, 3, 0, true, false},          // 4 of 7
		{"three_quarters", 8, 6, 2, 0, true, true},       // 6 of 8 = 3/4
		{"three_quarters", 8, 5, 2, 0, true, false},      // 5 of 7
		{"simple_majority", 100, 2, 1, 0, true, true},    // no quorum needed
		{"simple_majority", 100, 1, 1, 0, true, false},
	} {
		rule, _ := civicgrid.LookupQuorumRule(tc.rule)
		v := civicgrid.Vote{Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rule}
		r := civicgrid.Tally(v, tc.roll, yesNo(tc.yes, tc.no, tc.abst))
		if r.QuorumMet != tc.quorum || r.Passed != tc.passed || r.Ballots != tc.yes+tc.no+tc.abst || r.Counts[0].Count != tc.yes {
			t.Errorf("%s roll %d yes %d no %d abstain %d: quorum %v passed %v, want %v %v", tc.rule, tc.roll, tc.yes, tc.no, tc.abst,
				r.QuorumMet, r.Passed, tc.quorum, tc.passed)
		}
	}
}

func TestTallyApproval(t *testing.T) {
	rule, _ := civicgrid.LookupQuorumRule("residents_meeting")
	v := civicgrid.Vote{Method: civicgrid.MethodApproval, Options: []string{"甲", "乙", "丙", "丁"}, Winners: 2, Rule: rule}
	for _, tc := range []struct {
		name    string
		ballots [][]string
		winners []string
		tied    []string
	}{
		{"clear", [][]string{{"甲", "乙"}, {"甲", "乙"}, {"甲", "丙"}}, []string{"甲", "乙"}, nil},
		// 丙 has the most approvals of the rest but not more than half of the ballots.
		{"majority needed", [][]string{{"甲", "乙"}, {"甲", "丙"}, {"甲"}, {"乙"}}, []string{"甲"}, nil},
		{"tie for the last seat", [][]string{{"甲", "乙", "丙"}, {"甲", "乙", "丙"}, {"甲"}}, []string{"甲"}, []string{"乙", "丙"}},
		{"blank ballots take part", [][]string{{"甲", "乙"}, {}, {}}, nil, nil},
	} {
		r := civicgrid.Tally(v, 5, ballots(tc.ballots...))
		if !r.QuorumMet || !slices.Equal(r.Winners, tc.winners) || !slices.Equal(r.Tied, tc.tied) {
			t.Errorf("%s: winners %v tied %v quorum %v, want %v %v", tc.name, r.Winners, r.Tied, r.QuorumMet, tc.winners, tc.tied)
		}
	}
}

func TestBallotDigestIgnoresOrder(t *testing.T) {
	bs := yesNo(2, 1, 1)
	rev := slices.Clone(bs)
	slices.Reverse(rev)
	if civicgrid.BallotDigest(bs) != civicgrid.BallotDigest(rev) {
		t.Fatal("digest depends on order")
	}
	rev[0].Choices = []string{"yes"}
	if civicgrid.BallotDigest(bs) == civicgrid.BallotDigest(rev) {
		t.Fatal("digest ignores a changed choice")
	}
}

func TestReceipts(t *testing.T) {
	code, hash := civicgrid.NewReceipt()
	if len(code) != 24 || civicgrid.ReceiptHash(strings.ToLower(strings.ReplaceAll(code, "-", " "))) != hash {
		t.Fatalf("receipt %q does not check as typed loosely", code)
	}
	if other, _ := civicgrid.NewReceipt(); other == code {
		t.Fatal("two receipts alike")
	}
}

func TestVoteInputAndChoices(t *testing.T) {
	now := time.Now()
	in := civicgrid.VoteInput{AreaCode: "420102001001", Question: "是否安装电动车充电桩？", Method: civicgrid.MethodYesNo, Hours: 48}
	v, err := in.Check(now)
	if err != nil || v.Rule.Name != "residents_meeting" || len(v.Options) != 3 || v.NoticeDays != 5 {
		t.Fatalf("%+v %v", v, err)
	}
	if _, err := v.CheckChoices([]string{"yes", "no"}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Errorf("two choices on a yes/no ballot: %v", err)
	}
	if _, err := v.CheckChoices([]string{"maybe"}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Errorf("unknown choice: %v", err)
	}
	for name, bad := range map[string]civicgrid.VoteInput{
		"grid scope":   {AreaCode: "420102001001001", Question: "q", Method: civicgrid.MethodYesNo, Hours: 1},
		"no question":  {AreaCode: "420102001001", Method: civicgrid.MethodYesNo, Hours: 1},
		"unknown rule": {AreaCode: "420102001001", Question: "q", Method: civicgrid.MethodYesNo, Hours: 1, Rule: "unanimity"},
		"too long":     {AreaCode: "420102001001", Question: "q", Method: civicgrid.MethodYesNo, Hours: 721},
		"k too large":  {AreaCode: "420102001001", Question: "q", Method: civicgrid.MethodApproval, Options: []string{"a", "b"}, Winners: 2, Hours: 1},
		"twice listed": {AreaCode: "420102001001", Question: "q", Method: civicgrid.MethodApproval, Options: []string{"a", "a", "b"}, Winners: 1, Hours: 1},
		"method":       {AreaCode: "420102001001", Question: "q", Method: "ranked", Hours: 1},
	} {
		var e *civicgrid.Error
		if _, err := bad.Check(now); !errors.As(err, &e) || e.Code != civicgrid.EINVALID || len(e.Problems) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCogovChainVerifies(t *testing.T) {
	var evs []civicgrid.CogovEvent
	prev := civicgrid.GenesisHash
	for i, a := range []string{civicgrid.CogovProposed, civicgrid.CogovSupported, civicgrid.CogovOnAgenda} {
		ev := civicgrid.CogovEvent{Subject: "proposal:1", Seq: i + 1, At: time.UnixMilli(int64(i)), Action: a, PrevHash: prev, Data: map[string]string{"n": "1"}}
		ev.Hash = ev.ChainHash()
		prev = ev.Hash
		evs = append(evs, ev)
	}
	if err := civicgrid.VerifyCogovChain(evs); err != nil {
		t.Fatal(err)
	}
	evs[1].Data["n"] = "2"
	if err := civicgrid.VerifyCogovChain(evs); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("tampered data: %v", err)
	}
}

// Who takes part in co-governance, by the one policy.
func TestCogovPolicy(t *testing.T) {
	building, community, otherBuilding := "4201020010010010001", "420102001001", "4201020010020010001"
	as := func(role, area string) civicgrid.Actor {
		return civicgrid.Actor{UserID: 9, Via: "session", Grants: []civicgrid.RoleGrant{{Role: role, AreaCode: area}}}
	}
	resident := as(civicgrid.RoleResident, building)
	for _, tc := range []struct {
		actor  civicgrid.Actor
		action civicgrid.Action
		obj    civicgrid.Object
		ok     bool
	}{
		{resident, civicgrid.ActionPropose, civicgrid.In(community), true},      // their building lies in the community
		{resident, civicgrid.ActionPropose, civicgrid.In(otherBuilding), false}, // another community's building
		{resident, civicgrid.ActionSupportProposal, civicgrid.In(building), true},
		{resident, civicgrid.ActionModerateProposal, civicgrid.In(building), false},
		{as(civicgrid.RoleCommunitySecretary, community), civicgrid.ActionModerateProposal, civicgrid.In(building), true},
		{as(civicgrid.RoleCommunitySecretary, community), civicgrid.ActionManageVote, civicgrid.In(otherBuilding), false},
		{as(civicgrid.RoleAuditor, "420100"), civicgrid.ActionPropose, civicgrid.In(community), false},
		{as(civicgrid.RoleAuditor, "420100"), civicgrid.ActionReadCogov, civicgrid.In(community), true},
		{resident, civicgrid.ActionCastBallot, civicgrid.Object{Areas: []string{community}, Electors: []int64{9}}, true},
		{resident, civicgrid.ActionCastBallot, civicgrid.Object{Areas: []string{community}}, false}, // not on the roll
		{as(civicgrid.RoleCityAdmin, "420100"), civicgrid.ActionCastBallot, civicgrid.Object{Areas: []string{community}}, false},
		{civicgrid.Actor{UserID: 9, Via: "token", TokenID: 1, Grants: resident.Grants}, civicgrid.ActionCastBallot,
			civicgrid.Object{Areas: []string{community}, Electors: []int64{9}}, false}, // a token never votes
	} {
		err := civicgrid.Authorize(tc.actor, tc.action, tc.obj)
		if (err == nil) != tc.ok {
			t.Errorf("%s as %s on %v: %v, want allowed=%v", tc.action, tc.actor.Grants[0].Role, tc.obj.Areas, err, tc.ok)
		}
	}
}

// BenchmarkTally counts 10⁶ yes/no ballots (the target: ≤ 1 s).
func BenchmarkTally(b *testing.B) {
	rule, _ := civicgrid.LookupQuorumRule("residents_meeting")
	v := civicgrid.Vote{Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rule}
	bs := make([]civicgrid.Ballot, 1_000_000)
	for i := range bs {
		_, h := civicgrid.NewReceipt()
		bs[i] = civicgrid.Ballot{ReceiptHash: h, Choices: []string{v.Options[i%3]}}
	}
	slices.SortFunc(bs, func(x, y civicgrid.Ballot) int { return strings.Compare(x.ReceiptHash, y.ReceiptHash) }) // as the store reads them
	b.ResetTimer()
	for range b.N {
		if r := civicgrid.Tally(v, 2_000_000, bs); r.Ballots != len(bs) {
			b.Fatal(r.Ballots)
		}
	}
}

func TestRecount(t *testing.T) {
	rule, _ := civicgrid.LookupQuorumRule("residents_meeting")
	v := civicgrid.Vote{ID: 3, Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rule, Status: civicgrid.VoteClosed, RollSize: 5}
	bs := yesNo(2, 1, 0)
	r := civicgrid.Tally(v, 5, bs)
	v.Result = &r
	if err := civicgrid.Recount(v, bs); err != nil {
		t.Fatal(err)
	}
	bs[2].Choices = []string{"yes"} // same number of ballots, one changed
	if err := civicgrid.Recount(v, bs); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("changed ballot: %v", err)
	}
	if err := civicgrid.Recount(v, bs[:2]); err == nil {
		t.Fatal("a removed ballot recounts equal")
	}
}
