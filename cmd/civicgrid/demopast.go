package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/workcal"
)

// seedDemoPast gives an empty demo city a past: days of cases reported and
// taken through the whole loop by the real case service on a simulated
// clock — registered, dispatched, accepted, handled (some late), verified,
// closed and rated, a few rejected, the last days partly open — with a
// weekday and seasonal pattern and, yesterday, a cluster of one kind in one
// grid, so that a newcomer's dashboard, big screen and early warning show
// something true at once; and care visits over the same days
// (seedDemoCarePast). Deterministic for a seed. It does nothing when the
// store holds cases already.
func seedDemoPast(ctx context.Context, db *sqlstore.DB, locator *locate.Service, calendar *workcal.Live, photos *photo.Store,
	days int, seed int64, stdout io.Writer) error {
	if days <= 0 {
		return nil
	}
	if some, err := db.ListCases(ctx, civicgrid.CaseFilter{All: true, Limit: 1}); err != nil || len(some) > 0 {
		return err
	}
	started := time.Now()
	grids, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid})
	if err != nil || len(grids) == 0 {
		return err
	}
	cst := time.FixedZone("CST", 8*3600)
	today := demoPastNow().In(cst)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, cst)
	var now time.Time
	clock := func() time.Time { return now }
	svc := casework.New(casework.Config{Photos: photos}, db, db, locator, calendar, clock)
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
	evidence, err := demoEvidence(ctx, photos)
	if err != nil {
		return err
	}
	// The people of the past: residents who report and rate, a handler the
	// cases are dispatched to, and staff of each district who triage,
	// dispatch, verify and close (never the handler: duties are separate).
	mk := func(name, phone, hash string, grants ...civicgrid.RoleGrant) (civicgrid.User, error) {
		return db.CreateUser(ctx, civicgrid.User{Name: name, Phone: phone, Kind: civicgrid.KindResident}, hash, grants,
			civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated, Actor: "cli", Detail: "demo past"})
	}
	var districts []string
	for _, g := range grids {
		if d := g.Code[:6]; len(districts) == 0 || districts[len(districts)-1] != d {
			districts = append(districts, d)
		}
	}
	var codes []string
	for _, c := range active {
		codes = append(codes, c.Code)
	}
	var handlerGrants []civicgrid.RoleGrant
	for _, d := range districts {
		handlerGrants = append(handlerGrants, civicgrid.RoleGrant{Role: civicgrid.RoleDepartmentHandler, AreaCode: d, Categories: codes})
	}
	var residents []civicgrid.Actor
	for i := range 20 {
		u, err := mk(fmt.Sprintf("历史居民%02d", i+1), fmt.Sprintf("1980000%04d", i+1), "")
		if err != nil {
			return err
		}
		residents = append(residents, u.Actor())
	}
	// The handler logs in with the demo password, as the other demo accounts.
	hash, err := password.Hash(DemoPassword, password.Default)
	if err != nil {
		return err
	}
	handlerUser, err := mk("历史处置员", "19800009001", hash, handlerGrants...)
	if err != nil {
		return err
	}
	staffUser, err := mk("历史派遣员", "19800009002", "")
	if err != nil {
		return err
	}
	handler := handlerUser.Actor()
	staff := civicgrid.Actor{UserID: staffUser.ID, Name: staffUser.Name, Via: "cli"}
	for _, d := range districts {
		staff.Grants = append(staff.Grants, civicgrid.RoleGrant{Role: civicgrid.RoleDistrictAdmin, AreaCode: d})
	}

	// Two stages run side by side, each with its own clock: one reports
	// the days in order, the other takes each reported day through the
	// loop, a day behind. A day's steps need only its own reports, and the
	// store has one writer, so the second stage's checks and reads overlap
	// the first's writes and the reverse. Each day draws from its own
	// generator, so the past is the same whatever the stages' timing; the
	// cases are numbered in report order, as before.
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	cluster := grids[rng.IntN(len(grids))]
	clusterCat := active[0]
	w := pastWorld{db: db, grids: grids, active: active, residents: residents, staff: staff, handler: handler,
		evidence: evidence, cluster: cluster, clusterCat: clusterCat}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reported := make(chan pastDay, days)
	stepsDone := make(chan error, 1)
	// Care visits are a third stage beside the two (their own people,
	// their own community).
	careDone := make(chan error, 1)
	go func() { careDone <- seedDemoCarePast(ctx, db, today.AddDate(0, 0, -days), demoPastNow(), seed) }()
	go func() {
		var now time.Time
		svc := casework.New(casework.Config{Photos: photos}, db, db, locator, calendar, func() time.Time { return now })
		// The days' steps go into a batch, stored in one transaction when
		// no reported day waits or the batch has grown large.
		b := svc.NewBatch()
		for pd := range reported {
			err := w.steps(ctx, b, &now, pd)
			if err == nil && (len(reported) == 0 || b.Len() >= 2000) {
				_, err = b.Commit(ctx)
			}
			if err != nil {
				cancel()
				for range reported {
				}
				stepsDone <- fmt.Errorf("demo past: day %d ago: %w", pd.d, err)
				return
			}
		}
		_, err := b.Commit(ctx) // nothing left, unless the loop ended with a step gathered
		stepsDone <- err
	}()
	total := 0
	var reportErr error
	for d := days; d >= 1 && reportErr == nil; d-- {
		pd := pastDay{d: d, day: today.AddDate(0, 0, -d), rng: rand.New(rand.NewPCG(uint64(seed), uint64(d))), reportedAt: map[int64]time.Time{}}
		reportErr = w.report(ctx, svc, &now, &pd)
		if reportErr == nil {
			total += len(pd.ids)
			reported <- pd
		}
	}
	close(reported)
	stepsErr, careErr := <-stepsDone, <-careDone
	if err := cmp.Or(stepsErr, careErr); err != nil {
		return err
	}
	if reportErr != nil {
		return reportErr
	}
	now = demoPastNow()
	escalated, err := svc.EscalateDue(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Seeded a past of %d days: %d cases (%d escalated), in %s.\n", days, total, escalated, time.Since(started).Round(100*time.Millisecond))
	return nil
}

// pastWorld is what every day of the demo's past shares.
type pastWorld struct {
	db             *sqlstore.DB
	grids          []civicgrid.Area
	active         []civicgrid.Category
	residents      []civicgrid.Actor
	staff, handler civicgrid.Actor
	evidence       string
	cluster        civicgrid.Area
	clusterCat     civicgrid.Category
}

// pastDay is one day of the past: its reports, handed from the reporting
// stage to the stepping one with the day's own generator.
type pastDay struct {
	d          int // days ago
	day        time.Time
	rng        *rand.Rand
	ids        []int64
	reportedAt map[int64]time.Time
}

func pastAt(day time.Time, h float64) time.Time {
	return day.Add(time.Duration(h * float64(time.Hour)))
}

// report makes a day's reports: more on weekdays and in summer (rain,
// heat), a few a day; yesterday, a cluster of one kind in one grid.
func (w *pastWorld) report(ctx context.Context, svc *casework.Service, now *time.Time, pd *pastDay) error {
	rng, day := pd.rng, pd.day
	season := 1 + 0.35*math.Sin(2*math.Pi*float64(day.YearDay()-100)/365)
	weekday := map[time.Weekday]float64{time.Saturday: 0.6, time.Sunday: 0.5, time.Monday: 1.25}[day.Weekday()]
	if weekday == 0 {
		weekday = 1
	}
	n := int(math.Round(14 * season * weekday * (0.7 + 0.6*rng.Float64())))
	// The day's reports are stored together, in one transaction.
	batch := svc.NewReports()
	var at []time.Time
	one := func(g civicgrid.Area, cat civicgrid.Category) error {
		*now = pastAt(day, 7+13*rng.Float64())
		lat, lng := democity.PointIn(rng, g.Geometry)
		who := w.residents[rng.IntN(len(w.residents))]
		if err := batch.Add(ctx, who, casework.Report{Category: cat.Code, Description: demoDescriptions[rng.IntN(len(demoDescriptions))], Lat: lat, Lng: lng}); err != nil {
			return fmt.Errorf("demo past: report: %w", err)
		}
		at = append(at, *now)
		return nil
	}
	for range n {
		if err := one(w.grids[rng.IntN(len(w.grids))], w.active[rng.IntN(len(w.active))]); err != nil {
			return err
		}
	}
	if pd.d == 1 { // yesterday's cluster: the early warning's first alert
		for range 7 {
			if err := one(w.cluster, w.clusterCat); err != nil {
				return err
			}
		}
	}
	stored, err := batch.Commit(ctx)
	if err != nil {
		return fmt.Errorf("demo past: reports: %w", err)
	}
	for i, c := range stored {
		pd.ids = append(pd.ids, c.ID)
		pd.reportedAt[c.ID] = at[i]
	}
	return nil
}

// steps takes a reported day's cases through the loop, into b.
func (w *pastWorld) steps(ctx context.Context, b *casework.Batch, now *time.Time, pd pastDay) error {
	rng, day, d := pd.rng, pd.day, pd.d
	act := func(ids []int64, who civicgrid.Actor, a civicgrid.CaseAction, st casework.Step, when time.Time) error {
		if len(ids) == 0 {
			return nil
		}
		*now = when
		if err := b.Act(ctx, who, ids, a, st); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		return nil
	}
	// Sort the day's cases into what happens to them.
	var reject, late, onTime, open []int64
	for _, id := range pd.ids {
		r := rng.Float64()
		switch {
		case d <= 2 && r < 0.6, d <= 7 && r < 0.15:
			open = append(open, id)
		case r < 0.08:
			reject = append(reject, id)
		case r < 0.18:
			late = append(late, id)
		default:
			onTime = append(onTime, id)
		}
	}
	if err := act(reject, w.staff, civicgrid.CaseReject, casework.Step{Reason: "out_of_scope"}, pastAt(day, 21)); err != nil {
		return err
	}
	work := append(append([]int64{}, onTime...), late...)
	// Registered at the next of three rounds a day: late morning, late
	// afternoon, next morning.
	var rounds [3][]int64
	for _, id := range append(append([]int64{}, work...), open...) {
		switch h := pd.reportedAt[id].Sub(day).Hours(); {
		case h < 11:
			rounds[0] = append(rounds[0], id)
		case h < 16.5:
			rounds[1] = append(rounds[1], id)
		default:
			rounds[2] = append(rounds[2], id)
		}
	}
	for i, when := range []time.Time{pastAt(day, 11.25), pastAt(day, 16.75), pastAt(day, 20.75)} {
		if err := act(rounds[i], w.staff, civicgrid.CaseRegister, casework.Step{}, when); err != nil {
			return err
		}
	}
	steps := []struct {
		ids  []int64
		who  civicgrid.Actor
		a    civicgrid.CaseAction
		st   casework.Step
		when time.Time
	}{
		{work, w.staff, civicgrid.CaseDispatch, casework.Step{AssigneeID: w.handler.UserID}, pastAt(day, 22)},
		{work, w.handler, civicgrid.CaseAccept, casework.Step{}, pastAt(day, 23)},
		{onTime, w.handler, civicgrid.CaseHandle, casework.Step{Note: "已处置完毕，现场恢复。", Photos: []string{w.evidence}}, pastAt(day, 24+15)},
		{late, w.handler, civicgrid.CaseHandle, casework.Step{Note: "协调多方后处置完毕。", Photos: []string{w.evidence}}, pastAt(day, 24*9+10)},
	}
	for _, s := range steps {
		if err := act(s.ids, s.who, s.a, s.st, s.when); err != nil {
			return err
		}
	}
	// Checked and closed the next working hours; rated by most reporters.
	for _, group := range []struct {
		ids  []int64
		done time.Time
	}{{onTime, pastAt(day, 24+17)}, {late, pastAt(day, 24*9+16)}} {
		if err := act(group.ids, w.staff, civicgrid.CaseVerify, casework.Step{}, group.done); err != nil {
			return err
		}
		if err := act(group.ids, w.staff, civicgrid.CaseClose, casework.Step{}, group.done.Add(time.Hour)); err != nil {
			return err
		}
		for _, id := range group.ids {
			if rng.Float64() > 0.75 {
				continue
			}
			c, err := w.db.CaseByID(ctx, id)
			if err != nil {
				return err
			}
			rating := []int{5, 5, 5, 4, 4, 4, 3, 2}[rng.IntN(8)]
			if err := act([]int64{id}, residentOf(w.residents, c.ReporterID), civicgrid.CaseRate, casework.Step{Rating: rating}, group.done.Add(20*time.Hour)); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoPastNow is the moment the demo's past ends (tests fix it, so that a
// run crossing midnight in China does not make two different pasts).
var demoPastNow = time.Now

// residentOf is the past's resident with the id.
func residentOf(rs []civicgrid.Actor, id int64) civicgrid.Actor {
	for _, r := range rs {
		if r.UserID == id {
			return r
		}
	}
	return civicgrid.Actor{UserID: id, Via: "cli"}
}

var demoDescriptions = []string{"路灯不亮", "井盖松动", "垃圾未清运", "楼道堆放杂物", "路面积水", "共享单车乱停放", "噪音扰民", "绿化带破损", "水管漏水", "违规占道经营"}

// demoEvidence stores one small photo as every past case's evidence.
func demoEvidence(ctx context.Context, photos *photo.Store) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(90 + x/4), uint8(120 + y/4), 140, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return "", err
	}
	saved, err := photos.Save(ctx, &b)
	return saved.Ref, err
}
