package sqlstore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Notices at scale (docs/benchmarks.md): posting costs the same whatever
// the audience (one row), and the follow-up list of a street — its counts
// and the first page of who has not confirmed — with a tenth of the
// residents having read it.
//
//	go test ./sqlstore -run '^$' -bench Notice -benchtime 20x
func BenchmarkNoticePost(b *testing.B) {
	for _, people := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("audience=%d", people), func(b *testing.B) {
			db := benchNoticeDB(b, people)
			in := civicgrid.NoticeInput{Scope: cgCommunity[:6], Audience: civicgrid.AudienceResidents, Title: "停水通知", Body: "明天停水。", NeedConfirm: true}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, err := in.Check(time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.CreateNotice(context.Background(), n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The counts as they were (counts=before) and as they are (counts=now)
// run on the same store, alternating round by round, so that the shared
// machine's load falls on both alike; p50 and p99 of the whole follow-up
// (counts and first page) are reported.
func BenchmarkNoticeFollowUp(b *testing.B) {
	for _, people := range []int{1_000, 100_000} {
		ctx := context.Background()
		var db *DB
		var n civicgrid.Notice
		setup := func(b *testing.B) {
			if db != nil {
				return
			}
			db = benchNoticeDB(b, people)
			n = postNotice(b, db, cgCommunity[:9], civicgrid.AudienceResidents, true)
			// A tenth read it, half of those confirmed.
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO notice_receipts (notice_id, user_id, read_at, confirmed_at)
				SELECT $1, id, 1, CASE WHEN id % 20 = 0 THEN 2 ELSE NULL END FROM users WHERE id % 10 = 0`, n.ID); err != nil {
				b.Fatal(err)
			}
			// As autovacuum leaves a table that was written to (the
			// visibility map lets index-only scans skip the table).
			vacuum := `VACUUM`
			if db.dialect == Postgres {
				vacuum = `VACUUM ANALYZE`
			}
			if _, err := db.SQL().ExecContext(ctx, vacuum); err != nil {
				b.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			if db.dialect == Postgres && os.Getenv("CIVICGRID_BENCH_EXPLAIN") == "1" {
				for _, before := range []bool{true, false} {
					noticeCountsBefore = before
					explainNotice(b, db, n)
				}
				noticeCountsBefore = false
			}
		}
		setup(b) // on the parent: the store outlives the sub-benchmark's rounds
		b.Run(fmt.Sprintf("street=%d", people), func(b *testing.B) {
			lat := map[bool][]time.Duration{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, before := range []bool{i%2 == 0, i%2 == 1} {
					noticeCountsBefore = before
					t0 := time.Now()
					followUpOnce(b, db, n, people)
					lat[before] = append(lat[before], time.Since(t0))
				}
			}
			noticeCountsBefore = false
			for _, before := range []bool{true, false} {
				l := lat[before]
				slices.Sort(l)
				name := map[bool]string{true: "before", false: "now"}[before]
				b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, name+"-p50-ms")
				b.ReportMetric(float64(l[len(l)*99/100].Microseconds())/1000, name+"-p99-ms")
			}
		})
	}
}

// followUpOnce is the follow-up list's counts and first page, checked.
func followUpOnce(b *testing.B, db *DB, n civicgrid.Notice, people int) {
	ctx := context.Background()
	c, err := db.CountNotice(ctx, n, n.Scope)
	if err != nil || c.Audience != people || c.Read != people/10 || c.Confirmed != people/20 {
		b.Fatalf("counts %+v %v", c, err)
	}
	ps, err := db.Unreached(ctx, n, n.Scope, civicgrid.UnreachedCursor{}, 101)
	if err != nil || len(ps) != 101 {
		b.Fatalf("%d unreached %v", len(ps), err)
	}
}

// explainNotice prints the plans (EXPLAIN ANALYZE, BUFFERS) of the
// follow-up list's queries (CIVICGRID_BENCH_EXPLAIN=1, PostgreSQL).
func explainNotice(b *testing.B, db *DB, n civicgrid.Notice) {
	ctx := context.Background()
	type query struct {
		sql  string
		args []any
	}
	var qs []query
	noticeTrace = func(sql string, args []any) { qs = append(qs, query{sql, slices.Clone(args)}) }
	_, err := db.CountNotice(ctx, n, n.Scope)
	if err == nil {
		_, err = db.Unreached(ctx, n, n.Scope, civicgrid.UnreachedCursor{}, 101)
	}
	noticeTrace = func(string, []any) {}
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range qs {
		rows, err := db.rd.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		fmt.Printf("EXPLAIN %s\n%s\n%s\n", b.Name(), q.sql, strings.Join(plan, "\n"))
	}
}

// benchNoticeDB is a store with people residents in the test community.
func benchNoticeDB(b *testing.B, people int) *DB {
	b.Helper()
	db, err := Open(context.Background(), testURL(b), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	start := time.Now()
	seedResidents(b, db, cgCommunity, people, 0)
	if _, err := db.SQL().ExecContext(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d residents in %s", people, time.Since(start).Round(time.Millisecond))
	return db
}
