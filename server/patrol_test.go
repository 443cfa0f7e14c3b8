package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// TestPatrolReportHandledOnTheSpot: a grid worker's patrol report with
// self_handled is reported and self-handled in one request and one
// transaction — one chain of two events, counted as both — and the worker
// still may not verify or close their own fix.
func TestPatrolReportHandledOnTheSpot(t *testing.T) {
	ctx := context.Background()
	e := newCaseEnv(t)
	p := e.cast()
	lat, lng := e.point(e.chain)
	body := map[string]any{"category": "06010", "lat": lat, "lng": lng, "description": "路边垃圾堆", "channel": "patrol",
		"photos": []string{e.photo}, "self_handled": true, "handled_note": "已清运"}
	var in struct {
		Case     civicgrid.Case `json:"case"`
		Existing bool           `json:"existing"`
	}
	st, b := e.call(p.worker, "POST", "/api/v1/cases", body, &in)
	if st != http.StatusCreated {
		t.Fatalf("patrol report: %d %s", st, b)
	}
	c := in.Case
	if c.Status != civicgrid.StatusHandled || !c.SelfHandled || c.AssigneeID != p.worker.user.ID || c.Channel != civicgrid.ChannelPatrol ||
		c.RespondedAt.IsZero() || c.HandledAt.IsZero() || c.Version != 2 {
		t.Fatalf("stored case: %+v", c)
	}
	evs, err := e.db.CaseEvents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Action != civicgrid.CaseReport || evs[1].Action != civicgrid.CaseSelfHandle ||
		evs[1].Note != "已清运" || len(evs[1].Attachments) != 1 || evs[1].ActorID != p.worker.user.ID {
		t.Fatalf("events: %+v", evs)
	}
	if err := civicgrid.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	if diffs, err := e.db.RebuildRollups(ctx, false); err != nil || len(diffs) > 0 {
		t.Fatalf("indicators check: %v %q", err, diffs)
	}
	counted, _, err := e.db.SumRollups(ctx, civicgrid.RollupQuery{Scope: e.chain.grid, FromDay: 20261101, ToDay: 20261130})
	if err != nil || counted.Received != 1 || counted.Registered != 1 || counted.Responded != 1 || counted.Handled != 1 {
		t.Fatalf("counted %+v %v", counted, err)
	}
	// Separation of duties: not offered, and refused.
	var v caseView
	e.call(p.worker, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &v)
	for _, a := range v.Actions {
		if a == civicgrid.CaseVerify || a == civicgrid.CaseRework {
			t.Errorf("the worker who self-handled is offered %s", a)
		}
	}
	if st, b := e.call(p.worker, "POST", fmt.Sprintf("/api/v1/cases/%d/verify", c.ID), nil, nil); st != http.StatusForbidden {
		t.Errorf("self-verify: %d %s", st, b)
	}
	e.step(p.staff, c.ID, civicgrid.CaseVerify, nil)
	// Sent with an Idempotency-Key and retried, it is made once.
	raw, _ := json.Marshal(body)
	for range 2 {
		st, b := e.raw(p.worker, "POST", "/api/v1/cases", raw, "Content-Type", "application/json", "Idempotency-Key", "patrol-1")
		if st >= 300 {
			t.Fatalf("keyed patrol report: %d %s", st, b)
		}
	}
	cs, _ := e.db.ListCases(ctx, civicgrid.CaseFilter{All: true})
	if len(cs) != 2 {
		t.Errorf("%d cases after a keyed report and its retry, want 2", len(cs))
	}
}

// TestPatrolSelfHandledBadInput: what cannot be self-handled as filed is
// refused with a clear error and nothing is written.
func TestPatrolSelfHandledBadInput(t *testing.T) {
	ctx := context.Background()
	e := newCaseEnv(t)
	p := e.cast()
	lat, lng := e.point(e.chain)
	base := func(change map[string]any) map[string]any {
		b := map[string]any{"category": "06010", "lat": lat, "lng": lng, "description": "垃圾", "channel": "patrol",
			"photos": []string{e.photo}, "self_handled": true, "handled_note": "已清运"}
		for k, v := range change {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	for _, tt := range []struct {
		name string
		who  person
		body map[string]any
		want int
		says string
	}{
		{"no note", p.worker, base(map[string]any{"handled_note": "  "}), 400, "note"},
		{"no photo", p.worker, base(map[string]any{"photos": nil}), 400, "photo"},
		{"not a patrol report", p.worker, base(map[string]any{"channel": "app"}), 400, "patrol"},
		{"unknown category", p.worker, base(map[string]any{"category": "99999"}), 400, "unknown category"},
		{"a resident", p.resident, base(nil), 403, "patrol"},
		{"staff", p.staff, base(nil), 403, "patrol"},
	} {
		st, b := e.call(tt.who, "POST", "/api/v1/cases", tt.body, nil)
		if st != tt.want || !strings.Contains(b, tt.says) {
			t.Errorf("%s: %d %s (want %d saying %q)", tt.name, st, b, tt.want, tt.says)
		}
	}
	if cs, err := e.db.ListCases(ctx, civicgrid.CaseFilter{All: true}); err != nil || len(cs) != 0 {
		t.Errorf("refused patrol reports stored %d cases (%v)", len(cs), err)
	}
}
