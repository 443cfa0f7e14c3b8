package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Casting secret ballots, group-committed (groupCommit, as case intake):
// every cast of one vote takes that vote's row lock and brings its kept
// tally and box digest up to date, so casts of one vote run one after the
// other whatever the number of writers; gathered into one transaction they
// share the lock, the tally's update and the sync of the disk.

type castRequest struct {
	voteID, userID int64
	b              civicgrid.Ballot
	now            time.Time
}

type ballotBatcher = groupCommit[castRequest, error]

// newBallots is the group commit of ballots.
func (db *DB) newBallots() *ballotBatcher {
	return &ballotBatcher{write: db.writeCasts, fail: func(err error) error { return err }}
}

// CastBallot marks the voter and drops the ballot in the box, with the
// kept tally, in one transaction shared with the casts that arrive
// meanwhile. It returns once that transaction is committed, or with the
// reason this ballot was refused (closed, off the roll, voted already on
// any channel, the household voted): a refused ballot writes nothing and
// fails no other.
func (db *DB) CastBallot(ctx context.Context, voteID, userID int64, b civicgrid.Ballot, now time.Time) error {
	return db.ballots.submit(ctx, castRequest{voteID: voteID, userID: userID, b: b, now: now})
}

// writeCasts writes a batch of casts in one transaction, vote by vote in id
// order (so that two transactions never wait for each other's vote locks).
// A refused cast is answered in its result and the others committed; an
// error of the database fails the transaction and every result carries it.
func (db *DB) writeCasts(ctx context.Context, batch []castRequest) ([]error, error) {
	results := make([]error, len(batch))
	byVote := map[int64][]int{}
	for i, r := range batch {
		byVote[r.voteID] = append(byVote[r.voteID], i)
	}
	ids := make([]int64, 0, len(byVote))
	for id := range byVote {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := db.inTx(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if err := castInTx(ctx, tx, id, batch, byVote[id], results); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for i := range results {
			results[i] = err
		}
	}
	return results, err
}

// castInTx casts the members of one vote: it takes the vote's row lock, so
// a cast and the close never interleave and the roll is read and marked by
// one cast at a time; then checks and marks each voter in turn (a voter
// twice in the batch finds their first ballot), and drops the accepted
// ballots into the box with the kept tally at once.
func castInTx(ctx context.Context, tx *Tx, voteID int64, batch []castRequest, members []int, results []error) error {
	res, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET ballots = ballots WHERE id = $1`, voteID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		for _, i := range members {
			results[i] = civicgrid.Errorf(civicgrid.ENOTFOUND, "no vote %d", voteID)
		}
		return nil
	}
	v, digest, err := voteBox(ctx, tx, voteID)
	if err != nil {
		return err
	}
	var box []civicgrid.Ballot
	for _, i := range members {
		r := batch[i]
		if !v.Accepting(r.now) {
			results[i] = civicgrid.Errorf(civicgrid.ECONFLICT, "vote %d is closed: it takes no more ballots", voteID)
			continue
		}
		weight, err := markVoter(ctx, tx, v, r.userID)
		var refused *civicgrid.Error
		switch {
		case errors.As(err, &refused):
			results[i] = err
			continue
		case err != nil:
			return err
		}
		b := r.b
		b.Weight = weight
		box = append(box, b)
	}
	if len(box) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET ballots = ballots + $1 WHERE id = $2`, len(box), voteID); err != nil {
		return err
	}
	// In receipt order: the rows of one transaction say nothing of the
	// order its ballots came in, even where the database keeps rows in the
	// order they were written (PostgreSQL's heap).
	slices.SortFunc(box, func(a, b civicgrid.Ballot) int { return strings.Compare(a.ReceiptHash, b.ReceiptHash) })
	return addToBox(ctx, tx, v, digest, box)
}

// markVoter checks that the person may cast this vote's ballot — on the
// roll, not voted on any channel, their household not voted in a household
// vote — and marks them (and their household) as having voted online. It
// returns the ballot's weight: the owner's area in an owners' vote, 0
// otherwise. A refusal is a *civicgrid.Error and writes nothing. The
// caller holds the vote's row lock, which every writer of its roll takes.
func markVoter(ctx context.Context, tx *Tx, v civicgrid.Vote, userID int64) (int64, error) {
	var (
		voted     bool
		channel   string
		household sql.NullInt64
		weight    int64
	)
	switch err := tx.QueryRowContext(ctx, `SELECT voted, channel, household_id, weight FROM cogov_roll WHERE vote_id = $1 AND user_id = $2`,
		v.ID, userID).Scan(&voted, &channel, &household, &weight); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, civicgrid.Errorf(civicgrid.EFORBIDDEN, "you are not on the roll of vote %d", v.ID)
	case err != nil:
		return 0, err
	case voted && channel == civicgrid.ChannelPaper:
		return 0, civicgrid.Errorf(civicgrid.ECONFLICT, "you voted in vote %d on paper at the ballot box already: one ballot per person, on any channel", v.ID)
	case voted:
		return 0, civicgrid.Errorf(civicgrid.ECONFLICT, "you have voted in vote %d already: one ballot per person", v.ID)
	}
	if err := claimUnit(ctx, tx, v.ID, electorateOf(v), household); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cogov_roll SET voted = TRUE, channel = $1 WHERE vote_id = $2 AND user_id = $3`,
		civicgrid.ChannelOnline, v.ID, userID); err != nil {
		return 0, err
	}
	if electorateOf(v) == civicgrid.ElectorateOwners {
		return weight, nil
	}
	return 0, nil
}
