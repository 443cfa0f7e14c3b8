package gridindex

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/wkt"

	"github.com/civicgrid/civicgrid/sqlstore"
)

// BenchmarkPostGISContains answers the same random-point lookups as
// BenchmarkLocate with PostGIS: the grids in a table with a GiST index,
// `ST_Contains` per point, one query each through database/sql as a caller
// would send it. It needs a PostgreSQL server with PostGIS named in
// CIVICGRID_TEST_POSTGRES (scripts/with-postgres.sh provides one). Before
// timing it checks that both answer the same for the first thousand points.
//
//	scripts/with-postgres.sh go test -run '^$' -bench 'Locate|PostGIS' -cpu 1 ./gridindex
func BenchmarkPostGISContains(b *testing.B) {
	server := os.Getenv("CIVICGRID_TEST_POSTGRES")
	if server == "" {
		b.Skip("needs PostgreSQL with PostGIS in CIVICGRID_TEST_POSTGRES (run under scripts/with-postgres.sh)")
	}
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("grids=%d", size.grids), func(b *testing.B) {
			largeBenchmarks(b, size.grids)
			m := benchMesh(size.grids, size.rows, size.cols)
			pts := benchPoints(m)
			ix := mustBuild(b, m.entries)
			ctx := context.Background()
			url, drop, err := sqlstore.NewScratchDatabase(ctx, server)
			if err != nil {
				b.Fatal(err)
			}
			defer drop()
			db, err := sql.Open("pgx", url)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			start := time.Now()
			loadPostGIS(b, db, m.entries)
			loaded := time.Since(start)
			stmt, err := db.Prepare(`SELECT key FROM grid_shapes WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) LIMIT 1`)
			if err != nil {
				b.Fatal(err)
			}
			defer stmt.Close()
			lookup := func(p [2]float64) (uint32, bool) {
				var key int64
				err := stmt.QueryRow(p[0], p[1]).Scan(&key)
				if err == sql.ErrNoRows {
					return 0, false
				}
				if err != nil {
					b.Fatal(err)
				}
				return uint32(key), true
			}
			for _, p := range pts[:1000] {
				want, edge, ok := ix.Locate(p[0], p[1])
				if edge {
					continue // ST_Contains leaves boundaries out; the index gives them to a grid
				}
				if got, found := lookup(p); found != ok || (ok && got != want) {
					b.Fatalf("point %v: PostGIS says %d (%v), the index %d (%v)", p, got, found, want, ok)
				}
			}
			i := 0
			b.ResetTimer()
			for b.Loop() {
				lookup(pts[i&(len(pts)-1)])
				i++
			}
			b.ReportMetric(loaded.Seconds(), "load-s")
		})
	}
}

// loadPostGIS puts the grids into a PostGIS table with a GiST index.
func loadPostGIS(b *testing.B, db *sql.DB, entries []Entry) {
	for _, q := range []string{`CREATE EXTENSION IF NOT EXISTS postgis`,
		`CREATE TABLE grid_shapes (key BIGINT PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL)`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO grid_shapes (key, geom) VALUES ($1, ST_GeomFromText($2, 4326))`)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if _, err := ins.Exec(int64(e.Key), wkt.MarshalString(e.Shape)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{`CREATE INDEX grid_shapes_geom ON grid_shapes USING GIST (geom)`, `ANALYZE grid_shapes`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
}
