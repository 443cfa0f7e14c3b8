package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Categories returns the catalogue in code order.
func (db *DB) Categories(ctx context.Context) ([]civicgrid.Category, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT code, name_zh, name_en, grp, icon, keywords, respond_within, resolve_within,
		default_dept, duplicate_radius_m, duplicate_hours, active FROM case_categories ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.Category
	for rows.Next() {
		var c civicgrid.Category
		if err := rows.Scan(&c.Code, &c.NameZH, &c.NameEN, &c.Group, &c.Icon, &c.Keyword, &c.RespondWithin, &c.ResolveWithin,
			&c.DefaultDept, &c.DuplicateRadiusM, &c.DuplicateHours, &c.Active); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutCategory adds a category or replaces one with the same code.
func (db *DB) PutCategory(ctx context.Context, c civicgrid.Category) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO case_categories (code, name_zh, name_en, grp, icon, keywords, respond_within,
			resolve_within, default_dept, duplicate_radius_m, duplicate_hours, active, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, grp = excluded.grp,
				icon = excluded.icon, keywords = excluded.keywords, respond_within = excluded.respond_within,
				resolve_within = excluded.resolve_within, default_dept = excluded.default_dept,
				duplicate_radius_m = excluded.duplicate_radius_m, duplicate_hours = excluded.duplicate_hours,
				active = excluded.active, updated_at = excluded.updated_at`,
			c.Code, c.NameZH, c.NameEN, c.Group, c.Icon, c.Keyword, c.RespondWithin, c.ResolveWithin, c.DefaultDept,
			c.DuplicateRadiusM, c.DuplicateHours, c.Active, db.now().UnixMilli())
		return err
	})
}

const caseColumns = `id, category, status, pending, pending_detail, prev_status, channel, description, lat, lng, address, grid_code, building_code,
	reporter_id, reporter_name, reporter_phone, assignee_id, assignee_dept, merged_into, me_too, rating, rating_note,
	reworks, reopens, extensions, self_handled, escalation, photos, respond_by, resolve_by, next_deadline, created_at,
	updated_at, responded_at, dispatched_at, handled_at, closed_at, suspended_at, version`

func scanCase(sc interface{ Scan(...any) error }) (civicgrid.Case, error) {
	var (
		c                                            civicgrid.Case
		status, prev, photos                         string
		reporter, assignee, merged                   sql.NullInt64
		respondBy, resolveBy, next                   sql.NullInt64
		created, updated                             int64
		responded, dispatched, handled, closed, susp sql.NullInt64
	)
	err := sc.Scan(&c.ID, &c.Category, &status, &c.Pending, &c.PendingDetail, &prev, &c.Channel, &c.Description, &c.Lat, &c.Lng, &c.Address,
		&c.GridCode, &c.BuildingCode, &reporter, &c.ReporterName, &c.ReporterPhone, &assignee, &c.AssigneeDept, &merged,
		&c.MeToo, &c.Rating, &c.RatingNote, &c.Reworks, &c.Reopens, &c.Extensions, &c.SelfHandled, &c.Escalation, &photos,
		&respondBy, &resolveBy, &next, &created, &updated, &responded, &dispatched, &handled, &closed, &susp, &c.Version)
	if err != nil {
		return c, err
	}
	c.Status, c.PrevStatus = civicgrid.CaseStatus(status), civicgrid.CaseStatus(prev)
	c.ReporterID, c.AssigneeID, c.MergedInto = reporter.Int64, assignee.Int64, merged.Int64
	c.Photos = splitList(photos)
	c.RespondBy, c.ResolveBy, c.NextDeadline = timeOrZero(respondBy), timeOrZero(resolveBy), timeOrZero(next)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	c.RespondedAt, c.DispatchedAt, c.HandledAt = timeOrZero(responded), timeOrZero(dispatched), timeOrZero(handled)
	c.ClosedAt, c.SuspendedAt = timeOrZero(closed), timeOrZero(susp)
	return c, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// caseArgs are the values of every column but id, in caseColumns order.
// caseUpdateColumns are the columns of caseColumns after id, in the order
// of caseArgs.
var caseUpdateColumns = func() []string {
	cols := strings.Split(strings.SplitN(caseColumns, ",", 2)[1], ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	return cols
}()

func caseArgs(c civicgrid.Case) []any {
	return []any{c.Category, string(c.Status), c.Pending, c.PendingDetail, string(c.PrevStatus), c.Channel, c.Description, c.Lat, c.Lng, c.Address,
		c.GridCode, c.BuildingCode, nullID(c.ReporterID), c.ReporterName, c.ReporterPhone, nullID(c.AssigneeID), c.AssigneeDept,
		nullID(c.MergedInto), c.MeToo, c.Rating, c.RatingNote, c.Reworks, c.Reopens, c.Extensions, c.SelfHandled, c.Escalation,
		strings.Join(c.Photos, ","), msOrNull(c.RespondBy), msOrNull(c.ResolveBy), msOrNull(c.NextDeadline),
		c.CreatedAt.UnixMilli(), c.UpdatedAt.UnixMilli(), msOrNull(c.RespondedAt), msOrNull(c.DispatchedAt),
		msOrNull(c.HandledAt), msOrNull(c.ClosedAt), msOrNull(c.SuspendedAt), c.Version}
}

func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(p, ", ")
}

// CreateCase stores a new case with its first event, the events of the steps
// then taken (and its idempotency key), in one transaction.
func (db *DB) CreateCase(ctx context.Context, c civicgrid.Case, ev civicgrid.CaseEvent, idem *civicgrid.Idempotency, then ...civicgrid.CaseEvent) (civicgrid.Case, bool, error) {
	if idem != nil {
		if id, err := db.idempotentCase(ctx, db.read, idem); err != nil || id != 0 {
			if err != nil {
				return civicgrid.Case{}, false, err
			}
			stored, err := db.CaseByID(ctx, id)
			return stored, true, err
		}
	}
	c.Version = 1 + len(then) // one per change, as UpdateCases counts
	res := db.intakeFor(c.GridCode).submit(ctx, createRequest{c: c, ev: ev, idem: idem, then: then})
	if res.err != nil {
		return civicgrid.Case{}, false, res.err
	}
	if res.existingID != 0 {
		stored, err := db.CaseByID(ctx, res.existingID)
		return stored, true, err
	}
	return res.c, false, nil
}

// CreateCases stores new cases in one transaction, numbered in their
// order: intake's batch write, called directly rather than through its
// queue (bulk seeding: the demo's past). None is stored if one fails.
func (db *DB) CreateCases(ctx context.Context, cs []civicgrid.NewCase) ([]civicgrid.Case, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	reqs := make([]createRequest, len(cs))
	for i, nc := range cs {
		c := nc.Case
		c.Version = 1 + len(nc.Then) // one per change, as UpdateCases counts
		reqs[i] = createRequest{c: c, ev: nc.Event, then: nc.Then}
	}
	results, err := db.writeBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]civicgrid.Case, len(results))
	for i, r := range results {
		out[i] = r.c
	}
	return out, nil
}

// createInTx inserts one new case with its first event, supporter and
// idempotency key (or finds the case an earlier request with the same key
// made).
func (db *DB) createInTx(ctx context.Context, tx *Tx, req createRequest) createResult {
	c, ev, idem := req.c, req.ev, req.idem
	if idem != nil {
		// Checked again under the write lock: a concurrent retry may have
		// won.
		id, err := db.idempotentCase(ctx, tx, idem)
		if err != nil || id != 0 {
			return createResult{existingID: id, err: err}
		}
	}
	cols := strings.SplitN(caseColumns, ",", 2)[1]
	args := caseArgs(c)
	if err := tx.QueryRowContext(ctx, `INSERT INTO cases (`+cols+`) VALUES (`+placeholders(1, len(args))+`) RETURNING id`,
		args...).Scan(&c.ID); err != nil {
		return createResult{err: err}
	}
	ev.CaseID = c.ID
	ev, err := db.insertCaseEvent(ctx, tx, ev, true)
	if err != nil {
		return createResult{err: err}
	}
	doc := caseDoc(c)
	for _, next := range req.then {
		if next.Note != "" {
			doc.Body += "\n" + next.Note
		}
	}
	if err := db.indexDoc(ctx, tx, doc, true); err != nil {
		return createResult{err: err}
	}
	res := createResult{c: c, cohort: civicgrid.CohortOf(c.CreatedAt, c.Category, c.GridCode), eventIDs: []int64{ev.ID}}
	res.delta, res.bucket = civicgrid.RollupDelta(ev)
	for _, next := range req.then {
		next.CaseID = c.ID
		if next, err = db.insertCaseEvent(ctx, tx, next, false); err != nil {
			return createResult{err: err}
		}
		d, bucket := civicgrid.RollupDelta(next)
		if bucket >= 0 {
			return createResult{err: fmt.Errorf("case %d: a %s in the request that makes the case", c.ID, next.Action)}
		}
		res.delta.Add(d)
		res.eventIDs = append(res.eventIDs, next.ID)
	}
	if c.ReporterID != 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_supporters (case_id, user_id, at) VALUES ($1, $2, $3)`,
			c.ID, c.ReporterID, c.CreatedAt.UnixMilli()); err != nil {
			return createResult{err: err}
		}
	}
	if idem != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, request_hash, case_id, created_at)
			VALUES ($1, $2, $3, $4, $5)`, idem.Scope, idem.Key, idem.RequestHash, c.ID, c.CreatedAt.UnixMilli()); err != nil {
			return createResult{err: err}
		}
	}
	return res
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// idempotentCase returns the case made under the key (0 if none), or
// ECONFLICT when the key was used for another request.
func (db *DB) idempotentCase(ctx context.Context, q queryRower, idem *civicgrid.Idempotency) (int64, error) {
	var id int64
	var hash string
	err := q.QueryRowContext(ctx, `SELECT case_id, request_hash FROM idempotency_keys WHERE scope = $1 AND idem_key = $2`,
		idem.Scope, idem.Key).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if hash != idem.RequestHash {
		return 0, civicgrid.Errorf(civicgrid.ECONFLICT, "Idempotency-Key %q was used for a different request; use a new key for a new report", idem.Key)
	}
	return id, nil
}

// appendCaseEvent links ev to the case's chain, inserts it and adds it to
// the indicator rollups of the case's cohort and to the events announced,
// both kept in later for the whole transaction (see caseWrites).
func (db *DB) appendCaseEvent(ctx context.Context, tx *Tx, c civicgrid.Case, ev civicgrid.CaseEvent, later *caseWrites) (civicgrid.CaseEvent, error) {
	ev, err := db.insertCaseEvent(ctx, tx, ev, false)
	if err != nil {
		return ev, err
	}
	later.refs = append(later.refs, caseEventRef{ev.CaseID, ev.ID})
	if err := db.appendText(ctx, tx, "case", ev.CaseID, ev.Note); err != nil {
		return ev, err
	}
	if ev.Action == civicgrid.CaseReclassify {
		return ev, db.moveRollups(ctx, tx, c, ev.Data[civicgrid.DataFromCategory], &later.rollups)
	}
	d, bucket := civicgrid.RollupDelta(ev)
	later.rollups.add(civicgrid.CohortOf(c.CreatedAt, c.Category, c.GridCode), d, bucket)
	return ev, nil
}

// caseWrites gathers what a transaction's case events add to the indicator
// rollups and to the events announced to other instances, so that a bulk
// step — a day's dispatches, an escalation wave of 200 — upserts each
// counter row once, not once per case for each of its areas and periods.
type caseWrites struct {
	rollups rollupBatch
	refs    []caseEventRef
}

func (w *caseWrites) flush(ctx context.Context, db *DB, tx *Tx) error {
	if err := w.rollups.apply(ctx, tx); err != nil {
		return err
	}
	return db.notifyCaseEvents(ctx, tx, w.refs)
}

// moveRollups moves what a reclassified case has counted so far from its old
// category's counters to its new one's, in the reclassify's transaction
// (added to b, which the transaction applies with the rest of its
// rollups), so that the counters stay what civicgrid.CaseCohort recomputes
// from the log.
func (db *DB) moveRollups(ctx context.Context, tx *Tx, c civicgrid.Case, fromCategory string, b *rollupBatch) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM case_events WHERE case_id = $1 ORDER BY seq`, c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var total civicgrid.Counters
	var buckets []int
	for rows.Next() {
		ev, err := scanCaseEvent(rows)
		if err != nil {
			return err
		}
		d, bucket := civicgrid.RollupDelta(ev)
		total.Add(d)
		if bucket >= 0 {
			buckets = append(buckets, bucket)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	b.move(civicgrid.CohortOf(c.CreatedAt, fromCategory, c.GridCode), civicgrid.CohortOf(c.CreatedAt, c.Category, c.GridCode), total, buckets)
	return nil
}

// insertCaseEvent links ev to the case's chain (first: it starts a new
// case's chain) and inserts it.
func (db *DB) insertCaseEvent(ctx context.Context, tx *Tx, ev civicgrid.CaseEvent, first bool) (civicgrid.CaseEvent, error) {
	ev.Seq, ev.PrevHash = 1, civicgrid.GenesisHash
	if !first {
		var err error
		if ev.Seq, ev.PrevHash, err = nextLink(ctx, tx, `SELECT seq, hash FROM case_events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1`, ev.CaseID); err != nil {
			return ev, err
		}
	}
	ev.At = time.UnixMilli(ev.At.UnixMilli())
	ev.Hash = ev.ChainHash()
	data := eventData(ev.Data)
	err := tx.QueryRowContext(ctx, `INSERT INTO case_events (case_id, seq, at, actor_id, actor, action, from_status, to_status, note,
		data, attachments, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		ev.CaseID, ev.Seq, ev.At.UnixMilli(), nullID(ev.ActorID), ev.Actor, string(ev.Action), string(ev.From), string(ev.To),
		ev.Note, data, strings.Join(ev.Attachments, ","), ev.PrevHash, ev.Hash).Scan(&ev.ID)
	return ev, err
}

// CaseByID returns one case.
func (db *DB) CaseByID(ctx context.Context, id int64) (civicgrid.Case, error) {
	c, err := scanCase(db.rd.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, civicgrid.Errorf(civicgrid.ENOTFOUND, "no case %d", id)
	}
	return c, err
}

// UpdateCases stores each case if it is still at its version, with its
// event, in one transaction.
func (db *DB) UpdateCases(ctx context.Context, cs []civicgrid.Case, evs []civicgrid.CaseEvent) ([]civicgrid.Case, error) {
	if len(cs) != len(evs) {
		return nil, fmt.Errorf("UpdateCases: %d cases but %d events", len(cs), len(evs))
	}
	out := slices.Clone(cs)
	grids := make([]string, len(out))
	for i, c := range out {
		grids[i] = c.GridCode
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockDistricts(ctx, tx, grids...); err != nil {
			return err
		}
		var later caseWrites
		for i := range out {
			if err := db.updateCaseTx(ctx, tx, &out[i], evs[i], &later); err != nil {
				return err
			}
		}
		return later.flush(ctx, db, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) updateCaseTx(ctx context.Context, tx *Tx, c *civicgrid.Case, ev civicgrid.CaseEvent, later *caseWrites) error {
	if ev.Action == civicgrid.CaseMergedIn {
		merged, err := strconv.ParseInt(ev.Data["merged"], 10, 64)
		if err != nil {
			return fmt.Errorf("merged_in event of case %d: %w", c.ID, err)
		}
		counted, err := mergeSupporters(ctx, tx, merged, c.ID)
		if err != nil {
			return err
		}
		c.MeToo -= counted
	}
	old := c.Version
	c.Version++
	// Only the columns that change are set: an index is rewritten when a
	// column of it is set, changed or not, and a step changes a few of
	// the case's forty columns while the table has eleven indexes.
	stored, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, c.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return civicgrid.Errorf(civicgrid.ENOTFOUND, "case %d not found", c.ID)
	} else if err != nil {
		return err
	}
	before, after := caseArgs(stored), caseArgs(*c)
	var sets []string
	var args []any
	for i, col := range caseUpdateColumns {
		if after[i] != before[i] || col == "version" { // the version always: the WHERE decides
			args = append(args, after[i])
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
	}
	args = append(args, c.ID, old)
	res, err := tx.ExecContext(ctx, `UPDATE cases SET `+strings.Join(sets, ", ")+
		fmt.Sprintf(` WHERE id = $%d AND version = $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "case %d was changed by someone else meanwhile; reload it and try again", c.ID)
	}
	ev.CaseID = c.ID
	_, err = db.appendCaseEvent(ctx, tx, *c, ev, later)
	return err
}

// mergeSupporters makes the people behind a merged case supporters of the
// case it went into, so that a later "me too" of theirs adds nobody, and
// returns how many of them the kept case already counted (the merge added
// them again).
func mergeSupporters(ctx context.Context, tx *Tx, merged, kept int64) (int, error) {
	var counted int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM case_supporters m WHERE m.case_id = $1
		AND EXISTS (SELECT 1 FROM case_supporters k WHERE k.case_id = $2 AND k.user_id = m.user_id)`, merged, kept).Scan(&counted); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO case_supporters (case_id, user_id, at)
		SELECT $1, user_id, at FROM case_supporters WHERE case_id = $2 ON CONFLICT (case_id, user_id) DO NOTHING`, kept, merged)
	return counted, err
}

// AddSupporter records a "me too" once per person.
func (db *DB) AddSupporter(ctx context.Context, c civicgrid.Case, userID int64, ev civicgrid.CaseEvent) (civicgrid.Case, bool, error) {
	added := false
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockDistricts(ctx, tx, c.GridCode); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO case_supporters (case_id, user_id, at) VALUES ($1, $2, $3)
			ON CONFLICT (case_id, user_id) DO NOTHING`, c.ID, userID, ev.At.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		c.MeToo++
		var later caseWrites
		if err := db.updateCaseTx(ctx, tx, &c, ev, &later); err != nil {
			return err
		}
		return later.flush(ctx, db, tx)
	})
	return c, added, err
}

// CaseEvents returns a case's history in order.
func (db *DB) CaseEvents(ctx context.Context, caseID int64) ([]civicgrid.CaseEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+eventColumns+` FROM case_events WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCaseEvent)
}

const eventColumns = `id, case_id, seq, at, actor_id, actor, action, from_status, to_status, note, data, attachments, prev_hash, hash`

func scanCaseEvent(sc interface{ Scan(...any) error }) (civicgrid.CaseEvent, error) {
	var (
		ev                             civicgrid.CaseEvent
		at                             int64
		actorID                        sql.NullInt64
		action, from, to, data, attach string
	)
	if err := sc.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &at, &actorID, &ev.Actor, &action, &from, &to, &ev.Note, &data, &attach,
		&ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.At, ev.ActorID = time.UnixMilli(at), actorID.Int64
	ev.Action, ev.From, ev.To = civicgrid.CaseAction(action), civicgrid.CaseStatus(from), civicgrid.CaseStatus(to)
	ev.Attachments = splitList(attach)
	if data != "" {
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return ev, fmt.Errorf("case %d event %d: data: %w", ev.CaseID, ev.Seq, err)
		}
	}
	return ev, nil
}

// ListCases returns cases matching f, newest first.
func (db *DB) ListCases(ctx context.Context, f civicgrid.CaseFilter) ([]civicgrid.Case, error) {
	if cs, done, err := db.overdueQueueByWalk(ctx, f); err != nil || done {
		return cs, err
	}
	q, args, ok := db.caseListQuery(f)
	if !ok {
		return nil, nil
	}
	return db.queryCases(ctx, q, args...)
}

// overdueWalk is how far along a work queue's index the overdue cases of
// a queue are first looked for.
var overdueWalk = 2000 // a variable for the tests

// overdueQueueByWalk reads a page of a work queue's overdue cases (one
// status, in the queue's order) by walking the queue's covering index from
// the cursor, at most overdueWalk entries, and testing each entry there —
// the index holds every column the overdue condition, the scope and the
// category need. It answers (done) when the walk filled the page or
// reached the queue's end; otherwise the overdue cases are sparse and the
// caller picks them from the few that can be overdue (caseListQuery).
// Those candidates alone were read whole, row by row, on every view: at
// 10⁶ cases with 40,000 escalated, 320 ms for a district's triage queue.
func (db *DB) overdueQueueByWalk(ctx context.Context, f civicgrid.CaseFilter) (cs []civicgrid.Case, done bool, err error) {
	if !f.Overdue || (f.Order != civicgrid.OrderRespondBy && f.Order != civicgrid.OrderRespondedAt) || len(f.Status) != 1 ||
		len(f.IDs) > 0 || f.ReporterID != 0 || f.AssigneeID != 0 || f.BBox != nil || !f.Since.IsZero() || !f.Until.IsZero() ||
		f.After > 0 || f.Above > 0 || f.Offset > 0 || (!f.All && len(f.Within) == 0) {
		return nil, false, nil
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	col := string(f.Order)
	// Only columns of the queue's covering index, so the walk never reads a row.
	walked := "id, status, grid_code, category, escalation, respond_by, resolve_by"
	if f.Order == civicgrid.OrderRespondedAt {
		walked += ", responded_at"
	}
	walk := "status = " + arg(string(f.Status[0])) + " AND " + col + " IS NOT NULL"
	if f.From != nil {
		at := arg(f.From.At.UnixMilli())
		walk += " AND " + col + " >= " + at + " AND (" + col + " > " + at + " OR id > " + arg(f.From.ID) + ")"
	}
	var conds []string
	if !f.All {
		conds = append(conds, "("+strings.Join(withinConditions(f.Within, arg), " OR ")+")")
	}
	if len(f.Category) > 0 {
		ps := make([]string, len(f.Category))
		for i, c := range f.Category {
			ps[i] = arg(c)
		}
		conds = append(conds, "category IN ("+strings.Join(ps, ", ")+")")
	}
	conds = append(conds, overdueCondition(arg(db.now().UnixMilli())))
	q := `WITH walk AS MATERIALIZED (SELECT ` + walked + ` FROM cases WHERE ` + walk + ` ORDER BY ` + col + `, id LIMIT ` + strconv.Itoa(overdueWalk) + `)
		SELECT walked.n, hit.id FROM (SELECT COUNT(*) AS n FROM walk) AS walked
		LEFT JOIN (SELECT id, ` + col + ` FROM walk WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY ` + col + `, id LIMIT ` + strconv.Itoa(limit) + `) AS hit
		ON 1 = 1 ORDER BY hit.` + col + `, hit.id`
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, err
	}
	var n int
	var ids []int64
	for rows.Next() {
		var id sql.NullInt64
		if err := rows.Scan(&n, &id); err != nil {
			rows.Close()
			return nil, false, err
		}
		if id.Valid {
			ids = append(ids, id.Int64)
		}
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return nil, false, err
	}
	if len(ids) < limit && n >= overdueWalk {
		return nil, false, nil // sparse: the candidates find them
	}
	if len(ids) == 0 {
		return nil, true, nil
	}
	ps := make([]string, len(ids))
	args = args[:0]
	for i, id := range ids {
		ps[i] = arg(id)
	}
	cs, err = db.queryCases(ctx, `SELECT `+caseColumns+` FROM cases WHERE id IN (`+strings.Join(ps, ", ")+`) ORDER BY `+col+`, id`, args...)
	return cs, err == nil, err
}

// withinConditions are the conditions, one per area, of cases in the areas.
func withinConditions(within []string, arg func(any) string) []string {
	var scope []string
	for _, w := range within {
		if len(w) == civicgrid.LevelGrid.CodeLen() {
			// A case lies in a grid, never below one: equality reads
			// the grid's index, where a prefix LIKE (no index for
			// either engine) walked the id order until the page
			// filled, which for a quiet grid was most of the table.
			scope = append(scope, "grid_code = "+arg(w))
			continue
		}
		scope = append(scope, "grid_code LIKE "+arg(civicgrid.SubtreePrefix(w)+"%"))
	}
	return scope
}

// caseListQuery is the SELECT of ListCases (ok false when the filter
// selects nothing).
func (db *DB) caseListQuery(f civicgrid.CaseFilter) (q string, args []any, ok bool) {
	var where []string
	scopeCond := ""  // the scope's condition, when not the whole city
	statusCond := "" // a work queue's statuses, when more than one
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if !f.All {
		if len(f.Within) == 0 && f.ReporterID == 0 && f.AssigneeID == 0 {
			return "", nil, false
		}
		scope := withinConditions(f.Within, arg)
		if f.ReporterID != 0 {
			scope = append(scope, "reporter_id = "+arg(f.ReporterID))
		}
		if f.AssigneeID != 0 {
			scope = append(scope, "assignee_id = "+arg(f.AssigneeID))
		}
		scopeCond = "(" + strings.Join(scope, " OR ") + ")"
		where = append(where, scopeCond)
	}
	from := "cases"
	if len(f.IDs) > 0 {
		// The ids are looked up by primary key first and the other
		// conditions only sift what it found: left to itself, the planner
		// (SQLite's and PostgreSQL's alike) may take the category index
		// and read every case of the category in the window instead.
		ps := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ps[i] = arg(id)
		}
		q = `WITH picked AS MATERIALIZED (SELECT * FROM cases WHERE id IN (` + strings.Join(ps, ", ") + `)) `
		from = "picked"
	}
	if len(f.Category) > 0 {
		ps := make([]string, len(f.Category))
		for i, s := range f.Category {
			ps[i] = arg(s)
		}
		where = append(where, "category IN ("+strings.Join(ps, ", ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(f.Since.UnixMilli()))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+arg(f.Until.UnixMilli()))
	}
	if f.BBox != nil {
		where = append(where, "lng >= "+arg(f.BBox[0])+" AND lat >= "+arg(f.BBox[1])+" AND lng <= "+arg(f.BBox[2])+" AND lat <= "+arg(f.BBox[3]))
	}
	if f.Above > 0 {
		where = append(where, "id > "+arg(f.Above))
	}
	if f.After > 0 {
		where = append(where, "id < "+arg(f.After))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	// Limits are literals: a bound LIMIT makes SQLite re-prepare the
	// statement on every run.
	page := " ORDER BY id DESC LIMIT " + strconv.Itoa(limit)
	switch f.Order {
	case civicgrid.OrderNewest:
	case civicgrid.OrderRespondBy, civicgrid.OrderRespondedAt:
		// An index on (status, time, id) serves the order and the cursor:
		// the range starts at the cursor's time, and its ties are cut by id.
		col := string(f.Order)
		where = append(where, col+" IS NOT NULL")
		if f.From != nil {
			at := arg(f.From.At.UnixMilli())
			where = append(where, col+" >= "+at+" AND ("+col+" > "+at+" OR id > "+arg(f.From.ID)+")")
		}
		page = " ORDER BY " + col + ", id LIMIT " + strconv.Itoa(limit)
		if len(f.Status) > 1 {
			// The per-status merge below is for the newest-first order.
			ps := make([]string, len(f.Status))
			for i, s := range f.Status {
				ps[i] = arg(string(s))
			}
			statusCond = "status IN (" + strings.Join(ps, ", ") + ")"
			where = append(where, statusCond)
			f.Status = nil
		}
	default:
		return "", nil, false
	}
	selectWhere := func(conds []string) string {
		q := `SELECT ` + caseColumns + ` FROM ` + from
		if len(conds) > 0 {
			q += " WHERE " + strings.Join(conds, " AND ")
		}
		return q
	}
	switch {
	case f.Overdue && f.Order != civicgrid.OrderNewest:
		// A work queue's overdue cases, in the queue's order: read on the
		// queue's index, which holds the clocks the condition checks (the
		// branches below pick the newest ids, and a page of those sorted
		// by deadline skipped older overdue cases on every next page).
		//
		// The rows are picked from the few that can be overdue, not from the
		// queue's index: walked in deadline order with the condition checked
		// on each row, that read every case of the queue whenever fewer than
		// a page were overdue (most of the time), and the console paid it on
		// every view. The candidates are the escalated (and cancel-pending)
		// cases of the partial index cases_overdue, the cases whose next
		// deadline has passed (the scheduler has not acted yet), and reported
		// cases past their response limit (a range of the triage index).
		ps := make([]string, len(f.Status))
		for i, s := range f.Status {
			ps[i] = arg(string(s))
		}
		if len(ps) > 0 {
			statusCond = "status IN (" + strings.Join(ps, ", ") + ")"
			where = append(where, statusCond)
		}
		now := arg(db.now().UnixMilli())
		// The candidates' rows are read first (by primary key) and only then
		// sifted and sorted: left to themselves, both planners walk the
		// queue's index and test each row against the candidates. Each
		// branch keeps only the queue's statuses in the scope, from indexes
		// that hold both (cases_overdue_scope, the triage index): with tens
		// of thousands escalated across the city, reading every candidate's
		// row took 250-300 ms for a grid's queue (overdueQueueByWalk serves
		// the queues where overdue cases are dense).
		escalated, reported := `SELECT id FROM cases WHERE `+overdueIndexCondition, `SELECT id FROM cases WHERE status = 'reported' AND respond_by IS NOT NULL AND respond_by < `+now
		for _, c := range []string{scopeCond, statusCond} {
			if c != "" {
				// The status as an expression here, for the reason given at
				// overdueIndexCondition: on the status index, this branch
				// read every case of the queue's statuses.
				escalated += " AND " + strings.Replace(c, "status IN", "status || '' IN", 1)
				reported += " AND " + c
			}
		}
		candidates := `candidates AS MATERIALIZED (` + escalated +
			` UNION SELECT id FROM cases WHERE next_deadline IS NOT NULL AND next_deadline <= ` + now +
			` UNION ` + reported + `), ` +
			`overdue AS MATERIALIZED (SELECT * FROM ` + from + ` WHERE id IN (SELECT id FROM candidates)) `
		if q == "" {
			q = "WITH " + candidates
		} else {
			q = strings.TrimSuffix(q, " ") + ", " + candidates
		}
		from = "overdue"
		q += selectWhere(append(where, overdueCondition(now))) + page
	case f.Overdue:
		// An overdue case is either escalated (or waiting for a cancellation,
		// which stops its clock) — the partial index cases_overdue holds
		// only those — or past a deadline the scheduler has not acted on yet,
		// which the due-time index finds. Each branch is read in id order and
		// cut at the page's end: the status index read every open case and
		// sorted them (155 ms at 10⁶ cases, on every console and queue).
		both := slices.Clip(where)
		if len(f.Status) > 0 {
			ps := make([]string, len(f.Status))
			for i, s := range f.Status {
				ps[i] = arg(string(s))
			}
			both = append(both, "status || '' IN ("+strings.Join(ps, ", ")+")") // as in overdueIndexCondition
		}
		now := arg(db.now().UnixMilli())
		both = append(both, overdueCondition(now))
		// The branches are disjoint. The second holds the few cases of the
		// last moments before the scheduler raises them: it is picked from
		// the due-time index first, as any other plan of it (SQLite's, to
		// serve the order by id) walked the whole table backwards.
		due := `due AS MATERIALIZED (SELECT id FROM cases WHERE next_deadline <= ` + now + `) `
		if q == "" {
			q = "WITH " + due
		} else {
			q = strings.TrimSuffix(q, " ") + ", " + due
		}
		branchLimit := strconv.Itoa(limit + max(f.Offset, 0))
		q += `SELECT * FROM (` + selectWhere(append(slices.Clip(both), overdueIndexCondition)) + ` ORDER BY id DESC LIMIT ` + branchLimit +
			`) AS escalated UNION ALL ` + selectWhere(append(slices.Clip(both), "id IN (SELECT id FROM due)",
			"escalation = 0 AND pending <> 'cancel'")) + page
	case len(f.Status) == 1 || len(f.Status) > 1 && len(f.IDs) > 0:
		ps := make([]string, len(f.Status))
		for i, s := range f.Status {
			ps[i] = arg(string(s))
		}
		q += selectWhere(append(where, "status IN ("+strings.Join(ps, ", ")+")")) + page
	case len(f.Status) > 1:
		// One status at a time, each read in id order on its index and
		// cut at the page's end, then merged: on an IN list both engines
		// would read every case of those statuses and sort them. The
		// branches pick ids only, from indexes that hold the filters'
		// columns, and the page's rows are read last: merging whole rows
		// read (and sorted) every branch's page of rows — nine pages for
		// Open311's open list — to keep one.
		branchLimit := strconv.Itoa(limit + max(f.Offset, 0))
		branches := make([]string, len(f.Status))
		for i, s := range f.Status {
			branches[i] = `SELECT id FROM (SELECT id FROM cases WHERE ` + strings.Join(append(slices.Clip(where), "status = "+arg(string(s))), " AND ") +
				` ORDER BY id DESC LIMIT ` + branchLimit + `) AS s` + strconv.Itoa(i)
		}
		q += selectWhere([]string{`id IN (SELECT id FROM (` + strings.Join(branches, " UNION ALL ") + ` ORDER BY id DESC LIMIT ` + branchLimit + `) AS picked)`}) + page
	default:
		q += selectWhere(where) + page
	}
	if f.Offset > 0 {
		q += " OFFSET " + arg(f.Offset)
	}
	return q, args, true
}

// overdueCondition selects the open cases past the deadline of their
// running clock — the response limit of a case waiting to be registered,
// the resolution limit of a registered, dispatched or accepted one — and
// every open case escalated by a missed deadline, even when an extension
// has since moved the limit. now is the placeholder of the current time.
// The status is an expression for the reason given at overdueIndexCondition.
func overdueCondition(now string) string {
	return `status || '' IN ('reported', 'registered', 'dispatched', 'in_progress') AND (escalation > 0
		OR (status = 'reported' AND respond_by < ` + now + `)
		OR (status <> 'reported' AND resolve_by < ` + now + `))`
}

// overdueIndexCondition is the condition of the partial index cases_overdue
// (migration 0011), written alike so that both engines see that a query
// implies it. The status is compared as an expression (concatenated with an empty string) so
// that neither planner takes the status index instead, which holds every
// open case: without statistics both think an IN on it selective.
const overdueIndexCondition = `status || '' IN ('reported', 'registered', 'dispatched', 'in_progress') AND (escalation > 0 OR pending = 'cancel')`

// finishedStatuses is the SQL list of the statuses that are not open.
var finishedStatuses = func() string {
	var out []string
	for _, st := range civicgrid.CaseStatuses {
		if !st.Open() {
			out = append(out, "'"+string(st)+"'")
		}
	}
	return strings.Join(out, ", ")
}()

// The whole window of a category names the open statuses, so that it is
// read from an index that holds every column it needs (cases_duplicates)
// or from (category, status, id); excluding the finished statuses was
// planned on (category, id) and read every case the category ever had from
// the table: 5.4 s per category on a cold store of 10⁶, 0.17 s now. What is
// new since the last read excludes them, planned on (category, id) from the
// newest id seen.
var (
	openCaseSpotsQuery = func() string {
		var open []string
		for _, st := range civicgrid.CaseStatuses {
			if st.Open() {
				open = append(open, "'"+string(st)+"'")
			}
		}
		return `SELECT id, lat, lng, created_at FROM cases
		WHERE category = $1 AND status IN (` + strings.Join(open, ", ") + `) AND created_at >= $2 AND id > $3`
	}()
	newCaseSpotsQuery = `SELECT id, lat, lng, created_at FROM cases
		WHERE category = $1 AND created_at >= $2 AND id > $3 AND status NOT IN (` + finishedStatuses + `)`
)

// OpenCaseSpots reads the id, place and time of the open cases of a
// category since a time, unsorted and unpaged: paged newest first, each
// page sorted the whole window again.
func (db *DB) OpenCaseSpots(ctx context.Context, category string, since time.Time, above int64) ([]civicgrid.CaseSpot, error) {
	q := newCaseSpotsQuery
	if above == 0 {
		q = openCaseSpotsQuery
	}
	rows, err := db.rd.QueryContext(ctx, q, category, since.UnixMilli(), above)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.CaseSpot
	for rows.Next() {
		var sp civicgrid.CaseSpot
		var at int64
		if err := rows.Scan(&sp.ID, &sp.Lat, &sp.Lng, &at); err != nil {
			return nil, err
		}
		sp.CreatedAt = time.UnixMilli(at)
		out = append(out, sp)
	}
	return out, rows.Err()
}

// queryCases runs a SELECT of caseColumns.
func (db *DB) queryCases(ctx context.Context, q string, args ...any) ([]civicgrid.Case, error) {
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCase)
}

// NextDeadline returns the earliest pending deadline, zero if none.
func (db *DB) NextDeadline(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT MIN(next_deadline) FROM cases WHERE next_deadline IS NOT NULL`).Scan(&next)
	return timeOrZero(next), err
}

// DueCases returns open cases whose next deadline is not after now, earliest
// first.
func (db *DB) DueCases(ctx context.Context, now time.Time, limit int) ([]civicgrid.Case, error) {
	return db.queryCases(ctx, `SELECT `+caseColumns+` FROM cases WHERE next_deadline IS NOT NULL AND next_deadline <= $1
		ORDER BY next_deadline LIMIT $2`, now.UnixMilli(), limit)
}

// ForEachCaseChain calls fn with each case's events in order.
func (db *DB) ForEachCaseChain(ctx context.Context, fn func(caseID int64, events []civicgrid.CaseEvent) error) error {
	return forEachCaseChain(ctx, db.rd, fn)
}

func forEachCaseChain(ctx context.Context, q querier, fn func(caseID int64, events []civicgrid.CaseEvent) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM case_events ORDER BY case_id, seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur []civicgrid.CaseEvent
	for rows.Next() {
		ev, err := scanCaseEvent(rows)
		if err != nil {
			return err
		}
		if len(cur) > 0 && cur[0].CaseID != ev.CaseID {
			if err := fn(cur[0].CaseID, cur); err != nil {
				return err
			}
			cur = nil
		}
		cur = append(cur, ev)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cur) > 0 {
		return fn(cur[0].CaseID, cur)
	}
	return nil
}

// LastEventID is the highest case event id written (0 for none): where a
// new reader of the log that wants only what comes next starts.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var last int64
	err := db.rd.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_events`).Scan(&last)
	return last, err
}

// EventsAfter returns up to limit case events after cursor with their
// cases: the log that webhooks, notifications and robot feeds walk by their
// cursors. It reads only up to the log horizon (see logHorizon), so that
// an event never commits later below a position a reader has passed.
func (db *DB) EventsAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.LoggedCaseEvent, error) {
	horizon, err := db.logHorizon(ctx, cursor+1)
	if err != nil || horizon <= cursor {
		return nil, err
	}
	rows, err := db.rd.QueryContext(ctx, fmt.Sprintf(`SELECT `+eventColumns+` FROM case_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT %d`, limit), cursor, horizon)
	if err != nil {
		return nil, err
	}
	var out []civicgrid.LoggedCaseEvent
	ids := map[int64]bool{}
	for rows.Next() {
		ev, err := scanCaseEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, civicgrid.LoggedCaseEvent{Event: ev})
		ids[ev.CaseID] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	args := make([]any, 0, len(ids))
	for id := range ids {
		args = append(args, id)
	}
	crows, err := db.rd.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id IN (`+placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	cases := make(map[int64]civicgrid.Case, len(ids))
	for crows.Next() {
		c, err := scanCase(crows)
		if err != nil {
			return nil, err
		}
		cases[c.ID] = c
	}
	for i := range out {
		out[i].Case = cases[out[i].Event.CaseID]
	}
	return out, crows.Err()
}
