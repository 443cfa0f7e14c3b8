package sqlstore

import (
	"context"
	"fmt"
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

func BenchmarkNoticeFollowUp(b *testing.B) {
	for _, people := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("street=%d", people), func(b *testing.B) {
			ctx := context.Background()
			db := benchNoticeDB(b, people)
			n := postNotice(b, db, cgCommunity[:9], civicgrid.AudienceResidents, true)
			// A tenth read it, half of those confirmed.
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO notice_receipts (notice_id, user_id, read_at, confirmed_at)
				SELECT $1, id, 1, CASE WHEN id % 20 = 0 THEN 2 ELSE NULL END FROM users WHERE id % 10 = 0`, n.ID); err != nil {
				b.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := db.CountNotice(ctx, n, n.Scope)
				if err != nil || c.Audience != people || c.Read != people/10 {
					b.Fatalf("counts %+v %v", c, err)
				}
				ps, err := db.Unreached(ctx, n, n.Scope, civicgrid.UnreachedCursor{}, 101)
				if err != nil || len(ps) != 101 {
					b.Fatalf("%d unreached %v", len(ps), err)
				}
			}
		})
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
