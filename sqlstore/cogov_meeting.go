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

// Meetings beyond scheduling, sign-in and minutes (meeting.go): people
// invited by name, documents, rescheduling and cancelling.

func joinIDs(ids []int64) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(out, ",")
}

// addNamed puts the people invited by name on a meeting's roll (marked
// named; one already on it by role is marked too) and says how many were
// added.
func addNamed(ctx context.Context, tx *Tx, id int64, users []int64) (int64, error) {
	var added int64
	for _, u := range users {
		res, err := tx.ExecContext(ctx, `UPDATE cogov_meeting_roll SET named = TRUE WHERE meeting_id = $1 AND user_id = $2`, id, u)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_meeting_roll (meeting_id, user_id, attended, named) VALUES ($1, $2, FALSE, TRUE)`, id, u); err != nil {
			return 0, err
		}
		added++
	}
	return added, nil
}

// MeetingsInvited lists the meetings whose roll holds the person, newest
// first.
func (db *DB) MeetingsInvited(ctx context.Context, userID int64, limit int) ([]civicgrid.Meeting, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+prefixed("m.", meetingColumns)+` FROM cogov_meeting_roll r JOIN cogov_meetings m ON m.id = r.meeting_id
		WHERE r.user_id = $1 ORDER BY r.meeting_id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMeeting)
}

// PersonByPhone finds a registered person by their (normalised) phone.
func (db *DB) PersonByPhone(ctx context.Context, phone string) (int64, string, error) {
	var id int64
	var name string
	err := db.rd.QueryRowContext(ctx, `SELECT id, name FROM users WHERE phone = $1`, phone).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", civicgrid.Errorf(civicgrid.ENOTFOUND, "nobody is registered with this phone")
	}
	return id, name, err
}

// scheduledMeeting takes a meeting's row lock and refuses one no longer
// scheduled.
func scheduledMeeting(ctx context.Context, tx *Tx, id int64, what string) (civicgrid.Meeting, error) {
	m, err := lockMeeting(ctx, tx, id)
	if err != nil {
		return m, err
	}
	if m.Status != civicgrid.MeetingScheduled {
		return m, civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is %s: only a scheduled meeting is %s", id, m.Status, what)
	}
	return m, nil
}

// RescheduleMeeting moves a scheduled meeting, with the old and new start
// and place in its history.
func (db *DB) RescheduleMeeting(ctx context.Context, id int64, startsAt time.Time, place string, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		m, err := scheduledMeeting(ctx, tx, id, "rescheduled")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET starts_at = $1, place = $2 WHERE id = $3`, startsAt.UnixMilli(), place, id); err != nil {
			return err
		}
		ev.Subject = civicgrid.MeetingSubject(id)
		ev.Data = map[string]string{"starts_at": fmt.Sprint(startsAt.UnixMilli()), "place": place,
			"was_starts_at": fmt.Sprint(m.StartsAt.UnixMilli()), "was_place": m.Place}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, id)
}

// CancelMeeting calls a scheduled meeting off with a reason; its agenda's
// proposals stay on the agenda, and each one's history records it.
func (db *DB) CancelMeeting(ctx context.Context, id int64, reason string, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := scheduledMeeting(ctx, tx, id, "cancelled"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET status = $1, cancel_reason = $2 WHERE id = $3`,
			string(civicgrid.MeetingCancelled), reason, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT proposal_id FROM cogov_meeting_items WHERE meeting_id = $1 ORDER BY position`, id)
		if err != nil {
			return err
		}
		items, err := collect(rows, func(sc rowScanner) (int64, error) { var p int64; return p, sc.Scan(&p) })
		if err != nil {
			return err
		}
		for _, p := range items {
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(p), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovMeetingCancelled, Note: reason, Data: map[string]string{"meeting": fmt.Sprint(id)}}); err != nil {
				return err
			}
		}
		ev.Subject, ev.Note = civicgrid.MeetingSubject(id), reason
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, id)
}

// AddMeetingDocument attaches a document to a meeting (scheduled or
// published, not cancelled), at most max.
func (db *DB) AddMeetingDocument(ctx context.Context, id int64, d civicgrid.NoticeDocument, max int, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		m, err := lockMeeting(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Status == civicgrid.MeetingCancelled {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is cancelled: it takes no documents", id)
		}
		if _, dup := m.Document(d.Ref); dup {
			return nil
		}
		if len(m.Documents) >= max {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d has %d documents already: at most %d", id, len(m.Documents), max)
		}
		docs, _ := json.Marshal(append(m.Documents, d))
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET documents = $1 WHERE id = $2`, string(docs), id); err != nil {
			return err
		}
		ev.Subject = civicgrid.MeetingSubject(id)
		ev.Data = map[string]string{"ref": d.Ref, "name": d.Name, "bytes": fmt.Sprint(d.Bytes)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, id)
}
