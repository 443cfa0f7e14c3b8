package sqlstore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// BenchmarkCaseLists times the case lists of pages and APIs, and the
// duplicate check's lookup by id, on a store of 10⁶ cases (10⁵ with
// -short) spread over 60 days: 90 % rejected, the rest open in several
// statuses, a third of those past their limits.
func BenchmarkCaseLists(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
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
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	cats, err := fillCases(ctx, db, n, now)
	if err != nil {
		b.Fatal(err)
	}
	open := []civicgrid.CaseStatus{civicgrid.StatusReported, civicgrid.StatusRegistered, civicgrid.StatusDispatched,
		civicgrid.StatusInProgress, civicgrid.StatusHandled, civicgrid.StatusVerified, civicgrid.StatusSuspended}
	district := []string{"420102"}
	mid := int64(n / 2)
	lists := []struct {
		name string
		f    civicgrid.CaseFilter
	}{
		{"newest", civicgrid.CaseFilter{Within: district}},
		{"status=reported", civicgrid.CaseFilter{Within: district, Status: open[:1]}},
		{"status=handled", civicgrid.CaseFilter{Within: district, Status: open[4:5]}},
		{"status=open", civicgrid.CaseFilter{Within: district, Status: open}},
		{"category", civicgrid.CaseFilter{Within: district, Category: cats[:1]}},
		{"overdue", civicgrid.CaseFilter{Within: district, Overdue: true, Status: open}},
		{"within-grid", civicgrid.CaseFilter{Within: []string{"420102001001001"}}},
		// The console's triage and dispatch queues with "overdue only".
		{"triage-overdue", civicgrid.CaseFilter{Within: district, Overdue: true, Status: open[:1], Order: civicgrid.OrderRespondBy}},
		{"triage-overdue-grid", civicgrid.CaseFilter{Within: []string{"420102001001001"}, Overdue: true, Status: open[:1], Order: civicgrid.OrderRespondBy}},
		{"dispatch-overdue", civicgrid.CaseFilter{Within: district, Overdue: true, Status: open[1:2], Order: civicgrid.OrderRespondedAt}},
		{"cursor-mid", civicgrid.CaseFilter{Within: district, After: mid}},
		{"open311-service+status", civicgrid.CaseFilter{All: true, Category: cats[2:3], Status: open, Since: now.Add(-90 * 24 * time.Hour), Until: now}},
		{"duplicate-ids", civicgrid.CaseFilter{All: true, IDs: []int64{int64(n) - 3, int64(n) - 900, mid, 17}, Category: cats[:1], Status: open,
			Since: now.Add(-72 * time.Hour), Limit: 20}},
	}
	for _, l := range lists {
		b.Run(l.name, func(b *testing.B) {
			l.f.Limit = max(l.f.Limit, 101)
			for b.Loop() {
				if _, err := db.ListCases(ctx, l.f); err != nil {
					b.Fatal(err)
				}
			}
			reportMillis(b)
		})
	}
	b.Run("duplicate-window", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.OpenCaseSpots(ctx, cats[0], now.Add(-72*time.Hour), 0); err != nil {
				b.Fatal(err)
			}
		}
		reportMillis(b)
	})
}

// fillCases writes n cases straight into the table, oldest first, and
// returns the category codes.
func fillCases(ctx context.Context, db *DB, n int, now time.Time) ([]string, error) {
	var cats []string
	for i := range 17 {
		code := fmt.Sprintf("B%04d", i)
		cats = append(cats, code)
		if err := db.PutCategory(ctx, civicgrid.Category{Code: code, NameZH: code, NameEN: code, RespondWithin: "2h", ResolveWithin: "3d",
			Active: true}); err != nil {
			return nil, err
		}
	}
	span := 60 * 24 * time.Hour
	err := db.inTx(ctx, func(tx *Tx) error {
		const rows = 200
		cols := strings.SplitN(caseColumns, ",", 2)[1]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO cases (` + cols + `) VALUES `)
		width := len(caseArgs(civicgrid.Case{}))
		for r := range rows {
			if r > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + placeholders(1+r*width, width) + ")")
		}
		insert := sb.String()
		for from := 0; from < n; from += rows {
			var args []any
			for i := from; i < from+rows; i++ {
				at := now.Add(-span + time.Duration(i)*span/time.Duration(n))
				c := civicgrid.Case{Category: cats[i%len(cats)], Status: civicgrid.StatusRejected, Channel: "app",
					Lat: 30.5 + float64(i%1000)*0.0002, Lng: 114.2 + float64(i%997)*0.0002,
					GridCode: fmt.Sprintf("42010%d%03d%03d%03d", 2+i%3*1, i%10+1, i%40+1, i%100+1), CreatedAt: at, UpdatedAt: at,
					RespondBy: at.Add(2 * time.Hour), Version: 1}
				switch i % 100 {
				case 0, 1, 2:
					c.Status, c.NextDeadline = civicgrid.StatusReported, c.RespondBy
				case 3, 4, 5:
					c.Status = civicgrid.StatusRegistered
				case 6, 7, 8:
					c.Status, c.ResolveBy = civicgrid.StatusDispatched, at.Add(72*time.Hour)
					c.NextDeadline = c.ResolveBy
				case 9:
					c.Status = civicgrid.StatusHandled
				}
				if i < n-n/20 && c.Status == civicgrid.StatusReported {
					c.Escalation = 3 // an old report nobody answered
				}
				if i >= n {
					c.Status = civicgrid.StatusRejected // padding of the last batch
				}
				args = append(args, caseArgs(c)...)
			}
			if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return cats, err
}
