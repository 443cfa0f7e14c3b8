package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// rowQuerier is a pool or a transaction, for reads made in either.
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Co-governance: proposals, supports, votes, the roll, the secret ballot
// box and the hash-chained events of proposals and votes (civicgrid.CogovStore).

const proposalColumns = `id, area_code, title, body, status, author_id, author, support_needed, supports, reason, created_at, updated_at, ` +
	courtyardColumns + `, merged_into`

func scanProposal(sc rowScanner) (civicgrid.Proposal, error) {
	var p civicgrid.Proposal
	var created, updated int64
	var c courtyardCols
	var merged sql.NullInt64
	err := sc.Scan(&p.ID, &p.AreaCode, &p.Title, &p.Body, &p.Status, &p.AuthorID, &p.Author, &p.SupportNeeded, &p.Supports, &p.Reason, &created, &updated,
		&c.id, &c.name, &c.buildings, &merged)
	p.CreatedAt, p.UpdatedAt, p.CourtyardScope, p.MergedInto = time.UnixMilli(created), time.UnixMilli(updated), c.scope(), merged.Int64
	return p, err
}

// CreateProposal stores a new proposal with its first event.
func (db *DB) CreateProposal(ctx context.Context, p civicgrid.Proposal, ev civicgrid.CogovEvent) (civicgrid.Proposal, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_proposals (area_code, title, body, status, author_id, author, support_needed,
			supports, reason, created_at, updated_at, `+courtyardColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, '', $8, $8, $9, $10, $11) RETURNING id`,
			p.AreaCode, p.Title, p.Body, string(p.Status), p.AuthorID, p.Author, p.SupportNeeded, p.CreatedAt.UnixMilli(),
			nullID(p.CourtyardID), p.CourtyardName, civicgrid.JoinBuildings(p.Buildings)).Scan(&p.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProposalSubject(p.ID)
		courtyardData(&ev, p.CourtyardScope)
		if err := db.indexDoc(ctx, tx, civicgrid.SearchDoc{Kind: "proposal", Ref: p.ID, Area: p.AreaCode, Title: p.Title, Body: p.Body,
			At: p.CreatedAt}, true); err != nil {
			return err
		}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return p, err
	}
	return db.ProposalByID(ctx, p.ID)
}

// ProposalByID returns one proposal.
func (db *DB) ProposalByID(ctx context.Context, id int64) (civicgrid.Proposal, error) {
	return proposalByID(ctx, db.rd, id)
}

func proposalByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.Proposal, error) {
	return byID(ctx, q, `SELECT `+proposalColumns+` FROM cogov_proposals WHERE id = $1`, id, scanProposal, "proposal")
}

// byID reads one row by id, or ENOTFOUND naming what.
func byID[T any](ctx context.Context, q rowQuerier, query string, id int64, scan func(rowScanner) (T, error), what string) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, civicgrid.Errorf(civicgrid.ENOTFOUND, "no %s %d", what, id)
	}
	return v, err
}

// scopeOrExact matches column against subtrees and exact codes.
func scopeOrExact(column string, within, exact []string, arg func(any) string) string {
	clause := scopeClause(column, within, arg)
	for _, c := range exact {
		clause = "(" + clause + " OR " + column + " = " + arg(c) + ")"
	}
	return clause
}

// Proposals lists proposals in the subtrees or at the exact areas, newest first.
func (db *DB) Proposals(ctx context.Context, within, exact []string, limit int) ([]civicgrid.Proposal, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + proposalColumns + ` FROM cogov_proposals WHERE ` + scopeOrExact("area_code", within, exact, arg) +
		` ORDER BY id DESC LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProposal)
}

// lockProposal takes the proposal's row lock (an update of its time) so
// that its changes and its chain are written one after the other, and
// returns it as it is.
func lockProposal(ctx context.Context, tx *Tx, id int64, at time.Time) (civicgrid.Proposal, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET updated_at = $1 WHERE id = $2`, at.UnixMilli(), id)
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Proposal{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no proposal %d", id)
	}
	return proposalByID(ctx, tx, id)
}

// AddSupport records a person's support once; at the threshold the
// proposal goes onto the agenda, with its own event.
func (db *DB) AddSupport(ctx context.Context, id, userID int64, ev civicgrid.CogovEvent) (civicgrid.Proposal, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProposal(ctx, tx, id, ev.At)
		if err != nil {
			return err
		}
		if p.Status != civicgrid.ProposalOpen {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: support is taken only while it is open", id, p.Status)
		}
		var one int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM cogov_supports WHERE proposal_id = $1 AND user_id = $2`, id, userID).Scan(&one); {
		case err == nil:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "you support proposal %d already", id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_supports (proposal_id, user_id) VALUES ($1, $2)`, id, userID); err != nil {
			return err
		}
		p.Supports++
		status := p.Status
		if p.Supports >= p.SupportNeeded {
			status = civicgrid.ProposalAgenda
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET supports = $1, status = $2 WHERE id = $3`, p.Supports, string(status), id); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProposalSubject(id)
		ev.Data = map[string]string{"supports": fmt.Sprint(p.Supports)}
		if err := db.appendCogovEvent(ctx, tx, ev); err != nil {
			return err
		}
		if status == civicgrid.ProposalAgenda {
			return db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: ev.Subject, At: ev.At, Actor: "system", Action: civicgrid.CogovOnAgenda,
				Note: fmt.Sprintf("support reached %d of %d", p.Supports, p.SupportNeeded)})
		}
		return nil
	})
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	return db.ProposalByID(ctx, id)
}

// MergeProposal merges one proposal into another (civicgrid.CogovStore).
func (db *DB) MergeProposal(ctx context.Context, id, into int64, reason string, ev civicgrid.CogovEvent) (civicgrid.Proposal, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if id == into {
			return civicgrid.Errorf(civicgrid.EINVALID, "a proposal is not merged into itself")
		}
		// Both row locks, the lower id first, so two merges never wait on
		// each other.
		lo, hi := min(id, into), max(id, into)
		a, err := lockProposal(ctx, tx, lo, ev.At)
		if err != nil {
			return err
		}
		b, err := lockProposal(ctx, tx, hi, ev.At)
		if err != nil {
			return err
		}
		src, dst := a, b
		if src.ID != id {
			src, dst = b, a
		}
		for _, p := range []civicgrid.Proposal{src, dst} {
			if p.Status != civicgrid.ProposalOpen && p.Status != civicgrid.ProposalAgenda {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: only proposals open or on the agenda are merged", p.ID, p.Status)
			}
		}
		if !src.CourtyardScope.Within(src.AreaCode, dst.CourtyardScope, dst.AreaCode) {
			return civicgrid.Errorf(civicgrid.EINVALID, "proposal %d is raised in %s, outside the scope of proposal %d: a proposal is merged into one of its own scope or a wider one",
				src.ID, src.AreaCode, dst.ID)
		}
		// The merged proposal's supporters and author support the other,
		// unless they do already or wrote it.
		res, err := tx.ExecContext(ctx, `INSERT INTO cogov_supports (proposal_id, user_id, via_merge)
			SELECT CAST($1 AS BIGINT), s.u, CAST($2 AS BIGINT) FROM (SELECT user_id AS u FROM cogov_supports WHERE proposal_id = $2 UNION SELECT CAST($3 AS BIGINT)) s
			WHERE s.u <> $4 AND NOT EXISTS (SELECT 1 FROM cogov_supports x WHERE x.proposal_id = CAST($1 AS BIGINT) AND x.user_id = s.u)`,
			dst.ID, src.ID, src.AuthorID, dst.AuthorID)
		if err != nil {
			return err
		}
		added, _ := res.RowsAffected()
		dst.Supports += int(added)
		status := dst.Status
		if status == civicgrid.ProposalOpen && dst.Supports >= dst.SupportNeeded {
			status = civicgrid.ProposalAgenda
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET supports = $1, status = $2 WHERE id = $3`, dst.Supports, string(status), dst.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1, reason = $2, merged_into = $3 WHERE id = $4`,
			string(civicgrid.ProposalMerged), reason, dst.ID, src.ID); err != nil {
			return err
		}
		srcEv := ev
		srcEv.Subject, srcEv.Action, srcEv.Note = civicgrid.ProposalSubject(src.ID), civicgrid.CogovMerged, reason
		srcEv.Data = map[string]string{"into": fmt.Sprint(dst.ID), "was": string(src.Status)}
		if err := db.appendCogovEvent(ctx, tx, srcEv); err != nil {
			return err
		}
		dstEv := ev
		dstEv.Subject, dstEv.Action, dstEv.Note = civicgrid.ProposalSubject(dst.ID), civicgrid.CogovMergedIn, reason
		dstEv.Data = map[string]string{"from": fmt.Sprint(src.ID), "supports_added": fmt.Sprint(added), "supports": fmt.Sprint(dst.Supports)}
		if err := db.appendCogovEvent(ctx, tx, dstEv); err != nil {
			return err
		}
		if status != dst.Status {
			return db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: dstEv.Subject, At: ev.At, Actor: "system", Action: civicgrid.CogovOnAgenda,
				Note: fmt.Sprintf("support reached %d of %d", dst.Supports, dst.SupportNeeded)})
		}
		return nil
	})
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	return db.ProposalByID(ctx, id)
}

// UnmergeProposal undoes a merge under both proposals' row locks (the
// lower id first, as a merge takes them).
func (db *DB) UnmergeProposal(ctx context.Context, id int64, reason string, was civicgrid.ProposalStatus, carried int, ev civicgrid.CogovEvent) (civicgrid.Proposal, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		src, err := db.ProposalByID(ctx, id)
		if err != nil {
			return err
		}
		if src.Status != civicgrid.ProposalMerged || src.MergedInto == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s, not merged", id, src.Status)
		}
		lo, hi := min(id, src.MergedInto), max(id, src.MergedInto)
		a, err := lockProposal(ctx, tx, lo, ev.At)
		if err != nil {
			return err
		}
		b, err := lockProposal(ctx, tx, hi, ev.At)
		if err != nil {
			return err
		}
		src, dst := a, b
		if src.ID != id {
			src, dst = b, a
		}
		if src.Status != civicgrid.ProposalMerged || src.MergedInto != dst.ID {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s, not merged", id, src.Status)
		}
		if dst.Status != civicgrid.ProposalOpen && dst.Status != civicgrid.ProposalAgenda {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: the supports it took are counted in a vote or a decision, and the merge stands", dst.ID, dst.Status)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cogov_supports WHERE proposal_id = $1 AND via_merge = $2`, dst.ID, src.ID)
		if err != nil {
			return err
		}
		removed, _ := res.RowsAffected()
		if int(removed) != carried {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "the merge of proposal %d carried %d supports and %d are recorded: it was merged before carried supports were recorded, and is not undone", id, carried, removed)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET supports = supports - $1 WHERE id = $2`, removed, dst.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1, reason = '', merged_into = NULL WHERE id = $2`, string(was), src.ID); err != nil {
			return err
		}
		srcEv := ev
		srcEv.Subject, srcEv.Action, srcEv.Note = civicgrid.ProposalSubject(src.ID), civicgrid.CogovUnmerged, reason
		srcEv.Data = map[string]string{"from": fmt.Sprint(dst.ID), "status": string(was)}
		if err := db.appendCogovEvent(ctx, tx, srcEv); err != nil {
			return err
		}
		dstEv := ev
		dstEv.Subject, dstEv.Action, dstEv.Note = civicgrid.ProposalSubject(dst.ID), civicgrid.CogovUnmergedOut, reason
		dstEv.Data = map[string]string{"from": fmt.Sprint(src.ID), "supports_removed": fmt.Sprint(removed), "supports": fmt.Sprint(dst.Supports - int(removed))}
		return db.appendCogovEvent(ctx, tx, dstEv)
	})
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	return db.ProposalByID(ctx, id)
}

// HasSupported reports whether the person supports the proposal.
func (db *DB) HasSupported(ctx context.Context, id, userID int64) (bool, error) {
	var one int
	err := db.rd.QueryRowContext(ctx, `SELECT 1 FROM cogov_supports WHERE proposal_id = $1 AND user_id = $2`, id, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// SetProposalStatus moves a proposal from one status to another.
func (db *DB) SetProposalStatus(ctx context.Context, id int64, from, to civicgrid.ProposalStatus, reason string, ev civicgrid.CogovEvent) (civicgrid.Proposal, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProposal(ctx, tx, id, ev.At)
		if err != nil {
			return err
		}
		if p.Status != from {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s, not %s", id, p.Status, from)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1, reason = $2 WHERE id = $3`, string(to), reason, id); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProposalSubject(id)
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Proposal{}, err
	}
	return db.ProposalByID(ctx, id)
}

const voteColumns = `id, proposal_id, area_code, question, method, options, winners, rule, status, roll_size, ballots, opened_at, closes_at,
	closed_at, notice_until, notice_days, created_by, result, electorate, roll_area, ` + courtyardColumns

func scanVote(sc rowScanner) (civicgrid.Vote, error) {
	var (
		v                        civicgrid.Vote
		proposal, closed, notice sql.NullInt64
		createdBy                sql.NullInt64
		options, rule, result    string
		opened, closes           int64
		c                        courtyardCols
	)
	err := sc.Scan(&v.ID, &proposal, &v.AreaCode, &v.Question, &v.Method, &options, &v.Winners, &rule, &v.Status, &v.RollSize, &v.Ballots,
		&opened, &closes, &closed, &notice, &v.NoticeDays, &createdBy, &result, &v.Electorate, &v.RollArea, &c.id, &c.name, &c.buildings)
	if err != nil {
		return v, err
	}
	v.CourtyardScope = c.scope()
	v.ProposalID, v.CreatedBy = proposal.Int64, createdBy.Int64
	v.OpenedAt, v.ClosesAt, v.ClosedAt, v.NoticeUntil = time.UnixMilli(opened), time.UnixMilli(closes), timeOrZero(closed), timeOrZero(notice)
	if err := json.Unmarshal([]byte(options), &v.Options); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(rule), &v.Rule); err != nil {
		return v, err
	}
	if result != "" {
		v.Result = &civicgrid.Result{}
		if err := json.Unmarshal([]byte(result), v.Result); err != nil {
			return v, err
		}
	}
	return v, nil
}

// OpenVote freezes the roll and opens the vote.
func (db *DB) OpenVote(ctx context.Context, v civicgrid.Vote, rollRoles []string, ev civicgrid.CogovEvent) (civicgrid.Vote, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		v.ID, err = db.openVote(ctx, tx, v, rollRoles, ev)
		return err
	})
	if err != nil {
		return civicgrid.Vote{}, err
	}
	return db.VoteByID(ctx, v.ID)
}

// openVote is OpenVote inside the caller's transaction; it returns the id.
func (db *DB) openVote(ctx context.Context, tx *Tx, v civicgrid.Vote, rollRoles []string, ev civicgrid.CogovEvent) (int64, error) {
	options, _ := json.Marshal(v.Options)
	rule, _ := json.Marshal(v.Rule)
	err := func() error {
		if v.ProposalID != 0 {
			p, err := lockProposal(ctx, tx, v.ProposalID, ev.At)
			if err != nil {
				return err
			}
			if p.Status != civicgrid.ProposalAgenda {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: a vote is opened on a proposal on the agenda", p.ID, p.Status)
			}
			if p.AreaCode != v.AreaCode || p.CourtyardID != v.CourtyardID {
				return civicgrid.Errorf(civicgrid.EINVALID, "a vote on proposal %d is held in its scope %s", p.ID, p.AreaCode)
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_votes (proposal_id, area_code, question, method, options, winners, rule, status,
			roll_size, ballots, opened_at, closes_at, notice_days, created_by, electorate, box_digest, `+courtyardColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			nullID(v.ProposalID), v.AreaCode, v.Question, string(v.Method), string(options), v.Winners, string(rule), string(civicgrid.VoteOpen),
			v.OpenedAt.UnixMilli(), v.ClosesAt.UnixMilli(), v.NoticeDays, nullID(v.CreatedBy), string(electorateOf(v)),
			civicgrid.EmptyBoxDigest().String(), nullID(v.CourtyardID), v.CourtyardName, civicgrid.JoinBuildings(v.Buildings)).Scan(&v.ID); err != nil {
			return err
		}
		n, detail, err := freezeElectorate(ctx, tx, v, rollRoles)
		if err != nil {
			return err
		}
		v.RollSize = int(n)
		// The security log records who froze which roll, of how many people.
		if err := db.insertEvent(ctx, tx, civicgrid.SecurityEvent{At: ev.At, Kind: civicgrid.EventRollFrozen, ActorID: ev.ActorID, Actor: ev.Actor,
			AreaCode: v.AreaCode, Detail: fmt.Sprintf("vote %d: %s", v.ID, detail)}); err != nil {
			return err
		}
		if v.ProposalID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1 WHERE id = $2`, string(civicgrid.ProposalVoting), v.ProposalID); err != nil {
				return err
			}
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(v.ProposalID), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovVoteOpened, Data: map[string]string{"vote": fmt.Sprint(v.ID)}}); err != nil {
				return err
			}
		}
		ev.Subject = civicgrid.VoteSubject(v.ID)
		ev.Data = map[string]string{"roll_size": fmt.Sprint(n), "rule": v.Rule.Name, "method": string(v.Method),
			"options": string(options), "closes_at": fmt.Sprint(v.ClosesAt.UnixMilli())}
		if e := electorateOf(v); e != civicgrid.ElectoratePerson { // person votes' events hash as before
			ev.Data["electorate"] = string(e)
		}
		courtyardData(&ev, v.CourtyardScope)
		return db.appendCogovEvent(ctx, tx, ev)
	}()
	return v.ID, err
}

// VoteByID returns one vote.
func (db *DB) VoteByID(ctx context.Context, id int64) (civicgrid.Vote, error) {
	return voteByID(ctx, db.rd, id)
}

func voteByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.Vote, error) {
	return byID(ctx, q, `SELECT `+voteColumns+` FROM cogov_votes WHERE id = $1`, id, scanVote, "vote")
}

// Votes lists votes in the subtrees or at the exact areas, newest first.
func (db *DB) Votes(ctx context.Context, within, exact []string, limit int) ([]civicgrid.Vote, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT `+voteColumns+` FROM cogov_votes WHERE `+scopeOrExact("area_code", within, exact, arg)+
		` ORDER BY id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanVote)
}

// RollEntry reports whether the person is on the roll and has voted.
func (db *DB) RollEntry(ctx context.Context, voteID, userID int64) (bool, bool, error) {
	var voted bool
	err := db.rd.QueryRowContext(ctx, `SELECT voted FROM cogov_roll WHERE vote_id = $1 AND user_id = $2`, voteID, userID).Scan(&voted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	return err == nil, voted, err
}

// voteBox reads a vote with its kept box digest ("" when the vote was
// opened before kept tallies); the caller holds the vote's row lock.
func voteBox(ctx context.Context, tx *Tx, id int64) (civicgrid.Vote, string, error) {
	var digest string
	v, err := byID(ctx, tx, `SELECT `+voteColumns+`, box_digest FROM cogov_votes WHERE id = $1`, id, func(sc rowScanner) (civicgrid.Vote, error) {
		return scanVote(extraScan{sc, []any{&digest}})
	}, "vote")
	return v, digest, err
}

// extraScan scans a row's further columns into extra after the ones asked for.
type extraScan struct {
	rowScanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.rowScanner.Scan(append(dest, e.extra...)...) }

const upsertTallySQL = `INSERT INTO cogov_tally (vote_id, item, n, weight) VALUES ($1, $2, $3, $4)
	ON CONFLICT (vote_id, item) DO UPDATE SET n = cogov_tally.n + excluded.n, weight = cogov_tally.weight + excluded.weight`

// addToBox drops ballots into a vote's box and, for a vote with a kept
// tally (digest not empty), brings the tally and the box's digest up to
// date in the same transaction: one update of each line the ballots touch
// and one of the digest, however many ballots. The caller holds the vote's
// row lock and has counted the ballots in cogov_votes.ballots.
func addToBox(ctx context.Context, tx *Tx, v civicgrid.Vote, digest string, bs []civicgrid.Ballot) error {
	// One INSERT of up to 256 rows at a time (a batch of casts).
	for rest := bs; len(rest) > 0; {
		part := rest[:min(len(rest), 256)]
		rest = rest[len(part):]
		var sb strings.Builder
		args := make([]any, 0, 1+3*len(part))
		args = append(args, v.ID)
		sb.WriteString(`INSERT INTO cogov_ballots (vote_id, receipt_hash, choices, weight) VALUES `)
		for i, b := range part {
			choices, _ := json.Marshal(b.Choices)
			if b.Choices == nil {
				choices = []byte("[]")
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "($1, $%d, $%d, $%d)", len(args)+1, len(args)+2, len(args)+3)
			args = append(args, b.ReceiptHash, string(choices), b.Weight)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	if digest == "" {
		return nil
	}
	kept, err := civicgrid.ParseBoxDigest(digest)
	if err != nil {
		return fmt.Errorf("vote %d: %w", v.ID, err)
	}
	d := civicgrid.NewBoxDelta()
	for _, b := range bs {
		d.Add(v, b)
	}
	kept.Mul(d.Digest())
	if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET box_digest = $1 WHERE id = $2`, kept.String(), v.ID); err != nil {
		return err
	}
	for _, it := range d.Items() {
		if _, err := tx.ExecContext(ctx, upsertTallySQL, v.ID, it.Key, it.N, it.Weight); err != nil {
			return err
		}
	}
	return nil
}

// keptCount reads a vote's kept tally: its lines, the number of ballots
// (cogov_votes.ballots, counted with each ballot) and the box's digest.
func keptCount(ctx context.Context, q querier, v civicgrid.Vote, digest string) (civicgrid.BoxCount, error) {
	d, err := civicgrid.ParseBoxDigest(digest)
	if err != nil {
		return civicgrid.BoxCount{}, fmt.Errorf("vote %d: %w", v.ID, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT item, n, weight FROM cogov_tally WHERE vote_id = $1`, v.ID)
	if err != nil {
		return civicgrid.BoxCount{}, err
	}
	items, err := collect(rows, func(sc rowScanner) (civicgrid.BoxItem, error) {
		var it civicgrid.BoxItem
		return it, sc.Scan(&it.Key, &it.N, &it.Weight)
	})
	// In Go's byte order whatever the database's collation.
	slices.SortFunc(items, func(a, b civicgrid.BoxItem) int { return strings.Compare(a.Key, b.Key) })
	return civicgrid.BoxCount{Ballots: v.Ballots, Items: items, Digest: d}, err
}

// KeptTally reads a vote's kept tally and its ballot box in one snapshot,
// for the auditor's check that the one is the count of the other
// (civicgrid.CheckKept). kept is false for a vote opened before kept
// tallies.
func (db *DB) KeptTally(ctx context.Context, voteID int64) (v civicgrid.Vote, c civicgrid.BoxCount, kept bool, box []civicgrid.Ballot, err error) {
	snap, err := db.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return v, c, false, nil, err
	}
	defer snap.Rollback()
	var digest string
	v, err = byID(ctx, snap, `SELECT `+voteColumns+`, box_digest FROM cogov_votes WHERE id = $1`, voteID, func(sc rowScanner) (civicgrid.Vote, error) {
		return scanVote(extraScan{sc, []any{&digest}})
	}, "vote")
	if err != nil || digest == "" {
		return v, c, false, nil, err
	}
	if c, err = keptCount(ctx, snap, v, digest); err != nil {
		return v, c, false, nil, err
	}
	box, err = ballots(ctx, snap, voteID)
	return v, c, true, box, err
}

func scanBallot(sc rowScanner) (civicgrid.Ballot, error) {
	var b civicgrid.Ballot
	var choices string
	if err := sc.Scan(&b.ReceiptHash, &choices, &b.Weight); err != nil {
		return b, err
	}
	return b, json.Unmarshal([]byte(choices), &b.Choices)
}

// BallotByReceipt returns the ballot under a receipt hash.
func (db *DB) BallotByReceipt(ctx context.Context, voteID int64, receiptHash string) (civicgrid.Ballot, error) {
	b, err := scanBallot(db.rd.QueryRowContext(ctx, `SELECT receipt_hash, choices, weight FROM cogov_ballots WHERE vote_id = $1 AND receipt_hash = $2`,
		voteID, receiptHash))
	if errors.Is(err, sql.ErrNoRows) {
		return b, civicgrid.Errorf(civicgrid.ENOTFOUND, "no ballot with this receipt in vote %d", voteID)
	}
	return b, err
}

// Ballots returns a vote's ballots in receipt-hash order.
func (db *DB) Ballots(ctx context.Context, voteID int64) ([]civicgrid.Ballot, error) {
	return ballots(ctx, db.rd, voteID)
}

func ballots(ctx context.Context, q querier, voteID int64) ([]civicgrid.Ballot, error) {
	rows, err := q.QueryContext(ctx, `SELECT receipt_hash, choices, weight FROM cogov_ballots WHERE vote_id = $1 ORDER BY receipt_hash`, voteID)
	if err != nil {
		return nil, err
	}
	// A vote's ballots repeat few distinct choices (three on a yes/no
	// vote): each is decoded once and its slice shared, read-only, by the
	// ballots that hold it — a third of the time of reading 10⁵ ballots.
	decoded := map[string][]string{}
	return collect(rows, func(sc rowScanner) (civicgrid.Ballot, error) {
		var b civicgrid.Ballot
		var choices string
		if err := sc.Scan(&b.ReceiptHash, &choices, &b.Weight); err != nil {
			return b, err
		}
		var ok bool
		if b.Choices, ok = decoded[choices]; ok {
			return b, nil
		}
		if err := json.Unmarshal([]byte(choices), &b.Choices); err != nil {
			return b, err
		}
		if len(decoded) < 1<<16 {
			decoded[choices] = b.Choices
		}
		return b, nil
	})
}

// CloseVote closes the vote and counts it in one transaction.
func (db *DB) CloseVote(ctx context.Context, id int64, at, noticeUntil time.Time, ev civicgrid.CogovEvent) (civicgrid.Vote, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET status = $1, closed_at = $2, notice_until = $3 WHERE id = $4 AND status = $5`,
			string(civicgrid.VoteClosed), at.UnixMilli(), noticeUntil.UnixMilli(), id, string(civicgrid.VoteOpen))
		if err != nil {
			return err
		}
		v, err := voteByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed already", id)
		}
		// The count reads the kept tally; a vote opened before kept
		// tallies is counted from its box, once.
		var c civicgrid.BoxCount
		if _, digest, err := voteBox(ctx, tx, id); err != nil {
			return err
		} else if digest != "" {
			if c, err = keptCount(ctx, tx, v, digest); err != nil {
				return err
			}
		} else {
			bs, err := ballots(ctx, tx, id)
			if err != nil {
				return err
			}
			c = civicgrid.CountBox(v, bs)
		}
		r := civicgrid.TallyBox(v, v.RollSize, c)
		result, _ := json.Marshal(r)
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET result = $1 WHERE id = $2`, string(result), id); err != nil {
			return err
		}
		ev.Subject = civicgrid.VoteSubject(id)
		ev.Data = map[string]string{"result": string(result), "notice_until": fmt.Sprint(noticeUntil.UnixMilli())}
		if err := db.appendCogovEvent(ctx, tx, ev); err != nil {
			return err
		}
		if v.ProposalID == 0 {
			return nil
		}
		to := civicgrid.ProposalRejected // the decision moves the proposal on
		if r.Passed {
			to = civicgrid.ProposalAdopted
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1, updated_at = $2 WHERE id = $3`,
			string(to), at.UnixMilli(), v.ProposalID); err != nil {
			return err
		}
		return db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(v.ProposalID), At: ev.At, ActorID: ev.ActorID,
			Actor: ev.Actor, Action: civicgrid.CogovVoteClosed, Data: map[string]string{"vote": fmt.Sprint(id), "passed": fmt.Sprint(r.Passed),
				"quorum_met": fmt.Sprint(r.QuorumMet)}})
	})
	if err != nil {
		return civicgrid.Vote{}, err
	}
	return db.VoteByID(ctx, id)
}

// appendCogovEvent links ev to its subject's chain and inserts it; the
// caller holds the subject's row lock.
func (db *DB) appendCogovEvent(ctx context.Context, tx *Tx, ev civicgrid.CogovEvent) error {
	var err error
	if ev.Seq, ev.PrevHash, err = nextLink(ctx, tx, `SELECT seq, hash FROM cogov_events WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, ev.Subject); err != nil {
		return err
	}
	ev.At = time.UnixMilli(ev.At.UnixMilli())
	ev.Hash = ev.ChainHash()
	data := eventData(ev.Data)
	_, err = tx.ExecContext(ctx, `INSERT INTO cogov_events (subject, seq, at, actor_id, actor, action, note, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, ev.Subject, ev.Seq, ev.At.UnixMilli(), nullID(ev.ActorID), ev.Actor, ev.Action,
		ev.Note, data, ev.PrevHash, ev.Hash)
	return err
}

const cogovEventColumns = `id, subject, seq, at, actor_id, actor, action, note, data, prev_hash, hash`

func scanCogovEvent(sc rowScanner) (civicgrid.CogovEvent, error) {
	var ev civicgrid.CogovEvent
	var at int64
	var actor sql.NullInt64
	var data string
	if err := sc.Scan(&ev.ID, &ev.Subject, &ev.Seq, &at, &actor, &ev.Actor, &ev.Action, &ev.Note, &data, &ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.At, ev.ActorID = time.UnixMilli(at), actor.Int64
	return ev, parseEventData(data, &ev.Data)
}

// CogovEvents returns a subject's history in order.
func (db *DB) CogovEvents(ctx context.Context, subject string) ([]civicgrid.CogovEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+cogovEventColumns+` FROM cogov_events WHERE subject = $1 ORDER BY seq`, subject)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCogovEvent)
}

// CogovEventsAfter returns up to limit events after cursor, by id.
func (db *DB) CogovEventsAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.CogovEvent, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+cogovEventColumns+` FROM cogov_events WHERE id > $1 ORDER BY id LIMIT $2`, cursor, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCogovEvent)
}

// Roll lists the people on a vote's roll.
func (db *DB) Roll(ctx context.Context, voteID int64) ([]int64, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT user_id FROM cogov_roll WHERE vote_id = $1 ORDER BY user_id`, voteID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (id int64, err error) { return id, sc.Scan(&id) })
}

// ForEachCogovChain calls fn with each subject's history in order.
func (db *DB) ForEachCogovChain(ctx context.Context, fn func(subject string, events []civicgrid.CogovEvent) error) error {
	return forEachCogovChain(ctx, db.rd, fn)
}

func forEachCogovChain(ctx context.Context, q querier, fn func(subject string, events []civicgrid.CogovEvent) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+cogovEventColumns+` FROM cogov_events ORDER BY subject, seq`)
	if err != nil {
		return err
	}
	evs, err := collect(rows, scanCogovEvent)
	if err != nil {
		return err
	}
	return eachRun(evs, func(e civicgrid.CogovEvent) string { return e.Subject }, fn)
}

var _ civicgrid.CogovStore = (*DB)(nil)

// freezeRoll copies into a roll table (given with its three columns: owner
// id, user id, a flag set false) everyone holding one of roles over an area
// in the scope, once each, and returns how many: the one roll of votes and
// meetings.
func freezeRoll(ctx context.Context, tx *Tx, table string, id int64, roles []string, scope []string) (int64, error) {
	var args []any
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }
	ps := make([]string, len(roles))
	for i, r := range roles {
		ps[i] = arg(r)
	}
	q := `INSERT INTO ` + table + ` SELECT DISTINCT CAST(` + arg(id) + ` AS BIGINT), user_id, FALSE FROM role_grants
		WHERE role IN (` + strings.Join(ps, ", ") + `) AND ` + scopeClause("area_code", scope, arg)
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Meetings (议事会): the meeting, its agenda items and its frozen roll.

const meetingColumns = `id, area_code, title, place, starts_at, status, invited_roles, invited, attended, code, minutes, quorum_met, rule,
	created_by, published_at, ` + courtyardColumns + `, photos, documents, cancel_reason`

func scanMeeting(sc rowScanner) (civicgrid.Meeting, error) {
	var (
		m                    civicgrid.Meeting
		starts               int64
		roles                string
		createdBy, published sql.NullInt64
		c                    courtyardCols
		photos, docs         string
	)
	if err := sc.Scan(&m.ID, &m.AreaCode, &m.Title, &m.Place, &starts, &m.Status, &roles, &m.Invited, &m.Attended, &m.Code, &m.Minutes,
		&m.QuorumMet, &m.Rule, &createdBy, &published, &c.id, &c.name, &c.buildings, &photos, &docs, &m.CancelReason); err != nil {
		return m, err
	}
	if docs != "" {
		if err := json.Unmarshal([]byte(docs), &m.Documents); err != nil {
			return m, err
		}
	}
	m.CourtyardScope = c.scope()
	if err := json.Unmarshal([]byte(photos), &m.Photos); err != nil {
		return m, err
	}
	m.StartsAt, m.CreatedBy, m.PublishedAt = time.UnixMilli(starts), createdBy.Int64, timeOrZero(published)
	return m, json.Unmarshal([]byte(roles), &m.InvitedRoles)
}

// CreateMeeting checks the agenda, freezes the roll and stores the meeting.
func (db *DB) CreateMeeting(ctx context.Context, m civicgrid.Meeting, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	roles, _ := json.Marshal(m.InvitedRoles)
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_meetings (area_code, title, place, starts_at, status, invited_roles, code, rule, created_by,
			`+courtyardColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`, m.AreaCode, m.Title, m.Place, m.StartsAt.UnixMilli(),
			string(civicgrid.MeetingScheduled), string(roles), m.Code, m.Rule, nullID(m.CreatedBy),
			nullID(m.CourtyardID), m.CourtyardName, civicgrid.JoinBuildings(m.Buildings)).Scan(&m.ID); err != nil {
			return err
		}
		var ids []string
		for i, it := range m.Agenda {
			p, err := lockProposal(ctx, tx, it.ProposalID, ev.At)
			if err != nil {
				return err
			}
			if p.Status != civicgrid.ProposalAgenda {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "proposal %d is %s: a meeting takes up proposals on the agenda", p.ID, p.Status)
			}
			if !p.CourtyardScope.Within(p.AreaCode, m.CourtyardScope, m.AreaCode) {
				scope := m.AreaCode
				if m.InCourtyard() {
					scope = m.CourtyardName
				}
				return civicgrid.Errorf(civicgrid.EINVALID, "proposal %d is raised in %s, outside the meeting's scope %s", p.ID, p.AreaCode, scope)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_meeting_items (meeting_id, position, proposal_id, title) VALUES ($1, $2, $3, $4)`,
				m.ID, i, p.ID, p.Title); err != nil {
				return err
			}
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(p.ID), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovMeetingScheduled, Data: map[string]string{"meeting": fmt.Sprint(m.ID)}}); err != nil {
				return err
			}
			ids = append(ids, fmt.Sprint(p.ID))
		}
		n, err := freezeRoll(ctx, tx, "cogov_meeting_roll (meeting_id, user_id, attended)", m.ID, m.InvitedRoles, m.Areas(m.AreaCode))
		if err != nil {
			return err
		}
		added, err := addNamed(ctx, tx, m.ID, m.Named)
		if err != nil {
			return err
		}
		n += added
		if n == 0 {
			return civicgrid.Errorf(civicgrid.EINVALID, "nobody holds a role of %s in %s: the roll would be empty", strings.Join(m.InvitedRoles, ", "), m.AreaCode)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET invited = $1 WHERE id = $2`, n, m.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.MeetingSubject(m.ID)
		ev.Data = map[string]string{"title": m.Title, "place": m.Place, "starts_at": fmt.Sprint(m.StartsAt.UnixMilli()),
			"agenda": strings.Join(ids, ","), "invited_roles": string(roles), "invited": fmt.Sprint(n)}
		if len(m.Named) > 0 { // meetings without named people hash as before
			ev.Data["named"] = joinIDs(m.Named)
		}
		courtyardData(&ev, m.CourtyardScope)
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, m.ID)
}

// MeetingByID returns a meeting with its agenda.
func (db *DB) MeetingByID(ctx context.Context, id int64) (civicgrid.Meeting, error) {
	m, err := byID(ctx, db.rd, `SELECT `+meetingColumns+` FROM cogov_meetings WHERE id = $1`, id, scanMeeting, "meeting")
	if err != nil {
		return m, err
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT proposal_id, title, decision, note FROM cogov_meeting_items WHERE meeting_id = $1 ORDER BY position`, id)
	if err != nil {
		return m, err
	}
	m.Agenda, err = collect(rows, func(sc rowScanner) (civicgrid.AgendaItem, error) {
		var it civicgrid.AgendaItem
		return it, sc.Scan(&it.ProposalID, &it.Title, &it.Decision, &it.Note)
	})
	return m, err
}

// Meetings lists meetings in the subtrees or at the exact areas, newest
// first (without their agendas).
func (db *DB) Meetings(ctx context.Context, within, exact []string, limit int) ([]civicgrid.Meeting, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT `+meetingColumns+` FROM cogov_meetings WHERE `+scopeOrExact("area_code", within, exact, arg)+
		` ORDER BY id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMeeting)
}

// MeetingRoll lists a meeting's roll in name order.
func (db *DB) MeetingRoll(ctx context.Context, id int64) ([]civicgrid.Attendee, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT r.user_id, u.name, r.attended FROM cogov_meeting_roll r JOIN users u ON u.id = r.user_id
		WHERE r.meeting_id = $1 ORDER BY u.name, r.user_id`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.Attendee, error) {
		var a civicgrid.Attendee
		return a, sc.Scan(&a.UserID, &a.Name, &a.Attended)
	})
}

// OnMeetingRoll reports whether the person is on the roll and signed in.
func (db *DB) OnMeetingRoll(ctx context.Context, id, userID int64) (bool, bool, error) {
	var attended bool
	err := db.rd.QueryRowContext(ctx, `SELECT attended FROM cogov_meeting_roll WHERE meeting_id = $1 AND user_id = $2`, id, userID).Scan(&attended)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	return err == nil, attended, err
}

// lockMeeting takes the meeting's row lock (a no-op update) and returns it.
func lockMeeting(ctx context.Context, tx *Tx, id int64) (civicgrid.Meeting, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET attended = attended WHERE id = $1`, id)
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Meeting{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no meeting %d", id)
	}
	return byID(ctx, tx, `SELECT `+meetingColumns+` FROM cogov_meetings WHERE id = $1`, id, scanMeeting, "meeting")
}

// SignIn marks a person on the roll present, once.
func (db *DB) SignIn(ctx context.Context, id, userID int64, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		m, err := lockMeeting(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Status != civicgrid.MeetingScheduled {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is %s: sign-in is closed", id, m.Status)
		}
		var attended bool
		switch err := tx.QueryRowContext(ctx, `SELECT attended FROM cogov_meeting_roll WHERE meeting_id = $1 AND user_id = $2`, id, userID).Scan(&attended); {
		case errors.Is(err, sql.ErrNoRows):
			return civicgrid.Errorf(civicgrid.EFORBIDDEN, "the person is not on meeting %d's roll, frozen when it was scheduled", id)
		case err != nil:
			return err
		case attended:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "signed in at meeting %d already", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meeting_roll SET attended = TRUE WHERE meeting_id = $1 AND user_id = $2`, id, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET attended = attended + 1 WHERE id = $1`, id); err != nil {
			return err
		}
		ev.Subject = civicgrid.MeetingSubject(id)
		ev.Data = map[string]string{"user": fmt.Sprint(userID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, id)
}

// PublishMinutes records the minutes and decisions with the quorum as
// attendance stands, once.
func (db *DB) PublishMinutes(ctx context.Context, id int64, minutes string, items []civicgrid.AgendaItem, photos []string, ev civicgrid.CogovEvent) (civicgrid.Meeting, error) {
	if photos == nil {
		photos = []string{}
	}
	photoJSON, _ := json.Marshal(photos)
	err := db.inTx(ctx, func(tx *Tx) error {
		m, err := lockMeeting(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Status != civicgrid.MeetingScheduled {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "meeting %d is %s: its minutes are published once, for a meeting held", id, m.Status)
		}
		met := civicgrid.MeetingQuorumMet(m.Rule, m.Attended, m.Invited)
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_meetings SET status = $1, minutes = $2, quorum_met = $3, published_at = $4, photos = $5 WHERE id = $6`,
			string(civicgrid.MeetingPublished), minutes, met, ev.At.UnixMilli(), string(photoJSON), id); err != nil {
			return err
		}
		data := map[string]string{"attended": fmt.Sprint(m.Attended), "invited": fmt.Sprint(m.Invited), "quorum_met": fmt.Sprint(met),
			"minutes": minutes}
		if len(photos) > 0 { // minutes without photos hash as before
			data["photos"] = strings.Join(photos, ",")
		}
		for _, it := range items {
			res, err := tx.ExecContext(ctx, `UPDATE cogov_meeting_items SET decision = $1, note = $2 WHERE meeting_id = $3 AND proposal_id = $4`,
				it.Decision, it.Note, id, it.ProposalID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return civicgrid.Errorf(civicgrid.EINVALID, "proposal %d is not on meeting %d's agenda", it.ProposalID, id)
			}
			data["item:"+fmt.Sprint(it.ProposalID)] = it.Decision + "\x1f" + it.Note
			p, err := lockProposal(ctx, tx, it.ProposalID, ev.At)
			if err != nil {
				return err
			}
			// The decision moves the proposal on (deferred leaves it on the agenda).
			if to, ok := map[string]civicgrid.ProposalStatus{civicgrid.ItemAdopted: civicgrid.ProposalAdopted,
				civicgrid.ItemNotAdopted: civicgrid.ProposalRejected}[it.Decision]; ok && p.Status == civicgrid.ProposalAgenda {
				if _, err := tx.ExecContext(ctx, `UPDATE cogov_proposals SET status = $1 WHERE id = $2`, string(to), it.ProposalID); err != nil {
					return err
				}
			}
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(it.ProposalID), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovMinutesPublished, Note: it.Note,
				Data: map[string]string{"meeting": fmt.Sprint(id), "decision": it.Decision}}); err != nil {
				return err
			}
		}
		ev.Subject = civicgrid.MeetingSubject(id)
		ev.Data = data
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Meeting{}, err
	}
	return db.MeetingByID(ctx, id)
}

// ProposalMeetings lists the meetings that have the proposal on their agenda.
func (db *DB) ProposalMeetings(ctx context.Context, proposalID int64) ([]civicgrid.ProposalMeeting, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT m.id, m.title, m.starts_at, m.status, i.decision, i.note FROM cogov_meeting_items i
		JOIN cogov_meetings m ON m.id = i.meeting_id WHERE i.proposal_id = $1 ORDER BY m.id`, proposalID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.ProposalMeeting, error) {
		var pm civicgrid.ProposalMeeting
		var starts int64
		err := sc.Scan(&pm.MeetingID, &pm.Title, &starts, &pm.Status, &pm.Decision, &pm.Note)
		pm.StartsAt = time.UnixMilli(starts)
		if pm.Status != civicgrid.MeetingPublished { // decisions are out with the minutes
			pm.Decision, pm.Note = "", ""
		}
		return pm, err
	})
}
