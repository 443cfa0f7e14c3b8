package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// instance is one civicgrid process of several sharing a database.
type instance struct {
	db    *sqlstore.DB
	loc   *locate.Service
	cases *casework.Service
	srv   *httptest.Server
}

// TestThreeInstances runs three instances on one database (PostgreSQL in
// the suite's PostgreSQL pass, one SQLite file otherwise) under concurrent
// load: every report is stored once even when its retry lands on another
// instance at the same moment; a deadline that passes is escalated once
// although all three schedulers race for it; and (on PostgreSQL, where
// instances notify each other) a grid worker's live queue on one instance
// hears of every report taken by the others.
func TestThreeInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, dir := testdb.URL(t), t.TempDir()
	clock := &testClock{now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))}
	var inst []*instance
	for i := range 3 {
		db, err := sqlstore.Open(ctx, url, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetClock(clock.Now)
		if i == 0 {
			if _, err := areaio.ImportAreas(ctx, db, demoCity(t).Areas, areaio.DefaultOptions()); err != nil {
				t.Fatal(err)
			}
		}
		loc, err := locate.New(ctx, db, locate.DefaultOptions)
		if err != nil {
			t.Fatal(err)
		}
		svc := casework.New(casework.Config{}, db, db, loc, testCalendar(t), clock.Now)
		if err := svc.SeedCatalogue(ctx); err != nil {
			t.Fatal(err)
		}
		auth := server.AuthConfig{Password: mxPasswordParams, SessionTTL: 1000 * time.Hour, SessionIdle: 1000 * time.Hour}
		srv := httptest.NewServer(server.New(server.Config{Auth: auth, Cases: svc, Now: clock.Now}, db, loc).Handler())
		t.Cleanup(srv.Close)
		in := &instance{db: db, loc: loc, cases: svc, srv: srv}
		go db.ListenCaseEvents(ctx, func(caseID, eventID int64) {
			c, err1 := db.CaseByID(ctx, caseID)
			ev, err2 := db.CaseEventByID(ctx, eventID)
			if err1 == nil && err2 == nil {
				svc.Relay(c, ev)
			}
		})
		inst = append(inst, in)
	}
	if url != "" {
		time.Sleep(300 * time.Millisecond) // let the listeners connect
	}

	// People, made once: sessions live in the shared database.
	e := &caseEnv{t: t, db: inst[0].db, srv: inst[0].srv, clock: clock, cases: inst[0].cases}
	e.hash = mustHash(t)
	chains := newMatrixChains(t, demoCity(t))
	e.chain, e.other = chains[0], chains[1]
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	worker := e.login(civicgrid.RoleGridWorker, e.chain.grid)

	// The worker watches their queue on instance 2.
	e.srv = inst[2].srv
	stream := e.openStream(worker, "")

	// 3 × 20 reports, each sent twice at once to two different instances
	// under one Idempotency-Key.
	const keys = 60
	lat, lng := e.point(e.chain)
	ids := make([][2]int64, keys)
	var wg sync.WaitGroup
	for k := range keys {
		for copy := range 2 {
			wg.Go(func() {
				target := inst[(k+copy)%3]
				body, _ := json.Marshal(map[string]any{"category": "C0005",
					"lat": lat + float64(k)*1e-5, "lng": lng, "description": fmt.Sprintf("多实例上报 %d", k)})
				req, _ := http.NewRequest("POST", target.srv.URL+"/api/v1/cases", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("multi-%d", k))
				req.Header.Set("X-CSRF-Token", resident.csrf)
				req.AddCookie(&http.Cookie{Name: "cg_session", Value: resident.cookie})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var out struct{ Case civicgrid.Case }
				json.NewDecoder(resp.Body).Decode(&out)
				if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
					t.Errorf("key %d on instance %d: %d", k, (k+copy)%3, resp.StatusCode)
				}
				ids[k][copy] = out.Case.ID
			})
		}
	}
	wg.Wait()
	distinct := map[int64]bool{}
	for k, pair := range ids {
		if pair[0] == 0 || pair[0] != pair[1] {
			t.Errorf("key %d answered with cases %v: want one case for both copies", k, pair)
		}
		distinct[pair[0]] = true
	}
	stored, err := inst[1].db.ListCases(ctx, civicgrid.CaseFilter{All: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != keys || len(distinct) != keys {
		t.Fatalf("%d cases stored, %d distinct answered, want %d", len(stored), len(distinct), keys)
	}

	// Live queue: instance 2 hears of all of them, whichever took them.
	if url != "" {
		heard := map[int64]bool{}
		deadline := time.After(10 * time.Second)
		for len(heard) < keys {
			select {
			case ev, ok := <-stream:
				if !ok {
					t.Fatal("stream closed")
				}
				if ev.Action == civicgrid.CaseReport {
					heard[ev.Case.ID] = true
				}
			case <-deadline:
				t.Fatalf("instance 2's live queue heard of %d of %d reports", len(heard), keys)
			}
		}
	}

	// Deadlines: past the one-hour response limit (and before the next
	// level's), all three instances escalate at once.
	clock.Advance(90 * time.Minute)
	var raised [3]int
	for i, in := range inst {
		wg.Go(func() {
			n, err := in.cases.EscalateDue(ctx)
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
			raised[i] = n
		})
	}
	wg.Wait()
	if total := raised[0] + raised[1] + raised[2]; total != keys {
		t.Errorf("instances escalated %v = %d cases, want %d (each once)", raised, total, keys)
	}
	escalations := 0
	err = inst[0].db.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		if err := civicgrid.VerifyChain(evs); err != nil {
			t.Errorf("case %d: %v", id, err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Action == civicgrid.CaseEscalate {
				n++
			}
		}
		if n != 1 {
			t.Errorf("case %d escalated %d times, want once", id, n)
		}
		escalations += n
		return nil
	})
	if err != nil || escalations != keys {
		t.Errorf("%d escalations in the log, want %d (%v)", escalations, keys, err)
	}
	if diffs, err := inst[2].db.RebuildRollups(ctx, false); err != nil || len(diffs) != 0 {
		t.Errorf("rollups differ from the log: %v %v", diffs, err)
	}

	// An area import through one instance reaches the others' grid index
	// at their next poll of the area generation.
	g := e.chain.gridArea
	g.Name += "（重划）"
	if _, err := areaio.ImportAreas(ctx, inst[0].db, []civicgrid.Area{g}, areaio.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	for i, in := range inst[1:] {
		if changed, err := in.loc.Refresh(ctx); err != nil || !changed {
			t.Errorf("instance %d did not see the import: %v %v", i+1, changed, err)
		}
		if changed, _ := in.loc.Refresh(ctx); changed {
			t.Errorf("instance %d rebuilt its index twice for one import", i+1)
		}
	}
}
