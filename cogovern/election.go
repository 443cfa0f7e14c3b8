package cogovern

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/sms"
)

// The voting side: objections (异议) during a result's public notice and
// its finality (computed from the clock on read), paper ballots entered by
// two staff with a witness, and building-role elections (两长四员) whose
// winners get the role when the result is final.

// SetGrants gives the service identity's grants, through which elected
// people get their role (without it, elections are refused).
func (s *Service) SetGrants(g civicgrid.ElectionGrants) { s.grants = g }

func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Objection decisions staff take.
const (
	DecisionUphold = "uphold"
	DecisionReject = "reject"
)

// RaiseObjection files an objection to a result on public notice, by
// anyone taking part in its scope.
func (s *Service) RaiseObjection(ctx context.Context, actor civicgrid.Actor, voteID int64, reason string) (civicgrid.Objection, error) {
	reason, err := civicgrid.CheckReason("reason", reason)
	if err != nil {
		return civicgrid.Objection{}, err
	}
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return civicgrid.Objection{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionObject, v.Object()); err != nil {
		return civicgrid.Objection{}, err
	}
	return s.store.RaiseObjection(ctx, civicgrid.Objection{VoteID: voteID, Reason: reason, AuthorID: actor.UserID},
		event(actor, civicgrid.CogovObjectionRaised, s.now()))
}

// DecideObjection upholds or rejects an objection with a reason everyone
// reads; an upheld objection voids the result.
func (s *Service) DecideObjection(ctx context.Context, actor civicgrid.Actor, id int64, decision, response string) (civicgrid.Objection, error) {
	status := map[string]civicgrid.ObjectionStatus{DecisionUphold: civicgrid.ObjectionUpheld, DecisionReject: civicgrid.ObjectionRejected}[decision]
	if status == "" {
		return civicgrid.Objection{}, civicgrid.Errorf(civicgrid.EINVALID, "decision is uphold or reject, not %q", decision)
	}
	response, err := civicgrid.CheckReason("response", response)
	if err != nil {
		return civicgrid.Objection{}, err
	}
	o, err := s.store.ObjectionByID(ctx, id)
	if err != nil {
		return o, err
	}
	v, err := s.readableVote(ctx, actor, o.VoteID)
	if err != nil {
		return civicgrid.Objection{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no objection %d", id)
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return civicgrid.Objection{}, err
	}
	defer s.nudge()
	return s.store.DecideObjection(ctx, id, status, response, actor.UserID, event(actor, civicgrid.CogovObjectionDecided, s.now()))
}

// Decision is a closed vote's result as the notice board and the vote page
// show it: where it stands and its objections (without their authors).
type Decision struct {
	civicgrid.Vote
	Standing   string                `json:"standing"`
	Objections []civicgrid.Objection `json:"objections"`
	// CanObject: the reader may raise an objection now.
	CanObject bool `json:"can_object"`
}

func (s *Service) decision(ctx context.Context, v civicgrid.Vote, now time.Time) (Decision, error) {
	d := Decision{Vote: v, Objections: []civicgrid.Objection{}}
	if v.Status != civicgrid.VoteClosed {
		d.Standing = civicgrid.StandingOpen
		return d, nil
	}
	os, err := s.store.Objections(ctx, v.ID)
	if err != nil {
		return d, err
	}
	open, upheld := 0, 0
	for _, o := range os {
		switch o.Status {
		case civicgrid.ObjectionOpen:
			open++
		case civicgrid.ObjectionUpheld:
			upheld++
		}
	}
	d.Objections = append(d.Objections, os...)
	d.Standing = v.Standing(now, open, upheld)
	return d, nil
}

// VoteDecision returns a vote's standing and objections for a reader.
func (s *Service) VoteDecision(ctx context.Context, actor civicgrid.Actor, voteID int64) (Decision, error) {
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return Decision{}, err
	}
	now := s.now()
	d, err := s.decision(ctx, v, now)
	d.CanObject = d.Standing == civicgrid.StandingNotice && actor.UserID != 0 && civicgrid.Authorize(actor, civicgrid.ActionObject, v.Object()) == nil
	return d, err
}

// BoardWindow is how long after its notice ended a result stays on the
// board, marked final or voided.
const BoardWindow = 30 * 24 * time.Hour

// Board is the public notice board (公示栏) of an area with each result's
// standing: results on notice, awaiting an objection's decision, and
// those that became final or were voided in the last BoardWindow. It shows
// no one's name: objections by their reason and staff's answer only.
func (s *Service) Board(ctx context.Context, area string) ([]Decision, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	vs, err := s.store.Votes(ctx, []string{area}, civicgrid.AncestorCodes(area), ListLimit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []Decision
	for _, v := range vs {
		if v.Status != civicgrid.VoteClosed {
			continue
		}
		d, err := s.decision(ctx, v, now)
		if err != nil {
			return nil, err
		}
		if d.Standing == civicgrid.StandingNotice || d.Standing == civicgrid.StandingPending || now.Before(v.NoticeUntil.Add(BoardWindow)) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Paper ballots.

// MarkPaperVoter marks a voter, by phone, on the roll as having received a
// paper ballot at the box: one staff member, recorded in the security log.
func (s *Service) MarkPaperVoter(ctx context.Context, actor civicgrid.Actor, voteID int64, phone string) error {
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return err
	}
	p, err := sms.Normalize(phone)
	if err != nil {
		return civicgrid.Errorf(civicgrid.EINVALID, "phone: %v", err)
	}
	now := s.now()
	return s.store.MarkPaperVoter(ctx, voteID, p, civicgrid.SecurityEvent{At: now, Kind: civicgrid.CogovPaperVoter, Outcome: civicgrid.OutcomeOK,
		ActorID: actor.UserID, Actor: actor.Label(), Detail: fmt.Sprintf("vote %d: a paper ballot handed to a voter on the roll", voteID)})
}

// EnterPaperBallot is the first staff member's entry of a paper ballot from
// the opened box, with the witness (监票人) named; it counts once a second
// staff member confirms it.
func (s *Service) EnterPaperBallot(ctx context.Context, actor civicgrid.Actor, voteID int64, choices []string, witness string) (civicgrid.PaperEntry, error) {
	return s.EnterPaperBallotArea(ctx, actor, voteID, choices, witness, "")
}

// EnterPaperBallotArea is EnterPaperBallot with, for an owners' vote, the
// floor area written on the ballot (m²; the owner's area as on the roll,
// which the confirmation checks against the owners marked for paper).
func (s *Service) EnterPaperBallotArea(ctx context.Context, actor civicgrid.Actor, voteID int64, choices []string, witness, area string) (civicgrid.PaperEntry, error) {
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return civicgrid.PaperEntry{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return civicgrid.PaperEntry{}, err
	}
	witness = strings.TrimSpace(witness)
	if witness == "" || len([]rune(witness)) > civicgrid.MaxWitnessName {
		return civicgrid.PaperEntry{}, civicgrid.Errorf(civicgrid.EINVALID, "witness: name the witness (监票人) of the count, 1 to %d characters", civicgrid.MaxWitnessName)
	}
	if choices, err = v.CheckChoices(choices); err != nil {
		return civicgrid.PaperEntry{}, err
	}
	var weight int64
	switch {
	case v.Electorate == civicgrid.ElectorateOwners:
		if weight, err = civicgrid.ParseArea(area); err != nil {
			return civicgrid.PaperEntry{}, civicgrid.Errorf(civicgrid.EINVALID, "area: an owners' ballot carries the floor area written on it: %v", err)
		}
	case strings.TrimSpace(area) != "":
		return civicgrid.PaperEntry{}, civicgrid.Errorf(civicgrid.EINVALID, "area: only an owners' ballot carries a floor area")
	}
	return s.store.EnterPaperBallot(ctx, civicgrid.PaperEntry{VoteID: voteID, Choices: choices, Witness: witness, EnteredBy: actor.UserID, Weight: weight},
		event(actor, civicgrid.CogovPaperEntered, s.now()))
}

// ConfirmPaperBallot is the second staff member's confirmation: the ballot
// goes into the box (under a random receipt nobody keeps).
func (s *Service) ConfirmPaperBallot(ctx context.Context, actor civicgrid.Actor, voteID, entryID int64) error {
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return err
	}
	_, hash := civicgrid.NewReceipt()
	return s.store.ConfirmPaperBallot(ctx, voteID, entryID, actor.UserID, hash, event(actor, civicgrid.CogovPaperConfirmed, s.now()))
}

// PaperEntries lists a vote's paper ballot entries, for its staff.
func (s *Service) PaperEntries(ctx context.Context, actor civicgrid.Actor, voteID int64) ([]civicgrid.PaperEntry, error) {
	v, err := s.readableVote(ctx, actor, voteID)
	if err != nil {
		return nil, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return nil, err
	}
	es, err := s.store.PaperEntries(ctx, voteID)
	if es == nil {
		es = []civicgrid.PaperEntry{}
	}
	return es, err
}

func (s *Service) noPendingPaper(ctx context.Context, voteID int64) error {
	es, err := s.store.PaperEntries(ctx, voteID)
	if err != nil {
		return err
	}
	if n := len(slices.DeleteFunc(es, func(e civicgrid.PaperEntry) bool { return e.Status != civicgrid.PaperPending })); n > 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "%d paper ballots await a second staff member's confirmation: confirm them before closing", n)
	}
	return nil
}

// Elections.

// CallElection opens nominations for a building role.
func (s *Service) CallElection(ctx context.Context, actor civicgrid.Actor, in civicgrid.ElectionInput) (civicgrid.Election, error) {
	if err := in.Check(); err != nil {
		return civicgrid.Election{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, civicgrid.In(in.AreaCode)); err != nil {
		return civicgrid.Election{}, err
	}
	if err := s.checkArea(ctx, in.AreaCode); err != nil {
		return civicgrid.Election{}, err
	}
	if s.grants == nil {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.EINTERNAL, "elections are not set up")
	}
	kinds, err := s.grants.BuildingRoleKinds(ctx)
	if err != nil {
		return civicgrid.Election{}, err
	}
	if !slices.ContainsFunc(kinds, func(k civicgrid.BuildingRoleKind) bool { return k.Key == in.Role }) {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.EINVALID, "role: %q is not a building role (GET /api/v1/building-roles)", in.Role)
	}
	e := civicgrid.Election{AreaCode: in.AreaCode, Role: in.Role, Seats: in.Seats, TermMonths: in.TermMonths, CreatedBy: actor.UserID}
	return s.store.CreateElection(ctx, e, civicgrid.DefaultRollRoles, event(actor, civicgrid.CogovElectionCalled, s.now()))
}

// ElectionView is an election as its reader sees it.
type ElectionView struct {
	civicgrid.Election
	CanNominate bool `json:"can_nominate"`
	CanManage   bool `json:"can_manage"`
	// Nominated: the reader has a nomination awaiting their acceptance.
	AwaitsMe bool `json:"awaits_me"`
	// CanWithdraw: the reader is nominated (accepted or not) and the vote
	// has not opened.
	CanWithdraw bool      `json:"can_withdraw"`
	Decision    *Decision `json:"decision,omitempty"` // its vote, once opened
	// ByElections are the by-elections (补选) of this election; Vacant the
	// seats a final election left empty (less those by-elections filled);
	// CanCallByElection: the reader (staff) may call one now.
	ByElections       []civicgrid.Election `json:"by_elections,omitempty"`
	Vacant            int                  `json:"vacant"`
	CanCallByElection bool                 `json:"can_call_by_election"`
	// Winners of a final election: the labels of those holding the role.
	History []civicgrid.CogovEvent `json:"history"`
}

func (s *Service) readableElection(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Election, error) {
	return readableByID(ctx, actor, id, s.store.ElectionByID, "election")
}

// publicCandidates keeps the accepted nominees (the posted list); staff and
// the nominee also see the pending ones.
func publicCandidates(e civicgrid.Election, actor civicgrid.Actor, manage bool) []civicgrid.Candidate {
	out := []civicgrid.Candidate{}
	for _, c := range e.Candidates {
		if c.Accepted || manage || c.UserID == actor.UserID {
			if !c.Accepted {
				c.Label = civicgrid.MaskName(c.Label) // not posted before accepting
			}
			out = append(out, c)
		}
	}
	return out
}

// Election returns an election the actor may read. A result whose notice
// ended is settled here too (as by the scheduler), so a reader never sees
// a final result whose grants are still to come.
func (s *Service) Election(ctx context.Context, actor civicgrid.Actor, id int64) (ElectionView, error) {
	e, err := s.readableElection(ctx, actor, id)
	if err != nil {
		return ElectionView{}, err
	}
	if e.Status == civicgrid.ElectionVoting {
		if v, err := s.store.VoteByID(ctx, e.VoteID); err == nil && v.Status == civicgrid.VoteClosed && !s.now().Before(v.NoticeUntil) {
			if _, err := s.FireElections(ctx); err != nil {
				return ElectionView{}, err
			}
			if e, err = s.store.ElectionByID(ctx, id); err != nil {
				return ElectionView{}, err
			}
		}
	}
	view := ElectionView{Election: e, CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageVote, e.Object()) == nil}
	view.CanNominate = e.Status == civicgrid.ElectionNominating && civicgrid.Authorize(actor, civicgrid.ActionNominate, e.Object()) == nil
	for _, c := range e.Candidates {
		if c.UserID == actor.UserID && !c.Accepted {
			view.AwaitsMe = true
		}
		if c.UserID == actor.UserID && e.Status == civicgrid.ElectionNominating {
			view.CanWithdraw = true
		}
	}
	view.Candidates = publicCandidates(e, actor, view.CanManage)
	if e.VoteID != 0 {
		d, err := s.VoteDecision(ctx, actor, e.VoteID)
		if err != nil {
			return view, err
		}
		view.Decision = &d
	}
	if e.Status == civicgrid.ElectionFinal || e.ByElectionOf == 0 {
		if view.ByElections, err = s.store.ByElections(ctx, id); err != nil {
			return view, err
		}
		for i := range view.ByElections {
			view.ByElections[i].Candidates = publicCandidates(view.ByElections[i], actor, view.CanManage)
		}
	}
	if e.Status == civicgrid.ElectionFinal {
		view.Vacant, _, err = s.vacancies(ctx, e, view.ByElections)
		if err != nil {
			return view, err
		}
		view.CanCallByElection = view.CanManage && view.Vacant > 0 && e.TermEndsAt.After(s.now()) &&
			!slices.ContainsFunc(view.ByElections, underWay)
	}
	view.History, err = s.store.CogovEvents(ctx, civicgrid.ElectionSubject(id))
	return view, err
}

func underWay(b civicgrid.Election) bool {
	return b.Status == civicgrid.ElectionNominating || b.Status == civicgrid.ElectionVoting
}

// vacancies counts a final election's seats that nobody fills: its seats
// less its winners and those of its final by-elections.
func (s *Service) vacancies(ctx context.Context, e civicgrid.Election, bys []civicgrid.Election) (int, []civicgrid.Election, error) {
	winners := func(x civicgrid.Election) (int, error) {
		if x.Status != civicgrid.ElectionFinal || x.VoteID == 0 {
			return 0, nil
		}
		v, err := s.store.VoteByID(ctx, x.VoteID)
		if err != nil || v.Result == nil {
			return 0, err
		}
		return len(v.Result.Winners), nil
	}
	filled, err := winners(e)
	if err != nil {
		return 0, bys, err
	}
	for _, b := range bys {
		n, err := winners(b)
		if err != nil {
			return 0, bys, err
		}
		filled += n
	}
	return max(0, e.Seats-filled), bys, nil
}

// CallByElection calls a by-election (补选) for the seats a final
// election left empty — a tie on the last seat, no quorum, or too few
// candidates once some withdrew: a new election of the same building and
// role for those seats only, linked to the first, run as any election
// (nominations, the vote, the notice, the grant). Its winners join the
// role's holders (nobody loses it) until the first election's term ends.
// Refused (409) when every seat is filled, the first election is not
// final or its term has ended, or another by-election of it is under way.
func (s *Service) CallByElection(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Election, error) {
	first, err := s.readableElection(ctx, actor, id)
	if err != nil {
		return first, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, first.Object()); err != nil {
		return civicgrid.Election{}, err
	}
	if first.Status != civicgrid.ElectionFinal {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: a by-election fills the empty seats of a final election", id, first.Status)
	}
	if !first.TermEndsAt.After(s.now()) {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.ECONFLICT, "election %d's term has ended: call a new election", id)
	}
	bys, err := s.store.ByElections(ctx, id)
	if err != nil {
		return civicgrid.Election{}, err
	}
	vacant, _, err := s.vacancies(ctx, first, bys)
	if err != nil {
		return civicgrid.Election{}, err
	}
	if vacant == 0 {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.ECONFLICT, "election %d filled all its %d seats: there is no empty seat", id, first.Seats)
	}
	if s.grants == nil {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.EINTERNAL, "elections are not set up")
	}
	e := civicgrid.Election{AreaCode: first.AreaCode, Role: first.Role, Seats: vacant, TermMonths: first.TermMonths, CreatedBy: actor.UserID, ByElectionOf: id}
	return s.store.CreateElection(ctx, e, civicgrid.DefaultRollRoles, event(actor, civicgrid.CogovElectionCalled, s.now()))
}

// Elections lists the elections the actor may read, newest first.
func (s *Service) Elections(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Election, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	es, err := s.store.Elections(ctx, within, exact, ListLimit)
	if err != nil {
		return nil, err
	}
	es = slices.DeleteFunc(es, func(e civicgrid.Election) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, e.Object()) != nil
	})
	for i := range es {
		es[i].Candidates = publicCandidates(es[i], actor, civicgrid.Authorize(actor, civicgrid.ActionManageVote, es[i].Object()) == nil)
	}
	return es, nil
}

// Nominate nominates the actor (phone empty) or a neighbour of the
// building by phone; a neighbour's nomination counts once they accept it.
func (s *Service) Nominate(ctx context.Context, actor civicgrid.Actor, id int64, phone string) error {
	e, err := s.readableElection(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionNominate, e.Object()); err != nil {
		return err
	}
	nominee, label := actor.UserID, actor.Name
	if strings.TrimSpace(phone) != "" {
		p, err := sms.Normalize(phone)
		if err != nil {
			return civicgrid.Errorf(civicgrid.EINVALID, "phone: %v", err)
		}
		if nominee, label, err = s.store.NomineeByPhone(ctx, e.AreaCode, p, civicgrid.DefaultRollRoles); err != nil {
			if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
				return civicgrid.Errorf(civicgrid.EINVALID, "nobody with this phone lives in the building: candidates come from its roll")
			}
			return err
		}
	}
	ev := event(actor, civicgrid.CogovNominated, s.now())
	return s.store.Nominate(ctx, id, nominee, actor.UserID, strings.TrimSpace(label), civicgrid.DefaultRollRoles, ev)
}

// AcceptNomination is the nominee's yes: their name goes on the posted list.
func (s *Service) AcceptNomination(ctx context.Context, actor civicgrid.Actor, id int64) error {
	if _, err := s.readableElection(ctx, actor, id); err != nil {
		return err
	}
	return s.store.AcceptNomination(ctx, id, actor.UserID, event(actor, civicgrid.CogovNominationTaken, s.now()))
}

// WithdrawNomination takes the actor's own nomination off an election
// still taking nominations (a nominee who no longer stands, or declines a
// neighbour's nomination). The history says who withdrew.
func (s *Service) WithdrawNomination(ctx context.Context, actor civicgrid.Actor, id int64) error {
	if _, err := s.readableElection(ctx, actor, id); err != nil {
		return err
	}
	return s.store.WithdrawNomination(ctx, id, actor.UserID, event(actor, civicgrid.CogovNominationGone, s.now()))
}

// CancelElection calls an election off before its vote opens, with a
// reason (1–500 characters) everyone who reads the election sees.
func (s *Service) CancelElection(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Election, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxDeclineReason {
		return civicgrid.Election{}, civicgrid.Errorf(civicgrid.EINVALID, "give the reason (1 to %d characters): everyone in the building reads it", civicgrid.MaxDeclineReason)
	}
	e, err := s.readableElection(ctx, actor, id)
	if err != nil {
		return e, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, e.Object()); err != nil {
		return e, err
	}
	return s.store.CancelElection(ctx, id, reason, event(actor, civicgrid.CogovElectionCancel, s.now()))
}

// ElectionVoteInput is how staff open an election's vote.
type ElectionVoteInput struct {
	Hours      int    `json:"hours"`
	NoticeDays int    `json:"notice_days"`
	Rule       string `json:"rule"`
}

// OpenElectionVote closes nominations and opens the approval vote on the
// accepted candidates for the election's seats, on the building's roll.
func (s *Service) OpenElectionVote(ctx context.Context, actor civicgrid.Actor, id int64, in ElectionVoteInput) (civicgrid.Election, error) {
	e, err := s.readableElection(ctx, actor, id)
	if err != nil {
		return e, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, e.Object()); err != nil {
		return e, err
	}
	var options []string
	for _, c := range e.Candidates {
		if c.Accepted {
			options = append(options, c.Label)
		}
	}
	if len(options) <= e.Seats {
		return e, civicgrid.Errorf(civicgrid.EINVALID, "election %d has %d accepted candidates for %d seats: a vote needs more candidates than seats (a nomination counts once the nominee accepts it)",
			id, len(options), e.Seats)
	}
	now := s.now()
	v, err := civicgrid.VoteInput{AreaCode: e.AreaCode, Question: s.roleName(ctx, e.Role) + "选举", Method: civicgrid.MethodApproval,
		Options: options, Winners: e.Seats, Rule: in.Rule, Hours: in.Hours, NoticeDays: in.NoticeDays}.Check(now)
	if err != nil {
		return e, err
	}
	v.CreatedBy = actor.UserID
	return s.store.OpenElectionVote(ctx, id, v, civicgrid.DefaultRollRoles, event(actor, civicgrid.CogovElectionVote, now))
}

func (s *Service) roleName(ctx context.Context, key string) string {
	if s.grants != nil {
		if kinds, err := s.grants.BuildingRoleKinds(ctx); err == nil {
			if i := slices.IndexFunc(kinds, func(k civicgrid.BuildingRoleKind) bool { return k.Key == key }); i >= 0 {
				return kinds[i].NameZH
			}
		}
	}
	return key
}

// system is the actor of the scheduler's steps.
var system = civicgrid.Actor{Name: "system", Via: "system"}

// FireElections settles what is due: an election whose result's notice
// ended with no open or upheld objection becomes final and its winners get
// the role (replacing the previous holders' grants, each audited); one with
// an upheld objection is voided; a term ending within TermReminder is
// reminded. It returns how many it settled.
func (s *Service) FireElections(ctx context.Context) (int, error) {
	now := s.now()
	es, err := s.store.ElectionsDue(ctx, now, civicgrid.TermReminder)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if e.Status == civicgrid.ElectionFinal {
			ev := civicgrid.CogovEvent{At: now, Actor: "system", Action: civicgrid.CogovTermEnding, Data: map[string]string{"term_ends_at": fmt.Sprint(e.TermEndsAt.UnixMilli())}}
			if err := s.store.MarkReminded(ctx, e.ID, ev); err != nil && civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
				return n, err
			}
			n++
			continue
		}
		v, err := s.store.VoteByID(ctx, e.VoteID)
		if err != nil {
			return n, err
		}
		d, err := s.decision(ctx, v, now)
		if err != nil {
			return n, err
		}
		switch d.Standing {
		case civicgrid.StandingVoided:
			err = s.store.SetElectionOutcome(ctx, e.ID, civicgrid.ElectionVoided, time.Time{},
				civicgrid.CogovEvent{At: now, Actor: "system", Action: civicgrid.CogovElectionVoided, Note: "an objection was upheld"})
		case civicgrid.StandingFinal:
			err = s.finalize(ctx, e, v, now)
		default:
			continue // an objection awaits staff's decision
		}
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
			return n, err
		}
		n++
	}
	return n, nil
}

// finalize gives the winners the role and replaces the previous holders.
func (s *Service) finalize(ctx context.Context, e civicgrid.Election, v civicgrid.Vote, now time.Time) error {
	if s.grants == nil {
		return civicgrid.Errorf(civicgrid.EINTERNAL, "elections are not set up")
	}
	var winners []int64
	var labels []string
	if v.Result != nil {
		for _, w := range v.Result.Winners {
			if i := slices.IndexFunc(e.Candidates, func(c civicgrid.Candidate) bool { return c.Label == w && c.Accepted }); i >= 0 {
				winners = append(winners, e.Candidates[i].UserID)
				labels = append(labels, w)
			}
		}
	}
	detail := func(what string) string {
		return fmt.Sprintf("election %d: %s %s of %s (vote %d, final at the end of its public notice)", e.ID, what, e.Role, e.AreaCode, v.ID)
	}
	audit := func(kind, what string) civicgrid.SecurityEvent {
		return civicgrid.SecurityEvent{At: now, Kind: kind, Outcome: civicgrid.OutcomeOK, Actor: "system", AreaCode: e.AreaCode, Detail: detail(what)}
	}
	// A by-election fills empty seats only: its winners join those holding
	// the role, nobody loses it, and their term ends with the first
	// election's.
	if len(winners) > 0 && e.ByElectionOf != 0 {
		first, err := s.store.ElectionByID(ctx, e.ByElectionOf)
		if err != nil {
			return err
		}
		for _, w := range winners {
			g := civicgrid.RoleGrant{UserID: w, Role: civicgrid.RoleBuilding, AreaCode: e.AreaCode, Detail: e.Role}
			if _, err := s.grants.AddGrant(ctx, g, audit(civicgrid.EventRoleGranted, fmt.Sprintf("elected in the by-election of election %d as", first.ID))); err != nil &&
				civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
				return err
			}
		}
		ends := first.TermEndsAt
		if ends.IsZero() || ends.Before(now) {
			ends = now.AddDate(0, e.TermMonths, 0)
		}
		return s.store.SetElectionOutcome(ctx, e.ID, civicgrid.ElectionFinal, ends, civicgrid.CogovEvent{At: now, Actor: "system",
			Action: civicgrid.CogovElectionFinal, Data: map[string]string{"winners": strings.Join(labels, "、"), "term_ends_at": strconv.FormatInt(ends.UnixMilli(), 10)}})
	}
	if len(winners) > 0 { // no winner (no quorum, a tie): the previous holders stay
		holders, err := s.grants.ListUsers(ctx, civicgrid.UserFilter{Within: []string{e.AreaCode}, Role: civicgrid.RoleBuilding})
		if err != nil {
			return err
		}
		held := map[int64]bool{}
		for _, u := range holders {
			for _, g := range u.Grants {
				if g.Role != civicgrid.RoleBuilding || g.AreaCode != e.AreaCode || g.Detail != e.Role {
					continue
				}
				if slices.Contains(winners, u.ID) {
					held[u.ID] = true
					continue
				}
				if err := s.grants.RevokeGrant(ctx, u.ID, g.ID, audit(civicgrid.EventRoleRevoked, "replaced as")); err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
					return err
				}
			}
		}
		for _, w := range winners {
			if held[w] {
				continue
			}
			g := civicgrid.RoleGrant{UserID: w, Role: civicgrid.RoleBuilding, AreaCode: e.AreaCode, Detail: e.Role}
			if _, err := s.grants.AddGrant(ctx, g, audit(civicgrid.EventRoleGranted, "elected")); err != nil {
				return err
			}
		}
	}
	ends := now.AddDate(0, e.TermMonths, 0)
	return s.store.SetElectionOutcome(ctx, e.ID, civicgrid.ElectionFinal, ends, civicgrid.CogovEvent{At: now, Actor: "system",
		Action: civicgrid.CogovElectionFinal, Data: map[string]string{"winners": strings.Join(labels, "、"), "term_ends_at": strconv.FormatInt(ends.UnixMilli(), 10)}})
}

// NextElectionDue is the scheduler's next due time.
func (s *Service) NextElectionDue(ctx context.Context) (time.Time, error) {
	return s.store.NextElectionDue(ctx, civicgrid.TermReminder)
}

// RunElections settles elections as their notice ends, and reminds terms,
// until ctx ends (the shared deadline scheduler's loop).
func (s *Service) RunElections(ctx context.Context) {
	casework.Deadlines{Name: "elections settled", Fire: s.FireElections, Next: s.NextElectionDue, Now: s.now, Wake: s.wake,
		Slack: 200 * time.Millisecond}.Run(ctx)
}

// electionDrafts are the notifications of an election's events: the
// winners hear they hold the role, holders that their term ends soon, and
// a nominee that they were nominated.
func (s *Service) electionDrafts(ctx context.Context, ev civicgrid.CogovEvent, id int64, add func(user int64, what, link string, args ...string)) error {
	switch ev.Action {
	case civicgrid.CogovElectionFinal, civicgrid.CogovTermEnding, civicgrid.CogovNominated:
	default:
		return nil
	}
	e, err := s.store.ElectionByID(ctx, id)
	if err != nil {
		return err
	}
	link := "/elections/" + strconv.FormatInt(id, 10)
	role := s.roleName(ctx, e.Role)
	var winners []string
	if ev.Action != civicgrid.CogovNominated && e.VoteID != 0 {
		if v, err := s.store.VoteByID(ctx, e.VoteID); err == nil && v.Result != nil {
			winners = v.Result.Winners
		}
	}
	for _, c := range e.Candidates {
		switch ev.Action {
		case civicgrid.CogovNominated:
			if ev.Data["nominee_id"] == strconv.FormatInt(c.UserID, 10) {
				add(c.UserID, "cogov.nominated", link, "role", role)
			}
		case civicgrid.CogovElectionFinal:
			if slices.Contains(winners, c.Label) {
				add(c.UserID, "cogov.elected", link, "role", role)
			}
		case civicgrid.CogovTermEnding:
			if slices.Contains(winners, c.Label) {
				add(c.UserID, "cogov.term_ending", link, "role", role, "at", e.TermEndsAt.Format("2006-01-02"))
			}
		}
	}
	return nil
}
