package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// postForm posts a page form as p and returns the status and where the
// answer sends the browser.
func (e *caseEnv) postForm(p person, path string, form url.Values) (int, *url.URL) {
	e.t.Helper()
	form.Set("csrf_token", p.csrf)
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	return resp.StatusCode, loc
}

func (e *caseEnv) statusOf(id int64) civicgrid.CaseStatus {
	e.t.Helper()
	c, err := e.db.CaseByID(t0(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Status
}

// TestConsoleBatchAllOrNothing: the console registers or dispatches the
// checked cases in one step, each checked by the policy as a single step
// would be. One case the staff may not act on (outside their community,
// or in another state) refuses the whole batch with its reason, and none
// of the others is changed.
func TestConsoleBatchAllOrNothing(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	staff := e.login(civicgrid.RoleCommunityStaff, e.chain.community)
	a, b := e.report(p.resident, "C0005", e.chain).ID, e.report(p.resident, "C0004", e.chain).ID
	elsewhere := e.report(p.resident, "C0005", e.other).ID
	batch := func(action string, ids ...int64) url.Values {
		v := url.Values{"action": {action}, "back": {"/console?tab=triage"}}
		for _, id := range ids {
			v.Add("id", strconv.FormatInt(id, 10))
		}
		return v
	}
	refused := func(form url.Values, code string) {
		t.Helper()
		st, loc := e.postForm(staff, "/console/batch", form)
		if st != http.StatusSeeOther || loc.Query().Get("failed") != code || loc.Query().Get("detail") == "" {
			t.Fatalf("batch %v: %d %v, want refused with %s and a reason", form, st, loc, code)
		}
		if loc.Path != "/console" || loc.Query().Get("tab") != "triage" {
			t.Errorf("batch refused: back to %v, not the console list", loc)
		}
	}
	refused(batch("register", a, elsewhere, b), civicgrid.ENOTFOUND)
	for _, id := range []int64{a, b, elsewhere} {
		if s := e.statusOf(id); s != civicgrid.StatusReported {
			t.Errorf("case %d is %s after a refused batch", id, s)
		}
	}
	// Dispatch before registering: the state machine refuses both.
	refused(batch("dispatch", a, b), civicgrid.ECONFLICT)
	refused(batch("reject", a, b), civicgrid.EINVALID) // not a batch step: one at a time, with a reason
	refused(batch("register"), civicgrid.EINVALID)
	refused(url.Values{"action": {"register"}, "id": {"1x"}, "back": {"/console?tab=triage"}}, civicgrid.EINVALID)

	st, loc := e.postForm(staff, "/console/batch", batch("register", a, b))
	if st != http.StatusSeeOther || loc.Query().Get("done") != "register" || loc.Query().Get("count") != "2" {
		t.Fatalf("batch register: %d %v", st, loc)
	}
	st, loc = e.postForm(staff, "/console/batch", batch("dispatch", a, b))
	if st != http.StatusSeeOther || loc.Query().Get("done") != "dispatch" {
		t.Fatalf("batch dispatch: %d %v", st, loc)
	}
	for _, id := range []int64{a, b} {
		if s := e.statusOf(id); s != civicgrid.StatusDispatched {
			t.Errorf("case %d is %s after the batches", id, s)
		}
	}
	if s := e.statusOf(elsewhere); s != civicgrid.StatusReported {
		t.Errorf("the case elsewhere is %s", s)
	}
	// A page posting elsewhere is not followed off the console.
	if _, loc := e.postForm(staff, "/console/batch", url.Values{"action": {"register"}, "back": {"https://example.com/"}}); loc.Path != "/console" {
		t.Errorf("back to %v", loc)
	}
}

// TestConsolePagesEveryCaseOnce: the console lists a page of cases at a
// time, oldest response deadline first, and the next page goes on from the
// last case shown. The cases here all share their deadline (reported in
// the same minute on a stopped clock), so the pages must cut the tie by id:
// every case once, in order, none repeated or skipped. The list carries no
// forms; the chosen case's forms are in the pane, reject and merge with
// no reason chosen and a confirmation to tick.
func TestConsolePagesEveryCaseOnce(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	staff := e.login(civicgrid.RoleCommunityStaff, e.chain.community)
	var want []int64
	for range 120 {
		want = append(want, e.report(p.resident, "C0005", e.chain).ID)
	}
	e.report(p.resident, "C0005", e.other) // out of sight
	row := regexp.MustCompile(`<li class="console-row[^"]*" data-case="(\d+)"`)
	next := regexp.MustCompile(`href="(/console\?[^"]*)" rel="next"`)
	var got []int64
	path := "/console"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("more pages than cases")
		}
		st, body := e.call(staff, "GET", path, nil, nil)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", path, st)
		}
		if strings.Contains(body, `<form class="act`) {
			t.Errorf("%s: the list carries step forms", path)
		}
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			got = append(got, id)
		}
		path = ""
		if m := next.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages listed %d cases %v…, want the %d in id order", len(got), got[:min(len(got), 10)], len(want))
	}

	st, body := e.call(staff, "GET", fmt.Sprintf("/console?case=%d", want[3]), nil, nil)
	if st != http.StatusOK {
		t.Fatalf("pane: %d", st)
	}
	pane := body[strings.Index(body, `id="pane"`):]
	for _, action := range []string{"register", "reject", "merge"} {
		if !strings.Contains(pane, fmt.Sprintf(`action="/cases/%d/%s"`, want[3], action)) {
			t.Errorf("the pane has no %s form", action)
		}
	}
	for _, action := range []string{"reject", "merge"} {
		if !strings.Contains(pane, fmt.Sprintf(`id="confirm-%d-%s" name="confirm" type="checkbox" value="1" required`, want[3], action)) {
			t.Errorf("%s asks for no confirmation", action)
		}
	}
	if strings.Contains(pane, " selected>") || strings.Contains(pane, " checked") {
		t.Error("the pane's forms come with a choice made")
	}
	if _, body := e.call(staff, "GET", "/console?from=bad", nil, nil); !strings.Contains(body, `role="alert"`) {
		t.Error("a bad cursor is not refused")
	}
}
