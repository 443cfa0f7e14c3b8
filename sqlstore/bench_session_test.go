package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// What a logged-in request pays to read its session, with the kept read
// (kept: one point read of the user's auth version) and without (read: the
// session, the user and the grants), while another connection writes a
// row every millisecond — as intake does — so the readers' page caches are
// reset as they are in service (docs/benchmarks.md).
//
//	go test ./sqlstore -run '^$' -bench SessionRead
func BenchmarkSessionRead(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testURL(b), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ApplyAreas(ctx, sampleAreas(), time.Now()); err != nil {
		b.Fatal(err)
	}
	const community = "420102001001"
	u, err := db.CreateUser(ctx, civicgrid.User{Name: "网格员", Phone: "13300000001", Kind: civicgrid.KindStaff}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: community + "001"}, {Role: civicgrid.RoleResident, AreaCode: community},
			{Role: civicgrid.RoleVolunteer, AreaCode: community}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginOK})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.wr.ExecContext(ctx, `CREATE TABLE bench_writes (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				db.wr.ExecContext(ctx, `INSERT INTO bench_writes (v) VALUES ('a row as intake writes them')`)
			}
		}
	}()
	for _, mode := range []string{"read", "kept", "read", "kept"} {
		b.Run(mode, func(b *testing.B) {
			sessionCacheOff = mode == "read"
			defer func() { sessionCacheOff = false }()
			for i := 0; i < b.N; i++ {
				if _, _, err := db.SessionUser(ctx, secret, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
