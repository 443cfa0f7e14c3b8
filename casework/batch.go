package casework

import (
	"context"

	"github.com/civicgrid/civicgrid"
)

// Batch gathers steps on cases — several actions, by several people, at
// several moments, the same case taken through more than one of them — and
// stores them all in one transaction when committed: bulk seeding such as
// the demo's past, where a transaction per step spent most of the time
// writing the same index and counter pages again and again.
//
// Each Act is checked as ActMany checks it (the state machine, the policy
// with the separation of duties, the action's own rules), against the case
// as the earlier steps of the batch left it, at the service's clock as it
// reads when Act is called. Nothing is written before Commit, and nothing
// at all if a step is refused (the batch is then spent) or the commit
// fails. Listeners hear of the steps after the commit, in order. A batch is
// for one goroutine; the cases it takes should not be changed by anyone
// else until it commits (the store's version check refuses the commit if
// they are).
type Batch struct {
	s       *Service
	cur     map[int64]civicgrid.Case        // each case as the batch leaves it
	pending map[int64][]civicgrid.CaseEvent // the batch's events per case, for the history checks
	cs      []civicgrid.Case
	evs     []civicgrid.CaseEvent
	err     error
}

// maxBatchSteps bounds a batch's transaction.
const maxBatchSteps = 20000

// NewBatch starts an empty batch of steps.
func (s *Service) NewBatch() *Batch {
	return &Batch{s: s, cur: map[int64]civicgrid.Case{}, pending: map[int64][]civicgrid.CaseEvent{}}
}

// Len is the number of steps gathered.
func (b *Batch) Len() int { return len(b.evs) }

// Act adds the same action on the cases ids for actor, each checked now.
// A refused step spends the batch: it returns the error, and so do every
// later Act and Commit.
func (b *Batch) Act(ctx context.Context, actor civicgrid.Actor, ids []int64, action civicgrid.CaseAction, st Step) error {
	if b.err != nil {
		return b.err
	}
	b.err = b.act(ctx, actor, ids, action, st)
	return b.err
}

func (b *Batch) act(ctx context.Context, actor civicgrid.Actor, ids []int64, action civicgrid.CaseAction, st Step) error {
	switch {
	case action == civicgrid.CaseMeToo || action == civicgrid.CaseMerge || action == civicgrid.CaseReclassify || st.Version != 0:
		return civicgrid.Errorf(civicgrid.EINVALID, "%s is taken one case at a time", action)
	case len(ids) > 1000:
		return civicgrid.Errorf(civicgrid.EINVALID, "ids: at most 1,000 cases at once")
	case len(b.evs)+len(ids) > maxBatchSteps:
		return civicgrid.Errorf(civicgrid.EINVALID, "a batch holds at most %d steps; commit it and start another", maxBatchSteps)
	}
	var load []int64
	for _, id := range ids {
		if _, ok := b.cur[id]; !ok {
			load = append(load, id)
		}
	}
	if len(load) > 0 {
		found, err := b.s.store.ListCases(ctx, civicgrid.CaseFilter{All: true, IDs: load, Limit: len(load)})
		if err != nil {
			return err
		}
		if len(found) != len(load) {
			// Worded as for a case out of sight: ids reveal nothing.
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "ids: %d of the %d cases are not in your scope or are named twice", len(load)-len(found), len(load))
		}
		for _, c := range found {
			b.cur[c.ID] = c
		}
	}
	seen := make(map[int64]bool, len(ids))
	var cs []civicgrid.Case
	var evs []civicgrid.CaseEvent
	for _, id := range ids {
		if seen[id] {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "ids: case %d is named twice", id)
		}
		seen[id] = true
		c := b.cur[id]
		more, moreEvs, err := b.s.prepareWith(ctx, actor, c, action, st, b.history)
		if err != nil {
			return err
		}
		cs, evs = append(cs, more...), append(evs, moreEvs...)
	}
	// Only now, with every case of the step accepted, is the batch's view
	// moved on: the store will count each change as one version.
	for i, c := range cs {
		b.pending[c.ID] = append(b.pending[c.ID], evs[i])
		c.Version++
		b.cur[c.ID] = c
	}
	b.cs, b.evs = append(b.cs, cs...), append(b.evs, evs...)
	return nil
}

// history is a case's stored history with the batch's steps on it after.
func (b *Batch) history(ctx context.Context, id int64) ([]civicgrid.CaseEvent, error) {
	evs, err := b.s.store.CaseEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	return append(evs, b.pending[id]...), nil
}

// Commit stores every step of the batch in one transaction and tells the
// listeners. It returns each step's case as stored, in the order taken.
func (b *Batch) Commit(ctx context.Context) ([]civicgrid.Case, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.cs) == 0 {
		return nil, nil
	}
	stored, err := b.s.store.UpdateCases(ctx, b.cs, b.evs)
	if err != nil {
		b.err = err
		return nil, err
	}
	for i := range stored {
		b.s.publish(stored[i], b.evs[i])
	}
	*b = *b.s.NewBatch()
	return stored, nil
}

// Reports gathers new reports and stores them in one transaction when
// committed, numbered in the order added: bulk seeding (the demo's past),
// where a transaction per report was much of the time. Each is checked as
// Report checks it, at the service's clock as it reads when Add is called;
// no duplicates are offered and there is no idempotency key. Nothing is
// written before Commit, and nothing at all if a report is refused (the
// batch is then spent) or the commit fails. For one goroutine.
type Reports struct {
	s   *Service
	cs  []civicgrid.NewCase
	err error
}

// NewReports starts an empty batch of reports.
func (s *Service) NewReports() *Reports { return &Reports{s: s} }

// Len is the number of reports gathered.
func (r *Reports) Len() int { return len(r.cs) }

// Add checks a report by actor and adds it. A refused report spends the
// batch: it returns the error, and so do every later Add and Commit.
func (r *Reports) Add(ctx context.Context, actor civicgrid.Actor, rep Report) error {
	if r.err != nil {
		return r.err
	}
	if len(r.cs) >= maxBatchSteps {
		r.err = civicgrid.Errorf(civicgrid.EINVALID, "a batch holds at most %d reports; commit it and start another", maxBatchSteps)
		return r.err
	}
	nc, _, err := r.s.prepareReport(ctx, actor, rep)
	if err != nil {
		r.err = err
		return err
	}
	r.cs = append(r.cs, nc)
	return nil
}

// Commit stores the reports in one transaction and tells the listeners.
// It returns the new cases in the order added.
func (r *Reports) Commit(ctx context.Context) ([]civicgrid.Case, error) {
	if r.err != nil {
		return nil, r.err
	}
	stored, err := r.s.store.CreateCases(ctx, r.cs)
	if err != nil {
		r.err = err
		return nil, err
	}
	for i, c := range stored {
		for _, e := range append([]civicgrid.CaseEvent{r.cs[i].Event}, r.cs[i].Then...) {
			r.s.publish(c, e)
		}
	}
	r.cs = nil
	return stored, nil
}
