package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Notices: one row per notice, a receipt per person who read it, group
// robots and their deliveries (civicgrid.NoticeStore). The audience is
// never written out: it is counted from role grants when asked.

const noticeColumns = `id, scope, audience, title, body, priority, pinned, need_confirm, expires_at, author_id, author, created_at, reminded_at, withdrawn, attachments,
	team_id, team_name, withdrawn_at, withdrawn_by, withdraw_reason, documents`

func scanNotice(sc rowScanner) (civicgrid.Notice, error) {
	var n civicgrid.Notice
	var expires, author, reminded, team, withdrawnAt, withdrawnBy sql.NullInt64
	var created int64
	var attachments, documents string
	err := sc.Scan(&n.ID, &n.Scope, &n.Audience, &n.Title, &n.Body, &n.Priority, &n.Pinned, &n.NeedConfirm, &expires, &author, &n.Author,
		&created, &reminded, &n.Withdrawn, &attachments, &team, &n.TeamName, &withdrawnAt, &withdrawnBy, &n.WithdrawReason, &documents)
	if err == nil && documents != "" {
		if err = json.Unmarshal([]byte(documents), &n.Documents); err != nil {
			err = fmt.Errorf("notice %d: its documents: %w", n.ID, err)
		}
	}
	n.TeamID, n.WithdrawnBy = team.Int64, withdrawnBy.Int64
	if withdrawnAt.Valid {
		n.WithdrawnAt = time.UnixMilli(withdrawnAt.Int64)
	}
	if attachments != "" {
		n.Attachments = strings.Split(attachments, ",")
	}
	n.CreatedAt, n.AuthorID = time.UnixMilli(created), author.Int64
	if expires.Valid {
		n.ExpiresAt = time.UnixMilli(expires.Int64)
	}
	if reminded.Valid {
		n.RemindedAt = time.UnixMilli(reminded.Int64)
	}
	return n, err
}

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// CreateNotice stores the notice as one row, and a delivery for each
// enabled robot of an area within its scope: the cost does not depend on
// how many people it reaches.
func (db *DB) CreateNotice(ctx context.Context, n civicgrid.Notice) (civicgrid.Notice, error) {
	documents := ""
	if len(n.Documents) > 0 {
		b, err := json.Marshal(n.Documents)
		if err != nil {
			return n, err
		}
		documents = string(b)
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO notices (scope, audience, title, body, priority, pinned, need_confirm, expires_at,
			author_id, author, created_at, attachments, team_id, team_name, documents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			n.Scope, n.Audience, n.Title, n.Body, n.Priority, n.Pinned, n.NeedConfirm, nullMillis(n.ExpiresAt), nullID(n.AuthorID), n.Author,
			n.CreatedAt.UnixMilli(), strings.Join(n.Attachments, ","), nullID(n.TeamID), n.TeamName, documents).Scan(&n.ID); err != nil {
			return err
		}
		if n.Priority == civicgrid.PriorityUrgent {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notice_events (notice_id, kind, at) VALUES ($1, $2, $3)`,
				n.ID, civicgrid.NoticeEventUrgent, n.CreatedAt.UnixMilli()); err != nil {
				return err
			}
		}
		if err := db.indexDoc(ctx, tx, noticeDoc(n), true); err != nil {
			return err
		}
		var args []any
		arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
		q := `INSERT INTO notice_robot_deliveries (robot_id, notice_id, kind, ref_id, state, next_at, updated_at)
			SELECT id, ` + arg(n.ID) + `, '` + civicgrid.RobotPostNotice + `', ` + arg(n.ID) + `, ` + arg(civicgrid.RobotPending) + `, ` + arg(n.CreatedAt.UnixMilli()) + `, ` + arg(n.CreatedAt.UnixMilli()) +
			` FROM notice_robots WHERE disabled = FALSE AND ` + scopeClause("area_code", []string{n.Scope}, arg)
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return n, err
	}
	return db.NoticeByID(ctx, n.ID)
}

// noticeDoc is a notice as the search index keeps it: found by its
// audience over an area overlapping its scope (and by staff over it); a
// team's notice by staff only (Notice.SearchTag).
func noticeDoc(n civicgrid.Notice) civicgrid.SearchDoc {
	return civicgrid.SearchDoc{Kind: "notice", Ref: n.ID, Area: n.Scope, Title: n.Title, Body: n.Body,
		Audience: n.SearchTag(), At: n.CreatedAt}
}

func init() {
	// Notices became searchable (0032), before they had teams (0036).
	afterMigration[32] = func(ctx context.Context, db *DB, tx *Tx) error { return indexNoticesWhere(ctx, db, tx, "0", "") }
	// A team's notice is found by its members (0043): its document gets
	// the team's tag.
	afterMigration[43] = func(ctx context.Context, db *DB, tx *Tx) error {
		return indexNoticesWhere(ctx, db, tx, "COALESCE(team_id, 0)", " AND audience = 'team'")
	}
}

// indexNotices indexes every notice not withdrawn, for a copy's new index.
func indexNotices(ctx context.Context, db *DB, tx *Tx) error {
	return indexNoticesWhere(ctx, db, tx, "COALESCE(team_id, 0)", "")
}

// indexNoticesWhere (re)indexes the notices not withdrawn that match the
// condition; team is the column of their team ("0" before there were any).
func indexNoticesWhere(ctx context.Context, db *DB, tx *Tx, team, cond string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, scope, audience, title, body, created_at, `+team+` FROM notices WHERE withdrawn = FALSE`+cond+` ORDER BY id`)
	if err != nil {
		return err
	}
	var ns []civicgrid.Notice
	for rows.Next() {
		var n civicgrid.Notice
		var at int64
		if err := rows.Scan(&n.ID, &n.Scope, &n.Audience, &n.Title, &n.Body, &at, &n.TeamID); err != nil {
			rows.Close()
			return err
		}
		n.CreatedAt = time.UnixMilli(at)
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range ns {
		if err := db.indexDoc(ctx, tx, noticeDoc(n), false); err != nil {
			return err
		}
	}
	return nil
}

// NoticeByID returns one notice.
func (db *DB) NoticeByID(ctx context.Context, id int64) (civicgrid.Notice, error) {
	return byID(ctx, db.rd, `SELECT `+noticeColumns+` FROM notices WHERE id = $1`, id, scanNotice, "notice")
}

// Notices lists the notices in or above the areas, pinned first, newest first.
func (db *DB) Notices(ctx context.Context, within []string, now time.Time, expired bool, limit int) ([]civicgrid.Notice, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var above []string
	for _, w := range within {
		above = append(above, civicgrid.AreaAndAncestors(w)[1:]...)
	}
	q := `SELECT ` + noticeColumns + ` FROM notices WHERE withdrawn = FALSE AND ` + scopeOrExact("scope", within, above, arg)
	if !expired {
		q += ` AND (expires_at IS NULL OR expires_at > ` + arg(now.UnixMilli()) + `)`
	}
	q += ` ORDER BY pinned DESC, id DESC LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanNotice)
}

func scanReceipt(sc rowScanner) (civicgrid.NoticeReceipt, error) {
	var r civicgrid.NoticeReceipt
	var read int64
	var confirmed sql.NullInt64
	err := sc.Scan(&r.NoticeID, &r.UserID, &read, &confirmed)
	r.ReadAt = time.UnixMilli(read)
	if confirmed.Valid {
		r.ConfirmedAt = time.UnixMilli(confirmed.Int64)
	}
	return r, err
}

// Receipts returns a person's receipts of the notices.
func (db *DB) Receipts(ctx context.Context, userID int64, ids []int64) (map[int64]civicgrid.NoticeReceipt, error) {
	out := map[int64]civicgrid.NoticeReceipt{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{userID}
	in := ""
	for i, id := range ids {
		if i > 0 {
			in += ", "
		}
		args = append(args, id)
		in += fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT notice_id, user_id, read_at, confirmed_at FROM notice_receipts
		WHERE user_id = $1 AND notice_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanReceipt)
	for _, r := range rs {
		out[r.NoticeID] = r
	}
	return out, err
}

// MarkNotice records a reading and, when confirm, a confirmation; the
// first time of each is kept.
func (db *DB) MarkNotice(ctx context.Context, noticeID, userID int64, at time.Time, confirm bool) (civicgrid.NoticeReceipt, error) {
	var confirmed any
	if confirm {
		confirmed = at.UnixMilli()
	}
	var r civicgrid.NoticeReceipt
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notice_receipts (notice_id, user_id, read_at, confirmed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (notice_id, user_id) DO UPDATE SET confirmed_at = COALESCE(notice_receipts.confirmed_at, excluded.confirmed_at)`,
			noticeID, userID, at.UnixMilli(), confirmed); err != nil {
			return err
		}
		var err error
		r, err = scanReceipt(tx.QueryRowContext(ctx, `SELECT notice_id, user_id, read_at, confirmed_at FROM notice_receipts
			WHERE notice_id = $1 AND user_id = $2`, noticeID, userID))
		return err
	})
	return r, err
}

// subtreeRange matches column against an area's subtree as a range of
// codes (codes are digits, which sort the same in every collation), so
// that an index on the column serves it on both stores, as LIKE does not.
func subtreeRange(column, root string, arg func(any) string) string {
	lo := civicgrid.SubtreePrefix(root)
	hi := []byte(lo)
	i := len(hi) - 1
	for ; i >= 0 && hi[i] == '9'; i-- {
		hi[i] = '0'
	}
	if i < 0 {
		return column + " >= " + arg(lo)
	}
	hi[i]++
	return "(" + column + " >= " + arg(lo) + " AND " + column + " < " + arg(string(hi[:i+1])) + ")"
}

// audienceClause matches role grants g of the notice's audience: a role
// of the audience over an area within the scope or above it; within an
// area (itself within the scope) only the grants in its subtree.
func audienceClause(n civicgrid.Notice, within string, arg func(any) string) string {
	var c string
	if within != "" {
		c = subtreeRange("g.area_code", within, arg)
	} else {
		c = "(" + subtreeRange("g.area_code", n.Scope, arg)
		for _, a := range civicgrid.AreaAndAncestors(n.Scope)[1:] {
			c += " OR g.area_code = " + arg(a)
		}
		c += ")"
	}
	if roles := n.AudienceRoles(); roles != nil {
		c += ` AND g.role IN (`
		for i, r := range roles {
			if i > 0 {
				c += ", "
			}
			c += arg(r)
		}
		c += `)`
	}
	return c
}

// CountNotice counts the audience (people, once each) and its receipts,
// in two plain statements (each planned on its own).
func (db *DB) CountNotice(ctx context.Context, n civicgrid.Notice, within string) (civicgrid.NoticeCounts, error) {
	var c civicgrid.NoticeCounts
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if n.Audience == civicgrid.AudienceTeam {
		// The team's size (asked of the volunteer service) minus the
		// receipts of its members: no row per member is ever written.
		c.Audience = len(n.Members)
		if len(n.Members) > 0 {
			if err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(confirmed_at) FROM notice_receipts WHERE notice_id = `+arg(n.ID)+
				` AND user_id IN (`+idList(n.Members, arg)+`)`, args...).Scan(&c.Read, &c.Confirmed); err != nil {
				return c, err
			}
		}
		c.Unread = c.Audience - c.Read
		return c, nil
	}
	aud := audienceClause(n, within, arg)
	audience, err := db.audienceSize(ctx, n, within)
	if err != nil {
		return c, err
	}
	c.Audience = audience
	id := arg(n.ID)
	// The receipts of the audience: each receipt is checked by a probe of
	// its person's grants (role_grants_unique begins with the person), a
	// subquery with LIMIT that the planner keeps as such, so the cost
	// follows the receipts, not the street: as EXISTS, PostgreSQL hashed
	// every grant of the street first (docs/benchmarks.md).
	q := `SELECT COUNT(*), COUNT(r.confirmed_at) FROM notice_receipts r WHERE r.notice_id = ` + id +
		` AND (SELECT 1 FROM role_grants g WHERE g.user_id = r.user_id AND ` + aud + ` LIMIT 1) = 1`
	noticeTrace(q, args)
	if err := db.rd.QueryRowContext(ctx, q, args...).Scan(&c.Read, &c.Confirmed); err != nil {
		return c, err
	}
	c.Unread = c.Audience - c.Read
	return c, nil
}

// Unreached lists the people of the audience within the area who have
// not read (or not confirmed) the notice, by area (building), role and
// person, from after the cursor: the order of an index, so a page of a
// street of 10⁵ people reads one page of rows. A person holding two roles
// of the audience is listed once per role.
func (db *DB) Unreached(ctx context.Context, n civicgrid.Notice, within string, after civicgrid.UnreachedCursor, limit int) ([]civicgrid.Unreached, error) {
	missing := `r.user_id IS NULL`
	if n.NeedConfirm {
		missing = `(r.user_id IS NULL OR r.confirmed_at IS NULL)`
	}
	return db.audienceList(ctx, n, within, missing, after, limit)
}

// Reached lists the people of the audience within the area who have read
// the notice, with when, in the order Unreached lists (who read when).
func (db *DB) Reached(ctx context.Context, n civicgrid.Notice, within string, after civicgrid.UnreachedCursor, limit int) ([]civicgrid.Unreached, error) {
	return db.audienceList(ctx, n, within, `r.user_id IS NOT NULL`, after, limit)
}

// audienceList lists the people of the audience within the area whose
// receipt (r, none when NULL) meets cond, by area (building), role and
// person, from after the cursor: the order of an index, so a page of a
// street of 10⁵ people reads one page of rows. A person holding two roles
// of the audience is listed once per role.
func (db *DB) audienceList(ctx context.Context, n civicgrid.Notice, within, cond string, after civicgrid.UnreachedCursor, limit int) ([]civicgrid.Unreached, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if n.Audience == civicgrid.AudienceTeam {
		return db.teamList(ctx, n, cond, after, limit)
	}
	q := `SELECT u.id, u.name, u.phone, g.area_code, g.role, r.read_at, r.confirmed_at
		FROM role_grants g JOIN users u ON u.id = g.user_id
		LEFT JOIN notice_receipts r ON r.notice_id = ` + arg(n.ID) + ` AND r.user_id = g.user_id
		WHERE ` + audienceClause(n, within, arg) + ` AND ` + cond
	if after != (civicgrid.UnreachedCursor{}) {
		q += ` AND (g.area_code, g.role, g.user_id) > (` + arg(after.Area) + `, ` + arg(after.Role) + `, ` + arg(after.User) + `)`
	}
	q += ` ORDER BY g.area_code, g.role, g.user_id LIMIT ` + arg(limit)
	noticeTrace(q, args)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.Unreached, error) {
		var p civicgrid.Unreached
		var read, confirmed sql.NullInt64
		err := sc.Scan(&p.UserID, &p.Name, &p.Phone, &p.AreaCode, &p.Role, &read, &confirmed)
		setReceipt(&p, read, confirmed)
		return p, err
	})
}

// setReceipt fills in a listed person's reading.
func setReceipt(p *civicgrid.Unreached, read, confirmed sql.NullInt64) {
	p.Read = read.Valid
	if read.Valid {
		p.ReadAt = time.UnixMilli(read.Int64)
	}
	if confirmed.Valid {
		p.ConfirmedAt = time.UnixMilli(confirmed.Int64)
	}
}

// teamList lists a team notice's members whose receipt meets cond, by
// id, after the cursor's person. They are listed at the notice's scope as
// volunteers (a team is of one community).
func (db *DB) teamList(ctx context.Context, n civicgrid.Notice, cond string, after civicgrid.UnreachedCursor, limit int) ([]civicgrid.Unreached, error) {
	if len(n.Members) == 0 {
		return nil, nil
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT u.id, u.name, u.phone, r.read_at, r.confirmed_at
		FROM users u LEFT JOIN notice_receipts r ON r.notice_id = ` + arg(n.ID) + ` AND r.user_id = u.id
		WHERE u.id IN (` + idList(n.Members, arg) + `) AND u.id > ` + arg(after.User) + ` AND ` + cond +
		` ORDER BY u.id LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.Unreached, error) {
		p := civicgrid.Unreached{AreaCode: n.Scope, Role: civicgrid.RoleVolunteer}
		var read, confirmed sql.NullInt64
		err := sc.Scan(&p.UserID, &p.Name, &p.Phone, &read, &confirmed)
		setReceipt(&p, read, confirmed)
		return p, err
	})
}

// noticeCountsBefore counts the audience as the code did before the
// stored counts (0045): COUNT(DISTINCT) over the area's grants (the
// benchmark compares both in one run).
var noticeCountsBefore = false

// audienceSize is how many people hold a role of the notice's audience
// over an area within the area (within), or within the scope or above it
// (within ""), each once. It is read from area_audience_counts — one row
// for the subtree, kept with the grants — plus, for the scope, the people
// holding the role exactly at an area above it and none within it (the
// grants at a street, district or city code: a probe of each person's
// grants). An audience of several roles, which no notice has, is counted
// from the grants.
func (db *DB) audienceSize(ctx context.Context, n civicgrid.Notice, within string) (int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	roles := n.AudienceRoles()
	if noticeCountsBefore || len(roles) > 1 {
		// The audience: its people once each, from the grants of the
		// area's range. (Grouping by person instead was four times slower
		// on PostgreSQL: a hash of 10⁵ people; docs/benchmarks.md.)
		q := `SELECT COUNT(DISTINCT g.user_id) FROM role_grants g WHERE ` + audienceClause(n, within, arg)
		noticeTrace(q, args)
		var size int
		err := db.rd.QueryRowContext(ctx, q, args...).Scan(&size)
		return size, err
	}
	role := audienceAny
	if len(roles) == 1 {
		role = roles[0]
	}
	root := within
	if root == "" {
		root = n.Scope
	}
	q := `SELECT COALESCE((SELECT people FROM area_audience_counts WHERE area_code = ` + arg(root) + ` AND role = ` + arg(role) + `), 0)`
	if within == "" {
		if above := civicgrid.AreaAndAncestors(n.Scope)[1:]; len(above) > 0 {
			ph := make([]string, len(above))
			for i, a := range above {
				ph[i] = arg(a)
			}
			roleOf := func(t string) string {
				if role == audienceAny {
					return ""
				}
				return ` AND ` + t + `.role = ` + arg(role)
			}
			q += ` + (SELECT COUNT(DISTINCT g.user_id) FROM role_grants g WHERE g.area_code IN (` + strings.Join(ph, ", ") + `)` + roleOf("g") +
				` AND (SELECT 1 FROM role_grants h WHERE h.user_id = g.user_id AND ` + subtreeRange("h.area_code", n.Scope, arg) + roleOf("h") + ` LIMIT 1) IS NULL)`
		}
	}
	noticeTrace(q, args)
	var size int
	err := db.rd.QueryRowContext(ctx, q, args...).Scan(&size)
	return size, err
}

// noticeTrace is told the follow-up queries (the benchmark EXPLAINs them).
var noticeTrace = func(sql string, args []any) {}

// idList writes ids as a list of arguments.
func idList(ids []int64, arg func(any) string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(arg(id))
	}
	return b.String()
}

// WithdrawNotice marks the notice withdrawn, drops it from the search
// index, stops the group posts not yet made and logs the withdrawal, in
// one transaction.
func (db *DB) WithdrawNotice(ctx context.Context, id, by int64, reason string, at time.Time) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notices SET withdrawn = TRUE, withdrawn_at = $1, withdrawn_by = $2, withdraw_reason = $3
			WHERE id = $4 AND withdrawn = FALSE`, at.UnixMilli(), nullID(by), reason, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if ok = n == 1; !ok || err != nil {
			return err
		}
		if err := db.dropDoc(ctx, tx, "notice", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notice_robot_deliveries SET state = $1, last_error = $2, updated_at = $3
			WHERE kind = $4 AND notice_id = $5 AND state = $6`, civicgrid.RobotWithdrawn, "the notice was withdrawn", at.UnixMilli(),
			civicgrid.RobotPostNotice, id, civicgrid.RobotPending); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notice_events (notice_id, kind, at) VALUES ($1, $2, $3)`, id, civicgrid.NoticeEventWithdraw, at.UnixMilli())
		return err
	})
	return ok, err
}

// RemindNotice moves the reminded time, only when the last reminder is
// older than notBefore.
func (db *DB) RemindNotice(ctx context.Context, id int64, at, notBefore time.Time) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notices SET reminded_at = $1 WHERE id = $2 AND (reminded_at IS NULL OR reminded_at <= $3)`,
			at.UnixMilli(), id, notBefore.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if ok = n == 1; !ok || err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notice_events (notice_id, kind, at) VALUES ($1, $2, $3)`, id, civicgrid.NoticeEventRemind, at.UnixMilli())
		return err
	})
	return ok, err
}

// NoticeEventsAfter returns up to limit events after the id, oldest first.
// NoticeEventIDs lists a notice's events, oldest first.
func (db *DB) NoticeEventIDs(ctx context.Context, noticeID int64) ([]int64, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id FROM notice_events WHERE notice_id = $1 ORDER BY id`, noticeID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
}

func (db *DB) NoticeEventsAfter(ctx context.Context, after int64, limit int) ([]civicgrid.NoticeEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, notice_id, kind, at FROM notice_events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.NoticeEvent, error) {
		var e civicgrid.NoticeEvent
		var at int64
		err := sc.Scan(&e.ID, &e.NoticeID, &e.Kind, &at)
		e.At = time.UnixMilli(at)
		return e, err
	})
}

const robotColumns = `id, area_code, name, kind, url, markdown, sealed_secret, created_by, created_at, disabled,
	new_cases, overdue_cases, volunteer_requests`

func scanRobot(sc rowScanner) (civicgrid.NoticeRobot, error) {
	var r civicgrid.NoticeRobot
	var sealed string
	var by sql.NullInt64
	var created int64
	err := sc.Scan(&r.ID, &r.AreaCode, &r.Name, &r.Kind, &r.URL, &r.Markdown, &sealed, &by, &created, &r.Disabled,
		&r.NewCases, &r.OverdueCases, &r.VolunteerRequests)
	r.CreatedBy, r.CreatedAt = by.Int64, time.UnixMilli(created)
	if sealed != "" {
		r.SealedSecret, _ = base64.StdEncoding.DecodeString(sealed)
		r.Signed = true
	}
	return r, err
}

// CreateRobot stores a group robot.
func (db *DB) CreateRobot(ctx context.Context, r civicgrid.NoticeRobot) (civicgrid.NoticeRobot, error) {
	sealed := ""
	if len(r.SealedSecret) > 0 {
		sealed = base64.StdEncoding.EncodeToString(r.SealedSecret)
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO notice_robots (area_code, name, kind, url, markdown, sealed_secret, created_by, created_at,
			new_cases, overdue_cases, volunteer_requests)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, r.AreaCode, r.Name, r.Kind, r.URL, r.Markdown, sealed, nullID(r.CreatedBy),
			r.CreatedAt.UnixMilli(), r.NewCases, r.OverdueCases, r.VolunteerRequests).Scan(&r.ID)
	})
	if err != nil {
		return r, err
	}
	return db.RobotByID(ctx, r.ID)
}

// Robots lists the robots of areas in the subtrees.
func (db *DB) Robots(ctx context.Context, within []string) ([]civicgrid.NoticeRobot, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT `+robotColumns+` FROM notice_robots WHERE `+scopeClause("area_code", within, arg)+
		` ORDER BY area_code, id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRobot)
}

// RobotByID returns one robot.
func (db *DB) RobotByID(ctx context.Context, id int64) (civicgrid.NoticeRobot, error) {
	return byID(ctx, db.rd, `SELECT `+robotColumns+` FROM notice_robots WHERE id = $1`, id, scanRobot, "group robot")
}

// DisableRobot stops a robot: nothing more is posted to its group.
func (db *DB) DisableRobot(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notice_robots SET disabled = TRUE WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE notice_robot_deliveries SET state = $1, last_error = $2 WHERE robot_id = $3 AND state = $4`,
			civicgrid.RobotFailed, "the robot was stopped", id, civicgrid.RobotPending)
		return err
	})
}

const robotDeliveryColumns = `id, robot_id, notice_id, state, attempts, next_at, last_error, updated_at, kind, payload`

func scanRobotDelivery(sc rowScanner) (civicgrid.RobotDelivery, error) {
	var d civicgrid.RobotDelivery
	var next, updated int64
	var notice sql.NullInt64
	var payload string
	err := sc.Scan(&d.ID, &d.RobotID, &notice, &d.State, &d.Attempts, &next, &d.LastError, &updated, &d.Kind, &payload)
	d.NoticeID, d.NextAt, d.UpdatedAt = notice.Int64, time.UnixMilli(next), time.UnixMilli(updated)
	if err == nil && payload != "" {
		d.Item = new(civicgrid.RobotItem)
		err = json.Unmarshal([]byte(payload), d.Item)
	}
	return d, err
}

// SubscribedRobots lists the enabled robots that chose cases, overdue
// cases or requests for help.
func (db *DB) SubscribedRobots(ctx context.Context) ([]civicgrid.NoticeRobot, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+robotColumns+` FROM notice_robots WHERE disabled = FALSE
		AND (new_cases OR overdue_cases OR volunteer_requests) ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRobot)
}

// RobotCursor is how far the named log was walked for the robots (0 at
// first).
func (db *DB) RobotCursor(ctx context.Context, source string) (int64, error) {
	var at int64
	err := db.rd.QueryRowContext(ctx, `SELECT last_id FROM notice_robot_cursors WHERE source = $1`, source).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return at, err
}

// EnqueueRobotPosts queues the posts and moves the cursor from from to to,
// only when it is still at from.
func (db *DB) EnqueueRobotPosts(ctx context.Context, source string, from, to int64, posts []civicgrid.RobotPost, at time.Time) (bool, error) {
	moved := false
	err := db.inTx(ctx, func(tx *Tx) error {
		moved = false
		var res sql.Result
		var err error
		if from == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO notice_robot_cursors (source, last_id) VALUES ($1, $2) ON CONFLICT (source) DO NOTHING`, source, to)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE notice_robot_cursors SET last_id = $1 WHERE source = $2 AND last_id = $3`, to, source, from)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		for _, p := range posts {
			payload, err := json.Marshal(p.Item)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notice_robot_deliveries (robot_id, kind, ref_id, payload, state, next_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (robot_id, kind, ref_id) DO NOTHING`,
				p.RobotID, p.Item.Kind, p.Key, string(payload), civicgrid.RobotPending, at.UnixMilli(), at.UnixMilli()); err != nil {
				return err
			}
		}
		moved = true
		return nil
	})
	return moved, err
}

// DueRobotDeliveries leases the pending deliveries due at now: each is
// taken by one caller (instance) until leaseUntil.
func (db *DB) DueRobotDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]civicgrid.RobotDelivery, error) {
	// Looked for first on a reader, as webhook deliveries are: the sender
	// wakes often and mostly finds nothing due.
	if due, err := db.exists(ctx, `SELECT 1 FROM notice_robot_deliveries WHERE state = $1 AND next_at <= $2 LIMIT 1`,
		civicgrid.RobotPending, now.UnixMilli()); err != nil || !due {
		return nil, err
	}
	var out []civicgrid.RobotDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+robotDeliveryColumns+` FROM notice_robot_deliveries WHERE state = $1 AND next_at <= $2
			ORDER BY next_at, id LIMIT $3`, civicgrid.RobotPending, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		ds, err := collect(rows, scanRobotDelivery)
		if err != nil {
			return err
		}
		for _, d := range ds {
			res, err := tx.ExecContext(ctx, `UPDATE notice_robot_deliveries SET next_at = $1 WHERE id = $2 AND state = $3 AND next_at = $4`,
				leaseUntil.UnixMilli(), d.ID, civicgrid.RobotPending, d.NextAt.UnixMilli())
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// RecordRobotDelivery stores an attempt's outcome.
func (db *DB) RecordRobotDelivery(ctx context.Context, d civicgrid.RobotDelivery) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notice_robot_deliveries SET state = $1, attempts = $2, next_at = $3, last_error = $4, updated_at = $5
			WHERE id = $6 AND state <> $7`, d.State, d.Attempts, d.NextAt.UnixMilli(), d.LastError, d.UpdatedAt.UnixMilli(), d.ID, civicgrid.RobotWithdrawn)
		return err
	})
}

// RobotDeliveries lists a robot's deliveries, newest first.
func (db *DB) RobotDeliveries(ctx context.Context, robotID int64, limit int) ([]civicgrid.RobotDelivery, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+robotDeliveryColumns+` FROM notice_robot_deliveries WHERE robot_id = $1
		ORDER BY id DESC LIMIT $2`, robotID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRobotDelivery)
}

var _ civicgrid.NoticeStore = (*DB)(nil)
