package civicgrid

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Polls for preferences: a score poll and a ranked poll. Both are votes
// (same roll, same secret ballot box, receipts, paper entry, close and
// recount); only the ballot's shape and the count differ.
//
// A score ballot holds one entry per option, in the order of the vote's
// options: "0" to "5", or "" for an option the voter left unscored.
// A ranked ballot holds options in the voter's order of preference (the
// first is the favourite); a voter ranks as many as they like, at least
// none (a blank ballot takes part and is exhausted at once).

const (
	// MethodScore: each voter gives each option 0 to 5 points (or leaves
	// it unscored); the result is every option's mean and count, highest
	// mean first. The highest mean wins; equal means are ordered by more
	// ballots scoring the option; still equal at the top is a tie, no winner.
	MethodScore VoteMethod = "score"
	// MethodRanked: voters order the options; one winner by instant-runoff
	// (see Runoff).
	MethodRanked VoteMethod = "ranked"
)

// The scores of a score ballot.
const (
	MinScore = 0
	MaxScore = 5
)

// IsPoll reports whether the method is a preference poll (score or ranked).
func (m VoteMethod) IsPoll() bool { return m == MethodScore || m == MethodRanked }

// OptionScore is an option's line in a score poll's result.
type OptionScore struct {
	Option string  `json:"option"`
	Count  int     `json:"count"` // ballots that scored it
	Sum    int     `json:"sum"`
	Mean   float64 `json:"mean"` // Sum/Count; 0 when nobody scored it
}

// RunoffRound is one round of an instant-runoff count: each continuing
// ballot counts for its highest-ranked option still in the race.
type RunoffRound struct {
	// Counts of the options still in the race, in the vote's option order.
	Counts []OptionCount `json:"counts"`
	// Continuing ballots rank an option still in the race; Exhausted ones
	// rank none (blank ballots, and ballots whose options are all out).
	Continuing int `json:"continuing"`
	Exhausted  int `json:"exhausted"`
	// Eliminated after this round (empty in the last round).
	Eliminated []string `json:"eliminated,omitempty"`
}

// checkPollInput checks what opens a poll: its options, no winners to
// set (a poll has one result), no proposal (a proposal is decided by a
// yes/no vote), and a rule whose decision share is a simple majority —
// the count itself decides a poll, so a qualified share would promise
// what it does not do; only the rule's quorum applies.
func checkPollInput(v *Vote, in VoteInput, bad func(kind, detail string)) {
	v.Options = checkVoteOptions(in.Options, "a poll", bad)
	if in.Winners != 0 {
		bad("winners", "a poll has no winners to set: it ranks the options")
	}
	if in.ProposalID != 0 {
		bad("proposal_id", "a proposal is decided by a yes/no vote; a poll asks a question of its own")
	}
	if v.Rule.Pass != (Share{1, 2, true}) {
		bad("rule", "a poll is counted by its own rule (the highest mean, or a majority in the runoff): choose residents_meeting or simple_majority for its quorum")
	}
}

// checkPollChoices validates a score or ranked ballot and returns it in
// canonical form.
func (v Vote) checkPollChoices(choices []string) ([]string, error) {
	switch v.Method {
	case MethodScore:
		if len(choices) != len(v.Options) {
			return nil, Errorf(EINVALID, "a score ballot gives one score (0 to 5, or empty) for each of the %d options, in their order", len(v.Options))
		}
		out := make([]string, len(choices))
		for i, c := range choices {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			n, err := strconv.Atoi(c)
			if err != nil || n < MinScore || n > MaxScore {
				return nil, Errorf(EINVALID, "the score of %q is %q: a score is a whole number from %d to %d", v.Options[i], c, MinScore, MaxScore)
			}
			out[i] = strconv.Itoa(n)
		}
		return out, nil
	case MethodRanked:
		out := []string{}
		for _, c := range choices {
			if !slices.Contains(v.Options, c) {
				return nil, Errorf(EINVALID, "%q is not an option of this vote (%s)", c, strings.Join(v.Options, ", "))
			}
			if slices.Contains(out, c) {
				return nil, Errorf(EINVALID, "%q is ranked twice: each option has at most one place", c)
			}
			out = append(out, c)
		}
		return out, nil
	}
	return nil, Errorf(EINVALID, "not a poll")
}

// tallyPoll fills a score or ranked poll's result: the means or the rounds
// always (they are what the voters said), the winner only when the quorum
// is met.
func tallyPoll(v Vote, r *Result, ballots []BallotGroup) {
	switch v.Method {
	case MethodScore:
		r.Counts, r.Scores = ScoreCount(v.Options, ballots)
		top := r.Scores
		if len(top) == 0 || top[0].Count == 0 {
			return
		}
		n := 1
		for n < len(top) && top[n].Count == top[0].Count && top[n].Sum*top[0].Count == top[0].Sum*top[n].Count {
			n++
		}
		if !r.QuorumMet {
			return
		}
		if n == 1 {
			r.Winners, r.Passed = []string{top[0].Option}, true
		} else {
			for _, s := range top[:n] {
				r.Tied = append(r.Tied, s.Option)
			}
		}
	case MethodRanked:
		rounds, winner, tied := Runoff(v.Options, ballots, r.BallotDigest)
		r.Rounds = rounds
		r.Counts = rounds[0].Counts // first preferences
		if !r.QuorumMet {
			return
		}
		if winner != "" {
			r.Winners, r.Passed = []string{winner}, true
		}
		r.Tied = tied
	}
}

// ScoreCount sums a score poll's ballots: the ballots scoring each option
// (in option order) and the options by mean, highest first; equal means by
// more ballots scoring them, then in option order. Means are compared as
// exact fractions.
func ScoreCount(options []string, ballots []BallotGroup) ([]OptionCount, []OptionScore) {
	scores := make([]OptionScore, len(options))
	for i, o := range options {
		scores[i].Option = o
	}
	for _, b := range ballots {
		for i, c := range b.Choices {
			if c == "" || i >= len(scores) {
				continue
			}
			n, _ := strconv.Atoi(c)
			scores[i].Count += b.N
			scores[i].Sum += n * b.N
		}
	}
	counts := make([]OptionCount, len(options))
	for i := range scores {
		counts[i] = OptionCount{scores[i].Option, scores[i].Count}
		if scores[i].Count > 0 {
			scores[i].Mean = float64(scores[i].Sum) / float64(scores[i].Count)
		}
	}
	slices.SortStableFunc(scores, func(a, b OptionScore) int {
		switch {
		case a.Count == 0 || b.Count == 0: // unscored options last
			return cmp.Compare(b.Count, a.Count)
		case a.Sum*b.Count != b.Sum*a.Count: // higher mean first
			return cmp.Compare(b.Sum*a.Count, a.Sum*b.Count)
		}
		return cmp.Compare(b.Count, a.Count)
	})
	return counts, scores
}

// Runoff counts ranked ballots by instant-runoff for one seat.
//
// Each round every ballot counts for its highest-ranked option still in the
// race; a ballot ranking none of them is exhausted. An option with more than
// half of the continuing ballots wins. Otherwise the option with the fewest
// votes is eliminated and the next round is counted. Ties for the fewest
// are broken by the earlier rounds, latest first: the option with fewer
// votes there goes. When every option left is tied in this round and in
// every earlier one, those options are tied and the poll elects nobody (as
// an approval vote's tied seat stays empty). When only some are tied all
// the way back, one of them is drawn by lot: the one whose SHA-256 of the
// ballots' digest (seed: the result's BallotDigest) and its name is smallest — fixed by the ballots, so every
// recount draws the same, and nobody can steer it without every receipt.
// Nothing depends on the order the options were listed in or the ballots
// were cast in.
func Runoff(options []string, ballots []BallotGroup, seed string) (rounds []RunoffRound, winner string, tied []string) {
	in := slices.Clone(options)
	var history [][]int // per round, the counts of every option (by index in options)
	index := map[string]int{}
	for i, o := range options {
		index[o] = i
	}
	for {
		counts := make([]int, len(options))
		out := make([]bool, len(options))
		for i, o := range options {
			out[i] = !slices.Contains(in, o)
		}
		round := RunoffRound{}
		for _, b := range ballots {
			counted := false
			for _, c := range b.Choices {
				if i, ok := index[c]; ok && !out[i] {
					counts[i] += b.N
					counted = true
					break
				}
			}
			if counted {
				round.Continuing += b.N
			} else {
				round.Exhausted += b.N
			}
		}
		for _, o := range in {
			round.Counts = append(round.Counts, OptionCount{o, counts[index[o]]})
		}
		history = append(history, counts)
		for _, c := range round.Counts {
			if round.Continuing > 0 && 2*c.Count > round.Continuing {
				return append(rounds, round), c.Option, nil
			}
		}
		if round.Continuing == 0 || len(in) == 0 {
			return append(rounds, round), "", nil
		}
		// The fewest, with ties broken backwards through the rounds.
		lowest := slices.Clone(in)
		for r := len(history) - 1; r >= 0 && len(lowest) > 1; r-- {
			min := -1
			for _, o := range lowest {
				if n := history[r][index[o]]; min < 0 || n < min {
					min = n
				}
			}
			lowest = slices.DeleteFunc(lowest, func(o string) bool { return history[r][index[o]] != min })
		}
		if len(lowest) == len(in) {
			return append(rounds, round), "", in // every option left is tied all the way back
		}
		if len(lowest) > 1 {
			lowest = []string{slices.MinFunc(lowest, func(a, b string) int { return strings.Compare(lot(seed, a), lot(seed, b)) })}
		}
		round.Eliminated = lowest
		rounds = append(rounds, round)
		in = slices.DeleteFunc(in, func(o string) bool { return slices.Contains(lowest, o) })
	}
}

// lot is an option's draw under a seed: the lowest goes.
func lot(seed, option string) string {
	h := sha256.Sum256([]byte("civicgrid-runoff-lot:" + seed + "\x1f" + option))
	return hex.EncodeToString(h[:])
}

// pollResultEqual compares the poll parts of two results as published.
func pollResultEqual(a, b Result) bool {
	x, _ := json.Marshal([]any{a.Scores, a.Rounds})
	y, _ := json.Marshal([]any{b.Scores, b.Rounds})
	return string(x) == string(y)
}
