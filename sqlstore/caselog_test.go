package sqlstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Grids of two districts (江岸区 420102, 江汉区 420103) of one city.
const (
	gridA = "420102001001001"
	gridB = "420103001001001"
)

func caseLogCategory(t testing.TB, db *DB) {
	t.Helper()
	for _, code := range []string{"C0005", "C0006"} {
		if err := db.PutCategory(context.Background(), civicgrid.Category{Code: code, NameZH: "水管破裂", NameEN: "Burst pipe",
			RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func newReport(grid, category string) (civicgrid.Case, civicgrid.CaseEvent) {
	now := time.Now()
	c := civicgrid.Case{Category: category, Status: civicgrid.StatusReported, Channel: "app", Lat: 30.605, Lng: 114.305,
		GridCode: grid, CreatedAt: now, UpdatedAt: now}
	return c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
		Data: map[string]string{civicgrid.DataRegistered: "1"}}
}

// openInstances opens n handles on one store, as n civicgrid processes
// would (each with its own connections and intake writer). On SQLite the
// store has one writer: the handles are the same one.
func openInstances(t *testing.T, n int) []*DB {
	t.Helper()
	first := openTest(t)
	dbs := []*DB{first}
	for range n - 1 {
		if first.dialect != Postgres {
			dbs = append(dbs, first)
			continue
		}
		db, err := Open(context.Background(), first.URL(), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

func TestDistrictLockKeys(t *testing.T) {
	a := districtLockKeys([]string{gridA, "420102001001002", "420102"})
	if len(a) != 1 {
		t.Fatalf("one district: %d keys %v, want 1", len(a), a)
	}
	ab := districtLockKeys([]string{gridB, gridA, gridB})
	ba := districtLockKeys([]string{gridA, gridB})
	if len(ab) != 2 || !slices.Equal(ab, ba) || !slices.IsSorted(ab) {
		t.Fatalf("two districts: %v and %v, want the same two keys ascending", ab, ba)
	}
	if len(districtLockKeys(nil)) != 1 {
		t.Fatal("no grid: want one key")
	}
}

// The rollup rows are written in one order whatever order the batch met
// them in, the city's last: transactions of different districts share the
// city's rows and must not take them in opposite orders.
func TestRollupOrderPutsTheCityLast(t *testing.T) {
	keys := []rollupKey{{"420100", 20261205, "C0005"}, {gridA, 20261205, "C0005"}, {"420102", 20261205, "C0005"},
		{"420102001", 20261205, "C0005"}, {"420102001001", 20261205, "C0005"}, {gridB, 20261205, "C0006"}}
	var orders []rollupOrder
	for _, k := range keys {
		orders = append(orders, orderOf(k, 0, 0))
	}
	rand.Shuffle(len(orders), func(i, j int) { orders[i], orders[j] = orders[j], orders[i] })
	slices.SortFunc(orders, rollupOrder.compare)
	var got []string
	for _, o := range orders {
		got = append(got, o.area)
	}
	want := []string{gridA, gridB, "420102001001", "420102001", "420102", "420100"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// Several instances take reports in two districts at once, and change
// cases of both districts in one transaction (crossing the districts in
// either order), while a reader walks the case log by its cursor as the
// webhooks do: it sees every event exactly once, in increasing position,
// nothing deadlocks, every chain verifies and the rollups match the log.
func TestCaseLogConcurrentDistricts(t *testing.T) {
	ctx := context.Background()
	dbs := openInstances(t, 3)
	caseLogCategory(t, dbs[0])
	reader := dbs[len(dbs)-1]

	// Cases to change across districts, one per district per instance.
	type pair struct{ a, b civicgrid.Case }
	pairs := make([]pair, len(dbs))
	for i, db := range dbs {
		for j, grid := range []string{gridA, gridB} {
			c, ev := newReport(grid, "C0005")
			made, _, err := db.CreateCase(ctx, c, ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if j == 0 {
				pairs[i].a = made
			} else {
				pairs[i].b = made
			}
		}
	}

	// The reader walks until the writers are done and it has reached the
	// last event they wrote (final, sent on stop); each event must come
	// once, in increasing position.
	stop := make(chan int64, 1)
	var seen []int64
	readerDone := make(chan error, 1)
	go func() {
		var cursor int64
		final := int64(-1)
		giveUp := time.Now().Add(5 * time.Minute)
		for final < 0 || cursor < final {
			if time.Now().After(giveUp) {
				readerDone <- fmt.Errorf("the reader is at %d after 5 minutes, the log ends at %d", cursor, final)
				return
			}
			evs, err := reader.EventsAfter(ctx, cursor, 37)
			if err != nil {
				readerDone <- err
				return
			}
			for _, le := range evs {
				if le.Event.ID <= cursor {
					readerDone <- fmt.Errorf("event %d after cursor %d", le.Event.ID, cursor)
					return
				}
				cursor = le.Event.ID
				seen = append(seen, cursor)
			}
			if len(evs) == 0 {
				select {
				case final = <-stop:
				case <-time.After(time.Millisecond):
				}
			}
		}
		readerDone <- nil
	}()

	const perWorker = 60
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, db := range dbs {
		for j, grid := range []string{gridA, gridB} {
			for w := range 3 {
				wg.Go(func() {
					for n := range perWorker {
						c, ev := newReport(grid, []string{"C0005", "C0006"}[(n+w)%2])
						if _, _, err := db.CreateCase(ctx, c, ev, nil); err != nil {
							errs <- fmt.Errorf("instance %d district %d: %w", i, j, err)
							return
						}
					}
				})
			}
		}
		// Cross-district transactions: a comment on a case of each
		// district, in one order or the other.
		wg.Go(func() {
			p := pairs[i]
			for n := range 20 {
				now := time.Now()
				cs := []civicgrid.Case{p.a, p.b}
				if n%2 == 1 {
					cs[0], cs[1] = cs[1], cs[0]
				}
				evs := []civicgrid.CaseEvent{
					{At: now, Actor: "t", Action: civicgrid.CaseComment, From: cs[0].Status, To: cs[0].Status, Note: "查看"},
					{At: now, Actor: "t", Action: civicgrid.CaseComment, From: cs[1].Status, To: cs[1].Status, Note: "查看"}}
				stored, err := db.UpdateCases(ctx, cs, evs)
				if err != nil {
					errs <- fmt.Errorf("instance %d cross-district: %w", i, err)
					return
				}
				if stored[0].GridCode == gridA {
					p.a, p.b = stored[0], stored[1]
				} else {
					p.a, p.b = stored[1], stored[0]
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var last int64
	if err := dbs[0].rd.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	stop <- last
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}

	var all []int64
	rows, err := dbs[0].rd.QueryContext(ctx, `SELECT id FROM case_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		all = append(all, id)
	}
	rows.Close()
	if want := len(dbs) * (2 + 2*3*perWorker + 2*20); len(all) != want {
		t.Fatalf("%d events stored, want %d", len(all), want)
	}
	if !slices.Equal(seen, all) {
		missing, extra := 0, 0
		for _, id := range all {
			if !slices.Contains(seen, id) {
				missing++
			}
		}
		extra = len(seen) - (len(all) - missing)
		t.Fatalf("the reader saw %d events, the log holds %d: %d missed, %d seen twice", len(seen), len(all), missing, extra)
	}
	if err := dbs[0].ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		return civicgrid.VerifyChain(evs)
	}); err != nil {
		t.Fatal(err)
	}
	// Every report counted once at each level, the city's rows shared by
	// both districts included.
	for _, area := range []string{gridA, "420102", gridB, "420103", "420100"} {
		var counted, cases int
		if err := dbs[0].rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(received), 0) FROM case_rollups WHERE area_code = $1`, area).Scan(&counted); err != nil {
			t.Fatal(err)
		}
		if err := dbs[0].rd.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE grid_code LIKE $1`, area[:6]+"%").Scan(&cases); err != nil {
			t.Fatal(err)
		}
		if area == "420100" {
			cases = len(dbs) * (2 + 2*3*perWorker)
		}
		if counted != cases {
			t.Errorf("area %s: rollups count %d reports, the store holds %d", area, counted, cases)
		}
	}
}

// On PostgreSQL a report in one district does not wait for a transaction
// of another district, while one of the same district does; and the
// reader does not pass an event of an open transaction: the later event
// of the other district, committed first, is read only once the earlier
// one is final, after it.
func TestCaseLogHorizon(t *testing.T) {
	ctx := context.Background()
	dbs := openInstances(t, 3)
	caseLogCategory(t, dbs[0])
	if dbs[0].dialect != Postgres {
		// One writer: the log commits in order and readers read all of it.
		if h, err := dbs[0].logHorizon(ctx, 1); err != nil || h != math.MaxInt64 {
			t.Fatalf("SQLite's horizon: %d %v, want none", h, err)
		}
		return
	}
	first, second, reader := dbs[0], dbs[1], dbs[2]
	before, ev := newReport(gridA, "C0005")
	if _, _, err := first.CreateCase(ctx, before, ev, nil); err != nil {
		t.Fatal(err)
	}
	// The horizon waits for every transaction running in the cluster —
	// other packages' tests too when they share it — so a committed event
	// is read once those end, not always at the first look.
	evs, err := eventsOnceFinal(ctx, reader, 0, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("before: %d events, %v", len(evs), err)
	}
	cursor := evs[0].Event.ID

	// An open transaction of district A holds an event.
	tx, err := first.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // a failing test lets the district go; after the commit it does nothing
	open := &Tx{tx: tx, p: first.wr}
	if err := first.lockDistricts(ctx, open, gridA); err != nil {
		t.Fatal(err)
	}
	c, ev := newReport(gridA, "C0005")
	held := first.createInTx(ctx, open, createRequest{c: c, ev: ev})
	if held.err != nil {
		t.Fatal(held.err)
	}

	// District B commits beside it, with a later event id.
	c, ev = newReport(gridB, "C0006")
	later, _, err := second.CreateCase(ctx, c, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	laterEvs, _ := second.CaseEvents(ctx, later.ID)
	if laterEvs[0].ID <= held.eventIDs[0] {
		t.Fatalf("event ids %d (open) and %d (committed): want the committed one later", held.eventIDs[0], laterEvs[0].ID)
	}
	// District A waits.
	sameDone := make(chan error, 1)
	go func() {
		c, ev := newReport(gridA, "C0006")
		_, _, err := second.CreateCase(ctx, c, ev, nil)
		sameDone <- err
	}()
	waitForAdvisoryWaiter(t, reader)
	select {
	case err := <-sameDone:
		t.Fatalf("a report of the same district went through while the district was locked: %v", err)
	default:
	}

	// The reader does not pass the open event.
	if evs, err := reader.EventsAfter(ctx, cursor, 10); err != nil || len(evs) != 0 {
		t.Fatalf("with an earlier event still open the reader got %d events (%v), want none", len(evs), err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-sameDone; err != nil {
		t.Fatal(err)
	}
	evs, err = eventsOnceFinal(ctx, reader, cursor, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, le := range evs {
		got = append(got, le.Event.ID)
	}
	if len(got) != 3 || got[0] != held.eventIDs[0] || got[1] != laterEvs[0].ID {
		t.Fatalf("after the commit the reader got %v, want %d, %d and the waiting report's", got, held.eventIDs[0], laterEvs[0].ID)
	}

	// A webhook made now starts after every event.
	var h civicgrid.Webhook
	for giveUp := time.Now().Add(15 * time.Second); ; {
		if h, err = reader.CreateWebhook(ctx, civicgrid.Webhook{Name: "w", URL: "https://example.org/h", SecretSalt: "s"}); err != nil {
			t.Fatal(err)
		}
		if h.Cursor == got[2] || time.Now().After(giveUp) {
			break
		}
	}
	if h.Cursor != got[2] {
		t.Fatalf("new webhook's cursor %d, want %d", h.Cursor, got[2])
	}
}

// eventsOnceFinal reads the events after cursor until want of them are
// past the horizon, or 15 s have passed.
func eventsOnceFinal(ctx context.Context, db *DB, cursor int64, want int) ([]civicgrid.LoggedCaseEvent, error) {
	for giveUp := time.Now().Add(15 * time.Second); ; {
		evs, err := db.EventsAfter(ctx, cursor, 10)
		if err != nil || len(evs) >= want || time.Now().After(giveUp) {
			return evs, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForAdvisoryWaiter waits until a session waits for an advisory lock.
func waitForAdvisoryWaiter(t *testing.T, db *DB) {
	t.Helper()
	for range 500 {
		var n int
		if err := db.rd.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
			AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nobody waits for the district's lock")
}

// On PostgreSQL each district has its own intake writer: a report of
// district B goes through while one of district A, in the same instance,
// waits for A's lock. (One writer for both would hold B behind A's stuck
// batch, or take both locks for a batch of both.) SQLite has one writer.
func TestIntakePerDistrict(t *testing.T) {
	ctx := context.Background()
	dbs := openInstances(t, 2)
	db, other := dbs[0], dbs[1]
	caseLogCategory(t, db)
	if db.dialect != Postgres {
		if db.intakeFor(gridA) != db.intakeFor(gridB) {
			t.Fatal("SQLite: two intake writers, want one")
		}
		return
	}
	if db.intakeFor(gridA) == db.intakeFor(gridB) || db.intakeFor(gridA) != db.intakeFor("420102009009009") {
		t.Fatal("want one intake writer per district")
	}
	// Another instance holds district A.
	tx, err := other.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := other.lockDistricts(ctx, &Tx{tx: tx, p: other.wr}, gridA); err != nil {
		t.Fatal(err)
	}
	aDone := make(chan error, 1)
	go func() {
		c, ev := newReport(gridA, "C0005")
		_, _, err := db.CreateCase(ctx, c, ev, nil)
		aDone <- err
	}()
	waitForAdvisoryWaiter(t, db)
	c, ev := newReport(gridB, "C0005")
	if _, _, err := db.CreateCase(ctx, c, ev, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-aDone:
		t.Fatalf("district A's report went through while A was locked: %v", err)
	default:
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
}
