package sqlstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkCommunityHours reads one community's hours served over a year
// (issue 13: ≤ 20 ms over 10⁷ ledger entries) in a time bank of N
// confirmed services over two years (2025–2026) among ten communities and
// 1,000 volunteers: 2·N ledger entries (N = 5·10⁵, or 5·10⁶ — 10⁷ entries —
// with CIVICGRID_BENCH_LARGE=1), written in bulk by SQL as confirmations
// leave them (a transfer from the community's issuing account to the
// volunteer, and its two entries). The volunteer rollups are written as
// the confirmations would have kept them: the hours and confirmations per
// community and day and month, and each volunteer's services per
// community and month (the year's active volunteers; daily rows of those
// are not written, a whole year reads only months). It compares, in three
// alternating rounds on the same data, the naive sum over the community's
// ledger entries of the year (before) with the rollups: the hours alone,
// and the whole indicator set with the active volunteers (after). Both
// answers are checked equal first. Under scripts/with-postgres.sh the
// store is PostgreSQL.
func BenchmarkCommunityHours(b *testing.B) {
	transfers := 500_000
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		transfers = 5_000_000
	}
	const communities, volunteers = 10, 1000
	ctx := context.Background()
	db, err := Open(ctx, testURL(b), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, civicgrid.Beijing)
	end := start.AddDate(2, 0, 0)
	step := end.Sub(start).Milliseconds() / int64(transfers)
	series := `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ` + fmt.Sprint(transfers-1) + `) `
	at := fmt.Sprintf(`%d + i * %d`, start.UnixMilli(), step)
	minutes := `(30 + (i % 7) * 15)`
	community := `'community:42010200101' || (i % 10)`
	member := `'user:' || (1 + i % 1000)`
	began := time.Now()
	for _, q := range []string{
		series + `INSERT INTO timebank_txns (id, kind, actor, at) SELECT i + 1, 'service', 'bench', ` + at + ` FROM n`,
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) INSERT INTO timebank_accounts (account, balance) SELECT ` + member + `, 0 FROM n`,
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9) INSERT INTO timebank_accounts (account, balance) SELECT ` + community + `, 0 FROM n`,
		series + `INSERT INTO timebank_entries (txn, account, minutes, at) SELECT i + 1, ` + member + `, ` + minutes + `, ` + at + ` FROM n`,
		series + `INSERT INTO timebank_entries (txn, account, minutes, at) SELECT i + 1, ` + community + `, -` + minutes + `, ` + at + ` FROM n`,
		`UPDATE timebank_accounts SET balance = (SELECT COALESCE(SUM(minutes), 0) FROM timebank_entries e WHERE e.account = timebank_accounts.account)`,
	} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	// The rollups the confirmations kept: the same services, summed.
	var rows, served measureRows
	for i := range transfers {
		t := time.UnixMilli(start.UnixMilli() + int64(i)*step)
		day := civicgrid.CohortOf(t, "", "").Day
		code := "42010200101" + strconv.Itoa(i%communities)
		var d civicgrid.VolunteerMeasures
		d.Confirmed, d.Minutes = 1, int64(30+(i%7)*15)
		rows.add([]string{code}, day, "", d.Values())
		k := rollupKey{code, day / 100, strconv.Itoa(1 + i%volunteers)}
		if served[1] == nil {
			served[1] = map[rollupKey][]int64{}
		}
		if served[1][k] == nil {
			served[1][k] = []int64{0}
		}
		served[1][k][0]++
	}
	if err := db.inTx(ctx, func(tx *Tx) error {
		if err := volunteerRollups.apply(ctx, tx, rows); err != nil {
			return err
		}
		return volunteerServed.apply(ctx, tx, served)
	}); err != nil {
		b.Fatal(err)
	}
	if db.dialect == Postgres {
		db.write.ExecContext(ctx, `ANALYZE`)
	}
	b.Logf("%d ledger entries written in %s", 2*transfers, time.Since(began).Round(time.Second))

	const code = "420102001013"
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, civicgrid.Beijing)
	naive := func() int64 {
		var m int64
		if err := db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(-e.minutes), 0) FROM timebank_entries e JOIN timebank_txns t ON t.id = e.txn
			WHERE e.account = $1 AND e.at >= $2 AND e.at < $3 AND t.kind = 'service'`,
			civicgrid.IssuerAccount(code+"0010001"), year.UnixMilli(), year.AddDate(1, 0, 0).UnixMilli()).Scan(&m); err != nil {
			b.Fatal(err)
		}
		return m
	}
	hours := func() int64 {
		v, err := volunteerRollups.sum(ctx, db.rd, code, 20260101, 20261231, nil)
		if err != nil {
			b.Fatal(err)
		}
		return civicgrid.VolunteerMeasuresOf(v).Minutes
	}
	want := naive()
	if got := hours(); got != want || want == 0 {
		b.Fatalf("the rollups say %d minutes, the ledger %d", got, want)
	}
	m, active, err := db.SumVolunteerRollups(ctx, code, 20260101, 20261231)
	if err != nil || m.Minutes != want || active != volunteers/communities {
		b.Fatalf("indicators: %+v, %d active (%v)", m, active, err)
	}
	run := func(f func()) func(b *testing.B) {
		return func(b *testing.B) {
			for range b.N {
				f()
			}
			reportMillis(b)
		}
	}
	all := func() {
		if _, _, err := db.SumVolunteerRollups(ctx, code, 20260101, 20261231); err != nil {
			b.Fatal(err)
		}
	}
	for round := 1; round <= 3; round++ {
		b.Run(fmt.Sprintf("entries=%d/round=%d/before=ledger-sum", 2*transfers, round), run(func() { naive() }))
		b.Run(fmt.Sprintf("entries=%d/round=%d/after=rollup-hours", 2*transfers, round), run(func() { hours() }))
		b.Run(fmt.Sprintf("entries=%d/round=%d/after=rollup-indicators", 2*transfers, round), run(all))
	}
}
