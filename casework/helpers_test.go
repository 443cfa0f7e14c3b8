package casework

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// testCategory is the category the tests report in.
var testCategory = civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h",
	Active: true, DuplicateRadiusM: 50, DuplicateHours: 24}

// openTestStore opens a store on the test's engine with the categories,
// its clock reading *now.
func openTestStore(t *testing.T, now *time.Time, cats ...civicgrid.Category) (*sqlstore.DB, func() time.Time) {
	t.Helper()
	db := testdb.Open(t, t.TempDir())
	clock := func() time.Time { return *now }
	db.SetClock(clock)
	for _, c := range cats {
		if err := db.PutCategory(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return db, clock
}

// storeReport writes c straight into the store as reported.
func storeReport(t *testing.T, db *sqlstore.DB, c civicgrid.Case) civicgrid.Case {
	t.Helper()
	c.Status, c.Channel = civicgrid.StatusReported, "app"
	if c.GridCode == "" {
		c.GridCode = "420102001001001"
	}
	c, _, err := db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: c.CreatedAt, Actor: "t", Action: civicgrid.CaseReport,
		To: c.Status, Data: map[string]string{civicgrid.DataCategory: c.Category, civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
