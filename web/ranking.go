package web

import (
	"context"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// rankRow is one area of the dashboard's ranking: the areas one level
// below the scope (the streets of a district, the communities of a
// street), by reports, with their closure and satisfaction rates as
// fractions.
type rankRow struct {
	Code, Name   string
	Received     int64
	Share        int // of the largest, for the bar
	Closure      rateCell
	Satisfaction rateCell
}

// maxRanked bounds the areas ranked (the indicators are read per area).
const maxRanked = 60

// ranking ranks the areas one level below scope over from..to, from the
// indicators (nil when the scope has no such level or none is readable).
func (ui *UI) ranking(ctx context.Context, actor civicgrid.Actor, scope string, from, to time.Time) []rankRow {
	child := childLevel(civicgrid.LevelOfCode(scope))
	if child == "" || child == civicgrid.LevelBuilding || child == civicgrid.LevelGrid {
		return nil // grids are on the map
	}
	kids, err := ui.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: child, Within: civicgrid.SubtreePrefix(scope), Limit: maxRanked})
	if err != nil {
		return nil
	}
	var rows []rankRow
	var top int64 = 1
	for _, k := range kids {
		in, err := ui.cfg.Cases.Indicators(ctx, actor, casework.IndicatorQuery{Scope: k.Code, From: from, To: to})
		if err != nil {
			continue
		}
		rows = append(rows, rankRow{Code: k.Code, Name: k.Name, Received: in.Counters.Received,
			Closure: rateCellOf(in, "closure_rate"), Satisfaction: rateCellOf(in, "satisfaction_rate")})
		top = max(top, in.Counters.Received)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Received > rows[j].Received })
	for i := range rows {
		rows[i].Share = int(rows[i].Received * 100 / top)
	}
	return rows
}
