package cogovern_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/web"
)

// adopted makes a proposal of the community adopted in a meeting's minutes.
func (e *env) adopted(author, staff civicgrid.Actor, title string) civicgrid.Proposal {
	e.t.Helper()
	ctx := context.Background()
	p := e.agenda(author, staff, title)
	m, err := e.svc.ScheduleMeeting(ctx, staff, civicgrid.MeetingInput{AreaCode: community, Title: "议事会", Place: "活动室",
		StartsAt: e.now.Add(time.Hour), Agenda: []int64{p.ID}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.PublishMinutes(ctx, staff, m.ID, cogovern.MinutesInput{Items: []civicgrid.AgendaItem{{ProposalID: p.ID,
		Decision: civicgrid.ItemAdopted}}}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestProjectLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1, r2 := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleResident, building2)
	outsider := e.person(civicgrid.RoleResident, away)
	awayStaff := e.person(civicgrid.RoleCommunitySecretary, away[:12])
	cases := map[int64]bool{77: true}
	e.svc.SetProjectDeps(cogovern.ProjectDeps{Cases: func(_ context.Context, _ civicgrid.Actor, id int64) error {
		if !cases[id] {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no case %d", id)
		}
		return nil
	}})
	open, err := e.svc.Propose(ctx, r1, cogovern.ProposalInput{AreaCode: community, Title: "还在附议"})
	if err != nil {
		t.Fatal(err)
	}
	prop := e.adopted(r1, secretary, "老旧小区改造：加装扶手")
	in := civicgrid.ProjectInput{ProposalID: prop.ID, Owner: "社区居委会", Budget: 12000, StartsOn: e.now,
		Milestones: []civicgrid.MilestoneInput{{Title: "采购", DueAt: e.now.Add(48 * time.Hour)}, {Title: "安装", DueAt: e.now.Add(10 * 24 * time.Hour)}}}

	// Bad input and people without the right: a clear error, nothing written.
	for name, c := range map[string]struct {
		actor civicgrid.Actor
		in    func(civicgrid.ProjectInput) civicgrid.ProjectInput
		want  string
	}{
		"a resident starts one": {r1, func(p civicgrid.ProjectInput) civicgrid.ProjectInput { return p }, civicgrid.EFORBIDDEN},
		"a milestone dated before the start": {secretary, func(p civicgrid.ProjectInput) civicgrid.ProjectInput {
			p.Milestones = []civicgrid.MilestoneInput{{Title: "早于开工", DueAt: e.now.Add(-24 * time.Hour)}}
			return p
		}, civicgrid.EINVALID},
		"no owner":               {secretary, func(p civicgrid.ProjectInput) civicgrid.ProjectInput { p.Owner = ""; return p }, civicgrid.EINVALID},
		"a negative budget":      {secretary, func(p civicgrid.ProjectInput) civicgrid.ProjectInput { p.Budget = -1; return p }, civicgrid.EINVALID},
		"a proposal not adopted": {secretary, func(p civicgrid.ProjectInput) civicgrid.ProjectInput { p.ProposalID = open.ID; return p }, civicgrid.ECONFLICT},
		"out of scope": {awayStaff, func(p civicgrid.ProjectInput) civicgrid.ProjectInput {
			p.ProposalID = 0
			p.AreaCode = community
			p.Title = "x"
			return p
		}, civicgrid.EFORBIDDEN},
		"another scope's proposal": {awayStaff, func(p civicgrid.ProjectInput) civicgrid.ProjectInput { return p }, civicgrid.ENOTFOUND},
	} {
		if _, err := e.svc.StartProject(ctx, c.actor, c.in(in)); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	if ps, err := e.svc.Projects(ctx, secretary); err != nil || len(ps) != 0 {
		t.Fatalf("a refused project was written: %v %v", ps, err)
	}

	p, err := e.svc.StartProject(ctx, secretary, in)
	if err != nil || p.AreaCode != community || p.Title != prop.Title || len(p.Milestones) != 2 || p.Phase != civicgrid.PhasePlan {
		t.Fatalf("started: %+v %v", p, err)
	}
	// Links both ways: proposal → project, and case ↔ project.
	if ps, err := e.svc.ProposalProjects(ctx, r2, prop.ID); err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		t.Fatalf("the proposal's projects: %+v %v", ps, err)
	}
	if _, err := e.svc.LinkCase(ctx, secretary, p.ID, 78); code(err) != civicgrid.EINVALID {
		t.Fatalf("an unknown case linked: %v", err)
	}
	if _, err := e.svc.LinkCase(ctx, r1, p.ID, 77); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident links a case: %v", err)
	}
	if v, err := e.svc.LinkCase(ctx, secretary, p.ID, 77); err != nil || len(v.Cases) != 1 || v.Cases[0] != 77 {
		t.Fatalf("linked: %+v %v", v.Cases, err)
	}
	if _, err := e.svc.LinkCase(ctx, secretary, p.ID, 77); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("linked twice: %v", err)
	}
	if ps, err := e.svc.CaseProjects(ctx, secretary, 77); err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		t.Fatalf("the case's projects: %+v %v", ps, err)
	}
	if ps, err := e.svc.CaseProjects(ctx, outsider, 77); err != nil || len(ps) != 0 {
		t.Fatalf("an outsider sees the case's project: %+v %v", ps, err)
	}

	// Milestones: a bad one is refused; lights go green → yellow → red, and
	// the overdue one fires once.
	if _, err := e.svc.AddMilestone(ctx, secretary, p.ID, civicgrid.MilestoneInput{Title: "验收", DueAt: e.now.Add(-time.Hour)}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a milestone before the start: %v", err)
	}
	v, err := e.svc.Project(ctx, r1, p.ID)
	if err != nil || v.Milestones[0].Light != "green" || v.CanManage || v.CanRate || len(v.Milestones) != 2 {
		t.Fatalf("a resident's view: %+v %v", v, err)
	}
	e.now = e.now.Add(40 * time.Hour) // 40 of 48 hours: amber
	if v, _ = e.svc.Project(ctx, r1, p.ID); v.Milestones[0].Light != "yellow" {
		t.Fatalf("at 83%%: %s", v.Milestones[0].Light)
	}
	// Nothing is overdue yet; the first milestone, due within
	// MilestoneReminder, is reminded (once).
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 1 {
		t.Fatalf("nothing is due yet, one reminder: %d %v", n, err)
	}
	e.now = e.now.Add(9 * time.Hour)
	if next, err := e.db.NextMilestoneDue(ctx); err != nil || !next.Equal(p.Milestones[0].DueAt) {
		t.Fatalf("next due: %v %v", next, err)
	}
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 1 {
		t.Fatalf("overdue fired: %d %v", n, err)
	}
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 0 {
		t.Fatalf("overdue fired twice: %d %v", n, err)
	}
	if v, _ = e.svc.Project(ctx, r1, p.ID); v.Milestones[0].Light != "red" || v.Overdue != 1 {
		t.Fatalf("overdue light: %+v", v.Milestones[0])
	}
	// The owner (the starter: the owner is a department) hears of it once,
	// after the reminder before it was due.
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Config{Texts: texts}, e.db, nil)
	notes.AddSource(e.svc.ProjectNotifySource())
	for range 2 {
		if _, err := notes.Produce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := e.db.Notifications(ctx, civicgrid.NotificationFilter{UserID: secretary.UserID, Limit: 10})
	if err != nil || len(ns) != 2 || ns[0].Kind != "cogov.milestone_overdue" || !strings.Contains(ns[0].Body, "采购") || ns[1].Kind != "cogov.milestone_due_soon" {
		t.Fatalf("owner's inbox: %+v %v", ns, err)
	}
	if v, err = e.svc.CompleteMilestone(ctx, secretary, p.ID, p.Milestones[0].ID); err != nil || v.Milestones[0].Light != "late" || v.Done != 1 {
		t.Fatalf("done late: %+v %v", v.Milestones, err)
	}
	if _, err := e.svc.CompleteMilestone(ctx, secretary, p.ID, p.Milestones[0].ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("done twice: %v", err)
	}

	// Progress with photos: refs are checked.
	if _, err := e.svc.PostUpdate(ctx, secretary, p.ID, cogovern.UpdateInput{Text: "扶手已到货", Photos: []string{"../etc/passwd"}}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a bad photo ref: %v", err)
	}
	if _, err := e.svc.PostUpdate(ctx, r1, p.ID, cogovern.UpdateInput{Text: "扶手已到货"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident posts progress: %v", err)
	}
	ref := strings.Repeat("ab", 32) + ".jpg"
	if u, err := e.svc.PostUpdate(ctx, secretary, p.ID, cogovern.UpdateInput{Text: "扶手已到货", Photos: []string{ref}}); err != nil || u.Photos[0] != ref {
		t.Fatalf("update: %+v %v", u, err)
	}

	// Evaluation: only in the evaluation phase, 1–5, once, by residents
	// of the scope.
	if _, err := e.svc.RateProject(ctx, r1, p.ID, 5); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("rated while building: %v", err)
	}
	if _, err := e.svc.AdvancePhase(ctx, secretary, p.ID, civicgrid.PhaseEvaluate); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a phase skipped: %v", err)
	}
	for _, ph := range []civicgrid.ProjectPhase{civicgrid.PhaseBuild, civicgrid.PhaseManage, civicgrid.PhaseEvaluate} {
		if _, err := e.svc.AdvancePhase(ctx, secretary, p.ID, ph); err != nil {
			t.Fatal(ph, err)
		}
	}
	if _, err := e.svc.RateProject(ctx, r1, p.ID, 6); code(err) != civicgrid.EINVALID {
		t.Fatalf("rating 6: %v", err)
	}
	if _, err := e.svc.RateProject(ctx, outsider, p.ID, 4); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("an outsider rates: %v", err)
	}
	if _, err := e.svc.RateProject(ctx, secretary, p.ID, 5); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("staff rate: %v", err)
	}
	if v, err = e.svc.Project(ctx, r1, p.ID); err != nil || !v.CanRate || v.Ratings != 0 {
		t.Fatalf("before rating: %+v %v", v, err)
	}
	if v, err = e.svc.RateProject(ctx, r1, p.ID, 5); err != nil || v.Ratings != 1 || v.MyRating != 5 || v.CanRate {
		t.Fatalf("rated: %+v %v", v, err)
	}
	if _, err := e.svc.RateProject(ctx, r1, p.ID, 1); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("rated twice: %v", err)
	}
	if v, err = e.svc.RateProject(ctx, r2, p.ID, 4); err != nil || v.Ratings != 2 || v.SatisfactionText() != "4.5" {
		t.Fatalf("second resident: %+v %v", v, err)
	}
	if _, err := e.svc.AdvancePhase(ctx, secretary, p.ID, civicgrid.PhaseShare); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RateProject(ctx, e.person(civicgrid.RoleResident, building), p.ID, 3); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("rated after the evaluation: %v", err)
	}
	// The indicators: one project, 2 milestones due this year, none on time, 4.5 of 2 ratings.
	st, err := e.svc.ProjectStats(ctx, secretary, community, "2026")
	if err != nil || st.Projects != 1 || st.MilestonesDue != 2 || st.OnTime != 0 || st.Ratings != 2 || st.Satisfaction != 4.5 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	// The public board shows the project without its owner.
	if ps, err := e.svc.NoticeProjects(ctx, building); err != nil || len(ps) != 1 || ps[0].Owner != "" || ps[0].Ratings != 2 {
		t.Fatalf("board: %+v %v", ps, err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
	h, err := e.db.CogovEvents(ctx, civicgrid.ProjectSubject(p.ID))
	if err != nil || h[0].Action != civicgrid.CogovProjectStarted || h[len(h)-1].Data["ratings"] != "2" {
		t.Fatalf("history: %+v %v", h, err)
	}
	for _, ev := range h {
		if ev.Action == civicgrid.CogovProjectRated && ev.Actor != "resident" {
			t.Fatalf("a rating names its rater to neighbours: %+v", ev)
		}
	}
}

func TestComments(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1, r2 := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleResident, building2)
	outsider := e.person(civicgrid.RoleResident, away)
	prop, err := e.svc.Propose(ctx, r1, cogovern.ProposalInput{AreaCode: community, Title: "楼道加装声控灯"})
	if err != nil {
		t.Fatal(err)
	}
	subject := civicgrid.ProposalSubject(prop.ID)
	for name, c := range map[string]struct {
		actor civicgrid.Actor
		in    cogovern.CommentInput
		want  string
	}{
		"over the limit":     {r2, cogovern.CommentInput{Body: strings.Repeat("长", civicgrid.MaxCommentLength+1)}, civicgrid.EINVALID},
		"empty":              {r2, cogovern.CommentInput{Body: "  "}, civicgrid.EINVALID},
		"out of scope":       {outsider, cogovern.CommentInput{Body: "我也要"}, civicgrid.ENOTFOUND},
		"a reply to nothing": {r2, cogovern.CommentInput{Body: "同意", ParentID: 999}, civicgrid.EINVALID},
	} {
		if _, err := e.svc.Comment(ctx, c.actor, subject, c.in); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	if cs, err := e.svc.Comments(ctx, r1, subject); err != nil || len(cs) != 0 {
		t.Fatalf("a refused comment was written: %+v %v", cs, err)
	}
	c1, err := e.svc.Comment(ctx, r2, subject, cogovern.CommentInput{Body: "同意，晚上太黑"})
	if err != nil || c1.Author == "" || strings.Contains(c1.Author, r2.Name[3:]) && len(r2.Name) > 3 {
		t.Fatalf("comment: %+v %v", c1, err)
	}
	reply, err := e.svc.Comment(ctx, r1, subject, cogovern.CommentInput{Body: "谢谢支持", ParentID: c1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Comment(ctx, r2, subject, cogovern.CommentInput{Body: "再回复", ParentID: reply.ID}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a reply to a reply: %v", err)
	}
	// Rate limit: the third comment in a minute is the last.
	for _, b := range []string{"第二条", "第三条"} {
		if _, err := e.svc.Comment(ctx, r1, subject, cogovern.CommentInput{Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Comment(ctx, r1, subject, cogovern.CommentInput{Body: "第四条"}); code(err) != civicgrid.ETHROTTLED {
		t.Fatalf("past the rate limit: %v", err)
	}
	e.now = e.now.Add(2 * time.Minute)
	if _, err := e.svc.Comment(ctx, r1, subject, cogovern.CommentInput{Body: "第四条"}); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
	// Moderation: staff only, with a reason everyone sees.
	if _, err := e.svc.HideComment(ctx, r1, c1.ID, "不文明"); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident hides: %v", err)
	}
	if _, err := e.svc.HideComment(ctx, secretary, c1.ID, " "); code(err) != civicgrid.EINVALID {
		t.Fatalf("hidden without a reason: %v", err)
	}
	h, err := e.svc.HideComment(ctx, secretary, c1.ID, "含有他人电话号码")
	if err != nil || !h.Hidden || h.Body != "" || h.HiddenReason != "含有他人电话号码" {
		t.Fatalf("hidden: %+v %v", h, err)
	}
	if _, err := e.svc.HideComment(ctx, secretary, c1.ID, "again"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("hidden twice: %v", err)
	}
	cs, err := e.svc.Comments(ctx, r2, subject)
	if err != nil || len(cs) != 4 || !cs[0].Hidden || cs[0].Body != "" || len(cs[0].Replies) != 1 || cs[0].Replies[0].Body != "谢谢支持" {
		t.Fatalf("comments: %+v %v", cs, err)
	}
	hist, err := e.db.CogovEvents(ctx, subject)
	if err != nil || hist[len(hist)-1].Action != civicgrid.CogovCommentHidden || hist[len(hist)-1].Note != "含有他人电话号码" {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}
