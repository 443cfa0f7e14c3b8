package server_test

// Case clarity: who holds a case, whom it may be sent to, what a merged or
// rejected report's reporter learns — over real HTTP on the real store.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/web"
)

const testWorkPhone = "027-12345000"

func newClarityEnv(t *testing.T) *caseEnv {
	return newCaseEnvConfig(t, openDemoStore, nil, casework.Config{WorkPhone: testWorkPhone},
		web.Config{Hotline: "12345", OfficeAddress: "三阳社区服务中心"})
}

type assigneeView struct {
	caseView
	Assignee     *casework.Assignee `json:"assignee"`
	MergedReport int64              `json:"merged_report"`
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

// The reporter of a report merged into another case reads the kept case —
// its public form, the steps and the fix, no other reporter's data — and
// no one else gains anything; the merged report's page links to it and
// shows its outcome.
func TestMergedReporterReadsTheKeptCase(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	stranger := e.login(civicgrid.RoleResident, e.chain.building)
	kept := e.report(p.resident, "C0006", e.chain)
	dup := e.report(p.neighbour, "C0006", e.chain)
	e.refuse(p.neighbour, kept.ID, civicgrid.CaseComment, map[string]any{"note": "我也是"}, http.StatusNotFound)
	if _, st := e.read(p.neighbour, kept.ID); st != http.StatusNotFound {
		t.Fatalf("before the merge the neighbour reads the case: %d", st)
	}
	e.step(p.staff, dup.ID, civicgrid.CaseMerge, map[string]any{"into": kept.ID})
	e.step(p.staff, kept.ID, civicgrid.CaseRegister, nil)
	e.step(p.staff, kept.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	e.step(p.worker, kept.ID, civicgrid.CaseAccept, nil)
	e.step(p.worker, kept.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.resident, kept.ID, civicgrid.CaseComment, map[string]any{"note": "我家电话 13812345678，随时联系"})

	v, st := e.read(p.neighbour, kept.ID)
	if st != 200 || v.MergedReport != dup.ID || v.Status != civicgrid.StatusHandled || v.Assignee != nil {
		t.Fatalf("merged reporter's read: %d %+v", st, v)
	}
	_, raw := e.call(p.neighbour, "GET", fmt.Sprintf("/api/v1/cases/%d", kept.ID), nil, nil)
	_, hist := e.call(p.neighbour, "GET", fmt.Sprintf("/api/v1/cases/%d/events", kept.ID), nil, nil)
	for _, secret := range []string{p.resident.user.Phone, civicgrid.MaskPhone(p.resident.user.Phone), p.resident.user.Name,
		civicgrid.MaskName(p.resident.user.Name), "13812345678", p.worker.user.Phone, civicgrid.MaskPhone(p.worker.user.Phone)} {
		if strings.Contains(raw, secret) || strings.Contains(hist, secret) {
			t.Errorf("the merged reporter sees %q", secret)
		}
	}
	if !strings.Contains(hist, "已更换破裂管段") || !strings.Contains(hist, `"action":"handle"`) {
		t.Errorf("the merged reporter does not see the fix: %s", hist)
	}
	if strings.Contains(raw, `"reporter_id"`) || strings.Contains(raw, `"address"`) {
		t.Errorf("not the public form: %s", raw)
	}
	// Reading is all: no steps, no comments.
	e.refuse(p.neighbour, kept.ID, civicgrid.CaseComment, map[string]any{"note": "谢谢"}, http.StatusNotFound)
	if len(v.Actions) != 0 {
		t.Errorf("merged reporter is offered %v", v.Actions)
	}
	// No one else: another resident of the building, staff elsewhere.
	if _, st := e.read(stranger, kept.ID); st != http.StatusNotFound {
		t.Errorf("a stranger reads the kept case: %d", st)
	}
	if _, st := e.read(p.outsider, kept.ID); st != http.StatusNotFound {
		t.Errorf("an outsider reads the kept case: %d", st)
	}
	// The merged report's page links to the kept case and says how it stands.
	st, page := e.raw(p.neighbour, "GET", fmt.Sprintf("/cases/%d", dup.ID), nil)
	if st != 200 || !strings.Contains(page, fmt.Sprintf(`href="/cases/%d" data-testid="kept-link"`, kept.ID)) ||
		!strings.Contains(page, `data-status="handled"`) {
		t.Errorf("merged report's page: %d, no link or outcome", st)
	}
	st, page = e.raw(p.neighbour, "GET", fmt.Sprintf("/cases/%d", kept.ID), nil)
	if st != 200 || !strings.Contains(page, `data-testid="merged-view"`) || strings.Contains(page, "13812345678") {
		t.Errorf("kept case's page for the merged reporter: %d", st)
	}
	// A merge of the kept case in turn: the first reporter still follows.
	first := e.report(p.dispatcher, "C0001", e.chain)
	second := e.report(stranger, "C0001", e.chain)
	last := e.report(p.secretary, "C0001", e.chain)
	e.step(p.staff, second.ID, civicgrid.CaseMerge, map[string]any{"into": first.ID})
	e.step(p.staff, first.ID, civicgrid.CaseMerge, map[string]any{"into": last.ID})
	if v, st := e.read(stranger, last.ID); st != 200 || v.MergedReport != second.ID {
		t.Errorf("through two merges: %d, merged report %d", st, v.MergedReport)
	}
}

// A rejected report shows the reason at the top and where else to turn.
func TestRejectedReportSaysWhereToTurn(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	c := e.report(p.resident, "C0004", e.chain)
	e.step(p.staff, c.ID, civicgrid.CaseReject, map[string]any{"reason": "out_of_scope", "note": "属物业管理范围，请联系物业"})
	st, page := e.raw(p.resident, "GET", fmt.Sprintf("/cases/%d", c.ID), nil)
	banner := strings.Index(page, `data-testid="rejected"`)
	if st != 200 || banner < 0 || banner > strings.Index(page, "<h1>") {
		t.Fatalf("rejected page: %d, banner at %d, heading at %d", st, banner, strings.Index(page, "<h1>"))
	}
	for _, want := range []string{"不属于受理范围", "属物业管理范围，请联系物业", `href="tel:12345"`, "三阳社区服务中心"} {
		if !strings.Contains(page, want) {
			t.Errorf("rejected page lacks %s", want)
		}
	}
}

// Reopening from /my: the form carries the reason, and the step works.
func TestReopenFromMyPage(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	c := e.closedCase(p)
	_, my := e.raw(p.resident, "GET", "/my", nil)
	if !strings.Contains(my, fmt.Sprintf(`action="/cases/%d/reopen"`, c.ID)) || !strings.Contains(my, `name="reason" rows="2" maxlength="500" required`) {
		t.Fatalf("/my offers no reopen form with a reason")
	}
	form := url.Values{"csrf_token": {p.resident.csrf}, "back": {"/my"}, "reason": {"垃圾又堆回来了"}}
	st, _ := e.raw(p.resident, "POST", fmt.Sprintf("/cases/%d/reopen", c.ID), []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if v, _ := e.read(p.resident, c.ID); v.Status != civicgrid.StatusRegistered || v.Reopens != 1 {
		t.Errorf("reopen from /my: %d, case %s with %d reopens", st, v.Status, v.Reopens)
	}
}

// A rating has no default: the form preselects none, and a rating left out
// is refused, saying so, with nothing written.
func TestRatingHasNoDefault(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	c := e.closedCase(p)
	_, my := e.raw(p.resident, "GET", "/my", nil)
	form := my[strings.Index(my, fmt.Sprintf(`action="/cases/%d/rate"`, c.ID)):]
	form = form[:strings.Index(form, "</form>")]
	if !strings.Contains(form, `name="rating"`) || strings.Contains(form, "checked") {
		t.Errorf("the rate form preselects a rating or has none: %s", form)
	}
	before := len(e.events(p.resident, c.ID))
	if b := e.refuse(p.resident, c.ID, civicgrid.CaseRate, map[string]any{"note": "还行"}, http.StatusBadRequest); !strings.Contains(b, "none was given") {
		t.Errorf("missing rating: %s", b)
	}
	// The form's answer (followed to /my) says what is missing.
	st, back := e.raw(p.resident, "POST", fmt.Sprintf("/cases/%d/rate", c.ID),
		[]byte(url.Values{"csrf_token": {p.resident.csrf}, "back": {"/my"}, "comment": {"还行"}}.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if st != 200 || !strings.Contains(back, `data-testid="flash-error"`) || !strings.Contains(back, "none was given") {
		t.Errorf("form without a rating: %d, no error shown", st)
	}
	if v, _ := e.read(p.resident, c.ID); v.Status != civicgrid.StatusClosed || v.Rating != 0 || len(e.events(p.resident, c.ID)) != before {
		t.Errorf("a refused rating changed the case: %s rating %d", v.Status, v.Rating)
	}
}

// The dispatch sheet: everything a paper copy needs, for staff who may
// read the case; print CSS leaves the site's navigation out.
func TestDispatchSheet(t *testing.T) {
	e := newClarityEnv(t)
	p := e.cast()
	c := e.report(p.resident, "C0005", e.chain)
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	v := e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	st, page := e.raw(p.staff, "GET", fmt.Sprintf("/cases/%d/print", c.ID), nil)
	if st != 200 {
		t.Fatalf("sheet: %d", st)
	}
	for _, want := range []string{"派遣单", fmt.Sprintf(`data-testid="sheet-id">%d<`, c.ID), "水管破裂", e.chain.gridArea.Name, e.chain.grid,
		v.ResolveBy.In(civicgrid.Beijing).Format("2006-01-02 15:04"), p.worker.user.Name, "楼下水管破裂，水流到路上",
		`src="/photos/` + e.photo + `"`, fmt.Sprintf("%s/cases/%d", e.srv.URL, c.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
	if _, casePage := e.raw(p.staff, "GET", fmt.Sprintf("/cases/%d", c.ID), nil); !strings.Contains(casePage, fmt.Sprintf(`href="/cases/%d/print"`, c.ID)) {
		t.Errorf("the case page does not link to the sheet")
	}
	if _, casePage := e.raw(p.resident, "GET", fmt.Sprintf("/cases/%d", c.ID), nil); strings.Contains(casePage, "/print") {
		t.Errorf("the reporter is offered the dispatch sheet")
	}
	if st, _ := e.raw(p.outsider, "GET", fmt.Sprintf("/cases/%d/print", c.ID), nil); st != http.StatusNotFound {
		t.Errorf("outsider: %d, want 404", st)
	}
}

// closedCase runs a resident's report through the loop to closed.
func (e *caseEnv) closedCase(p loopCast) civicgrid.Case {
	e.t.Helper()
	c := e.report(p.resident, "C0004", e.chain)
	e.step(p.staff, c.ID, civicgrid.CaseRegister, nil)
	e.step(p.staff, c.ID, civicgrid.CaseDispatch, map[string]any{"assignee_id": p.worker.user.ID})
	e.step(p.worker, c.ID, civicgrid.CaseAccept, nil)
	e.step(p.worker, c.ID, civicgrid.CaseHandle, e.evidence())
	e.step(p.staff, c.ID, civicgrid.CaseVerify, nil)
	e.step(p.staff, c.ID, civicgrid.CaseClose, nil)
	return c
}
