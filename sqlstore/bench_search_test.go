package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"
)

// BenchmarkSearch times searches on a store of 10⁵ case texts (10⁶ with
// CIVICGRID_BENCH_LARGE=1; 10⁴ with -short) in three districts' grids:
// p50 and p99 of a page of 20 for 2- and 4-character queries, common and
// rare, as a district admin (a third of the cases in reach) and as a grid
// worker (one grid's), and the index's size as a ratio of the text's.
// Under scripts/with-postgres.sh the store is PostgreSQL.
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	switch {
	case os.Getenv("CIVICGRID_BENCH_LARGE") == "1":
		n = 1_000_000
	case testing.Short():
		n = 10_000
	}
	ctx := context.Background()
	var db *DB
	var err error
	if url := os.Getenv("CIVICGRID_TEST_POSTGRES"); url != "" {
		u, drop, err := NewScratchDatabase(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		defer drop()
		db, err = Open(ctx, u, "")
	} else {
		db, err = OpenSQLite(ctx, b.TempDir())
	}
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if err := fillSearchDocs(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: indexed %d case texts in %s", db.dialect, n, time.Since(start).Round(time.Millisecond))
	if db.dialect == Postgres {
		if _, err := db.write.ExecContext(ctx, `VACUUM ANALYZE search_docs`); err != nil {
			b.Fatal(err)
		}
	}
	text, index, err := db.SearchIndexSize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: text %d MB, index %d MB (documents, tokens and their indexes): %.2f × the text", db.dialect, text>>20, index>>20,
		float64(index)/float64(text))

	district := civicgrid.Actor{UserID: 1, Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleDistrictAdmin, AreaCode: "420102"}}}
	worker := civicgrid.Actor{UserID: 2, Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: benchGrid(7)}}}
	for _, who := range []struct {
		name  string
		actor civicgrid.Actor
	}{{"district", district}, {"grid", worker}} {
		for _, q := range []struct{ name, q string }{
			{"2char-common", "漏水"}, {"2char-rare", "猫狗"}, {"4char-common", "楼道漏水"}, {"4char-rare", "电梯困人"}, {"1char", "灯"},
		} {
			// PostgreSQL: without the LIMIT-first probe (the plan before)
			// and with it, and the GIN plan left to the planner or pinned,
			// side by side in the same run.
			type variant struct {
				probe int
				pin   bool
			}
			variants := []variant{{SearchProbe, SearchPinGIN}}
			if db.dialect == Postgres {
				variants = []variant{{0, false}, {SearchProbe, false}, {0, true}, {SearchProbe, true}}
			}
			for _, v := range variants {
				b.Run(fmt.Sprintf("%s/%s/probe=%d/pin=%v", who.name, q.name, v.probe, v.pin), func(b *testing.B) {
					defer func(was int, pin bool) { SearchProbe, SearchPinGIN = was, pin }(SearchProbe, SearchPinGIN)
					SearchProbe, SearchPinGIN = v.probe, v.pin
					terms, err := civicgrid.ParseSearch(q.q)
					if err != nil {
						b.Fatal(err)
					}
					sq := civicgrid.SearchQuery{Terms: terms, Reach: map[string]civicgrid.Reach{}, UserID: who.actor.UserID, Limit: 20}
					for _, k := range civicgrid.SearchKinds {
						sq.Reach[k.Name] = who.actor.Reach(k.Read)
					}
					if db.dialect == Postgres && os.Getenv("CIVICGRID_BENCH_EXPLAIN") == "1" {
						explainSearch(b, db, sq)
					}
					var lat []time.Duration
					hits := 0
					for b.Loop() {
						t0 := time.Now()
						hs, err := db.Search(ctx, sq)
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
						hits = len(hs)
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
					b.ReportMetric(float64(hits), "hits")
				})
			}
		}
	}
}

// benchGrid is the i-th grid code of the benchmark's city: three districts
// of 10 streets of 4 communities of 10 grids (1,200 grids).
func benchGrid(i int) string {
	return fmt.Sprintf("42010%d%03d%03d%03d", 2+i%3, i/3%10+1, i/30%4+1, i/120%10+1)
}

// Words of the generated reports: places, problems and asides, so that a
// common pair (漏水) is in several percent of them and a rare one (猫狗,
// 电梯困人) in a few hundredths of a percent.
var (
	benchPlaces   = []string{"3号楼楼道", "小区门口", "地下车库", "单元门", "菜市场旁", "学校门口", "公交站", "5栋电梯", "二楼平台", "停车场", "社区广场", "花坛边"}
	benchProblems = []string{"漏水", "堆放杂物", "路灯不亮", "垃圾没人清", "井盖松动", "噪音扰民", "占道经营", "积水严重", "树枝折断", "墙皮脱落",
		"电动车充电", "下水道堵塞", "广告乱贴", "车辆乱停", "管道破裂", "护栏损坏"}
	benchAsides = []string{"影响通行", "已经好几天了", "老人出行不便", "请尽快处理", "晚上特别明显", "孩子上学经过这里", "之前反映过", "麻烦看一下"}
)

// fillSearchDocs writes n case documents, oldest first, in transactions of
// 10,000: on SQLite through the same indexDoc as intake; on PostgreSQL as
// the same rows (searchRow, tsvectorLiteral: what indexDoc writes) by COPY
// (bulkSearchDocs), since the measured thing is the query, and a document
// at a time took over 45 minutes for 10⁶ on the shared machine.
func fillSearchDocs(ctx context.Context, db *DB, n int) error {
	if db.dialect == Postgres {
		return bulkSearchDocs(ctx, db, n)
	}
	return genSearchDocs(n, 10_000, func(docs []civicgrid.SearchDoc) error {
		return db.inTx(ctx, func(tx *Tx) error {
			for _, d := range docs {
				if err := db.indexDoc(ctx, tx, d, true); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// bulkSearchDocs is fillSearchDocs on PostgreSQL: the rows indexDoc
// writes (searchRow, tsvectorLiteral), numbered in order, sent by COPY over
// four connections at once, with the GIN index dropped during the fill and
// built again after it by its own definition (as a REINDEX would: one
// sorted build instead of 10⁶ insertions into the index's pending list).
func bulkSearchDocs(ctx context.Context, db *DB, n int) error {
	start := time.Now()
	var gin string
	if err := db.write.QueryRowContext(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'search_docs_tokens'`).Scan(&gin); err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx, `DROP INDEX search_docs_tokens`); err != nil {
		return err
	}
	batches := make(chan []civicgrid.SearchDoc, 4)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return genSearchDocs(n, 10_000, func(docs []civicgrid.SearchDoc) error {
			select {
			case batches <- docs:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	for range 4 {
		g.Go(func() error {
			for docs := range batches {
				if err := copySearchDocs(gctx, db, docs); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('search_docs', 'id'), (SELECT MAX(id) FROM search_docs))`); err != nil {
		return err
	}
	fmt.Printf("bulkSearchDocs: %d rows written in %s; building the GIN index\n", n, time.Since(start).Round(time.Millisecond))
	defer func(t time.Time) {
		fmt.Printf("bulkSearchDocs: GIN index built in %s\n", time.Since(t).Round(time.Millisecond))
	}(time.Now())
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '512MB'`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, gin)
		return err
	})
}

// copySearchDocs sends documents by COPY (text format), each with its
// position as its id (the documents are numbered in time order by Ref).
func copySearchDocs(ctx context.Context, db *DB, docs []civicgrid.SearchDoc) error {
	var buf bytes.Buffer
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	for _, d := range docs {
		row, tokens := searchRow(d)
		fields := append([]any{d.Ref}, row...)
		fields = append(fields, tsvectorLiteral(tokens))
		for i, f := range fields {
			if i > 0 {
				buf.WriteByte('\t')
			}
			switch v := f.(type) {
			case bool:
				buf.WriteString(map[bool]string{true: "t", false: "f"}[v])
			default:
				buf.WriteString(esc.Replace(fmt.Sprint(v)))
			}
		}
		buf.WriteByte('\n')
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, &buf,
			`COPY search_docs (id, kind, ref_id, area_code, owner_id, public, title, body, at, audience, tokens) FROM STDIN`)
		return err
	})
}

// genSearchDocs makes the benchmark's n case documents, oldest first, and
// hands them to put batch by batch.
func genSearchDocs(n, batch int, put func([]civicgrid.SearchDoc) error) error {
	rnd := rand.New(rand.NewPCG(3, 4))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for from := 0; from < n; from += batch {
		docs := make([]civicgrid.SearchDoc, 0, batch)
		for i := from; i < min(n, from+batch); i++ {
			var sb strings.Builder
			sb.WriteString(benchPlaces[rnd.IntN(len(benchPlaces))])
			sb.WriteString(benchProblems[rnd.IntN(len(benchProblems))])
			sb.WriteString("，")
			sb.WriteString(benchAsides[rnd.IntN(len(benchAsides))])
			if rnd.IntN(500) == 0 {
				sb.WriteString("，楼下有猫狗")
			}
			if rnd.IntN(2000) == 0 {
				sb.WriteString("，电梯困人")
			}
			if rnd.IntN(3) == 0 {
				sb.WriteString("。" + benchAsides[rnd.IntN(len(benchAsides))])
			}
			docs = append(docs, civicgrid.SearchDoc{Kind: "case", Ref: int64(i + 1), Area: benchGrid(rnd.IntN(1200)), Owner: int64(1000 + rnd.IntN(50_000)),
				Body: sb.String(), At: now.Add(-time.Duration(n-i) * time.Minute)})
		}
		if err := put(docs); err != nil {
			return err
		}
	}
	return nil
}

// explainSearch logs the plans (EXPLAIN ANALYZE, BUFFERS) of the queries one
// search runs (CIVICGRID_BENCH_EXPLAIN=1, PostgreSQL): where the time goes.
func explainSearch(b *testing.B, db *DB, sq civicgrid.SearchQuery) {
	ctx := context.Background()
	type query struct {
		sql  string
		args []any
		pin  bool
	}
	var qs []query
	searchTrace = func(sql string, args []any, pin bool) { qs = append(qs, query{sql, slices.Clone(args), pin}) }
	_, err := db.Search(ctx, sq)
	searchTrace = nil
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range qs {
		tx, err := db.rd.db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if q.pin {
			if _, err := tx.ExecContext(ctx, pinGIN); err != nil {
				b.Fatal(err)
			}
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
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
		tx.Rollback()
		// Printed, not logged: the benchmark's log is cut short.
		fmt.Printf("EXPLAIN %s (pinned %v)\n%s\n", b.Name(), q.pin, strings.Join(plan, "\n"))
	}
}
