package sqlstore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
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

// BenchmarkCloseVoteTally closes a vote holding 10⁵ ballots (10⁶ with
// CIVICGRID_BENCH_LARGE=1), put into the box directly: reading every
// ballot, the count (a ranked poll's runoff) and storing the result, in the
// close's one transaction. The target is a tally of 10⁶ in ≤ 1 s.
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
	rankings := []string{`["A","B"]`, `["B","C","A"]`, `["C"]`, `["D","C"]`, `["A","D","B","C"]`}
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
			k := min(500, n-done)
			var sb strings.Builder
			args := make([]any, 0, 2*k)
			sb.WriteString(`INSERT INTO cogov_ballots (vote_id, receipt_hash, choices) VALUES `)
			for j := range k {
				if j > 0 {
					sb.WriteString(", ")
				}
				_, h := civicgrid.NewReceipt()
				args = append(args, h, rankings[(done+j)%len(rankings)])
				fmt.Fprintf(&sb, "(%d, $%d, $%d)", v.ID, 2*j+1, 2*j+2)
			}
			if _, err := db.SQL().ExecContext(ctx, sb.String(), args...); err != nil {
				b.Fatal(err)
			}
			done += k
		}
		b.StartTimer()
		closed, err := db.CloseVote(ctx, v.ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "b", Action: civicgrid.CogovVoteClosed})
		if err != nil {
			b.Fatal(err)
		}
		if closed.Result.Ballots != n {
			b.Fatalf("%d ballots", closed.Result.Ballots)
		}
	}
}
