package casework

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/workcal"
)

// MaxEscalation is the highest level a case is raised to: 1 community,
// 2 street, 3 district.
const MaxEscalation = 3

// EscalationLevels names the levels a case is raised to.
var EscalationLevels = []civicgrid.Level{"", civicgrid.LevelCommunity, civicgrid.LevelStreet, civicgrid.LevelDistrict}

// nextDeadline is when the scheduler must next look at the case. A case
// waiting to be registered escalates when its response limit passes; a
// dispatched case when its resolution limit passes. Each further span as
// long as the original limit raises it one more level, up to the district.
// Suspended, handled and finished cases run no clock.
func (s *Service) nextDeadline(c civicgrid.Case) time.Time {
	if c.Escalation >= MaxEscalation || c.Pending == civicgrid.PendingCancel {
		return time.Time{}
	}
	var due, start time.Time
	switch c.Status {
	case civicgrid.StatusReported:
		due, start = c.RespondBy, c.CreatedAt
	case civicgrid.StatusDispatched, civicgrid.StatusInProgress:
		due, start = c.ResolveBy, c.DispatchedAt
	case civicgrid.StatusRegistered:
		// Returned by its assignee: the resolution clock keeps running.
		if c.ResolveBy.IsZero() {
			return time.Time{}
		}
		due, start = c.ResolveBy, c.DispatchedAt
	default:
		return time.Time{}
	}
	if due.IsZero() {
		return time.Time{}
	}
	span := due.Sub(start)
	if span < time.Minute {
		span = time.Minute
	}
	return due.Add(time.Duration(c.Escalation) * span)
}

// EscalateDue raises every case whose deadline has passed by one level and
// returns how many were raised. Instances racing for the same case are
// serialised by the case version: one wins, the others skip it.
func (s *Service) EscalateDue(ctx context.Context) (int, error) {
	raised := 0
	for {
		now := s.now()
		due, err := s.store.DueCases(ctx, now, escalationBatch)
		if err != nil {
			return raised, err
		}
		n, err := s.escalateAll(ctx, due, now)
		raised += n
		if err != nil {
			return raised, err
		}
		if len(due) < escalationBatch || n == 0 {
			return raised, nil
		}
	}
}

// escalationBatch is how many due cases are raised in one transaction.
const escalationBatch = 200

// escalateAll raises the cases in one transaction: one commit (one sync of
// the disk) for a burst, such as the deadlines missed while the server was
// down, where a commit per case held intake's writer for each in turn. When
// one of them was changed meanwhile (by a person, or by another instance
// raising it first), nothing of the batch is written and the cases are
// raised one at a time, so each of the others is still raised exactly once.
func (s *Service) escalateAll(ctx context.Context, due []civicgrid.Case, now time.Time) (int, error) {
	if len(due) == 0 {
		return 0, nil
	}
	cs := make([]civicgrid.Case, len(due))
	evs := make([]civicgrid.CaseEvent, len(due))
	for i, c := range due {
		var err error
		if cs[i], evs[i], err = s.escalation(ctx, c, now); err != nil {
			return 0, err
		}
	}
	stored, err := s.store.UpdateCases(ctx, cs, evs)
	if civicgrid.ErrorCode(err) == civicgrid.ECONFLICT && len(due) > 1 {
		raised := 0
		for _, c := range due {
			ok, err := s.escalate(ctx, c, now)
			if err != nil {
				return raised, err
			}
			if ok {
				raised++
			}
		}
		return raised, nil
	}
	if civicgrid.ErrorCode(err) == civicgrid.ECONFLICT {
		return 0, nil // changed meanwhile (or another instance escalated it)
	}
	if err != nil {
		return 0, err
	}
	for i := range stored {
		s.observeEscalation(due[i], now)
		s.publish(stored[i], evs[i])
	}
	return len(stored), nil
}

func (s *Service) escalate(ctx context.Context, c civicgrid.Case, now time.Time) (bool, error) {
	before := c
	c, ev, err := s.escalation(ctx, c, now)
	if err != nil {
		return false, err
	}
	stored, err := s.store.UpdateCases(ctx, []civicgrid.Case{c}, []civicgrid.CaseEvent{ev})
	if civicgrid.ErrorCode(err) == civicgrid.ECONFLICT {
		return false, nil // changed meanwhile (or another instance escalated it)
	}
	if err != nil {
		return false, err
	}
	s.observeEscalation(before, now)
	s.publish(stored[0], ev)
	return true, nil
}

// observeEscalation reports how late case c (as it was before raising) was
// escalated.
func (s *Service) observeEscalation(c civicgrid.Case, now time.Time) {
	if s.cfg.Escalated != nil && !c.NextDeadline.IsZero() {
		s.cfg.Escalated(now.Sub(c.NextDeadline))
	}
}

// escalation is case c raised one level at now, with the event saying so.
func (s *Service) escalation(ctx context.Context, c civicgrid.Case, now time.Time) (civicgrid.Case, civicgrid.CaseEvent, error) {
	missed := c.NextDeadline
	c.Escalation++
	c.UpdatedAt = now
	c.NextDeadline = s.nextDeadline(c)
	kind := "resolve"
	if c.Status == civicgrid.StatusReported {
		kind = "respond"
	}
	ev := civicgrid.CaseEvent{At: now, Actor: "system", Action: civicgrid.CaseEscalate, From: c.Status, To: c.Status,
		Data: map[string]string{"level": string(EscalationLevels[c.Escalation]), "escalation": strconv.Itoa(c.Escalation),
			"missed": kind, "deadline": missed.UTC().Format(time.RFC3339)}}
	// A missed limit makes the response or the fix due for the indicators,
	// once: a case waiting for its response is escalated only for missing
	// it, while a fix may be escalated again after a return or an extension
	// (and only the first round counts, as for closing).
	switch {
	case kind == "respond" && c.Escalation == 1:
		ev.Data[civicgrid.DataRespondDue] = "1"
	case kind == "resolve" && c.Reopens == 0:
		history, err := s.store.CaseEvents(ctx, c.ID)
		if err != nil {
			return c, ev, err
		}
		if !civicgrid.ResolveDueCounted(history) {
			ev.Data[civicgrid.DataResolveDue] = "1"
		}
	}
	return c, ev, nil
}

// escalationSlack is how long the scheduler waits past the next deadline, so
// that deadlines falling close together (a case every few milliseconds at
// busy intake, their limits alike) are raised in one transaction rather than
// one each. Breaches still fire well within the second the rules allow.
var escalationSlack = 200 * time.Millisecond

// RunScheduler escalates cases as their deadlines pass until ctx ends. It
// sleeps until the earliest deadline in the store's due-time index (or
// until a change brings one nearer), so it costs nothing between
// deadlines, and it starts from the store, so restarts lose nothing.
func (s *Service) RunScheduler(ctx context.Context) {
	s.scheduled.Store(0)
	defer s.scheduled.Store(math.MaxInt64)
	Deadlines{Name: "cases escalated", Fire: s.EscalateDue, Next: s.store.NextDeadline, Now: s.now, Wake: s.wake,
		Slack: escalationSlack, Scheduled: func(at time.Time) { s.scheduled.Store(at.UnixMilli()) }}.Run(ctx)
}

// Deadlines is the deadline scheduler's loop, for any module whose work
// falls due at stored times (case escalation, care visits): it fires what
// is due, then sleeps until the earliest next due time in the store (or a
// nudge on Wake brings one nearer), so it costs nothing between deadlines
// and starts from the store, so restarts lose nothing.
type Deadlines struct {
	Name string // what the log says was fired ("cases escalated")
	// Fire handles everything due now and says how many.
	Fire func(ctx context.Context) (int, error)
	// Next is the earliest due time still pending (zero: none).
	Next func(ctx context.Context) (time.Time, error)
	Now  func() time.Time
	Wake <-chan struct{} // may be nil
	// Slack is waited past a due time, so that due times close together
	// are fired in one go.
	Slack time.Duration
	// Scheduled, when set, hears when the loop will next wake.
	Scheduled func(time.Time)
}

// Run fires due work until ctx ends.
func (d Deadlines) Run(ctx context.Context) {
	const idle = time.Hour // re-read the index now and then (other instances write too)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.Wake:
		}
		if n, err := d.Fire(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			slog.Error(d.Name, "err", err)
		} else if n > 0 {
			slog.Info(d.Name, "count", n)
		}
		wait := idle
		next, err := d.Next(ctx)
		if err != nil {
			logErr("next deadline", err)
			wait = time.Minute
		} else if !next.IsZero() {
			wait = max(next.Sub(d.Now()), 0)
			if wait > 0 {
				wait += d.Slack
			}
			wait = min(wait, idle)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if d.Scheduled != nil {
			d.Scheduled(d.Now().Add(wait))
		}
		timer.Reset(wait)
	}
}

// Light is the traffic light of a clock counted in wall time: green below
// 80 % of the limit used, yellow from 80 % to 100 %, red past the deadline.
func Light(start, due, now time.Time) string {
	if due.IsZero() || !due.After(start) {
		return ""
	}
	return workcal.Light(float64(now.Sub(start)) / float64(due.Sub(start)))
}

// OpenLights counts the open cases whose clock runs by traffic light
// (green, yellow, red), the way each case's page shows it, reading the
// cases with a running clock a page at a time. It reads every such case:
// meant for a periodic gauge (once a minute), not for a request.
func (s *Service) OpenLights(ctx context.Context) (map[string]int, error) {
	out := map[string]int{"green": 0, "yellow": 0, "red": 0}
	f := civicgrid.CaseFilter{All: true, Limit: 1000,
		Status: []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusDispatched, civicgrid.StatusInProgress}}
	for {
		page, err := s.store.ListCases(ctx, f)
		if err != nil {
			return out, err
		}
		for _, c := range page {
			if l := s.light(ctx, c); l != "" {
				out[l]++
			}
		}
		if len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].ID
	}
}
