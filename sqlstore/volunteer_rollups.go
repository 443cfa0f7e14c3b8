package sqlstore

import (
	"context"
	"strconv"

	"github.com/civicgrid/civicgrid"
)

// Volunteer indicators (civicgrid.VolunteerRollupStore): the measures of
// each request event (civicgrid.VolunteerDelta) added to its building's
// areas on the event's day, in the event's transaction, with the rollup
// mechanism the cases use (rollupSpec); `indicators check` recomputes them
// from the requests' histories.

var (
	volunteerRollups = &rollupSpec{name: "volunteers", daily: "volunteer_rollups", monthly: "volunteer_rollups_monthly",
		measures: civicgrid.VolunteerMeasureColumns,
		format:   func(v []int64) string { return fmtMeasures(civicgrid.VolunteerMeasuresOf(v)) }}
	// Each volunteer's confirmed services: the distinct volunteers of a
	// period are its active volunteers.
	volunteerServed = &rollupSpec{name: "volunteers served", daily: "volunteer_served", monthly: "volunteer_served_monthly",
		key: "volunteer", measures: []string{"services"}}
)

func init() { rollupChecks = append(rollupChecks, (*DB).rebuildVolunteerRollups) }

func fmtMeasures(m civicgrid.VolunteerMeasures) string {
	s := "{"
	for i, v := range m.Values() {
		if i > 0 {
			s += " "
		}
		s += civicgrid.VolunteerMeasureColumns[i] + ":" + strconv.FormatInt(v, 10)
	}
	return s + "}"
}

// volunteerRows adds what ev adds to the rollups of a request at building.
func volunteerRows(rows, served *measureRows, building string, history []civicgrid.VolunteerEvent, ev civicgrid.VolunteerEvent) {
	d, volunteer := civicgrid.VolunteerDelta(history, ev)
	grid := building
	if len(grid) > 15 {
		grid = grid[:15]
	}
	areas := civicgrid.RollupAreas(grid)
	day := civicgrid.CohortOf(ev.At, "", "").Day
	rows.add(areas, day, "", d.Values())
	if volunteer != 0 {
		served.add(areas, day, strconv.FormatInt(volunteer, 10), []int64{1})
	}
}

// addVolunteerRollup applies ev's measures in its transaction (after ev is
// inserted: the history before it is read back).
func addVolunteerRollup(ctx context.Context, tx *Tx, ev civicgrid.VolunteerEvent) error {
	if !civicgrid.VolunteerDeltaActions[ev.Action] {
		return nil
	}
	var building string
	if err := tx.QueryRowContext(ctx, `SELECT building FROM volunteer_requests WHERE id = $1`, ev.RequestID).Scan(&building); err != nil {
		return err
	}
	var history []civicgrid.VolunteerEvent
	if ev.Seq > 1 {
		rows, err := tx.QueryContext(ctx, `SELECT `+volunteerEventColumns+` FROM volunteer_events WHERE request_id = $1 AND seq < $2 ORDER BY seq`,
			ev.RequestID, ev.Seq)
		if err != nil {
			return err
		}
		if history, err = collect(rows, scanVolunteerEvent); err != nil {
			return err
		}
	}
	var rows, served measureRows
	volunteerRows(&rows, &served, building, history, ev)
	if err := volunteerRollups.apply(ctx, tx, rows); err != nil {
		return err
	}
	return volunteerServed.apply(ctx, tx, served)
}

// SumVolunteerRollups sums an area's measures over the days from..to and
// counts the distinct volunteers who served there then.
func (db *DB) SumVolunteerRollups(ctx context.Context, scope string, fromDay, toDay int) (civicgrid.VolunteerMeasures, int64, error) {
	v, err := volunteerRollups.sum(ctx, db.rd, scope, fromDay, toDay, nil)
	if err != nil {
		return civicgrid.VolunteerMeasures{}, 0, err
	}
	byVolunteer, err := volunteerServed.sumByKey(ctx, db.rd, scope, fromDay, toDay)
	if err != nil {
		return civicgrid.VolunteerMeasures{}, 0, err
	}
	var active int64
	for _, s := range byVolunteer {
		if s[0] > 0 {
			active++
		}
	}
	return civicgrid.VolunteerMeasuresOf(v), active, nil
}

// rebuildVolunteerRollups recomputes the volunteer rollups from every
// request's history and compares them with the stored ones; with apply,
// the stored ones are replaced.
func (db *DB) rebuildVolunteerRollups(ctx context.Context, apply bool) ([]string, error) {
	buildings := map[int64]string{}
	rows, err := db.rd.QueryContext(ctx, `SELECT id, building FROM volunteer_requests`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var b string
		if err := rows.Scan(&id, &b); err != nil {
			rows.Close()
			return nil, err
		}
		buildings[id] = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var want, served measureRows
	err = db.ForEachVolunteerChain(ctx, func(id int64, evs []civicgrid.VolunteerEvent) error {
		for i, ev := range evs {
			volunteerRows(&want, &served, buildings[id], evs[:i], ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	diffs, err := volunteerRollups.diff(ctx, db.rd, want)
	if err != nil {
		return nil, err
	}
	more, err := volunteerServed.diff(ctx, db.rd, served)
	if err != nil {
		return nil, err
	}
	diffs = append(diffs, more...)
	if !apply || len(diffs) == 0 {
		return diffs, nil
	}
	return diffs, db.inTx(ctx, func(tx *Tx) error {
		if err := volunteerRollups.replace(ctx, tx, want); err != nil {
			return err
		}
		return volunteerServed.replace(ctx, tx, served)
	})
}
