package casework

import (
	"context"
	"fmt"
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

// IndicatorTrend returns the indicators of a scope and period bucket by
// bucket: per day, week or month (bucket; "" chooses by the period's
// length, civicgrid.AutoBucket), from the rollups.
func (s *Service) IndicatorTrend(ctx context.Context, actor civicgrid.Actor, q IndicatorQuery, bucket string) (civicgrid.Trend, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(q.Scope)); err != nil {
		return civicgrid.Trend{}, err
	}
	rq, err := q.rollup()
	if err != nil {
		return civicgrid.Trend{}, err
	}
	if bucket == "" {
		bucket = civicgrid.AutoBucket(int(q.To.Sub(q.From).Hours()/24+0.5) + 1)
	}
	buckets, err := civicgrid.TrendBuckets(rq.FromDay, rq.ToDay, bucket)
	if err != nil {
		return civicgrid.Trend{}, err
	}
	// Monthly buckets are served from the monthly rows where whole.
	sums, err := s.store.SumRollupsByPeriod(ctx, rq, bucket == civicgrid.BucketMonth)
	if err != nil {
		return civicgrid.Trend{}, err
	}
	counters := make([]civicgrid.Counters, len(buckets))
	for period, c := range sums {
		day := period
		if period < 1_000_000 { // a whole month: its first day
			day = period*100 + 1
		}
		i := sort.Search(len(buckets), func(i int) bool { return buckets[i][1] >= day })
		if i < len(buckets) && buckets[i][0] <= day {
			counters[i].Add(c)
		}
	}
	t := civicgrid.Trend{Scope: q.Scope, From: q.From.In(civicgrid.Beijing).Format(time.DateOnly),
		To: q.To.In(civicgrid.Beijing).Format(time.DateOnly), Category: q.Category, Bucket: bucket}
	for i, b := range buckets {
		in := civicgrid.Indicators{Scope: q.Scope, From: dayString(b[0]), To: dayString(b[1]), Category: q.Category}
		in.Compute(counters[i], nil)
		t.Buckets = append(t.Buckets, in)
	}
	return t, nil
}

func dayString(d int) string { return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100) }
