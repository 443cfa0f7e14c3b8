package cogovern

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/photo"
)

// Projects (共建共管共评共享): staff start a project from an adopted proposal
// or in their scope; milestones light up like case deadlines and an
// overdue one tells the owner; progress updates carry photos; residents
// comment, and rate the project once it ends. Comments on proposals and
// projects live here too.

// ProjectDeps are what projects need beyond the co-governance store.
type ProjectDeps struct {
	// Cases says whether the actor may read a case (the case service:
	// casework.Service.Get), to link it to a project; nil links none.
	Cases func(ctx context.Context, actor civicgrid.Actor, id int64) error
	// Photos checks an update's photos were uploaded (photo.Store); nil
	// takes photo refs on their shape only.
	Photos interface{ Has(ref string) bool }
	// Documents keeps meetings' PDF files (photo.Store); nil keeps none.
	Documents interface {
		SaveDocument(r io.Reader) (photo.SavedDocument, error)
	}
}

// SetProjectDeps wires what projects need (cmd/civicgrid).
func (s *Service) SetProjectDeps(d ProjectDeps) { s.proj = d }

func (s *Service) wakeMilestones() {
	select {
	case s.projWake <- struct{}{}:
	default:
	}
}

func (s *Service) readableProject(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Project, error) {
	return readableByID(ctx, actor, id, s.store.ProjectByID, "project")
}

func (s *Service) managedProject(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Project, error) {
	p, err := s.readableProject(ctx, actor, id)
	if err != nil {
		return p, err
	}
	return p, civicgrid.Authorize(actor, civicgrid.ActionManageProject, p.Object())
}

// proposalAdopted reports whether a proposal was decided: a vote closed on
// it, or a meeting's published minutes adopted it.
func (s *Service) proposalAdopted(ctx context.Context, p civicgrid.Proposal) (bool, error) {
	if p.Status.Adopted() {
		return true, nil
	}
	ms, err := s.store.ProposalMeetings(ctx, p.ID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m civicgrid.ProposalMeeting) bool {
		return m.Status == civicgrid.MeetingPublished && m.Decision == civicgrid.ItemAdopted
	}), nil
}

// StartProject starts a project: from an adopted proposal (in its scope)
// or directly in the staff member's scope.
func (s *Service) StartProject(ctx context.Context, actor civicgrid.Actor, in civicgrid.ProjectInput) (civicgrid.Project, error) {
	now := s.now()
	area, yard, err := s.courtyardScope(ctx, actor, in.CourtyardID, in.AreaCode)
	if err != nil {
		return civicgrid.Project{}, err
	}
	in.AreaCode = area
	if in.ProposalID != 0 {
		prop, err := s.readable(ctx, actor, in.ProposalID)
		if err != nil {
			return civicgrid.Project{}, err
		}
		if in.CourtyardID == 0 && (in.AreaCode == "" || in.AreaCode == prop.AreaCode) {
			in.AreaCode, yard = prop.AreaCode, prop.CourtyardScope // the proposal's scope, its courtyard included
		}
		if in.AreaCode != prop.AreaCode || yard.CourtyardID != prop.CourtyardID {
			return civicgrid.Project{}, civicgrid.Errorf(civicgrid.EINVALID, "a project from proposal %d is in its scope %s", prop.ID, prop.AreaCode)
		}
		if in.Title == "" {
			in.Title = prop.Title
		}
		ok, err := s.proposalAdopted(ctx, prop)
		if err != nil {
			return civicgrid.Project{}, err
		}
		if !ok {
			return civicgrid.Project{}, civicgrid.Errorf(civicgrid.ECONFLICT,
				"proposal %d is not adopted: a project starts from a proposal decided by a vote or adopted in a meeting's minutes", prop.ID)
		}
	}
	p, ms, err := in.Check(now)
	if err != nil {
		return p, err
	}
	p.CourtyardScope = yard
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageProject, p.Object()); err != nil {
		return p, err
	}
	if err := s.checkArea(ctx, p.AreaCode); err != nil {
		return p, err
	}
	p.CreatedBy = actor.UserID
	if p.OwnerID == 0 {
		p.OwnerID = actor.UserID
	}
	p, err = s.store.CreateProject(ctx, p, ms, event(actor, civicgrid.CogovProjectStarted, now))
	if err == nil && len(ms) > 0 {
		s.wakeMilestones()
	}
	return p, err
}

// Projects lists the projects the actor may read, newest first.
func (s *Service) Projects(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Project, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	ps, err := s.store.Projects(ctx, within, exact, ListLimit)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ps, func(p civicgrid.Project) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, p.Object()) != nil
	}), nil
}

// ProjectView is a project as its reader sees it.
type ProjectView struct {
	civicgrid.Project
	Updates  []civicgrid.ProjectUpdate `json:"updates"`
	Comments []civicgrid.Comment       `json:"comments"`
	// Spending are the entries against the budget (project_spending.go).
	Spending    []civicgrid.Spending   `json:"spending"`
	Cases       []int64                `json:"cases,omitempty"` // linked cases, for staff
	CanManage   bool                   `json:"can_manage"`
	CanRate     bool                   `json:"can_rate"`  // the reader may rate it now
	MyRating    int                    `json:"my_rating"` // the reader's rating (0: none)
	CanModerate bool                   `json:"can_moderate"`
	CanComment  bool                   `json:"can_comment"`
	Proposal    string                 `json:"proposal_title,omitempty"`
	History     []civicgrid.CogovEvent `json:"history"`
}

// lights sets each milestone's traffic light at now: green, yellow, red
// while open (the case deadlines' light over the span from the project's
// start, or the milestone's creation when later), done or late once done.
func lights(p *civicgrid.Project, now time.Time) {
	for i := range p.Milestones {
		m := &p.Milestones[i]
		switch {
		case !m.DoneAt.IsZero() && m.DoneAt.After(m.DueAt):
			m.Light = "late"
		case !m.DoneAt.IsZero():
			m.Light = "done"
		case !now.Before(m.DueAt) || !m.OverdueAt.IsZero():
			m.Light = "red"
		default:
			start := p.StartsOn
			if m.CreatedAt.After(start) {
				start = m.CreatedAt
			}
			if m.Light = casework.Light(start, m.DueAt, now); m.Light == "" {
				m.Light = "yellow" // created with less than no time left
			}
		}
	}
}

// Project returns a project the actor may read.
func (s *Service) Project(ctx context.Context, actor civicgrid.Actor, id int64) (ProjectView, error) {
	p, err := s.readableProject(ctx, actor, id)
	if err != nil {
		return ProjectView{}, err
	}
	lights(&p, s.now())
	v := ProjectView{Project: p, CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageProject, p.Object()) == nil,
		CanModerate: civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, p.Object()) == nil,
		CanComment:  civicgrid.Authorize(actor, civicgrid.ActionComment, p.Object()) == nil}
	if v.MyRating, err = s.store.ProjectRating(ctx, id, actor.UserID); err != nil {
		return v, err
	}
	v.CanRate = p.Phase == civicgrid.PhaseEvaluate && v.MyRating == 0 && civicgrid.Authorize(actor, civicgrid.ActionEvaluateProject, p.Object()) == nil
	if p.ProposalID != 0 {
		if prop, err := s.store.ProposalByID(ctx, p.ProposalID); err == nil {
			v.Proposal = prop.Title
		}
	}
	if v.Updates, err = s.store.ProjectUpdates(ctx, id); err != nil {
		return v, err
	}
	if v.Comments, err = s.store.Comments(ctx, civicgrid.ProjectSubject(id)); err != nil {
		return v, err
	}
	if v.Spending, err = s.store.ProjectSpending(ctx, id); err != nil {
		return v, err
	}
	if v.Spending == nil {
		v.Spending = []civicgrid.Spending{}
	}
	for i := range v.Spending {
		v.Spending[i].CreatedBy = 0
	}
	if v.Updates == nil {
		v.Updates = []civicgrid.ProjectUpdate{}
	}
	if v.Comments == nil {
		v.Comments = []civicgrid.Comment{}
	}
	if v.CanManage {
		if v.Cases, err = s.store.ProjectCases(ctx, id); err != nil {
			return v, err
		}
	}
	v.History, err = s.store.CogovEvents(ctx, civicgrid.ProjectSubject(id))
	return v, err
}

// AddMilestone adds a milestone (not due before the project starts).
func (s *Service) AddMilestone(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.MilestoneInput) (ProjectView, error) {
	p, err := s.managedProject(ctx, actor, id)
	if err != nil {
		return ProjectView{}, err
	}
	m, err := in.Check(p.StartsOn)
	if err != nil {
		return ProjectView{}, err
	}
	if p.Phase == civicgrid.PhaseEvaluate || p.Phase == civicgrid.PhaseShare {
		return ProjectView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "project %d has ended (phase %s): no new milestones", id, p.Phase)
	}
	if _, err := s.store.AddMilestone(ctx, id, m, event(actor, civicgrid.CogovMilestoneAdded, s.now())); err != nil {
		return ProjectView{}, err
	}
	s.wakeMilestones()
	return s.Project(ctx, actor, id)
}

// CompleteMilestone marks a milestone done now.
func (s *Service) CompleteMilestone(ctx context.Context, actor civicgrid.Actor, id, milestoneID int64) (ProjectView, error) {
	if _, err := s.managedProject(ctx, actor, id); err != nil {
		return ProjectView{}, err
	}
	if _, err := s.store.CompleteMilestone(ctx, id, milestoneID, event(actor, civicgrid.CogovMilestoneDone, s.now())); err != nil {
		return ProjectView{}, err
	}
	return s.Project(ctx, actor, id)
}

// UpdateInput is a progress report.
type UpdateInput struct {
	Text   string   `json:"text"`
	Photos []string `json:"photos"` // refs from POST /api/v1/photos
}

// PostUpdate adds a progress report with photos.
func (s *Service) PostUpdate(ctx context.Context, actor civicgrid.Actor, id int64, in UpdateInput) (civicgrid.ProjectUpdate, error) {
	text := strings.TrimSpace(in.Text)
	var ps []civicgrid.Problem
	bad := func(kind, detail string) { ps = append(ps, civicgrid.Problem{Index: -1, Kind: kind, Detail: detail}) }
	if text == "" || utf8.RuneCountInString(text) > civicgrid.MaxUpdateText {
		bad("text", "a progress report of 1 to "+strconv.Itoa(civicgrid.MaxUpdateText)+" characters")
	}
	if len(in.Photos) > civicgrid.MaxUpdatePhotos {
		bad("photos", "at most "+strconv.Itoa(civicgrid.MaxUpdatePhotos)+" photos")
	}
	var has func(string) bool
	if s.proj.Photos != nil {
		has = s.proj.Photos.Has
	}
	for _, ref := range in.Photos {
		if msg := photo.RefProblem(ref, has); msg != "" {
			bad("photos", msg)
		}
	}
	if len(ps) > 0 {
		return civicgrid.ProjectUpdate{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the progress report is not valid", Problems: ps}
	}
	if _, err := s.managedProject(ctx, actor, id); err != nil {
		return civicgrid.ProjectUpdate{}, err
	}
	return s.store.AddProjectUpdate(ctx, civicgrid.ProjectUpdate{ProjectID: id, Author: civicgrid.MaskName(actor.Name), Text: text, Photos: in.Photos},
		event(actor, civicgrid.CogovProjectUpdate, s.now()))
}

// AdvancePhase moves the project to its next phase (to must be the next).
func (s *Service) AdvancePhase(ctx context.Context, actor civicgrid.Actor, id int64, to civicgrid.ProjectPhase) (ProjectView, error) {
	if !slices.Contains(civicgrid.ProjectPhases, to) {
		return ProjectView{}, civicgrid.Errorf(civicgrid.EINVALID, "a phase is plan, build, manage, evaluate or share, not %q", to)
	}
	p, err := s.managedProject(ctx, actor, id)
	if err != nil {
		return ProjectView{}, err
	}
	if p.Phase.Next() != to {
		return ProjectView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "project %d is in phase %s: it moves on to %q, one step at a time", id, p.Phase, p.Phase.Next())
	}
	if _, err := s.store.SetProjectPhase(ctx, id, p.Phase, to, event(actor, civicgrid.CogovProjectPhase, s.now())); err != nil {
		return ProjectView{}, err
	}
	return s.Project(ctx, actor, id)
}

// RateProject records the actor's satisfaction (1–5), once, while the
// project is in its evaluation phase; only residents of its scope rate.
func (s *Service) RateProject(ctx context.Context, actor civicgrid.Actor, id int64, rating int) (ProjectView, error) {
	if rating < 1 || rating > 5 {
		return ProjectView{}, civicgrid.Errorf(civicgrid.EINVALID, "a rating is 1 to 5, not %d", rating)
	}
	p, err := s.readableProject(ctx, actor, id)
	if err != nil {
		return ProjectView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionEvaluateProject, p.Object()); err != nil {
		return ProjectView{}, err
	}
	ev := event(actor, civicgrid.CogovProjectRated, s.now())
	ev.Actor = "resident" // neighbours read the history: who rated what stays with the audit (the id)
	if _, err := s.store.RateProject(ctx, id, actor.UserID, rating, ev); err != nil {
		return ProjectView{}, err
	}
	return s.Project(ctx, actor, id)
}

// LinkCase links a case the actor may read to the project.
func (s *Service) LinkCase(ctx context.Context, actor civicgrid.Actor, id, caseID int64) (ProjectView, error) {
	if _, err := s.managedProject(ctx, actor, id); err != nil {
		return ProjectView{}, err
	}
	if s.proj.Cases == nil {
		return ProjectView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "cases cannot be linked here")
	}
	if caseID <= 0 {
		return ProjectView{}, civicgrid.Errorf(civicgrid.EINVALID, "give the case_id of a case")
	}
	if err := s.proj.Cases(ctx, actor, caseID); err != nil {
		if c := civicgrid.ErrorCode(err); c == civicgrid.ENOTFOUND || c == civicgrid.EFORBIDDEN {
			return ProjectView{}, civicgrid.Errorf(civicgrid.EINVALID, "no case %d that you may read", caseID)
		}
		return ProjectView{}, err
	}
	if err := s.store.LinkCase(ctx, id, caseID, event(actor, civicgrid.CogovProjectCaseLinked, s.now())); err != nil {
		return ProjectView{}, err
	}
	return s.Project(ctx, actor, id)
}

// CaseProjects lists the projects a case is linked to that the actor may
// read: the case page's link back (the case module asks this service,
// never the tables).
func (s *Service) CaseProjects(ctx context.Context, actor civicgrid.Actor, caseID int64) ([]civicgrid.Project, error) {
	ps, err := s.store.CaseProjects(ctx, caseID)
	return slices.DeleteFunc(ps, func(p civicgrid.Project) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, p.Object()) != nil
	}), err
}

// ProposalProjects lists the projects started from a proposal the actor
// may read.
func (s *Service) ProposalProjects(ctx context.Context, actor civicgrid.Actor, proposalID int64) ([]civicgrid.Project, error) {
	if _, err := s.readable(ctx, actor, proposalID); err != nil {
		return nil, err
	}
	return s.store.ProposalProjects(ctx, proposalID)
}

// CommentInput is a comment or a reply.
type CommentInput struct {
	Body     string `json:"body"`
	ParentID int64  `json:"parent_id"`
}

// subjectObject returns the area of a comment's subject the actor may read.
func (s *Service) subjectObject(ctx context.Context, actor civicgrid.Actor, subject string) (civicgrid.Object, error) {
	kind, idText, _ := strings.Cut(subject, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return civicgrid.Object{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no %s", subject)
	}
	switch kind {
	case "proposal":
		p, err := s.readable(ctx, actor, id)
		return p.Object(), err
	case "project":
		p, err := s.readableProject(ctx, actor, id)
		return p.Object(), err
	}
	return civicgrid.Object{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no %s", subject)
}

// Comment adds the actor's comment (or reply) to a proposal or project
// ("proposal:1", "project:2"), within the rate limits.
func (s *Service) Comment(ctx context.Context, actor civicgrid.Actor, subject string, in CommentInput) (civicgrid.Comment, error) {
	body, err := civicgrid.CheckComment(in.Body)
	if err != nil {
		return civicgrid.Comment{}, err
	}
	obj, err := s.subjectObject(ctx, actor, subject)
	if err != nil {
		return civicgrid.Comment{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionComment, obj); err != nil {
		return civicgrid.Comment{}, err
	}
	c := civicgrid.Comment{Subject: subject, ParentID: in.ParentID, AuthorID: actor.UserID, Author: civicgrid.MaskName(actor.Name), Body: body}
	return s.store.AddComment(ctx, c, event(actor, civicgrid.CogovCommented, s.now()))
}

// Comments lists a proposal's or project's comments the actor may read.
func (s *Service) Comments(ctx context.Context, actor civicgrid.Actor, subject string) ([]civicgrid.Comment, error) {
	if _, err := s.subjectObject(ctx, actor, subject); err != nil {
		return nil, err
	}
	cs, err := s.store.Comments(ctx, subject)
	if cs == nil {
		cs = []civicgrid.Comment{}
	}
	return cs, err
}

// HideComment hides a comment with a reason everyone sees in its place:
// moderators of the subject's scope only.
func (s *Service) HideComment(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Comment, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > civicgrid.MaxHideReason {
		return civicgrid.Comment{}, civicgrid.Errorf(civicgrid.EINVALID, "hiding a comment needs a reason of 1 to %d characters, which everyone sees", civicgrid.MaxHideReason)
	}
	c, err := s.store.CommentByID(ctx, id)
	if err != nil {
		return c, err
	}
	obj, err := s.subjectObject(ctx, actor, c.Subject)
	if err != nil {
		return civicgrid.Comment{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no comment %d", id)
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionModerateProposal, obj); err != nil {
		return civicgrid.Comment{}, err
	}
	ev := event(actor, civicgrid.CogovCommentHidden, s.now())
	return s.store.HideComment(ctx, id, reason, ev)
}

// ProjectStats are the project indicators of a scope the actor reads, over
// a month (YYYY-MM) or, without one, the current year.
func (s *Service) ProjectStats(ctx context.Context, actor civicgrid.Actor, area, period string) (civicgrid.ProjectStats, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCogov, civicgrid.In(area)); err != nil {
		return civicgrid.ProjectStats{}, err
	}
	zone := time.FixedZone("CST", 8*3600)
	var from, to time.Time
	switch {
	case period == "":
		n := s.now().In(zone)
		from = time.Date(n.Year(), 1, 1, 0, 0, 0, 0, zone)
		to = from.AddDate(1, 0, 0)
	case len(period) == 4:
		t, err := time.ParseInLocation("2006", period, zone)
		if err != nil {
			return civicgrid.ProjectStats{}, civicgrid.Errorf(civicgrid.EINVALID, "period is YYYY or YYYY-MM")
		}
		from, to = t, t.AddDate(1, 0, 0)
	default:
		t, err := time.ParseInLocation("2006-01", period, zone)
		if err != nil {
			return civicgrid.ProjectStats{}, civicgrid.Errorf(civicgrid.EINVALID, "period is YYYY or YYYY-MM")
		}
		from, to = t, t.AddDate(0, 1, 0)
	}
	st, err := s.store.ProjectStats(ctx, area, from, to)
	st.From, st.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	return st, err
}

// NoticeProjects lists the projects on an area's public notice board: in
// its subtree or at its community or street, with their progress and no
// personal data (the owner is left out: it may name a person).
func (s *Service) NoticeProjects(ctx context.Context, area string) ([]civicgrid.Project, error) {
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area %q is not an area code", area)
	}
	ps, err := s.store.NoticeProjects(ctx, area, civicgrid.AncestorCodes(area), 50)
	ps = slices.DeleteFunc(ps, func(p civicgrid.Project) bool { return !p.OnBoard(area) })
	for i := range ps {
		ps[i].Owner, ps[i].OwnerID, ps[i].CreatedBy, ps[i].Body = "", 0, 0, ""
	}
	return ps, err
}

// FireOverdueMilestones marks the milestones due by now overdue (each
// once), reminds those due within MilestoneReminder (each once), and says
// how many it marked.
func (s *Service) FireOverdueMilestones(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.MarkOverdueMilestones(ctx, s.now(), 200)
		total += n
		if err != nil {
			return total, err
		}
		if n < 200 {
			break
		}
	}
	for {
		n, err := s.store.RemindMilestones(ctx, s.now(), civicgrid.MilestoneReminder, 200)
		total += n
		if err != nil || n < 200 {
			return total, err
		}
	}
}

// nextMilestoneDue is the scheduler's next wake: the earliest overdue
// time or reminder time of an open milestone.
func (s *Service) nextMilestoneDue(ctx context.Context) (time.Time, error) {
	next, err := s.store.NextMilestoneDue(ctx)
	if err != nil {
		return next, err
	}
	r, err := s.store.NextMilestoneReminder(ctx)
	if err != nil || r.IsZero() {
		return next, err
	}
	if r = r.Add(-civicgrid.MilestoneReminder); next.IsZero() || r.Before(next) {
		next = r
	}
	return next, nil
}

// RunProjectScheduler marks milestones overdue as their due time passes
// until ctx ends (the case deadline scheduler's loop).
func (s *Service) RunProjectScheduler(ctx context.Context) {
	casework.Deadlines{Name: "project milestones overdue", Fire: s.FireOverdueMilestones, Next: s.nextMilestoneDue, Now: s.now,
		Wake: s.projWake, Slack: 200 * time.Millisecond}.Run(ctx)
}

// ProjectNotifySourceName names the notifications' cursor over overdue
// milestones.
const ProjectNotifySourceName = "cogov_projects"

// ProjectNotifySource tells a project's owner (or its starter) of each
// milestone found overdue, and of each due within MilestoneReminder, once: it reads the co-governance log with its
// own cursor.
func (s *Service) ProjectNotifySource() notify.Source {
	return notify.Source{Name: ProjectNotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		evs, err := s.store.CogovEventsAfter(ctx, cursor, limit)
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		for _, ev := range evs {
			kind, id, _ := strings.Cut(ev.Subject, ":")
			what := map[string]string{civicgrid.CogovMilestoneOverdue: "cogov.milestone_overdue", civicgrid.CogovMilestoneDueSoon: "cogov.milestone_due_soon"}[ev.Action]
			if kind != "project" || what == "" {
				continue
			}
			n, _ := strconv.ParseInt(id, 10, 64)
			p, err := s.store.ProjectByID(ctx, n)
			if err != nil {
				return nil, cursor, err
			}
			to := p.OwnerID
			if to == 0 {
				to = p.CreatedBy
			}
			if to != 0 {
				due := ""
				if ms, err := strconv.ParseInt(ev.Data["due_at"], 10, 64); err == nil {
					due = s.local(time.UnixMilli(ms)).Format("2006-01-02 15:04")
				}
				out = append(out, notify.Draft{UserID: to, Kind: what, Source: "cogov_event:" + strconv.FormatInt(ev.ID, 10),
					Link: "/projects/" + id, Args: []string{"project", p.Title, "milestone", ev.Data["title"], "at", due}})
			}
		}
		return out, evs[len(evs)-1].ID, nil
	}}
}
