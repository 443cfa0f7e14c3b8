package civicgrid

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The voting side of co-governance, beyond the vote itself: objections
// (异议) during a result's public notice (公示) and its finality, paper
// ballots entered by two staff with a witness, and building-role elections
// (两长四员) whose winners get the role when the result is final.
// docs/cogovernance.md states the rules.

// Standing of a decision (a closed vote's result) on the notice board.
const (
	StandingOpen   = "open"   // the vote takes ballots
	StandingNotice = "notice" // the result is on public notice (公示期)
	// StandingPending: the notice period is over but an objection awaits
	// staff's decision; the result is not final until it is decided.
	StandingPending = "pending"
	StandingFinal   = "final"  // the period ended with no upheld objection
	StandingVoided  = "voided" // an objection was upheld
)

// Standing computes where a vote's result stands at now from its
// objections: open and upheld counts. Finality is computed on read, from
// the clock: no job has to run for a result to be final.
func (v Vote) Standing(now time.Time, openObjections, upheld int) string {
	switch {
	case v.Status != VoteClosed:
		return StandingOpen
	case upheld > 0:
		return StandingVoided
	case now.Before(v.NoticeUntil):
		return StandingNotice
	case openObjections > 0:
		return StandingPending
	}
	return StandingFinal
}

// ObjectionStatus is where an objection stands.
type ObjectionStatus string

const (
	ObjectionOpen     ObjectionStatus = "open"
	ObjectionUpheld   ObjectionStatus = "upheld"
	ObjectionRejected ObjectionStatus = "rejected"
)

// MaxObjectionReason bounds an objection's reason and staff's answer.
const MaxObjectionReason = 500

// Objection (异议) to a result on public notice. The board shows the reason,
// the status and staff's answer, never who raised it.
type Objection struct {
	ID        int64           `json:"id"`
	VoteID    int64           `json:"vote_id"`
	Reason    string          `json:"reason"`
	Status    ObjectionStatus `json:"status"`
	Response  string          `json:"response,omitempty"`
	AuthorID  int64           `json:"-"`
	DecidedBy int64           `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
	DecidedAt time.Time       `json:"decided_at,omitzero"`
}

// CheckReason validates a reason of 1 to MaxObjectionReason characters.
func CheckReason(what, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > MaxObjectionReason {
		return s, Errorf(EINVALID, "%s: give 1 to %d characters", what, MaxObjectionReason)
	}
	return s, nil
}

// Channels a voter votes by; the roll records which one.
const (
	ChannelOnline = "online"
	ChannelPaper  = "paper"
)

// PaperStatus of a paper ballot's entry.
const (
	PaperPending   = "pending"   // entered by one staff member, awaiting a second
	PaperConfirmed = "confirmed" // confirmed by a second: in the ballot box
)

// MaxWitnessName bounds a witness's name.
const MaxWitnessName = 40

// PaperEntry is a paper ballot as staff enter it from the opened box: the
// first enters its choices with the witness (监票人) named, a second
// confirms them and the ballot goes into the box. An entry names no voter;
// once confirmed, its choices are only in the box.
type PaperEntry struct {
	ID      int64    `json:"id"`
	VoteID  int64    `json:"vote_id"`
	Choices []string `json:"choices,omitempty"`
	// Weight is, in an owners' vote, the area written on the ballot in
	// hundredths of a m² (the owner's area on the roll); 0 otherwise.
	Weight      int64     `json:"weight,omitempty"`
	Witness     string    `json:"witness"`
	Status      string    `json:"status"`
	EnteredBy   int64     `json:"entered_by"`
	Entered     string    `json:"entered"` // masked name
	ConfirmedBy int64     `json:"confirmed_by,omitempty"`
	Confirmed   string    `json:"confirmed,omitempty"`
	EnteredAt   time.Time `json:"entered_at"`
}

// ElectionStatus is where a building-role election stands.
type ElectionStatus string

const (
	ElectionNominating ElectionStatus = "nominating" // nominations open
	ElectionVoting     ElectionStatus = "voting"     // its vote is open or its result on notice
	ElectionFinal      ElectionStatus = "final"      // the winners hold the role
	ElectionVoided     ElectionStatus = "voided"     // an objection was upheld
	// ElectionCancelled: staff called it off before its vote opened, with
	// a reason everyone reads.
	ElectionCancelled ElectionStatus = "cancelled"
)

// Limits of an election.
const (
	MaxElectionSeats = 5
	MinTermMonths    = 1
	MaxTermMonths    = 60
	// TermReminder is how long before a term's end its holders and the
	// community's staff are reminded.
	TermReminder = 30 * 24 * time.Hour
)

// Election (两长四员选举) of a building's role (a building role kind, e.g.
// building_head 楼栋长): nominations accepted by the nominee, a candidate
// list, an approval vote for Seats winners on the building's roll, and the
// winners' grants at the end of the notice period.
type Election struct {
	ID         int64          `json:"id"`
	AreaCode   string         `json:"area_code"` // a building
	Role       string         `json:"role"`      // building role kind key
	Seats      int            `json:"seats"`
	TermMonths int            `json:"term_months"`
	Status     ElectionStatus `json:"status"`
	VoteID     int64          `json:"vote_id,omitempty"`
	CreatedBy  int64          `json:"-"`
	CreatedAt  time.Time      `json:"created_at"`
	FinalAt    time.Time      `json:"final_at,omitzero"`
	TermEndsAt time.Time      `json:"term_ends_at,omitzero"`
	Reminded   bool           `json:"reminded"`
	// CancelReason is why staff cancelled it (ElectionCancelled).
	CancelReason string `json:"cancel_reason,omitempty"`
	// ByElectionOf is the election whose empty seats (a tie on the last
	// seat, no quorum, too few candidates) this by-election (补选) fills;
	// 0 for a regular election.
	ByElectionOf int64 `json:"by_election_of,omitempty"`
	// Candidates are the accepted nominees (the list posted); Nominations
	// (staff and the nominee only) also the ones not yet accepted.
	Candidates []Candidate `json:"candidates"`
}

// Object is the election as the object of an access decision.
func (e Election) Object() Object { return In(e.AreaCode) }

// Candidate is a nominee of an election. Label is the name posted once the
// nominee accepts (the nominee agrees to it by accepting).
type Candidate struct {
	UserID      int64  `json:"-"`
	Label       string `json:"label"`
	Accepted    bool   `json:"accepted"`
	NominatedBy int64  `json:"-"`
	Self        bool   `json:"self"`
}

// ElectionInput is what staff give to call an election.
type ElectionInput struct {
	AreaCode   string `json:"area_code"`
	Role       string `json:"role"`
	Seats      int    `json:"seats"`
	TermMonths int    `json:"term_months"`
}

// Check validates the input (the role kind's existence is the service's).
func (in ElectionInput) Check() error {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	if LevelOfCode(in.AreaCode) != LevelBuilding {
		bad("area_code", "a building-role election is held in a building")
	}
	if strings.TrimSpace(in.Role) == "" {
		bad("role", "name the building role (GET /api/v1/building-roles)")
	}
	if in.Seats < 1 || in.Seats > MaxElectionSeats {
		bad("seats", "1 to "+strconv.Itoa(MaxElectionSeats)+" seats")
	}
	if in.TermMonths < MinTermMonths || in.TermMonths > MaxTermMonths {
		bad("term_months", "a term of 1 to 60 months")
	}
	if len(ps) > 0 {
		return &Error{Code: EINVALID, Message: "the election is not valid", Problems: ps}
	}
	return nil
}

// Election event actions (subject election:ID) and the vote's objection
// events (on the vote's chain).
const (
	CogovElectionCalled   = "election.called"
	CogovNominated        = "election.nominated"
	CogovNominationTaken  = "election.accepted"
	CogovElectionVote     = "election.vote_opened"
	CogovElectionFinal    = "election.final"
	CogovElectionVoided   = "election.voided"
	CogovTermEnding       = "election.term_ending"
	CogovNominationGone   = "election.withdrawn"   // a nominee withdrew (or declined) their nomination before the vote
	CogovElectionCancel   = "election.cancelled"   // staff cancelled the election before its vote, with the reason
	CogovByElection       = "election.by_election" // on the first election's chain: a by-election was called for its empty seats
	CogovObjectionRaised  = "objection.raised"
	CogovObjectionDecided = "objection.decided"
	CogovPaperVoter       = "paper.voter_marked" // security log: the roll marked for a paper voter
	CogovPaperEntered     = "paper.entered"
	CogovPaperConfirmed   = "paper.confirmed"
)

// ElectionSubject names an election's chain.
func ElectionSubject(id int64) string { return "election:" + strconv.FormatInt(id, 10) }

// ElectionStore keeps objections, paper ballots and elections.
type ElectionStore interface {
	// RaiseObjection stores an objection to a closed vote whose notice runs
	// at ev.At (ECONFLICT otherwise) with its event on the vote's chain.
	RaiseObjection(ctx context.Context, o Objection, ev CogovEvent) (Objection, error)
	ObjectionByID(ctx context.Context, id int64) (Objection, error)
	Objections(ctx context.Context, voteID int64) ([]Objection, error)
	// DecideObjection moves an open objection to upheld or rejected
	// (ECONFLICT when decided already), with its event.
	DecideObjection(ctx context.Context, id int64, status ObjectionStatus, response string, decidedBy int64, ev CogovEvent) (Objection, error)
	// ObjectionCounts returns a vote's open and upheld objections.
	ObjectionCounts(ctx context.Context, voteID int64) (open, upheld int, err error)

	// RollChannel returns how a person on the roll voted ("" not yet; ENOTFOUND off the roll).
	RollChannel(ctx context.Context, voteID, userID int64) (string, error)
	// MarkPaperVoter marks a person (by phone) on the roll as voting on paper:
	// EFORBIDDEN off the roll, ECONFLICT when they voted already (on any
	// channel) or the vote is closed; audited in the security log.
	MarkPaperVoter(ctx context.Context, voteID int64, phone string, ev SecurityEvent) error
	// EnterPaperBallot stores a pending paper ballot entry.
	EnterPaperBallot(ctx context.Context, e PaperEntry, ev CogovEvent) (PaperEntry, error)
	// ConfirmPaperBallot puts a pending entry's ballot in the box under the
	// receipt hash: ECONFLICT when confirmedBy entered it, when it is
	// confirmed already, the vote is closed, or the box would hold more
	// paper ballots than paper voters on the roll.
	ConfirmPaperBallot(ctx context.Context, voteID, entryID, confirmedBy int64, receiptHash string, ev CogovEvent) error
	PaperEntries(ctx context.Context, voteID int64) ([]PaperEntry, error)

	// CreateElection stores an election (EINVALID when the building's roll
	// would be empty).
	// A by-election (ByElectionOf set) is refused (ECONFLICT) while
	// another by-election of the same election is under way, checked under
	// the first election's row lock; its calling is also written on the
	// first election's chain.
	CreateElection(ctx context.Context, e Election, rollRoles []string, ev CogovEvent) (Election, error)
	// ByElections lists the by-elections of an election, oldest first.
	ByElections(ctx context.Context, id int64) ([]Election, error)
	ElectionByID(ctx context.Context, id int64) (Election, error)
	Elections(ctx context.Context, within, exact []string, limit int) ([]Election, error)
	// Nominate records a nomination (accepted at once when self), ECONFLICT
	// when the person is nominated already or nominations are closed,
	// EINVALID when they hold no role in rollRoles in the building.
	Nominate(ctx context.Context, electionID, nomineeID, byID int64, label string, rollRoles []string, ev CogovEvent) error
	// NomineeByPhone finds a person holding a role of rollRoles in the area
	// by phone (ENOTFOUND otherwise).
	NomineeByPhone(ctx context.Context, area, phone string, rollRoles []string) (int64, string, error)
	AcceptNomination(ctx context.Context, electionID, userID int64, ev CogovEvent) error
	// WithdrawNomination takes a nominee's nomination (accepted or not) off
	// an election still taking nominations: ECONFLICT once its vote is
	// open, EFORBIDDEN when the person is not nominated.
	WithdrawNomination(ctx context.Context, electionID, userID int64, ev CogovEvent) error
	// CancelElection cancels an election still taking nominations with the
	// reason (ECONFLICT once its vote is open).
	CancelElection(ctx context.Context, electionID int64, reason string, ev CogovEvent) (Election, error)
	// OpenElectionVote opens the election's vote on its accepted candidates
	// (OpenVote's roll and checks) and moves it to voting, in one transaction.
	OpenElectionVote(ctx context.Context, electionID int64, v Vote, rollRoles []string, ev CogovEvent) (Election, error)
	// ElectionsDue lists elections in voting whose vote closed and whose
	// notice ended by now, and final ones whose term reminder is due.
	ElectionsDue(ctx context.Context, now time.Time, remindBefore time.Duration) ([]Election, error)
	NextElectionDue(ctx context.Context, remindBefore time.Duration) (time.Time, error)
	// SetElectionOutcome moves a voting election to final (with its term
	// end) or voided, with its event.
	SetElectionOutcome(ctx context.Context, id int64, status ElectionStatus, termEnds time.Time, ev CogovEvent) error
	// MarkReminded records the term reminder with its event.
	MarkReminded(ctx context.Context, id int64, ev CogovEvent) error
}

// ElectionGrants is what elections need of identity: the building role
// kinds, who holds a role, and grants added and revoked with their entry in
// the security audit.
type ElectionGrants interface {
	BuildingRoleKinds(ctx context.Context) ([]BuildingRoleKind, error)
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	AddGrant(ctx context.Context, g RoleGrant, ev SecurityEvent) (RoleGrant, error)
	RevokeGrant(ctx context.Context, userID, grantID int64, ev SecurityEvent) error
}
