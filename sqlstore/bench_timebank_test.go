package sqlstore

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkStatement reads one volunteer's time-bank statement (the
// store's LedgerEntries, as the statement page and API do) over a year that
// holds 10⁴ of their entries, in a ledger of N transfers among 1,000
// members and their community (2·N entries; N = 2·10⁵, or 2·10⁶ with
// CIVICGRID_BENCH_LARGE=1). The transfers are written in bulk by SQL, as
// confirmed services would leave them (a transfer and its two entries),
// one member's among the others' in time order. It compares, in three
// alternating rounds on the same data, the year's statement in one read
// (before) with the paged statement (after: the balance from the account
// and a keyset page of 50, at the newest end and from the middle). With
// CIVICGRID_BENCH_OLD_INDEX=1 it also reads the year with the (account, at)
// index that migration 0037's covering index replaced. Under
// scripts/with-postgres.sh the store is PostgreSQL.
func BenchmarkStatement(b *testing.B) {
	transfers := 200_000
	if os.Getenv("CIVICGRID_BENCH_LARGE") == "1" {
		transfers = 2_000_000
	}
	const mine = 10_000
	every := transfers / mine // one of every this many transfers is the volunteer's
	ctx := context.Background()
	db, err := Open(ctx, testURL(b), b.TempDir()) // the suite's store
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, civicgrid.Beijing)
	year := start.AddDate(1, 0, 0)
	step := year.Sub(start).Milliseconds() / int64(mine)
	series := `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ` + fmt.Sprint(transfers-1) + `) `
	at := fmt.Sprintf(`%d + (i / %d) * %d`, start.UnixMilli(), every, step)
	for _, q := range []string{
		series + `INSERT INTO timebank_txns (id, kind, actor, at) SELECT i + 1, 'service', 'bench', ` + at + ` FROM n`,
		series + `INSERT INTO timebank_accounts (account, balance) SELECT DISTINCT CASE WHEN i % ` + fmt.Sprint(every) + ` = 0 THEN 'user:1' ELSE 'user:' || (2 + i % 999) END, 0 FROM n`,
		`INSERT INTO timebank_accounts (account, balance) VALUES ('community:420102001001', 0)`,
		series + `INSERT INTO timebank_entries (txn, account, minutes, at) SELECT i + 1, CASE WHEN i % ` + fmt.Sprint(every) + ` = 0 THEN 'user:1' ELSE 'user:' || (2 + i % 999) END, 30, ` + at + ` FROM n`,
		series + `INSERT INTO timebank_entries (txn, account, minutes, at) SELECT i + 1, 'community:420102001001', -30, ` + at + ` FROM n`,
		`UPDATE timebank_accounts SET balance = (SELECT COALESCE(SUM(minutes), 0) FROM timebank_entries e WHERE e.account = timebank_accounts.account)`,
	} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if db.dialect == Postgres {
		db.write.ExecContext(ctx, `ANALYZE`)
	}
	read := func(b *testing.B) {
		for range b.N {
			opening, es, err := db.LedgerEntries(ctx, civicgrid.MemberAccount(1), start, year)
			if err != nil {
				b.Fatal(err)
			}
			if opening != 0 || len(es) != mine {
				b.Fatalf("statement: opening %d, %d entries", opening, len(es))
			}
		}
		reportMillis(b)
	}
	// The statement as pages (the API's timebank/entries and the volunteer
	// page): the balance from the account and 50 entries newest first, at
	// the newest end or from a cursor in the middle of the year.
	mid, err := db.LedgerPage(ctx, civicgrid.MemberAccount(1), nil, mine/2)
	if err != nil || len(mid) != mine/2 {
		b.Fatalf("the middle's cursor: %d entries, %v", len(mid), err)
	}
	middle := &civicgrid.LedgerCursor{At: mid[len(mid)-1].At, ID: mid[len(mid)-1].ID}
	page := func(before *civicgrid.LedgerCursor) func(b *testing.B) {
		return func(b *testing.B) {
			for range b.N {
				bal, err := db.Balance(ctx, civicgrid.MemberAccount(1))
				if err != nil {
					b.Fatal(err)
				}
				es, err := db.LedgerPage(ctx, civicgrid.MemberAccount(1), before, 51)
				if err != nil {
					b.Fatal(err)
				}
				if bal != 30*mine || len(es) != 51 {
					b.Fatalf("page: balance %d, %d entries", bal, len(es))
				}
			}
			reportMillis(b)
		}
	}
	// Before and after side by side, alternating, three rounds.
	for round := 1; round <= 3; round++ {
		b.Run(fmt.Sprintf("entries=%d/mine=%d/round=%d/before=year", 2*transfers, mine, round), read)
		b.Run(fmt.Sprintf("entries=%d/mine=%d/round=%d/after=page-newest", 2*transfers, mine, round), page(nil))
		b.Run(fmt.Sprintf("entries=%d/mine=%d/round=%d/after=page-middle", 2*transfers, mine, round), page(middle))
	}
	if os.Getenv("CIVICGRID_BENCH_OLD_INDEX") != "1" {
		return
	}
	// The index of migration 0021, which 0037's covering index replaced.
	for _, q := range []string{`DROP INDEX timebank_entries_statement`, `CREATE INDEX timebank_entries_account ON timebank_entries (account, at)`} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Run(fmt.Sprintf("entries=%d/mine=%d/index=account,at", 2*transfers, mine), read)
}
