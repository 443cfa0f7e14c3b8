package civicgrid

import (
	"slices"
	"strconv"
)

// Electorate is who a vote's roll counts, chosen by staff when they open it.
//
//   - person: one vote per person holding a resident's or building role in
//     the scope (the residents' meeting of adult residents, 居民会议).
//   - household: one vote per household (户) of the scope's buildings
//     (household.go). The roll freezes every member of each flat; any one
//     of them may cast the household's ballot and the first ballot counts:
//     the Organic Law of Urban Residents' Committees art. 9 lets a
//     residents' meeting be held with one representative sent by each
//     household (每户派代表一人), and the household sends whom it sends — the
//     registered representative (户代表) is who staff reach, not the only
//     one who may speak for the flat, and a roll limited to them would
//     silence a household whose representative is away or in hospital.
//     The roll records which member voted, as it records any voter.
//   - owners: owners of flats with a floor area, each once however many
//     flats they own (area summed), decided by the double majority of the
//     Civil Code art. 278 (OwnersQuorumRules).
type Electorate string

// RollMark is a person's entry on a vote's roll: whether they voted and,
// in a household vote, whether their household did.
type RollMark struct {
	Voted, HouseholdVoted bool
}

const (
	ElectoratePerson    Electorate = "person"
	ElectorateHousehold Electorate = "household"
	ElectorateOwners    Electorate = "owners"
)

// OwnersQuorumRules are the Civil Code art. 278 rules, applied both by head
// and by floor area: owners holding at least two thirds of the area and
// making at least two thirds of the owners take part; a decision needs
// more than half (or, for raising or using the maintenance fund,
// rebuilding, changing the use of common parts — art. 278 items 6–8 — at
// least three quarters) of the participating area AND of the
// participating owners.
var OwnersQuorumRules = []QuorumRule{
	{Name: "owners_majority", Turnout: Share{2, 3, false}, Pass: Share{1, 2, true}},
	{Name: "owners_three_quarters", Turnout: Share{2, 3, false}, Pass: Share{3, 4, false}},
}

// DefaultOwnersRule is the owners' rule for ordinary matters.
const DefaultOwnersRule = "owners_majority"

func (in VoteInput) electorate() Electorate {
	if in.Electorate == "" {
		return ElectoratePerson
	}
	return in.Electorate
}

// electorateRule checks the electorate and looks its rule up: people and
// households are decided by the residents' rules (QuorumRules), owners by
// the Civil Code's (OwnersQuorumRules), and an owners' vote is a yes/no
// question.
func (in VoteInput) electorateRule() (QuorumRule, *Problem) {
	bad := func(kind, detail string) (QuorumRule, *Problem) {
		return QuorumRule{}, &Problem{Index: -1, Kind: kind, Detail: detail}
	}
	rules, def := QuorumRules, DefaultQuorumRule
	switch in.electorate() {
	case ElectoratePerson, ElectorateHousehold:
	case ElectorateOwners:
		rules, def = OwnersQuorumRules, DefaultOwnersRule
		if in.Method != MethodYesNo {
			return bad("method", "an owners' vote is a yes/no question")
		}
	default:
		return bad("electorate", "electorate is person, household or owners, not "+strconv.Quote(string(in.Electorate)))
	}
	name := in.Rule
	if name == "" {
		name = def
	}
	i := slices.IndexFunc(rules, func(r QuorumRule) bool { return r.Name == name })
	if i < 0 {
		return bad("rule", "unknown rule "+strconv.Quote(name)+" for a vote of electorate "+string(in.electorate()))
	}
	return rules[i], nil
}

// AreaCount is an option with the floor area of the ballots that chose it.
type AreaCount struct {
	Option string `json:"option"`
	Area   int64  `json:"area_centi"`
}

// AreaResult is the area side of an owners' vote and both halves of the
// double majority, so the page can say which one failed.
type AreaResult struct {
	RollArea   int64       `json:"roll_area_centi"`
	BallotArea int64       `json:"ballot_area_centi"`
	AreaCounts []AreaCount `json:"area_counts"`
	QuorumHead bool        `json:"quorum_by_head"`
	QuorumArea bool        `json:"quorum_by_area"`
	PassHead   bool        `json:"pass_by_head"`
	PassArea   bool        `json:"pass_by_area"`
}

// Equal compares two area results (nil for votes that are not owners').
func (a *AreaResult) Equal(b *AreaResult) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.RollArea == b.RollArea && a.BallotArea == b.BallotArea && slices.Equal(a.AreaCounts, b.AreaCounts) &&
		a.QuorumHead == b.QuorumHead && a.QuorumArea == b.QuorumArea && a.PassHead == b.PassHead && a.PassArea == b.PassArea
}

// tallyOwners counts an owners' yes/no vote by head and by area: the quorum
// needs both, and so does the decision. Abstentions take part (参与表决).
func tallyOwners(v Vote, rollSize int, c BoxCount) Result {
	r := Result{RollSize: rollSize, Ballots: c.Ballots, Rule: v.Rule, Electorate: v.Electorate, AreaResult: &AreaResult{RollArea: v.RollArea}}
	r.BallotDigest, r.DigestScheme = c.published()
	heads, area := map[string]int{}, map[string]int64{}
	for _, o := range v.Options {
		it := c.line(o)
		heads[o], area[o] = it.N, it.Weight
	}
	for _, it := range c.Items { // an owners' ballot holds one choice: its lines sum to the area taking part
		r.BallotArea += it.Weight
	}
	for _, o := range v.Options {
		r.Counts = append(r.Counts, OptionCount{o, heads[o]})
		r.AreaCounts = append(r.AreaCounts, AreaCount{o, area[o]})
	}
	r.QuorumHead = v.Rule.Turnout.Met(c.Ballots, rollSize)
	r.QuorumArea = v.Rule.Turnout.Met(int(r.BallotArea), int(r.RollArea))
	r.QuorumMet = r.QuorumHead && r.QuorumArea
	r.PassHead = v.Rule.Pass.Met(heads[ChoiceYes], c.Ballots)
	r.PassArea = v.Rule.Pass.Met(int(area[ChoiceYes]), int(r.BallotArea))
	r.Passed = r.QuorumMet && r.PassHead && r.PassArea
	return r
}

// UniqueWeights counts the weights that only one entry has: in an owners'
// vote, the ballots that their area alone tells apart (see
// docs/cogovernance.md, "Owners' votes and secrecy").
func UniqueWeights(weights []int64) int {
	n := map[int64]int{}
	for _, w := range weights {
		n[w]++
	}
	u := 0
	for _, c := range n {
		if c == 1 {
			u++
		}
	}
	return u
}
