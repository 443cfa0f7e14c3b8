package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Households of buildings (household.go) and the rolls of household and
// owners' votes (electorate.go).

// Households lists a building's households by room with their members.
func (db *DB) Households(ctx context.Context, building string) ([]civicgrid.Household, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT h.id, h.area_code, h.room, COALESCE(h.owner_id, 0), COALESCE(o.name, ''), h.area_centi
		FROM cogov_households h LEFT JOIN users o ON o.id = h.owner_id WHERE h.area_code = $1 ORDER BY h.room`, building)
	if err != nil {
		return nil, err
	}
	hs, err := collect(rows, scanHousehold)
	if err != nil {
		return nil, err
	}
	for i := range hs {
		if hs[i].Members, err = householdMembers(ctx, db.rd, hs[i].ID); err != nil {
			return nil, err
		}
		if err = coOwners(ctx, db.rd, &hs[i]); err != nil {
			return nil, err
		}
	}
	return hs, nil
}

// coOwners fills in the flat's co-owners (unmasked; the service masks).
func coOwners(ctx context.Context, q querier, h *civicgrid.Household) error {
	rows, err := q.QueryContext(ctx, `SELECT o.user_id, u.name FROM cogov_household_owners o JOIN users u ON u.id = o.user_id
		WHERE o.household_id = $1 ORDER BY o.user_id`, h.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		h.CoOwnerIDs, h.CoOwners = append(h.CoOwnerIDs, id), append(h.CoOwners, name)
	}
	return rows.Err()
}

func scanHousehold(sc rowScanner) (civicgrid.Household, error) {
	var h civicgrid.Household
	err := sc.Scan(&h.ID, &h.AreaCode, &h.Room, &h.OwnerID, &h.Owner, &h.AreaCenti)
	return h, err
}

func householdMembers(ctx context.Context, q querier, id int64) ([]civicgrid.HouseholdMember, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.user_id, u.name, u.phone, m.representative FROM cogov_household_members m
		JOIN users u ON u.id = m.user_id WHERE m.household_id = $1 ORDER BY m.representative DESC, m.user_id`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.HouseholdMember, error) {
		var m civicgrid.HouseholdMember
		err := sc.Scan(&m.UserID, &m.Name, &m.Phone, &m.Representative)
		return m, err
	})
}

// HouseholdOf returns the person's household.
func (db *DB) HouseholdOf(ctx context.Context, userID int64) (civicgrid.Household, error) {
	h, err := scanHousehold(db.rd.QueryRowContext(ctx, `SELECT h.id, h.area_code, h.room, COALESCE(h.owner_id, 0), COALESCE(o.name, ''), h.area_centi
		FROM cogov_households h LEFT JOIN users o ON o.id = h.owner_id
		WHERE h.id = (SELECT household_id FROM cogov_household_members WHERE user_id = $1)`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return h, civicgrid.Errorf(civicgrid.ENOTFOUND, "you are a member of no household")
	}
	if err != nil {
		return h, err
	}
	if h.Members, err = householdMembers(ctx, db.rd, h.ID); err != nil {
		return h, err
	}
	return h, coOwners(ctx, db.rd, &h)
}

// ApplyHouseholdRows writes checked rows in one transaction.
func (db *DB) ApplyHouseholdRows(ctx context.Context, building string, rows []civicgrid.HouseholdRow, ev civicgrid.SecurityEvent) (int, error) {
	flats := map[string]bool{}
	err := db.inTx(ctx, func(tx *Tx) error {
		var ps []civicgrid.Problem
		for i, r := range rows {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM cogov_households WHERE area_code = $1 AND room = $2`, building, r.Room).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `INSERT INTO cogov_households (area_code, room) VALUES ($1, $2) RETURNING id`, building, r.Room).Scan(&id)
				flats[r.Room] = true
			}
			if err != nil {
				return err
			}
			if r.Role == civicgrid.HouseholdNoPersonRow {
				continue
			}
			var userID int64
			switch err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE phone = $1`, r.Phone).Scan(&userID); {
			case errors.Is(err, sql.ErrNoRows):
				ps = append(ps, civicgrid.Problem{Index: i, Kind: "phone", Detail: "nobody with the phone " + civicgrid.MaskPhone(r.Phone) + " is registered"})
				continue
			case err != nil:
				return err
			}
			switch r.Role {
			case civicgrid.HouseholdOwnerRole:
				// An owner need not live in the flat: they are not made a
				// member. A new owner of record (the flat sold) clears the
				// co-owners; the same owner again only corrects the area.
				var old sql.NullInt64
				if err := tx.QueryRowContext(ctx, `SELECT owner_id FROM cogov_households WHERE id = $1`, id).Scan(&old); err != nil {
					return err
				}
				if old.Int64 != userID {
					if _, err := tx.ExecContext(ctx, `DELETE FROM cogov_household_owners WHERE household_id = $1`, id); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM cogov_household_owners WHERE household_id = $1 AND user_id = $2`, id, userID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE cogov_households SET owner_id = $1, area_centi = $2 WHERE id = $3`, userID, r.AreaCenti, id); err != nil {
					return err
				}
				continue
			case civicgrid.HouseholdCoOwner:
				var owner sql.NullInt64
				var area int64
				if err := tx.QueryRowContext(ctx, `SELECT owner_id, area_centi FROM cogov_households WHERE id = $1`, id).Scan(&owner, &area); err != nil {
					return err
				}
				switch {
				case !owner.Valid || area == 0:
					ps = append(ps, civicgrid.Problem{Index: i, Kind: "role", Detail: "room " + r.Room + " has no owner of record with a floor area: give the owner's line first"})
				case owner.Int64 == userID:
					ps = append(ps, civicgrid.Problem{Index: i, Kind: "role", Detail: civicgrid.MaskPhone(r.Phone) + " is the owner of record of room " + r.Room + " already"})
				default:
					if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_household_owners (household_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, userID); err != nil {
						return err
					}
				}
				continue
			case civicgrid.HouseholdMoveOut:
				res, err := tx.ExecContext(ctx, `DELETE FROM cogov_household_members WHERE household_id = $1 AND user_id = $2`, id, userID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					ps = append(ps, civicgrid.Problem{Index: i, Kind: "phone", Detail: civicgrid.MaskPhone(r.Phone) + " is not a member of room " + r.Room + ": nobody to move out"})
				}
				continue
			}
			var other int64
			err = tx.QueryRowContext(ctx, `SELECT household_id FROM cogov_household_members WHERE user_id = $1`, userID).Scan(&other)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_household_members (household_id, user_id) VALUES ($1, $2)`, id, userID); err != nil {
					return err
				}
			case err != nil:
				return err
			case other != id:
				ps = append(ps, civicgrid.Problem{Index: i, Kind: "phone", Detail: civicgrid.MaskPhone(r.Phone) + " is a member of another household: one household per person"})
				continue
			}
			if r.Role == civicgrid.HouseholdRepresent { // the new representative replaces the old
				if _, err := tx.ExecContext(ctx, `UPDATE cogov_household_members SET representative = (user_id = $1) WHERE household_id = $2`, userID, id); err != nil {
					return err
				}
			}
		}
		if len(ps) > 0 {
			return &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the household rows are not valid; nothing was written", Problems: ps}
		}
		ev.AreaCode = building
		ev.Detail = fmt.Sprintf("%s: %d rows, %d new flats", building, len(rows), len(flats))
		return db.insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// HouseholdVoted reports whether the person's household voted.
func (db *DB) HouseholdVoted(ctx context.Context, voteID, userID int64) (bool, error) {
	var voted bool
	err := db.rd.QueryRowContext(ctx, `SELECT h.voted FROM cogov_roll r JOIN cogov_roll_households h ON h.vote_id = r.vote_id AND h.household_id = r.household_id
		WHERE r.vote_id = $1 AND r.user_id = $2`, voteID, userID).Scan(&voted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return voted, err
}

// claimUnit marks the voter's household (a household vote) or owners'
// unit (an owners' vote; votes opened before co-owners have none) as
// voted: ECONFLICT when one of its people voted first.
func claimUnit(ctx context.Context, tx *Tx, voteID int64, e civicgrid.Electorate, unit sql.NullInt64) error {
	if e == civicgrid.ElectoratePerson || (e == civicgrid.ElectorateOwners && !unit.Valid) {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE cogov_roll_households SET voted = TRUE WHERE vote_id = $1 AND household_id = $2 AND voted = FALSE`,
		voteID, unit.Int64)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if e == civicgrid.ElectorateOwners {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "a co-owner of your flat has voted in vote %d already: the owners of a flat vote once, with its area", voteID)
		}
		return civicgrid.Errorf(civicgrid.ECONFLICT, "your household has voted in vote %d already: one ballot per household", voteID)
	}
	return nil
}

func electorateOf(v civicgrid.Vote) civicgrid.Electorate {
	if v.Electorate == "" {
		return civicgrid.ElectoratePerson
	}
	return v.Electorate
}

// freezeElectorate freezes the roll of a vote by its electorate, stores
// its size (and area) and returns it with the security log's wording.
// An empty roll is EINVALID.
func freezeElectorate(ctx context.Context, tx *Tx, v civicgrid.Vote, rollRoles []string) (int64, string, error) {
	var (
		n      int64
		detail string
		area   int64
	)
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	switch electorateOf(v) {
	case civicgrid.ElectoratePerson:
		var err error
		if n, err = freezeRoll(ctx, tx, "cogov_roll (vote_id, user_id, voted)", v.ID, rollRoles, v.Areas(v.AreaCode)); err != nil {
			return 0, "", err
		}
		if n == 0 {
			return 0, "", civicgrid.Errorf(civicgrid.EINVALID, "nobody holds a role of %s in %s: the roll would be empty", strings.Join(rollRoles, ", "), v.AreaCode)
		}
		detail = fmt.Sprintf("roll of %d people holding %s", n, strings.Join(rollRoles, ", "))
	case civicgrid.ElectorateHousehold:
		id := arg(v.ID)
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_roll (vote_id, user_id, voted, household_id)
			SELECT CAST(`+id+` AS BIGINT), m.user_id, FALSE, m.household_id FROM cogov_household_members m
			JOIN cogov_households h ON h.id = m.household_id WHERE `+scopeClause("h.area_code", v.Areas(v.AreaCode), arg), args...); err != nil {
			return 0, "", err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO cogov_roll_households (vote_id, household_id, voted)
			SELECT DISTINCT vote_id, household_id, FALSE FROM cogov_roll WHERE vote_id = $1`, v.ID)
		if err != nil {
			return 0, "", err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return 0, "", civicgrid.Errorf(civicgrid.EINVALID, "no household with members is registered in %s: the roll would be empty", v.AreaCode)
		}
		detail = fmt.Sprintf("roll of %d households (any one member votes for the household)", n)
	case civicgrid.ElectorateOwners:
		units, err := ownerUnits(ctx, tx, v.Areas(v.AreaCode))
		if err != nil {
			return 0, "", err
		}
		var weights []int64
		for _, u := range units {
			for _, p := range u.people {
				if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_roll (vote_id, user_id, voted, household_id, weight) VALUES ($1, $2, FALSE, $3, $4)`,
					v.ID, p, u.id, u.area); err != nil {
					return 0, "", err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_roll_households (vote_id, household_id, voted) VALUES ($1, $2, FALSE)`, v.ID, u.id); err != nil {
				return 0, "", err
			}
			weights, area = append(weights, u.area), area+u.area
		}
		if n = int64(len(weights)); n == 0 {
			return 0, "", civicgrid.Errorf(civicgrid.EINVALID, "no owner with a floor area is registered in %s: the roll would be empty", v.AreaCode)
		}
		detail = fmt.Sprintf("roll of %d owners (co-owners of a flat together) with %s m² (%d of them with an area no other owner has)", n, civicgrid.FormatArea(area),
			civicgrid.UniqueWeights(weights))
	default:
		return 0, "", civicgrid.Errorf(civicgrid.EINVALID, "unknown electorate %q", v.Electorate)
	}
	_, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET roll_size = $1, roll_area = $2 WHERE id = $3`, n, area, v.ID)
	return n, detail, err
}

// ownerUnit is one owner of an owners' vote: the people who own flats
// together (an owner of record and the co-owners, joined through every flat
// any of them owns) with the flats' area summed, under the smallest of the
// flats' ids.
type ownerUnit struct {
	id     int64
	area   int64
	people []int64
}

// ownerUnits groups the owners of the flats with a floor area in scope:
// one flat counts one owner however many own it, one person owning several
// flats counts once (建筑物区分所有权解释 art. 9), and people linked through
// a flat they own together count as one, so that nobody is on the roll
// twice.
func ownerUnits(ctx context.Context, tx *Tx, scope []string) ([]ownerUnit, error) {
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	where := scopeClause("h.area_code", scope, arg)
	rows, err := tx.QueryContext(ctx, `SELECT h.id, h.owner_id, h.area_centi FROM cogov_households h
		WHERE h.owner_id IS NOT NULL AND h.area_centi > 0 AND `+where+` ORDER BY h.id`, args...)
	if err != nil {
		return nil, err
	}
	type flat struct{ id, area int64 }
	var flats []flat
	parent := map[int64]int64{}
	var find func(int64) int64
	find = func(x int64) int64 {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		parent[x] = x
		return x
	}
	union := func(a, b int64) { parent[find(a)] = find(b) }
	ownerOf := map[int64]int64{}
	for rows.Next() {
		var f flat
		var owner int64
		if err := rows.Scan(&f.id, &owner, &f.area); err != nil {
			rows.Close()
			return nil, err
		}
		flats, ownerOf[f.id] = append(flats, f), owner
		find(owner)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	co, err := tx.QueryContext(ctx, `SELECT o.household_id, o.user_id FROM cogov_household_owners o JOIN cogov_households h ON h.id = o.household_id
		WHERE h.owner_id IS NOT NULL AND h.area_centi > 0 AND `+where, args...)
	if err != nil {
		return nil, err
	}
	for co.Next() {
		var hid, uid int64
		if err := co.Scan(&hid, &uid); err != nil {
			co.Close()
			return nil, err
		}
		union(uid, ownerOf[hid])
	}
	co.Close()
	if err := co.Err(); err != nil {
		return nil, err
	}
	byRoot := map[int64]*ownerUnit{}
	var order []int64
	for _, f := range flats { // in id order: a unit's id is its first flat's
		r := find(ownerOf[f.id])
		u, ok := byRoot[r]
		if !ok {
			u = &ownerUnit{id: f.id}
			byRoot[r] = u
			order = append(order, r)
		}
		u.area += f.area
	}
	for p := range parent {
		if u, ok := byRoot[find(p)]; ok {
			u.people = append(u.people, p)
		}
	}
	out := make([]ownerUnit, 0, len(order))
	for _, r := range order {
		u := byRoot[r]
		slices.Sort(u.people)
		out = append(out, *u)
	}
	return out, nil
}

// claimHousehold, in a cast's transaction after the person's roll entry is
// marked, marks their household as voted (ECONFLICT when a member voted
// first) and returns the weight the ballot carries: the owner's area in an
// owners' vote, 0 otherwise.
func claimHousehold(ctx context.Context, tx *Tx, voteID, userID int64) (int64, error) {
	var (
		household  sql.NullInt64
		weight     int64
		electorate string
	)
	if err := tx.QueryRowContext(ctx, `SELECT r.household_id, r.weight, v.electorate FROM cogov_roll r JOIN cogov_votes v ON v.id = r.vote_id
		WHERE r.vote_id = $1 AND r.user_id = $2`, voteID, userID).Scan(&household, &weight, &electorate); err != nil {
		return 0, err
	}
	if err := claimUnit(ctx, tx, voteID, civicgrid.Electorate(electorate), household); err != nil {
		return 0, err
	}
	if civicgrid.Electorate(electorate) == civicgrid.ElectorateOwners {
		return weight, nil
	}
	return 0, nil
}

// RollMarks reads the person's entries on the rolls of the votes given, in
// one query: for each vote they are on, whether they voted and (in a
// household vote) whether their household did. Votes they are not on are
// absent.
func (db *DB) RollMarks(ctx context.Context, userID int64, voteIDs []int64) (map[int64]civicgrid.RollMark, error) {
	out := map[int64]civicgrid.RollMark{}
	if len(voteIDs) == 0 || userID == 0 {
		return out, nil
	}
	args := []any{userID}
	ps := make([]string, len(voteIDs))
	for i, id := range voteIDs {
		args = append(args, id)
		ps[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT r.vote_id, r.voted, COALESCE(h.voted, FALSE) FROM cogov_roll r
		LEFT JOIN cogov_roll_households h ON h.vote_id = r.vote_id AND h.household_id = r.household_id
		WHERE r.user_id = $1 AND r.vote_id IN (`+strings.Join(ps, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m civicgrid.RollMark
		if err := rows.Scan(&id, &m.Voted, &m.HouseholdVoted); err != nil {
			return nil, err
		}
		out[id] = m
	}
	return out, rows.Err()
}

// HouseholdCount counts the flats with members in the subtrees of scope.
func (db *DB) HouseholdCount(ctx context.Context, scope []string) (int, error) {
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	var n int
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_households h WHERE `+scopeClause("h.area_code", scope, arg)+
		` AND EXISTS (SELECT 1 FROM cogov_household_members m WHERE m.household_id = h.id)`, args...).Scan(&n)
	return n, err
}
