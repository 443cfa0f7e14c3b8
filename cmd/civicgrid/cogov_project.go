package main

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// seedDemoProjects starts one project in the demo city's first community,
// once, from the proposal whose vote the co-governance seed closed: started
// a month ago by the secretary, a milestone done on time, one three days
// overdue (red; as the rest of the seeded past, nobody is notified of it),
// one ahead, a progress report, and a resident's
// comment with the secretary's reply.
func seedDemoProjects(ctx context.Context, db *sqlstore.DB, svc *cogovern.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if ps, err := db.Projects(ctx, []string{areas.community}, nil, 1); err != nil || len(ps) > 0 {
		return err
	}
	person := func(phone string) (civicgrid.Actor, error) {
		rec, err := db.LoginRecordByPhone(ctx, phone)
		return rec.User.Actor(), err
	}
	resident, err := person("19900000001")
	if err != nil {
		return err
	}
	secretary, err := person("19900000007")
	if err != nil {
		return err
	}
	ps, err := db.Proposals(ctx, []string{areas.community}, nil, 100)
	if err != nil {
		return err
	}
	var from int64
	for _, p := range ps {
		if p.Status.Adopted() {
			from = p.ID
		}
	}
	now := time.Now()
	monthAgo := now.AddDate(0, 0, -30)
	past := cogovern.New(cogovern.Config{Now: func() time.Time { return monthAgo }}, db, db)
	p, err := past.StartProject(ctx, secretary, civicgrid.ProjectInput{AreaCode: areas.community, ProposalID: from, Title: "垃圾分类投放点迁建",
		Body: "按居民表决结果，把投放点从3栋门口移到小区东侧空地，加装雨棚和洗手池。", Owner: "社区居委会", Budget: 38000, StartsOn: monthAgo,
		Milestones: []civicgrid.MilestoneInput{
			{Title: "方案公示", DueAt: monthAgo.AddDate(0, 0, 5)},
			{Title: "场地硬化和雨棚施工", DueAt: now.AddDate(0, 0, -3)},
			{Title: "投入使用", DueAt: now.AddDate(0, 0, 14)},
		}})
	if err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	if _, err := past.AdvancePhase(ctx, secretary, p.ID, civicgrid.PhaseBuild); err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	fourDays := cogovern.New(cogovern.Config{Now: func() time.Time { return monthAgo.AddDate(0, 0, 4) }}, db, db)
	if _, err := fourDays.CompleteMilestone(ctx, secretary, p.ID, p.Milestones[0].ID); err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	if _, err := fourDays.PostUpdate(ctx, secretary, p.ID, cogovern.UpdateInput{Text: "方案已在公示栏张贴五天，无异议；施工队下周进场。"}); err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	// Spending against the budget (财务公开): the rain shelter, and the
	// concrete (one entry).
	for _, sp := range []civicgrid.SpendingInput{
		{Amount: "12600.00", SpentOn: monthAgo.AddDate(0, 0, 10).Format(time.DateOnly), Purpose: "雨棚材料和安装"},
		{Amount: "8350.50", SpentOn: monthAgo.AddDate(0, 0, 18).Format(time.DateOnly), Purpose: "场地硬化（混凝土）"},
	} {
		if _, err := svc.AddSpending(ctx, secretary, p.ID, sp); err != nil {
			return fmt.Errorf("demo spending: %w", err)
		}
	}
	c, err := svc.Comment(ctx, resident, civicgrid.ProjectSubject(p.ID), cogovern.CommentInput{Body: "施工时间能不能避开早上七点前？老人睡眠浅。"})
	if err == nil {
		_, err = svc.Comment(ctx, secretary, civicgrid.ProjectSubject(p.ID), cogovern.CommentInput{Body: "已和施工队约定每天8点后开工。", ParentID: c.ID})
	}
	if err != nil {
		return fmt.Errorf("demo comment: %w", err)
	}
	// The overdue milestone is the demo's past too: it lights red, and
	// nobody is told of it (the notifications' cursor starts after it), so
	// the demo accounts' inboxes start empty.
	if _, err := svc.FireOverdueMilestones(ctx); err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	evs, err := db.CogovEventsAfter(ctx, 0, 100_000)
	if err != nil || len(evs) == 0 {
		return err
	}
	_, err = db.AddNotifications(ctx, cogovern.ProjectNotifySourceName, 0, evs[len(evs)-1].ID, nil)
	return err
}
