package sqlstore

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// testURL is a fresh PostgreSQL database when CIVICGRID_TEST_POSTGRES names
// a server (see internal/testdb, which this package's tests cannot import),
// or "" for SQLite.
func testURL(t testing.TB) string {
	t.Helper()
	server := os.Getenv("CIVICGRID_TEST_POSTGRES")
	if server == "" {
		return ""
	}
	u, drop, err := NewScratchDatabase(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop() })
	return u
}

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), testURL(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func square(x0, y0, d float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
}

func sampleAreas() []civicgrid.Area {
	return []civicgrid.Area{
		{Code: "420102", Level: civicgrid.LevelDistrict, Name: "江岸区"},
		{Code: "420102001", Level: civicgrid.LevelStreet, Name: "大智街道", ParentCode: "420102", Geometry: square(114.3, 30.6, 0.01)},
		{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区", ParentCode: "420102001", Geometry: square(114.3, 30.6, 0.01)},
		{Code: "420102001001001", Level: civicgrid.LevelGrid, Name: "第一网格", ParentCode: "420102001001",
			Geometry: square(114.3, 30.6, 0.01), Workers: []civicgrid.Worker{{Name: "张伟", Phone: "13800001234"}}},
	}
}

func TestApplyAreasVersions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	res, err := db.ApplyAreas(ctx, sampleAreas(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (civicgrid.ImportResult{Created: 4}); got != want {
		t.Fatalf("first import: got %+v, want %+v", got, want)
	}
	gen1, _ := db.AreaGeneration(ctx)

	// The same again changes nothing and does not bump the generation.
	res, err = db.ApplyAreas(ctx, sampleAreas(), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (civicgrid.ImportResult{Unchanged: 4}); got != want {
		t.Fatalf("re-import: got %+v, want %+v", got, want)
	}
	if gen, _ := db.AreaGeneration(ctx); gen != gen1 {
		t.Fatalf("generation moved on an unchanged import: %d → %d", gen1, gen)
	}

	// Redrawing the grid ends the old version and keeps it.
	old, err := db.AreaByCode(ctx, "420102001001001")
	if err != nil {
		t.Fatal(err)
	}
	redrawn := sampleAreas()[3]
	redrawn.Geometry = square(114.3, 30.6, 0.005)
	t2 := t0.Add(48 * time.Hour)
	res, err = db.ApplyAreas(ctx, []civicgrid.Area{redrawn}, t2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Redrawn != 1 {
		t.Fatalf("redraw: got %+v", res)
	}
	versions, err := db.AreaVersions(ctx, redrawn.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 {
		t.Fatalf("got %d versions, want 2", len(versions))
	}
	if versions[0].ID != old.ID || !versions[0].ValidTo.Equal(t2) || !versions[1].Current() {
		t.Fatalf("old version not ended properly: %+v", versions)
	}
	if b := versions[0].Geometry.Bound(); b.Max[0] != 114.31 {
		t.Fatalf("old version's shape changed: %v", b)
	}
	cur, _ := db.AreaByCode(ctx, redrawn.Code)
	if cur.ID == old.ID || math.Abs(cur.Geometry.Bound().Max[0]-114.305) > 1e-9 {
		t.Fatalf("current version wrong: %+v", cur)
	}
	if len(cur.Workers) != 1 || cur.Workers[0].Phone != "13800001234" {
		t.Fatalf("workers: %+v", cur.Workers)
	}
	if gen, _ := db.AreaGeneration(ctx); gen != gen1+1 {
		t.Fatalf("generation %d, want %d", gen, gen1+1)
	}
}

func TestCurrentAreasFilters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.ApplyAreas(ctx, sampleAreas(), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    civicgrid.AreaFilter
		want int
	}{
		{"all", civicgrid.AreaFilter{}, 4},
		{"grids", civicgrid.AreaFilter{Level: civicgrid.LevelGrid}, 1},
		{"within street", civicgrid.AreaFilter{Within: "420102001"}, 3},
		{"within other", civicgrid.AreaFilter{Within: "420103"}, 0},
		{"bbox hit", civicgrid.AreaFilter{BBox: &orb.Bound{Min: orb.Point{114.305, 30.605}, Max: orb.Point{114.4, 30.7}}}, 3},
		{"bbox miss", civicgrid.AreaFilter{BBox: &orb.Bound{Min: orb.Point{114.4, 30.7}, Max: orb.Point{114.5, 30.8}}}, 0},
		{"limit", civicgrid.AreaFilter{Limit: 2}, 2},
	} {
		got, err := db.CurrentAreas(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: got %d areas, want %d", tc.name, len(got), tc.want)
		}
	}
}

func TestApplyAreasAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	areas := sampleAreas()
	areas[2].Level = "bogus" // violates the level CHECK after two rows went in
	if _, err := db.ApplyAreas(ctx, areas, time.Now()); err == nil {
		t.Fatal("want an error")
	}
	got, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a failed import left %d rows", len(got))
	}
	if _, err := db.AreaByCode(ctx, "420102"); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("got %v, want not found", err)
	}
}

func TestMigrateIsIdempotentAndDurable(t *testing.T) {
	ctx := context.Background()
	dir, u := t.TempDir(), testURL(t)
	db, err := Open(ctx, u, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyAreas(ctx, sampleAreas(), time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, u, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.AppliedAt.IsZero() {
			t.Errorf("migration %s pending after open", m.Name)
		}
	}
	if a, err := db.AreaByCode(ctx, "420102001001001"); err != nil || a.Name != "第一网格" {
		t.Fatalf("after reopen: %+v %v", a, err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return now }

	secret, tok, err := db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "import", Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102", ExpiresAt: now.Add(time.Hour)}, civicgrid.SecurityEvent{})
	id := tok.ID
	if err != nil {
		t.Fatal(err)
	}
	tok, err = db.AuthenticateAPIToken(ctx, secret)
	if err != nil || tok.ID != id || tok.Role != civicgrid.RoleDistrictAdmin || !tok.Grant().Covers("420102001") || tok.Grant().Covers("420103") {
		t.Fatalf("authenticate: %+v %v", tok, err)
	}
	var stored string
	db.read.QueryRow(`SELECT token_hash FROM api_tokens WHERE id = $1`, id).Scan(&stored)
	if stored == secret || stored == "" {
		t.Fatal("the secret is stored in clear")
	}
	if _, err := db.AuthenticateAPIToken(ctx, secret+"x"); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("wrong secret: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := db.AuthenticateAPIToken(ctx, secret); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("expired: %v", err)
	}
	secret2, tok2, _ := db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "x", Role: civicgrid.RoleCityAdmin, AreaCode: "4201"}, civicgrid.SecurityEvent{})
	id2 := tok2.ID
	if err := db.RevokeAPIToken(ctx, id2, civicgrid.SecurityEvent{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateAPIToken(ctx, secret2); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("revoked: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, id2, civicgrid.SecurityEvent{}); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("second revoke: %v", err)
	}
}

// TestDialectFollowsTheEnvironment guards the two-store suite: with a
// PostgreSQL server configured the tests must really run on it.
func TestDialectFollowsTheEnvironment(t *testing.T) {
	db := openTest(t)
	want := SQLite
	if os.Getenv("CIVICGRID_TEST_POSTGRES") != "" {
		want = Postgres
	}
	if db.Dialect() != want {
		t.Fatalf("tests run on %s, want %s", db.Dialect(), want)
	}
	var one int
	if err := db.SQL().QueryRow(`SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("store does not answer: %v", err)
	}
}
