package civicgrid

import (
	"slices"
	"testing"
)

// What an event adds to the due counts, with the keys the case loop sets
// now and without them (events recorded before they existed).
func TestRollupDeltaDue(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		ev                     CaseEvent
		respondDue, resolveDue int64
	}{
		{"answered in time", CaseEvent{Action: CaseRegister, Data: map[string]string{DataFirstResponse: "on_time", DataRespondDue: "1"}}, 1, 0},
		{"answered late after an escalation", CaseEvent{Action: CaseRegister, Data: map[string]string{DataFirstResponse: "late", DataRespondDue: "0"}}, 0, 0},
		{"escalated for the response", CaseEvent{Action: CaseEscalate, Data: map[string]string{"missed": "respond", DataRespondDue: "1"}}, 1, 0},
		{"escalated for the fix", CaseEvent{Action: CaseEscalate, Data: map[string]string{"missed": "resolve", DataResolveDue: "1"}}, 0, 1},
		{"escalated again", CaseEvent{Action: CaseEscalate, Data: map[string]string{"missed": "resolve"}}, 0, 0},
		{"closed first", CaseEvent{Action: CaseClose, Data: map[string]string{DataFirstClose: "1", DataOnTime: "1", DataResolveDue: "1"}}, 0, 1},
		{"closed after an escalation", CaseEvent{Action: CaseClose, Data: map[string]string{DataFirstClose: "1", DataOnTime: "0", DataResolveDue: "0"}}, 0, 0},
		{"closed again after a reopening", CaseEvent{Action: CaseClose, Data: map[string]string{}}, 0, 0},
		{"old answer", CaseEvent{Action: CaseRegister, Data: map[string]string{DataFirstResponse: "late"}}, 1, 0},
		{"old first close", CaseEvent{Action: CaseClose, Data: map[string]string{DataFirstClose: "1", DataOnTime: "0"}}, 0, 1},
		{"old escalation", CaseEvent{Action: CaseEscalate, Data: map[string]string{"missed": "respond", "escalation": "1"}}, 0, 0},
	} {
		d, _ := RollupDelta(tc.ev)
		if d.RespondDue != tc.respondDue || d.ResolveDue != tc.resolveDue {
			t.Errorf("%s: respond due %d, resolve due %d; want %d, %d", tc.name, d.RespondDue, d.ResolveDue, tc.respondDue, tc.resolveDue)
		}
	}
	history := []CaseEvent{{Action: CaseReport, Data: map[string]string{}}, {Action: CaseEscalate, Data: map[string]string{DataResolveDue: "1"}}}
	if !ResolveDueCounted(history) || ResolveDueCounted(history[:1]) {
		t.Error("ResolveDueCounted misreads a history")
	}
}

// Rates over fewer than SmallSample cases are flagged; rates without cases
// are null, not small.
func TestSmallSample(t *testing.T) {
	var in Indicators
	in.Compute(Counters{Received: 40, RespondDue: 40, RespondedOnTime: 30, Registered: 19, Closed: 19, Rated: 1, Satisfied: 1}, nil)
	if want := []string{"closure_rate", "satisfaction_rate"}; !slices.Equal(in.SmallSample, want) {
		t.Errorf("small samples %v, want %v", in.SmallSample, want)
	}
	if v := in.Value("response_rate"); v == nil || *v != 0.75 {
		t.Errorf("response rate %v", v)
	}
	if in.Value("on_time_closure_rate") != nil || in.Value("rework_rate") != nil {
		t.Error("a rate without cases is not null")
	}
}
