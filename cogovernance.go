package civicgrid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Co-governance (共谋共建共管共评共享): residents propose matters in a scope
// (a building, a community or a street), neighbours support them (附议), at a
// support threshold or by staff decision a matter goes onto the agenda, and
// staff open a vote on it whose electorate is a roll frozen at opening. The
// ballot box is secret: the roll records that a person voted, the ballots
// carry no link to their voters. Results are published (公示) to the scope
// for a notice period. docs/cogovernance.md states the rules.

// ProposalStatus is where a proposal (议题) stands.
type ProposalStatus string

const (
	ProposalOpen     ProposalStatus = "open"     // collecting support (附议)
	ProposalAgenda   ProposalStatus = "agenda"   // on the agenda: by enough support or accepted by staff
	ProposalDeclined ProposalStatus = "declined" // declined by staff, with a visible reason
	ProposalVoting   ProposalStatus = "voting"   // a vote on it is open
	ProposalDecided  ProposalStatus = "decided"  // its vote closed; the result is published
	ProposalAdopted  ProposalStatus = "adopted"  // its vote passed, or a meeting adopted it
	ProposalRejected ProposalStatus = "rejected" // its vote did not pass, or a meeting did not adopt it
	// ProposalMerged: staff merged it into another proposal (MergedInto),
	// with a reason; its supporters and author support that one.
	ProposalMerged ProposalStatus = "merged"
)

// Adopted says whether the proposal was decided for: its vote passed or a
// meeting adopted it ("decided" is what a closed vote set before votes and
// minutes told adopted from rejected; a project may start from either).
func (s ProposalStatus) Adopted() bool { return s == ProposalAdopted || s == ProposalDecided }

// Limits of what a person writes.
const (
	MaxProposalTitle  = 100  // characters
	MaxProposalBody   = 2000 // characters
	MaxDeclineReason  = 500
	MaxVoteOptions    = 20
	MaxVoteOptionText = 100
)

// Proposal is a matter raised in a scope.
type Proposal struct {
	ID       int64  `json:"id"`
	AreaCode string `json:"area_code"` // the scope: a building, community or street (a courtyard's community)
	CourtyardScope
	Title    string         `json:"title"`
	Body     string         `json:"body"`
	Status   ProposalStatus `json:"status"`
	AuthorID int64          `json:"-"`
	Author   string         `json:"author"` // masked label
	// SupportNeeded is the support threshold fixed when it was proposed.
	SupportNeeded int       `json:"support_needed"`
	Supports      int       `json:"supports"`
	Reason        string    `json:"reason,omitempty"` // why staff declined (or merged) it, shown to everyone
	MergedInto    int64     `json:"merged_into,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Object is the proposal as the object of an access decision.
func (p Proposal) Object() Object { return p.object(p.AreaCode) }

// CheckProposal validates what a person writes into a proposal.
func CheckProposal(area, title, body string) error {
	var ps []Problem
	switch LevelOfCode(area) {
	case LevelBuilding, LevelCommunity, LevelStreet:
	default:
		ps = append(ps, Problem{Index: -1, Code: area, Kind: "scope", Detail: "a proposal's scope is a building, a community or a street"})
	}
	title, body = strings.TrimSpace(title), strings.TrimSpace(body)
	if title == "" || utf8.RuneCountInString(title) > MaxProposalTitle {
		ps = append(ps, Problem{Index: -1, Kind: "title", Detail: "a title of 1 to " + strconv.Itoa(MaxProposalTitle) + " characters"})
	}
	if utf8.RuneCountInString(body) > MaxProposalBody {
		ps = append(ps, Problem{Index: -1, Kind: "body", Detail: "at most " + strconv.Itoa(MaxProposalBody) + " characters"})
	}
	if len(ps) > 0 {
		return &Error{Code: EINVALID, Message: "the proposal is not valid", Problems: ps}
	}
	return nil
}

// VoteMethod is how a vote counts.
type VoteMethod string

const (
	// MethodYesNo asks one question: yes, no or abstain. It passes when the
	// yes votes meet the rule's share of all ballots (abstentions are
	// ballots of people who took part).
	MethodYesNo VoteMethod = "yes_no"
	// MethodApproval lists options (candidates) and elects up to Winners:
	// each ballot approves any number of them; an option wins when its
	// approvals meet the rule's share of all ballots and it is among the
	// Winners most approved.
	MethodApproval VoteMethod = "approval"
)

// Choices of a yes/no vote.
const (
	ChoiceYes     = "yes"
	ChoiceNo      = "no"
	ChoiceAbstain = "abstain"
)

// Share is a fraction of a whole that a count must reach: more than
// Num/Den when Strict ("more than half"), at least Num/Den otherwise
// ("two thirds").
type Share struct {
	Num    int  `json:"num"`
	Den    int  `json:"den"`
	Strict bool `json:"strict"`
}

// Met reports whether part of whole meets the share, in integers.
func (s Share) Met(part, whole int) bool {
	if whole <= 0 {
		return false
	}
	if s.Strict {
		return part*s.Den > s.Num*whole
	}
	return part*s.Den >= s.Num*whole
}

func (s Share) String() string {
	if s.Strict {
		return "more than " + strconv.Itoa(s.Num) + "/" + strconv.Itoa(s.Den)
	}
	return "at least " + strconv.Itoa(s.Num) + "/" + strconv.Itoa(s.Den)
}

// QuorumRule is the rule a vote is decided by, as data: Turnout is the share
// of the roll that must take part (the quorum), Pass the share of those
// taking part that a decision (or a winner) needs.
type QuorumRule struct {
	Name    string `json:"name"`
	Turnout Share  `json:"turnout"`
	Pass    Share  `json:"pass"`
}

// The rules a vote may name. The residents' meeting rule is the default:
// more than half of the roll takes part and a decision needs more than half
// of those taking part (城市居民委员会组织法 art. 9).
var QuorumRules = []QuorumRule{
	{"residents_meeting", Share{1, 2, true}, Share{1, 2, true}},
	{"two_thirds", Share{1, 2, true}, Share{2, 3, false}},
	{"three_quarters", Share{1, 2, true}, Share{3, 4, false}},
	{"simple_majority", Share{0, 1, false}, Share{1, 2, true}},
}

// DefaultQuorumRule is the residents' meeting rule.
const DefaultQuorumRule = "residents_meeting"

// LookupQuorumRule returns a rule by name.
func LookupQuorumRule(name string) (QuorumRule, bool) {
	i := slices.IndexFunc(QuorumRules, func(r QuorumRule) bool { return r.Name == name })
	if i < 0 {
		return QuorumRule{}, false
	}
	return QuorumRules[i], true
}

// DefaultRollRoles are the roles that put a person on a vote's roll when
// they hold one over an area in the vote's scope: the people who live there.
var DefaultRollRoles = []string{RoleResident, RoleBuilding}

// VoteStatus is open (ballots accepted) or closed (result published).
type VoteStatus string

const (
	VoteOpen   VoteStatus = "open"
	VoteClosed VoteStatus = "closed"
)

// Vote (表决) is a question or a list of options put to a roll.
type Vote struct {
	ID         int64      `json:"id"`
	ProposalID int64      `json:"proposal_id,omitempty"`
	AreaCode   string     `json:"area_code"`
	Question   string     `json:"question"`
	Method     VoteMethod `json:"method"`
	Options    []string   `json:"options"` // yes, no, abstain for MethodYesNo
	Winners    int        `json:"winners,omitempty"`
	Rule       QuorumRule `json:"rule"`
	Status     VoteStatus `json:"status"`
	// RollSize is the number of people on the roll frozen at opening;
	// Ballots the number of ballots cast.
	RollSize    int       `json:"roll_size"`
	Ballots     int       `json:"ballots"`
	OpenedAt    time.Time `json:"opened_at"`
	ClosesAt    time.Time `json:"closes_at"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	NoticeUntil time.Time `json:"notice_until,omitzero"` // end of the public notice (公示) of the result
	// NoticeDays is the public notice period in working days (5–10).
	NoticeDays int     `json:"notice_days"`
	CreatedBy  int64   `json:"-"`
	Result     *Result `json:"result,omitempty"`
	// Electorate: one vote per person, per household, or owners by head
	// and floor area (electorate.go); RollArea the owners' area on the
	// roll in hundredths of a m².
	Electorate Electorate `json:"electorate"`
	RollArea   int64      `json:"roll_area,omitempty"`
	// A vote of a courtyard (courtyard.go): its roll is frozen over the
	// courtyard's buildings.
	CourtyardScope
}

// Object is the vote as the object of an access decision.
func (v Vote) Object() Object { return v.object(v.AreaCode) }

// Accepting reports whether the vote takes ballots at now.
func (v Vote) Accepting(now time.Time) bool { return v.Status == VoteOpen && now.Before(v.ClosesAt) }

// CheckChoices validates a ballot's choices against the vote and returns
// them in a canonical order (the order of Options).
func (v Vote) CheckChoices(choices []string) ([]string, error) {
	if v.Method.IsPoll() {
		return v.checkPollChoices(choices)
	}
	var out []string
	for _, o := range v.Options {
		if slices.Contains(choices, o) {
			out = append(out, o)
		}
	}
	for _, c := range choices {
		if !slices.Contains(v.Options, c) {
			return nil, Errorf(EINVALID, "%q is not an option of this vote (%s)", c, strings.Join(v.Options, ", "))
		}
	}
	if len(out) != len(choices) {
		return nil, Errorf(EINVALID, "an option is chosen twice")
	}
	if v.Method == MethodYesNo && len(out) != 1 {
		return nil, Errorf(EINVALID, "choose exactly one of yes, no or abstain")
	}
	if out == nil {
		out = []string{} // an approval ballot approving nobody is a blank ballot: it takes part
	}
	return out, nil
}

// VoteInput is what staff give to open a vote.
type VoteInput struct {
	ProposalID int64      `json:"proposal_id"`
	AreaCode   string     `json:"area_code"`
	Question   string     `json:"question"`
	Method     VoteMethod `json:"method"`
	Options    []string   `json:"options"`
	Winners    int        `json:"winners"`
	Rule       string     `json:"rule"`
	// Hours the vote stays open (1 hour to 30 days).
	Hours int `json:"hours"`
	// NoticeDays is how many working days the result stays on public
	// notice (5–10; 0 means the default, 5).
	NoticeDays int `json:"notice_days"`
	// Electorate is person (the default), household or owners.
	Electorate Electorate `json:"electorate"`
	// CourtyardID puts the vote to a courtyard (院落) of AreaCode's
	// community instead (AreaCode may then be left empty).
	CourtyardID int64 `json:"courtyard_id"`
}

// Public notice periods in working days: local rules set 5, 7 or 10.
const (
	DefaultNoticeDays = 5
	MinNoticeDays     = 5
	MaxNoticeDays     = 10
)

// Check validates the input and returns the vote it opens (without id and
// roll), its options filled in for yes/no votes.
func (in VoteInput) Check(now time.Time) (Vote, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	switch LevelOfCode(in.AreaCode) {
	case LevelBuilding, LevelCommunity, LevelStreet:
	default:
		bad("scope", "a vote's scope is a building, a community or a street")
	}
	q := strings.TrimSpace(in.Question)
	if q == "" || utf8.RuneCountInString(q) > MaxProposalTitle*2 {
		bad("question", "a question of 1 to 200 characters")
	}
	rule, problem := in.electorateRule()
	if problem != nil {
		ps = append(ps, *problem)
	}
	if in.Hours < 1 || in.Hours > 30*24 {
		bad("hours", "a vote stays open 1 to 720 hours")
	}
	if in.NoticeDays == 0 {
		in.NoticeDays = DefaultNoticeDays
	}
	if in.NoticeDays < MinNoticeDays || in.NoticeDays > MaxNoticeDays {
		bad("notice_days", "the result is on public notice 5 to 10 working days")
	}
	v := Vote{ProposalID: in.ProposalID, AreaCode: in.AreaCode, Question: q, Method: in.Method, Rule: rule, Status: VoteOpen, NoticeDays: in.NoticeDays,
		Electorate: in.electorate(),
		OpenedAt:   time.UnixMilli(now.UnixMilli()), ClosesAt: time.UnixMilli(now.Add(time.Duration(in.Hours) * time.Hour).UnixMilli())}
	switch in.Method {
	case MethodYesNo:
		if len(in.Options) > 0 || in.Winners != 0 {
			bad("options", "a yes/no vote has no options of its own nor winners")
		}
		v.Options = []string{ChoiceYes, ChoiceNo, ChoiceAbstain}
	case MethodApproval:
		v.Options = checkVoteOptions(in.Options, "an approval vote", bad)
		if in.Winners < 1 || in.Winners >= len(in.Options) {
			bad("winners", "an approval vote elects at least one and fewer than its options")
		}
		v.Winners = in.Winners
	case MethodScore, MethodRanked:
		checkPollInput(&v, in, bad)
	default:
		bad("method", "method is yes_no, approval, score or ranked")
	}
	if len(ps) > 0 {
		return Vote{}, &Error{Code: EINVALID, Message: "the vote is not valid", Problems: ps}
	}
	return v, nil
}

// checkVoteOptions trims a vote's options and checks their number, length
// and that none is listed twice.
func checkVoteOptions(options []string, what string, bad func(kind, detail string)) []string {
	var out []string
	for _, o := range options {
		o = strings.TrimSpace(o)
		switch {
		case o == "" || utf8.RuneCountInString(o) > MaxVoteOptionText:
			bad("options", "each option has 1 to "+strconv.Itoa(MaxVoteOptionText)+" characters")
		case slices.Contains(out, o):
			bad("options", "option "+strconv.Quote(o)+" is listed twice")
		default:
			out = append(out, o)
		}
	}
	if len(options) < 2 || len(options) > MaxVoteOptions {
		bad("options", what+" lists 2 to "+strconv.Itoa(MaxVoteOptions)+" options")
	}
	return out
}

// Ballot is one secret ballot: its choices and the hash of the receipt
// code its voter was given. Nothing in it names, numbers or dates the voter
// or the moment it was cast.
type Ballot struct {
	ReceiptHash string   `json:"receipt_hash"`
	Choices     []string `json:"choices"`
	// Weight is an owner's floor area in hundredths of a m² in an owners'
	// vote, 0 in other votes (electorate.go says what it reveals).
	Weight int64 `json:"weight,omitempty"`
}

// NewReceipt makes a receipt code for a voter and the hash the ballot box
// keeps: 20 random characters in groups of four (100 bits).
func NewReceipt() (code, hash string) {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:20]
	code = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20]
	return code, ReceiptHash(code)
}

// ReceiptHash is the ballot box's form of a receipt code, however the voter
// typed it (case, spaces and dashes do not matter).
func ReceiptHash(code string) string {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("civicgrid-receipt:" + c))
	return hex.EncodeToString(sum[:])
}

// OptionCount is an option with the ballots that chose it.
type OptionCount struct {
	Option string `json:"option"`
	Count  int    `json:"count"`
}

// Result is a closed vote's outcome, computed from its ballots by Tally.
type Result struct {
	RollSize  int           `json:"roll_size"`
	Ballots   int           `json:"ballots"`
	QuorumMet bool          `json:"quorum_met"`
	Rule      QuorumRule    `json:"rule"`
	Counts    []OptionCount `json:"counts"`
	// Passed: a yes/no vote's decision was taken (quorum met and yes
	// meets the pass share of the ballots).
	Passed bool `json:"passed"`
	// Winners of an approval vote, most approved first; Tied are options
	// tied for the last seat, which the vote did not fill.
	Winners []string `json:"winners,omitempty"`
	Tied    []string `json:"tied,omitempty"`
	// Scores of a score poll, highest mean first; Rounds of a ranked poll's
	// instant-runoff count (poll.go).
	Scores []OptionScore `json:"scores,omitempty"`
	Rounds []RunoffRound `json:"rounds,omitempty"`
	// BallotDigest is SHA-256 over the sorted ballots: the published ballots
	// must hash to it.
	BallotDigest string `json:"ballot_digest"`
	// DigestScheme says how BallotDigest was made: DigestMuHash (a
	// multiset hash kept as ballots were cast, box.go), or empty for
	// results published before, whose digest is BallotDigest's chain.
	DigestScheme string `json:"digest_scheme,omitempty"`
	// Electorate the vote was put to; for owners' votes the area counts
	// beside the head counts (electorate.go).
	Electorate Electorate `json:"electorate,omitempty"`
	*AreaResult
}

// Tally counts a vote's ballots under its rule: it makes their kept tally
// (CountBox) and counts that (TallyBox), as the close of a vote does from
// the tally kept while ballots were cast.
func Tally(v Vote, rollSize int, ballots []Ballot) Result {
	return TallyBox(v, rollSize, CountBox(v, ballots))
}

// TallyBox counts a vote's kept tally under its rule. It is the one count:
// the close of a vote and every recount use it.
func TallyBox(v Vote, rollSize int, c BoxCount) Result {
	if v.Electorate == ElectorateOwners {
		return tallyOwners(v, rollSize, c)
	}
	r := Result{RollSize: rollSize, Ballots: c.Ballots, Rule: v.Rule, Electorate: v.Electorate}
	r.BallotDigest, r.DigestScheme = c.published()
	r.QuorumMet = v.Rule.Turnout.Met(c.Ballots, rollSize)
	if v.Method.IsPoll() {
		tallyPoll(v, &r, c.ballotGroups())
		return r
	}
	counts := map[string]int{}
	for _, o := range v.Options {
		counts[o] = c.line(o).N
		r.Counts = append(r.Counts, OptionCount{o, counts[o]})
	}
	if !r.QuorumMet {
		return r
	}
	switch v.Method {
	case MethodYesNo:
		r.Passed = v.Rule.Pass.Met(counts[ChoiceYes], c.Ballots)
	case MethodApproval:
		var eligible []OptionCount
		for _, oc := range r.Counts {
			if v.Rule.Pass.Met(oc.Count, c.Ballots) {
				eligible = append(eligible, oc)
			}
		}
		sort.SliceStable(eligible, func(i, j int) bool { return eligible[i].Count > eligible[j].Count })
		if len(eligible) <= v.Winners {
			for _, oc := range eligible {
				r.Winners = append(r.Winners, oc.Option)
			}
			break
		}
		last := eligible[v.Winners-1].Count
		for _, oc := range eligible {
			switch {
			case oc.Count > last:
				r.Winners = append(r.Winners, oc.Option)
			case oc.Count == last:
				r.Tied = append(r.Tied, oc.Option)
			}
		}
		if len(r.Winners)+len(r.Tied) == v.Winners { // no tie across the last seat
			r.Winners, r.Tied = append(r.Winners, r.Tied...), nil
		}
	}
	return r
}

// Recount counts a closed vote's ballots again and reports whether they
// give its published result: the same counts, outcome and digest. A ballot
// changed, added or removed after the close shows here, and so does a
// result counted from a kept tally that was changed behind the box's back.
// Results published before kept tallies are checked against their chain
// digest (BallotDigest).
func Recount(v Vote, ballots []Ballot) error {
	if v.Status != VoteClosed || v.Result == nil {
		return Errorf(ECONFLICT, "vote %d is not closed: nothing is published to recount", v.ID)
	}
	p := *v.Result
	c := CountBox(v, ballots)
	if p.DigestScheme == "" {
		c.legacy = BallotDigest(ballots)
	}
	r := TallyBox(v, v.RollSize, c)
	if r.BallotDigest != p.BallotDigest || r.DigestScheme != p.DigestScheme || r.Ballots != p.Ballots || !slices.Equal(r.Counts, p.Counts) ||
		r.Passed != p.Passed || r.QuorumMet != p.QuorumMet || !slices.Equal(r.Winners, p.Winners) || !slices.Equal(r.Tied, p.Tied) ||
		!r.AreaResult.Equal(p.AreaResult) || !pollResultEqual(r, p) {
		return Errorf(ECONFLICT, "vote %d: a recount of its %d ballots does not give its published result (%d ballots); the ballot box or the kept tally was changed",
			v.ID, len(ballots), p.Ballots)
	}
	return nil
}

// BallotDigest hashes ballots in receipt order, so that the same set of
// ballots always gives the same digest: the digest of results published
// before kept tallies (their DigestScheme is empty).
func BallotDigest(ballots []Ballot) string {
	byReceipt := func(a, b Ballot) int { return strings.Compare(a.ReceiptHash, b.ReceiptHash) }
	bs := ballots
	if !slices.IsSortedFunc(bs, byReceipt) { // the store hands them over sorted
		bs = slices.Clone(ballots)
		slices.SortFunc(bs, byReceipt)
	}
	h := newLinkHasher(GenesisHash)
	for _, b := range bs {
		h.add(b.ReceiptHash)
		h.add(strings.Join(b.Choices, "\x1f"))
		if b.Weight != 0 { // owners' ballots hash their weight; others hash as before
			h.add("w" + strconv.FormatInt(b.Weight, 10))
		}
	}
	return h.sum()
}

// CogovEvent is one entry of a proposal's or a vote's hash-chained history.
// Subject names the chain: "proposal:12", "vote:3". Ballots have no events:
// an event per ballot would date it.
type CogovEvent struct {
	ID      int64             `json:"id"`
	Subject string            `json:"subject"`
	Seq     int               `json:"seq"`
	At      time.Time         `json:"at"`
	ActorID int64             `json:"-"`
	Actor   string            `json:"actor"` // masked label
	Action  string            `json:"action"`
	Note    string            `json:"note,omitempty"`
	Data    map[string]string `json:"data,omitempty"`
	// PrevHash and Hash chain the subject's events (LinkHash).
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Co-governance event actions.
const (
	CogovProposed    = "proposal.created"
	CogovSupported   = "proposal.supported"
	CogovOnAgenda    = "proposal.agenda"       // by support reaching the threshold, or staff accepting it
	CogovDeclined    = "proposal.declined"     // by staff, with a reason
	CogovMerged      = "proposal.merged"       // by staff into another, with a reason (on the merged one's chain)
	CogovMergedIn    = "proposal.merged_in"    // another was merged into it (on its chain): supports carried over
	CogovUnmerged    = "proposal.unmerged"     // staff undid its merge, with a reason (on the merged one's chain)
	CogovUnmergedOut = "proposal.unmerged_out" // a merge into it was undone (on its chain): the carried supports went back
	CogovVoteOpened  = "vote.opened"
	CogovVoteClosed  = "vote.closed"
)

// EventRollFrozen is the security log's entry of a vote's roll frozen at
// opening (the roll never changes after).
const EventRollFrozen = "vote.roll_frozen"

// ProposalSubject and VoteSubject name the chains.
func ProposalSubject(id int64) string { return "proposal:" + strconv.FormatInt(id, 10) }
func VoteSubject(id int64) string     { return "vote:" + strconv.FormatInt(id, 10) }

// ChainHash computes the event's hash over PrevHash and every field but ID
// and Hash.
func (e CogovEvent) ChainHash() string {
	return LinkHash(e.PrevHash, e.Subject, strconv.Itoa(e.Seq), strconv.FormatInt(e.At.UnixMilli(), 10),
		strconv.FormatInt(e.ActorID, 10), e.Actor, e.Action, e.Note, HashedData(e.Data))
}

// VerifyCogovChain checks one subject's events in order.
func VerifyCogovChain(events []CogovEvent) error {
	i, broken := CheckEvents(events, func(e CogovEvent) Link { return Link{e.Seq, e.PrevHash, e.Hash, e.ChainHash()} })
	if broken == ChainIntact {
		return nil
	}
	e := events[i]
	return Errorf(ECONFLICT, "%s: event %d (%s) %s", e.Subject, i+1, e.Action, broken.Describe())
}

// CogovStore keeps proposals, votes, rolls and ballots. Every change is
// written with its event, chained to its subject's history, in one
// transaction.
type CogovStore interface {
	MeetingStore
	ElectionStore
	ProjectStore
	HouseholdStore
	CourtyardStore
	// RollMarks reads a person's entries on the rolls of several votes in
	// one query (the votes they are not on are absent).
	RollMarks(ctx context.Context, userID int64, voteIDs []int64) (map[int64]RollMark, error)
	// HouseholdVoted reports whether the person's household on a household
	// vote's roll has cast its ballot (by any member).
	HouseholdVoted(ctx context.Context, voteID, userID int64) (bool, error)
	CreateProposal(ctx context.Context, p Proposal, ev CogovEvent) (Proposal, error)
	ProposalByID(ctx context.Context, id int64) (Proposal, error)
	// Proposals lists the proposals whose scope lies in one of the subtrees
	// or is one of the areas in exact, newest first.
	Proposals(ctx context.Context, within, exact []string, limit int) ([]Proposal, error)
	// AddSupport records userID's support once (ECONFLICT the second
	// time) and moves the proposal onto the agenda when its supports reach
	// its threshold, with the events of both.
	AddSupport(ctx context.Context, id, userID int64, ev CogovEvent) (Proposal, error)
	HasSupported(ctx context.Context, id, userID int64) (bool, error)
	// SetProposalStatus moves a proposal from one status to another with
	// its event (ECONFLICT when it is no longer in from).
	SetProposalStatus(ctx context.Context, id int64, from, to ProposalStatus, reason string, ev CogovEvent) (Proposal, error)
	// MergeProposal merges proposal id into into (both open or on the
	// agenda, ECONFLICT otherwise): the supporters and author of id
	// support into unless they do already or wrote it, into goes onto the
	// agenda when that reaches its threshold, id becomes merged; events on
	// both chains, one transaction.
	MergeProposal(ctx context.Context, id, into int64, reason string, ev CogovEvent) (Proposal, error)
	// UnmergeProposal undoes a merge: the supports it carried (and only
	// those) leave the other proposal, the merged one goes back to status
	// was; ECONFLICT when it is not merged, the other is no longer open or
	// on the agenda, or the merge carried supports it did not record.
	UnmergeProposal(ctx context.Context, id int64, reason string, was ProposalStatus, carried int, ev CogovEvent) (Proposal, error)

	// OpenVote freezes the roll — every person holding one of rollRoles over
	// an area in the vote's scope — and opens the vote (EINVALID for an
	// empty roll, nothing written). A vote on a proposal moves it from
	// agenda to voting.
	OpenVote(ctx context.Context, v Vote, rollRoles []string, ev CogovEvent) (Vote, error)
	VoteByID(ctx context.Context, id int64) (Vote, error)
	Votes(ctx context.Context, within, exact []string, limit int) ([]Vote, error)
	// RollEntry reports whether the person is on the roll and has voted.
	RollEntry(ctx context.Context, voteID, userID int64) (onRoll, voted bool, err error)
	// CastBallot marks the voter on the roll as having voted and puts the
	// ballot in the box, in one transaction: ECONFLICT when they voted
	// already (whatever the concurrency) or the vote no longer accepts
	// ballots at now, EFORBIDDEN when they are not on the roll.
	CastBallot(ctx context.Context, voteID, userID int64, b Ballot, now time.Time) error
	// BallotByReceipt returns the ballot with this receipt hash.
	BallotByReceipt(ctx context.Context, voteID int64, receiptHash string) (Ballot, error)
	// Ballots returns a vote's ballots in receipt-hash order.
	Ballots(ctx context.Context, voteID int64) ([]Ballot, error)
	// CloseVote closes an open vote, counts its ballots (Tally) in the same
	// transaction, stores the result with the notice period and the event
	// (whose data carries the result), and moves its proposal to decided.
	CloseVote(ctx context.Context, id int64, at, noticeUntil time.Time, ev CogovEvent) (Vote, error)
	// CogovEvents returns a subject's history in order.
	CogovEvents(ctx context.Context, subject string) ([]CogovEvent, error)
	// CogovEventsAfter returns up to limit events after the cursor (an
	// event id) in id order: the log the notifications walk.
	CogovEventsAfter(ctx context.Context, cursor int64, limit int) ([]CogovEvent, error)
	// Roll lists the ids of the people on a vote's roll.
	Roll(ctx context.Context, voteID int64) ([]int64, error)
	// ForEachCogovChain calls fn with each subject's history, for verify.
	ForEachCogovChain(ctx context.Context, fn func(subject string, events []CogovEvent) error) error
}

// Meetings (议事会): staff of a scope schedule a meeting with an agenda of
// proposals on the agenda of that scope and the roles they invite; the
// roll of invited people is frozen when it is scheduled. People sign in at
// the door (staff tick them on the roll, or they enter the meeting code
// shown at the door); staff record the minutes with a decision on each
// item and publish them to the scope, with the quorum of the residents'
// meeting rule (attendance against the roll).

// MeetingStatus is scheduled (sign-in open) or published (minutes out).
type MeetingStatus string

const (
	MeetingScheduled MeetingStatus = "scheduled"
	MeetingPublished MeetingStatus = "published"
)

// Decisions a meeting takes on an agenda item.
const (
	ItemAdopted    = "adopted"
	ItemNotAdopted = "not_adopted"
	ItemDeferred   = "deferred"
)

// Limits of a meeting.
const (
	MaxMeetingPlace   = 100
	MaxMeetingAgenda  = 20
	MaxMeetingMinutes = 5000
	MaxItemNote       = 500
)

// AgendaItem is a proposal on a meeting's agenda and, once the minutes are
// out, the decision taken on it.
type AgendaItem struct {
	ProposalID int64  `json:"proposal_id"`
	Title      string `json:"title"`
	Decision   string `json:"decision,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Meeting (议事会) of a scope.
type Meeting struct {
	ID           int64         `json:"id"`
	AreaCode     string        `json:"area_code"`
	Title        string        `json:"title"`
	Place        string        `json:"place"`
	StartsAt     time.Time     `json:"starts_at"`
	Status       MeetingStatus `json:"status"`
	InvitedRoles []string      `json:"invited_roles"`
	Agenda       []AgendaItem  `json:"agenda"`
	// Invited is the size of the roll frozen when it was scheduled,
	// Attended how many of them signed in.
	Invited  int `json:"invited"`
	Attended int `json:"attended"`
	// Code is the short code shown at the door; only staff see it.
	Code        string    `json:"code,omitempty"`
	Minutes     string    `json:"minutes,omitempty"`
	QuorumMet   bool      `json:"quorum_met"` // set when published, under Rule
	Rule        string    `json:"rule"`
	CreatedBy   int64     `json:"-"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	// Photos published with the minutes (photo refs).
	Photos []string `json:"photos,omitempty"`
	// Documents are PDF files attached by staff (meeting.go), served only
	// to those who may read the meeting.
	Documents []NoticeDocument `json:"documents,omitempty"`
	// CancelReason says why a cancelled meeting was called off.
	CancelReason string `json:"cancel_reason,omitempty"`
	// Named are the people invited by name beside the roles (user ids,
	// found by phone when scheduled); they join the roll.
	Named []int64 `json:"-"`
	CourtyardScope
}

// Object is the meeting as the object of an access decision.
func (m Meeting) Object() Object { return m.object(m.AreaCode) }

// MeetingInput is what staff give to schedule a meeting.
type MeetingInput struct {
	AreaCode     string    `json:"area_code"`
	Title        string    `json:"title"`
	Place        string    `json:"place"`
	StartsAt     time.Time `json:"starts_at"`
	Agenda       []int64   `json:"agenda"` // proposal ids, in order
	InvitedRoles []string  `json:"invited_roles"`
	// CourtyardID holds the meeting in a courtyard (院落).
	CourtyardID int64 `json:"courtyard_id"`
	// InvitedPhones invites people by name (their phone) beside the
	// roles, up to MaxMeetingInvitees: a property manager, a landlord, an
	// official of another area. They join the roll, read the meeting and
	// sign in.
	InvitedPhones []string `json:"invited_phones"`
}

// Check validates the input and returns the meeting it schedules (without
// id, code, roll and agenda titles).
func (in MeetingInput) Check(now time.Time) (Meeting, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	switch LevelOfCode(in.AreaCode) {
	case LevelBuilding, LevelCommunity, LevelStreet:
	default:
		bad("scope", "a meeting's scope is a building, a community or a street")
	}
	title, place := strings.TrimSpace(in.Title), strings.TrimSpace(in.Place)
	if title == "" || utf8.RuneCountInString(title) > MaxProposalTitle {
		bad("title", "a title of 1 to "+strconv.Itoa(MaxProposalTitle)+" characters")
	}
	if place == "" || utf8.RuneCountInString(place) > MaxMeetingPlace {
		bad("place", "a place of 1 to "+strconv.Itoa(MaxMeetingPlace)+" characters")
	}
	if in.StartsAt.IsZero() || in.StartsAt.Before(now.Add(-24*time.Hour)) || in.StartsAt.After(now.AddDate(1, 0, 0)) {
		bad("starts_at", "a meeting starts within a year (and at most a day ago)")
	}
	if len(in.Agenda) < 1 || len(in.Agenda) > MaxMeetingAgenda {
		bad("agenda", "an agenda of 1 to "+strconv.Itoa(MaxMeetingAgenda)+" proposals")
	}
	if len(in.InvitedPhones) > MaxMeetingInvitees {
		bad("invited_phones", "at most "+strconv.Itoa(MaxMeetingInvitees)+" people invited by name")
	}
	m := Meeting{AreaCode: in.AreaCode, Title: title, Place: place, StartsAt: time.UnixMilli(in.StartsAt.UnixMilli()), Status: MeetingScheduled,
		Rule: DefaultQuorumRule}
	for _, id := range in.Agenda {
		if slices.ContainsFunc(m.Agenda, func(a AgendaItem) bool { return a.ProposalID == id }) {
			bad("agenda", "proposal "+strconv.FormatInt(id, 10)+" is listed twice")
		}
		m.Agenda = append(m.Agenda, AgendaItem{ProposalID: id})
	}
	roles := in.InvitedRoles
	if len(roles) == 0 {
		roles = DefaultRollRoles
	}
	for _, r := range roles {
		if !slices.Contains(cogovParticipants, r) {
			bad("invited_roles", "unknown or uninvitable role "+strconv.Quote(r))
		} else if !slices.Contains(m.InvitedRoles, r) {
			m.InvitedRoles = append(m.InvitedRoles, r)
		}
	}
	if len(ps) > 0 {
		return Meeting{}, &Error{Code: EINVALID, Message: "the meeting is not valid", Problems: ps}
	}
	return m, nil
}

// CheckMinutes validates minutes against the meeting: a decision on every
// agenda item and on nothing else. It returns the agenda with the
// decisions, in agenda order.
func (m Meeting) CheckMinutes(minutes string, items []AgendaItem) ([]AgendaItem, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	if utf8.RuneCountInString(strings.TrimSpace(minutes)) > MaxMeetingMinutes {
		bad("minutes", "at most "+strconv.Itoa(MaxMeetingMinutes)+" characters")
	}
	out := slices.Clone(m.Agenda)
	seen := map[int64]bool{}
	for _, it := range items {
		i := slices.IndexFunc(out, func(a AgendaItem) bool { return a.ProposalID == it.ProposalID })
		switch {
		case i < 0:
			bad("items", "proposal "+strconv.FormatInt(it.ProposalID, 10)+" is not on this meeting's agenda")
			continue
		case seen[it.ProposalID]:
			bad("items", "proposal "+strconv.FormatInt(it.ProposalID, 10)+" has two decisions")
			continue
		}
		seen[it.ProposalID] = true
		switch it.Decision {
		case ItemAdopted, ItemNotAdopted, ItemDeferred:
		default:
			bad("items", "a decision is adopted, not_adopted or deferred, not "+strconv.Quote(it.Decision))
		}
		if utf8.RuneCountInString(it.Note) > MaxItemNote {
			bad("items", "a note has at most "+strconv.Itoa(MaxItemNote)+" characters")
		}
		out[i].Decision, out[i].Note = it.Decision, strings.TrimSpace(it.Note)
	}
	for _, a := range out {
		if !seen[a.ProposalID] {
			bad("items", "no decision on proposal "+strconv.FormatInt(a.ProposalID, 10))
		}
	}
	if len(ps) > 0 {
		return nil, &Error{Code: EINVALID, Message: "the minutes are not valid", Problems: ps}
	}
	return out, nil
}

// MeetingQuorumMet applies the meeting's rule to attendance against the
// roll (the residents' meeting: more than half of those invited present).
func MeetingQuorumMet(rule string, attended, invited int) bool {
	r, ok := LookupQuorumRule(rule)
	return ok && r.Turnout.Met(attended, invited)
}

// NewMeetingCode is a six-digit code shown at the door.
func NewMeetingCode() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 1000000
	return strconv.Itoa(1000000 + int(n))[1:]
}

// Attendee is one person on a meeting's roll, as staff see it at the door.
type Attendee struct {
	UserID   int64  `json:"user_id"`
	Name     string `json:"name"` // masked
	Attended bool   `json:"attended"`
}

// ProposalMeeting is a meeting that took a proposal up, with its decision
// once the minutes are published.
type ProposalMeeting struct {
	MeetingID int64         `json:"meeting_id"`
	Title     string        `json:"title"`
	StartsAt  time.Time     `json:"starts_at"`
	Status    MeetingStatus `json:"status"`
	Decision  string        `json:"decision,omitempty"`
	Note      string        `json:"note,omitempty"`
}

// Meeting event actions.
const (
	CogovMeetingScheduled = "meeting.scheduled"
	CogovSignedIn         = "meeting.signed_in"
	CogovMinutesPublished = "meeting.minutes_published"
)

// MeetingSubject names a meeting's chain.
func MeetingSubject(id int64) string { return "meeting:" + strconv.FormatInt(id, 10) }

// MeetingStore keeps meetings, their frozen rolls and attendance; every
// change is written with its event on the meeting's chain.
type MeetingStore interface {
	// CreateMeeting checks every agenda proposal is on the agenda in the
	// meeting's scope (ECONFLICT otherwise), fills in their titles, freezes
	// the roll of people holding an invited role in the scope (EINVALID
	// when empty) and stores the meeting.
	CreateMeeting(ctx context.Context, m Meeting, ev CogovEvent) (Meeting, error)
	MeetingByID(ctx context.Context, id int64) (Meeting, error)
	Meetings(ctx context.Context, within, exact []string, limit int) ([]Meeting, error)
	// MeetingRoll lists the roll with names (unmasked: the service masks).
	MeetingRoll(ctx context.Context, id int64) ([]Attendee, error)
	// OnMeetingRoll reports whether the person is on the roll and signed in.
	OnMeetingRoll(ctx context.Context, id, userID int64) (onRoll, attended bool, err error)
	// SignIn marks a person on the roll present: EFORBIDDEN off the roll,
	// ECONFLICT when signed in already or the minutes are published.
	SignIn(ctx context.Context, id, userID int64, ev CogovEvent) (Meeting, error)
	// PublishMinutes stores the minutes and decisions, the quorum as
	// attendance stands, and publishes them (ECONFLICT the second time).
	PublishMinutes(ctx context.Context, id int64, minutes string, items []AgendaItem, photos []string, ev CogovEvent) (Meeting, error)
	// ProposalMeetings lists the meetings that have a proposal on their agenda.
	ProposalMeetings(ctx context.Context, proposalID int64) ([]ProposalMeeting, error)
	// MeetingsInvited lists the meetings a person is on the roll of,
	// newest first (those invited by name see them outside their scope).
	MeetingsInvited(ctx context.Context, userID int64, limit int) ([]Meeting, error)
	// PersonByPhone finds a registered person by phone (ENOTFOUND: none).
	PersonByPhone(ctx context.Context, phone string) (int64, string, error)
	// RescheduleMeeting moves a scheduled meeting (ECONFLICT otherwise).
	RescheduleMeeting(ctx context.Context, id int64, startsAt time.Time, place string, ev CogovEvent) (Meeting, error)
	// CancelMeeting calls a scheduled meeting off (ECONFLICT otherwise).
	CancelMeeting(ctx context.Context, id int64, reason string, ev CogovEvent) (Meeting, error)
	// AddMeetingDocument attaches a document (ECONFLICT on a cancelled
	// meeting or beyond max; the same file twice is a no-op).
	AddMeetingDocument(ctx context.Context, id int64, d NoticeDocument, max int, ev CogovEvent) (Meeting, error)
}
