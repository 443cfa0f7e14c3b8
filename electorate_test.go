package civicgrid_test

import (
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// owners makes owners' ballots: each "choice:area" (area in m²).
func owners(t *testing.T, specs ...string) []civicgrid.Ballot {
	t.Helper()
	var out []civicgrid.Ballot
	for i, s := range specs {
		choice, area, _ := strings.Cut(s, ":")
		w, err := civicgrid.ParseArea(area)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, civicgrid.Ballot{ReceiptHash: civicgrid.ReceiptHash(strings.Repeat("B", i+1)), Choices: []string{choice}, Weight: w})
	}
	return out
}

// The Civil Code art. 278 double majority on a table of cases: head count
// and area disagree, a quorum missed by area only or by head only, the
// three-quarters matters at their edge, abstentions taking part.
func TestTallyOwners(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rule       string
		rollOwners int
		rollArea   string // m²
		ballots    []string
		quorumHead bool
		quorumArea bool
		passHead   bool
		passArea   bool
		passed     bool
	}{
		{"both majorities", "owners_majority", 3, "300", []string{"yes:100", "yes:100", "no:100"}, true, true, true, true, true},
		// Many small flats say yes, one large owner says no: the heads
		// pass, the area does not, so the decision fails.
		{"heads yes, area no", "owners_majority", 4, "400", []string{"yes:50", "yes:50", "no:250"}, true, true, true, false, false},
		// One large owner says yes against two small: area passes, heads do not.
		{"area yes, heads no", "owners_majority", 3, "400", []string{"yes:300", "no:50", "no:50"}, true, true, false, true, false},
		// 4 of 6 owners take part (2/3 by head) but hold only 100 of 600 m².
		{"quorum missed by area only", "owners_majority", 6, "600", []string{"yes:25", "yes:25", "yes:25", "yes:25"}, true, false, true, true, false},
		// One owner of 2/3 of the area takes part alone.
		{"quorum missed by heads only", "owners_majority", 3, "300", []string{"yes:200"}, false, true, true, true, false},
		// Exactly two thirds both ways meets the quorum ("at least").
		{"quorum exactly two thirds", "owners_majority", 3, "300", []string{"yes:100", "yes:100"}, true, true, true, true, true},
		// Exactly half of the participants is not "more than half".
		{"half is not a majority", "owners_majority", 4, "400", []string{"yes:100", "no:100", "yes:100", "no:100"}, true, true, false, false, false},
		// Abstentions take part: 2 yes of 4 participants.
		{"abstentions take part", "owners_majority", 4, "400", []string{"yes:100", "yes:100", "abstain:100", "abstain:100"}, true, true, false, false, false},
		// Maintenance fund (items 6–8): 3 of 4 heads and exactly 3/4 of the area.
		{"three quarters met", "owners_three_quarters", 4, "400", []string{"yes:100", "yes:100", "yes:100", "no:100"}, true, true, true, true, true},
		// 3 of 4 heads but 290 of 400 m² (72.5 %).
		{"three quarters missed by area", "owners_three_quarters", 4, "400", []string{"yes:90", "yes:100", "yes:100", "no:110"}, true, true, true, false, false},
		// Areas with hundredths: 66.66 of 100 m² is short of two thirds.
		{"area in hundredths", "owners_majority", 3, "100", []string{"yes:33.33", "yes:33.33"}, true, false, true, true, false},
	} {
		var rule civicgrid.QuorumRule
		for _, r := range civicgrid.OwnersQuorumRules {
			if r.Name == tc.rule {
				rule = r
			}
		}
		area, _ := civicgrid.ParseArea(tc.rollArea)
		v := civicgrid.Vote{ID: 1, Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rule,
			Electorate: civicgrid.ElectorateOwners, RollArea: area, RollSize: tc.rollOwners, Status: civicgrid.VoteClosed}
		bs := owners(t, tc.ballots...)
		r := civicgrid.Tally(v, tc.rollOwners, bs)
		if r.AreaResult == nil {
			t.Fatalf("%s: no area result", tc.name)
		}
		if r.QuorumHead != tc.quorumHead || r.QuorumArea != tc.quorumArea || r.PassHead != tc.passHead || r.PassArea != tc.passArea ||
			r.Passed != tc.passed || r.QuorumMet != (tc.quorumHead && tc.quorumArea) {
			t.Errorf("%s: quorum head %v area %v, pass head %v area %v, passed %v; want %v %v %v %v %v", tc.name,
				r.QuorumHead, r.QuorumArea, r.PassHead, r.PassArea, r.Passed, tc.quorumHead, tc.quorumArea, tc.passHead, tc.passArea, tc.passed)
		}
		// The recount of the published ballots equals the tally; a weight
		// changed after the close shows.
		v.Result = &r
		if err := civicgrid.Recount(v, bs); err != nil {
			t.Errorf("%s: recount: %v", tc.name, err)
		}
		bs[0].Weight++
		if err := civicgrid.Recount(v, bs); err == nil {
			t.Errorf("%s: a changed weight passed the recount", tc.name)
		}
	}
}

var testNow = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func TestElectorateInput(t *testing.T) {
	in := civicgrid.VoteInput{AreaCode: "4201020010010010001", Question: "是否使用维修资金？", Method: civicgrid.MethodYesNo, Hours: 24,
		Electorate: civicgrid.ElectorateOwners}
	v, err := in.Check(testNow)
	if err != nil || v.Rule.Name != "owners_majority" || v.Electorate != civicgrid.ElectorateOwners {
		t.Fatalf("owners' vote defaults to the owners' majority: %+v %v", v.Rule, err)
	}
	in.Rule = "residents_meeting"
	if _, err := in.Check(testNow); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("an owners' vote under a residents' rule: %v", err)
	}
	in.Rule, in.Method, in.Options, in.Winners = "", civicgrid.MethodApproval, []string{"甲", "乙"}, 1
	if _, err := in.Check(testNow); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("an owners' approval vote: %v", err)
	}
	in = civicgrid.VoteInput{AreaCode: "4201020010010010001", Question: "q", Method: civicgrid.MethodYesNo, Hours: 24, Electorate: "flats"}
	if _, err := in.Check(testNow); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("unknown electorate: %v", err)
	}
	in.Electorate, in.Rule = civicgrid.ElectorateHousehold, "owners_majority"
	if _, err := in.Check(testNow); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("a household vote under an owners' rule: %v", err)
	}
	in.Rule = ""
	if v, err := in.Check(testNow); err != nil || v.Rule.Name != civicgrid.DefaultQuorumRule {
		t.Fatalf("a household vote defaults to the residents' meeting: %+v %v", v.Rule, err)
	}
}

func TestHouseholdRows(t *testing.T) {
	rows, err := civicgrid.ParseHouseholdCSV(strings.NewReader("房号,phone,role,area\n1-101,13900000001,representative,\n1-101,13900000002,member\n1-101,13900000009,owner,89.5\n1-102\n"))
	if err != nil || len(rows) != 4 {
		t.Fatalf("%+v %v", rows, err)
	}
	ok, err := civicgrid.CheckHouseholdRows(rows)
	if err != nil || ok[2].AreaCenti != 8950 || civicgrid.FormatArea(ok[2].AreaCenti) != "89.50" {
		t.Fatalf("%+v %v", ok, err)
	}
	for _, bad := range []string{
		"1-101,13900000001,tenant",       // unknown role
		"1-101,1390000,member",           // not a phone
		"1-101,13900000009,owner,0",      // no area
		"1-101,13900000009,owner,89.555", // three decimals
		"1-101,13900000001,member,80",    // an area on a member's row
		"1-101,13900000001,representative\n1-101,13900000002,representative", // two representatives
		",13900000001,member", // no room
	} {
		rows, err := civicgrid.ParseHouseholdCSV(strings.NewReader(bad))
		if err == nil {
			_, err = civicgrid.CheckHouseholdRows(rows)
		}
		if civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
