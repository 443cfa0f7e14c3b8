package cogovern_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/web"
)

// Spending against the budget: entries add up exactly (fen); one taking
// the total past the budget needs a reason, shown with it; bad entries
// write nothing. Edits after the start need a reason and are chained.
// A milestone's owner is reminded once, MilestoneReminder before it is
// due, and again (as before) when it is overdue.
func TestProjectSpendingEditsReminders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Config{Texts: texts}, e.db, nil)
	notes.AddSource(e.svc.ProjectNotifySource())
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	owner := e.person(civicgrid.RoleCommunityStaff, community)
	r1 := e.person(civicgrid.RoleResident, building)
	outsider := e.person(civicgrid.RoleResident, away)
	p, err := e.svc.StartProject(ctx, secretary, civicgrid.ProjectInput{AreaCode: community, Title: "加装扶手", Owner: "王主任", OwnerID: owner.UserID,
		Budget: 1000, StartsOn: e.now, Milestones: []civicgrid.MilestoneInput{{Title: "采购", DueAt: e.now.Add(5 * 24 * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	today := e.now.Format(time.DateOnly)
	for name, c := range map[string]struct {
		actor civicgrid.Actor
		in    civicgrid.SpendingInput
		want  string
	}{
		"a resident enters":  {r1, civicgrid.SpendingInput{Amount: "10", SpentOn: today, Purpose: "螺丝"}, civicgrid.EFORBIDDEN},
		"from far away":      {outsider, civicgrid.SpendingInput{Amount: "10", SpentOn: today, Purpose: "螺丝"}, civicgrid.ENOTFOUND},
		"zero":               {secretary, civicgrid.SpendingInput{Amount: "0", SpentOn: today, Purpose: "螺丝"}, civicgrid.EINVALID},
		"three decimals":     {secretary, civicgrid.SpendingInput{Amount: "1.005", SpentOn: today, Purpose: "螺丝"}, civicgrid.EINVALID},
		"not a number":       {secretary, civicgrid.SpendingInput{Amount: "1e3", SpentOn: today, Purpose: "螺丝"}, civicgrid.EINVALID},
		"tomorrow":           {secretary, civicgrid.SpendingInput{Amount: "10", SpentOn: e.now.AddDate(0, 0, 1).Format(time.DateOnly), Purpose: "螺丝"}, civicgrid.EINVALID},
		"no purpose":         {secretary, civicgrid.SpendingInput{Amount: "10", SpentOn: today}, civicgrid.EINVALID},
		"a receipt never up": {secretary, civicgrid.SpendingInput{Amount: "10", SpentOn: today, Purpose: "螺丝", Receipt: "nope.jpg"}, civicgrid.EINVALID},
		"past the budget":    {secretary, civicgrid.SpendingInput{Amount: "1000.01", SpentOn: today, Purpose: "扶手"}, civicgrid.EINVALID},
		"a purpose too long": {secretary, civicgrid.SpendingInput{Amount: "10", SpentOn: today, Purpose: strings.Repeat("长", 201)}, civicgrid.EINVALID},
	} {
		if _, err := e.svc.AddSpending(ctx, c.actor, p.ID, c.in); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	if v, _ := e.svc.Project(ctx, secretary, p.ID); len(v.Spending) != 0 || v.SpentFen != 0 {
		t.Fatalf("refused entries were written: %+v", v.Spending)
	}
	if _, err := e.svc.AddSpending(ctx, secretary, p.ID, civicgrid.SpendingInput{Amount: "999.99", SpentOn: today, Purpose: "扶手 20 米", OverReason: "用不上"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddSpending(ctx, secretary, p.ID, civicgrid.SpendingInput{Amount: "0.02", SpentOn: today, Purpose: "螺丝"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("one fen past the budget without a reason: %v", err)
	}
	sp, err := e.svc.AddSpending(ctx, secretary, p.ID, civicgrid.SpendingInput{Amount: "0.02", SpentOn: today, Purpose: "螺丝", OverReason: "螺丝涨价"})
	if err != nil || sp.OverReason != "螺丝涨价" || sp.AmountFen != 2 || sp.Author == "" {
		t.Fatalf("past the budget with a reason: %+v %v", sp, err)
	}
	v, err := e.svc.Project(ctx, r1, p.ID)
	if err != nil || v.SpentFen != 100001 || v.SpentText() != "1000.01" || !v.OverBudget() || len(v.Spending) != 2 ||
		v.Spending[0].OverReason != "" || v.Spending[1].OverReason != "螺丝涨价" {
		t.Fatalf("residents read the spending: %+v %+v %v", v.Project, v.Spending, err)
	}
	if ps, err := e.svc.NoticeProjects(ctx, building); err != nil || len(ps) != 1 || ps[0].SpentFen != 100001 {
		t.Fatalf("the board shows the total spent: %+v %v", ps, err)
	}

	// Edits.
	if _, err := e.svc.EditProject(ctx, secretary, p.ID, civicgrid.ProjectEdit{Title: "加装扶手和照明"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("an edit without a reason: %v", err)
	}
	if _, err := e.svc.EditProject(ctx, secretary, p.ID, civicgrid.ProjectEdit{Title: "加装扶手", Reason: "同名"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("an edit changing nothing: %v", err)
	}
	if _, err := e.svc.EditProject(ctx, secretary, p.ID, civicgrid.ProjectEdit{StartsOn: e.now.Add(6 * 24 * time.Hour), Reason: "推迟"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a start after a milestone: %v", err)
	}
	if _, err := e.svc.EditProject(ctx, r1, p.ID, civicgrid.ProjectEdit{Title: "别的", Reason: "我想"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident edits: %v", err)
	}
	ev, err := e.svc.EditProject(ctx, secretary, p.ID, civicgrid.ProjectEdit{Title: "加装扶手和照明", Owner: "物业公司", Reason: "居民要求一并加装照明"})
	if err != nil || ev.Title != "加装扶手和照明" || ev.Owner != "物业公司" || ev.OwnerID != 0 {
		t.Fatalf("edited: %+v %v", ev.Project, err)
	}
	last := ev.History[len(ev.History)-1]
	if last.Action != civicgrid.CogovProjectEdited || last.Note != "居民要求一并加装照明" || last.Data["was_title"] != "加装扶手" || last.Data["was_owner"] != "王主任" {
		t.Fatalf("the edit's history: %+v", last)
	}

	// Reminders: none until MilestoneReminder before the due time, then once.
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 0 {
		t.Fatalf("fired %d five days ahead: %v", n, err)
	}
	e.now = e.now.Add(5*24*time.Hour - civicgrid.MilestoneReminder + time.Minute)
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 1 {
		t.Fatalf("fired %d within the reminder: %v", n, err)
	}
	if n, _ := e.svc.FireOverdueMilestones(ctx); n != 0 {
		t.Fatalf("reminded twice: %d", n)
	}
	e.now = e.now.Add(civicgrid.MilestoneReminder)
	if n, err := e.svc.FireOverdueMilestones(ctx); err != nil || n != 1 {
		t.Fatalf("overdue: %d %v", n, err)
	}
	if _, err := notes.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	// The owner was the starter's choice when reminded (the edit left no
	// account: the starter hears).
	ns, err := e.db.Notifications(ctx, civicgrid.NotificationFilter{UserID: secretary.UserID, Limit: 10})
	if err != nil || len(ns) != 2 || ns[0].Kind != "cogov.milestone_overdue" || ns[1].Kind != "cogov.milestone_due_soon" || !strings.Contains(ns[1].Body, "采购") {
		t.Fatalf("the starter's inbox: %+v %v", ns, err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}
