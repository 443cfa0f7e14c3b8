package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// The project page's spending and edit forms over the real service: an
// entry past the budget without a reason is refused, with one it is shown
// with its reason to residents; the total against the budget is on the
// page and the public board; an edit needs its reason.
func TestCogovProjectSpendingAndEditPages(t *testing.T) {
	ctx := context.Background()
	svc, h, person := cogovTestUI(t)
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	p, err := svc.StartProject(ctx, secretary, civicgrid.ProjectInput{AreaCode: "420102001001", Title: "加装扶手", Owner: "居委会", Budget: 100,
		StartsOn: time.Now(), Milestones: []civicgrid.MilestoneInput{{Title: "安装", DueAt: time.Now().Add(240 * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/projects/%d", p.ID)
	if b := as(h, resident, "GET", page, nil).Body.String(); strings.Contains(b, `data-testid="spending-form"`) || strings.Contains(b, `data-testid="edit-form"`) {
		t.Fatal("a resident is offered staff's forms")
	}
	today := time.Now().In(civicgrid.Beijing).Format(time.DateOnly)
	form := url.Values{"csrf_token": {"tok"}, "amount": {"120.50"}, "spent_on": {today}, "purpose": {"不锈钢扶手"}}
	if loc := as(h, secretary, "POST", page+"/spending", form).Header().Get("Location"); !strings.Contains(loc, "failed=invalid") {
		t.Fatalf("past the budget without a reason: %s", loc)
	}
	form.Set("over_reason", "钢材涨价")
	if loc := as(h, secretary, "POST", page+"/spending", form).Header().Get("Location"); !strings.Contains(loc, "done=spending") {
		t.Fatalf("past the budget with a reason: %s", loc)
	}
	b := as(h, resident, "GET", page, nil).Body.String()
	if !strings.Contains(b, `data-testid="over-reason"`) || !strings.Contains(b, "钢材涨价") || !strings.Contains(b, "120.50 元（预算 100.00 元）") || !strings.Contains(b, "超出预算") {
		t.Fatalf("the resident reads the spending: %s", b)
	}
	board := as(h, civicgrid.Actor{}, "GET", "/notices/420102001001?lang=en", nil).Body.String()
	if !strings.Contains(board, "120.50 of 100.00 yuan spent") {
		t.Fatalf("the board shows the spending: %s", board)
	}
	if loc := as(h, secretary, "POST", page+"/edit", url.Values{"csrf_token": {"tok"}, "title": {"加装扶手和照明"}, "owner": {"居委会"}}).Header().Get("Location"); !strings.Contains(loc, "failed=invalid") {
		t.Fatalf("an edit without a reason: %s", loc)
	}
	if loc := as(h, secretary, "POST", page+"/edit", url.Values{"csrf_token": {"tok"}, "title": {"加装扶手和照明"}, "owner": {"居委会"},
		"starts_on": {time.Now().In(civicgrid.Beijing).Format(time.DateOnly)}, "reason": {"一并加装照明"}}).Header().Get("Location"); !strings.Contains(loc, "done=edited") {
		t.Fatalf("an edit: %s", loc)
	}
	if b := as(h, resident, "GET", page, nil).Body.String(); !strings.Contains(b, "加装扶手和照明") || !strings.Contains(b, "一并加装照明") {
		t.Fatalf("the edited project and the reason in its history: %s", b)
	}
}

// Undoing a merge from the merged proposal's page (staff only).
func TestCogovUnmergePage(t *testing.T) {
	ctx := context.Background()
	svc, h, person := cogovTestUI(t)
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	a, _ := svc.Propose(ctx, resident, cogovern.ProposalInput{AreaCode: "420102001001", Title: "加装充电桩"})
	b, _ := svc.Propose(ctx, resident, cogovern.ProposalInput{AreaCode: "420102001001", Title: "门口装充电桩"})
	if _, err := svc.MergeProposal(ctx, secretary, b.ID, a.ID, "同一件事"); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/proposals/%d", b.ID)
	if strings.Contains(as(h, resident, "GET", page, nil).Body.String(), `data-testid="unmerge"`) {
		t.Fatal("a resident is offered to undo the merge")
	}
	if !strings.Contains(as(h, secretary, "GET", page, nil).Body.String(), `data-testid="unmerge"`) {
		t.Fatal("staff are not offered to undo the merge")
	}
	if loc := as(h, secretary, "POST", page+"/unmerge", url.Values{"csrf_token": {"tok"}, "reason": {"不是一回事"}}).Header().Get("Location"); !strings.Contains(loc, "done=unmerged") {
		t.Fatalf("unmerge: %s", loc)
	}
	if b := as(h, resident, "GET", page, nil).Body.String(); strings.Contains(b, `data-testid="merged-into"`) || !strings.Contains(b, "不是一回事") {
		t.Fatalf("the proposal after the undo: %s", b)
	}
}
