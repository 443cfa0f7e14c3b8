package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// area_audience_counts keeps, for each area and role, how many people hold
// that role over an area of its subtree (role '*': any role), each person
// once however many such grants they hold. A notice's audience over its
// scope is read from it instead of counted from the grants (COUNT(DISTINCT)
// over a street's 10⁵ grants took 66–561 ms on PostgreSQL). It is kept in
// the same transaction as each grant and revocation: the person's grants
// are read before and after (a few rows by role_grants_unique), and each
// (area, role) they came into or left moves by one. Migration 0045 fills
// it; `civicgrid verify` recounts it (CheckAudienceCounts).

// audienceAny is the row of "any role".
const audienceAny = "*"

type audienceKey struct{ area, role string }

// audienceKeys are the (area, role) rows a person holding the grants
// counts in: each area at or above a grant's (AreaAndAncestors), for its
// role and for any role.
func audienceKeys(grants [][2]string) map[audienceKey]bool {
	keys := map[audienceKey]bool{}
	for _, g := range grants {
		for _, a := range civicgrid.AreaAndAncestors(g[1]) {
			keys[audienceKey{a, g[0]}] = true
			keys[audienceKey{a, audienceAny}] = true
		}
	}
	return keys
}

// audienceKeptOff writes grants without keeping the counts (the
// benchmark compares a grant's write with and without them; never set
// otherwise).
var audienceKeptOff = false

// audienceTouch follows the people whose grants a transaction changes:
// note them before the change, apply after it.
type audienceTouch struct {
	before map[int64]map[audienceKey]bool
}

func (t *audienceTouch) userKeys(ctx context.Context, tx *Tx, userID int64) (map[audienceKey]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT role, area_code FROM role_grants WHERE user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	gs, err := collect(rows, func(sc rowScanner) ([2]string, error) {
		var g [2]string
		err := sc.Scan(&g[0], &g[1])
		return g, err
	})
	if err != nil {
		return nil, err
	}
	return audienceKeys(gs), nil
}

// note records the people's rows before the change (once each).
func (t *audienceTouch) note(ctx context.Context, tx *Tx, ids ...int64) error {
	if audienceKeptOff {
		return nil
	}
	if t.before == nil {
		t.before = map[int64]map[audienceKey]bool{}
	}
	for _, id := range ids {
		if _, ok := t.before[id]; ok {
			continue
		}
		// The person's row locked first: another transaction changing
		// their grants at once waits for this one, then reads the grants
		// as this one left them (else both would count the person in).
		if _, err := tx.ExecContext(ctx, `UPDATE users SET id = id WHERE id = $1`, id); err != nil {
			return err
		}
		keys, err := t.userKeys(ctx, tx, id)
		if err != nil {
			return err
		}
		t.before[id] = keys
	}
	return nil
}

// apply moves each row the noted people came into or left by one, in the
// rows' order (so two transactions lock them in the same order).
func (t *audienceTouch) apply(ctx context.Context, tx *Tx) error {
	delta := map[audienceKey]int{}
	for id, before := range t.before {
		after, err := t.userKeys(ctx, tx, id)
		if err != nil {
			return err
		}
		for k := range before {
			if !after[k] {
				delta[k]--
			}
		}
		for k := range after {
			if !before[k] {
				delta[k]++
			}
		}
	}
	t.before = nil
	keys := make([]audienceKey, 0, len(delta))
	for k, d := range delta {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b audienceKey) int { return cmp.Or(cmp.Compare(a.area, b.area), cmp.Compare(a.role, b.role)) })
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO area_audience_counts (area_code, role, people) VALUES ($1, $2, $3)
			ON CONFLICT (area_code, role) DO UPDATE SET people = area_audience_counts.people + excluded.people`, k.area, k.role, delta[k]); err != nil {
			return err
		}
	}
	return nil
}

// audienceCountsSQL counts the rows afresh from the grants: each grant
// stands for its area and the areas above it (as AreaAndAncestors: the
// code's first 15, 12, 9 and 6 digits, and a district's city).
func audienceCountsSQL() string {
	var parts []string
	parts = append(parts, `SELECT area_code AS a, role, user_id FROM role_grants`)
	for _, n := range []int{15, 12, 9, 6} {
		parts = append(parts, fmt.Sprintf(`SELECT SUBSTR(area_code, 1, %d), role, user_id FROM role_grants WHERE LENGTH(area_code) > %d`, n, n))
	}
	parts = append(parts, `SELECT SUBSTR(area_code, 1, 4) || '00', role, user_id FROM role_grants WHERE LENGTH(area_code) >= 6 AND SUBSTR(area_code, 5, 2) <> '00'`)
	all := `(` + strings.Join(parts, ` UNION ALL `) + `) x`
	return `SELECT a, role, COUNT(DISTINCT user_id) FROM ` + all + ` GROUP BY a, role
		UNION ALL SELECT a, '` + audienceAny + `', COUNT(DISTINCT user_id) FROM ` + all + ` GROUP BY a`
}

// rebuildAudienceCounts fills the table afresh from the grants.
func rebuildAudienceCounts(ctx context.Context, tx *Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM area_audience_counts`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO area_audience_counts (area_code, role, people) `+audienceCountsSQL())
	return err
}

func init() {
	afterMigration[45] = func(ctx context.Context, db *DB, tx *Tx) error { return rebuildAudienceCounts(ctx, tx) }
}

// RebuildAudienceCounts recounts the table from the grants (after grants
// were written past the store, as bulk test data is).
func (db *DB) RebuildAudienceCounts(ctx context.Context) error {
	return db.inTx(ctx, func(tx *Tx) error { return rebuildAudienceCounts(ctx, tx) })
}

// AudienceCountProblem is a row of area_audience_counts that differs from
// the grants.
type AudienceCountProblem struct {
	Area, Role      string
	Stored, Counted int64
}

// audienceCountRows reads (area, role, count) rows into a map.
func (db *DB) audienceCountRows(ctx context.Context, query string) (map[audienceKey]int64, error) {
	rows, err := db.rd.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[audienceKey]int64{}
	for rows.Next() {
		var k audienceKey
		var n int64
		if err := rows.Scan(&k.area, &k.role, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// CheckAudienceCounts recounts every row from the grants and returns how
// many (area, role) were checked and those that differ (a row of zero and
// no row are alike).
func (db *DB) CheckAudienceCounts(ctx context.Context) (int, []AudienceCountProblem, error) {
	counted, err := db.audienceCountRows(ctx, audienceCountsSQL())
	if err != nil {
		return 0, nil, err
	}
	stored, err := db.audienceCountRows(ctx, `SELECT area_code, role, people FROM area_audience_counts`)
	if err != nil {
		return 0, nil, err
	}
	var bad []AudienceCountProblem
	seen := map[audienceKey]bool{}
	for _, m := range []map[audienceKey]int64{counted, stored} {
		for k := range m {
			if seen[k] {
				continue
			}
			seen[k] = true
			if stored[k] != counted[k] {
				bad = append(bad, AudienceCountProblem{Area: k.area, Role: k.role, Stored: stored[k], Counted: counted[k]})
			}
		}
	}
	slices.SortFunc(bad, func(a, b AudienceCountProblem) int {
		return cmp.Or(cmp.Compare(a.Area, b.Area), cmp.Compare(a.Role, b.Role))
	})
	return len(seen), bad, nil
}
