package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Volunteer service: requests for help with their service record and the
// hash-chained history of each request (civicgrid.VolunteerStore).

const helpColumns = `id, service, building, address, beneficiary, contact, note, urgency, window_start, window_end, status,
	poster_id, poster, on_behalf, volunteer_id, volunteer, reason, sign_in_at, sign_out_at, minutes, rating, comment, created_at, updated_at,
	opened_at, take_by, untaken_at, sign_code, held, case_id, origin, needs`

func scanHelp(sc rowScanner) (civicgrid.HelpRequest, error) {
	var r civicgrid.HelpRequest
	var start, end, created, updated int64
	var vol, in, out, opened, takeBy, untaken, caseID sql.NullInt64
	var origin sql.NullString
	var needs string
	err := sc.Scan(&r.ID, &r.Service, &r.BuildingCode, &r.Address, &r.Beneficiary, &r.Contact, &r.Note, &r.Urgency, &start, &end, &r.Status,
		&r.PosterID, &r.Poster, &r.OnBehalf, &vol, &r.Volunteer, &r.Reason, &in, &out, &r.Minutes, &r.Rating, &r.Comment, &created, &updated,
		&opened, &takeBy, &untaken, &r.SignCode, &r.Held, &caseID, &origin, &needs)
	r.Needs = splitNeeds(needs)
	r.CaseID, r.Origin = caseID.Int64, origin.String
	r.OpenedAt, r.TakeBy, r.UntakenAt = timeOrZero(opened), timeOrZero(takeBy), timeOrZero(untaken)
	r.WindowStart, r.WindowEnd, r.CreatedAt, r.UpdatedAt = time.UnixMilli(start), time.UnixMilli(end), time.UnixMilli(created), time.UnixMilli(updated)
	r.VolunteerID = vol.Int64
	if in.Valid {
		r.SignInAt = time.UnixMilli(in.Int64)
	}
	if out.Valid {
		r.SignOutAt = time.UnixMilli(out.Int64)
	}
	return r, err
}

// CreateHelpRequest stores a new request with its first event.
func (db *DB) CreateHelpRequest(ctx context.Context, r civicgrid.HelpRequest, ev civicgrid.VolunteerEvent) (civicgrid.HelpRequest, error) {
	var origin any
	if r.Origin != "" {
		origin = r.Origin
	}
	existing := false
	err := db.inTx(ctx, func(tx *Tx) error {
		if origin != nil {
			// Asked once per origin: a retry finds the first request (the
			// unique index stops a concurrent second insert).
			err := tx.QueryRowContext(ctx, `SELECT id FROM volunteer_requests WHERE origin = $1`, origin).Scan(&r.ID)
			if err == nil {
				existing = true
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_requests (service, building, address, beneficiary, contact, note, urgency,
			window_start, window_end, status, poster_id, poster, on_behalf, created_at, updated_at, origin, case_id, needs)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17) RETURNING id`,
			r.Service, r.BuildingCode, r.Address, r.Beneficiary, r.Contact, r.Note, r.Urgency, r.WindowStart.UnixMilli(), r.WindowEnd.UnixMilli(),
			string(r.Status), r.PosterID, r.Poster, r.OnBehalf, r.CreatedAt.UnixMilli(), origin, nullID(r.CaseID), strings.Join(r.Needs, ",")).Scan(&r.ID); err != nil {
			return err
		}
		ev.RequestID = r.ID
		if err := db.indexDoc(ctx, tx, civicgrid.SearchDoc{Kind: "help", Ref: r.ID, Area: r.BuildingCode, Owner: r.PosterID,
			Title: helpTitle(r.Service), Body: r.Note, At: r.CreatedAt}, true); err != nil {
			return err
		}
		return appendVolunteerEvent(ctx, tx, ev)
	})
	if err != nil && origin != nil && !existing {
		// A concurrent request of the same origin won the unique index.
		if prev, perr := db.helpByOrigin(ctx, r.Origin); perr == nil {
			return prev, nil
		}
	}
	if err != nil {
		return r, err
	}
	return db.HelpRequestByID(ctx, r.ID)
}

// splitNeeds reads the stored needs (comma-separated codes).
func splitNeeds(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func (db *DB) helpByOrigin(ctx context.Context, origin string) (civicgrid.HelpRequest, error) {
	return scanHelp(db.rd.QueryRowContext(ctx, `SELECT `+helpColumns+` FROM volunteer_requests WHERE origin = $1`, origin))
}

// HelpRequestByID returns one request.
func (db *DB) HelpRequestByID(ctx context.Context, id int64) (civicgrid.HelpRequest, error) {
	return helpByID(ctx, db.rd, id)
}

// HelpRequestOfCase returns the request linked to a case.
func (db *DB) HelpRequestOfCase(ctx context.Context, caseID int64) (civicgrid.HelpRequest, error) {
	return byID(ctx, db.rd, `SELECT `+helpColumns+` FROM volunteer_requests WHERE case_id = $1 ORDER BY id LIMIT 1`, caseID, scanHelp, "volunteer request of case")
}

func helpByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.HelpRequest, error) {
	return byID(ctx, q, `SELECT `+helpColumns+` FROM volunteer_requests WHERE id = $1`, id, scanHelp, "volunteer request")
}

// HelpRequests lists requests at buildings in the subtrees, oldest first.
func (db *DB) HelpRequests(ctx context.Context, within []string, statuses []civicgrid.HelpStatus, limit int) ([]civicgrid.HelpRequest, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + helpColumns + ` FROM volunteer_requests WHERE ` + scopeClause("building", within, arg)
	if len(statuses) > 0 {
		q += ` AND status IN (` + inList(statuses, arg) + `)`
	}
	q += ` ORDER BY id LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanHelp)
}

func inList(statuses []civicgrid.HelpStatus, arg func(any) string) string {
	ps := make([]string, len(statuses))
	for i, s := range statuses {
		ps[i] = arg(string(s))
	}
	return strings.Join(ps, ", ")
}

// HelpRequestsOf lists the requests a person posted or serves, newest first.
func (db *DB) HelpRequestsOf(ctx context.Context, userID int64, limit int) ([]civicgrid.HelpRequest, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+helpColumns+` FROM volunteer_requests WHERE poster_id = $1 OR volunteer_id = $1
		ORDER BY id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanHelp)
}

// openClaims are the statuses of a volunteer's claims still open.
var openClaims = []civicgrid.HelpStatus{civicgrid.HelpClaimed, civicgrid.HelpInService}

// StepHelp applies a step as one conditional update: whoever comes second
// (another claimer, a double sign-in) finds the condition false, changes
// nothing and is told why.
func (db *DB) StepHelp(ctx context.Context, id int64, step civicgrid.HelpStep, c civicgrid.HelpChange, ev civicgrid.VolunteerEvent) (civicgrid.HelpRequest, error) {
	var out civicgrid.HelpRequest
	err := db.inTx(ctx, func(tx *Tx) error {
		var args []any
		arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
		set := []string{"status = " + arg(string(step.To)), "updated_at = " + arg(ev.At.UnixMilli())}
		switch {
		case c.Claimer != 0:
			set = append(set, "volunteer_id = "+arg(c.Claimer), "volunteer = "+arg(c.ClaimerLabel))
		case c.ClearVolunteer:
			set = append(set, "volunteer_id = NULL", "volunteer = ''")
		}
		if c.Reason != "" {
			set = append(set, "reason = "+arg(c.Reason))
		}
		if c.CaseID != 0 {
			set = append(set, "case_id = "+arg(c.CaseID))
		}
		if step.To == civicgrid.HelpAccepted {
			// Open (again): a new clock for taking it.
			set = append(set, "opened_at = "+arg(ev.At.UnixMilli()), "take_by = "+arg(nullMillis(c.TakeBy)), "untaken_at = NULL")
		} else {
			set = append(set, "take_by = NULL")
		}
		if !c.SignInAt.IsZero() {
			set = append(set, "sign_in_at = "+arg(c.SignInAt.UnixMilli()))
		}
		if !c.SignOutAt.IsZero() {
			set = append(set, "sign_out_at = "+arg(c.SignOutAt.UnixMilli()), "minutes = "+arg(c.Minutes))
		}
		if c.Rating != 0 {
			set = append(set, "rating = "+arg(c.Rating), "comment = "+arg(c.Comment))
		}
		if c.SignCode != "" {
			// A new code: wrong codes before it no longer count.
			set = append(set, "sign_code = "+arg(c.SignCode), "sign_code_gen = sign_code_gen + 1")
		}
		switch {
		case c.Hold != "":
			set = append(set, "held = "+arg(c.Hold))
		case c.ClearHold:
			set = append(set, "held = ''")
		}
		q := `UPDATE volunteer_requests SET ` + strings.Join(set, ", ") + ` WHERE id = ` + arg(id) +
			` AND status IN (` + inList(step.From, arg) + `)`
		if c.Volunteer != 0 {
			q += ` AND volunteer_id = ` + arg(c.Volunteer)
		}
		if c.Claimer != 0 && c.ClaimLimit > 0 {
			q += ` AND (SELECT COUNT(*) FROM volunteer_requests o WHERE o.volunteer_id = ` + arg(c.Claimer) +
				` AND o.status IN (` + inList(openClaims, arg) + `)) < ` + arg(c.ClaimLimit)
		}
		if c.Claimer != 0 {
			// The claimer's row lock: their claims are counted one at a time.
			if _, err := tx.ExecContext(ctx, `INSERT INTO volunteer_claimers (user_id) VALUES ($1)
				ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id`, c.Claimer); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		r, err := helpByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			switch {
			case !step.Allows(r.Status):
				return step.Refusal(r)
			case c.Volunteer != 0 && r.VolunteerID != c.Volunteer:
				return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is another volunteer's", id)
			}
			return civicgrid.Errorf(civicgrid.ECONFLICT, "you hold %d open claims, the most one volunteer may hold: finish or release one first", c.ClaimLimit)
		}
		if c.Invitation != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE volunteer_invitations SET status = $1, decided_at = $2
				WHERE id = $3 AND request_id = $4 AND volunteer_id = $5 AND status = $6`, civicgrid.InvitationAccepted, ev.At.UnixMilli(),
				c.Invitation, id, c.Claimer, civicgrid.InvitationOpen)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "invitation %d is no longer open", c.Invitation)
			}
		}
		ev.RequestID = id
		if err := appendVolunteerEvent(ctx, tx, ev); err != nil {
			return err
		}
		if c.Credit != nil && r.Minutes > 0 && r.VolunteerID != 0 {
			t := *c.Credit
			t.To, t.Minutes, t.RequestID, t.At = civicgrid.MemberAccount(r.VolunteerID), r.Minutes, id, ev.At
			if err := postTransfer(ctx, tx, t); err != nil {
				return err
			}
		}
		if c.Spend != nil && r.Minutes > 0 {
			t := *c.Spend
			t.Minutes, t.RequestID, t.At = r.Minutes, id, ev.At
			if err := postTransfer(ctx, tx, t); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

// VolunteerMinutes sums a volunteer's confirmed and recorded minutes.
func (db *DB) VolunteerMinutes(ctx context.Context, userID int64) (confirmed, pending int, err error) {
	err = db.rd.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = $2 THEN minutes ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $3 THEN minutes ELSE 0 END), 0)
		FROM volunteer_requests WHERE volunteer_id = $1`, userID, string(civicgrid.HelpConfirmed), string(civicgrid.HelpDone)).Scan(&confirmed, &pending)
	return confirmed, pending, err
}

// appendVolunteerEvent links ev to its request's chain and inserts it; the
// caller's transaction holds the request's row (it wrote it first).
func appendVolunteerEvent(ctx context.Context, tx *Tx, ev civicgrid.VolunteerEvent) error {
	var err error
	if ev.Seq, ev.PrevHash, err = nextLink(ctx, tx, `SELECT seq, hash FROM volunteer_events WHERE request_id = $1 ORDER BY seq DESC LIMIT 1`, ev.RequestID); err != nil {
		return err
	}
	ev.At = time.UnixMilli(ev.At.UnixMilli())
	ev.Hash = ev.ChainHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO volunteer_events (request_id, seq, at, actor_id, actor, action, note, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, ev.RequestID, ev.Seq, ev.At.UnixMilli(), nullID(ev.ActorID), ev.Actor, ev.Action,
		ev.Note, eventData(ev.Data), ev.PrevHash, ev.Hash)
	if err != nil {
		return err
	}
	return addVolunteerRollup(ctx, tx, ev)
}

const volunteerEventColumns = `id, request_id, seq, at, actor_id, actor, action, note, data, prev_hash, hash`

func scanVolunteerEvent(sc rowScanner) (civicgrid.VolunteerEvent, error) {
	var ev civicgrid.VolunteerEvent
	var at int64
	var actor sql.NullInt64
	var data string
	if err := sc.Scan(&ev.ID, &ev.RequestID, &ev.Seq, &at, &actor, &ev.Actor, &ev.Action, &ev.Note, &data, &ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.At, ev.ActorID = time.UnixMilli(at), actor.Int64
	return ev, parseEventData(data, &ev.Data)
}

// VolunteerEvents returns a request's history in order.
func (db *DB) VolunteerEvents(ctx context.Context, requestID int64) ([]civicgrid.VolunteerEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+volunteerEventColumns+` FROM volunteer_events WHERE request_id = $1 ORDER BY seq`, requestID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanVolunteerEvent)
}

// VolunteerEventsAfter returns up to limit events after the id, by id.
func (db *DB) VolunteerEventsAfter(ctx context.Context, after int64, limit int) ([]civicgrid.VolunteerEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+volunteerEventColumns+` FROM volunteer_events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanVolunteerEvent)
}

// LastVolunteerEventID is the highest event id of the requests' log.
func (db *DB) LastVolunteerEventID(ctx context.Context) (int64, error) {
	var id int64
	err := db.rd.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM volunteer_events`).Scan(&id)
	return id, err
}

// ForEachVolunteerChain calls fn with each request's history in order.
func (db *DB) ForEachVolunteerChain(ctx context.Context, fn func(requestID int64, events []civicgrid.VolunteerEvent) error) error {
	return forEachVolunteerChain(ctx, db.rd, fn)
}

func forEachVolunteerChain(ctx context.Context, q querier, fn func(requestID int64, events []civicgrid.VolunteerEvent) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+volunteerEventColumns+` FROM volunteer_events ORDER BY request_id, seq`)
	if err != nil {
		return err
	}
	evs, err := collect(rows, scanVolunteerEvent)
	if err != nil {
		return err
	}
	return eachRun(evs, func(e civicgrid.VolunteerEvent) int64 { return e.RequestID }, fn)
}

// NextHelpTakeBy is the earliest time an open request should be taken by,
// among those not yet marked untaken (zero: none).
func (db *DB) NextHelpTakeBy(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT MIN(take_by) FROM volunteer_requests WHERE take_by IS NOT NULL AND untaken_at IS NULL`).Scan(&due)
	return timeOrZero(due), err
}

// MarkUntakenHelp marks open requests whose take_by has passed untaken,
// once each, with an event of their history, and says how many.
func (db *DB) MarkUntakenHelp(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, take_by FROM volunteer_requests
			WHERE take_by IS NOT NULL AND untaken_at IS NULL AND take_by <= $1 ORDER BY take_by, id LIMIT $2`, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		type due struct{ id, at int64 }
		ds, err := collect(rows, func(sc rowScanner) (due, error) {
			var d due
			return d, sc.Scan(&d.id, &d.at)
		})
		if err != nil {
			return err
		}
		for _, d := range ds {
			res, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET untaken_at = $1
				WHERE id = $2 AND status = $3 AND take_by IS NOT NULL AND untaken_at IS NULL AND take_by <= $1`,
				now.UnixMilli(), d.id, string(civicgrid.HelpAccepted))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // taken or marked meanwhile
			}
			if err := appendVolunteerEvent(ctx, tx, civicgrid.VolunteerEvent{RequestID: d.id, At: now, Actor: "system",
				Action: civicgrid.HelpActUntaken, Data: map[string]string{"take_by": fmt.Sprint(d.at)}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

const invitationColumns = `id, request_id, volunteer_id, volunteer, invited_by_id, invited_by, status, reason, created_at, decided_at`

func scanInvitation(sc rowScanner) (civicgrid.HelpInvitation, error) {
	var inv civicgrid.HelpInvitation
	var created int64
	var decided sql.NullInt64
	err := sc.Scan(&inv.ID, &inv.RequestID, &inv.VolunteerID, &inv.Volunteer, &inv.InvitedByID, &inv.InvitedBy, &inv.Status, &inv.Reason,
		&created, &decided)
	inv.CreatedAt, inv.DecidedAt = time.UnixMilli(created), timeOrZero(decided)
	return inv, err
}

// InviteHelp stores an open invitation with its event while the request
// is open; the request's row is written first (its updated_at), so the
// invitation and a concurrent claim are ordered by its lock.
func (db *DB) InviteHelp(ctx context.Context, inv civicgrid.HelpInvitation, ev civicgrid.VolunteerEvent) (civicgrid.HelpInvitation, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET updated_at = $1 WHERE id = $2 AND status = $3`,
			ev.At.UnixMilli(), inv.RequestID, string(civicgrid.HelpAccepted))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r, err := helpByID(ctx, tx, inv.RequestID)
			if err != nil {
				return err
			}
			return civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is %s: volunteers are invited only while it is open (accepted, not taken)", r.ID, r.Status)
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM volunteer_invitations WHERE request_id = $1 AND volunteer_id = $2 AND status = $3`,
			inv.RequestID, inv.VolunteerID, civicgrid.InvitationOpen).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "this volunteer is already invited to request %d and has not answered yet", inv.RequestID)
		}
		inv.Status, inv.CreatedAt = civicgrid.InvitationOpen, time.UnixMilli(ev.At.UnixMilli())
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_invitations (request_id, volunteer_id, volunteer, invited_by_id, invited_by, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, inv.RequestID, inv.VolunteerID, inv.Volunteer, inv.InvitedByID, inv.InvitedBy,
			inv.Status, inv.CreatedAt.UnixMilli()).Scan(&inv.ID); err != nil {
			return err
		}
		ev.RequestID = inv.RequestID
		ev.Data = map[string]string{"invitation": fmt.Sprint(inv.ID), "volunteer": inv.Volunteer}
		return appendVolunteerEvent(ctx, tx, ev)
	})
	return inv, err
}

// HelpInvitationByID returns one invitation.
func (db *DB) HelpInvitationByID(ctx context.Context, id int64) (civicgrid.HelpInvitation, error) {
	return byID(ctx, db.rd, `SELECT `+invitationColumns+` FROM volunteer_invitations WHERE id = $1`, id, scanInvitation, "invitation")
}

// HelpInvitationsOf lists a volunteer's open invitations to open requests.
func (db *DB) HelpInvitationsOf(ctx context.Context, volunteerID int64, limit int) ([]civicgrid.HelpInvitation, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+invitationColumns+` FROM volunteer_invitations i
		WHERE volunteer_id = $1 AND status = $2 AND EXISTS (SELECT 1 FROM volunteer_requests r WHERE r.id = i.request_id AND r.status = $3)
		ORDER BY id LIMIT $4`, volunteerID, civicgrid.InvitationOpen, string(civicgrid.HelpAccepted), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanInvitation)
}

// HelpInvitationsFor lists a request's invitations.
func (db *DB) HelpInvitationsFor(ctx context.Context, requestID int64) ([]civicgrid.HelpInvitation, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+invitationColumns+` FROM volunteer_invitations WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanInvitation)
}

// DeclineHelpInvitation turns an open invitation declined with its event.
func (db *DB) DeclineHelpInvitation(ctx context.Context, id int64, reason string, ev civicgrid.VolunteerEvent) (civicgrid.HelpInvitation, error) {
	var out civicgrid.HelpInvitation
	err := db.inTx(ctx, func(tx *Tx) error {
		inv, err := byID(ctx, tx, `SELECT `+invitationColumns+` FROM volunteer_invitations WHERE id = $1`, id, scanInvitation, "invitation")
		if err != nil {
			return err
		}
		// The request's row first: the event's chain is the request's.
		if _, err := tx.ExecContext(ctx, `UPDATE volunteer_requests SET updated_at = updated_at WHERE id = $1`, inv.RequestID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_invitations SET status = $1, reason = $2, decided_at = $3 WHERE id = $4 AND status = $5`,
			civicgrid.InvitationDeclined, reason, ev.At.UnixMilli(), id, civicgrid.InvitationOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "invitation %d is %s: only an open invitation is declined", id, inv.Status)
		}
		ev.RequestID, ev.Note = inv.RequestID, reason
		ev.Data = map[string]string{"invitation": fmt.Sprint(id)}
		if err := appendVolunteerEvent(ctx, tx, ev); err != nil {
			return err
		}
		inv.Status, inv.Reason, inv.DecidedAt = civicgrid.InvitationDeclined, reason, time.UnixMilli(ev.At.UnixMilli())
		out = inv
		return nil
	})
	return out, err
}

var _ civicgrid.VolunteerStore = (*DB)(nil)

// Time bank (civicgrid.TimeBankStore): a transfer is a transaction row,
// two entries and two balance changes in one database transaction. The
// debit is a conditional update (balance − m ≥ floor for a member's
// account), so concurrent spends cannot pass the floor together: the
// second waits for the first's row lock and then finds the condition false.

// Transfer writes a transfer in its own transaction.
func (db *DB) Transfer(ctx context.Context, t civicgrid.LedgerTransfer) error {
	return db.inTx(ctx, func(tx *Tx) error { return postTransfer(ctx, tx, t) })
}

func postTransfer(ctx context.Context, tx *Tx, t civicgrid.LedgerTransfer) error {
	if t.Minutes <= 0 || t.From == t.To {
		return civicgrid.Errorf(civicgrid.EINVALID, "a transfer moves a positive number of minutes between two accounts")
	}
	// Both rows, created and then changed, are taken in the order of their
	// names, so transfers both ways between two accounts (a credit and a
	// spend) never deadlock.
	for _, a := range []string{min(t.From, t.To), max(t.From, t.To)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO timebank_accounts (account) VALUES ($1) ON CONFLICT (account) DO NOTHING`, a); err != nil {
			return err
		}
	}
	debit := func() error {
		q := `UPDATE timebank_accounts SET balance = balance - $1 WHERE account = $2`
		args := []any{t.Minutes, t.From}
		if civicgrid.IsMemberAccount(t.From) {
			q += ` AND balance - $1 >= $3`
			args = append(args, t.FromFloor)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var bal int
			if err := tx.QueryRowContext(ctx, `SELECT balance FROM timebank_accounts WHERE account = $1`, t.From).Scan(&bal); err != nil {
				return err
			}
			return civicgrid.FloorRefusal(t.From, bal, t.Minutes, t.FromFloor)
		}
		return nil
	}
	credit := func() error {
		_, err := tx.ExecContext(ctx, `UPDATE timebank_accounts SET balance = balance + $1 WHERE account = $2`, t.Minutes, t.To)
		return err
	}
	first, second := debit, credit
	if t.To < t.From {
		first, second = credit, debit
	}
	if err := first(); err != nil {
		return err
	}
	if err := second(); err != nil {
		return err
	}
	at := t.At.UnixMilli()
	var txn int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO timebank_txns (kind, reason, actor_id, actor, request_id, at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.Kind, t.Reason, nullID(t.ActorID), t.Actor, nullID(t.RequestID), at).Scan(&txn); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO timebank_entries (txn, account, minutes, at) VALUES ($1, $2, $3, $5), ($1, $4, $6, $5)`,
		txn, t.From, -t.Minutes, t.To, at, t.Minutes)
	return err
}

// LedgerEntries lists an account's entries in [from, to) with the balance
// before from.
func (db *DB) LedgerEntries(ctx context.Context, account string, from, to time.Time) (int, []civicgrid.LedgerEntry, error) {
	var opening int
	if err := db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM timebank_entries WHERE account = $1 AND at < $2`,
		account, from.UnixMilli()).Scan(&opening); err != nil {
		return 0, nil, err
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT e.id, e.txn, e.account, e.minutes, t.kind, t.reason, t.actor, t.request_id, e.at
		FROM timebank_entries e JOIN timebank_txns t ON t.id = e.txn
		WHERE e.account = $1 AND e.at >= $2 AND e.at < $3 ORDER BY e.at, e.id`, account, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return 0, nil, err
	}
	es, err := collect(rows, func(sc rowScanner) (civicgrid.LedgerEntry, error) {
		var e civicgrid.LedgerEntry
		var req sql.NullInt64
		var at int64
		err := sc.Scan(&e.ID, &e.Txn, &e.Account, &e.Minutes, &e.Kind, &e.Reason, &e.Actor, &req, &at)
		e.RequestID, e.At = req.Int64, time.UnixMilli(at)
		return e, err
	})
	return opening, es, err
}

// LedgerPage lists an account's entries newest first, before the cursor:
// one range of the statement index (account, at, id …), however long the
// account, and the page's transfers by their keys.
func (db *DB) LedgerPage(ctx context.Context, account string, before *civicgrid.LedgerCursor, limit int) ([]civicgrid.LedgerEntry, error) {
	q := `SELECT e.id, e.txn, e.account, e.minutes, t.kind, t.reason, t.actor, t.request_id, e.at
		FROM timebank_entries e JOIN timebank_txns t ON t.id = e.txn WHERE e.account = $1`
	args := []any{account}
	if before != nil {
		q += ` AND (e.at < $2 OR (e.at = $2 AND e.id < $3))`
		args = append(args, before.At.UnixMilli(), before.ID)
	}
	q += ` ORDER BY e.at DESC, e.id DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanLedgerEntry)
}

func scanLedgerEntry(sc rowScanner) (civicgrid.LedgerEntry, error) {
	var e civicgrid.LedgerEntry
	var req sql.NullInt64
	var at int64
	err := sc.Scan(&e.ID, &e.Txn, &e.Account, &e.Minutes, &e.Kind, &e.Reason, &e.Actor, &req, &at)
	e.RequestID, e.At = req.Int64, time.UnixMilli(at)
	return e, err
}

// Balance returns an account's balance (0 for an account never used).
func (db *DB) Balance(ctx context.Context, account string) (int, error) {
	var b int
	err := db.rd.QueryRowContext(ctx, `SELECT COALESCE(MAX(balance), 0) FROM timebank_accounts WHERE account = $1`, account).Scan(&b)
	return b, err
}

// Balances returns the balances of the accounts that exist among those
// named (an account without entries has none).
func (db *DB) Balances(ctx context.Context, accounts []string) (map[string]int, error) {
	out := map[string]int{}
	for len(accounts) > 0 {
		n := min(len(accounts), 500)
		args := make([]any, n)
		marks := make([]string, n)
		for i, a := range accounts[:n] {
			args[i], marks[i] = a, fmt.Sprintf("$%d", i+1)
		}
		rows, err := db.rd.QueryContext(ctx, `SELECT account, balance FROM timebank_accounts WHERE account IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a string
			var b int
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, err
			}
			out[a] = b
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		accounts = accounts[n:]
	}
	return out, nil
}

// CheckTimeBank checks the ledger's invariants for verify: every entry
// sums to zero, each transaction too, and each balance is its entries' sum.
func (db *DB) CheckTimeBank(ctx context.Context) (civicgrid.TimeBankCheck, error) {
	var c civicgrid.TimeBankCheck
	if err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(minutes), 0) FROM timebank_entries`).Scan(&c.Entries, &c.Sum); err != nil {
		return c, err
	}
	if err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM timebank_accounts`).Scan(&c.Accounts); err != nil {
		return c, err
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT txn FROM timebank_entries GROUP BY txn HAVING SUM(minutes) <> 0 OR COUNT(*) <> 2 ORDER BY txn`)
	if err != nil {
		return c, err
	}
	if c.Unbalanced, err = collect(rows, func(sc rowScanner) (int64, error) { var id int64; return id, sc.Scan(&id) }); err != nil {
		return c, err
	}
	rows, err = db.rd.QueryContext(ctx, `SELECT a.account FROM timebank_accounts a LEFT JOIN timebank_entries e ON e.account = a.account
		GROUP BY a.account, a.balance HAVING a.balance <> COALESCE(SUM(e.minutes), 0) ORDER BY a.account`)
	if err != nil {
		return c, err
	}
	c.Mismatched, err = collect(rows, func(sc rowScanner) (string, error) { var a string; return a, sc.Scan(&a) })
	return c, err
}

var _ civicgrid.TimeBankStore = (*DB)(nil)

const certificateColumns = `id, code, user_id, name, community, issuer, period_from, period_to, minutes, services, stars, issued_at,
	records, issued_by_id, issued_by, revoked_at, revoke_reason, revoked_by, volunteer_no, id_masked`

func scanCertificate(sc rowScanner) (civicgrid.VolunteerCertificate, error) {
	var c civicgrid.VolunteerCertificate
	var from, to, issued int64
	var records string
	var by, revoked sql.NullInt64
	err := sc.Scan(&c.ID, &c.Code, &c.UserID, &c.Name, &c.Community, &c.Issuer, &from, &to, &c.Minutes, &c.Services, &c.StarsAtEnd, &issued,
		&records, &by, &c.IssuedBy, &revoked, &c.RevokeReason, &c.RevokedBy, &c.VolunteerNo, &c.IDMasked)
	if err != nil {
		return c, err
	}
	c.From, c.To, c.IssuedAt, c.IssuedByID = time.UnixMilli(from), time.UnixMilli(to), time.UnixMilli(issued), by.Int64
	if revoked.Valid {
		t := time.UnixMilli(revoked.Int64)
		c.RevokedAt = &t
	}
	if records != "" && records != "[]" {
		err = json.Unmarshal([]byte(records), &c.Records)
	}
	return c, err
}

// CertificatesOf lists a person's certificates, newest first.
func (db *DB) CertificatesOf(ctx context.Context, userID int64) ([]civicgrid.VolunteerCertificate, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE user_id = $1 ORDER BY id DESC LIMIT 200`, userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCertificate)
}

// CertificateByID returns one certificate.
func (db *DB) CertificateByID(ctx context.Context, id int64) (civicgrid.VolunteerCertificate, error) {
	return byID(ctx, db.rd, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE id = $1`, id, scanCertificate, "certificate")
}

// CertificateByCode returns the certificate a verification code belongs to.
func (db *DB) CertificateByCode(ctx context.Context, code string) (civicgrid.VolunteerCertificate, error) {
	c, err := scanCertificate(db.rd.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return c, civicgrid.Errorf(civicgrid.ENOTFOUND, "no certificate with this code")
	}
	return c, err
}

// ServedRecords lists a volunteer's confirmed service records signed out in
// [from, to), by sign-in, with the community of each building.
func (db *DB) ServedRecords(ctx context.Context, userID int64, from, to time.Time) ([]civicgrid.ServedRecord, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, SUBSTR(building, 1, 12), service, sign_in_at, minutes FROM volunteer_requests
		WHERE volunteer_id = $1 AND status = $2 AND sign_out_at >= $3 AND sign_out_at < $4
		ORDER BY sign_in_at, id LIMIT 5000`, userID, string(civicgrid.HelpConfirmed), from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.ServedRecord, error) {
		var r civicgrid.ServedRecord
		var in sql.NullInt64
		err := sc.Scan(&r.RequestID, &r.Community, &r.Service, &in, &r.Minutes)
		r.SignIn = timeOrZero(in)
		return r, err
	})
}

// SaveCertificate stores a new certificate with its records and its issue
// event, or returns the valid one issued before to the same person for the
// same community, period and minutes.
func (db *DB) SaveCertificate(ctx context.Context, c civicgrid.VolunteerCertificate, ev civicgrid.CertificateEvent) (civicgrid.VolunteerCertificate, error) {
	var out civicgrid.VolunteerCertificate
	c.IssuedAt = time.UnixMilli(c.IssuedAt.UnixMilli())
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		out, err = scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates
			WHERE user_id = $1 AND community = $2 AND period_from = $3 AND period_to = $4 AND minutes = $5 AND revoked_at IS NULL
			ORDER BY id DESC LIMIT 1`, c.UserID, c.Community, c.From.UnixMilli(), c.To.UnixMilli(), c.Minutes))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		recs, err := json.Marshal(c.Records)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_certificates (code, user_id, name, community, issuer, period_from, period_to,
			minutes, services, stars, issued_at, records, issued_by_id, issued_by, volunteer_no, id_masked)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			c.Code, c.UserID, c.Name, c.Community, c.Issuer, c.From.UnixMilli(), c.To.UnixMilli(), c.Minutes, c.Services, c.StarsAtEnd,
			c.IssuedAt.UnixMilli(), string(recs), nullID(c.IssuedByID), c.IssuedBy, c.VolunteerNo, c.IDMasked).Scan(&c.ID); err != nil {
			return err
		}
		if out, err = scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE id = $1`, c.ID)); err != nil {
			return err
		}
		ev.CertificateID, ev.Action = out.ID, civicgrid.CertificateIssued
		if ev.Data == nil {
			ev.Data = map[string]string{}
		}
		ev.Data["digest"] = civicgrid.CertificateDigest(out)
		ev.Data["minutes"] = strconv.Itoa(out.Minutes)
		return appendCertificateEvent(ctx, tx, ev)
	})
	return out, err
}

// RevokeCertificate marks a certificate revoked once, with its event.
func (db *DB) RevokeCertificate(ctx context.Context, id int64, ev civicgrid.CertificateEvent) (civicgrid.VolunteerCertificate, error) {
	var out civicgrid.VolunteerCertificate
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_certificates SET revoked_at = $1, revoke_reason = $2, revoked_by = $3
			WHERE id = $4 AND revoked_at IS NULL`, ev.At.UnixMilli(), ev.Note, ev.Actor, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := byID(ctx, tx, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE id = $1`, id, scanCertificate, "certificate"); err != nil {
				return err
			}
			return civicgrid.Errorf(civicgrid.ECONFLICT, "certificate %d is already revoked", id)
		}
		ev.CertificateID, ev.Action = id, civicgrid.CertificateRevoked
		if err := appendCertificateEvent(ctx, tx, ev); err != nil {
			return err
		}
		out, err = scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates WHERE id = $1`, id))
		return err
	})
	return out, err
}

func appendCertificateEvent(ctx context.Context, tx *Tx, ev civicgrid.CertificateEvent) error {
	var err error
	if ev.Seq, ev.PrevHash, err = nextLink(ctx, tx, `SELECT seq, hash FROM volunteer_certificate_events WHERE certificate_id = $1 ORDER BY seq DESC LIMIT 1`, ev.CertificateID); err != nil {
		return err
	}
	ev.At = time.UnixMilli(ev.At.UnixMilli())
	ev.Hash = ev.ChainHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO volunteer_certificate_events (certificate_id, seq, at, actor_id, actor, action, note, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, ev.CertificateID, ev.Seq, ev.At.UnixMilli(), nullID(ev.ActorID), ev.Actor, ev.Action,
		ev.Note, eventData(ev.Data), ev.PrevHash, ev.Hash)
	return err
}

const certificateEventColumns = `id, certificate_id, seq, at, actor_id, actor, action, note, data, prev_hash, hash`

func scanCertificateEvent(sc rowScanner) (civicgrid.CertificateEvent, error) {
	var ev civicgrid.CertificateEvent
	var at int64
	var actor sql.NullInt64
	var data string
	if err := sc.Scan(&ev.ID, &ev.CertificateID, &ev.Seq, &at, &actor, &ev.Actor, &ev.Action, &ev.Note, &data, &ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.At, ev.ActorID = time.UnixMilli(at), actor.Int64
	return ev, parseEventData(data, &ev.Data)
}

// CertificateEvents returns a certificate's history in order.
func (db *DB) CertificateEvents(ctx context.Context, id int64) ([]civicgrid.CertificateEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+certificateEventColumns+` FROM volunteer_certificate_events WHERE certificate_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCertificateEvent)
}

// CertificatesIn lists the certificates issued by the communities under
// scope, newest first.
func (db *DB) CertificatesIn(ctx context.Context, scope string, limit int) ([]civicgrid.VolunteerCertificate, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := subtreeRange("community", scope, arg)
	rows, err := db.rd.QueryContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates
		WHERE `+where+` ORDER BY id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCertificate)
}

// ForEachCertificateChain calls fn with each certificate and its history,
// for verify. Certificates issued before histories existed have none.
func (db *DB) ForEachCertificateChain(ctx context.Context, fn func(c civicgrid.VolunteerCertificate, events []civicgrid.CertificateEvent) error) error {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+certificateColumns+` FROM volunteer_certificates ORDER BY id`)
	if err != nil {
		return err
	}
	cs, err := collect(rows, scanCertificate)
	if err != nil {
		return err
	}
	rows, err = db.rd.QueryContext(ctx, `SELECT `+certificateEventColumns+` FROM volunteer_certificate_events ORDER BY certificate_id, seq`)
	if err != nil {
		return err
	}
	evs, err := collect(rows, scanCertificateEvent)
	if err != nil {
		return err
	}
	byCert := map[int64][]civicgrid.CertificateEvent{}
	eachRun(evs, func(e civicgrid.CertificateEvent) int64 { return e.CertificateID }, func(id int64, es []civicgrid.CertificateEvent) error {
		byCert[id] = es
		return nil
	})
	for _, c := range cs {
		if err := fn(c, byCert[c.ID]); err != nil {
			return err
		}
	}
	return nil
}
