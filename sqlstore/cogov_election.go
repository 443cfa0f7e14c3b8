package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The voting side of co-governance (civicgrid.ElectionStore): objections,
// the channel of each voter, paper ballots and building-role elections.

// lockVote takes the vote's row lock (a no-op update) and returns it.
func lockVote(ctx context.Context, tx *Tx, id int64) (civicgrid.Vote, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET ballots = ballots WHERE id = $1`, id); err != nil {
		return civicgrid.Vote{}, err
	}
	return voteByID(ctx, tx, id)
}

const objectionColumns = `id, vote_id, reason, status, response, author_id, decided_by, created_at, decided_at`

func scanObjection(sc rowScanner) (civicgrid.Objection, error) {
	var (
		o             civicgrid.Objection
		decidedBy, at sql.NullInt64
		created       int64
	)
	err := sc.Scan(&o.ID, &o.VoteID, &o.Reason, &o.Status, &o.Response, &o.AuthorID, &decidedBy, &created, &at)
	o.DecidedBy, o.CreatedAt, o.DecidedAt = decidedBy.Int64, time.UnixMilli(created), timeOrZero(at)
	return o, err
}

// RaiseObjection stores an objection to a result on notice.
func (db *DB) RaiseObjection(ctx context.Context, o civicgrid.Objection, ev civicgrid.CogovEvent) (civicgrid.Objection, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		v, err := lockVote(ctx, tx, o.VoteID)
		if err != nil {
			return err
		}
		if v.Status != civicgrid.VoteClosed || !ev.At.Before(v.NoticeUntil) {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d's result is not on public notice: objections are raised during the notice period", v.ID)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_objections (vote_id, reason, status, author_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			o.VoteID, o.Reason, string(civicgrid.ObjectionOpen), o.AuthorID, ev.At.UnixMilli()).Scan(&o.ID); err != nil {
			return err
		}
		ev.Subject, ev.Note = civicgrid.VoteSubject(o.VoteID), o.Reason
		ev.Data = map[string]string{"objection": fmt.Sprint(o.ID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Objection{}, err
	}
	return db.ObjectionByID(ctx, o.ID)
}

// ObjectionByID returns one objection.
func (db *DB) ObjectionByID(ctx context.Context, id int64) (civicgrid.Objection, error) {
	return byID(ctx, db.rd, `SELECT `+objectionColumns+` FROM cogov_objections WHERE id = $1`, id, scanObjection, "objection")
}

// Objections lists a vote's objections, oldest first.
func (db *DB) Objections(ctx context.Context, voteID int64) ([]civicgrid.Objection, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+objectionColumns+` FROM cogov_objections WHERE vote_id = $1 ORDER BY id`, voteID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanObjection)
}

// DecideObjection upholds or rejects an open objection.
func (db *DB) DecideObjection(ctx context.Context, id int64, status civicgrid.ObjectionStatus, response string, decidedBy int64, ev civicgrid.CogovEvent) (civicgrid.Objection, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		o, err := byID(ctx, tx, `SELECT `+objectionColumns+` FROM cogov_objections WHERE id = $1`, id, scanObjection, "objection")
		if err != nil {
			return err
		}
		if _, err := lockVote(ctx, tx, o.VoteID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE cogov_objections SET status = $1, response = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = $6`,
			string(status), response, decidedBy, ev.At.UnixMilli(), id, string(civicgrid.ObjectionOpen))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "objection %d is decided already", id)
		}
		ev.Subject, ev.Note = civicgrid.VoteSubject(o.VoteID), response
		ev.Data = map[string]string{"objection": fmt.Sprint(id), "decision": string(status)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Objection{}, err
	}
	return db.ObjectionByID(ctx, id)
}

// ObjectionCounts returns a vote's open and upheld objections.
func (db *DB) ObjectionCounts(ctx context.Context, voteID int64) (open, upheld int, err error) {
	err = db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN status = $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $2 THEN 1 ELSE 0 END), 0) FROM cogov_objections WHERE vote_id = $3`,
		string(civicgrid.ObjectionOpen), string(civicgrid.ObjectionUpheld), voteID).Scan(&open, &upheld)
	return open, upheld, err
}

// RollChannel returns how a person on the roll voted.
func (db *DB) RollChannel(ctx context.Context, voteID, userID int64) (string, error) {
	var ch string
	err := db.rd.QueryRowContext(ctx, `SELECT channel FROM cogov_roll WHERE vote_id = $1 AND user_id = $2`, voteID, userID).Scan(&ch)
	if errors.Is(err, sql.ErrNoRows) {
		return "", civicgrid.Errorf(civicgrid.ENOTFOUND, "not on the roll of vote %d", voteID)
	}
	return ch, err
}

// MarkPaperVoter marks the person with this phone on the roll as voting on
// paper, under the vote's lock (so an online ballot of theirs runs before
// or after, never beside).
func (db *DB) MarkPaperVoter(ctx context.Context, voteID int64, phone string, ev civicgrid.SecurityEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		v, err := lockVote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Status != civicgrid.VoteOpen {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed: it takes no more ballots", voteID)
		}
		var userID int64
		var channel string
		err = tx.QueryRowContext(ctx, `SELECT r.user_id, r.channel FROM cogov_roll r JOIN users u ON u.id = r.user_id
			WHERE r.vote_id = $1 AND u.phone = $2`, voteID, phone).Scan(&userID, &channel)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return civicgrid.Errorf(civicgrid.EFORBIDDEN, "nobody with this phone is on the roll of vote %d, frozen when it opened", voteID)
		case err != nil:
			return err
		case channel == civicgrid.ChannelOnline:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "this person voted online in vote %d already: do not hand them a paper ballot", voteID)
		case channel == civicgrid.ChannelPaper:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "this person has had a paper ballot in vote %d already", voteID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_roll SET voted = TRUE, channel = $1 WHERE vote_id = $2 AND user_id = $3 AND voted = FALSE`,
			civicgrid.ChannelPaper, voteID, userID); err != nil {
			return err
		}
		if _, err := claimHousehold(ctx, tx, voteID, userID); err != nil {
			return err
		}
		ev.TargetUserID, ev.AreaCode = userID, v.AreaCode
		return db.insertEvent(ctx, tx, ev)
	})
}

const paperColumns = `p.id, p.vote_id, p.choices, p.witness, p.status, p.entered_by, COALESCE(e.name, ''), p.confirmed_by, COALESCE(c.name, ''), p.entered_at, p.weight`

func scanPaper(sc rowScanner) (civicgrid.PaperEntry, error) {
	var (
		p         civicgrid.PaperEntry
		choices   string
		confirmed sql.NullInt64
		at        int64
	)
	if err := sc.Scan(&p.ID, &p.VoteID, &choices, &p.Witness, &p.Status, &p.EnteredBy, &p.Entered, &confirmed, &p.Confirmed, &at, &p.Weight); err != nil {
		return p, err
	}
	p.ConfirmedBy, p.EnteredAt = confirmed.Int64, time.UnixMilli(at)
	p.Entered, p.Confirmed = civicgrid.MaskName(p.Entered), civicgrid.MaskName(p.Confirmed)
	if choices != "" {
		if err := json.Unmarshal([]byte(choices), &p.Choices); err != nil {
			return p, err
		}
	}
	return p, nil
}

// EnterPaperBallot stores a pending paper ballot entry.
func (db *DB) EnterPaperBallot(ctx context.Context, e civicgrid.PaperEntry, ev civicgrid.CogovEvent) (civicgrid.PaperEntry, error) {
	choices, _ := json.Marshal(e.Choices)
	err := db.inTx(ctx, func(tx *Tx) error {
		v, err := lockVote(ctx, tx, e.VoteID)
		if err != nil {
			return err
		}
		if v.Status != civicgrid.VoteOpen {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed: it takes no more ballots", e.VoteID)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_paper_ballots (vote_id, choices, witness, status, entered_by, entered_at, weight)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.VoteID, string(choices), e.Witness, civicgrid.PaperPending, e.EnteredBy,
			ev.At.UnixMilli(), e.Weight).Scan(&e.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.VoteSubject(e.VoteID)
		ev.Data = map[string]string{"entry": fmt.Sprint(e.ID), "witness": e.Witness}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.PaperEntry{}, err
	}
	e.Status, e.EnteredAt = civicgrid.PaperPending, time.UnixMilli(ev.At.UnixMilli())
	return e, nil
}

// ConfirmPaperBallot puts a pending entry's ballot in the box.
func (db *DB) ConfirmPaperBallot(ctx context.Context, voteID, entryID, confirmedBy int64, receiptHash string, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		v, err := lockVote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Status != civicgrid.VoteOpen {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed: it takes no more ballots", voteID)
		}
		e, err := byID(ctx, tx, `SELECT `+paperColumns+` FROM cogov_paper_ballots p LEFT JOIN users e ON e.id = p.entered_by
			LEFT JOIN users c ON c.id = p.confirmed_by WHERE p.id = $1`, entryID, scanPaper, "paper ballot")
		if err != nil {
			return err
		}
		switch {
		case e.VoteID != voteID:
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no paper ballot %d in vote %d", entryID, voteID)
		case e.Status != civicgrid.PaperPending:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "paper ballot %d is confirmed already", entryID)
		case e.EnteredBy == confirmedBy:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "you entered paper ballot %d: a second staff member confirms it", entryID)
		}
		var marked, confirmed int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_roll WHERE vote_id = $1 AND channel = $2`, voteID, civicgrid.ChannelPaper).Scan(&marked); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_paper_ballots WHERE vote_id = $1 AND status = $2`, voteID, civicgrid.PaperConfirmed).Scan(&confirmed); err != nil {
			return err
		}
		if confirmed >= marked {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d has %d paper ballots for %d paper voters marked on the roll: mark the voter first", voteID, confirmed, marked)
		}
		if v.Electorate == civicgrid.ElectorateOwners {
			// An owners' ballot carries an area: the box never holds more
			// paper ballots of an area than owners (flats' owners together)
			// of that area marked for paper.
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT household_id) FROM cogov_roll WHERE vote_id = $1 AND channel = $2 AND weight = $3`,
				voteID, civicgrid.ChannelPaper, e.Weight).Scan(&marked); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_paper_ballots WHERE vote_id = $1 AND status = $2 AND weight = $3`,
				voteID, civicgrid.PaperConfirmed, e.Weight).Scan(&confirmed); err != nil {
				return err
			}
			if confirmed >= marked {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d has %d paper ballots of %s m² for %d owners of that area marked for paper: check the area on the ballot",
					voteID, confirmed, civicgrid.FormatArea(e.Weight), marked)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_paper_ballots SET status = $1, confirmed_by = $2, choices = '' WHERE id = $3`,
			civicgrid.PaperConfirmed, confirmedBy, entryID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET ballots = ballots + 1 WHERE id = $1`, voteID); err != nil {
			return err
		}
		v, digest, err := voteBox(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if err := addToBox(ctx, tx, v, digest, []civicgrid.Ballot{{ReceiptHash: receiptHash, Choices: e.Choices, Weight: e.Weight}}); err != nil {
			return err
		}
		ev.Subject = civicgrid.VoteSubject(voteID)
		ev.Data = map[string]string{"entry": fmt.Sprint(entryID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

// PaperEntries lists a vote's paper ballot entries, oldest first.
func (db *DB) PaperEntries(ctx context.Context, voteID int64) ([]civicgrid.PaperEntry, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+paperColumns+` FROM cogov_paper_ballots p LEFT JOIN users e ON e.id = p.entered_by
		LEFT JOIN users c ON c.id = p.confirmed_by WHERE p.vote_id = $1 ORDER BY p.id`, voteID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPaper)
}

// Elections.

const electionColumns = `id, area_code, role, seats, term_months, status, vote_id, created_by, created_at, final_at, term_ends_at, reminded, cancel_reason, by_election_of`

func scanElection(sc rowScanner) (civicgrid.Election, error) {
	var (
		e                     civicgrid.Election
		vote, by, final, ends sql.NullInt64
		of                    sql.NullInt64
		created               int64
	)
	err := sc.Scan(&e.ID, &e.AreaCode, &e.Role, &e.Seats, &e.TermMonths, &e.Status, &vote, &by, &created, &final, &ends, &e.Reminded, &e.CancelReason, &of)
	e.VoteID, e.CreatedBy, e.CreatedAt, e.FinalAt, e.TermEndsAt = vote.Int64, by.Int64, time.UnixMilli(created), timeOrZero(final), timeOrZero(ends)
	e.ByElectionOf = of.Int64
	return e, err
}

func (db *DB) withCandidates(ctx context.Context, q querier, e civicgrid.Election) (civicgrid.Election, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id, label, accepted, nominated_by FROM cogov_nominations WHERE election_id = $1 ORDER BY position`, e.ID)
	if err != nil {
		return e, err
	}
	e.Candidates, err = collect(rows, func(sc rowScanner) (civicgrid.Candidate, error) {
		var c civicgrid.Candidate
		err := sc.Scan(&c.UserID, &c.Label, &c.Accepted, &c.NominatedBy)
		c.Self = c.UserID == c.NominatedBy
		return c, err
	})
	if e.Candidates == nil {
		e.Candidates = []civicgrid.Candidate{}
	}
	return e, err
}

func (db *DB) electionByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.Election, error) {
	e, err := byID(ctx, q, `SELECT `+electionColumns+` FROM cogov_elections WHERE id = $1`, id, scanElection, "election")
	if err != nil {
		return e, err
	}
	return db.withCandidates(ctx, q, e)
}

// lockElection takes the election's row lock and returns it.
func (db *DB) lockElection(ctx context.Context, tx *Tx, id int64) (civicgrid.Election, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE cogov_elections SET seats = seats WHERE id = $1`, id); err != nil {
		return civicgrid.Election{}, err
	}
	return db.electionByID(ctx, tx, id)
}

// rollCount counts the people a roll of roles over the scope would hold.
func rollCount(ctx context.Context, q rowQuerier, roles []string, scope string) (int, error) {
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	ps := make([]string, len(roles))
	for i, r := range roles {
		ps[i] = arg(r)
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT user_id) FROM role_grants WHERE role IN (`+strings.Join(ps, ", ")+`) AND `+
		scopeClause("area_code", []string{scope}, arg), args...).Scan(&n)
	return n, err
}

// CreateElection stores an election when its building's roll is not empty.
func (db *DB) CreateElection(ctx context.Context, e civicgrid.Election, rollRoles []string, ev civicgrid.CogovEvent) (civicgrid.Election, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		n, err := rollCount(ctx, tx, rollRoles, e.AreaCode)
		if err != nil {
			return err
		}
		if n == 0 {
			return civicgrid.Errorf(civicgrid.EINVALID, "nobody holds a role of %s in %s: the election's roll would be empty", strings.Join(rollRoles, ", "), e.AreaCode)
		}
		if e.ByElectionOf != 0 {
			first, err := db.lockElection(ctx, tx, e.ByElectionOf)
			if err != nil {
				return err
			}
			if first.Status != civicgrid.ElectionFinal {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: a by-election fills the empty seats of a final election", first.ID, first.Status)
			}
			var open int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_elections WHERE by_election_of = $1 AND status IN ($2, $3)`, first.ID,
				string(civicgrid.ElectionNominating), string(civicgrid.ElectionVoting)).Scan(&open); err != nil {
				return err
			}
			if open > 0 {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "a by-election of election %d is under way already", first.ID)
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_elections (area_code, role, seats, term_months, status, created_by, created_at, by_election_of)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, e.AreaCode, e.Role, e.Seats, e.TermMonths, string(civicgrid.ElectionNominating),
			nullID(e.CreatedBy), ev.At.UnixMilli(), nullID(e.ByElectionOf)).Scan(&e.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ElectionSubject(e.ID)
		ev.Data = map[string]string{"area": e.AreaCode, "role": e.Role, "seats": fmt.Sprint(e.Seats), "term_months": fmt.Sprint(e.TermMonths),
			"roll": fmt.Sprint(n)}
		if e.ByElectionOf != 0 { // regular elections hash as before
			ev.Data["by_election_of"] = fmt.Sprint(e.ByElectionOf)
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ElectionSubject(e.ByElectionOf), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovByElection, Data: map[string]string{"by_election": fmt.Sprint(e.ID), "seats": fmt.Sprint(e.Seats)}}); err != nil {
				return err
			}
		}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Election{}, err
	}
	return db.ElectionByID(ctx, e.ID)
}

// ByElections lists an election's by-elections, oldest first, with their
// nominees.
func (db *DB) ByElections(ctx context.Context, id int64) ([]civicgrid.Election, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+electionColumns+` FROM cogov_elections WHERE by_election_of = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanElection)
	if err != nil {
		return nil, err
	}
	return es, db.withAllCandidates(ctx, db.rd, es)
}

// ElectionByID returns an election with its nominees.
func (db *DB) ElectionByID(ctx context.Context, id int64) (civicgrid.Election, error) {
	return db.electionByID(ctx, db.rd, id)
}

// Elections lists elections in the subtrees or at the exact areas, newest first.
func (db *DB) Elections(ctx context.Context, within, exact []string, limit int) ([]civicgrid.Election, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT `+electionColumns+` FROM cogov_elections WHERE `+scopeOrExact("area_code", within, exact, arg)+
		` ORDER BY id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanElection)
	if err != nil {
		return nil, err
	}
	return es, db.withAllCandidates(ctx, db.rd, es)
}

// withAllCandidates fills in the nominees of every election of a list
// with one query (not one per election).
func (db *DB) withAllCandidates(ctx context.Context, q querier, es []civicgrid.Election) error {
	if len(es) == 0 {
		return nil
	}
	var args []any
	ps := make([]string, len(es))
	at := make(map[int64]int, len(es))
	for i, e := range es {
		args = append(args, e.ID)
		ps[i] = fmt.Sprintf("$%d", len(args))
		at[e.ID] = i
		es[i].Candidates = []civicgrid.Candidate{}
	}
	rows, err := q.QueryContext(ctx, `SELECT election_id, user_id, label, accepted, nominated_by FROM cogov_nominations
		WHERE election_id IN (`+strings.Join(ps, ", ")+`) ORDER BY election_id, position`, args...)
	if err != nil {
		return err
	}
	type row struct {
		election int64
		c        civicgrid.Candidate
	}
	cs, err := collect(rows, func(sc rowScanner) (row, error) {
		var r row
		err := sc.Scan(&r.election, &r.c.UserID, &r.c.Label, &r.c.Accepted, &r.c.NominatedBy)
		r.c.Self = r.c.UserID == r.c.NominatedBy
		return r, err
	})
	for _, r := range cs {
		i := at[r.election]
		es[i].Candidates = append(es[i].Candidates, r.c)
	}
	return err
}

// NomineeByPhone finds a person holding a role of rollRoles in the area.
func (db *DB) NomineeByPhone(ctx context.Context, area, phone string, rollRoles []string) (int64, string, error) {
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	ps := make([]string, len(rollRoles))
	for i, r := range rollRoles {
		ps[i] = arg(r)
	}
	var id int64
	var name string
	err := db.rd.QueryRowContext(ctx, `SELECT u.id, u.name FROM users u WHERE u.phone = `+arg(phone)+` AND EXISTS (SELECT 1 FROM role_grants g
		WHERE g.user_id = u.id AND g.role IN (`+strings.Join(ps, ", ")+`) AND `+scopeClause("g.area_code", []string{area}, arg)+`)`, args...).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", civicgrid.Errorf(civicgrid.ENOTFOUND, "nobody with this phone lives in %s", area)
	}
	return id, name, err
}

// Nominate records a nomination.
func (db *DB) Nominate(ctx context.Context, electionID, nomineeID, byID int64, label string, rollRoles []string, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		e, err := db.lockElection(ctx, tx, electionID)
		if err != nil {
			return err
		}
		if e.Status != civicgrid.ElectionNominating {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: nominations are closed", electionID, e.Status)
		}
		var args []any
		arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
		ps := make([]string, len(rollRoles))
		for i, r := range rollRoles {
			ps[i] = arg(r)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM role_grants WHERE user_id = `+arg(nomineeID)+` AND role IN (`+strings.Join(ps, ", ")+
			`) AND `+scopeClause("area_code", []string{e.AreaCode}, arg), args...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return civicgrid.Errorf(civicgrid.EINVALID, "the nominee does not live in %s: candidates come from the building's roll", e.AreaCode)
		}
		for _, c := range e.Candidates {
			if c.UserID == nomineeID {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "this person is nominated already")
			}
		}
		// Two candidates of the same name are told apart on the ballot.
		for i, base := 2, label; containsLabel(e.Candidates, label); i++ {
			label = base + fmt.Sprintf("（%d）", i)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_nominations (election_id, user_id, nominated_by, label, accepted, position)
			VALUES ($1, $2, $3, $4, $5, $6)`, electionID, nomineeID, byID, label, nomineeID == byID, len(e.Candidates)+1); err != nil {
			return err
		}
		ev.Subject = civicgrid.ElectionSubject(electionID)
		ev.Data = map[string]string{"nominee": civicgrid.MaskName(label), "nominee_id": fmt.Sprint(nomineeID), "self": fmt.Sprint(nomineeID == byID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

func containsLabel(cs []civicgrid.Candidate, label string) bool {
	for _, c := range cs {
		if c.Label == label {
			return true
		}
	}
	return false
}

// AcceptNomination records the nominee's acceptance.
func (db *DB) AcceptNomination(ctx context.Context, electionID, userID int64, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		e, err := db.lockElection(ctx, tx, electionID)
		if err != nil {
			return err
		}
		if e.Status != civicgrid.ElectionNominating {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: nominations are closed", electionID, e.Status)
		}
		res, err := tx.ExecContext(ctx, `UPDATE cogov_nominations SET accepted = TRUE WHERE election_id = $1 AND user_id = $2 AND accepted = FALSE`, electionID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			for _, c := range e.Candidates {
				if c.UserID == userID {
					return civicgrid.Errorf(civicgrid.ECONFLICT, "you accepted your nomination in election %d already", electionID)
				}
			}
			return civicgrid.Errorf(civicgrid.EFORBIDDEN, "nobody nominated you in election %d: only a nominee accepts their nomination", electionID)
		}
		ev.Subject = civicgrid.ElectionSubject(electionID)
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

// WithdrawNomination takes the person's nomination off an election still
// taking nominations, with its event.
func (db *DB) WithdrawNomination(ctx context.Context, electionID, userID int64, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		e, err := db.lockElection(ctx, tx, electionID)
		if err != nil {
			return err
		}
		if e.Status != civicgrid.ElectionNominating {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: a nomination is withdrawn before the vote opens", electionID, e.Status)
		}
		var label string
		for _, c := range e.Candidates {
			if c.UserID == userID {
				label = c.Label
			}
		}
		if label == "" {
			return civicgrid.Errorf(civicgrid.EFORBIDDEN, "nobody nominated you in election %d: only a nominee withdraws their nomination", electionID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cogov_nominations WHERE election_id = $1 AND user_id = $2`, electionID, userID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ElectionSubject(electionID)
		ev.Data = map[string]string{"label": label}
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

// CancelElection cancels an election still taking nominations.
func (db *DB) CancelElection(ctx context.Context, electionID int64, reason string, ev civicgrid.CogovEvent) (civicgrid.Election, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		e, err := db.lockElection(ctx, tx, electionID)
		if err != nil {
			return err
		}
		if e.Status != civicgrid.ElectionNominating {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: an election is cancelled before its vote opens", electionID, e.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_elections SET status = $1, cancel_reason = $2 WHERE id = $3`,
			string(civicgrid.ElectionCancelled), reason, electionID); err != nil {
			return err
		}
		ev.Subject, ev.Note = civicgrid.ElectionSubject(electionID), reason
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Election{}, err
	}
	return db.ElectionByID(ctx, electionID)
}

// OpenElectionVote opens the election's vote and moves it to voting.
func (db *DB) OpenElectionVote(ctx context.Context, electionID int64, v civicgrid.Vote, rollRoles []string, ev civicgrid.CogovEvent) (civicgrid.Election, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		e, err := db.lockElection(ctx, tx, electionID)
		if err != nil {
			return err
		}
		if e.Status != civicgrid.ElectionNominating {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is %s: its vote is opened once", electionID, e.Status)
		}
		var accepted []string
		for _, c := range e.Candidates {
			if c.Accepted {
				accepted = append(accepted, c.Label)
			}
		}
		if strings.Join(accepted, "\x1f") != strings.Join(v.Options, "\x1f") {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "the candidates of election %d changed: reload and open the vote again", electionID)
		}
		voteEv := ev
		voteEv.Action = civicgrid.CogovVoteOpened
		id, err := db.openVote(ctx, tx, v, rollRoles, voteEv)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_elections SET status = $1, vote_id = $2 WHERE id = $3`, string(civicgrid.ElectionVoting), id, electionID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ElectionSubject(electionID)
		ev.Data = map[string]string{"vote": fmt.Sprint(id), "candidates": strings.Join(accepted, "、")}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Election{}, err
	}
	return db.ElectionByID(ctx, electionID)
}

// ElectionsDue lists elections whose outcome or term reminder is due.
func (db *DB) ElectionsDue(ctx context.Context, now time.Time, remindBefore time.Duration) ([]civicgrid.Election, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+prefixed("e.", electionColumns)+` FROM cogov_elections e LEFT JOIN cogov_votes v ON v.id = e.vote_id
		WHERE (e.status = $1 AND v.status = $2 AND v.notice_until <= $3) OR (e.status = $4 AND NOT e.reminded AND e.term_ends_at <= $5) ORDER BY e.id LIMIT 100`,
		string(civicgrid.ElectionVoting), string(civicgrid.VoteClosed), now.UnixMilli(), string(civicgrid.ElectionFinal), now.Add(remindBefore).UnixMilli())
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanElection)
	if err != nil {
		return nil, err
	}
	return es, db.withAllCandidates(ctx, db.rd, es)
}

func prefixed(p, cols string) string {
	fs := strings.Split(cols, ",")
	for i, f := range fs {
		fs[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fs, ", ")
}

// NextElectionDue is the earliest due time of an election's outcome or
// term reminder (zero: none).
func (db *DB) NextElectionDue(ctx context.Context, remindBefore time.Duration) (time.Time, error) {
	var a, b sql.NullInt64
	if err := db.rd.QueryRowContext(ctx, `SELECT MIN(v.notice_until) FROM cogov_elections e JOIN cogov_votes v ON v.id = e.vote_id
		WHERE e.status = $1 AND v.status = $2`, string(civicgrid.ElectionVoting), string(civicgrid.VoteClosed)).Scan(&a); err != nil {
		return time.Time{}, err
	}
	if err := db.rd.QueryRowContext(ctx, `SELECT MIN(term_ends_at) FROM cogov_elections WHERE status = $1 AND NOT reminded`,
		string(civicgrid.ElectionFinal)).Scan(&b); err != nil {
		return time.Time{}, err
	}
	var next time.Time
	if a.Valid {
		next = time.UnixMilli(a.Int64)
	}
	if b.Valid {
		if t := time.UnixMilli(b.Int64).Add(-remindBefore); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, nil
}

// SetElectionOutcome moves a voting election to final or voided.
func (db *DB) SetElectionOutcome(ctx context.Context, id int64, status civicgrid.ElectionStatus, termEnds time.Time, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var ends sql.NullInt64
		if !termEnds.IsZero() {
			ends = sql.NullInt64{Int64: termEnds.UnixMilli(), Valid: true}
		}
		res, err := tx.ExecContext(ctx, `UPDATE cogov_elections SET status = $1, final_at = $2, term_ends_at = $3 WHERE id = $4 AND status = $5`,
			string(status), ev.At.UnixMilli(), ends, id, string(civicgrid.ElectionVoting))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d is not being voted on", id)
		}
		ev.Subject = civicgrid.ElectionSubject(id)
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

// MarkReminded records the term reminder.
func (db *DB) MarkReminded(ctx context.Context, id int64, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cogov_elections SET reminded = TRUE WHERE id = $1 AND NOT reminded`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "election %d was reminded already", id)
		}
		ev.Subject = civicgrid.ElectionSubject(id)
		return db.appendCogovEvent(ctx, tx, ev)
	})
}
