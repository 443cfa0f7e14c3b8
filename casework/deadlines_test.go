package casework

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/workcal"
)

// countingUpdates counts the store's update transactions and, once, lets
// "another instance" raise one case between the scheduler's read and its
// write.
type countingUpdates struct {
	Store
	calls     int
	interfere func()
}

func (s *countingUpdates) UpdateCases(ctx context.Context, cs []civicgrid.Case, evs []civicgrid.CaseEvent) ([]civicgrid.Case, error) {
	s.calls++
	if f := s.interfere; f != nil {
		s.interfere = nil
		f()
	}
	return s.Store.UpdateCases(ctx, cs, evs)
}

// TestEscalationsOfABurstShareOneTransaction: deadlines missed together
// (after an outage, or at busy intake) are raised in one commit, not one
// each; when another writer changed one of them meanwhile the others are
// still raised, each exactly once, and every chain verifies.
func TestEscalationsOfABurstShareOneTransaction(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cat := testCategory
	db, clock := openTestStore(t, &now, cat)
	report := func(missedAt time.Time) civicgrid.Case {
		t.Helper()
		at := missedAt.Add(-time.Hour)
		return storeReport(t, db, civicgrid.Case{Category: cat.Code, Lat: 30.6, Lng: 114.3, CreatedAt: at, UpdatedAt: at,
			RespondBy: missedAt, NextDeadline: missedAt})
	}
	escalations := func(id int64) int {
		t.Helper()
		evs, err := db.CaseEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Action == civicgrid.CaseEscalate {
				n++
			}
		}
		return n
	}

	var burst []civicgrid.Case
	for i := range 50 {
		burst = append(burst, report(now.Add(-time.Duration(i+1)*time.Second)))
	}
	store := &countingUpdates{Store: db}
	var lags []time.Duration // the scheduler-lag metric's observations
	s := New(Config{Escalated: func(lag time.Duration) { lags = append(lags, lag) }}, store, db, nil, nil, clock)
	if n, err := s.EscalateDue(ctx); err != nil || n != len(burst) {
		t.Fatalf("escalated %d (%v), want %d", n, err, len(burst))
	}
	var total time.Duration
	for _, l := range lags {
		total += l
	}
	if len(lags) != len(burst) || total != time.Duration(len(burst)*(len(burst)+1)/2)*time.Second {
		t.Errorf("lags observed: %d summing %s, want %d summing %ds", len(lags), total, len(burst), len(burst)*(len(burst)+1)/2)
	}
	lags = nil
	if store.calls != 1 {
		t.Errorf("%d update transactions for a burst of %d, want 1", store.calls, len(burst))
	}
	for _, c := range burst {
		if got := escalations(c.ID); got != 1 {
			t.Errorf("case %d escalated %d times", c.ID, got)
		}
	}

	// A second burst, one of whose cases another instance raises first.
	now = now.Add(time.Minute)
	var second []civicgrid.Case
	for i := range 5 {
		second = append(second, report(now.Add(-time.Duration(i+1)*time.Second)))
	}
	other := New(Config{}, db, db, nil, nil, clock)
	store.calls = 0
	store.interfere = func() {
		c, err := db.CaseByID(ctx, second[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := other.escalate(ctx, c, now); err != nil || !ok {
			t.Fatalf("the other instance's escalation: %v %v", ok, err)
		}
	}
	if n, err := s.EscalateDue(ctx); err != nil || n != len(second)-1 {
		t.Fatalf("escalated %d (%v), want %d (one was raised by the other instance)", n, err, len(second)-1)
	}
	if len(lags) != len(second)-1 {
		t.Errorf("%d lags observed one case at a time, want %d", len(lags), len(second)-1)
	}
	for _, l := range lags {
		if l < time.Second || l > 5*time.Second {
			t.Errorf("lag %s, want 1–5 s (the deadline before raising)", l)
		}
	}
	if store.calls != 1+len(second) {
		t.Errorf("%d update transactions, want the batch then one per case", store.calls)
	}
	for _, c := range second {
		if got := escalations(c.ID); got != 1 {
			t.Errorf("case %d escalated %d times, want once", c.ID, got)
		}
	}
	if err := db.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		return civicgrid.VerifyChain(evs)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenLights counts open cases by the light their pages show: green
// under 80 % of the limit, yellow from 80 %, red past it; cases without a
// running clock (registered, closed) are not counted.
func TestOpenLights(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db, clock := openTestStore(t, &now, testCategory)
	cal, err := workcal.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, db, db, nil, cal, clock)
	report := func(age time.Duration) civicgrid.Case {
		t.Helper()
		at := now.Add(-age)
		return storeReport(t, db, civicgrid.Case{Category: testCategory.Code, Lat: 30.6, Lng: 114.3, CreatedAt: at, UpdatedAt: at,
			RespondBy: at.Add(time.Hour)})
	}
	report(10 * time.Minute) // green: a sixth of the hour used
	report(12 * time.Minute) // green
	report(50 * time.Minute) // yellow: 83 %
	report(2 * time.Hour)    // red: past its hour
	registered := report(3 * time.Hour)
	c := registered
	c.Status = civicgrid.StatusRegistered
	if _, err := db.UpdateCases(ctx, []civicgrid.Case{c}, []civicgrid.CaseEvent{{CaseID: c.ID, At: now, Actor: "t", Action: civicgrid.CaseRegister,
		From: civicgrid.StatusReported, To: civicgrid.StatusRegistered}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.OpenLights(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"green": 2, "yellow": 1, "red": 1}; !maps.Equal(got, want) {
		t.Errorf("open lights %v, want %v", got, want)
	}
}
