// Package testdb gives each test the store it runs on: the embedded SQLite
// store in a directory, or, when CIVICGRID_TEST_POSTGRES holds the URL of
// a PostgreSQL server, a database of its own on that server, dropped after
// the test. `make test` runs the suite both ways.
package testdb

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// EnvPostgres names the variable holding the PostgreSQL server URL.
const EnvPostgres = "CIVICGRID_TEST_POSTGRES"

// URL returns a fresh PostgreSQL database URL for the test, or "" when the
// tests run on SQLite.
func URL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvPostgres)
	if server == "" {
		return ""
	}
	u, drop, err := sqlstore.NewScratchDatabase(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return u
}

// Open opens the test's store: on PostgreSQL when configured, else SQLite
// in dir. It is closed after the test.
func Open(t testing.TB, dir string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), URL(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the drop: cleanups go last-in first-out
	return db
}

// Person makes an account holding one role over area (a building role as
// building head), named and numbered by n so that each is distinct, and
// returns it as an actor.
func Person(t testing.TB, db *sqlstore.DB, n int, role, area string) civicgrid.Actor {
	t.Helper()
	g := civicgrid.RoleGrant{Role: role, AreaCode: area}
	if role == civicgrid.RoleBuilding {
		g.Detail = "building_head"
	}
	u, err := db.CreateUser(context.Background(), civicgrid.User{Name: fmt.Sprintf("李%d", n), Phone: fmt.Sprintf("1390000%04d", n), Kind: civicgrid.KindResident},
		"", []civicgrid.RoleGrant{g}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

// ApproveVolunteer gives a person an approved volunteer registration in
// the community of area (its first 12 digits), as staff's approval would:
// only approved volunteers claim requests. The registration names
// insurance to 2099 (services such as 陪诊 need it).
func ApproveVolunteer(t testing.TB, db *sqlstore.DB, a civicgrid.Actor, area string) {
	t.Helper()
	if len(area) > 12 {
		area = area[:12]
	}
	now := time.Now()
	if _, err := db.SaveVolunteerProfile(context.Background(), civicgrid.VolunteerProfile{UserID: a.UserID, Name: a.Name, Community: area,
		Status: civicgrid.ProfileApproved, DecidedBy: "test", DecidedAt: now, CreatedAt: now, UpdatedAt: now,
		InsuranceUntil: "2099-12-31"}, true); err != nil {
		t.Fatal(err)
	}
}
