package gridindex

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// Benchmark meshes: rows × cols cells of 28 vertices each.
var benchSizes = []struct{ grids, rows, cols int }{
	{10_000, 100, 100},
	{100_000, 250, 400},
	{1_000_000, 1000, 1000},
}

// largeBenchmarks gates the 10⁶-grid cases, which need a few GB of memory and
// a minute or more.
func largeBenchmarks(b *testing.B, grids int) {
	if grids >= 1_000_000 && (testing.Short() || os.Getenv("CIVICGRID_BENCH_LARGE") != "1") {
		b.Skip("set CIVICGRID_BENCH_LARGE=1 (without -short) for 10⁶ grids")
	}
}

var benchMeshes sync.Map // grids → *mesh

func benchMesh(grids, rows, cols int) *mesh {
	if m, ok := benchMeshes.Load(grids); ok {
		return m.(*mesh)
	}
	m := newMesh(rows, cols, 42, false, false)
	benchMeshes.Store(grids, m)
	return m
}

// benchPoints returns random points in the mesh's extent; nearly all fall in
// a grid, a few beyond its jittered border.
func benchPoints(m *mesh) [][2]float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	pts := make([][2]float64, 1<<16)
	for i := range pts {
		pts[i] = [2]float64{
			float64(m.minX+rng.Int64N(m.maxX-m.minX)) / 1e7,
			float64(m.minY+rng.Int64N(m.maxY-m.minY)) / 1e7,
		}
	}
	return pts
}

// BenchmarkLocate reports ns per lookup at random points, and as metrics the
// build time, MemoryBytes and the heap growth that Build caused.
func BenchmarkLocate(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("grids=%d", size.grids), func(b *testing.B) {
			largeBenchmarks(b, size.grids)
			m := benchMesh(size.grids, size.rows, size.cols)
			pts := benchPoints(m)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			ix := mustBuild(b, m.entries)
			built := time.Since(start)
			runtime.GC()
			runtime.ReadMemStats(&after)

			hits := 0
			i := 0
			for b.Loop() {
				p := pts[i&(len(pts)-1)]
				if _, _, ok := ix.Locate(p[0], p[1]); ok {
					hits++
				}
				i++
			}
			b.ReportMetric(built.Seconds(), "build-s")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "heap-MB")
			b.ReportMetric(float64(ix.MemoryBytes())/1e6, "index-MB")
			b.ReportMetric(float64(hits)/float64(i), "hit-ratio")
		})
	}
}

// BenchmarkSQLiteRTree answers the same lookups with a SQLite R*Tree for the
// candidate search and the index's own exact test for the rest, so the ratio
// to BenchmarkLocate compares the two candidate searches (the SQLite side
// includes database/sql's per-query overhead, as a caller would pay it).
func BenchmarkSQLiteRTree(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("grids=%d", size.grids), func(b *testing.B) {
			largeBenchmarks(b, size.grids)
			m := benchMesh(size.grids, size.rows, size.cols)
			pts := benchPoints(m)
			ix := mustBuild(b, m.entries)

			start := time.Now()
			db, stmt := loadSQLiteRTree(b, ix)
			defer db.Close()
			loaded := time.Since(start)

			locate := func(lng, lat float64) (uint32, bool, bool) {
				x, y, _ := toFixed(lng, lat)
				q := treePoint(x, y)
				rows, err := stmt.Query(q[0], q[0], q[1], q[1])
				if err != nil {
					b.Fatal(err)
				}
				defer rows.Close()
				var (
					insideKey, edgeKey     uint32
					insideFound, edgeFound bool
					off                    uint32
				)
				for rows.Next() {
					if err := rows.Scan(&off); err != nil {
						b.Fatal(err)
					}
					k := uint32(ix.data[off])
					switch ix.position(off, x, y) {
					case inside:
						if !insideFound || k < insideKey {
							insideKey, insideFound = k, true
						}
					case onEdge:
						if !edgeFound || k < edgeKey {
							edgeKey, edgeFound = k, true
						}
					}
				}
				if insideFound {
					return insideKey, false, true
				}
				return edgeKey, edgeFound, edgeFound
			}
			for _, p := range pts[:1000] {
				k1, e1, ok1 := ix.Locate(p[0], p[1])
				if k2, e2, ok2 := locate(p[0], p[1]); k1 != k2 || e1 != e2 || ok1 != ok2 {
					b.Fatalf("(%v, %v): SQLite %d %v %v, index %d %v %v", p[0], p[1], k2, e2, ok2, k1, e1, ok1)
				}
			}

			i := 0
			for b.Loop() {
				p := pts[i&(len(pts)-1)]
				locate(p[0], p[1])
				i++
			}
			b.ReportMetric(loaded.Seconds(), "load-s")
		})
	}
}

// loadSQLiteRTree copies the index's float32 boxes into an in-memory R*Tree,
// with the offset of each polygon's block as the row id.
func loadSQLiteRTree(b *testing.B, ix *Index) (*sql.DB, *sql.Stmt) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1) // every connection would get its own empty :memory: database
	if _, err := db.Exec(`CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy)`); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO rt VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	ix.tree.Scan(func(bmin, bmax [2]float32, off uint32) bool {
		_, err = ins.Exec(off, bmin[0], bmax[0], bmin[1], bmax[1])
		return err == nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	stmt, err := db.Prepare(`SELECT id FROM rt WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?`)
	if err != nil {
		b.Fatal(err)
	}
	return db, stmt
}
