package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/workcal"
)

// seed reports N cases through the case service, spread over the past
// days on a simulated clock, and moves them on with bulk steps (ActMany):
// most older cases rejected, some registered or dispatched, a few left
// waiting past their limits (overdue, escalated at the end); the last two
// days mostly open. Reports go through the intake's group commit, many at
// once.
func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dataDir := fs.String("data", "", "data directory of the SQLite store")
	dbURL := fs.String("db", "", "postgres://… URL instead of a data directory")
	n := fs.Int("cases", 1_000_000, "cases to report")
	days := fs.Int("days", 60, "days the reports are spread over, ending now")
	workers := fs.Int("workers", 32, "reports in flight at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, *dbURL, *dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	grids, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid})
	if err != nil {
		return err
	}
	if len(grids) == 0 {
		return fmt.Errorf("the store has no grids: seed a city first (civicgrid demo)")
	}
	locator, err := locate.New(ctx, db, locate.Options{})
	if err != nil {
		return err
	}
	calendar, err := workcal.Default()
	if err != nil {
		return err
	}
	end := time.Now()
	var sim atomic.Int64
	sim.Store(end.Add(-time.Duration(*days) * 24 * time.Hour).UnixMilli())
	clock := func() time.Time { return time.UnixMilli(sim.Load()) }
	svc := casework.New(casework.Config{}, db, db, locator, calendar, clock)
	if err := svc.SeedCatalogue(ctx); err != nil {
		return err
	}
	cats, err := svc.Categories(ctx)
	if err != nil {
		return err
	}
	var active []civicgrid.Category
	for _, c := range cats {
		if c.Active {
			active = append(active, c)
		}
	}
	reporter, err := db.CreateUser(ctx, civicgrid.User{Name: "压测居民", Phone: fmt.Sprintf("1770%07d", time.Now().Unix()%10_000_000)}, "", nil,
		civicgrid.SecurityEvent{})
	if err != nil {
		return err
	}
	resident := civicgrid.Actor{UserID: reporter.ID, Name: reporter.Name, Via: "cli"}
	staff := civicgrid.Actor{UserID: reporter.ID, Name: "压测区管理员", Via: "cli"}
	for _, d := range []string{"420102", "420103", "420106"} {
		staff.Grants = append(staff.Grants, civicgrid.RoleGrant{Role: civicgrid.RoleDistrictAdmin, AreaCode: d})
	}

	const chunks = 400
	step := time.Duration(*days) * 24 * time.Hour / chunks
	perChunk := (*n + chunks - 1) / chunks
	rng := rand.New(rand.NewPCG(1, 2))
	started := time.Now()
	made := 0
	for k := 0; k < chunks && made < *n; k++ {
		chunkStart := end.Add(-time.Duration(chunks-k) * step)
		sim.Store(chunkStart.UnixMilli())
		count := min(perChunk, *n-made)
		ids := make([]int64, count)
		jobs := make(chan int)
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(k), uint64(made)))
				for i := range jobs {
					lat, lng := somewhere(rng, grids)
					cat := active[(made+i)%len(active)]
					sim.Add(step.Milliseconds() / int64(count*2))
					in, err := svc.Report(ctx, resident, casework.Report{Category: cat.Code, Description: "压测工单", Lat: lat, Lng: lng}, nil)
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					ids[i] = in.Case.ID
				}
			}()
		}
		for i := range count {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		made += count

		// Move the chunk's cases on, a little later on the same day.
		sim.Store(chunkStart.Add(step / 2).UnixMilli())
		recent := end.Sub(chunkStart) < 48*time.Hour
		var reject, register, dispatch []int64
		for _, id := range ids {
			r := rng.Float64()
			switch {
			case recent && r < 0.2, !recent && r < 0.01:
				register = append(register, id)
			case recent && r < 0.35, !recent && r < 0.02:
				dispatch = append(dispatch, id)
			case recent:
			case r < 0.99:
				reject = append(reject, id)
			}
			// The rest waits for a response: overdue once its limit passes.
		}
		for _, b := range []struct {
			ids     []int64
			actions []civicgrid.CaseAction
		}{
			{reject, []civicgrid.CaseAction{civicgrid.CaseReject}},
			{register, []civicgrid.CaseAction{civicgrid.CaseRegister}},
			{dispatch, []civicgrid.CaseAction{civicgrid.CaseRegister, civicgrid.CaseDispatch}},
		} {
			for from := 0; from < len(b.ids); from += 500 {
				part := b.ids[from:min(from+500, len(b.ids))]
				for _, a := range b.actions {
					st := casework.Step{Reason: "out_of_scope"}
					if a == civicgrid.CaseDispatch {
						st = casework.Step{Dept: "城管"}
					}
					if _, err := svc.ActMany(ctx, staff, part, a, st); err != nil {
						return fmt.Errorf("%s: %w", a, err)
					}
				}
			}
		}
		if k%20 == 19 {
			fmt.Printf("%d cases in %s (%.0f/s)\n", made, time.Since(started).Round(time.Second), float64(made)/time.Since(started).Seconds())
		}
	}
	sim.Store(time.Now().UnixMilli())
	escalated, err := svc.EscalateDue(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d cases in %s (%.0f/s); %d escalations\n", made, time.Since(started).Round(time.Second),
		float64(made)/time.Since(started).Seconds(), escalated)
	return nil
}

// somewhere is a random point inside a random grid.
func somewhere(rng *rand.Rand, grids []civicgrid.Area) (lat, lng float64) {
	return democity.PointIn(rng, grids[rng.IntN(len(grids))].Geometry)
}
