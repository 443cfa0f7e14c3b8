package sqlstore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkCastBallot casts b.N secret ballots, 8 at a time, into one vote
// whose roll holds b.N residents, and reports ballots/s and the 99th
// percentile of a cast (the target: ≥ 1,000/s, p99 ≤ 50 ms on
// SQLite). The roll's freezing is timed too.
func BenchmarkCastBallot(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testURL(b), b.TempDir()) // the suite's store
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	grants := make([]civicgrid.Grant, b.N)
	for i := range grants {
		grants[i] = civicgrid.Grant{Name: "居民", Phone: fmt.Sprintf("13%09d", i), Role: civicgrid.RoleResident, AreaCode: cgBuilding}
	}
	if err := db.GrantRoles(ctx, grants); err != nil {
		b.Fatal(err)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM users ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	users, err := collect(rows, func(sc rowScanner) (id int64, err error) { return id, sc.Scan(&id) })
	if err != nil || len(users) != b.N {
		b.Fatalf("%d users: %v", len(users), err)
	}
	now := time.Now()
	v, err := civicgrid.VoteInput{AreaCode: cgCommunity, Question: "q", Method: civicgrid.MethodYesNo, Hours: 24}.Check(now)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "b", Action: civicgrid.CogovVoteOpened})
	if err != nil {
		b.Fatal(err)
	}
	freeze := time.Since(start)
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start = time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				_, hash := civicgrid.NewReceipt()
				t0 := time.Now()
				if err := db.CastBallot(ctx, v.ID, users[i], civicgrid.Ballot{ReceiptHash: hash, Choices: []string{"yes"}}, now); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ballots/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(freeze.Milliseconds()), "freeze-ms")
}

// BenchmarkCloseVoteTally closes a ranked poll holding 10⁵ ballots (10⁶
// with CIVICGRID_BENCH_LARGE=1), put into the box with its kept tally in
// batches of 500 (the store's own addToBox, without the roll), and reports
// side by side in the same run:
//
//   - close-ms: the close, which reads the kept tally (a line per distinct
//     ballot, five here), counts it and stores the result;
//   - recount-ms: what the close did before kept tallies, and what a
//     recount still does: read every ballot in receipt order, make its
//     count (the digest of every ballot included) and count that.
//
// The target is a tally of 10⁶ in ≤ 1 s.
func BenchmarkCloseVoteTally(b *testing.B) {
	ctx := context.Background()
	n := 100_000
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		n = 1_000_000
	}
	db, err := Open(ctx, testURL(b), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.GrantRoles(ctx, []civicgrid.Grant{{Name: "居民", Phone: "13000000000", Role: civicgrid.RoleResident, AreaCode: cgBuilding}}); err != nil {
		b.Fatal(err)
	}
	rankings := [][]string{{"A", "B"}, {"B", "C", "A"}, {"C"}, {"D", "C"}, {"A", "D", "B", "C"}}
	var closing, recount time.Duration
	for b.Loop() {
		b.StopTimer()
		now := time.Now()
		v, err := civicgrid.VoteInput{AreaCode: cgCommunity, Question: "q", Method: civicgrid.MethodRanked, Options: []string{"A", "B", "C", "D"}, Hours: 24}.Check(now)
		if err != nil {
			b.Fatal(err)
		}
		if v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "b", Action: civicgrid.CogovVoteOpened}); err != nil {
			b.Fatal(err)
		}
		for done := 0; done < n; {
			bs := make([]civicgrid.Ballot, min(500, n-done))
			for j := range bs {
				_, h := civicgrid.NewReceipt()
				bs[j] = civicgrid.Ballot{ReceiptHash: h, Choices: rankings[(done+j)%len(rankings)]}
			}
			if err := db.inTx(ctx, func(tx *Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE cogov_votes SET ballots = ballots + $1 WHERE id = $2`, len(bs), v.ID); err != nil {
					return err
				}
				kv, digest, err := voteBox(ctx, tx, v.ID)
				if err != nil {
					return err
				}
				return addToBox(ctx, tx, kv, digest, bs)
			}); err != nil {
				b.Fatal(err)
			}
			done += len(bs)
		}
		b.StartTimer()
		start := time.Now()
		closed, err := db.CloseVote(ctx, v.ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "b", Action: civicgrid.CogovVoteClosed})
		if err != nil {
			b.Fatal(err)
		}
		closing += time.Since(start)
		b.StopTimer()
		if closed.Result.Ballots != n {
			b.Fatalf("%d ballots", closed.Result.Ballots)
		}
		start = time.Now()
		box, err := db.Ballots(ctx, v.ID)
		if err != nil {
			b.Fatal(err)
		}
		r := civicgrid.Tally(closed, closed.RollSize, box)
		recount += time.Since(start)
		if r.BallotDigest != closed.Result.BallotDigest || civicgrid.Recount(closed, box) != nil {
			b.Fatal("the recount differs from the kept tally's result")
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(closing.Milliseconds())/float64(b.N), "close-ms")
	b.ReportMetric(float64(recount.Milliseconds())/float64(b.N), "recount-ms")
}
