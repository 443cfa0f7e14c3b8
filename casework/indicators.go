package casework

import (
	"context"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid"
)

// IndicatorQuery asks for the indicators of an area over a period of report
// days (Beijing time), for one category or all.
type IndicatorQuery struct {
	Scope    string
	From, To time.Time // days, inclusive
	Category string
}

// MaxIndicatorDays bounds a period.
const MaxIndicatorDays = 3660

func (q IndicatorQuery) rollup() (civicgrid.RollupQuery, error) {
	if q.To.Before(q.From) {
		return civicgrid.RollupQuery{}, civicgrid.Errorf(civicgrid.EINVALID, "to (%s) is before from (%s)", q.To.Format(time.DateOnly), q.From.Format(time.DateOnly))
	}
	if q.To.Sub(q.From) > MaxIndicatorDays*24*time.Hour {
		return civicgrid.RollupQuery{}, civicgrid.Errorf(civicgrid.EINVALID, "a period of at most %d days", MaxIndicatorDays)
	}
	return civicgrid.RollupQuery{Scope: q.Scope, FromDay: civicgrid.CohortOf(q.From, "", "").Day,
		ToDay: civicgrid.CohortOf(q.To, "", "").Day, Category: q.Category}, nil
}

// Indicators returns the rates of a scope and period, served from the
// rollups (no case is read).
func (s *Service) Indicators(ctx context.Context, actor civicgrid.Actor, q IndicatorQuery) (civicgrid.Indicators, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(q.Scope)); err != nil {
		return civicgrid.Indicators{}, err
	}
	rq, err := q.rollup()
	if err != nil {
		return civicgrid.Indicators{}, err
	}
	c, hist, err := s.store.SumRollups(ctx, rq)
	if err != nil {
		return civicgrid.Indicators{}, err
	}
	in := civicgrid.Indicators{Scope: q.Scope, From: q.From.In(civicgrid.Beijing).Format(time.DateOnly),
		To: q.To.In(civicgrid.Beijing).Format(time.DateOnly), Category: q.Category}
	in.Compute(c, hist)
	return in, nil
}

// IndicatorsByCategory returns the indicators of each category with cases
// in the scope and period, largest first.
func (s *Service) IndicatorsByCategory(ctx context.Context, actor civicgrid.Actor, q IndicatorQuery) ([]civicgrid.Indicators, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(q.Scope)); err != nil {
		return nil, err
	}
	rq, err := q.rollup()
	if err != nil {
		return nil, err
	}
	byCat, err := s.store.SumRollupsByCategory(ctx, rq)
	if err != nil {
		return nil, err
	}
	out := make([]civicgrid.Indicators, 0, len(byCat))
	for cat, c := range byCat {
		in := civicgrid.Indicators{Scope: q.Scope, From: q.From.In(civicgrid.Beijing).Format(time.DateOnly),
			To: q.To.In(civicgrid.Beijing).Format(time.DateOnly), Category: cat}
		in.Compute(c, nil)
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Counters.Received != out[j].Counters.Received {
			return out[i].Counters.Received > out[j].Counters.Received
		}
		return out[i].Category < out[j].Category
	})
	return out, nil
}
