package civicgrid_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// many repeats ballots given as "n×A B C" (A first) — or, for score
// ballots, "n×4 - 3" (one score per option, "-" unscored).
func many(score bool, specs ...string) []civicgrid.Ballot {
	var cs [][]string
	for _, s := range specs {
		n, rest, _ := strings.Cut(s, "×")
		k := 0
		for _, r := range n {
			k = k*10 + int(r-'0')
		}
		c := strings.Fields(rest)
		if c == nil {
			c = []string{}
		}
		if score {
			for i := range c {
				if c[i] == "-" {
					c[i] = ""
				}
			}
		}
		for range k {
			cs = append(cs, slices.Clone(c))
		}
	}
	return ballots(cs...)
}

func poll(method civicgrid.VoteMethod, rule string, options ...string) civicgrid.Vote {
	r, _ := civicgrid.LookupQuorumRule(rule)
	return civicgrid.Vote{ID: 9, Method: method, Options: options, Rule: r}
}

// The instant-runoff count on a table of cases.
func TestTallyRanked(t *testing.T) {
	type round struct {
		counts     string // "A=3 B=1" of the options still in
		exhausted  int
		eliminated string
	}
	cases := []struct {
		name    string
		options []string
		roll    int
		ballots []string
		winner  string
		tied    string
		rounds  []round
	}{
		{"majority in round 1", []string{"A", "B", "C"}, 5, []string{"3×A B", "1×B", "1×C A"}, "A", "",
			[]round{{"A=3 B=1 C=1", 0, ""}}},
		{"exactly half is no majority; the tie of round 2 is broken by round 1", []string{"A", "B", "C"}, 8, []string{"4×A", "3×B", "1×C B"}, "A", "",
			[]round{{"A=4 B=3 C=1", 0, "C"}, {"A=4 B=4", 0, "B"}, {"A=4", 4, ""}}},
		{"a transfer elects the second of round 1", []string{"A", "B", "C"}, 5, []string{"2×A", "2×B", "1×C B"}, "B", "",
			[]round{{"A=2 B=2 C=1", 0, "C"}, {"A=2 B=3", 0, ""}}},
		{"exhausted ballots leave the count; the majority is of continuing ones", []string{"A", "B", "C"}, 7, []string{"3×A", "2×B", "2×C"}, "A", "",
			[]round{{"A=3 B=2 C=2", 0, ""}}[:0]},
		{"a tie for the fewest is broken by the earlier round", []string{"A", "B", "C", "D"}, 10, []string{"4×A", "2×B A", "3×C", "1×D B A"}, "A", "",
			[]round{{"A=4 B=2 C=3 D=1", 0, "D"}, {"A=4 B=3 C=3", 0, "B"}, {"A=7 C=3", 0, ""}}},
		{"ballots exhausted after an elimination", []string{"A", "B", "C"}, 5, []string{"2×A", "2×B", "1×C"}, "", "A B",
			[]round{{"A=2 B=2 C=1", 0, "C"}, {"A=2 B=2", 1, ""}}},
		{"all blank: nobody", []string{"A", "B"}, 3, []string{"3×"}, "", "",
			[]round{{"A=0 B=0", 3, ""}}},
		{"two options tied in round 1: tied", []string{"A", "B"}, 4, []string{"2×A", "2×B"}, "", "A B",
			[]round{{"A=2 B=2", 0, ""}}},
		{"no quorum: the rounds are shown, nobody wins", []string{"A", "B"}, 10, []string{"3×A", "1×B"}, "", "",
			[]round{{"A=3 B=1", 0, ""}}},
		{"an option nobody ranks goes first", []string{"A", "B", "C"}, 5, []string{"2×A C", "2×B", "1×C A"}, "A", "",
			[]round{{"A=2 B=2 C=1", 0, "C"}, {"A=3 B=2", 0, ""}}},
	}
	// The exhausted case, written out: 3 A, 2 B (ranking only B), 2 C
	// (then B): C goes, B gets 2, B=4 of 7 wins.
	cases[3].ballots, cases[3].winner = []string{"3×A", "2×B", "2×C B"}, "B"
	cases[3].rounds = []round{{"A=3 B=2 C=2", 0, "C"}, {"A=3 B=4", 0, ""}}
	cases[3].name = "a tie for the fewest in round 1 … broken by lot, and the transfer elects"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := poll(civicgrid.MethodRanked, "residents_meeting", tc.options...)
			bs := many(false, tc.ballots...)
			r := civicgrid.Tally(v, tc.roll, bs)
			var got []round
			for _, rd := range r.Rounds {
				var cs []string
				for _, c := range rd.Counts {
					cs = append(cs, c.Option+"="+itoa(c.Count))
				}
				if rd.Continuing+rd.Exhausted != len(bs) {
					t.Errorf("round: %d continuing + %d exhausted of %d ballots", rd.Continuing, rd.Exhausted, len(bs))
				}
				got = append(got, round{strings.Join(cs, " "), rd.Exhausted, strings.Join(rd.Eliminated, " ")})
			}
			if tc.name == cases[3].name { // B and C tie in round 1 with no earlier round: the lot picks one
				if len(got) < 2 || (got[0].eliminated != "B" && got[0].eliminated != "C") {
					t.Fatalf("rounds %+v: one of B, C eliminated first", got)
				}
				if got[0].eliminated == "B" { // then C has 2 + B's 2 stay exhausted: A=3 C=2 → A wins
					tc.winner, tc.rounds = "A", []round{{"A=3 B=2 C=2", 0, "B"}, {"A=3 C=2", 2, ""}}
				}
			}
			if !slices.Equal(got, tc.rounds) {
				t.Errorf("rounds\n got %+v\nwant %+v", got, tc.rounds)
			}
			winner := strings.Join(r.Winners, " ")
			if winner != tc.winner || strings.Join(r.Tied, " ") != tc.tied || r.Passed != (tc.winner != "") {
				t.Errorf("winner %q tied %q passed %v, want %q, %q", winner, r.Tied, r.Passed, tc.winner, tc.tied)
			}
			// The count depends on neither the order of the ballots nor a recount.
			rev := slices.Clone(bs)
			slices.Reverse(rev)
			if r2 := civicgrid.Tally(v, tc.roll, rev); !equalJSON(t, r, r2) {
				t.Errorf("reversed ballots count otherwise")
			}
			v.Status, v.RollSize, v.Result = civicgrid.VoteClosed, tc.roll, &r
			if err := civicgrid.Recount(v, bs); err != nil {
				t.Error(err)
			}
		})
	}
}

// The score count on a table of cases.
func TestTallyScore(t *testing.T) {
	cases := []struct {
		name    string
		roll    int
		ballots []string
		order   string // options by mean, "A:4.5/2" (mean/count)
		winner  string
		tied    string
	}{
		{"highest mean wins", 3, []string{"1×5 3 -", "1×4 3 1", "1×- 2 0"}, "A:4.5/2 B:2.67/3 C:0.5/2", "A", ""},
		{"equal means: more ballots scoring it first", 3, []string{"2×4 -", "1×- 4"}, "A:4/2 B:4/1", "A", ""},
		{"equal means and counts: tied", 2, []string{"1×1 3", "1×2 0"}, "A:1.5/2 B:1.5/2", "", "A B"},
		{"a zero is a score; unscored options come last", 2, []string{"2×0 -"}, "A:0/2 B:0/0", "A", ""},
		{"a blank ballot takes part and scores nothing", 3, []string{"1×- -", "1×3 -"}, "A:3/1 B:0/0", "A", ""},
		{"no quorum: the means are shown, nobody wins", 9, []string{"2×5 1"}, "A:5/2 B:1/2", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := poll(civicgrid.MethodScore, "residents_meeting", "A", "B", "C")
			bs := many(true, tc.ballots...)
			v.Options = v.Options[:len(bs[0].Choices)]
			r := civicgrid.Tally(v, tc.roll, bs)
			var got []string
			for _, s := range r.Scores {
				got = append(got, s.Option+":"+strings.TrimSuffix(strings.TrimRight(ftoa(s.Mean), "0"), ".")+"/"+itoa(s.Count))
			}
			if g := strings.Join(got, " "); g != tc.order {
				t.Errorf("scores %s, want %s", g, tc.order)
			}
			if w := strings.Join(r.Winners, " "); w != tc.winner || strings.Join(r.Tied, " ") != tc.tied {
				t.Errorf("winner %q tied %q, want %q, %q", w, r.Tied, tc.winner, tc.tied)
			}
			for i, c := range r.Counts { // counts stay in option order: ballots scoring each
				if c.Option != v.Options[i] {
					t.Errorf("counts out of option order: %v", r.Counts)
				}
			}
			v.Status, v.RollSize, v.Result = civicgrid.VoteClosed, tc.roll, &r
			if err := civicgrid.Recount(v, bs); err != nil {
				t.Error(err)
			}
			if bs[0].Choices[0] == "5" { // a changed score shows in a recount
				bs[0].Choices[0] = "4"
			} else {
				bs[0].Choices[0] = "5"
			}
			if err := civicgrid.Recount(v, bs); err == nil {
				t.Error("a changed score recounts equal")
			}
		})
	}
}

func TestPollInputAndChoices(t *testing.T) {
	now := time.Now()
	in := civicgrid.VoteInput{AreaCode: "110101001001", Question: "路灯装在哪", Method: civicgrid.MethodRanked, Options: []string{"东门", "西门", "北门"}, Hours: 24}
	v, err := in.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*civicgrid.VoteInput){
		func(i *civicgrid.VoteInput) { i.Rule = "two_thirds" },
		func(i *civicgrid.VoteInput) { i.Winners = 1 },
		func(i *civicgrid.VoteInput) { i.ProposalID = 4 },
		func(i *civicgrid.VoteInput) { i.Options = []string{"东门"} },
		func(i *civicgrid.VoteInput) { i.Options = []string{"东门", "东门"} },
		func(i *civicgrid.VoteInput) { i.Method = "borda" },
	} {
		i := in
		bad(&i)
		if _, err := i.Check(now); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			t.Errorf("%+v: %v, want invalid", i, err)
		}
	}
	for _, tc := range []struct {
		choices []string
		want    string // joined canonical form, or "!" for refused
	}{
		{[]string{"西门", "东门"}, "西门|东门"},
		{[]string{}, ""},
		{[]string{"西门", "西门"}, "!"},
		{[]string{"南门"}, "!"},
	} {
		got, err := v.CheckChoices(tc.choices)
		if (err != nil) != (tc.want == "!") || (err == nil && strings.Join(got, "|") != tc.want) {
			t.Errorf("ranked %q: %q, %v", tc.choices, got, err)
		}
	}
	in.Method = civicgrid.MethodScore
	v, err = in.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		choices []string
		want    string
	}{
		{[]string{"5", " 0", ""}, "5|0|"},
		{[]string{"", "", ""}, "||"},
		{[]string{"5", "0"}, "!"},
		{[]string{"6", "0", "1"}, "!"},
		{[]string{"-1", "0", "1"}, "!"},
		{[]string{"x", "0", "1"}, "!"},
	} {
		got, err := v.CheckChoices(tc.choices)
		if (err != nil) != (tc.want == "!") || (err == nil && strings.Join(got, "|") != tc.want) {
			t.Errorf("score %q: %q, %v", tc.choices, got, err)
		}
	}
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
