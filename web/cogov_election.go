package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// The voting side's pages: objections on the notice board and the vote
// page, the paper-ballot entry for staff (two steps), and building-role
// elections (两长四员). The service (cogovern.Service) asks Authorize.

// CogovElections is what these pages need beside Cogov.
type CogovElections interface {
	Board(ctx context.Context, area string) ([]cogovern.Decision, error)
	VoteDecision(ctx context.Context, actor civicgrid.Actor, voteID int64) (cogovern.Decision, error)
	RaiseObjection(ctx context.Context, actor civicgrid.Actor, voteID int64, reason string) (civicgrid.Objection, error)
	DecideObjection(ctx context.Context, actor civicgrid.Actor, id int64, decision, response string) (civicgrid.Objection, error)
	MarkPaperVoter(ctx context.Context, actor civicgrid.Actor, voteID int64, phone string) error
	EnterPaperBallotArea(ctx context.Context, actor civicgrid.Actor, voteID int64, choices []string, witness, area string) (civicgrid.PaperEntry, error)
	ConfirmPaperBallot(ctx context.Context, actor civicgrid.Actor, voteID, entryID int64) error
	PaperEntries(ctx context.Context, actor civicgrid.Actor, voteID int64) ([]civicgrid.PaperEntry, error)
	CallElection(ctx context.Context, actor civicgrid.Actor, in civicgrid.ElectionInput) (civicgrid.Election, error)
	Election(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.ElectionView, error)
	Elections(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Election, error)
	Nominate(ctx context.Context, actor civicgrid.Actor, id int64, phone string) error
	AcceptNomination(ctx context.Context, actor civicgrid.Actor, id int64) error
	WithdrawNomination(ctx context.Context, actor civicgrid.Actor, id int64) error
	CancelElection(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Election, error)
	CallByElection(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Election, error)
	OpenElectionVote(ctx context.Context, actor civicgrid.Actor, id int64, in cogovern.ElectionVoteInput) (civicgrid.Election, error)
}

// electionView is what the voting side adds to the co-governance pages.
type electionView struct {
	Decision *cogovern.Decision
	// Board is each board result's standing and objections, by vote id.
	Board map[int64]cogovern.Decision
	// Paper: the vote's paper ballot entries (staff), and the reader's id
	// (an entry of one's own awaits another staff member).
	Paper    []civicgrid.PaperEntry
	Me       int64
	Election *cogovern.ElectionView
	List     []civicgrid.Election
	RoleName func(string) string
}

func (ui *UI) elections() CogovElections {
	e, _ := ui.cfg.Cogov.(CogovElections)
	return e
}

func (ui *UI) registerElections(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	el := ui.elections()
	if el == nil {
		return
	}
	mux.HandleFunc("POST /votes/{id}/objections", ui.cogovStep("/votes/", "objected", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := el.RaiseObjection(ctx, a, id, f.Get("reason"))
		return err
	}))
	mux.HandleFunc("POST /votes/{id}/objections/decide", ui.cogovStep("/votes/", "objection_decided", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		oid, _ := strconv.ParseInt(f.Get("objection"), 10, 64)
		_, err := el.DecideObjection(ctx, a, oid, f.Get("decision"), f.Get("response"))
		return err
	}))
	mux.HandleFunc("GET /votes/{id}/paper", ui.handlePaperPage)
	paperStep := func(done string, step func(context.Context, civicgrid.Actor, int64, url.Values) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			actor, id, ok := cogovForm(w, r)
			if !ok {
				return
			}
			backTo(w, r, votePath(id)+"/paper", done, step(r.Context(), actor, id, r.PostForm))
		}
	}
	mux.HandleFunc("POST /votes/{id}/paper/voters", paperStep("paper_voter", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		return el.MarkPaperVoter(ctx, a, id, f.Get("phone"))
	}))
	mux.HandleFunc("POST /votes/{id}/paper/ballots", paperStep("paper_entered", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := el.EnterPaperBallotArea(ctx, a, id, formChoices(f), f.Get("witness"), f.Get("area"))
		return err
	}))
	mux.HandleFunc("POST /votes/{id}/paper/confirm", paperStep("paper_confirmed", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		entry, _ := strconv.ParseInt(f.Get("entry"), 10, 64)
		return el.ConfirmPaperBallot(ctx, a, id, entry)
	}))
	mux.HandleFunc("GET /elections", ui.handleElectionsPage)
	mux.HandleFunc("POST /elections", ui.handleCallElectionForm)
	mux.HandleFunc("GET /elections/{id}", ui.handleElectionPage)
	mux.HandleFunc("POST /elections/{id}/nominate", ui.cogovStep("/elections/", "nominated", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		return el.Nominate(ctx, a, id, f.Get("phone"))
	}))
	mux.HandleFunc("POST /elections/{id}/accept", ui.cogovStep("/elections/", "accepted", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		return el.AcceptNomination(ctx, a, id)
	}))
	mux.HandleFunc("POST /elections/{id}/withdraw", ui.cogovStep("/elections/", "withdrawn", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		return el.WithdrawNomination(ctx, a, id)
	}))
	mux.HandleFunc("POST /elections/{id}/cancel", ui.cogovStep("/elections/", "election_cancelled", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := el.CancelElection(ctx, a, id, f.Get("reason"))
		return err
	}))
	mux.HandleFunc("POST /elections/{id}/by-election", func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := cogovForm(w, r)
		if !ok {
			return
		}
		by, err := el.CallByElection(r.Context(), actor, id)
		if err != nil {
			backTo(w, r, "/elections/"+strconv.FormatInt(id, 10), "", err)
			return
		}
		backTo(w, r, "/elections/"+strconv.FormatInt(by.ID, 10), "called", nil)
	})
	mux.HandleFunc("POST /elections/{id}/vote", ui.cogovStep("/elections/", "election_vote", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		hours, _ := strconv.Atoi(f.Get("hours"))
		notice, _ := strconv.Atoi(f.Get("notice_days"))
		_, err := el.OpenElectionVote(ctx, a, id, cogovern.ElectionVoteInput{Hours: hours, NoticeDays: notice, Rule: f.Get("rule")})
		return err
	}))
}

// fillDecision adds a closed vote's standing and objections to its page.
func (ui *UI) fillDecision(r *http.Request, p *page, actor civicgrid.Actor, id int64) {
	el := ui.elections()
	if el == nil {
		return
	}
	d, err := el.VoteDecision(r.Context(), actor, id)
	if err != nil {
		return
	}
	p.Cogov.Elect = &electionView{Decision: &d, Me: actor.UserID}
}

// handleNoticeBoard serves /notices/{code}: an area's public notice board
// (公示栏), for anyone, logged in or not — results on public notice and
// those lately final or voided, with their objections (reason, decision,
// answer; never who raised them) and no personal data.
func (ui *UI) handleNoticeBoard(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	code := r.PathValue("code")
	el := ui.elections()
	var ds []cogovern.Decision
	var err error
	if el != nil {
		ds, err = el.Board(r.Context(), code)
	} else {
		var vs []civicgrid.Vote
		vs, err = ui.cfg.Cogov.Notices(r.Context(), code)
		for _, v := range vs {
			ds = append(ds, cogovern.Decision{Vote: v, Standing: civicgrid.StandingNotice})
		}
	}
	if civicgrid.ErrorCode(err) == civicgrid.EINVALID {
		ui.cogovFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area %s", code))
		return
	}
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	p.Cogov = &cogovView{View: "board", AreaName: names(code), Elect: &electionView{Board: map[int64]cogovern.Decision{}}}
	if err := ui.boardProjects(r, p, code); err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	if err := ui.boardMeetings(r, p, code); err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, d := range ds {
		p.Cogov.Votes = append(p.Cogov.Votes, voteRow{Vote: d.Vote, AreaName: scopeLabel(names, d.AreaCode, d.CourtyardScope), InNotice: d.Standing == civicgrid.StandingNotice})
		p.Cogov.Elect.Board[d.ID] = d
	}
	p.Title, _ = p.T("cogov.board_title", "area", p.Cogov.AreaName)
	ui.render(w, http.StatusOK, "cogovernance", p)
}

// handlePaperPage serves /votes/{id}/paper: staff mark paper voters on the
// roll, enter paper ballots from the opened box with the witness, and
// confirm each other's entries.
func (ui *UI) handlePaperPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "paper")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := ui.cfg.Cogov.Vote(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	es, err := ui.elections().PaperEntries(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	p.NoStore = true
	p.Cogov.Vote = &v
	if v.Method.IsPoll() {
		p.Cogov.Poll = newPollView(v.Vote, nil)
	}
	p.Cogov.AreaName = scopeLabel(ui.areaNames(r), v.AreaCode, v.CourtyardScope)
	p.Cogov.Elect = &electionView{Paper: es, Me: actor.UserID}
	p.Title, _ = p.T("cogov.paper_title", "question", v.Question)
	ui.render(w, http.StatusOK, "election", p)
}

func (ui *UI) roleNamer(r *http.Request, p *page) func(string) string {
	names := map[string]string{}
	if ui.cfg.Admin != nil {
		if kinds, err := ui.cfg.Admin.BuildingRoles(r); err == nil {
			for _, k := range kinds {
				names[k.Key] = k.NameZH
				if p.Lang == "en" {
					names[k.Key] = k.NameEN
				}
			}
		}
	}
	return func(key string) string {
		if n, ok := names[key]; ok {
			return n
		}
		return key
	}
}

// handleElectionsPage serves /elections: the elections of the reader's
// scopes and, for staff, the form to call one.
func (ui *UI) handleElectionsPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "elections")
	if !ok {
		return
	}
	es, err := ui.elections().Elections(r.Context(), actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	p.Cogov.Elect = &electionView{List: es, RoleName: ui.roleNamer(r, p), Me: actor.UserID}
	names := ui.areaNames(r)
	for _, g := range actor.Grants {
		if civicgrid.Authorize(actor, civicgrid.ActionManageVote, civicgrid.In(g.AreaCode)) == nil {
			p.Cogov.VoteScopes = append(p.Cogov.VoteScopes, scopeOption{g.AreaCode, names(g.AreaCode)})
		}
	}
	p.Title = p.catalogue["cogov.elections_title"]
	ui.render(w, http.StatusOK, "election", p)
}

// handleCallElectionForm calls an election from the list page's form.
func (ui *UI) handleCallElectionForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	seats, _ := strconv.Atoi(f.Get("seats"))
	term, _ := strconv.Atoi(f.Get("term_months"))
	e, err := ui.elections().CallElection(r.Context(), actor, civicgrid.ElectionInput{AreaCode: f.Get("area_code"), Role: f.Get("role"), Seats: seats, TermMonths: term})
	if err != nil {
		backTo(w, r, "/elections", "", err)
		return
	}
	backTo(w, r, "/elections/"+strconv.FormatInt(e.ID, 10), "called", nil)
}

// handleElectionPage serves /elections/{id}: nominate, accept, the
// candidates, the vote, the result and its standing, the winners' term.
func (ui *UI) handleElectionPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.cogovPage(w, r, "election")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	e, err := ui.elections().Election(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	p.Cogov.Elect = &electionView{Election: &e, Decision: e.Decision, RoleName: ui.roleNamer(r, p), Me: actor.UserID}
	p.Cogov.AreaName = ui.areaNames(r)(e.AreaCode)
	ui.voteFormChoices(p)
	p.Title, _ = p.T("cogov.election_title", "role", p.Cogov.Elect.RoleName(e.Role), "area", p.Cogov.AreaName)
	ui.render(w, http.StatusOK, "election", p)
}
