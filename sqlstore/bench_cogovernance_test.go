package sqlstore

import (
	"context"
	"fmt"
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
