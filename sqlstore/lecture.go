package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Study and lecture events (civicgrid.LectureStore): lectures with their
// seats counted on the row, and sign-ups.

const lectureColumns = `l.id, l.title, l.speakers, l.area_code, l.place, l.building, l.online_url, l.starts_at, l.ends_at, l.capacity,
	l.audience, l.status, l.check_in_code, l.created_by, l.created_at, COALESCE(l.team_id, 0), l.team_name,
	(SELECT COUNT(*) FROM lecture_signups s WHERE s.lecture_id = l.id AND s.state = 'confirmed'),
	(SELECT COUNT(*) FROM lecture_signups s WHERE s.lecture_id = l.id AND s.state = 'waiting'),
	(SELECT COUNT(*) FROM lecture_signups s WHERE s.lecture_id = l.id AND s.checked_in_at IS NOT NULL)`

func scanLecture(sc rowScanner) (civicgrid.Lecture, error) {
	var l civicgrid.Lecture
	var start, end, created int64
	err := sc.Scan(&l.ID, &l.Title, &l.Speakers, &l.AreaCode, &l.Place, &l.BuildingCode, &l.OnlineURL, &start, &end, &l.Capacity,
		&l.Audience, &l.Status, &l.CheckInCode, &l.CreatedBy, &created, &l.TeamID, &l.TeamName, &l.Confirmed, &l.Waiting, &l.Attended)
	l.StartsAt, l.EndsAt, l.CreatedAt = time.UnixMilli(start), time.UnixMilli(end), time.UnixMilli(created)
	return l, err
}

const signupColumns = `id, lecture_id, user_id, name, state, ticket, created_at, checked_in_at, checked_in_by, rating, feedback`

func scanSignup(sc rowScanner) (civicgrid.LectureSignup, error) {
	var s civicgrid.LectureSignup
	var created int64
	var in sql.NullInt64
	err := sc.Scan(&s.ID, &s.LectureID, &s.UserID, &s.Name, &s.State, &s.Ticket, &created, &in, &s.CheckedInBy, &s.Rating, &s.Feedback)
	s.CreatedAt = time.UnixMilli(created)
	if in.Valid {
		s.CheckedInAt = time.UnixMilli(in.Int64)
	}
	return s, err
}

// CreateLecture stores a new lecture.
func (db *DB) CreateLecture(ctx context.Context, l civicgrid.Lecture) (civicgrid.Lecture, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO lectures (title, speakers, area_code, place, building, online_url, starts_at, ends_at,
			capacity, audience, status, check_in_code, created_by, created_at, team_id, team_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			l.Title, l.Speakers, l.AreaCode, l.Place, l.BuildingCode, l.OnlineURL, l.StartsAt.UnixMilli(), l.EndsAt.UnixMilli(),
			l.Capacity, l.Audience, string(l.Status), l.CheckInCode, l.CreatedBy, l.CreatedAt.UnixMilli(), nullID(l.TeamID), l.TeamName).Scan(&l.ID); err != nil {
			return err
		}
		return db.indexDoc(ctx, tx, lectureDoc(l), true)
	})
	if err != nil {
		return l, err
	}
	return db.LectureByID(ctx, l.ID)
}

// LectureByID returns one lecture with its counts.
func (db *DB) LectureByID(ctx context.Context, id int64) (civicgrid.Lecture, error) {
	return byID(ctx, db.rd, `SELECT `+lectureColumns+` FROM lectures l WHERE l.id = $1`, id, scanLecture, "lecture")
}

// Lectures lists the lectures of a scope from a time on, soonest first.
func (db *DB) Lectures(ctx context.Context, codes, subtrees []string, from time.Time, limit int) ([]civicgrid.Lecture, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + lectureColumns + ` FROM lectures l WHERE ` + scopeOrExact("l.area_code", subtrees, codes, arg) +
		` AND l.ends_at >= ` + arg(from.UnixMilli()) + ` ORDER BY l.starts_at, l.id LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanLecture)
}

// CancelLecture marks a lecture cancelled (its sign-ups stay, for the record).
func (db *DB) CancelLecture(ctx context.Context, id int64, at time.Time) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lectures SET status = $1 WHERE id = $2 AND status = $3`,
			string(civicgrid.LectureCancelled), id, string(civicgrid.LectureScheduled))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "lecture %d is already cancelled", id)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO lecture_events (lecture_id, user_id, kind, at)
			SELECT lecture_id, user_id, $1, $2 FROM lecture_signups WHERE lecture_id = $3 AND state <> 'cancelled' ORDER BY id`,
			civicgrid.LectureCancelledNotice, at.UnixMilli(), id)
		return err
	})
}

// SignUp takes a seat by a conditional update of the lecture's count (the
// second of two people racing for the last seat finds it taken and goes on
// the waiting list), then writes the sign-up.
func (db *DB) SignUp(ctx context.Context, lectureID, userID int64, name, ticket string, at time.Time) (civicgrid.LectureSignup, error) {
	var out civicgrid.LectureSignup
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := signupOf(ctx, tx, lectureID, userID); err == nil {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "already signed up for lecture %d", lectureID)
		} else if civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE lectures SET seats_taken = seats_taken + 1 WHERE id = $1 AND seats_taken < capacity`, lectureID)
		if err != nil {
			return err
		}
		state := civicgrid.SignupWaiting
		if n, _ := res.RowsAffected(); n == 1 {
			state = civicgrid.SignupConfirmed
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO lecture_signups (lecture_id, user_id, name, state, ticket, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, lectureID, userID, name, string(state), ticket, at.UnixMilli()).Scan(&id); err != nil {
			return err
		}
		out, err = signupByID(ctx, tx, id)
		return err
	})
	return out, err
}

// CancelSignup withdraws a person; a freed seat passes to the first on the
// waiting list in the same transaction.
func (db *DB) CancelSignup(ctx context.Context, lectureID, userID int64, at time.Time) (civicgrid.LectureSignup, error) {
	var promoted civicgrid.LectureSignup
	err := db.inTx(ctx, func(tx *Tx) error {
		s, err := signupOf(ctx, tx, lectureID, userID)
		if err != nil {
			return err
		}
		if !s.CheckedInAt.IsZero() {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "already checked in: the attendance stays on the record")
		}
		res, err := tx.ExecContext(ctx, `UPDATE lecture_signups SET state = 'cancelled' WHERE id = $1 AND state = $2`, s.ID, string(s.State))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || s.State != civicgrid.SignupConfirmed {
			return nil
		}
		// The seat passes to the first waiting; only when nobody waits is it freed.
		var next int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM lecture_signups WHERE lecture_id = $1 AND state = 'waiting' ORDER BY id LIMIT 1`, lectureID).Scan(&next)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `UPDATE lectures SET seats_taken = seats_taken - 1 WHERE id = $1`, lectureID)
			return err
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lecture_signups SET state = 'confirmed' WHERE id = $1 AND state = 'waiting'`, next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lecture_events (lecture_id, user_id, kind, at)
			SELECT lecture_id, user_id, $1, $2 FROM lecture_signups WHERE id = $3`, civicgrid.LectureMovedUp, at.UnixMilli(), next); err != nil {
			return err
		}
		promoted, err = signupByID(ctx, tx, next)
		return err
	})
	return promoted, err
}

func signupByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.LectureSignup, error) {
	return byID(ctx, q, `SELECT `+signupColumns+` FROM lecture_signups WHERE id = $1`, id, scanSignup, "sign-up")
}

func signupOf(ctx context.Context, q rowQuerier, lectureID, userID int64) (civicgrid.LectureSignup, error) {
	s, err := scanSignup(q.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM lecture_signups
		WHERE lecture_id = $1 AND user_id = $2 AND state <> 'cancelled'`, lectureID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, civicgrid.Errorf(civicgrid.ENOTFOUND, "not signed up for lecture %d", lectureID)
	}
	return s, err
}

// SignupOf returns a person's live sign-up for a lecture.
func (db *DB) SignupOf(ctx context.Context, lectureID, userID int64) (civicgrid.LectureSignup, error) {
	s, err := signupOf(ctx, db.rd, lectureID, userID)
	if err == nil && s.State == civicgrid.SignupWaiting {
		err = db.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM lecture_signups WHERE lecture_id = $1 AND state = 'waiting' AND id <= $2`,
			lectureID, s.ID).Scan(&s.Place)
	}
	return s, err
}

// SignupByTicket returns the sign-up a ticket code belongs to.
func (db *DB) SignupByTicket(ctx context.Context, ticket string) (civicgrid.LectureSignup, error) {
	s, err := scanSignup(db.rd.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM lecture_signups WHERE ticket = $1`, ticket))
	if errors.Is(err, sql.ErrNoRows) {
		return s, civicgrid.Errorf(civicgrid.ENOTFOUND, "no ticket %q", ticket)
	}
	return s, err
}

// Signups lists a lecture's sign-ups: seats first, then the waiting list
// in order, then the cancelled.
func (db *DB) Signups(ctx context.Context, lectureID int64) ([]civicgrid.LectureSignup, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+signupColumns+` FROM lecture_signups WHERE lecture_id = $1
		ORDER BY CASE state WHEN 'confirmed' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END, id`, lectureID)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanSignup)
	place := 0
	for i := range out {
		if out[i].State == civicgrid.SignupWaiting {
			place++
			out[i].Place = place
		}
	}
	return out, err
}

// SignupsOf lists a person's sign-ups, newest first.
func (db *DB) SignupsOf(ctx context.Context, userID int64) ([]civicgrid.LectureSignup, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+signupColumns+` FROM lecture_signups WHERE user_id = $1 ORDER BY id DESC LIMIT 200`, userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSignup)
}

// CheckIn marks a confirmed sign-up present, once.
func (db *DB) CheckIn(ctx context.Context, signupID int64, at time.Time, by string) (bool, error) {
	return db.conditional(ctx, `UPDATE lecture_signups SET checked_in_at = $1, checked_in_by = $2
		WHERE id = $3 AND state = 'confirmed' AND checked_in_at IS NULL`, at.UnixMilli(), by, signupID)
}

// RateLecture stores an attendee's feedback, once.
func (db *DB) RateLecture(ctx context.Context, signupID int64, rating int, feedback string) (bool, error) {
	return db.conditional(ctx, `UPDATE lecture_signups SET rating = $1, feedback = $2
		WHERE id = $3 AND checked_in_at IS NOT NULL AND rating = 0`, rating, feedback, signupID)
}

// conditional runs one conditional update and says whether it applied.
func (db *DB) conditional(ctx context.Context, query string, args ...any) (bool, error) {
	var applied bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		applied = n == 1
		return err
	})
	return applied, err
}

// LectureStats counts lectures (not cancelled), seats and attendance per
// scope and month of the start.
func (db *DB) LectureStats(ctx context.Context, subtrees []string, from, to time.Time) ([]civicgrid.LectureStats, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	// One pass: the lectures of the range (lectures_area_start) joined to
	// their sign-ups (lecture_signups_waiting leads with lecture_id) and
	// counted per lecture, instead of two subqueries per lecture.
	rows, err := db.rd.QueryContext(ctx, `SELECT l.area_code, l.starts_at,
		COALESCE(SUM(CASE WHEN s.state = 'confirmed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM lectures l LEFT JOIN lecture_signups s ON s.lecture_id = l.id
		WHERE `+scopeClause("l.area_code", subtrees, arg)+` AND l.status = 'scheduled'
		AND l.starts_at >= `+arg(from.UnixMilli())+` AND l.starts_at < `+arg(to.UnixMilli())+`
		GROUP BY l.id, l.area_code, l.starts_at ORDER BY l.area_code, l.starts_at LIMIT 100000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.LectureStats
	for rows.Next() {
		var code string
		var start int64
		var confirmed, attended int
		if err := rows.Scan(&code, &start, &confirmed, &attended); err != nil {
			return nil, err
		}
		month := time.UnixMilli(start).In(chinaTime).Format("2006-01")
		if n := len(out); n == 0 || out[n-1].AreaCode != code || out[n-1].Month != month {
			out = append(out, civicgrid.LectureStats{AreaCode: code, Month: month})
		}
		s := &out[len(out)-1]
		s.Lectures++
		s.Confirmed += confirmed
		s.Attended += attended
	}
	return out, rows.Err()
}

// LectureTeamStats counts the lectures (not cancelled) that name a team,
// their seats, check-ins and ratings, per team and month of the start: one
// pass over the range's lectures joined to their sign-ups.
func (db *DB) LectureTeamStats(ctx context.Context, subtrees []string, from, to time.Time) ([]civicgrid.LectureTeamStats, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT l.team_id, l.team_name, l.starts_at,
		COALESCE(SUM(CASE WHEN s.state = 'confirmed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN s.rating > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN s.rating > 0 THEN s.rating ELSE 0 END), 0)
		FROM lectures l LEFT JOIN lecture_signups s ON s.lecture_id = l.id
		WHERE `+scopeClause("l.area_code", subtrees, arg)+` AND l.status = 'scheduled' AND l.team_id IS NOT NULL
		AND l.starts_at >= `+arg(from.UnixMilli())+` AND l.starts_at < `+arg(to.UnixMilli())+`
		GROUP BY l.id, l.team_id, l.team_name, l.starts_at ORDER BY l.team_id, l.starts_at LIMIT 100000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []civicgrid.LectureTeamStats
	sums := []int{}
	for rows.Next() {
		var team int64
		var name string
		var start int64
		var confirmed, attended, rated, sum int
		if err := rows.Scan(&team, &name, &start, &confirmed, &attended, &rated, &sum); err != nil {
			return nil, err
		}
		month := time.UnixMilli(start).In(chinaTime).Format("2006-01")
		if n := len(out); n == 0 || out[n-1].TeamID != team || out[n-1].Month != month {
			out = append(out, civicgrid.LectureTeamStats{TeamID: team, Team: name, Month: month})
			sums = append(sums, 0)
		}
		s := &out[len(out)-1]
		s.Lectures++
		s.Confirmed += confirmed
		s.Attended += attended
		s.Rated += rated
		sums[len(sums)-1] += sum
	}
	for i := range out {
		if out[i].Rated > 0 {
			out[i].RatingMean = math.Round(float64(sums[i])/float64(out[i].Rated)*100) / 100
		}
	}
	return out, rows.Err()
}

// RemindLectures logs the day-before reminders of the lectures starting in
// [now, until): each lecture once (reminded_at set conditionally), one
// reminder per seated attendee.
func (db *DB) RemindLectures(ctx context.Context, now, until time.Time) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id FROM lectures WHERE starts_at >= $1 AND starts_at < $2 AND status = $3 AND reminded_at IS NULL
			ORDER BY starts_at LIMIT 500`, now.UnixMilli(), until.UnixMilli(), civicgrid.LectureScheduled)
		if err != nil {
			return err
		}
		ids, err := collect(rows, func(sc rowScanner) (int64, error) { var id int64; return id, sc.Scan(&id) })
		if err != nil {
			return err
		}
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE lectures SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL`, now.UnixMilli(), id)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				if err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO lecture_events (lecture_id, user_id, kind, at)
				SELECT lecture_id, user_id, $1, $2 FROM lecture_signups WHERE lecture_id = $3 AND state = 'confirmed' ORDER BY id`,
				civicgrid.LectureRemind, now.UnixMilli(), id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// chinaTime is the zone months are counted in (China Standard Time).
var chinaTime = time.FixedZone("CST", 8*3600)

// LectureNoticesAfter returns up to limit notices after cursor, by id.
func (db *DB) LectureNoticesAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.LectureNotice, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, lecture_id, user_id, kind, at FROM lecture_events WHERE id > $1 ORDER BY id LIMIT $2`, cursor, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.LectureNotice, error) {
		var n civicgrid.LectureNotice
		var at int64
		err := sc.Scan(&n.ID, &n.LectureID, &n.UserID, &n.Kind, &at)
		n.At = time.UnixMilli(at)
		return n, err
	})
}

// lectureDoc is a lecture as the search index keeps it: its title, and
// its speakers and place as the text.
func lectureDoc(l civicgrid.Lecture) civicgrid.SearchDoc {
	return civicgrid.SearchDoc{Kind: "lecture", Ref: l.ID, Area: l.AreaCode, Title: l.Title,
		Body: strings.TrimSpace(l.Speakers + " " + l.Place), At: l.CreatedAt}
}

// indexLectures indexes every lecture, for a copy's new index (lectures
// came after the search's own backfill, so they are not in it).
func indexLectures(ctx context.Context, db *DB, tx *Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, title, speakers, area_code, place, created_at FROM lectures ORDER BY id`)
	if err != nil {
		return err
	}
	var ls []civicgrid.Lecture
	for rows.Next() {
		var l civicgrid.Lecture
		var at int64
		if err := rows.Scan(&l.ID, &l.Title, &l.Speakers, &l.AreaCode, &l.Place, &at); err != nil {
			rows.Close()
			return err
		}
		l.CreatedAt = time.UnixMilli(at)
		ls = append(ls, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range ls {
		if err := db.indexDoc(ctx, tx, lectureDoc(l), true); err != nil {
			return err
		}
	}
	return nil
}
