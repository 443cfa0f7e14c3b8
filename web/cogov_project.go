package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Projects is what the project pages need (cogovern.Service has it).
type Projects interface {
	Projects(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Project, error)
	StartProject(ctx context.Context, actor civicgrid.Actor, in civicgrid.ProjectInput) (civicgrid.Project, error)
	Project(ctx context.Context, actor civicgrid.Actor, id int64) (cogovern.ProjectView, error)
	AddMilestone(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.MilestoneInput) (cogovern.ProjectView, error)
	CompleteMilestone(ctx context.Context, actor civicgrid.Actor, id, milestoneID int64) (cogovern.ProjectView, error)
	PostUpdate(ctx context.Context, actor civicgrid.Actor, id int64, in cogovern.UpdateInput) (civicgrid.ProjectUpdate, error)
	AdvancePhase(ctx context.Context, actor civicgrid.Actor, id int64, to civicgrid.ProjectPhase) (cogovern.ProjectView, error)
	RateProject(ctx context.Context, actor civicgrid.Actor, id int64, rating int) (cogovern.ProjectView, error)
	LinkCase(ctx context.Context, actor civicgrid.Actor, id, caseID int64) (cogovern.ProjectView, error)
	CaseProjects(ctx context.Context, actor civicgrid.Actor, caseID int64) ([]civicgrid.Project, error)
	ProposalProjects(ctx context.Context, actor civicgrid.Actor, proposalID int64) ([]civicgrid.Project, error)
	Comment(ctx context.Context, actor civicgrid.Actor, subject string, in cogovern.CommentInput) (civicgrid.Comment, error)
	Comments(ctx context.Context, actor civicgrid.Actor, subject string) ([]civicgrid.Comment, error)
	HideComment(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Comment, error)
	ProjectStats(ctx context.Context, actor civicgrid.Actor, area, period string) (civicgrid.ProjectStats, error)
	NoticeProjects(ctx context.Context, area string) ([]civicgrid.Project, error)
	AddSpending(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.SpendingInput) (civicgrid.Spending, error)
	EditProject(ctx context.Context, actor civicgrid.Actor, id int64, e civicgrid.ProjectEdit) (cogovern.ProjectView, error)
}

// projectView is what the project pages (and the project parts of the
// proposal page and the notice board) show.
type projectView struct {
	Rows    []projectRow
	Stats   []statsRow
	Scopes  []scopeOption // where the reader (staff) may start a project
	From    *cogovern.ProposalView
	Project *cogovern.ProjectView
	// Next is the phase staff may move the project on to.
	Next     civicgrid.ProjectPhase
	Phases   []civicgrid.ProjectPhase
	Comments *commentsView
	// CanStart: the reader may start a project from the proposal shown.
	CanStart bool
	Today    string // the date inputs' default
	Stars    []int  // the ratings offered, best first
	CSRF     string
}

type projectRow struct {
	civicgrid.Project
	AreaName string
}

type statsRow struct {
	civicgrid.ProjectStats
	AreaName string
}

// commentsView is a proposal's or project's discussion.
type commentsView struct {
	Base        string // the page: /proposals/1 or /projects/2
	Comments    []civicgrid.Comment
	CanComment  bool
	CanModerate bool
	Max         int
	CSRF        string
}

func (ui *UI) registerProjects(mux *http.ServeMux) {
	mux.HandleFunc("GET /projects", ui.handleProjectList)
	mux.HandleFunc("POST /projects", ui.handleStartProjectForm)
	mux.HandleFunc("GET /projects/{id}", ui.handleProjectPage)
	step := func(path, done string, f func(context.Context, civicgrid.Actor, int64, url.Values) error) {
		mux.HandleFunc("POST /projects/{id}/"+path, ui.cogovStep("/projects/", done, f))
	}
	step("milestones", "milestone", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		due, err := parseDay(f.Get("due"))
		if err != nil {
			return err
		}
		_, err = ui.cfg.Cogov.AddMilestone(ctx, a, id, civicgrid.MilestoneInput{Title: f.Get("title"), DueAt: due})
		return err
	})
	step("done", "milestone_done", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		m, _ := strconv.ParseInt(f.Get("milestone"), 10, 64)
		_, err := ui.cfg.Cogov.CompleteMilestone(ctx, a, id, m)
		return err
	})
	step("updates", "update", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		var photos []string
		for _, p := range f["photos"] {
			if p = strings.TrimSpace(p); p != "" {
				photos = append(photos, p)
			}
		}
		_, err := ui.cfg.Cogov.PostUpdate(ctx, a, id, cogovern.UpdateInput{Text: f.Get("text"), Photos: photos})
		return err
	})
	step("phase", "phase", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := ui.cfg.Cogov.AdvancePhase(ctx, a, id, civicgrid.ProjectPhase(f.Get("phase")))
		return err
	})
	step("rating", "rated", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		n, _ := strconv.Atoi(f.Get("rating"))
		_, err := ui.cfg.Cogov.RateProject(ctx, a, id, n)
		return err
	})
	step("cases", "linked", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		c, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(f.Get("case_id"), "#")), 10, 64)
		_, err := ui.cfg.Cogov.LinkCase(ctx, a, id, c)
		return err
	})
	step("comments", "commented", ui.commentStep("project"))
	step("spending", "spending", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		in := civicgrid.SpendingInput{Amount: f.Get("amount"), SpentOn: f.Get("spent_on"), Purpose: f.Get("purpose"), OverReason: f.Get("over_reason")}
		for _, p := range f["photos"] { // the receipt's photo, uploaded by the form
			if p = strings.TrimSpace(p); p != "" && in.Receipt == "" {
				in.Receipt = p
			}
		}
		_, err := ui.cfg.Cogov.AddSpending(ctx, a, id, in)
		return err
	})
	step("edit", "edited", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		e := civicgrid.ProjectEdit{Title: f.Get("title"), Owner: f.Get("owner"), Reason: f.Get("reason")}
		if d := strings.TrimSpace(f.Get("starts_on")); d != "" {
			t, err := parseDay(d)
			if err != nil {
				return err
			}
			e.StartsOn = t
		}
		// The form shows the current values: a field left as it is keeps
		// the owner's account.
		if v, err := ui.cfg.Cogov.Project(ctx, a, id); err == nil {
			if e.Owner == v.Owner {
				e.OwnerID = v.OwnerID
			}
			if e.StartsOn.Format(time.DateOnly) == v.StartsOn.In(civicgrid.Beijing).Format(time.DateOnly) {
				e.StartsOn = time.Time{}
			}
		}
		_, err := ui.cfg.Cogov.EditProject(ctx, a, id, e)
		return err
	})
	mux.HandleFunc("POST /proposals/{id}/comments", ui.cogovStep("/proposals/", "commented", ui.commentStep("proposal")))
	mux.HandleFunc("POST /comments/{id}/hide", ui.handleHideForm)
}

func (ui *UI) commentStep(kind string) func(context.Context, civicgrid.Actor, int64, url.Values) error {
	return func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		parent, _ := strconv.ParseInt(f.Get("parent"), 10, 64)
		_, err := ui.cfg.Cogov.Comment(ctx, a, kind+":"+strconv.FormatInt(id, 10), cogovern.CommentInput{Body: f.Get("body"), ParentID: parent})
		return err
	}
}

// handleHideForm hides a comment and goes back to its page.
func (ui *UI) handleHideForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	c, err := ui.cfg.Cogov.HideComment(r.Context(), actor, id, r.PostForm.Get("reason"))
	back := localPath(r.PostForm.Get("back"))
	if err == nil {
		kind, n, _ := strings.Cut(c.Subject, ":")
		back = "/" + kind + "s/" + n
	}
	backTo(w, r, back, "hidden", err)
}

// parseDay reads a date input (YYYY-MM-DD) as the end of that day in China.
func parseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), time.FixedZone("CST", 8*3600))
	if err != nil {
		return time.Time{}, civicgrid.Errorf(civicgrid.EINVALID, "give the date as YYYY-MM-DD")
	}
	return t.Add(24*time.Hour - time.Minute), nil
}

func (ui *UI) projectPage(w http.ResponseWriter, r *http.Request, view string) (*page, civicgrid.Actor, bool) {
	p, actor, ok := ui.cogovPage(w, r, view)
	if ok {
		p.Cogov.Proj = &projectView{CSRF: actor.CSRFToken, Today: ui.now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")}
	}
	return p, actor, ok
}

// handleProjectList serves /projects: the projects of the reader's scopes,
// each community's indicators this year, and for staff the form to start
// one (from a proposal with ?proposal=ID).
func (ui *UI) handleProjectList(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.projectPage(w, r, "projects")
	if !ok {
		return
	}
	ctx := r.Context()
	ps, err := ui.cfg.Cogov.Projects(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, x := range ps {
		p.Cogov.Proj.Rows = append(p.Cogov.Proj.Rows, projectRow{x, scopeLabel(names, x.AreaCode, x.CourtyardScope)})
	}
	for _, code := range proposalScopes(actor) {
		if civicgrid.Authorize(actor, civicgrid.ActionManageProject, civicgrid.In(code)) == nil {
			p.Cogov.Proj.Scopes = append(p.Cogov.Proj.Scopes, scopeOption{code, names(code)})
		}
		if len(code) == 12 {
			st, err := ui.cfg.Cogov.ProjectStats(ctx, actor, code, "")
			if err == nil && st.Projects > 0 {
				p.Cogov.Proj.Stats = append(p.Cogov.Proj.Stats, statsRow{st, names(code)})
			}
		}
	}
	if p.Cogov.Proj.Scopes != nil {
		p.Cogov.Proj.Scopes = append(p.Cogov.Proj.Scopes, ui.courtyardChoices(ctx, p, actor, civicgrid.ActionManageProject, names)...)
	}
	if id, _ := strconv.ParseInt(r.URL.Query().Get("proposal"), 10, 64); id > 0 && p.Cogov.Proj.Scopes != nil {
		if v, err := ui.cfg.Cogov.Proposal(ctx, actor, id); err == nil {
			p.Cogov.Proj.From = &v
		}
	}
	p.Title = p.catalogue["proj.title"]
	ui.render(w, http.StatusOK, "project", p)
}

func (ui *UI) handleStartProjectForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	budget, err := strconv.ParseInt(strings.TrimSpace(f.Get("budget")), 10, 64)
	if b := strings.TrimSpace(f.Get("budget")); b == "" {
		budget, err = 0, nil
	}
	if err != nil {
		backTo(w, r, "/projects", "", civicgrid.Errorf(civicgrid.EINVALID, "the budget is a whole number of yuan"))
		return
	}
	from, _ := strconv.ParseInt(f.Get("proposal_id"), 10, 64)
	area, yard := formScope(f.Get("area_code"))
	in := civicgrid.ProjectInput{AreaCode: area, CourtyardID: yard, ProposalID: from, Title: f.Get("title"), Body: f.Get("body"), Owner: f.Get("owner"),
		Budget: budget}
	if s := f.Get("starts_on"); s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("CST", 8*3600))
		if err != nil {
			backTo(w, r, "/projects", "", civicgrid.Errorf(civicgrid.EINVALID, "give the start as YYYY-MM-DD"))
			return
		}
		in.StartsOn = t
	}
	if t := strings.TrimSpace(f.Get("milestone")); t != "" {
		due, err := parseDay(f.Get("milestone_due"))
		if err != nil {
			backTo(w, r, "/projects", "", err)
			return
		}
		in.Milestones = []civicgrid.MilestoneInput{{Title: t, DueAt: due}}
	}
	pr, err := ui.cfg.Cogov.StartProject(r.Context(), actor, in)
	if err != nil {
		back := "/projects"
		if from > 0 {
			back += "?proposal=" + strconv.FormatInt(from, 10)
		}
		backTo(w, r, back, "", err)
		return
	}
	backTo(w, r, "/projects/"+strconv.FormatInt(pr.ID, 10), "started", nil)
}

// handleProjectPage serves /projects/{id}: milestones with their traffic
// lights, progress with photos, the rating, comments and, for staff, the
// tools to run it.
func (ui *UI) handleProjectPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.projectPage(w, r, "project")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := ui.cfg.Cogov.Project(r.Context(), actor, id)
	if err != nil {
		ui.cogovFailed(w, r, p, err)
		return
	}
	pv := p.Cogov.Proj
	pv.Project, pv.Next, pv.Phases, pv.Stars = &v, v.Phase.Next(), civicgrid.ProjectPhases, []int{5, 4, 3, 2, 1}
	pv.Comments = &commentsView{Base: "/projects/" + strconv.FormatInt(id, 10), Comments: v.Comments, CanComment: v.CanComment,
		CanModerate: v.CanModerate, Max: civicgrid.MaxCommentLength, CSRF: actor.CSRFToken}
	p.Cogov.AreaName = scopeLabel(ui.areaNames(r), v.AreaCode, v.CourtyardScope)
	p.Title = v.Title
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("upload."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "project", p)
}

// proposalDiscussion adds a proposal's comments and projects to its page.
func (ui *UI) proposalDiscussion(r *http.Request, p *page, actor civicgrid.Actor, v cogovern.ProposalView) error {
	cs, err := ui.cfg.Cogov.Comments(r.Context(), actor, civicgrid.ProposalSubject(v.ID))
	if err != nil {
		return err
	}
	ps, err := ui.cfg.Cogov.ProposalProjects(r.Context(), actor, v.ID)
	if err != nil {
		return err
	}
	pv := &projectView{CSRF: actor.CSRFToken, CanStart: civicgrid.Authorize(actor, civicgrid.ActionManageProject, v.Object()) == nil &&
		(v.Status.Adopted() || v.Status == civicgrid.ProposalAgenda)}
	for _, x := range ps {
		pv.Rows = append(pv.Rows, projectRow{Project: x})
	}
	pv.Comments = &commentsView{Base: "/proposals/" + strconv.FormatInt(v.ID, 10), Comments: cs, Max: civicgrid.MaxCommentLength, CSRF: actor.CSRFToken,
		CanComment:  civicgrid.Authorize(actor, civicgrid.ActionComment, v.Object()) == nil,
		CanModerate: v.Moderate}
	p.Cogov.Proj = pv
	return nil
}

// boardProjects adds the area's projects to its public notice board.
func (ui *UI) boardProjects(r *http.Request, p *page, code string) error {
	ps, err := ui.cfg.Cogov.NoticeProjects(r.Context(), code)
	if err != nil {
		return err
	}
	names := ui.areaNames(r)
	pv := &projectView{}
	for _, x := range ps {
		pv.Rows = append(pv.Rows, projectRow{x, scopeLabel(names, x.AreaCode, x.CourtyardScope)})
	}
	p.Cogov.Proj = pv
	return nil
}
