package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The stored audience counts follow every way grants are written — a
// user created with grants, a grant added, revoked, granted by phone,
// a grid's workers replaced by an area import — and give each notice's
// audience exactly as COUNT(DISTINCT) over the grants did, for every
// audience, scope and area within it, including people holding a role
// twice in a subtree, several roles, and roles above the scope.
func TestAudienceCountsKept(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	rng := rand.New(rand.NewPCG(45, 1))
	// Areas: two communities of a street, two grids each, two buildings
	// each, and another district.
	var buildings, grids, communities []string
	for c := 1; c <= 2; c++ {
		com := fmt.Sprintf("420102001%03d", c)
		communities = append(communities, com)
		for g := 1; g <= 2; g++ {
			grid := fmt.Sprintf("%s%03d", com, g)
			grids = append(grids, grid)
			for b := 1; b <= 2; b++ {
				buildings = append(buildings, fmt.Sprintf("%s%04d", grid, b))
			}
		}
	}
	away := "4201030010010010001"
	areas := append(append(append(append([]string{}, buildings...), grids...), communities...), "420102001", "420102", "420100", away)
	roles := []string{civicgrid.RoleResident, civicgrid.RoleVolunteer, civicgrid.RoleGridWorker, civicgrid.RoleBuilding, civicgrid.RoleCommunityStaff}
	var grants []civicgrid.RoleGrant // as held, with their ids
	check := func(step string) {
		t.Helper()
		n, bad, err := db.CheckAudienceCounts(ctx)
		if err != nil || len(bad) > 0 || (n == 0 && step != "empty") {
			t.Fatalf("%s: %d rows checked, differ: %+v %v", step, n, bad, err)
		}
		for _, scope := range append([]string{"420102001", "420102"}, communities[0], grids[1], buildings[2]) {
			for aud := range civicgrid.NoticeAudiences {
				n := civicgrid.Notice{ID: 1, Scope: scope, Audience: aud}
				for _, within := range []string{"", scope, grids[0], buildings[1]} {
					if within != "" && !civicgrid.InSubtree(scope, within) {
						continue
					}
					noticeCountsBefore = true
					want, err1 := db.audienceSize(ctx, n, within)
					noticeCountsBefore = false
					got, err2 := db.audienceSize(ctx, n, within)
					if err1 != nil || err2 != nil || got != want {
						t.Fatalf("%s: notice to %s of %s within %q: stored %d, counted %d (%v %v)", step, aud, scope, within, got, want, err1, err2)
					}
				}
			}
		}
	}
	check("empty")
	for i := 0; i < 40; i++ {
		var gs []civicgrid.RoleGrant
		for j := 0; j <= rng.IntN(3); j++ {
			g := civicgrid.RoleGrant{Role: roles[rng.IntN(len(roles))], AreaCode: areas[rng.IntN(len(areas))]}
			if g.Role == civicgrid.RoleBuilding {
				g.Detail = "building_head"
			}
			gs = append(gs, g)
		}
		u, err := db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("人%d", i), Phone: fmt.Sprintf("1370000%04d", i), Kind: civicgrid.KindResident},
			"", dedupe(gs), civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		grants = append(grants, u.Grants...)
	}
	check("users created")
	for i := 0; i < 30; i++ {
		g := grants[rng.IntN(len(grants))]
		add := civicgrid.RoleGrant{UserID: g.UserID, Role: roles[rng.IntN(len(roles))], AreaCode: areas[rng.IntN(len(areas))], Detail: fmt.Sprintf("d%d", i)}
		added, err := db.AddGrant(ctx, add, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted})
		if err != nil {
			t.Fatal(err)
		}
		grants = append(grants, added)
	}
	check("grants added")
	for i := 0; i < 30; i++ {
		k := rng.IntN(len(grants))
		g := grants[k]
		grants = append(grants[:k], grants[k+1:]...)
		if err := db.RevokeGrant(ctx, g.UserID, g.ID, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleRevoked}); err != nil {
			t.Fatal(err)
		}
	}
	check("grants revoked")
	if err := db.GrantRoles(ctx, []civicgrid.Grant{{Name: "人1", Phone: "13700000001", Role: civicgrid.RoleVolunteer, AreaCode: "420102001"},
		{Name: "新人", Phone: "13600000001", Role: civicgrid.RoleResident, AreaCode: buildings[0]}}); err != nil {
		t.Fatal(err)
	}
	check("roles granted by phone")
	// A grid's workers: two set, then one replaced by another.
	grid := civicgrid.Area{Code: grids[0], Level: civicgrid.LevelGrid, Name: "一网格", ParentCode: communities[0],
		Workers: []civicgrid.Worker{{Name: "网格员甲", Phone: "13500000001"}, {Name: "人2", Phone: "13700000002"}}}
	if _, err := db.ApplyAreas(ctx, []civicgrid.Area{grid}, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("grid workers set")
	grid.Workers = []civicgrid.Worker{{Name: "人2", Phone: "13700000002"}, {Name: "网格员乙", Phone: "13500000002"}}
	if _, err := db.ApplyAreas(ctx, []civicgrid.Area{grid}, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("grid workers replaced")

	// verify finds a row gone wrong, and a rebuild mends it.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE area_audience_counts SET people = people + 1 WHERE area_code = '420102001' AND role = '*'`); err != nil {
		t.Fatal(err)
	}
	if _, bad, err := db.CheckAudienceCounts(ctx); err != nil || len(bad) != 1 || bad[0].Area != "420102001" || bad[0].Stored != bad[0].Counted+1 {
		t.Fatalf("a changed row: %+v %v", bad, err)
	}
	if err := db.RebuildAudienceCounts(ctx); err != nil {
		t.Fatal(err)
	}
	check("rebuilt")
}

// dedupe drops a grant given twice (same role, area and detail).
func dedupe(gs []civicgrid.RoleGrant) []civicgrid.RoleGrant {
	seen := map[[3]string]bool{}
	var out []civicgrid.RoleGrant
	for _, g := range gs {
		k := [3]string{g.Role, g.AreaCode, g.Detail}
		if !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	return out
}

// Two grants of one person written at once (two admins) count the person
// once: the second waits for the first and reads its grant.
func TestAudienceCountsUnderRace(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for i := 0; i < 8; i++ {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("志愿者%d", i), Phone: fmt.Sprintf("1330000%04d", i), Kind: civicgrid.KindResident},
			"", nil, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, b := range []string{"4201020010010010001", "4201020010010020001"} {
			go func() {
				_, err := db.AddGrant(ctx, civicgrid.RoleGrant{UserID: u.ID, Role: civicgrid.RoleVolunteer, AreaCode: b}, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted})
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, bad, err := db.CheckAudienceCounts(ctx); err != nil || len(bad) > 0 {
		t.Fatalf("after grants at once: %+v %v", bad, err)
	}
}
