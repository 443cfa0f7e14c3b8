package sqlstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// What keeping the audience counts costs a grant's write: a volunteer's
// grant added to a resident of a street of 10⁵ and revoked again, with the
// counts kept (kept) and without (off), alternating round by round in the
// same run (docs/benchmarks.md).
//
//	go test ./sqlstore -run '^$' -bench GrantWrite -benchtime 40x
func BenchmarkGrantWrite(b *testing.B) {
	ctx := context.Background()
	db := benchNoticeDB(b, 100_000)
	u, err := db.CreateUser(ctx, civicgrid.User{Name: "志愿者", Phone: "13300000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: cgBuilding}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		b.Fatal(err)
	}
	lat := map[bool][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, off := range []bool{i%2 == 0, i%2 == 1} {
			audienceKeptOff = off
			t0 := time.Now()
			g, err := db.AddGrant(ctx, civicgrid.RoleGrant{UserID: u.ID, Role: civicgrid.RoleVolunteer, AreaCode: cgBuilding}, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted})
			if err == nil {
				err = db.RevokeGrant(ctx, u.ID, g.ID, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleRevoked})
			}
			lat[off] = append(lat[off], time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	audienceKeptOff = false
	b.StopTimer()
	if _, bad, err := db.CheckAudienceCounts(ctx); err != nil || len(bad) > 0 {
		b.Fatalf("counts after the rounds: %+v %v", bad, err)
	}
	for _, off := range []bool{true, false} {
		l := lat[off]
		slices.Sort(l)
		name := map[bool]string{true: "off", false: "kept"}[off]
		b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(l[len(l)*99/100].Microseconds())/1000, name+"-p99-ms")
	}
}
