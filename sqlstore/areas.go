package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/civicgrid/civicgrid"
)

var _ civicgrid.AreaStore = (*DB)(nil)

const areaColumns = `id, code, level, name, COALESCE(parent_code, ''), number, geometry, valid_from, valid_to`

// ApplyAreas writes areas in one transaction (see civicgrid.AreaStore). The
// caller validates first; this only keeps versions straight. Workers listed on
// a grid replace that grid's grid-worker grants; a nil Workers leaves them.
func (db *DB) ApplyAreas(ctx context.Context, areas []civicgrid.Area, at time.Time) (civicgrid.ImportResult, error) {
	var res civicgrid.ImportResult
	ms := at.UnixMilli()
	err := db.inTx(ctx, func(tx *Tx) error {
		res = civicgrid.ImportResult{}
		for i := range areas {
			a := &areas[i]
			geom, bbox, err := encodeGeometry(a.Geometry)
			if err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			var (
				id                                int64
				name, parent, number, currentGeom string
				hasGeom                           sql.NullString
			)
			err = tx.QueryRowContext(ctx, `SELECT id, name, COALESCE(parent_code, ''), number, geometry
				FROM areas WHERE code = $1 AND valid_to IS NULL`, a.Code).Scan(&id, &name, &parent, &number, &hasGeom)
			currentGeom = hasGeom.String
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.Created++
			case err != nil:
				return err
			case name == a.Name && parent == a.ParentCode && number == a.Number && currentGeom == geom.String:
				res.Unchanged++
				if err := setWorkers(ctx, tx, a, ms); err != nil {
					return err
				}
				continue
			default:
				res.Redrawn++
				if _, err := tx.ExecContext(ctx, `UPDATE areas SET valid_to = $1 WHERE id = $2`, ms, id); err != nil {
					return err
				}
			}
			from := ms
			if !a.ValidFrom.IsZero() {
				from = a.ValidFrom.UnixMilli()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO areas
				(code, level, name, parent_code, number, geometry, min_lng, min_lat, max_lng, max_lat, valid_from)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				a.Code, string(a.Level), a.Name, nullIfEmpty(a.ParentCode), a.Number, geom,
				bbox[0], bbox[1], bbox[2], bbox[3], from); err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			if err := setWorkers(ctx, tx, a, ms); err != nil {
				return err
			}
		}
		if res.Created+res.Redrawn > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'area_generation'`); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// setWorkers replaces the grid-worker grants of a grid when a.Workers is set.
func setWorkers(ctx context.Context, tx *Tx, a *civicgrid.Area, ms int64) error {
	if a.Workers == nil {
		return nil
	}
	// The workers before and after, for the audience counts.
	var touch audienceTouch
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM role_grants WHERE role = $1 AND area_code = $2`, civicgrid.RoleGridWorker, a.Code)
	if err != nil {
		return err
	}
	old, err := collect(rows, func(sc rowScanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	if err != nil {
		return err
	}
	slices.Sort(old) // people locked in one order
	if err := touch.note(ctx, tx, old...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE role = $1 AND area_code = $2`, civicgrid.RoleGridWorker, a.Code); err != nil {
		return err
	}
	for _, w := range a.Workers {
		id, err := upsertUser(ctx, tx, w.Name, w.Phone, ms)
		if err != nil {
			return fmt.Errorf("grid %s worker %s: %w", a.Code, civicgrid.MaskPhone(w.Phone), err)
		}
		// Noted before its grant, as it was before the DELETE (a worker
		// kept was noted above).
		if err := touch.note(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, role, area_code, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, civicgrid.RoleGridWorker, a.Code, ms); err != nil {
			return err
		}
	}
	return touch.apply(ctx, tx)
}

// upsertUser finds a person by phone, creating them if new; the name given
// last wins.
func upsertUser(ctx context.Context, tx *Tx, name, phone string, ms int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (name, phone, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (phone) DO UPDATE SET name = excluded.name RETURNING id`, name, phone, ms).Scan(&id)
	return id, err
}

// CurrentAreas returns areas in force matching f, ordered by code.
func (db *DB) CurrentAreas(ctx context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error) {
	var (
		where = []string{"valid_to IS NULL"}
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Level != "" {
		where = append(where, "level = "+arg(string(f.Level)))
	}
	if f.Within != "" {
		// A range on code uses the index; the codes are digits only, so every
		// code starting with the prefix sorts between prefix and prefix+":".
		where = append(where, "code >= "+arg(f.Within)+" AND code < "+arg(f.Within+":"))
	}
	if f.BBox != nil {
		where = append(where, "max_lng >= "+arg(f.BBox.Min[0])+" AND min_lng <= "+arg(f.BBox.Max[0])+
			" AND max_lat >= "+arg(f.BBox.Min[1])+" AND min_lat <= "+arg(f.BBox.Max[1]))
	}
	q := "SELECT " + areaColumns + " FROM areas WHERE " + strings.Join(where, " AND ") + " ORDER BY code"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	areas, err := db.queryAreas(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	if err := db.attachWorkers(ctx, areas, f.Within); err != nil {
		return nil, err
	}
	return areas, nil
}

// AreaByCode returns the current version of an area.
func (db *DB) AreaByCode(ctx context.Context, code string) (civicgrid.Area, error) {
	areas, err := db.queryAreas(ctx, "SELECT "+areaColumns+" FROM areas WHERE code = $1 AND valid_to IS NULL", code)
	if err != nil {
		return civicgrid.Area{}, err
	}
	if len(areas) == 0 {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area with code %q", code)
	}
	if err := db.attachWorkers(ctx, areas, code); err != nil {
		return civicgrid.Area{}, err
	}
	return areas[0], nil
}

// BuildingsNamed returns the current buildings whose name is one of names
// (at most 500), ordered by code.
func (db *DB) BuildingsNamed(ctx context.Context, names []string) ([]civicgrid.Area, error) {
	if len(names) == 0 || len(names) > 500 {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "look up 1 to 500 building names, not %d", len(names))
	}
	args := make([]any, len(names))
	marks := make([]string, len(names))
	for i, n := range names {
		args[i] = n
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	// Both columns of areas_current_name are tested, and the rows are sorted
	// here: with ORDER BY code the planner would walk every building in
	// code order instead.
	areas, err := db.queryAreas(ctx, "SELECT "+areaColumns+" FROM areas WHERE valid_to IS NULL AND level = 'building' AND name IN ("+
		strings.Join(marks, ", ")+")", args...)
	slices.SortFunc(areas, func(a, b civicgrid.Area) int { return strings.Compare(a.Code, b.Code) })
	return areas, err
}

// AreaVersions returns every version of an area, oldest first.
func (db *DB) AreaVersions(ctx context.Context, code string) ([]civicgrid.Area, error) {
	areas, err := db.queryAreas(ctx, "SELECT "+areaColumns+" FROM areas WHERE code = $1 ORDER BY valid_from, id", code)
	if err != nil {
		return nil, err
	}
	if len(areas) == 0 {
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area with code %q", code)
	}
	return areas, nil
}

// AreaGeneration is bumped by every import that creates or redraws an area.
func (db *DB) AreaGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := db.rd.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'area_generation'`).Scan(&g)
	return g, err
}

func (db *DB) queryAreas(ctx context.Context, q string, args ...any) ([]civicgrid.Area, error) {
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.Area
	for rows.Next() {
		var (
			a      civicgrid.Area
			level  string
			geom   sql.NullString
			from   int64
			to     sql.NullInt64
			parent string
		)
		if err := rows.Scan(&a.ID, &a.Code, &level, &a.Name, &parent, &a.Number, &geom, &from, &to); err != nil {
			return nil, err
		}
		a.Level, a.ParentCode = civicgrid.Level(level), parent
		a.ValidFrom = time.UnixMilli(from)
		if to.Valid {
			a.ValidTo = time.UnixMilli(to.Int64)
		}
		if geom.Valid {
			g, err := geojson.UnmarshalGeometry([]byte(geom.String))
			if err != nil {
				return nil, fmt.Errorf("area %s: stored geometry: %w", a.Code, err)
			}
			a.Geometry = g.Geometry()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// attachWorkers fills Workers of the grids among areas from the grid-worker
// grants under the prefix.
func (db *DB) attachWorkers(ctx context.Context, areas []civicgrid.Area, prefix string) error {
	byCode := map[string]*civicgrid.Area{}
	for i := range areas {
		if areas[i].Level == civicgrid.LevelGrid {
			byCode[areas[i].Code] = &areas[i]
		}
	}
	if len(byCode) == 0 {
		return nil
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT g.area_code, u.id, u.name, u.phone
		FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE g.role = $1 AND g.area_code >= $2 AND g.area_code < $3
		ORDER BY g.area_code, u.id`, civicgrid.RoleGridWorker, prefix, prefix+":")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var w civicgrid.Worker
		if err := rows.Scan(&code, &w.UserID, &w.Name, &w.Phone); err != nil {
			return err
		}
		if a := byCode[code]; a != nil {
			a.Workers = append(a.Workers, w)
		}
	}
	return rows.Err()
}

// encodeGeometry returns the stored GeoJSON text and bounding box of g.
func encodeGeometry(g orb.Geometry) (sql.NullString, [4]sql.NullFloat64, error) {
	var bbox [4]sql.NullFloat64
	if g == nil {
		return sql.NullString{}, bbox, nil
	}
	b, err := geojson.NewGeometry(g).MarshalJSON()
	if err != nil {
		return sql.NullString{}, bbox, err
	}
	bound := g.Bound()
	for i, v := range []float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]} {
		bbox[i] = sql.NullFloat64{Float64: v, Valid: true}
	}
	return sql.NullString{String: string(b), Valid: true}, bbox, nil
}

func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// GrantRoles records, in one transaction, that each person (found by phone,
// created if new) holds the role over the area's subtree. Granting an existing
// grant again is a no-op.
func (db *DB) GrantRoles(ctx context.Context, grants []civicgrid.Grant) error {
	ms := db.now().UnixMilli()
	return db.inTx(ctx, func(tx *Tx) error {
		for _, g := range grants {
			id, err := upsertUser(ctx, tx, g.Name, g.Phone, ms)
			if err != nil {
				return err
			}
			var touch audienceTouch
			if err := touch.note(ctx, tx, id); err != nil {
				return err
			}
			if _, err = tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, role, area_code, detail, created_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, id, g.Role, g.AreaCode, g.Detail, ms); err != nil {
				return err
			}
			if err := touch.apply(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountGrants counts grants of a role (all roles when role is "").
func (db *DB) CountGrants(ctx context.Context, role string) (int, error) {
	var n int
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM role_grants WHERE role = $1 OR $1 = ''`, role).Scan(&n)
	return n, err
}
