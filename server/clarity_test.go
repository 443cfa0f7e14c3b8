package server_test

// Case clarity: who holds a case, whom it may be sent to, what a merged or
// rejected report's reporter learns — over real HTTP on the real store.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/web"
)

const testWorkPhone = "027-12345000"

func newClarityEnv(t *testing.T) *caseEnv {
	return newCaseEnvConfig(t, openDemoStore, nil, casework.Config{WorkPhone: testWorkPhone}, web.Config{})
}

type assigneeView struct {
	caseView
	Assignee *casework.Assignee `json:"assignee"`
}

func (e *caseEnv) read(p person, id int64) (assigneeView, int) {
	e.t.Helper()
	var v assigneeView
	st, _ := e.call(p, "GET", fmt.Sprintf("/api/v1/cases/%d", id), nil, &v)
	return v, st
}

// The case names who holds it: staff see the colleague's full name and a
// masked phone; the reporter sees the grid worker's name and the work
// phone, never the worker's own.
func TestCaseNamesAssignee(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	c := e.report(p.resident, "C0005", e.chain)
	if v, _ := e.read(p.resident, c.ID); v.Assignee != nil {
		t.Fatalf("a case with no one has an assignee: %+v", v.Assignee)
	}
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	worker := p.worker.user

	v, _ := e.read(p.staff, c.ID)
	a := v.Assignee
	if a == nil || a.Name != worker.Name || a.Phone != civicgrid.MaskPhone(worker.Phone) || a.Role != civicgrid.RoleGridWorker ||
		a.AreaCode != e.chain.grid || a.AreaName == "" || a.AreaName == e.chain.grid || a.WorkPhone != "" {
		t.Errorf("staff's view of the assignee: %+v", a)
	}
	v, _ = e.read(p.dispatcher, c.ID) // above the worker: a colleague too
	if v.Assignee == nil || v.Assignee.Name != worker.Name {
		t.Errorf("street dispatcher's view: %+v", v.Assignee)
	}
	v, _ = e.read(p.resident, c.ID)
	a = v.Assignee
	if a == nil || a.Name != worker.Name || a.Phone != "" || a.WorkPhone != testWorkPhone || a.Role != civicgrid.RoleGridWorker {
		t.Errorf("reporter's view of the assignee: %+v", a)
	}
	if _, raw := e.call(p.resident, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, nil); strings.Contains(raw, worker.Phone) ||
		strings.Contains(raw, civicgrid.MaskPhone(worker.Phone)) {
		t.Errorf("the reporter's answer carries the worker's phone: %s", raw)
	}
	// The page says the same.
	st, page := e.raw(p.resident, "GET", fmt.Sprintf("/cases/%d", c.ID), nil)
	if st != 200 || !strings.Contains(page, worker.Name) || !strings.Contains(page, `href="tel:`+testWorkPhone+`"`) || strings.Contains(page, worker.Phone) {
		t.Errorf("reporter's page: %d, name or work phone missing, or the worker's phone shown", st)
	}
	st, page = e.raw(p.staff, "GET", fmt.Sprintf("/cases/%d", c.ID), nil)
	if st != 200 || !strings.Contains(page, worker.Name) || !strings.Contains(page, civicgrid.MaskPhone(worker.Phone)) || strings.Contains(page, "tel:") {
		t.Errorf("staff page: %d, name or masked phone missing, or a work phone shown", st)
	}

	// A community staff member who holds the case is named to staff only.
	c2 := e.report(p.resident, "C0004", e.chain)
	e.step(p.staff, c2.ID, civicgrid.CaseRegister, nil)
	e.step(p.secretary, c2.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.staff.user.ID})
	if v, _ := e.read(p.secretary, c2.ID); v.Assignee == nil || v.Assignee.Name != p.staff.user.Name || v.Assignee.Role != civicgrid.RoleCommunityStaff {
		t.Errorf("secretary's view of a staff assignee: %+v", v.Assignee)
	}
	if v, _ := e.read(p.resident, c2.ID); v.Assignee == nil || v.Assignee.Name != "" || v.Assignee.Role != civicgrid.RoleCommunityStaff ||
		v.Assignee.WorkPhone != testWorkPhone {
		t.Errorf("reporter's view of a staff assignee: %+v", v.Assignee)
	}
	// A department: named to everyone who reads the case.
	c3 := e.report(p.resident, "C0004", e.chain)
	e.step(p.staff, c3.ID, civicgrid.CaseRegister, nil)
	e.step(p.staff, c3.ID, civicgrid.CaseDispatch, map[string]any{"dept": "物业公司"})
	if v, _ := e.read(p.resident, c3.ID); v.Assignee == nil || v.Assignee.Dept != "物业公司" || v.Assignee.WorkPhone != testWorkPhone {
		t.Errorf("reporter's view of a department: %+v", v.Assignee)
	}
	if _, st := e.read(p.outsider, c.ID); st != http.StatusNotFound {
		t.Errorf("outsider: %d, want 404", st)
	}
}

// Dispatch goes only to people who can log in: the default skips a grid
// worker without a login (listed by an area import), a named one is
// refused, one with a linked OIDC login is taken; the page names
// colleagues in full with masked phones and their grid, and shows who has
// no login without letting them be chosen.
func TestDispatchOnlyToPeopleWhoCanLogIn(t *testing.T) {
	e := newClarityEnv(t)
	ctx := t.Context()
	grid := []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: e.chain.grid}}
	// Made first, so the first of the grid's workers by id.
	noLogin, err := e.db.CreateUser(ctx, civicgrid.User{Name: "王无号", Phone: "13900000001"}, "", grid, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	p := e.cast()
	c := e.report(p.resident, "C0004", e.chain) // no default department
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)

	st, page := e.raw(p.staff, "GET", fmt.Sprintf("/cases/%d", c.ID), nil)
	if st != 200 {
		t.Fatalf("case page: %d", st)
	}
	gridName := e.chain.gridArea.Name
	for _, want := range []string{
		fmt.Sprintf(`<option value="%d">%s · 网格员 · %s（%s）</option>`, p.worker.user.ID, p.worker.user.Name, gridName, civicgrid.MaskPhone(p.worker.user.Phone)),
		fmt.Sprintf(`<option value="%d" disabled>%s · 网格员 · %s（%s）· 无登录账号，不能派遣</option>`, noLogin.ID, noLogin.Name, gridName, civicgrid.MaskPhone(noLogin.Phone)),
		fmt.Sprintf(`<option value="%d">%s · 社区工作者`, p.staff.user.ID, p.staff.user.Name),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dispatch list lacks %s", want)
		}
	}
	if strings.Contains(page, p.worker.user.Phone) {
		t.Errorf("dispatch list shows a full phone")
	}

	e.refuse(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": noLogin.ID}, http.StatusBadRequest)
	v := e.step(p.staff, c.ID, civicgrid.CaseDispatch, nil)
	if v.AssigneeID != p.worker.user.ID {
		t.Fatalf("default dispatch went to user %d, want the worker who can log in (%d), not %d", v.AssigneeID, p.worker.user.ID, noLogin.ID)
	}
	// A login through OIDC counts.
	if err := e.db.LinkIdentity(ctx, "https://idp.example", "wang", noLogin.ID); err != nil {
		t.Fatal(err)
	}
	e.step(p.worker, c.ID, civicgrid.CaseReturn, map[string]any{"reason": "换人处理"})
	if v := e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": noLogin.ID}); v.AssigneeID != noLogin.ID {
		t.Errorf("dispatch to a linked login: %d", v.AssigneeID)
	}
}
