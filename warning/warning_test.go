package warning_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/warning"
)

func square(x0, y0, d float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
}

// Four grids in a row (each shares an edge with the next), a fifth that
// only touches the fourth at a corner, and one grid in another district.
func testAreas() []civicgrid.Area {
	d := 0.005
	as := []civicgrid.Area{
		{Code: "420102", Level: civicgrid.LevelDistrict, Name: "江岸区"},
		{Code: "420102001", Level: civicgrid.LevelStreet, Name: "大智街道", ParentCode: "420102", Geometry: square(114.3, 30.6, 0.03)},
		{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区", ParentCode: "420102001", Geometry: square(114.3, 30.6, 0.03)},
		{Code: "420106", Level: civicgrid.LevelDistrict, Name: "武昌区"},
		{Code: "420106001", Level: civicgrid.LevelStreet, Name: "积玉桥街道", ParentCode: "420106", Geometry: square(114.31, 30.55, 0.01)},
		{Code: "420106001001", Level: civicgrid.LevelCommunity, Name: "和平社区", ParentCode: "420106001", Geometry: square(114.31, 30.55, 0.01)},
		{Code: "420106001001001", Level: civicgrid.LevelGrid, Name: "第一网格", ParentCode: "420106001001", Geometry: square(114.31, 30.55, d)},
	}
	for i := range 4 {
		as = append(as, civicgrid.Area{Code: "420102001001" + []string{"001", "002", "003", "004"}[i], Level: civicgrid.LevelGrid,
			Name: "网格", ParentCode: "420102001001", Geometry: square(114.3+float64(i)*d, 30.6, d)})
	}
	as = append(as, civicgrid.Area{Code: "420102001001005", Level: civicgrid.LevelGrid, Name: "网格", ParentCode: "420102001001",
		Geometry: square(114.3+4*d, 30.6+d, d)})
	return as
}

var now = time.Date(2026, 3, 3, 9, 0, 0, 0, civicgrid.Beijing) // the day after the day judged
var judged = time.Date(2026, 3, 2, 0, 0, 0, 0, civicgrid.Beijing)

type env struct {
	db  *sqlstore.DB
	svc *warning.Service
	ids int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testdb.Open(t, t.TempDir())
	if _, err := db.ApplyAreas(context.Background(), testAreas(), now.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"C0005", "06010", "09009"} {
		if err := db.PutCategory(context.Background(), civicgrid.Category{Code: code, NameZH: code, NameEN: code, RespondWithin: "1h",
			ResolveWithin: "8h", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	return &env{db: db, svc: warning.New(warning.Config{Now: func() time.Time { return now }}, db, db, nil)}
}

// staff makes an account holding role over area.
func (e *env) staff(t *testing.T, role, area string) civicgrid.Actor {
	t.Helper()
	e.ids++
	u, err := e.db.CreateUser(context.Background(), civicgrid.User{Name: "王芳", Phone: fmt.Sprintf("138%08d", e.ids), Kind: civicgrid.KindStaff},
		"", []civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	return civicgrid.Actor{UserID: u.ID, Name: u.Name, Phone: u.Phone, Via: "session", Grants: u.Grants}
}

// report stores n reports of a category in a grid on a day, through the
// store's case intake (which keeps the rollups).
func (e *env) report(t *testing.T, grid, cat string, day time.Time, n int) {
	t.Helper()
	for range n {
		e.ids++
		at := day.Add(10*time.Hour + time.Duration(e.ids)*time.Second)
		c := civicgrid.Case{Category: cat, GridCode: grid, Status: civicgrid.StatusReported, Channel: "app", CreatedAt: at, UpdatedAt: at,
			Lat: 30.601, Lng: 114.301}
		if _, _, err := e.db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: at, Actor: "t", Action: civicgrid.CaseReport,
			To: c.Status, Data: map[string]string{civicgrid.DataCategory: cat, civicgrid.DataGrid: grid}}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

var system = civicgrid.Actor{Via: "cli"}

func TestRunDayFromRollups(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// A quiet background: one report every other week in grid 1; a spike
	// of 6 in grid 2 on the day judged; grids 3 and 4 a report every other
	// day, then 11 in the week judged (a cluster: each a little up, not
	// enough alone); grid 5 (touching 4 at a corner only) as 3 and 4 but
	// quiet in the week judged; a spike in the other district.
	for w := 2; w < 20; w += 2 {
		e.report(t, "420102001001001", "C0005", judged.AddDate(0, 0, -7*w), 1)
	}
	e.report(t, "420102001001002", "C0005", judged, 6)
	e.report(t, "420102001001002", "06010", judged.AddDate(0, 0, -1), 1) // another category: no part of the spike
	for back := range 77 {
		n := back % 2 // a report every other day before the week judged
		if back < 7 {
			n = 1 + (back+1)%2 // 2, 1, 2, …: 11 in the week, against 3.5
		}
		for _, g := range []string{"420102001001003", "420102001001004", "420102001001005"} {
			if back < 7 && g == "420102001001005" {
				continue
			}
			e.report(t, g, "09009", judged.AddDate(0, 0, -back), n)
		}
	}
	e.report(t, "420106001001001", "C0005", judged, 7)

	as, err := e.svc.RunDay(ctx, system, "420102", judged)
	if err != nil {
		t.Fatal(err)
	}
	var spike, cluster *civicgrid.Alert
	for i, a := range as {
		switch {
		case a.Kind == civicgrid.AlertGrid && a.Grid == "420102001001002" && a.Category == "C0005":
			spike = &as[i]
		case a.Kind == civicgrid.AlertCluster && a.Category == "09009":
			cluster = &as[i]
		default:
			t.Errorf("unexpected alert %+v", a)
		}
	}
	if spike == nil || spike.Observed != 6 || spike.WindowDays != 1 || spike.Day != "2026-03-02" || spike.PValue >= spike.Threshold || spike.ID == 0 {
		t.Errorf("spike alert = %+v", spike)
	}
	if cluster == nil || len(cluster.Grids) < 2 || cluster.Observed < 10 {
		t.Fatalf("cluster alert = %+v", cluster)
	}
	for _, g := range cluster.Grids {
		if g == "420102001001005" || g == "420106001001001" {
			t.Errorf("cluster %v holds %s, which shares no edge with the others", cluster.Grids, g)
		}
	}
	// The other district's spike was not judged in this scope's run.
	// Running again stores nothing new.
	again, err := e.svc.RunDay(ctx, system, "420102", judged)
	if err != nil || len(again) != 0 {
		t.Errorf("second run: %v %v, want nothing new", again, err)
	}
	stored, err := e.svc.List(ctx, e.staff(t, civicgrid.RoleCommunityStaff, "420102001001"), "420102001001", "")
	if err != nil || len(stored) != len(as) {
		t.Fatalf("listed %d alerts (%v), want %d", len(stored), err, len(as))
	}
	for _, a := range stored {
		if a.ID == spike.ID && (a.Observed != 6 || a.Expected != spike.Expected || a.Status != civicgrid.AlertOpen || len(a.Grids) != 1) {
			t.Errorf("stored spike = %+v", a)
		}
	}
	// Only admins run it, within their area.
	if _, err := e.svc.RunDay(ctx, e.staff(t, civicgrid.RoleCommunityStaff, "420102001001"), "420102001001", judged); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("community staff ran the warning: %v", err)
	}
	if _, err := e.svc.RunDay(ctx, e.staff(t, civicgrid.RoleDistrictAdmin, "420102"), "420106", judged); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("district admin ran another district: %v", err)
	}
	other, err := e.svc.RunDay(ctx, e.staff(t, civicgrid.RoleDistrictAdmin, "420106"), "420106", judged)
	if err != nil || len(other) != 1 || other[0].Grid != "420106001001001" {
		t.Errorf("other district's run: %+v %v", other, err)
	}
}

func TestDecideAndScope(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.report(t, "420102001001002", "C0005", judged, 6)
	as, err := e.svc.RunDay(ctx, system, "420102", judged)
	if err != nil || len(as) != 1 {
		t.Fatalf("run: %+v %v", as, err)
	}
	id := as[0].ID
	home := e.staff(t, civicgrid.RoleCommunityStaff, "420102001001")
	away := e.staff(t, civicgrid.RoleCommunityStaff, "420106001001")
	worker := e.staff(t, civicgrid.RoleGridWorker, "420102001001002")

	// Out of scope: not found, and not listed.
	if _, err := e.svc.Get(ctx, away, id); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Errorf("away staff read the alert: %v", err)
	}
	if _, err := e.svc.List(ctx, away, "420102001001", ""); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("away staff listed another community: %v", err)
	}
	if l, err := e.svc.List(ctx, away, "420106001001", ""); err != nil || len(l) != 0 {
		t.Errorf("away staff's own community lists %v %v, want none", l, err)
	}
	if _, err := e.svc.Decide(ctx, away, id, civicgrid.AlertDecision{Status: civicgrid.AlertAcknowledged}); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Errorf("away staff decided: %v", err)
	}
	// A grid worker reads but does not decide.
	if _, err := e.svc.Get(ctx, worker, id); err != nil {
		t.Errorf("grid worker reads: %v", err)
	}
	if _, err := e.svc.Decide(ctx, worker, id, civicgrid.AlertDecision{Status: civicgrid.AlertAcknowledged}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("grid worker decided: %v", err)
	}
	// Bad input: a clear error and nothing written.
	for _, d := range []civicgrid.AlertDecision{
		{Status: civicgrid.AlertDismissed},
		{Status: civicgrid.AlertDismissed, Reason: "   "},
		{Status: "closed", Reason: "x"},
		{Status: civicgrid.AlertOpen},
		{Status: civicgrid.AlertDismissed, Reason: string(make([]rune, civicgrid.MaxAlertReason+1))},
	} {
		if _, err := e.svc.Decide(ctx, home, id, d); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			t.Errorf("decision %+v: %v, want invalid", d, err)
		}
		if a, _ := e.svc.Get(ctx, home, id); a.Status != civicgrid.AlertOpen || a.Reason != "" || a.DecidedBy != "" {
			t.Fatalf("after a refused decision the alert is %+v", a)
		}
	}
	if _, err := e.svc.List(ctx, home, "420102001001", "bogus"); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Errorf("bad status filter: %v", err)
	}
	// Dismissed with a reason, once.
	a, err := e.svc.Decide(ctx, home, id, civicgrid.AlertDecision{Status: civicgrid.AlertDismissed, Reason: " 社区活动集中报事 "})
	if err != nil || a.Status != civicgrid.AlertDismissed || a.Reason != "社区活动集中报事" || a.DecidedBy == "" || a.DecidedAt.IsZero() {
		t.Fatalf("dismiss: %+v %v", a, err)
	}
	if _, err := e.svc.Decide(ctx, home, id, civicgrid.AlertDecision{Status: civicgrid.AlertAcknowledged}); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Errorf("second decision: %v, want conflict", err)
	}
	open, err := e.svc.List(ctx, home, "420102", civicgrid.AlertOpen)
	if civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("community staff listed the district: %v %v", open, err)
	}
	if open, err := e.svc.List(ctx, home, "420102001001", civicgrid.AlertOpen); err != nil || len(open) != 0 {
		t.Errorf("open alerts after the dismissal: %v %v", open, err)
	}
}

// The incremental update judges the day so far after each report: the
// third report of a kind never seen in the grid raises the alert, once.
func TestUpdate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var heard []civicgrid.Alert
	e.svc.OnAlerts(func(as []civicgrid.Alert) { heard = append(heard, as...) })
	today := judged.Add(14 * time.Hour)
	for i := 1; i <= 4; i++ {
		e.report(t, "420102001001002", "C0005", judged, 1)
		as, err := e.svc.Update(ctx, "420102001001002", "C0005", today)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[i == 3]; len(as) != want {
			t.Fatalf("after %d reports: %d new alerts %+v, want %d", i, len(as), as, want)
		}
		if i == 3 && (as[0].Observed != 3 || as[0].Kind != civicgrid.AlertGrid || as[0].Day != "2026-03-02") {
			t.Errorf("alert = %+v", as[0])
		}
	}
	if len(heard) != 1 {
		t.Errorf("listeners heard %d alerts, want 1", len(heard))
	}
	// Another category of the same grid is judged apart.
	e.report(t, "420102001001002", "06010", judged, 1)
	if as, err := e.svc.Update(ctx, "420102001001002", "06010", today); err != nil || len(as) != 0 {
		t.Errorf("one report of another category: %+v %v", as, err)
	}
	// The night's run finds the day's alert stored.
	if as, err := e.svc.RunDay(ctx, system, "420102", judged); err != nil || len(as) != 0 {
		t.Errorf("the day's run: %+v %v, want nothing new", as, err)
	}
	if _, err := e.svc.Update(ctx, "420102001001", "C0005", today); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Errorf("a community's code: %v", err)
	}
}

// BenchmarkUpdate is the incremental update after a report: one grid's
// rows of a year (a report a day of the category, one every other day of
// two others) read from SQLite and judged.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ApplyAreas(ctx, testAreas(), now.AddDate(-2, 0, 0)); err != nil {
		b.Fatal(err)
	}
	for _, code := range []string{"C0005", "06010", "09009"} {
		if err := db.PutCategory(ctx, civicgrid.Category{Code: code, NameZH: code, NameEN: code, RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	id := 0
	for back := range 371 {
		day := judged.AddDate(0, 0, -back)
		for _, cat := range []string{"C0005", "06010", "09009"} {
			if cat != "C0005" && back%2 == 1 {
				continue
			}
			id++
			at := day.Add(10*time.Hour + time.Duration(id)*time.Second)
			c := civicgrid.Case{Category: cat, GridCode: "420102001001002", Status: civicgrid.StatusReported, Channel: "app", CreatedAt: at, UpdatedAt: at}
			if _, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: at, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
				Data: map[string]string{civicgrid.DataCategory: cat, civicgrid.DataGrid: c.GridCode}}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	svc := warning.New(warning.Config{Now: func() time.Time { return now }}, db, db, nil)
	// Side by side in one run: the rows found through the rollups' primary
	// key (the code before migration 0031's covering index) and through
	// that index.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "civicgrid.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, variant := range []struct{ name, sql string }{
		{"index=primary-key", `DROP INDEX IF EXISTS case_rollups_received`},
		{"index=covering", `CREATE INDEX IF NOT EXISTS case_rollups_received ON case_rollups (area_code, category, day, received)`},
	} {
		if _, err := raw.ExecContext(ctx, variant.sql); err != nil {
			b.Fatal(err)
		}
		b.Run(variant.name, func(b *testing.B) {
			for range b.N {
				if _, err := svc.Update(ctx, "420102001001002", "C0005", judged.Add(12*time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The demo city's grids are drawn edge to edge: each has neighbours by
// shared edges (the lattice's 2–4, more where rows are offset), none is
// its own, and the relation is symmetric.
func TestNeighboursOfTheDemoCity(t *testing.T) {
	city, err := democity.Generate(democity.Options{Seed: 1, Grids: 400, NoBuildings: true})
	if err != nil {
		t.Fatal(err)
	}
	var grids []civicgrid.Area
	for _, a := range city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	adj := warning.Neighbours(grids)
	lonely := 0
	for _, g := range grids {
		ns := adj[g.Code]
		if len(ns) == 0 {
			lonely++
		}
		if len(ns) > 12 {
			t.Errorf("%s has %d neighbours", g.Code, len(ns))
		}
		for _, n := range ns {
			if n == g.Code {
				t.Errorf("%s is its own neighbour", n)
			}
			if !slices.Contains(adj[n], g.Code) {
				t.Errorf("%s lists %s, not the other way round", g.Code, n)
			}
		}
	}
	if lonely > len(grids)/20 {
		t.Errorf("%d of %d grids share no edge with another", lonely, len(grids))
	}
	pairs := 0
	for _, ns := range adj {
		pairs += len(ns)
	}
	if mean := float64(pairs) / float64(len(grids)); mean < 2.5 {
		t.Errorf("%.2f neighbours a grid on average, want a lattice's ≥ 2.5", mean)
	} else {
		t.Logf("%.2f neighbours a grid on average; %d grids without any", mean, lonely)
	}
}
