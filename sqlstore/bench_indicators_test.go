package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/workcal"
)

// BenchmarkIndicators serves indicators (casework's Service.Indicators and
// IndicatorsByCategory over this store, as the API does) from the rollups
// of N cases reported over one year in a generated city of 5,000 grids
// (500 communities, 125 streets, 9 districts) and the 17 categories of the
// default catalogue. N is 10⁶, or 10⁷ with CIVICGRID_BENCH_LARGE=1 (10⁵
// with -short).
//
// The rollup rows are written directly, in bulk, into the store's own
// tables (case_rollups, case_rollup_hist and their monthly twins) rather
// than by filing N cases through the case loop, which would take hours. The
// rows are what the loop would leave: one per area of every level (grid,
// community, street, district, city), report day (and month) and category
// with cases, and one histogram row per close-time bucket, per category and
// for all categories. That the loop's rollups equal a recompute from the
// event log is proven by the rollup rebuild check of the case tests, not
// here. Rows go in day by day, as a year of reports would put them in, so a
// scope's rows are spread over the table as in production.
//
// Each sub-benchmark asks for one scope level over the whole year, over one
// calendar month or over 30 days from the 16th to the 15th (no whole month:
// every day's rows are read), cycling through every area of the level (and
// the months) so that no single query is answered from a warm cache only.
func BenchmarkIndicators(b *testing.B) {
	n := 1_000_000
	switch {
	case testing.Short():
		n = 100_000
	case os.Getenv("CIVICGRID_BENCH_LARGE") == "1":
		n = 10_000_000
	}
	b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
		ctx := context.Background()
		db, err := OpenSQLite(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		f, err := fillRollups(ctx, b, db, n)
		if err != nil {
			b.Fatal(err)
		}
		cal, err := workcal.Default()
		if err != nil {
			b.Fatal(err)
		}
		svc := casework.New(casework.Config{}, db, db, nil, cal, nil)
		actor := civicgrid.Actor{UserID: 1, Name: "bench", Via: "cli",
			Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleCityAdmin, AreaCode: democity.CityCode}}}

		year := [2]time.Time{benchDay(f.year, 1, 1), benchDay(f.year, 12, 31)}
		months := make([][2]time.Time, 12)
		for m := range months {
			first := benchDay(f.year, time.Month(m+1), 1)
			months[m] = [2]time.Time{first, first.AddDate(0, 1, -1)}
		}
		// Periods of 30 or 31 days across a month's end (the 16th to the
		// 15th), which hold no whole month: every day is read.
		windows := make([][2]time.Time, 11)
		for m := range windows {
			windows[m] = [2]time.Time{benchDay(f.year, time.Month(m+1), 16), benchDay(f.year, time.Month(m+2), 15)}
		}
		periods := map[string][][2]time.Time{"year": {year}, "month": months, "30-days": windows}
		// The city's counters must be the N cases generated.
		in, err := svc.Indicators(ctx, actor, casework.IndicatorQuery{Scope: democity.CityCode, From: year[0], To: year[1]})
		if err != nil {
			b.Fatal(err)
		}
		if in.Counters != f.total {
			b.Fatalf("city counters over the year:\n got %+v\nwant %+v", in.Counters, f.total)
		}
		if in.Counters.Received != int64(n) || in.P90CloseHours == nil {
			b.Fatalf("city: received %d, want %d; p90 %v", in.Counters.Received, n, in.P90CloseHours)
		}

		levels := []civicgrid.Level{civicgrid.LevelGrid, civicgrid.LevelCommunity, civicgrid.LevelStreet, civicgrid.LevelDistrict, civicgrid.LevelCity}
		for _, lv := range levels {
			areas := f.byLevel[lv]
			for _, period := range []string{"year", "month", "30-days"} {
				b.Run(fmt.Sprintf("%s/%s", lv, period), func(b *testing.B) {
					i := 0
					for b.Loop() {
						p := periods[period][i%len(periods[period])]
						q := casework.IndicatorQuery{Scope: areas[i%len(areas)], From: p[0], To: p[1]}
						i++
						if _, err := svc.Indicators(ctx, actor, q); err != nil {
							b.Fatal(err)
						}
					}
					reportMillis(b)
				})
			}
		}
		// Trends: a year by month, 90 days by week and 30 days by day (the
		// dashboard's automatic buckets), as one query each.
		for _, lv := range []civicgrid.Level{civicgrid.LevelCommunity, civicgrid.LevelCity} {
			areas := f.byLevel[lv]
			for _, tc := range []struct {
				name string
				days int
			}{{"year-by-month", 365}, {"90-days-by-week", 90}, {"30-days-by-day", 30}} {
				b.Run(fmt.Sprintf("%s-trend/%s", lv, tc.name), func(b *testing.B) {
					i := 0
					for b.Loop() {
						to := year[1].AddDate(0, 0, -(i%12)*7)
						q := casework.IndicatorQuery{Scope: areas[i%len(areas)], From: to.AddDate(0, 0, 1-tc.days), To: to}
						i++
						t, err := svc.IndicatorTrend(ctx, actor, q, "")
						if err != nil {
							b.Fatal(err)
						}
						if len(t.Buckets) < 12 {
							b.Fatalf("%d buckets", len(t.Buckets))
						}
					}
					reportMillis(b)
				})
			}
		}
		for _, period := range []string{"year", "month", "30-days"} {
			b.Run("city-by-category/"+period, func(b *testing.B) {
				i := 0
				for b.Loop() {
					p := periods[period][i%len(periods[period])]
					q := casework.IndicatorQuery{Scope: democity.CityCode, From: p[0], To: p[1]}
					i++
					out, err := svc.IndicatorsByCategory(ctx, actor, q)
					if err != nil {
						b.Fatal(err)
					}
					if len(out) != len(f.categories) {
						b.Fatalf("%d categories, want %d", len(out), len(f.categories))
					}
				}
				reportMillis(b)
			})
		}
	})
}

func reportMillis(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
}

func benchDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, civicgrid.Beijing)
}

// rollupFixture is what fillRollups wrote.
type rollupFixture struct {
	year       int
	categories []string
	byLevel    map[civicgrid.Level][]string // area codes with rows, per level
	total      civicgrid.Counters           // the city's, over the year
}

// fillRollups writes the rollups of n cases reported in 2025, in one
// transaction, and checks that every level's rows add up to the n cases.
func fillRollups(ctx context.Context, b *testing.B, db *DB, n int) (*rollupFixture, error) {
	start := time.Now()
	city, err := democity.Generate(democity.Options{Seed: 1, Grids: 5000, NoBuildings: true})
	if err != nil {
		return nil, err
	}
	cats, err := casework.DefaultCatalogue()
	if err != nil {
		return nil, err
	}
	f := &rollupFixture{year: 2025, byLevel: map[civicgrid.Level][]string{}}
	for _, c := range cats {
		f.categories = append(f.categories, c.Code)
	}
	var grids []string
	for _, a := range city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a.Code)
		}
	}

	// The areas of every level, from the grids as RollupAreas derives them;
	// up[l][g] is the index at level l of grid g's area.
	const nLevels = 5 // grid, community, street, district, city
	levelNames := []civicgrid.Level{civicgrid.LevelGrid, civicgrid.LevelCommunity, civicgrid.LevelStreet, civicgrid.LevelDistrict, civicgrid.LevelCity}
	codes := make([][]string, nLevels)
	up := make([][]int32, nLevels)
	for l := range nLevels {
		seen := map[string]int32{}
		up[l] = make([]int32, len(grids))
		for g, code := range grids {
			a := civicgrid.RollupAreas(code)[l]
			i, ok := seen[a]
			if !ok {
				i = int32(len(codes[l]))
				seen[a] = i
				codes[l] = append(codes[l], a)
			}
			up[l][g] = i
		}
		f.byLevel[levelNames[l]] = codes[l]
	}
	// Shuffle each level's list (deterministically) so that a benchmark
	// cycling through it does not walk the table in key order.
	shuffle := rand.New(rand.NewPCG(7, 7))
	for _, l := range levelNames {
		cs := append([]string(nil), f.byLevel[l]...)
		shuffle.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
		f.byLevel[l] = cs
	}

	// Where cases come from: grids and categories are unevenly busy.
	r := rand.New(rand.NewPCG(1, 2))
	gridCum := cumulative(len(grids), func(int) float64 { return 0.3 + r.ExpFloat64() })
	catCum := cumulative(len(cats), func(i int) float64 { return 1 / float64(i+1) })
	pick := func(cum []float64) int {
		x := r.Float64() * cum[len(cum)-1]
		lo, hi := 0, len(cum)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] > x {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}

	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// A large page cache for the load only (the store's own connections
	// keep their settings).
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -3000000; PRAGMA temp_store = MEMORY`); err != nil {
		return nil, err
	}
	defer conn.ExecContext(ctx, `PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cols := append([]string{"area_code", "day", "category"}, rollupColumns...)
	rows := newBulkInsert(ctx, tx, "case_rollups", cols, 50)
	hist := newBulkInsert(ctx, tx, "case_rollup_hist", []string{"area_code", "day", "category", "bucket", "n"}, 150)
	colsM := append([]string{"area_code", "month", "category"}, rollupColumns...)
	rowsM := newBulkInsert(ctx, tx, "case_rollups_monthly", colsM, 50)
	histM := newBulkInsert(ctx, tx, "case_rollup_hist_monthly", []string{"area_code", "month", "category", "bucket", "n"}, 150)

	// One day at a time: the day's cases, summed per grid and category,
	// then per area of each level; and at the end of each month, the
	// month's sums.
	nCats := len(cats)
	cells := make([][]civicgrid.Counters, nLevels)
	hists := make([][][civicgrid.CloseBuckets]int32, nLevels)
	monthCells := make([][]civicgrid.Counters, nLevels)
	monthHists := make([][][civicgrid.CloseBuckets]int32, nLevels)
	for l := range nLevels {
		cells[l] = make([]civicgrid.Counters, len(codes[l])*nCats)
		hists[l] = make([][civicgrid.CloseBuckets]int32, len(codes[l])*nCats)
		monthCells[l] = make([]civicgrid.Counters, len(codes[l])*nCats)
		monthHists[l] = make([][civicgrid.CloseBuckets]int32, len(codes[l])*nCats)
	}
	emit := func(cells [][]civicgrid.Counters, hists [][][civicgrid.CloseBuckets]int32, period int, rows, hist *bulkInsert,
		each func(l, k int, c civicgrid.Counters, h *[civicgrid.CloseBuckets]int32)) (int, int, error) {
		var nr, nh int
		for l := range nLevels {
			for a := range codes[l] {
				var all [civicgrid.CloseBuckets]int32 // the area's histogram over all categories
				for k := a * nCats; k < (a+1)*nCats; k++ {
					cnt := &cells[l][k]
					if cnt.Zero() {
						continue
					}
					area, cat := codes[l][a], cats[k%nCats].Code
					if err := rows.add(append([]any{area, period, cat}, counterValues(*cnt)...)...); err != nil {
						return 0, 0, err
					}
					nr++
					for bk, m := range hists[l][k] {
						if m > 0 {
							if err := hist.add(area, period, cat, bk, m); err != nil {
								return 0, 0, err
							}
							all[bk] += m
							nh++
						}
					}
					if each != nil {
						each(l, k, *cnt, &hists[l][k])
					}
					*cnt = civicgrid.Counters{}
					hists[l][k] = [civicgrid.CloseBuckets]int32{}
				}
				for bk, m := range all {
					if m > 0 {
						if err := hist.add(codes[l][a], period, "", bk, m); err != nil {
							return 0, 0, err
						}
						nh++
					}
				}
			}
		}
		return nr, nh, nil
	}
	toMonth := func(l, k int, c civicgrid.Counters, h *[civicgrid.CloseBuckets]int32) {
		monthCells[l][k].Add(c)
		for bk, m := range h {
			monthHists[l][k][bk] += m
		}
	}
	first := time.Date(f.year, 1, 1, 0, 0, 0, 0, civicgrid.Beijing)
	days := first.AddDate(1, 0, 0).Sub(first).Hours() / 24
	end := first.AddDate(1, 0, 0) // "now": cohorts of the last weeks are still partly open
	var nRows, nHist, nMonthRows, nMonthHist int
	for d := range int(days) {
		date := first.AddDate(0, 0, d)
		day := civicgrid.CohortOf(date, "", "").Day
		casesToday := n/int(days) + boolInt(d < n%int(days))
		age := end.Sub(date).Hours() / 24
		for range casesToday {
			g, c := pick(gridCum), pick(catCum)
			delta, bucket := simulateCase(r, age)
			for l := range nLevels {
				k := int(up[l][g])*nCats + c
				cells[l][k].Add(delta)
				if bucket >= 0 {
					hists[l][k][bucket]++
				}
			}
			f.total.Add(delta)
		}
		nr, nh, err := emit(cells, hists, day, rows, hist, toMonth)
		if err != nil {
			return nil, err
		}
		nRows, nHist = nRows+nr, nHist+nh
		if date.AddDate(0, 0, 1).Day() == 1 {
			nr, nh, err := emit(monthCells, monthHists, day/100, rowsM, histM, nil)
			if err != nil {
				return nil, err
			}
			nMonthRows, nMonthHist = nMonthRows+nr, nMonthHist+nh
		}
	}
	if err := rows.flush(); err != nil {
		return nil, err
	}
	if err := hist.flush(); err != nil {
		return nil, err
	}
	if err := rowsM.flush(); err != nil {
		return nil, err
	}
	if err := histM.flush(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	loaded := time.Since(start)
	// Queries run against the database file, as in a store that has been
	// running, not against a write-ahead log holding the whole load.
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return nil, err
	}

	// Every level of both tables adds up to the n cases.
	for _, table := range []string{"case_rollups", "case_rollups_monthly"} {
		q, err := db.rd.QueryContext(ctx, `SELECT length(area_code), area_code = $1, SUM(received), SUM(closed), COUNT(*)
			FROM `+table+` GROUP BY 1, 2`, democity.CityCode)
		if err != nil {
			return nil, err
		}
		levels := 0
		for q.Next() {
			var length, count int
			var isCity bool
			var received, closed int64
			if err := q.Scan(&length, &isCity, &received, &closed, &count); err != nil {
				q.Close()
				return nil, err
			}
			if received != int64(n) || closed != f.total.Closed {
				q.Close()
				return nil, fmt.Errorf("%s, areas of code length %d (city %v): received %d, closed %d; want %d, %d",
					table, length, isCity, received, closed, n, f.total.Closed)
			}
			levels++
		}
		q.Close()
		if err := q.Err(); err != nil {
			return nil, err
		}
		if levels != nLevels {
			return nil, fmt.Errorf("%s: rows of %d levels, want %d", table, levels, nLevels)
		}
	}
	for _, table := range []string{"case_rollup_hist", "case_rollup_hist_monthly"} {
		var byCat, all int64
		if err := db.rd.QueryRowContext(ctx, `SELECT SUM(CASE WHEN category <> '' THEN n END), SUM(CASE WHEN category = '' THEN n END)
			FROM `+table+` WHERE area_code = $1`, democity.CityCode).Scan(&byCat, &all); err != nil {
			return nil, err
		}
		if byCat != f.total.Closed || all != f.total.Closed {
			return nil, fmt.Errorf("%s: the city's close-time histograms hold %d (by category) and %d (all), want %d closed",
				table, byCat, all, f.total.Closed)
		}
	}
	b.Logf("%d cases over %d grids, %d communities, %d streets, %d districts: daily %d rollup rows and %d histogram rows, "+
		"monthly %d and %d; loaded in %v, checkpointed and checked in %v", n, len(codes[0]), len(codes[1]), len(codes[2]), len(codes[3]),
		nRows, nHist, nMonthRows, nMonthHist, loaded.Round(time.Second), (time.Since(start) - loaded).Round(time.Second))
	return f, nil
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func cumulative(n int, weight func(int) float64) []float64 {
	cum := make([]float64, n)
	s := 0.0
	for i := range cum {
		s += weight(i)
		cum[i] = s
	}
	return cum
}

// simulateCase returns what the whole life of one case, reported age days
// before the end of the year, adds to its cohort, and its close-time bucket
// (-1 if still open). The shares are plausible, not measured.
func simulateCase(r *rand.Rand, age float64) (civicgrid.Counters, int) {
	c := civicgrid.Counters{Received: 1}
	if r.Float64() < 0.97 {
		c.Responded = 1
		if r.Float64() < 0.92 {
			c.RespondedOnTime = 1
		}
	}
	// Due: answered, or older than any response limit.
	if c.Responded == 1 || age > 1 {
		c.RespondDue = 1
	}
	if c.Responded == 0 || r.Float64() >= 0.86 {
		return c, -1 // not yet answered, or rejected or merged
	}
	c.Registered = 1
	if age > 7 { // past any resolution limit, closed or not
		c.ResolveDue = 1
	}
	selfHandled := r.Float64() < 0.15
	if !selfHandled {
		c.Dispatched = 1
		if r.Float64() < 0.04 {
			c.Dispatched++ // returned and redispatched
		}
		if r.Float64() < 0.02 {
			c.Extended = 1
		}
	}
	// Older cohorts are (nearly) all closed; the last weeks' partly.
	closeTime := 30 * time.Minute
	if !selfHandled {
		closeTime = time.Duration(math.Exp(math.Log(20)+1.2*r.NormFloat64()) * float64(time.Hour))
	}
	if closeTime.Hours()/24 > age || r.Float64() < 0.02 {
		return c, -1
	}
	c.Handled = 1
	if r.Float64() < 0.03 {
		c.Reworked, c.Handled = 1, 2
	}
	c.Closed, c.ResolveDue = 1, 1
	if selfHandled || r.Float64() < 0.9 {
		c.ClosedOnTime = 1
	}
	c.CloseMillis = closeTime.Milliseconds()
	if r.Float64() < 0.01 {
		c.Reopened = 1
	}
	if r.Float64() < 0.55 {
		c.Rated = 1
		if r.Float64() < 0.92 {
			c.Satisfied = 1
		}
	}
	return c, civicgrid.CloseBucket(closeTime)
}

// bulkInsert writes rows with multi-row INSERTs of one prepared statement.
type bulkInsert struct {
	ctx   context.Context
	tx    *sql.Tx
	table string
	cols  []string
	per   int // rows per statement
	stmt  *sql.Stmt
	args  []any
}

func newBulkInsert(ctx context.Context, tx *sql.Tx, table string, cols []string, per int) *bulkInsert {
	return &bulkInsert{ctx: ctx, tx: tx, table: table, cols: cols, per: per}
}

func (bi *bulkInsert) sql(rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + bi.table + " (" + strings.Join(bi.cols, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		// Anonymous parameters: the driver looks up the name of each
		// numbered one, which is slow with hundreds of them.
		sb.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(bi.cols)), ", ") + ")")
	}
	return sb.String()
}

func (bi *bulkInsert) add(vals ...any) error {
	bi.args = append(bi.args, vals...)
	if len(bi.args) < bi.per*len(bi.cols) {
		return nil
	}
	if bi.stmt == nil {
		s, err := bi.tx.PrepareContext(bi.ctx, bi.sql(bi.per))
		if err != nil {
			return err
		}
		bi.stmt = s
	}
	_, err := bi.stmt.ExecContext(bi.ctx, bi.args...)
	bi.args = bi.args[:0]
	return err
}

func (bi *bulkInsert) flush() error {
	if len(bi.args) == 0 {
		return nil
	}
	s, err := bi.tx.PrepareContext(bi.ctx, bi.sql(len(bi.args)/len(bi.cols)))
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.ExecContext(bi.ctx, bi.args...)
	bi.args = bi.args[:0]
	return err
}
