package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Care visits: the care registry, plans, visitors, visits and ended slots
// (civicgrid.CareStore).

const careColumns = `id, building, name, phone, address, kinds, risk, frequency_days, consent_by, consent_guardian, consent_relation,
	consent_scope, consent_purpose, consent_at, status, slot_start, due_at, visited, missed_since, missed, registered_by, registrar,
	ended_at, end_reason, purge_after, created_at`

func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func scanCare(sc rowScanner) (civicgrid.CareEntry, error) {
	var e civicgrid.CareEntry
	var kinds string
	var consentAt, start, due, missedSince, ended, purge, created int64
	var visited int
	err := sc.Scan(&e.ID, &e.BuildingCode, &e.Name, &e.Phone, &e.Address, &kinds, &e.Risk, &e.FrequencyDays, &e.Consent.GivenBy,
		&e.Consent.Guardian, &e.Consent.Relation, &e.Consent.Scope, &e.Consent.Purpose, &consentAt, &e.Status, &start, &due, &visited,
		&missedSince, &e.Missed, &e.RegisteredBy, &e.Registrar, &ended, &e.EndReason, &purge, &created)
	e.Kinds = strings.Split(kinds, ",")
	e.Consent.At, e.SlotStart, e.DueAt, e.MissedSince = ms(consentAt), ms(start), ms(due), ms(missedSince)
	e.EndedAt, e.PurgeAfter, e.CreatedAt, e.Visited = ms(ended), ms(purge), ms(created), visited != 0
	return e, err
}

// withVisitors reads the visitors of the entries.
func withVisitors(ctx context.Context, q querier, es []civicgrid.CareEntry) ([]civicgrid.CareEntry, error) {
	if len(es) == 0 {
		return es, nil
	}
	var args []any
	ids := make([]string, len(es))
	at := map[int64]int{}
	for i, e := range es {
		args = append(args, e.ID)
		ids[i] = fmt.Sprintf("$%d", len(args))
		at[e.ID] = i
		es[i].Visitors = []civicgrid.CareVisitor{}
	}
	rows, err := q.QueryContext(ctx, `SELECT entry_id, user_id, label, role FROM care_visitors WHERE entry_id IN (`+strings.Join(ids, ", ")+`)
		ORDER BY entry_id, user_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v civicgrid.CareVisitor
		if err := rows.Scan(&id, &v.UserID, &v.Label, &v.Role); err != nil {
			return nil, err
		}
		es[at[id]].Visitors = append(es[at[id]].Visitors, v)
	}
	return es, rows.Err()
}

func setVisitors(ctx context.Context, tx *Tx, id int64, vs []civicgrid.CareVisitor) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM care_visitors WHERE entry_id = $1`, id); err != nil {
		return err
	}
	for _, v := range vs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO care_visitors (entry_id, user_id, label, role) VALUES ($1, $2, $3, $4)`,
			id, v.UserID, v.Label, v.Role); err != nil {
			return err
		}
	}
	return nil
}

// CreateCareEntry stores a new entry with its visitors.
func (db *DB) CreateCareEntry(ctx context.Context, e civicgrid.CareEntry) (civicgrid.CareEntry, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		c := e.Consent
		if err := tx.QueryRowContext(ctx, `INSERT INTO care_entries (building, name, phone, address, kinds, risk, frequency_days,
			consent_by, consent_guardian, consent_relation, consent_scope, consent_purpose, consent_at, status, slot_start, due_at,
			registered_by, registrar, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
			e.BuildingCode, e.Name, e.Phone, e.Address, strings.Join(e.Kinds, ","), e.Risk, e.FrequencyDays, c.GivenBy, c.Guardian, c.Relation,
			c.Scope, c.Purpose, c.At.UnixMilli(), e.Status, e.SlotStart.UnixMilli(), e.DueAt.UnixMilli(), e.RegisteredBy, e.Registrar,
			e.CreatedAt.UnixMilli()).Scan(&e.ID); err != nil {
			return err
		}
		return setVisitors(ctx, tx, e.ID, e.Visitors)
	})
	if err != nil {
		return e, err
	}
	return db.CareEntryByID(ctx, e.ID)
}

// CareEntryByID returns one entry with its visitors.
func (db *DB) CareEntryByID(ctx context.Context, id int64) (civicgrid.CareEntry, error) {
	e, err := byID(ctx, db.rd, `SELECT `+careColumns+` FROM care_entries WHERE id = $1`, id, scanCare, "care entry")
	if err != nil {
		return e, err
	}
	es, err := withVisitors(ctx, db.rd, []civicgrid.CareEntry{e})
	if err != nil {
		return e, err
	}
	return es[0], nil
}

// CareEntries lists entries at buildings in the subtrees, by id.
func (db *DB) CareEntries(ctx context.Context, within []string, statuses []string, limit int) ([]civicgrid.CareEntry, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + careColumns + ` FROM care_entries WHERE ` + scopeClause("building", within, arg)
	if len(statuses) > 0 {
		ps := make([]string, len(statuses))
		for i, s := range statuses {
			ps[i] = arg(s)
		}
		q += ` AND status IN (` + strings.Join(ps, ", ") + `)`
	}
	q += ` ORDER BY id LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanCare)
	if err != nil {
		return nil, err
	}
	return withVisitors(ctx, db.rd, es)
}

// CareEntriesOfVisitor lists the active entries a person visits, soonest due first.
func (db *DB) CareEntriesOfVisitor(ctx context.Context, userID int64, limit int) ([]civicgrid.CareEntry, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+careColumns+` FROM care_entries WHERE status = $1
		AND id IN (SELECT entry_id FROM care_visitors WHERE user_id = $2) ORDER BY due_at, id LIMIT $3`, civicgrid.CareActive, userID, limit)
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanCare)
	if err != nil {
		return nil, err
	}
	return withVisitors(ctx, db.rd, es)
}

// SetCarePlan changes an active entry's frequency and visitors: the
// current slot keeps its start and ends a frequency after it.
func (db *DB) SetCarePlan(ctx context.Context, id int64, frequencyDays int, visitors []civicgrid.CareVisitor) (civicgrid.CareEntry, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE care_entries SET frequency_days = $1, due_at = slot_start + $2 WHERE id = $3 AND status = $4`,
			frequencyDays, int64(frequencyDays)*int64(24*time.Hour/time.Millisecond), id, civicgrid.CareActive)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d is not active: its plan no longer changes", id)
		}
		return setVisitors(ctx, tx, id, visitors)
	})
	if err != nil {
		return civicgrid.CareEntry{}, err
	}
	return db.CareEntryByID(ctx, id)
}

// EndCare ends an active entry; its erasure is due at purgeAfter.
func (db *DB) EndCare(ctx context.Context, id int64, at time.Time, reason string, purgeAfter time.Time) (civicgrid.CareEntry, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE care_entries SET status = $1, ended_at = $2, end_reason = $3, purge_after = $4
			WHERE id = $5 AND status = $6`, civicgrid.CareEnded, at.UnixMilli(), reason, purgeAfter.UnixMilli(), id, civicgrid.CareActive)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d has ended already", id)
		}
		return nil
	})
	if err != nil {
		return civicgrid.CareEntry{}, err
	}
	return db.CareEntryByID(ctx, id)
}

const careVisitColumns = `id, entry_id, slot_due, visitor_id, visitor, mode, state, note, at, lat, lng, photo, case_id, request_id, created_at`

func scanCareVisit(sc rowScanner) (civicgrid.CareVisit, error) {
	var v civicgrid.CareVisit
	var due, at, created int64
	err := sc.Scan(&v.ID, &v.EntryID, &due, &v.VisitorID, &v.Visitor, &v.Mode, &v.State, &v.Note, &at, &v.Lat, &v.Lng, &v.Photo, &v.CaseID, &v.RequestID, &created)
	v.SlotDue, v.At, v.CreatedAt = ms(due), ms(at), ms(created)
	return v, err
}

// RecordCareVisit stores the visit and marks the entry's current slot
// visited; a second visit for the slot, or a slot no longer current,
// writes nothing.
func (db *DB) RecordCareVisit(ctx context.Context, v civicgrid.CareVisit) (civicgrid.CareVisit, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE care_entries SET visited = 1, missed_since = 0
			WHERE id = $1 AND status = $2 AND due_at = $3 AND visited = 0`, v.EntryID, civicgrid.CareActive, v.SlotDue.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d: the visit due %s is recorded already (one visit per due slot)",
				v.EntryID, v.SlotDue.UTC().Format(time.RFC3339))
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO care_visits (entry_id, slot_due, visitor_id, visitor, mode, state, note, at, lat, lng, photo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (entry_id, slot_due) DO NOTHING RETURNING id`,
			v.EntryID, v.SlotDue.UnixMilli(), v.VisitorID, v.Visitor, v.Mode, v.State, v.Note, v.At.UnixMilli(), v.Lat, v.Lng, v.Photo,
			v.CreatedAt.UnixMilli()).Scan(&v.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care entry %d: one visit per due slot", v.EntryID)
		}
		return err
	})
	if err != nil {
		return v, err
	}
	return db.CareVisitByID(ctx, v.ID)
}

// CareVisitByID returns one visit.
func (db *DB) CareVisitByID(ctx context.Context, id int64) (civicgrid.CareVisit, error) {
	return byID(ctx, db.rd, `SELECT `+careVisitColumns+` FROM care_visits WHERE id = $1`, id, scanCareVisit, "care visit")
}

// CareVisitOfCase returns the visit a case was made from.
func (db *DB) CareVisitOfCase(ctx context.Context, caseID int64) (civicgrid.CareVisit, error) {
	return byID(ctx, db.rd, `SELECT `+careVisitColumns+` FROM care_visits WHERE case_id = $1 AND case_id <> 0`, caseID, scanCareVisit, "care visit of case")
}

// CareVisits lists an entry's visits, newest first.
func (db *DB) CareVisits(ctx context.Context, entryID int64, limit int) ([]civicgrid.CareVisit, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+careVisitColumns+` FROM care_visits WHERE entry_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
		entryID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCareVisit)
}

// LinkCareVisitCase records the case a visit became, once.
func (db *DB) LinkCareVisitCase(ctx context.Context, visitID, caseID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE care_visits SET case_id = $1 WHERE id = $2 AND case_id = 0`, caseID, visitID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care visit %d became a case already", visitID)
		}
		return nil
	})
}

// LinkCareVisitRequest records the request for help a visit became: once;
// linking the same request again is no change (a retried step), another
// one is ECONFLICT.
func (db *DB) LinkCareVisitRequest(ctx context.Context, visitID, requestID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE care_visits SET request_id = $1 WHERE id = $2 AND request_id IN (0, $1)`, requestID, visitID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "care visit %d became another request for help already", visitID)
		}
		return nil
	})
}

// CountDueCare counts the area's active entries whose current slot is
// unvisited, and the red ones among them.
func (db *DB) CountDueCare(ctx context.Context, within []string) (due, overdue int, err error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT COUNT(*), COALESCE(SUM(CASE WHEN missed_since <> 0 THEN 1 ELSE 0 END), 0) FROM care_entries WHERE ` +
		scopeClause("building", within, arg) + ` AND status = ` + arg(civicgrid.CareActive) + ` AND visited = 0`
	err = db.rd.QueryRowContext(ctx, q, args...).Scan(&due, &overdue)
	return due, overdue, err
}

// CloseDueCareSlots closes due slots in one transaction, set-wise (a
// batch of at most limit entries, the earliest due first):
// each becomes a care_slots row and its entry's next slot begins (one per
// run: an entry many slots behind is closed by the runs that follow).
func (db *DB) CloseDueCareSlots(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int64
	// A batch is the earliest due entries (the status-and-due index walked
	// in order); without a limit, every due entry.
	due := `status = $1 AND due_at <= $2`
	if limit > 0 {
		due = `id IN (SELECT id FROM care_entries WHERE status = $1 AND due_at <= $2 ORDER BY due_at, id LIMIT ` + strconv.Itoa(limit) + `)`
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		t := now.UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO care_slots (entry_id, building, due, visited)
			SELECT id, building, due_at, visited FROM care_entries WHERE `+due+`
			ON CONFLICT (entry_id, due) DO NOTHING`, civicgrid.CareActive, t); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE care_entries SET slot_start = due_at, due_at = due_at + frequency_days * CAST($3 AS BIGINT),
			missed_since = CASE WHEN visited = 1 THEN missed_since WHEN missed_since = 0 THEN due_at ELSE missed_since END,
			missed = missed + 1 - visited, visited = 0
			WHERE `+due, civicgrid.CareActive, t, int64(24*time.Hour/time.Millisecond))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// NextCareDue is the earliest pending due time or erasure.
func (db *DB) NextCareDue(ctx context.Context) (time.Time, error) {
	var due, purge sql.NullInt64
	if err := db.rd.QueryRowContext(ctx, `SELECT (SELECT MIN(due_at) FROM care_entries WHERE status = $1),
		(SELECT MIN(purge_after) FROM care_entries WHERE status = $2)`, civicgrid.CareActive, civicgrid.CareEnded).Scan(&due, &purge); err != nil {
		return time.Time{}, err
	}
	switch {
	case due.Valid && (!purge.Valid || due.Int64 <= purge.Int64):
		return time.UnixMilli(due.Int64), nil
	case purge.Valid:
		return time.UnixMilli(purge.Int64), nil
	}
	return time.Time{}, nil
}

// MissedCareSlotsAfter lists missed slots after the cursor.
func (db *DB) MissedCareSlotsAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.CareSlot, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, entry_id, building, due, visited FROM care_slots WHERE visited = 0 AND id > $1
		ORDER BY id LIMIT $2`, cursor, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.CareSlot, error) {
		var s civicgrid.CareSlot
		var due int64
		var visited int
		err := sc.Scan(&s.ID, &s.EntryID, &s.BuildingCode, &due, &visited)
		s.Due, s.Visited = ms(due), visited != 0
		return s, err
	})
}

// CareCoverage counts the slots due in [from, to) in the subtree and those visited.
func (db *DB) CareCoverage(ctx context.Context, within string, from, to time.Time) (due, visited int, err error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT COUNT(*), COALESCE(SUM(visited), 0) FROM care_slots WHERE ` + scopeClause("building", []string{within}, arg) +
		` AND due >= ` + arg(from.UnixMilli()) + ` AND due < ` + arg(to.UnixMilli())
	var v int64
	err = db.rd.QueryRowContext(ctx, q, args...).Scan(&due, &v)
	return due, int(v), err
}

// PurgeCare erases the personal fields of ended entries past their
// retention: name, phone, address and guardian, the visits' notes and
// places. Kinds, building and the anonymous slots stay.
func (db *DB) PurgeCare(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		t := now.UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE care_visits SET note = '', lat = 0, lng = 0, photo = '' WHERE entry_id IN
			(SELECT id FROM care_entries WHERE status = $1 AND purge_after <= $2)`, civicgrid.CareEnded, t); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE care_entries SET status = $1, name = '', phone = '', address = '', consent_guardian = '',
			consent_relation = '', end_reason = '' WHERE status = $2 AND purge_after <= $3`, civicgrid.CarePurged, civicgrid.CareEnded, t)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
