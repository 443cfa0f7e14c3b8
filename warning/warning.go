// Package warning runs the risk early warning (风险预警): each day it reads
// the grids' daily report counts from the indicator rollups, judges them
// against each grid's own baseline (detect.go; docs/warnings.md) and stores
// the alerts; staff read the alerts of their area, acknowledge or dismiss
// them with a reason, and open a case from one through the case service.
// Every decision on who may do what is civicgrid.Authorize's.
package warning

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// Store is where the service reads counts and keeps alerts.
type Store interface {
	civicgrid.WarningStore
	civicgrid.GridDayReader
}

// Areas is what the service needs of the area registry: the grids of a
// scope with their shapes (for the neighbours and the place of a case).
type Areas interface {
	CurrentAreas(ctx context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error)
	AreaByCode(ctx context.Context, code string) (civicgrid.Area, error)
}

// Cases opens a case from an alert (casework.Service).
type Cases interface {
	Report(ctx context.Context, actor civicgrid.Actor, r casework.Report, idem *civicgrid.Idempotency) (casework.Intake, error)
}

// Config sets the service.
type Config struct {
	Params Params
	Now    func() time.Time
}

// Service is the early-warning module.
type Service struct {
	cfg   Config
	store Store
	areas Areas
	cases Cases
	// OnAlerts hears of new alerts (the live big screen); set before use.
	mu       sync.Mutex
	onAlerts []func([]civicgrid.Alert)
	queue    chan reported
	last     RunInfo
}

// New returns the service; cases may be nil (no case is opened then).
func New(cfg Config, store Store, areas Areas, cases Cases) *Service {
	cfg.Params = cfg.Params.withDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: store, areas: areas, cases: cases, queue: make(chan reported, 4096)}
}

// OnAlerts registers a listener for newly stored alerts.
func (s *Service) OnAlerts(fn func([]civicgrid.Alert)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAlerts = append(s.onAlerts, fn)
}

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

// Neighbours returns each grid's neighbours among the grids given: grids
// whose boundaries share an edge (two or more vertices in common; a corner
// alone is no edge). Coordinates are compared as stored (rounded to 1e-7°).
func Neighbours(grids []civicgrid.Area) map[string][]string {
	type vtx [2]int64
	at := map[vtx][]int{}
	for i, g := range grids {
		seen := map[vtx]bool{}
		each := func(r orb.Ring) {
			for _, p := range r {
				v := vtx{int64(math.Round(p[0] * 1e7)), int64(math.Round(p[1] * 1e7))}
				if !seen[v] {
					seen[v] = true
					at[v] = append(at[v], i)
				}
			}
		}
		switch geo := g.Geometry.(type) {
		case orb.Polygon:
			for _, r := range geo {
				each(r)
			}
		case orb.MultiPolygon:
			for _, p := range geo {
				for _, r := range p {
					each(r)
				}
			}
		}
	}
	shared := map[[2]int]int{}
	for _, is := range at {
		for x := range is {
			for y := x + 1; y < len(is); y++ {
				a, b := is[x], is[y]
				if a > b {
					a, b = b, a
				}
				shared[[2]int{a, b}]++
			}
		}
	}
	out := map[string][]string{}
	for k, n := range shared {
		if n >= 2 {
			a, b := grids[k[0]].Code, grids[k[1]].Code
			out[a] = append(out[a], b)
			out[b] = append(out[b], a)
		}
	}
	return out
}

// RunDay judges a day (Beijing time) over the grids of scope and stores
// the new alerts; actor must be allowed to run the warning there (the
// daily schedule runs as the system: civicgrid.Actor{Via: "cli"}).
func (s *Service) RunDay(ctx context.Context, actor civicgrid.Actor, scope string, day time.Time) ([]civicgrid.Alert, error) {
	if actor.Via != "cli" {
		if err := civicgrid.Authorize(actor, civicgrid.ActionRunWarnings, civicgrid.In(scope)); err != nil {
			return nil, err
		}
	}
	if civicgrid.LevelOfCode(scope) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "scope %q is not an area code", scope)
	}
	d := civicgrid.DayNumber(day.In(civicgrid.Beijing))
	grids, err := s.areas.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid, Within: civicgrid.SubtreePrefix(scope)})
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(grids))
	for i, g := range grids {
		codes[i] = g.Code
	}
	var r *Run
	if ss, ok := s.store.(StateStore); ok {
		r, err = s.incremental(ctx, ss, scope, d, codes)
	} else {
		r, err = s.full(ctx, scope, d, codes)
		s.ran(RunInfo{Day: d, Mode: ModeFull})
	}
	if err != nil {
		return nil, err
	}
	r.SetNeighbours(Neighbours(grids))
	return s.save(ctx, r.Alerts())
}

// full reads the whole history of scope into a run judging day d.
func (s *Service) full(ctx context.Context, scope string, d int, codes []string) (*Run, error) {
	r := NewRun(d, codes, s.cfg.Params)
	from := dayNumber(epochDay(d) - r.Params().HistoryDays() + 1)
	err := s.store.ForEachGridDay(ctx, scope, "", from, d, func(g civicgrid.GridDay) error { r.Add(g); return nil })
	return r, err
}

// How a daily run read its counts (RunInfo.Mode).
const (
	// ModeFull: the whole history, no state kept (a store without one).
	ModeFull = "full"
	// ModeRebuilt: the whole history, and the state built from it (none
	// kept yet, too old, under other parameters, or a summed day changed).
	ModeRebuilt = "rebuilt"
	// ModeCaughtUp: the kept state moved forward by the days entering and
	// leaving the sums, and the window's days read.
	ModeCaughtUp = "caught-up"
	// ModePast: a day before the kept state's, judged in full; the state is
	// left as it is.
	ModePast = "past"
)

// RunInfo says how the last daily run read its counts.
type RunInfo struct {
	Day   int    // yyyymmdd judged
	Mode  string // ModeFull, ModeRebuilt, ModeCaughtUp or ModePast
	Why   string // why it was rebuilt
	Moved int    // days the state moved forward
	Rows  int    // grid-day rows read
	Bytes int    // size of the state kept
}

func (s *Service) ran(i RunInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = i
}

// LastRun says how the last daily run read its counts.
func (s *Service) LastRun() RunInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// incremental judges day t from the state kept for scope (state.go): the
// state moved forward to t, checked against the scope's counts, and the
// window's days read; or, where it cannot be, the whole history read and
// the state built from it.
func (s *Service) incremental(ctx context.Context, ss StateStore, scope string, t int, codes []string) (*Run, error) {
	p := s.cfg.Params
	info := RunInfo{Day: t}
	count := func(f func(civicgrid.GridDay)) func(civicgrid.GridDay) error {
		return func(g civicgrid.GridDay) error { info.Rows++; f(g); return nil }
	}
	te := epochDay(t)
	g, h := p.GuardDays, p.summed()
	data, err := ss.WarningState(ctx, scope)
	if err != nil {
		return nil, err
	}
	var st *state
	switch {
	case data == nil:
		info.Why = "no state kept"
	default:
		if st, err = decodeState(data, t, codes, p); err != nil {
			st, info.Why = nil, "state unreadable"
		}
	}
	if st != nil {
		switch se := epochDay(st.day); {
		case st.key != p.stateKey():
			st, info.Why = nil, "parameters changed"
		case se > te:
			info.Mode = ModePast
			r, err := s.full(ctx, scope, t, codes)
			s.ran(info)
			return r, err
		case te-se > MaxCatchUp:
			st, info.Why = nil, fmt.Sprintf("state %d days old", te-se)
		}
	}
	var cur map[fpKey]int64
	if st != nil {
		// The scope's counts of every day summed in the state or entering
		// the sums now, compared with those the state summed.
		se := epochDay(st.day)
		cur = map[fpKey]int64{}
		if err := ss.ForEachScopeDay(ctx, scope, dayNumber(se-g-h+1), dayNumber(te-g), func(r civicgrid.GridDay) error {
			if r.Received != 0 {
				cur[fpKey{r.Day, r.Category}] = r.Received
			}
			return nil
		}); err != nil {
			return nil, err
		}
		last := dayNumber(se - g)
		for k, n := range st.fp {
			if cur[k] != n {
				st, info.Why = nil, fmt.Sprintf("day %d of %s changed since summed (%d, now %d)", k.day, k.cat, n, cur[k])
				break
			}
		}
		if st != nil {
			for k, n := range cur {
				if k.day <= last && st.fp[k] != n {
					st, info.Why = nil, fmt.Sprintf("day %d of %s changed since summed (%d, now %d)", k.day, k.cat, st.fp[k], n)
					break
				}
			}
		}
	}
	var r *Run
	if st == nil {
		// Rebuild: the whole history, as a run without a state reads it.
		info.Mode = ModeRebuilt
		r = NewRun(t, codes, p)
		from := dayNumber(te - r.Params().HistoryDays() + 1)
		if err := s.store.ForEachGridDay(ctx, scope, "", from, t, count(r.Add)); err != nil {
			return nil, err
		}
		st = &state{day: t, key: p.stateKey(), run: r, fp: map[fpKey]int64{}}
		if err := ss.ForEachScopeDay(ctx, scope, dayNumber(te-g-h+1), dayNumber(te-g), func(row civicgrid.GridDay) error {
			if row.Received != 0 {
				st.fp[fpKey{row.Day, row.Category}] = row.Received
			}
			return nil
		}); err != nil {
			return nil, err
		}
	} else {
		info.Mode = ModeCaughtUp
		r = st.run
		se := epochDay(st.day)
		info.Moved = te - se
		each := func(from, to int, base, wk int32) error {
			for e := from; e <= to; e++ {
				if err := ss.ForEachGridDayOn(ctx, scope, dayNumber(e), count(func(gd civicgrid.GridDay) { r.addSums(gd, base, wk) })); err != nil {
					return err
				}
			}
			return nil
		}
		if err := each(se-g+1, te-g, 1, 1); err != nil { // entering the baseline and the pattern
			return nil, err
		}
		if err := each(se-g-p.BaselineDays+1, te-g-p.BaselineDays, -1, 0); err != nil { // leaving the baseline
			return nil, err
		}
		if err := each(se-g-p.PatternDays+1, te-g-p.PatternDays, 0, -1); err != nil { // leaving the pattern
			return nil, err
		}
		first := dayNumber(te - g - h + 1)
		for k := range st.fp {
			if k.day < first {
				delete(st.fp, k)
			}
		}
		for k, n := range cur {
			if k.day > dayNumber(se-g) {
				st.fp[k] = n
			}
		}
		// The window's days, read afresh each run.
		for e := te - r.wmax + 1; e <= te; e++ {
			if err := ss.ForEachGridDayOn(ctx, scope, dayNumber(e), count(r.Add)); err != nil {
				return nil, err
			}
		}
		st.day = t
	}
	enc := st.encode()
	info.Bytes = len(enc)
	if err := ss.SaveWarningState(ctx, scope, t, enc); err != nil {
		return nil, err
	}
	s.ran(info)
	return r, nil
}

// Update judges one grid and category for the day of at so far (Beijing
// time), from the rollups, and stores a new alert if there is one: the
// incremental update after a report, so that a spike raises its alert as
// it happens rather than the next night. Clusters wait for the daily run.
// An alert raised during the day keeps the figures it was raised with (the
// day's run finds it stored).
func (s *Service) Update(ctx context.Context, grid, category string, at time.Time) ([]civicgrid.Alert, error) {
	if civicgrid.LevelOfCode(grid) != civicgrid.LevelGrid {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "%q is not a grid code", grid)
	}
	day := at.In(civicgrid.Beijing)
	d := civicgrid.DayNumber(day)
	r := NewRun(d, []string{grid}, s.cfg.Params)
	from := civicgrid.DayNumber(day.AddDate(0, 0, -r.Params().HistoryDays()+1))
	err := s.store.ForEachGridDay(ctx, grid, category, from, d, func(g civicgrid.GridDay) error { r.Add(g); return nil })
	if err != nil {
		return nil, err
	}
	return s.save(ctx, r.Alerts())
}

// save stores new alerts and tells the listeners of those stored now.
func (s *Service) save(ctx context.Context, as []civicgrid.Alert) ([]civicgrid.Alert, error) {
	now := s.now()
	for i := range as {
		as[i].CreatedAt = now
	}
	stored, err := s.store.SaveAlerts(ctx, as)
	if err != nil {
		return nil, err
	}
	if len(stored) > 0 {
		s.mu.Lock()
		fns := append([]func([]civicgrid.Alert){}, s.onAlerts...)
		s.mu.Unlock()
		for _, fn := range fns {
			fn(stored)
		}
	}
	return stored, nil
}

// reported is a report the incremental update is to judge.
type reported struct {
	grid, category string
	at             time.Time
}

// Reported queues a new report for the incremental update (Updates runs
// it); it never blocks the case loop: when the queue is full the report
// waits for the daily run.
func (s *Service) Reported(grid, category string, at time.Time) {
	select {
	case s.queue <- reported{grid, category, at}:
	default:
	}
}

// Updates judges the queued reports until ctx ends.
func (s *Service) Updates(ctx context.Context, logf func(string, ...any)) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.queue:
			if _, err := s.Update(ctx, r.grid, r.category, r.at); err != nil && ctx.Err() == nil {
				logf("early warning update failed", "grid", r.grid, "category", r.category, "err", err)
			}
		}
	}
}

// Daily runs the warning every day shortly after midnight (Beijing time)
// over scope, judging the day just ended, and also once at start for the
// day before, until ctx ends.
func (s *Service) Daily(ctx context.Context, scope string, logf func(string, ...any)) {
	system := civicgrid.Actor{Via: "cli"}
	run := func() {
		day := s.now().In(civicgrid.Beijing).AddDate(0, 0, -1)
		as, err := s.RunDay(ctx, system, scope, day)
		if err != nil && ctx.Err() == nil {
			logf("early warning run failed", "day", day.Format(time.DateOnly), "err", err)
			return
		}
		i := s.LastRun()
		logf("early warning run", "day", day.Format(time.DateOnly), "alerts", len(as), "read", i.Mode, "why", i.Why, "rows", i.Rows,
			"state_bytes", i.Bytes)
	}
	run()
	for {
		now := s.now().In(civicgrid.Beijing)
		y, m, d := now.Date()
		next := time.Date(y, m, d+1, 0, 10, 0, 0, civicgrid.Beijing)
		select {
		case <-ctx.Done():
			return
		case <-time.After(next.Sub(now)):
			run()
		}
	}
}

// List returns the alerts touching scope (the actor's area), newest first.
func (s *Service) List(ctx context.Context, actor civicgrid.Actor, scope string, status civicgrid.AlertStatus) ([]civicgrid.Alert, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadWarnings, civicgrid.In(scope)); err != nil {
		return nil, err
	}
	switch status {
	case "", civicgrid.AlertOpen, civicgrid.AlertAcknowledged, civicgrid.AlertDismissed:
	default:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "status must be open, acknowledged or dismissed")
	}
	return s.store.Alerts(ctx, civicgrid.AlertFilter{Scope: scope, Status: status, Limit: 200})
}

// Get returns an alert the actor may read ("not found" otherwise).
func (s *Service) Get(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Alert, error) {
	a, err := s.store.AlertByID(ctx, id)
	if err != nil {
		return a, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadWarnings, a.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return civicgrid.Alert{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no alert %d", id)
		}
		return civicgrid.Alert{}, err
	}
	return a, nil
}

// Decide acknowledges an open alert or dismisses it with a reason.
func (s *Service) Decide(ctx context.Context, actor civicgrid.Actor, id int64, d civicgrid.AlertDecision) (civicgrid.Alert, error) {
	a, err := s.Get(ctx, actor, id)
	if err != nil {
		return a, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionDecideWarning, a.Object()); err != nil {
		return a, err
	}
	if err := d.Check(); err != nil {
		return a, err
	}
	return s.store.DecideAlert(ctx, id, d, actor.UserID, actor.Label(), s.now())
}

// OpenCase reports a case from an alert, at the middle of its grid, in its
// category, through the case service (which checks the report as any
// other), and links it to the alert; an alert opens one case at most.
func (s *Service) OpenCase(ctx context.Context, actor civicgrid.Actor, id int64, note string) (civicgrid.Case, error) {
	a, err := s.Get(ctx, actor, id)
	if err != nil {
		return civicgrid.Case{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionDecideWarning, a.Object()); err != nil {
		return civicgrid.Case{}, err
	}
	if s.cases == nil {
		return civicgrid.Case{}, civicgrid.Errorf(civicgrid.EINVALID, "cases are not served here")
	}
	if a.CaseID != 0 {
		return civicgrid.Case{}, civicgrid.Errorf(civicgrid.ECONFLICT, "alert %d opened case %d already", id, a.CaseID)
	}
	g, err := s.areas.AreaByCode(ctx, a.Grid)
	if err != nil {
		return civicgrid.Case{}, err
	}
	if g.Geometry == nil {
		return civicgrid.Case{}, civicgrid.Errorf(civicgrid.EINVALID, "grid %s has no shape to place the case in", a.Grid)
	}
	at := g.Geometry.Bound().Center()
	if poly, ok := g.Geometry.(orb.Polygon); ok && len(poly) > 0 {
		at = inside(poly, at)
	}
	desc := fmt.Sprintf("预警 %d：%s 网格 %s 在 %d 天内（截至 %s）收到 %d 件，预期 %.1f 件（p = %.2g）。", a.ID, a.Category, a.Grid,
		a.WindowDays, a.Day, a.Observed, a.Expected, a.PValue)
	if note = strings.TrimSpace(note); note != "" {
		desc += "\n" + note
	}
	in, err := s.cases.Report(ctx, actor, casework.Report{Category: a.Category, Description: desc, Lat: at[1], Lng: at[0],
		Channel: civicgrid.ChannelHotline}, &civicgrid.Idempotency{Scope: "alert", Key: strconv.FormatInt(a.ID, 10), RequestHash: "alert"})
	if err != nil {
		return civicgrid.Case{}, err
	}
	if !in.Existing {
		if err := s.store.LinkAlertCase(ctx, a.ID, in.Case.ID); err != nil {
			return in.Case, err
		}
	}
	return in.Case, nil
}

// inside returns c if it lies in the polygon, else the middle of its
// first edge nudged inward (an odd-shaped grid's bounding box centre may
// fall outside it).
func inside(p orb.Polygon, c orb.Point) orb.Point {
	if contains(p[0], c) {
		return c
	}
	r := p[0]
	for i := 0; i+2 < len(r); i++ {
		m := orb.Point{(r[i][0] + r[i+1][0] + r[i+2][0]) / 3, (r[i][1] + r[i+1][1] + r[i+2][1]) / 3}
		if contains(r, m) {
			return m
		}
	}
	return c
}

func contains(r orb.Ring, pt orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		if (r[i][1] > pt[1]) != (r[j][1] > pt[1]) && pt[0] < (r[j][0]-r[i][0])*(pt[1]-r[i][1])/(r[j][1]-r[i][1])+r[i][0] {
			in = !in
		}
	}
	return in
}
