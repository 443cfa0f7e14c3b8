package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// fileClock is the demo's co-governance clock for tests: the time plus the
// duration written in path (none, or an unreadable one, adds nothing), read
// at each use so that a test moves it while the server runs.
func fileClock(path string) func() time.Time {
	return func() time.Time {
		b, err := os.ReadFile(path)
		if err != nil {
			return time.Now()
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			return time.Now()
		}
		return time.Now().Add(d)
	}
}

// seedDemoElection calls a building-head election (楼栋长) in the demo
// city's first building, once: the demo resident nominated themself and
// nominated the building head, whose acceptance is awaited — an election
// in progress the demo's people can carry on.
func seedDemoElection(ctx context.Context, db *sqlstore.DB, svc *cogovern.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if es, err := db.Elections(ctx, []string{areas.building}, nil, 1); err != nil || len(es) > 0 {
		return err
	}
	person := func(phone string) (civicgrid.Actor, error) {
		rec, err := db.LoginRecordByPhone(ctx, phone)
		return rec.User.Actor(), err
	}
	secretary, err := person("19900000007")
	if err != nil {
		return err
	}
	resident, err := person("19900000001")
	if err != nil {
		return err
	}
	e, err := svc.CallElection(ctx, secretary, civicgrid.ElectionInput{AreaCode: areas.building, Role: "building_head", Seats: 1, TermMonths: 36})
	if err != nil {
		return err
	}
	if err := svc.Nominate(ctx, resident, e.ID, ""); err != nil {
		return err
	}
	if err := svc.Nominate(ctx, resident, e.ID, "19900000005"); err != nil {
		return err
	}
	// The seeded steps are the demo's past: nobody is notified of them.
	from, err := db.NotificationCursor(ctx, cogovern.NotifySourceName)
	if err != nil {
		return err
	}
	evs, err := db.CogovEventsAfter(ctx, from, 10_000)
	if err != nil || len(evs) == 0 {
		return err
	}
	_, err = db.AddNotifications(ctx, cogovern.NotifySourceName, from, evs[len(evs)-1].ID, nil)
	return err
}
