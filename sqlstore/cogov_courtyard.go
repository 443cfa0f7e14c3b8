package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Courtyards (院落, civicgrid.CourtyardStore) and the courtyard scope that
// proposals, meetings, votes and projects carry.

// courtyardColumns are the courtyard scope's columns of a matter's table.
const courtyardColumns = `courtyard_id, courtyard_name, courtyard_buildings`

// courtyardCols scans them.
type courtyardCols struct {
	id        sql.NullInt64
	name      string
	buildings string
}

func (c courtyardCols) scope() civicgrid.CourtyardScope {
	return civicgrid.CourtyardScope{CourtyardID: c.id.Int64, CourtyardName: c.name, Buildings: civicgrid.SplitBuildings(c.buildings)}
}

// courtyardData writes a matter's courtyard into its first event (nothing
// for other matters, whose events hash as before).
func courtyardData(ev *civicgrid.CogovEvent, c civicgrid.CourtyardScope) {
	if !c.InCourtyard() {
		return
	}
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	ev.Data["courtyard"] = fmt.Sprint(c.CourtyardID)
	ev.Data["courtyard_name"] = c.CourtyardName
	ev.Data["courtyard_buildings"] = civicgrid.JoinBuildings(c.Buildings)
}

// SaveCourtyard makes or replaces a courtyard with its event, in one
// transaction: a building of another courtyard, or a name another
// courtyard of the community has, is refused and nothing is written.
func (db *DB) SaveCourtyard(ctx context.Context, c civicgrid.Courtyard, ev civicgrid.CogovEvent) (civicgrid.Courtyard, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if c.ID != 0 {
			var community string
			err := tx.QueryRowContext(ctx, `SELECT community FROM cogov_courtyards WHERE id = $1`, c.ID).Scan(&community)
			if err == sql.ErrNoRows {
				return civicgrid.Errorf(civicgrid.ENOTFOUND, "no courtyard %d", c.ID)
			}
			if err != nil {
				return err
			}
			if community != c.Community {
				return civicgrid.Errorf(civicgrid.EINVALID, "courtyard %d lies in community %s: it does not move", c.ID, community)
			}
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM cogov_courtyards WHERE community = $1 AND name = $2 AND id <> $3`, c.Community, c.Name, c.ID).Scan(&other)
		if err == nil {
			return civicgrid.Errorf(civicgrid.EINVALID, "the community has a courtyard named %q already", c.Name)
		} else if err != sql.ErrNoRows {
			return err
		}
		var args []any
		arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
		ps := make([]string, len(c.Buildings))
		for i, b := range c.Buildings {
			ps[i] = arg(b)
		}
		rows, err := tx.QueryContext(ctx, `SELECT b.building, c.name FROM cogov_courtyard_buildings b JOIN cogov_courtyards c ON c.id = b.courtyard_id
			WHERE b.building IN (`+strings.Join(ps, ", ")+`) AND b.courtyard_id <> `+arg(c.ID)+` ORDER BY b.building`, args...)
		if err != nil {
			return err
		}
		var problems []civicgrid.Problem
		for rows.Next() {
			var b, name string
			if err := rows.Scan(&b, &name); err != nil {
				rows.Close()
				return err
			}
			problems = append(problems, civicgrid.Problem{Index: slices.Index(c.Buildings, b), Code: b, Kind: "building",
				Detail: fmt.Sprintf("building %s lies in courtyard %q already: a building belongs to one courtyard", b, name)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(problems) > 0 {
			return &civicgrid.Error{Code: civicgrid.EINVALID, Message: "a building of the courtyard lies in another courtyard; nothing was written", Problems: problems}
		}
		ev.Action = civicgrid.CogovCourtyardMade
		if c.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_courtyards (community, name, updated_at) VALUES ($1, $2, $3) RETURNING id`,
				c.Community, c.Name, ev.At.UnixMilli()).Scan(&c.ID); err != nil {
				return err
			}
		} else {
			ev.Action = civicgrid.CogovCourtyardChanged
			if _, err := tx.ExecContext(ctx, `UPDATE cogov_courtyards SET name = $1, updated_at = $2 WHERE id = $3`, c.Name, ev.At.UnixMilli(), c.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM cogov_courtyard_buildings WHERE courtyard_id = $1`, c.ID); err != nil {
				return err
			}
		}
		for _, b := range c.Buildings {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_courtyard_buildings (building, courtyard_id) VALUES ($1, $2)`, b, c.ID); err != nil {
				return err
			}
		}
		ev.Subject = civicgrid.CourtyardSubject(c.ID)
		ev.Data = map[string]string{"community": c.Community, "name": c.Name, "buildings": civicgrid.JoinBuildings(c.Buildings)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Courtyard{}, err
	}
	return db.CourtyardByID(ctx, c.ID)
}

// CourtyardByID returns a courtyard with its buildings.
func (db *DB) CourtyardByID(ctx context.Context, id int64) (civicgrid.Courtyard, error) {
	cs, err := db.courtyards(ctx, `c.id = $1`, id)
	if err != nil {
		return civicgrid.Courtyard{}, err
	}
	if len(cs) == 0 {
		return civicgrid.Courtyard{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no courtyard %d", id)
	}
	return cs[0], nil
}

// MaxCourtyardList bounds a list of courtyards (a district's or a city's
// staff would otherwise read every courtyard below them on each page).
const MaxCourtyardList = 300

// Courtyards lists the courtyards of communities in the subtrees or at the
// exact codes, by community and name (at most MaxCourtyardList).
func (db *DB) Courtyards(ctx context.Context, within, exact []string) ([]civicgrid.Courtyard, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := `c.id IN (SELECT id FROM cogov_courtyards c WHERE ` + scopeOrExact("c.community", within, exact, arg) +
		` ORDER BY c.community, c.name, c.id LIMIT ` + arg(MaxCourtyardList) + `)`
	return db.courtyards(ctx, where, args...)
}

// courtyards reads courtyards and their buildings in one query (a row per
// building; a courtyard always has one).
func (db *DB) courtyards(ctx context.Context, where string, args ...any) ([]civicgrid.Courtyard, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT c.id, c.community, c.name, c.updated_at, b.building FROM cogov_courtyards c
		JOIN cogov_courtyard_buildings b ON b.courtyard_id = c.id WHERE `+where+` ORDER BY c.community, c.name, c.id, b.building`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.Courtyard
	for rows.Next() {
		var (
			c        civicgrid.Courtyard
			updated  int64
			building string
		)
		if err := rows.Scan(&c.ID, &c.Community, &c.Name, &updated, &building); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1].Buildings = append(out[n-1].Buildings, building)
			continue
		}
		c.UpdatedAt, c.Buildings = timeOrZero(sql.NullInt64{Int64: updated, Valid: true}), []string{building}
		out = append(out, c)
	}
	return out, rows.Err()
}
