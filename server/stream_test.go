package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// sseEvent is one "case" event of a live stream.
type sseEvent struct {
	Action civicgrid.CaseAction `json:"action"`
	Case   caseView             `json:"case"`
}

// openStream connects p to the live case stream and returns its events as
// they come; the stream closes with the test.
func (e *caseEnv) openStream(p person, query string) <-chan sseEvent {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/cases/stream"+query, nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: p.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("stream%s: %d %s", query, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	// The first comment says the subscription is in place: wait for it so
	// no change made after openStream returns can be missed.
	for sc.Scan() && sc.Text() != ": connected" {
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "case":
				var ev sseEvent
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
					e.t.Errorf("stream data %q: %v", line, err)
					return
				}
				out <- ev
			case line == "":
				event = ""
			}
		}
	}()
	return out
}

// nextEvent waits briefly for the stream's next event.
func nextEvent(t *testing.T, ch <-chan sseEvent, who string) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("%s: stream closed", who)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no event within 5 s", who)
	}
	return sseEvent{}
}

// TestCaseStreamScoped: a grid worker's live queue hears of changes in
// their grid, masked as they would read them, and nothing from elsewhere;
// a stream outside one's scope is refused.
func TestCaseStreamScoped(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	worker := e.openStream(p.worker, "")
	outsider := e.openStream(p.outsider, "?within="+e.other.community)
	if st, _ := e.call(p.worker, "GET", "/api/v1/cases/stream?within="+e.other.grid, nil, nil); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Errorf("worker streaming another district: %d, want 403 or 404", st)
	}

	away := e.login(civicgrid.RoleResident, e.other.building)
	farCase := e.report(away, "C0005", e.other)
	near := e.report(p.resident, "C0005", e.chain)

	ev := nextEvent(t, worker, "worker")
	if ev.Case.ID != near.ID || ev.Action != civicgrid.CaseReport {
		t.Fatalf("worker's first event: case %d %s, want case %d report (the far case %d must not come)", ev.Case.ID, ev.Action, near.ID, farCase.ID)
	}
	if ev.Case.ReporterID != 0 || strings.Contains(ev.Case.ReporterPhone, p.resident.user.Phone) {
		t.Errorf("worker's event shows the reporter: %+v", ev.Case.Case)
	}
	if ev.Case.Light == "" {
		t.Errorf("event has no traffic light: %+v", ev.Case)
	}
	if got := nextEvent(t, outsider, "outsider"); got.Case.ID != farCase.ID {
		t.Fatalf("outsider's first event: case %d, want %d", got.Case.ID, farCase.ID)
	}

	e.step(p.staff, near.ID, civicgrid.CaseRegister, nil)
	ev = nextEvent(t, worker, "worker")
	if ev.Case.ID != near.ID || ev.Action != civicgrid.CaseRegister || ev.Case.Status != civicgrid.StatusRegistered {
		t.Fatalf("after register: case %d %s %s", ev.Case.ID, ev.Action, ev.Case.Status)
	}
	select {
	case got := <-outsider:
		t.Fatalf("outsider heard of case %d in another district", got.Case.ID)
	case <-time.After(200 * time.Millisecond):
	}
}
