// Package cogovern runs co-governance (共谋共建共管共评共享): proposals in a
// scope and their support (附议), staff moderation, votes on a roll frozen at
// opening with secret ballots and receipts, and results published (公示) for
// a notice period. Every decision on who may do what is civicgrid.Authorize's;
// every change is written with its hash-chained event by the store.
package cogovern

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/workcal"
)

// Areas is what the service needs of the area registry.
type Areas interface {
	AreaByCode(ctx context.Context, code string) (civicgrid.Area, error)
}

// Config sets the service's rules.
type Config struct {
	// SupportThreshold is the number of supports (附议) that puts a proposal
	// on the agenda (default 5); each proposal keeps the threshold in force
	// when it was made.
	SupportThreshold int
	// SupportShare (1–100), when set, makes the threshold this percentage
	// of the households registered in the proposal's scope, rounded up
	// (at least 1); a scope without registered households keeps
	// SupportThreshold.
	SupportShare int
	// Calendar is the working calendar of the public notice periods (each
	// vote sets its own, 5–10 working days); without one, weekdays count.
	Calendar *workcal.Live
	Now      func() time.Time
}

// Service is the co-governance module.
type Service struct {
	cfg   Config
	store civicgrid.CogovStore
	areas Areas
	// grants gives elected people their role (SetGrants); wake nudges the
	// elections' scheduler (election.go).
	grants civicgrid.ElectionGrants
	wake   chan struct{}
	// Projects (project.go): their dependencies and the milestone
	// scheduler's nudge.
	proj     ProjectDeps
	projWake chan struct{}
	// doors counts wrong meeting door codes (doorcode.go).
	doors doorLimiter
}

// New returns the service.
func New(cfg Config, store civicgrid.CogovStore, areas Areas) *Service {
	if cfg.SupportThreshold <= 0 {
		cfg.SupportThreshold = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: store, areas: areas, wake: make(chan struct{}, 1), projWake: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

// checkArea refuses a scope the registry does not know.
func (s *Service) checkArea(ctx context.Context, code string) error {
	if _, err := s.areas.AreaByCode(ctx, code); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return civicgrid.Errorf(civicgrid.EINVALID, "no area %s", code)
		}
		return err
	}
	return nil
}

// event starts a history entry. Neighbours read these histories, so a
// person is named by their masked name only, not with the masked phone of
// the usual label (the entry keeps their id for staff and the audit).
func event(actor civicgrid.Actor, action string, at time.Time) civicgrid.CogovEvent {
	label := actor.Label()
	if actor.UserID != 0 && actor.Via != "token" {
		label = civicgrid.MaskName(actor.Name)
	}
	return civicgrid.CogovEvent{At: at, ActorID: actor.UserID, Actor: label, Action: action}
}

// ProposalInput is what a person writes to propose.
type ProposalInput struct {
	AreaCode string `json:"area_code"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	// CourtyardID raises it in a courtyard (院落) of AreaCode's community
	// (AreaCode may then be left empty).
	CourtyardID int64 `json:"courtyard_id"`
}

// Propose raises a matter in a scope the actor holds a role in.
func (s *Service) Propose(ctx context.Context, actor civicgrid.Actor, in ProposalInput) (civicgrid.Proposal, error) {
	area, yard, err := s.courtyardScope(ctx, actor, in.CourtyardID, in.AreaCode)
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	in.AreaCode = area
	if err := civicgrid.CheckProposal(in.AreaCode, in.Title, in.Body); err != nil {
		return civicgrid.Proposal{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionPropose, civicgrid.Proposal{AreaCode: area, CourtyardScope: yard}.Object()); err != nil {
		return civicgrid.Proposal{}, err
	}
	if err := s.checkArea(ctx, in.AreaCode); err != nil {
		return civicgrid.Proposal{}, err
	}
	now := s.now()
	needed := s.cfg.SupportThreshold
	if s.cfg.SupportShare > 0 {
		n, err := s.store.HouseholdCount(ctx, yard.Areas(in.AreaCode))
		if err != nil {
			return civicgrid.Proposal{}, err
		}
		if n > 0 {
			needed = max(1, (n*s.cfg.SupportShare+99)/100)
		}
	}
	p := civicgrid.Proposal{AreaCode: in.AreaCode, Title: strings.TrimSpace(in.Title), Body: strings.TrimSpace(in.Body),
		Status: civicgrid.ProposalOpen, AuthorID: actor.UserID, Author: civicgrid.MaskName(actor.Name), SupportNeeded: needed, CreatedAt: now,
		CourtyardScope: yard}
	return s.store.CreateProposal(ctx, p, event(actor, civicgrid.CogovProposed, now))
}

// ProposalView is a proposal as its reader sees it.
type ProposalView struct {
	civicgrid.Proposal
	Supported  bool                   `json:"supported"`   // the reader supports it
	CanSupport bool                   `json:"can_support"` // the reader may support it now
	Moderate   bool                   `json:"can_moderate"`
	History    []civicgrid.CogovEvent `json:"history"`
	// Meetings that took it up, with their decision once published.
	Meetings []civicgrid.ProposalMeeting `json:"meetings"`
}

// Proposal returns a proposal the actor may read, with its history.
func (s *Service) Proposal(ctx context.Context, actor civicgrid.Actor, id int64) (ProposalView, error) {
	p, err := s.readable(ctx, actor, id)
	if err != nil {
		return ProposalView{}, err
	}
	v := ProposalView{Proposal: p}
	if v.Supported, err = s.store.HasSupported(ctx, id, actor.UserID); err != nil {
		return v, err
	}
	v.CanSupport = p.Status == civicgrid.ProposalOpen && !v.Supported && p.AuthorID != actor.UserID &&
		civicgrid.Authorize(actor, civicgrid.ActionSupportProposal, p.Object()) == nil
	v.Moderate = civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, p.Object()) == nil
	if v.Meetings, err = s.store.ProposalMeetings(ctx, id); err != nil {
		return v, err
	}
	if v.Meetings == nil {
		v.Meetings = []civicgrid.ProposalMeeting{}
	}
	v.History, err = s.store.CogovEvents(ctx, civicgrid.ProposalSubject(id)) // actors are stored as masked labels
	return v, err
}

// readable returns the proposal or ENOTFOUND when the actor may not read
// it (so ids reveal nothing).
func (s *Service) readable(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Proposal, error) {
	return readableByID(ctx, actor, id, s.store.ProposalByID, "proposal")
}

// readableByID reads one proposal, vote or meeting and returns it, or
// ENOTFOUND naming what when the actor may not read it.
func readableByID[T interface{ Object() civicgrid.Object }](ctx context.Context, actor civicgrid.Actor, id int64,
	byID func(context.Context, int64) (T, error), what string) (T, error) {
	v, err := byID(ctx, id)
	if err != nil {
		return v, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCogov, v.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return v, err
		}
		return v, civicgrid.Errorf(civicgrid.ENOTFOUND, "no %s %d", what, id)
	}
	return v, nil
}

// ListLimit bounds a list.
const ListLimit = 100

// Proposals lists the proposals the actor may read, newest first.
func (s *Service) Proposals(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Proposal, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	ps, err := s.store.Proposals(ctx, within, exact, ListLimit)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ps, func(p civicgrid.Proposal) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, p.Object()) != nil
	}), nil
}

// Support records the actor's support (附议) of a proposal.
func (s *Service) Support(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Proposal, error) {
	p, err := s.readable(ctx, actor, id)
	if err != nil {
		return p, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionSupportProposal, p.Object()); err != nil {
		return p, err
	}
	if p.AuthorID == actor.UserID {
		return p, civicgrid.Errorf(civicgrid.ECONFLICT, "you proposed this matter: support comes from others")
	}
	return s.store.AddSupport(ctx, id, actor.UserID, event(actor, civicgrid.CogovSupported, s.now()))
}

// Decisions staff take on a proposal.
const (
	DecisionAccept  = "accept"  // onto the agenda
	DecisionDecline = "decline" // with a reason everyone sees
	DecisionMerge   = "merge"   // into another proposal, with a reason (MergeProposal)
)

// MergeProposal merges a proposal (open or on the agenda) into another of
// its scope or a wider one, with a reason everyone reads: its supporters
// and author support the other from then on (each once; the other's author
// is not their own supporter), which may put it onto the agenda.
func (s *Service) MergeProposal(ctx context.Context, actor civicgrid.Actor, id, into int64, reason string) (civicgrid.Proposal, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxDeclineReason {
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "a merge needs a reason of 1 to %d characters, which everyone in the scope will see", civicgrid.MaxDeclineReason)
	}
	if into <= 0 {
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "say which proposal it is merged into")
	}
	for _, pid := range []int64{id, into} {
		p, err := s.readable(ctx, actor, pid)
		if err != nil {
			return p, err
		}
		if err := civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, p.Object()); err != nil {
			return p, err
		}
	}
	ev := event(actor, civicgrid.CogovMerged, s.now())
	return s.store.MergeProposal(ctx, id, into, reason, ev)
}

// UnmergeProposal undoes a merge, with a reason everyone reads: the
// merged proposal goes back to where it was (open, or on the agenda) with
// its own supports, and the supports the merge carried leave the other —
// only those (people who supported the other by themselves keep their
// support). The other keeps its status: one put on the agenda stays there.
// Refused (409) when the other is being voted on or decided, or the merge
// predates the record of carried supports.
func (s *Service) UnmergeProposal(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Proposal, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxDeclineReason {
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "undoing a merge needs a reason of 1 to %d characters, which everyone in the scope will see", civicgrid.MaxDeclineReason)
	}
	p, err := s.readable(ctx, actor, id)
	if err != nil {
		return p, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, p.Object()); err != nil {
		return p, err
	}
	if p.Status != civicgrid.ProposalMerged {
		return p, civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s, not merged", id, p.Status)
	}
	// Where it was, from its merge event (merges before this was kept:
	// on the agenda if its own supports reach its threshold), and how many
	// supports the merge carried, from the other's.
	was := civicgrid.ProposalOpen
	if p.Supports >= p.SupportNeeded {
		was = civicgrid.ProposalAgenda
	}
	evs, err := s.store.CogovEvents(ctx, civicgrid.ProposalSubject(id))
	if err != nil {
		return p, err
	}
	for _, ev := range evs {
		if ev.Action == civicgrid.CogovMerged && ev.Data["was"] != "" {
			was = civicgrid.ProposalStatus(ev.Data["was"])
		}
	}
	carried := 0
	if evs, err = s.store.CogovEvents(ctx, civicgrid.ProposalSubject(p.MergedInto)); err != nil {
		return p, err
	}
	for _, ev := range evs {
		if ev.Action == civicgrid.CogovMergedIn && ev.Data["from"] == strconv.FormatInt(id, 10) {
			carried, _ = strconv.Atoi(ev.Data["supports_added"])
		}
	}
	return s.store.UnmergeProposal(ctx, id, reason, was, carried, event(actor, civicgrid.CogovUnmerged, s.now()))
}

// Moderate accepts a proposal onto the agenda or declines it with a reason.
func (s *Service) Moderate(ctx context.Context, actor civicgrid.Actor, id int64, decision, reason string) (civicgrid.Proposal, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case decision == DecisionMerge:
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "a merge names the proposal it goes into: {\"decision\":\"merge\",\"into\":ID,\"reason\":…}")
	case decision != DecisionAccept && decision != DecisionDecline:
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "decision is accept, merge or decline, not %q", decision)
	case decision == DecisionDecline && reason == "":
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "a declined proposal needs a reason, which everyone in the scope will see")
	case utf8.RuneCountInString(reason) > civicgrid.MaxDeclineReason:
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.EINVALID, "the reason has at most %d characters", civicgrid.MaxDeclineReason)
	}
	p, err := s.readable(ctx, actor, id)
	if err != nil {
		return p, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, p.Object()); err != nil {
		return p, err
	}
	if p.Status != civicgrid.ProposalOpen {
		return p, civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: only an open proposal is accepted or declined", id, p.Status)
	}
	to, action := civicgrid.ProposalAgenda, civicgrid.CogovOnAgenda
	if decision == DecisionDecline {
		to, action = civicgrid.ProposalDeclined, civicgrid.CogovDeclined
	}
	ev := event(actor, action, s.now())
	ev.Note = reason
	return s.store.SetProposalStatus(ctx, id, civicgrid.ProposalOpen, to, reason, ev)
}

// OpenVote opens a vote (on a proposal on the agenda, or on a question of
// its own) and freezes its roll.
func (s *Service) OpenVote(ctx context.Context, actor civicgrid.Actor, in civicgrid.VoteInput) (civicgrid.Vote, error) {
	now := s.now()
	var yard civicgrid.CourtyardScope
	if in.ProposalID != 0 && in.CourtyardID == 0 {
		p, err := s.readable(ctx, actor, in.ProposalID)
		if err != nil {
			return civicgrid.Vote{}, err
		}
		if in.AreaCode == "" || in.AreaCode == p.AreaCode { // the proposal's scope, its courtyard included
			in.AreaCode, yard = p.AreaCode, p.CourtyardScope
		}
		if in.Question == "" {
			in.Question = p.Title
		}
	} else {
		var err error
		if in.AreaCode, yard, err = s.courtyardScope(ctx, actor, in.CourtyardID, in.AreaCode); err != nil {
			return civicgrid.Vote{}, err
		}
	}
	v, err := in.Check(now)
	if err != nil {
		return v, err
	}
	v.CourtyardScope = yard
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return v, err
	}
	if err := s.checkArea(ctx, v.AreaCode); err != nil {
		return v, err
	}
	v.CreatedBy = actor.UserID
	return s.store.OpenVote(ctx, v, civicgrid.DefaultRollRoles, event(actor, civicgrid.CogovVoteOpened, now))
}

// VoteView is a vote as its reader sees it.
type VoteView struct {
	civicgrid.Vote
	OnRoll bool `json:"on_roll"` // the reader is on the roll
	Voted  bool `json:"voted"`   // and has voted
	// HouseholdVoted: in a household vote, the reader's household has
	// voted (by them or another member).
	HouseholdVoted bool `json:"household_voted,omitempty"`
	CanVote        bool `json:"can_vote"`
	CanManage      bool `json:"can_manage"`
	// InNotice: the result is within its public notice period (公示期).
	InNotice bool                   `json:"in_notice"`
	History  []civicgrid.CogovEvent `json:"history"`
}

func (s *Service) readableVote(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Vote, error) {
	return readableByID(ctx, actor, id, s.store.VoteByID, "vote")
}

// Vote returns a vote the actor may read.
func (s *Service) Vote(ctx context.Context, actor civicgrid.Actor, id int64) (VoteView, error) {
	v, err := s.readableVote(ctx, actor, id)
	if err != nil {
		return VoteView{}, err
	}
	view := VoteView{Vote: v}
	if view.OnRoll, view.Voted, err = s.store.RollEntry(ctx, id, actor.UserID); err != nil {
		return view, err
	}
	if (v.Electorate == civicgrid.ElectorateHousehold || v.Electorate == civicgrid.ElectorateOwners) && view.OnRoll {
		if view.HouseholdVoted, err = s.store.HouseholdVoted(ctx, id, actor.UserID); err != nil {
			return view, err
		}
	}
	now := s.now()
	view.CanVote = view.OnRoll && !view.Voted && !view.HouseholdVoted && v.Accepting(now) && civicgrid.Authorize(actor, civicgrid.ActionCastBallot, s.ballotObject(v, actor, true)) == nil
	view.CanManage = civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()) == nil
	view.InNotice = v.Status == civicgrid.VoteClosed && now.Before(v.NoticeUntil)
	view.History, err = s.store.CogovEvents(ctx, civicgrid.VoteSubject(id))
	return view, err
}

// Votes lists the votes the actor may read, newest first.
func (s *Service) Votes(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Vote, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	vs, err := s.store.Votes(ctx, within, exact, ListLimit)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(vs, func(v civicgrid.Vote) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, v.Object()) != nil
	}), nil
}

// VoteItem is a vote of a list with whether the reader may cast a ballot
// in it now.
type VoteItem struct {
	civicgrid.Vote
	CanVote bool `json:"can_vote"`
}

// VoteList lists the votes the actor may read, newest first, each with
// whether they may vote in it now: one query for the votes and one for the
// reader's entries on the open ones' rolls.
func (s *Service) VoteList(ctx context.Context, actor civicgrid.Actor) ([]VoteItem, error) {
	vs, err := s.Votes(ctx, actor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var open []int64
	for _, v := range vs {
		if v.Accepting(now) {
			open = append(open, v.ID)
		}
	}
	marks, err := s.store.RollMarks(ctx, actor.UserID, open)
	if err != nil {
		return nil, err
	}
	out := make([]VoteItem, len(vs))
	for i, v := range vs {
		out[i].Vote = v
		m, onRoll := marks[v.ID]
		out[i].CanVote = onRoll && !m.Voted && !m.HouseholdVoted && v.Accepting(now) &&
			civicgrid.Authorize(actor, civicgrid.ActionCastBallot, s.ballotObject(v, actor, true)) == nil
	}
	return out, nil
}

func (s *Service) ballotObject(v civicgrid.Vote, actor civicgrid.Actor, onRoll bool) civicgrid.Object {
	obj := v.Object()
	obj.Electors = []int64{}
	if onRoll {
		obj.Electors = []int64{actor.UserID}
	}
	return obj
}

// Cast puts the actor's ballot in the box and returns their receipt code,
// shown once: with it they can check their ballot is counted.
func (s *Service) Cast(ctx context.Context, actor civicgrid.Actor, id int64, choices []string) (string, error) {
	v, err := s.readableVote(ctx, actor, id)
	if err != nil {
		return "", err
	}
	// One read of the roll entry gives both whether the person is on it
	// and on which channel they voted (RollEntry and RollChannel were two).
	channel, err := s.store.RollChannel(ctx, id, actor.UserID)
	onRoll := err == nil
	if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		return "", err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionCastBallot, s.ballotObject(v, actor, onRoll)); err != nil {
		if onRoll {
			return "", err
		}
		return "", civicgrid.Errorf(civicgrid.EFORBIDDEN, "you are not on the roll of vote %d, frozen when it opened", id)
	}
	choices, err = v.CheckChoices(choices)
	if err != nil {
		return "", err
	}
	if !v.Accepting(s.now()) {
		return "", civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed: it takes no more ballots", id)
	}
	if channel == civicgrid.ChannelPaper {
		return "", civicgrid.Errorf(civicgrid.ECONFLICT, "you voted in vote %d on paper at the ballot box already: one ballot per person, on any channel", id)
	}
	code, hash := civicgrid.NewReceipt()
	if err := s.store.CastBallot(ctx, id, actor.UserID, civicgrid.Ballot{ReceiptHash: hash, Choices: choices}, s.now()); err != nil {
		return "", err
	}
	return code, nil
}

// CheckReceipt tells whether the ballot of a receipt is in the box, and
// what it says (to whoever holds the receipt).
func (s *Service) CheckReceipt(ctx context.Context, actor civicgrid.Actor, id int64, receipt string) (civicgrid.Ballot, error) {
	if _, err := s.readableVote(ctx, actor, id); err != nil {
		return civicgrid.Ballot{}, err
	}
	if strings.TrimSpace(receipt) == "" || len(receipt) > 64 {
		return civicgrid.Ballot{}, civicgrid.Errorf(civicgrid.EINVALID, "give the receipt code printed after voting")
	}
	return s.store.BallotByReceipt(ctx, id, civicgrid.ReceiptHash(receipt))
}

// Close closes a vote, counts it and publishes the result for the notice
// period.
func (s *Service) Close(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Vote, error) {
	v, err := s.readableVote(ctx, actor, id)
	if err != nil {
		return v, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageVote, v.Object()); err != nil {
		return v, err
	}
	if err := s.noPendingPaper(ctx, id); err != nil {
		return v, err
	}
	now := s.now()
	until, err := s.noticeEnd(now, v.NoticeDays)
	if err != nil {
		return v, err
	}
	defer s.nudge()
	return s.store.CloseVote(ctx, id, now, until, event(actor, civicgrid.CogovVoteClosed, now))
}

// noticeEnd is the end of a result's public notice: days working days on
// the working calendar from the close (without a calendar, weekdays).
func (s *Service) noticeEnd(from time.Time, days int) (time.Time, error) {
	if s.cfg.Calendar != nil {
		return s.cfg.Calendar.Deadline(from, strconv.Itoa(days)+"wd")
	}
	end := from
	for days > 0 {
		end = end.AddDate(0, 0, 1)
		if wd := end.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days--
		}
	}
	return end, nil
}

// Ballots returns a closed vote's ballots, for anyone in scope to recount;
// an open vote's ballots stay sealed.
func (s *Service) Ballots(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.Ballot, error) {
	v, err := s.readableVote(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if v.Status != civicgrid.VoteClosed {
		return nil, civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is open: its ballots are published when it closes", id)
	}
	return s.store.Ballots(ctx, id)
}

// Notices is the public notice board (公示栏) of an area: the results of
// closed votes in its subtree or above it (its community, street) whose
// notice period runs now, newest first. It is public, as a board at the
// door is: it shows questions, options and counts, never who voted or
// who did what.
func (s *Service) Notices(ctx context.Context, area string) ([]civicgrid.Vote, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	vs, err := s.store.Votes(ctx, []string{area}, civicgrid.AncestorCodes(area), ListLimit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return slices.DeleteFunc(vs, func(v civicgrid.Vote) bool {
		return v.Status != civicgrid.VoteClosed || !now.Before(v.NoticeUntil) || !v.OnBoard(area)
	}), nil
}

// NotifySourceName names the notifications' cursor over the co-governance
// log.
const NotifySourceName = "cogovernance"

// NotifySource is the notifications' reader of the co-governance log: the
// people on a vote's roll hear that it opened, those on a meeting's roll
// that it was scheduled, moved or cancelled, an author that their
// proposal went onto the agenda or was declined (with the reason). Nobody
// hears of their own step.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		evs, err := s.store.CogovEventsAfter(ctx, cursor, limit)
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		for _, ev := range evs {
			kind, id, _ := strings.Cut(ev.Subject, ":")
			n, _ := strconv.ParseInt(id, 10, 64)
			source := "cogov_event:" + strconv.FormatInt(ev.ID, 10)
			add := func(user int64, what, link string, args ...string) {
				if user != 0 && user != ev.ActorID {
					out = append(out, notify.Draft{UserID: user, Kind: what, Source: source, Link: link, Args: args})
				}
			}
			switch {
			case kind == "vote" && ev.Action == civicgrid.CogovVoteOpened:
				v, err := s.store.VoteByID(ctx, n)
				if err != nil {
					return nil, cursor, err
				}
				roll, err := s.store.Roll(ctx, n)
				if err != nil {
					return nil, cursor, err
				}
				for _, u := range roll {
					add(u, "cogov.vote_opened", "/votes/"+id, "question", v.Question)
				}
			case kind == "meeting":
				if err := s.meetingDrafts(ctx, ev, n, add); err != nil {
					return nil, cursor, err
				}
			case kind == "election":
				if err := s.electionDrafts(ctx, ev, n, add); err != nil {
					return nil, cursor, err
				}
			case kind == "proposal" && (ev.Action == civicgrid.CogovOnAgenda || ev.Action == civicgrid.CogovDeclined):
				p, err := s.store.ProposalByID(ctx, n)
				if err != nil {
					return nil, cursor, err
				}
				what := map[string]string{civicgrid.CogovOnAgenda: "cogov.on_agenda", civicgrid.CogovDeclined: "cogov.declined"}[ev.Action]
				add(p.AuthorID, what, "/proposals/"+id, "title", p.Title, "reason", ev.Note)
			}
		}
		return out, evs[len(evs)-1].ID, nil
	}}
}
