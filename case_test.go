package civicgrid_test

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/gendoc"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/")

func TestStepFollowsTheTable(t *testing.T) {
	for _, tt := range []struct {
		status  civicgrid.CaseStatus
		pending string
		prev    civicgrid.CaseStatus
		action  civicgrid.CaseAction
		want    civicgrid.CaseStatus
		code    string
	}{
		{civicgrid.StatusReported, "", "", civicgrid.CaseRegister, civicgrid.StatusRegistered, ""},
		{civicgrid.StatusReported, "", "", civicgrid.CaseClose, "", civicgrid.ECONFLICT},
		{civicgrid.StatusInProgress, "", "", civicgrid.CaseRequestExtension, civicgrid.StatusInProgress, ""},
		{civicgrid.StatusInProgress, civicgrid.PendingExtension, "", civicgrid.CaseRequestSuspend, "", civicgrid.ECONFLICT},
		{civicgrid.StatusInProgress, civicgrid.PendingExtension, "", civicgrid.CaseHandle, civicgrid.StatusHandled, ""},
		{civicgrid.StatusInProgress, civicgrid.PendingCancel, "", civicgrid.CaseHandle, "", civicgrid.ECONFLICT},
		{civicgrid.StatusInProgress, "", "", civicgrid.CaseApproveExtension, "", civicgrid.ECONFLICT},
		{civicgrid.StatusSuspended, "", civicgrid.StatusDispatched, civicgrid.CaseResume, civicgrid.StatusDispatched, ""},
		{civicgrid.StatusClosed, "", "", civicgrid.CaseReopen, civicgrid.StatusRegistered, ""},
		{civicgrid.StatusRated, "", "", civicgrid.CaseRate, "", civicgrid.ECONFLICT},
		{civicgrid.StatusReported, "", "", "fly", "", civicgrid.EINVALID},
		{civicgrid.StatusReported, "", "", civicgrid.CaseEscalate, "", civicgrid.EINVALID},
	} {
		_, got, err := civicgrid.Step(tt.status, tt.pending, tt.prev, tt.action)
		if got != tt.want || civicgrid.ErrorCode(err) != tt.code {
			t.Errorf("Step(%s, %q, %s) = %s, %v; want %s, code %q", tt.status, tt.pending, tt.action, got, err, tt.want, tt.code)
		}
	}
	_, _, err := civicgrid.Step(civicgrid.StatusReported, "", "", civicgrid.CaseClose)
	for _, a := range []string{"register", "reject", "merge", "self_handle"} {
		if !strings.Contains(err.Error(), a) {
			t.Errorf("409 message %q does not name %s", err, a)
		}
	}
}

func TestEveryStatusIsReachableAndEveryOpenStatusLeaves(t *testing.T) {
	reached := map[civicgrid.CaseStatus]bool{civicgrid.StatusReported: true}
	for _, tr := range civicgrid.CaseTransitions {
		if tr.To != "" {
			reached[tr.To] = true
		}
	}
	for _, s := range civicgrid.CaseStatuses {
		if !reached[s] {
			t.Errorf("status %s is never reached", s)
		}
		if s.Open() {
			leaves := false
			for _, a := range civicgrid.AllowedCaseActions(s, "") {
				tr, _ := civicgrid.LookupTransition(a)
				leaves = leaves || (tr.To != "" && tr.To != s)
			}
			if !leaves {
				t.Errorf("open status %s has no way out", s)
			}
		}
	}
}

func TestChainDetectsTampering(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var evs []civicgrid.CaseEvent
	prev := civicgrid.GenesisHash
	for i, a := range []civicgrid.CaseAction{civicgrid.CaseReport, civicgrid.CaseRegister, civicgrid.CaseDispatch} {
		ev := civicgrid.CaseEvent{CaseID: 7, Seq: i + 1, At: at.Add(time.Duration(i) * time.Minute), Actor: "张*", Action: a,
			To: civicgrid.StatusReported, PrevHash: prev, Data: map[string]string{"b": "2", "a": "1"}}
		ev.Hash = ev.ChainHash()
		prev = ev.Hash
		evs = append(evs, ev)
	}
	if err := civicgrid.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	for name, tamper := range map[string]func([]civicgrid.CaseEvent) []civicgrid.CaseEvent{
		"note":    func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent { e[1].Note = "x"; return e },
		"data":    func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent { e[0].Data = map[string]string{"a": "9"}; return e },
		"time":    func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent { e[2].At = e[2].At.Add(time.Millisecond); return e },
		"removed": func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent { return append(e[:1], e[2:]...) },
		"swapped": func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent { e[1], e[2] = e[2], e[1]; return e },
		"rehashed": func(e []civicgrid.CaseEvent) []civicgrid.CaseEvent {
			e[1].Note = "x"
			e[1].Hash = e[1].ChainHash() // the next event still links to the old hash
			return e
		},
	} {
		if err := civicgrid.VerifyChain(tamper(slices.Clone(evs))); err == nil {
			t.Errorf("%s: tampering not detected", name)
		}
	}
}

func TestCloseBuckets(t *testing.T) {
	for _, d := range []time.Duration{30 * time.Second, time.Minute, 90 * time.Minute, 26 * time.Hour, 400 * 24 * time.Hour} {
		b := civicgrid.CloseBucket(d)
		if up := civicgrid.BucketUpper(b); up < d && b < civicgrid.CloseBuckets-1 {
			t.Errorf("%v: bucket %d ends at %v, below the value", d, b, up)
		}
		if b > 0 && b < civicgrid.CloseBuckets-1 {
			if lo := civicgrid.BucketUpper(b - 1); lo > d {
				t.Errorf("%v: bucket %d starts at %v, above the value", d, b, lo)
			}
			if float64(civicgrid.BucketUpper(b)) > 1.19*float64(d)+float64(time.Second) && d >= time.Minute {
				t.Errorf("%v: bucket bound %v more than 19%% above", d, civicgrid.BucketUpper(b))
			}
		}
	}
}

// TestCasesDoc keeps the state machine section of docs/cases.md equal to
// the table in code.
func TestCasesDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("```mermaid\nstateDiagram-v2\n    [*] --> reported\n")
	for _, tr := range civicgrid.CaseTransitions {
		if tr.To == "" {
			continue
		}
		tos := []string{string(tr.To)}
		if tr.To == "(previous)" { // back to the status before the suspension
			tos = []string{"dispatched", "in_progress"}
		}
		for _, f := range tr.From {
			for _, to := range tos {
				fmt.Fprintf(&b, "    %s --> %s: %s\n", f, to, tr.Action)
			}
		}
	}
	b.WriteString("```\n\n| action | 名称 | from | to | permission | approval |\n|---|---|---|---|---|---|\n")
	for _, tr := range civicgrid.CaseTransitions {
		from := make([]string, len(tr.From))
		for i, f := range tr.From {
			from[i] = string(f)
		}
		to := string(tr.To)
		if to == "" {
			to = "(unchanged)"
		}
		approval := ""
		switch {
		case tr.Opens != "":
			approval = "asks for " + tr.Opens
		case tr.Needs != "":
			approval = "decides " + tr.Needs
		}
		if len(tr.From) == len(civicgrid.CaseStatuses) {
			from = []string{"any"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | `%s` | %s |\n", tr.Action, tr.NameZH, strings.Join(from, ", "), to, tr.Permission, approval)
	}
	gendoc.Check(t, "docs/cases.md", "state-machine", b.String(), *update, "go test -run Doc -update")
}

// TestPublicLocationWithoutFloatNoise: the public location is rounded to
// three decimals and prints as such (30.58, not 30.580000000000002).
func TestPublicLocationWithoutFloatNoise(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{30.58012, 30.58}, {114.29865, 114.299}, {30.5928, 30.593}, {-33.8688, -33.869}, {0.0004, 0},
	} {
		got := civicgrid.Case{Lat: tc.in, Lng: tc.in}.Public()
		if got.Lat != tc.want || got.Lng != tc.want || len(fmt.Sprint(got.Lat)) > len(fmt.Sprint(tc.want)) {
			t.Errorf("%v rounds to %v, want %v", tc.in, got.Lat, tc.want)
		}
	}
}
