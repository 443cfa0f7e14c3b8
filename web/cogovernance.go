package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Cogov is what the co-governance pages need (cogovern.Service has it);
// it asks Authorize for every step.
type Cogov interface {
	MergeProposal(ctx context.Context, actor civicgrid.Actor, id, into int64, reason string) (civicgrid.Proposal, error)
	VoteList(ctx context.Context, actor civicgrid.Actor) ([]cogovern.VoteItem, error)
	SaveCourtyard(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.CourtyardInput) (civicgrid.Courtyard, error)
	CourtyardDetail(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.CourtyardView, error)
	Courtyards(ctx context.Context, actor civicgrid.Actor, community string) ([]civicgrid.Courtyard, error)
	CourtyardsFor(ctx context.Context, actor civicgrid.Actor, action civicgrid.Action) ([]civicgrid.Courtyard, error)
	Households(ctx context.Context, actor civicgrid.Actor, building string) ([]civicgrid.Household, error)
	MyHousehold(ctx context.Context, actor civicgrid.Actor) (civicgrid.Household, error)
	ImportHouseholds(ctx context.Context, actor civicgrid.Actor, building string, rows []civicgrid.HouseholdRow) (int, error)
	Proposals(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Proposal, error)
	Propose(ctx context.Context, actor civicgrid.Actor, in cogovern.ProposalInput) (civicgrid.Proposal, error)
	Proposal(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.ProposalView, error)
	Support(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Proposal, error)
	Moderate(ctx context.Context, actor civicgrid.Actor, id int64, decision, reason string) (civicgrid.Proposal, error)
	Votes(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Vote, error)
	OpenVote(ctx context.Context, actor civicgrid.Actor, in civicgrid.VoteInput) (civicgrid.Vote, error)
	Vote(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.VoteView, error)
	Cast(ctx context.Context, actor civicgrid.Actor, id int64, choices []string) (string, error)
	CheckReceipt(ctx context.Context, actor civicgrid.Actor, id int64, receipt string) (civicgrid.Ballot, error)
	Close(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Vote, error)
	Notices(ctx context.Context, area string) ([]civicgrid.Vote, error)
	Meetings(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Meeting, error)
	ScheduleMeeting(ctx context.Context, actor civicgrid.Actor, in civicgrid.MeetingInput) (civicgrid.Meeting, error)
	Meeting(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.MeetingView, error)
	SignIn(ctx context.Context, actor civicgrid.Actor, id int64, code string) (cogovern.MeetingView, error)
	MarkAttended(ctx context.Context, actor civicgrid.Actor, id, userID int64) (cogovern.MeetingView, error)
	PublishMinutes(ctx context.Context, actor civicgrid.Actor, id int64, in cogovern.MinutesInput) (cogovern.MeetingView, error)
	Projects // cogov_project.go
}

// now is the pages' clock (Config.Now, else the time).
func (ui *UI) now() time.Time {
	if ui.cfg.Now != nil {
		return ui.cfg.Now()
	}
	return time.Now()
}

// cogovView is what the co-governance pages show.
type cogovView struct {
	View      string // list, proposal, vote
	Proposals []proposalRow
	Votes     []voteRow
	Scopes    []scopeOption // where the reader may propose
	Boards    []scopeOption // the public notice boards of the reader's communities
	// VoteScopes are where the reader (staff) may open a vote of their own
	// question or an election.
	VoteScopes []scopeOption
	Proposal   *cogovern.ProposalView
	AreaName   string
	VoteOf     []voteRow // the proposal's votes
	Vote       *cogovern.VoteView
	// Receipt is the code shown once after casting; Checked the ballot a
	// receipt check found.
	Receipt string
	Checked *civicgrid.Ballot
	// Turnout is the result's share of the roll that voted, in percent.
	Turnout string
	Rules   []string
	// NoticeDays are the public notice periods offered, in working days.
	NoticeDays []int
	CSRF       string
	// Meetings (议事会) of the reader's scopes; MeetingScopes where the
	// reader (staff) may schedule one, from the proposals on the agenda
	// (AgendaChoices).
	Meetings      []meetingRow
	MeetingScopes []scopeOption
	// BoardMeetings are the published minutes on a notice board
	// (cogov_meeting.go).
	BoardMeetings []meetingRow
	// KeepsYards: the reader keeps a community's courtyards (院落).
	KeepsYards bool
	// MergeChoices are the proposals staff may merge the one shown into
	// (open or on the agenda, of its scope or a wider one).
	MergeChoices  []civicgrid.Proposal
	AgendaChoices []proposalRow
	Meeting       *cogovern.MeetingView
	Decisions     []string // the decisions minutes take on an item
	// Elect is the voting side's (cogov_election.go): objections, paper
	// ballots, elections.
	Elect *electionView
	// Proj holds the projects and comments of a page (cogov_project.go).
	Proj *projectView
	// Poll is a score or ranked poll's ballot (cogov_poll.go); Draft the
	// ranked ballot's order tapped so far.
	Poll  *pollView
	Draft []string
}

type meetingRow struct {
	civicgrid.Meeting
	AreaName string
}

type proposalRow struct {
	civicgrid.Proposal
	AreaName string
}

type voteRow struct {
	civicgrid.Vote
	AreaName string
	InNotice bool
	// CanVote: the reader is on an open vote's roll and has not voted
	// (the list asked only them to vote; staff saw "vote" too).
	CanVote bool
}

type scopeOption struct{ Code, Name string }

func (ui *UI) registerCogov(mux *http.ServeMux) {
	if ui.cfg.Cogov == nil {
		return
	}
	ui.registerProjects(mux)
	mux.HandleFunc("GET /proposals", ui.handleProposals)
	mux.HandleFunc("POST /proposals", ui.handleProposeForm)
	mux.HandleFunc("GET /proposals/{id}", ui.handleProposalPage)
	mux.HandleFunc("POST /proposals/{id}/support", ui.cogovStep("/proposals/", "supported", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := ui.cfg.Cogov.Support(ctx, a, id)
		return err
	}))
	mux.HandleFunc("POST /proposals/{id}/moderate", ui.cogovStep("/proposals/", "moderated", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		if f.Get("decision") == cogovern.DecisionMerge {
			into, _ := strconv.ParseInt(f.Get("into"), 10, 64)
			_, err := ui.cfg.Cogov.MergeProposal(ctx, a, id, into, f.Get("reason"))
			return err
		}
		_, err := ui.cfg.Cogov.Moderate(ctx, a, id, f.Get("decision"), f.Get("reason"))
		return err
	}))
	mux.HandleFunc("POST /proposals/{id}/vote", ui.handleOpenVoteForm)
	mux.HandleFunc("POST /votes", ui.handleNewVoteForm)
	mux.HandleFunc("GET /votes/{id}", ui.handleVotePage)
	mux.HandleFunc("GET /notices/{code}", ui.handleNoticeBoard)
	mux.HandleFunc("POST /votes/{id}/ballot", ui.handleBallotForm)
	mux.HandleFunc("POST /votes/{id}/receipt", ui.handleReceiptForm)
	mux.HandleFunc("POST /meetings", ui.handleScheduleForm)
	mux.HandleFunc("GET /meetings/{id}", ui.handleMeetingPage)
	mux.HandleFunc("POST /meetings/{id}/signin", ui.cogovStep("/meetings/", "signed_in", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := ui.cfg.Cogov.SignIn(ctx, a, id, f.Get("code"))
		return err
	}))
	mux.HandleFunc("POST /meetings/{id}/attendance", ui.cogovStep("/meetings/", "ticked", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		user, _ := strconv.ParseInt(f.Get("user_id"), 10, 64)
		_, err := ui.cfg.Cogov.MarkAttended(ctx, a, id, user)
		return err
	}))
	mux.HandleFunc("POST /meetings/{id}/minutes", ui.cogovStep("/meetings/", "minutes", ui.minutesForm))
	mux.HandleFunc("POST /votes/{id}/close", ui.cogovStep("/votes/", "closed", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := ui.cfg.Cogov.Close(ctx, a, id)
		return err
	}))
	ui.registerElections(mux)
	ui.registerHouseholds(mux)
	ui.registerCourtyards(mux)
	ui.registerMeetingExtras(mux)
}

func proposalPath(id int64) string { return "/proposals/" + strconv.FormatInt(id, 10) }
func votePath(id int64) string     { return "/votes/" + strconv.FormatInt(id, 10) }

// cogovForm reads a form of a logged-in person (its CSRF token was
// checked before the handler ran) and the path's id.
func cogovForm(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, int64, bool) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return actor, 0, false
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return actor, id, true
}

// cogovStep runs a step and goes back to the object's page with its
// outcome.
func (ui *UI) cogovStep(base, done string, step func(context.Context, civicgrid.Actor, int64, url.Values) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := cogovForm(w, r)
		if !ok {
			return
		}
		backTo(w, r, base+strconv.FormatInt(id, 10), done, step(r.Context(), actor, id, r.PostForm))
	}
}

// backTo sends the browser back to path (which may carry a query) with the outcome of a form: done,
// or the failure's code and message, which the page turns into its flash.
func backTo(w http.ResponseWriter, r *http.Request, path, done string, err error) {
	q := url.Values{}
	if err != nil {
		msg := civicgrid.EINTERNAL
		var ce *civicgrid.Error
		if errors.As(err, &ce) && civicgrid.ErrorCode(err) != civicgrid.EINTERNAL {
			msg = ce.Message
		} else {
			slog.Error("form", "path", r.URL.Path, "err", err)
		}
		q.Set("failed", civicgrid.ErrorCode(err))
		q.Set("detail", msg)
	} else {
		q.Set("done", done)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&" // the path names its own query (an area picked)
	}
	http.Redirect(w, r, path+sep+q.Encode()+"#flash", http.StatusSeeOther)
}

// cogovFlash turns the outcome in the query into the page's flash.
func cogovFlash(p *page, q url.Values) {
	if p.failedFlash(q, "cogov.failed_") {
		return
	}
	if done := q.Get("done"); done != "" {
		p.Flash = p.catalogue["cogov.done_"+done]
	}
}

func (ui *UI) cogovPage(w http.ResponseWriter, r *http.Request, view string) (*page, civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return nil, actor, false
	}
	p := ui.newPage(w, r)
	p.Cogov = &cogovView{View: view, CSRF: actor.CSRFToken}
	cogovFlash(p, r.URL.Query())
	return p, actor, true
}

// handleProposals serves /proposals: the matters of the reader's scopes,
// open votes and results under public notice, and the form to propose.
func (ui *UI) handleProposals(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "list")
	if !ok {
		return
	}
	ctx := r.Context()
	ps, err := ui.cfg.Cogov.Proposals(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	vs, err := ui.cfg.Cogov.VoteList(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, x := range ps {
		p.Cogov.Proposals = append(p.Cogov.Proposals, proposalRow{x, scopeLabel(names, x.AreaCode, x.CourtyardScope)})
	}
	now := ui.now()
	for _, v := range vs {
		row := voteRow{Vote: v.Vote, AreaName: scopeLabel(names, v.AreaCode, v.CourtyardScope), InNotice: v.Status == civicgrid.VoteClosed && now.Before(v.NoticeUntil),
			CanVote: v.CanVote}
		p.Cogov.Votes = append(p.Cogov.Votes, row)
	}
	for _, code := range proposalScopes(actor) {
		if civicgrid.Authorize(actor, civicgrid.ActionPropose, civicgrid.In(code)) == nil {
			p.Cogov.Scopes = append(p.Cogov.Scopes, scopeOption{code, names(code)})
		}
		if len(code) == 12 {
			p.Cogov.Boards = append(p.Cogov.Boards, scopeOption{code, names(code)})
		}
		if civicgrid.Authorize(actor, civicgrid.ActionManageVote, civicgrid.In(code)) == nil {
			p.Cogov.VoteScopes = append(p.Cogov.VoteScopes, scopeOption{code, names(code)})
		}
		if civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, civicgrid.In(code)) == nil {
			p.Cogov.MeetingScopes = append(p.Cogov.MeetingScopes, scopeOption{code, names(code)})
		}
	}
	p.Cogov.Scopes = append(p.Cogov.Scopes, ui.courtyardChoices(ctx, p, actor, civicgrid.ActionPropose, names)...)
	p.Cogov.KeepsYards = len(keptCommunities(actor)) > 0
	if p.Cogov.VoteScopes != nil {
		p.Cogov.VoteScopes = append(p.Cogov.VoteScopes, ui.courtyardChoices(ctx, p, actor, civicgrid.ActionManageVote, names)...)
	}
	if p.Cogov.MeetingScopes != nil {
		p.Cogov.MeetingScopes = append(p.Cogov.MeetingScopes, ui.courtyardChoices(ctx, p, actor, civicgrid.ActionManageMeeting, names)...)
	}
	if p.Cogov.MeetingScopes != nil {
		for _, x := range p.Cogov.Proposals {
			if x.Status == civicgrid.ProposalAgenda && civicgrid.Authorize(actor, civicgrid.ActionManageMeeting, x.Object()) == nil {
				p.Cogov.AgendaChoices = append(p.Cogov.AgendaChoices, x)
			}
		}
	}
	ms, err := ui.cfg.Cogov.Meetings(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, m := range ms {
		p.Cogov.Meetings = append(p.Cogov.Meetings, meetingRow{m, scopeLabel(names, m.AreaCode, m.CourtyardScope)})
	}
	ui.voteFormChoices(p)
	p.Title = p.catalogue["cogov.title"]
	ui.render(w, http.StatusOK, "cogovernance", p)
}

// proposalScopes are the buildings, communities and streets of the
// actor's grants, from the nearest up.
func proposalScopes(a civicgrid.Actor) []string {
	var out []string
	for _, g := range a.Grants {
		for _, n := range []int{19, 12, 9} {
			if len(g.AreaCode) >= n && !slices.Contains(out, g.AreaCode[:n]) {
				out = append(out, g.AreaCode[:n])
			}
		}
	}
	return out
}

func (ui *UI) handleProposeForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	area, yard := formScope(f.Get("area_code"))
	pr, err := ui.cfg.Cogov.Propose(r.Context(), actor, cogovern.ProposalInput{AreaCode: area, CourtyardID: yard, Title: f.Get("title"), Body: f.Get("body")})
	if err != nil {
		backTo(w, r, "/proposals", "", err)
		return
	}
	backTo(w, r, proposalPath(pr.ID), "proposed", nil)
}

// handleProposalPage serves /proposals/{id}: the matter, its support and
// history, and the steps the reader may take.
func (ui *UI) handleProposalPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "proposal")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := ui.cfg.Cogov.Proposal(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	p.Cogov.Proposal = &v
	if err := ui.proposalDiscussion(r, p, actor, v); err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	p.Cogov.AreaName = scopeLabel(names, v.AreaCode, v.CourtyardScope)
	if v.Moderate && (v.Status == civicgrid.ProposalOpen || v.Status == civicgrid.ProposalAgenda) {
		ps, err := ui.cfg.Cogov.Proposals(r.Context(), actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, x := range ps {
			if x.ID != id && (x.Status == civicgrid.ProposalOpen || x.Status == civicgrid.ProposalAgenda) &&
				v.CourtyardScope.Within(v.AreaCode, x.CourtyardScope, x.AreaCode) && civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, x.Object()) == nil {
				p.Cogov.MergeChoices = append(p.Cogov.MergeChoices, x)
			}
		}
	}
	vs, err := ui.cfg.Cogov.Votes(r.Context(), actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, x := range vs {
		if x.ProposalID == id {
			p.Cogov.VoteOf = append(p.Cogov.VoteOf, voteRow{Vote: x})
		}
	}
	ui.voteFormChoices(p)
	p.Title = v.Title
	ui.render(w, http.StatusOK, "cogovernance", p)
}

// cogovFailed shows a refused read: not found (or outside one's scope).
func (ui *UI) cogovFailed(w http.ResponseWriter, r *http.Request, p *page, err error) {
	switch civicgrid.ErrorCode(err) {
	case civicgrid.ENOTFOUND, civicgrid.EFORBIDDEN:
		p.Title = p.catalogue["cogov.not_found"]
		p.Message = p.catalogue["cogov.not_found"]
		ui.render(w, http.StatusNotFound, "find", p)
	default:
		ui.renderError(w, r, p, err)
	}
}

func (ui *UI) handleOpenVoteForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	hours, _ := strconv.Atoi(r.PostForm.Get("hours"))
	notice, _ := strconv.Atoi(r.PostForm.Get("notice_days"))
	v, err := ui.cfg.Cogov.OpenVote(r.Context(), actor, civicgrid.VoteInput{ProposalID: id, Method: civicgrid.MethodYesNo,
		Rule: r.PostForm.Get("rule"), Hours: hours, NoticeDays: notice, Electorate: civicgrid.Electorate(r.PostForm.Get("electorate"))})
	if err != nil {
		backTo(w, r, proposalPath(id), "", err)
		return
	}
	backTo(w, r, votePath(v.ID), "opened", nil)
}

// handleVotePage serves /votes/{id}: the ballot while the reader may vote,
// the receipt check, and the published result once closed.
func (ui *UI) handleVotePage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "vote")
	if !ok {
		return
	}
	ui.renderVote(w, r, p, actor)
}

func (ui *UI) renderVote(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := ui.cfg.Cogov.Vote(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	p.Cogov.Vote = &v
	p.Cogov.AreaName = scopeLabel(ui.areaNames(r), v.AreaCode, v.CourtyardScope)
	if v.Method.IsPoll() {
		p.Cogov.Poll = newPollView(v.Vote, p.Cogov.Draft)
	}
	ui.fillDecision(r, p, actor, id)
	if v.Result != nil && v.Result.RollSize > 0 {
		p.Cogov.Turnout = strconv.FormatFloat(float64(v.Result.Ballots)*100/float64(v.Result.RollSize), 'f', 1, 64)
	}
	p.Title = v.Question
	ui.render(w, http.StatusOK, "cogovernance", p)
}

// handleBallotForm casts the ballot and shows the receipt on the answer
// itself (never in an address, never cached): it is shown this once.
func (ui *UI) handleBallotForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("poll") == string(civicgrid.MethodRanked) {
		if draft, step := rankStep(r.PostForm); step { // a tap of the ranked ballot: nothing is written
			p := ui.newPage(w, r)
			p.NoStore = true
			p.Cogov = &cogovView{View: "vote", CSRF: actor.CSRFToken, Draft: draft}
			ui.renderVote(w, r, p, actor)
			return
		}
	}
	receipt, err := ui.cfg.Cogov.Cast(r.Context(), actor, id, formChoices(r.PostForm))
	if err != nil {
		backTo(w, r, votePath(id), "", err)
		return
	}
	p := ui.newPage(w, r)
	p.NoStore = true
	p.Cogov = &cogovView{View: "vote", CSRF: actor.CSRFToken, Receipt: receipt}
	p.Flash = p.catalogue["cogov.done_voted"]
	ui.renderVote(w, r, p, actor)
}

// handleReceiptForm checks a receipt and shows the ballot counted under it.
func (ui *UI) handleReceiptForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	p.NoStore = true
	p.Cogov = &cogovView{View: "vote", CSRF: actor.CSRFToken}
	b, err := ui.cfg.Cogov.CheckReceipt(r.Context(), actor, id, r.PostForm.Get("receipt"))
	switch civicgrid.ErrorCode(err) {
	case "":
		p.Cogov.Checked = &b
	case civicgrid.ENOTFOUND, civicgrid.EINVALID:
		p.FlashError = p.catalogue["cogov.receipt_unknown"]
	default:
		ui.renderError(w, r, p, err)
		return
	}
	ui.renderVote(w, r, p, actor)
}

// voteFormChoices fills the choices of the forms that open a vote.
func (ui *UI) voteFormChoices(p *page) {
	for _, rule := range civicgrid.QuorumRules {
		p.Cogov.Rules = append(p.Cogov.Rules, rule.Name)
	}
	for _, rule := range civicgrid.OwnersQuorumRules { // the form's hint says which rules go with owners
		p.Cogov.Rules = append(p.Cogov.Rules, rule.Name)
	}
	p.Cogov.NoticeDays = []int{civicgrid.DefaultNoticeDays, 7, civicgrid.MaxNoticeDays}
}

// handleNewVoteForm opens a vote on a question of its own or an election
// (approval of the options listed one per line, with the number of seats).
func (ui *UI) handleNewVoteForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	hours, _ := strconv.Atoi(f.Get("hours"))
	notice, _ := strconv.Atoi(f.Get("notice_days"))
	winners, _ := strconv.Atoi(f.Get("winners"))
	area, yard := formScope(f.Get("area_code"))
	in := civicgrid.VoteInput{AreaCode: area, CourtyardID: yard, Question: f.Get("question"), Method: civicgrid.VoteMethod(f.Get("method")),
		Rule: f.Get("rule"), Hours: hours, NoticeDays: notice, Electorate: civicgrid.Electorate(f.Get("electorate"))}
	if in.Method == civicgrid.MethodApproval || in.Method.IsPoll() {
		if in.Method == civicgrid.MethodApproval {
			in.Winners = winners
		}
		for _, line := range strings.Split(f.Get("options"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				in.Options = append(in.Options, line)
			}
		}
	}
	v, err := ui.cfg.Cogov.OpenVote(r.Context(), actor, in)
	if err != nil {
		backTo(w, r, "/proposals", "", err)
		return
	}
	backTo(w, r, votePath(v.ID), "opened", nil)
}

func meetingPath(id int64) string { return "/meetings/" + strconv.FormatInt(id, 10) }

// handleScheduleForm schedules a meeting from the list page's form: scope,
// title, place, start (local time) and the proposals ticked for the agenda.
func (ui *UI) handleScheduleForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	area, yard := formScope(f.Get("area_code"))
	in := civicgrid.MeetingInput{AreaCode: area, CourtyardID: yard, Title: f.Get("title"), Place: f.Get("place"), InvitedPhones: invitedPhones(f.Get("invited_phones"))}
	if t, err := time.ParseInLocation("2006-01-02T15:04", f.Get("starts_at"), ui.location()); err == nil {
		in.StartsAt = t
	}
	for _, v := range f["agenda"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Agenda = append(in.Agenda, id)
		}
	}
	m, err := ui.cfg.Cogov.ScheduleMeeting(r.Context(), actor, in)
	if err != nil {
		backTo(w, r, "/proposals", "", err)
		return
	}
	backTo(w, r, meetingPath(m.ID), "scheduled", nil)
}

// handleMeetingPage serves /meetings/{id}: the agenda; for staff the door
// code, the roll to tick and the minutes form; for the invited the code
// form; once published the decisions and the quorum.
func (ui *UI) handleMeetingPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "meeting")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := ui.cfg.Cogov.Meeting(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	p.Cogov.Meeting = &v
	p.Cogov.Decisions = []string{civicgrid.ItemAdopted, civicgrid.ItemNotAdopted, civicgrid.ItemDeferred}
	if v.CanManage && v.Status == civicgrid.MeetingScheduled { // the minutes form uploads photos
		p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("upload."), CSRF: actor.CSRFToken}
	}
	p.Cogov.AreaName = scopeLabel(ui.areaNames(r), v.AreaCode, v.CourtyardScope)
	p.Title = v.Title
	ui.render(w, http.StatusOK, "cogovernance", p)
}

// minutesForm reads a decision_ID and note_ID per agenda item.
func (ui *UI) minutesForm(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
	in := cogovern.MinutesInput{Minutes: f.Get("minutes")}
	for _, ref := range f["photos"] {
		if ref = strings.TrimSpace(ref); ref != "" {
			in.Photos = append(in.Photos, ref)
		}
	}
	for _, v := range f["item"] {
		pid, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		in.Items = append(in.Items, civicgrid.AgendaItem{ProposalID: pid, Decision: f.Get("decision_" + v), Note: f.Get("note_" + v)})
	}
	_, err := ui.cfg.Cogov.PublishMinutes(ctx, a, id, in)
	return err
}
