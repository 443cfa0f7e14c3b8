package volunteering

import (
	"context"
	"time"

	"github.com/civicgrid/civicgrid"
)

// MaxIndicatorDays bounds the period of the volunteer indicators (as the
// case indicators').
const MaxIndicatorDays = 3660

// Indicators returns an area's volunteer indicators over the days
// from..to (Beijing time, inclusive), from the rollups: no request is
// read. Whoever may read the area's indicators may read them.
func (s *Service) Indicators(ctx context.Context, actor civicgrid.Actor, scope string, from, to time.Time) (civicgrid.VolunteerIndicators, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadIndicators, civicgrid.In(scope)); err != nil {
		return civicgrid.VolunteerIndicators{}, err
	}
	if to.Before(from) {
		return civicgrid.VolunteerIndicators{}, civicgrid.Errorf(civicgrid.EINVALID, "to (%s) is before from (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	if to.Sub(from) > MaxIndicatorDays*24*time.Hour {
		return civicgrid.VolunteerIndicators{}, civicgrid.Errorf(civicgrid.EINVALID, "a period of at most %d days", MaxIndicatorDays)
	}
	m, active, err := s.store.SumVolunteerRollups(ctx, scope, civicgrid.CohortOf(from, "", "").Day, civicgrid.CohortOf(to, "", "").Day)
	if err != nil {
		return civicgrid.VolunteerIndicators{}, err
	}
	in := civicgrid.VolunteerIndicators{Scope: scope, From: from.In(civicgrid.Beijing).Format(time.DateOnly), To: to.In(civicgrid.Beijing).Format(time.DateOnly)}
	in.Compute(m, active)
	return in, nil
}
