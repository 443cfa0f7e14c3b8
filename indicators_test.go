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

func TestTrendBuckets(t *testing.T) {
	for _, tc := range []struct {
		from, to int
		size     string
		want     [][2]int
	}{
		{20261123, 20261125, BucketDay, [][2]int{{20261123, 20261123}, {20261124, 20261124}, {20261125, 20261125}}},
		// Weeks run Monday to Sunday; the first and last are cut.
		{20261104, 20261123, BucketWeek, [][2]int{{20261104, 20261108}, {20261109, 20261115}, {20261116, 20261122}, {20261123, 20261123}}},
		{20261102, 20261108, BucketWeek, [][2]int{{20261102, 20261108}}},
		{20251215, 20260205, BucketMonth, [][2]int{{20251215, 20251231}, {20260101, 20260131}, {20260201, 20260205}}},
		{20240201, 20240229, BucketMonth, [][2]int{{20240201, 20240229}}},
	} {
		got, err := TrendBuckets(tc.from, tc.to, tc.size)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("TrendBuckets(%d, %d, %s) = %v, %v; want %v", tc.from, tc.to, tc.size, got, err, tc.want)
		}
	}
	for _, bad := range [][3]any{{20261123, 20261122, BucketDay}, {20250231, 20250301, BucketDay}, {20261101, 20261130, "year"}} {
		if _, err := TrendBuckets(bad[0].(int), bad[1].(int), bad[2].(string)); ErrorCode(err) != EINVALID {
			t.Errorf("TrendBuckets%v: %v, want EINVALID", bad, err)
		}
	}
	for days, want := range map[int]string{1: BucketDay, 7: BucketDay, 31: BucketDay, 32: BucketWeek, 90: BucketWeek, 182: BucketWeek, 183: BucketMonth, 365: BucketMonth} {
		if got := AutoBucket(days); got != want {
			t.Errorf("AutoBucket(%d) = %s, want %s", days, got, want)
		}
	}
}
