package warning

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// memStore is the rollups' grid-level rows and the warning's state in
// memory, with the same readings as sqlstore's: a scope's own rows are the
// sums over its grids, as the rollups keep them.
type memStore struct {
	civicgrid.WarningStore                             // not used: SaveAlerts is below
	days                   map[int]map[[2]string]int64 // day → grid, category → received
	state                  map[string][]byte
	stateDay               map[string]int
}

func newMemStore() *memStore {
	return &memStore{days: map[int]map[[2]string]int64{}, state: map[string][]byte{}, stateDay: map[string]int{}}
}

func (m *memStore) add(grid, cat string, day int, n int64) {
	if m.days[day] == nil {
		m.days[day] = map[[2]string]int64{}
	}
	m.days[day][[2]string{grid, cat}] += n
}

func (m *memStore) each(from, to int, scope, category string, fn func(g civicgrid.GridDay) error) error {
	for e := epochDay(from); e <= epochDay(to); e++ {
		d := dayNumber(e)
		for k, n := range m.days[d] {
			if n > 0 && strings.HasPrefix(k[0], scope) && (category == "" || k[1] == category) {
				if err := fn(civicgrid.GridDay{Grid: k[0], Category: k[1], Day: d, Received: n}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (m *memStore) ForEachGridDay(ctx context.Context, scope, category string, from, to int, fn func(civicgrid.GridDay) error) error {
	return m.each(from, to, scope, category, fn)
}

func (m *memStore) ForEachGridDayOn(ctx context.Context, scope string, day int, fn func(civicgrid.GridDay) error) error {
	return m.each(day, day, scope, "", fn)
}

func (m *memStore) ForEachScopeDay(ctx context.Context, scope string, from, to int, fn func(civicgrid.GridDay) error) error {
	sums := map[fpKey]int64{}
	m.each(from, to, scope, "", func(g civicgrid.GridDay) error { sums[fpKey{g.Day, g.Category}] += g.Received; return nil })
	for k, n := range sums {
		if err := fn(civicgrid.GridDay{Grid: scope, Day: k.day, Category: k.cat, Received: n}); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) WarningState(ctx context.Context, scope string) ([]byte, error) {
	return m.state[scope], nil
}

func (m *memStore) SaveWarningState(ctx context.Context, scope string, day int, data []byte) error {
	if d, ok := m.stateDay[scope]; ok && d > day {
		return nil
	}
	m.state[scope], m.stateDay[scope] = append([]byte(nil), data...), day
	return nil
}

func (m *memStore) SaveAlerts(ctx context.Context, as []civicgrid.Alert) ([]civicgrid.Alert, error) {
	return as, nil
}

// fullOnly hides the state methods: the service reads the whole history.
type fullOnly struct{ Store }

type lattice struct{ grids []civicgrid.Area }

func (l lattice) CurrentAreas(ctx context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error) {
	return l.grids, nil
}

func (l lattice) AreaByCode(ctx context.Context, code string) (civicgrid.Area, error) {
	return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area")
}

// TestStateMatchesFullRun judges two months of days, one after the other,
// from the kept state (moved forward by the days entering and leaving the
// sums) and by reading the whole history, on generated counts with weekday
// patterns and injected spikes, rises and a cluster: the alerts must be
// the same, and the state's sums those of a full run, every day — also
// after days without a run, a restart (a new service on the same store),
// a late report into the window and a changed day already summed (which
// rebuilds the state).
func TestStateMatchesFullRun(t *testing.T) {
	ctx := context.Background()
	const side = 8
	var grids []civicgrid.Area
	var codes []string
	for i := range side * side {
		x, y := float64(i%side), float64(i/side)
		d := 0.005
		code := fmt.Sprintf("420102001001%03d", i+1)
		codes = append(codes, code)
		grids = append(grids, civicgrid.Area{Code: code, Level: civicgrid.LevelGrid, Geometry: orb.Polygon{{{114.3 + x*d, 30.6 + y*d},
			{114.3 + (x+1)*d, 30.6 + y*d}, {114.3 + (x+1)*d, 30.6 + (y+1)*d}, {114.3 + x*d, 30.6 + (y+1)*d}, {114.3 + x*d, 30.6 + y*d}}}})
	}
	cats := []struct {
		code    string
		rate    float64
		weekday [7]float64
	}{
		{"C0001", 0.2, [7]float64{1.2, 1.1, 1.1, 1.0, 1.0, 0.8, 0.8}},
		{"C0002", 1.0, [7]float64{1.5, 1.4, 1.3, 1.2, 1.1, 0.3, 0.2}},
		{"C0003", 3, [7]float64{0.8, 0.8, 0.9, 0.9, 1.0, 1.3, 1.3}},
	}
	r := rand.New(rand.NewPCG(11, 12))
	m := newMemStore()
	start := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC) // a Monday
	const histDays, judgedDays = 400, 60
	for _, c := range cats {
		for _, g := range codes {
			lambda := c.rate * gammaDraw(r, 2, 0.5)
			for i := range histDays + judgedDays {
				day := start.AddDate(0, 0, i)
				wd := (int(day.Weekday()) + 6) % 7
				if n := poisson(r, lambda*c.weekday[wd]*gammaDraw(r, 5, 0.2)); n > 0 {
					m.add(g, c.code, civicgrid.DayNumber(day), n)
				}
			}
		}
	}
	dayAt := func(i int) int { return civicgrid.DayNumber(start.AddDate(0, 0, histDays+i)) }
	// Spikes, rises and a cluster in the judged period.
	m.add(codes[3], "C0001", dayAt(5), 6)
	m.add(codes[10], "C0002", dayAt(12), 9)
	for i := range 3 {
		m.add(codes[20], "C0003", dayAt(20+i), 8)
	}
	for i := range 7 {
		for _, g := range []int{27, 28, 35} {
			m.add(codes[g], "C0002", dayAt(30+i), 2)
		}
	}
	m.add(codes[40], "C0001", dayAt(47), 5)

	now := start
	cfg := Config{Now: func() time.Time { return now }}
	inc := New(cfg, m, lattice{grids}, nil)
	full := New(cfg, fullOnly{m}, lattice{grids}, nil)
	system := civicgrid.Actor{Via: "cli"}
	total, modes := 0, map[string]int{}
	for i := range judgedDays {
		switch {
		case i >= 8 && i <= 11:
			continue // no run for four days: the next catches up five
		case i == 25:
			inc = New(cfg, m, lattice{grids}, nil) // a restart: the state is read from the store
		case i == 40:
			m.add(codes[7], "C0003", dayAt(i-100), 1) // an old case reclassified into C0003: a summed day changed
		case i == 45:
			m.add(codes[9], "C0002", dayAt(i-3), 1) // a late report inside the window
		}
		d := dayAt(i)
		day := time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, civicgrid.Beijing)
		got, err := inc.RunDay(ctx, system, "420102", day)
		if err != nil {
			t.Fatal(err)
		}
		info := inc.LastRun()
		modes[info.Mode]++
		want, err := full.RunDay(ctx, system, "420102", day)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 0 || i == 40:
			if info.Mode != ModeRebuilt {
				t.Errorf("day %d: read %q, want %q", i, info.Mode, ModeRebuilt)
			}
		default:
			if info.Mode != ModeCaughtUp {
				t.Errorf("day %d: read %q (%s), want %q", i, info.Mode, info.Why, ModeCaughtUp)
			}
		}
		if i == 12 && info.Moved != 5 {
			t.Errorf("after four days without a run: moved %d days, want 5", info.Moved)
		}
		if i > 0 && i != 40 && info.Rows > 3000 {
			t.Errorf("day %d: read %d rows catching up", i, info.Rows)
		}
		sameAlerts(t, d, got, want)
		sameSums(t, m, d, codes)
		total += len(got)
	}
	if total < 5 {
		t.Fatalf("only %d alerts in two months: the comparison shows little", total)
	}
	t.Logf("%d alerts over %d days judged; %v", total, judgedDays-4, modes)

	// A day before the state's is judged in full and leaves the state.
	before := m.stateDay["420102"]
	d := dayAt(20)
	got, err := inc.RunDay(ctx, system, "420102", time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, civicgrid.Beijing))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := full.RunDay(ctx, system, "420102", time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, civicgrid.Beijing))
	sameAlerts(t, d, got, want)
	if inc.LastRun().Mode != ModePast || m.stateDay["420102"] != before {
		t.Fatalf("a past day: read %q, state day %d (want %q, %d)", inc.LastRun().Mode, m.stateDay["420102"], ModePast, before)
	}
	// An unreadable state is rebuilt.
	m.state["420102"] = []byte("CGWS1\xff")
	d = dayAt(judgedDays - 1)
	if _, err := inc.RunDay(ctx, system, "420102", time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, civicgrid.Beijing)); err != nil {
		t.Fatal(err)
	}
	if inc.LastRun().Mode != ModeRebuilt {
		t.Fatalf("an unreadable state: read %q", inc.LastRun().Mode)
	}
	sameSums(t, m, d, codes)
}

func sameAlerts(t *testing.T, day int, got, want []civicgrid.Alert) {
	t.Helper()
	key := func(a civicgrid.Alert) string { return fmt.Sprint(a.Kind, a.Category, a.Grid, a.Grids) }
	sortAlerts := func(as []civicgrid.Alert) {
		slices.SortFunc(as, func(a, b civicgrid.Alert) int { return cmp.Compare(key(a), key(b)) })
	}
	sortAlerts(got)
	sortAlerts(want)
	if len(got) != len(want) {
		t.Fatalf("day %d: %d alerts from the state, %d from the history:\n%v\n%v", day, len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if key(g) != key(w) || g.WindowDays != w.WindowDays || g.Observed != w.Observed || g.Expected != w.Expected ||
			math.Abs(g.PValue-w.PValue) > 1e-9*w.PValue {
			t.Fatalf("day %d: alert from the state %+v, from the history %+v", day, g, w)
		}
	}
}

// sameSums compares the state kept with the sums of a run over the whole
// history: every series' baseline and weekday counts, every category's
// weekday totals.
func sameSums(t *testing.T, m *memStore, day int, codes []string) {
	t.Helper()
	p := DefaultParams()
	st, err := decodeState(m.state["420102"], day, codes, p)
	if err != nil {
		t.Fatal(err)
	}
	if st.day != day {
		t.Fatalf("state of day %d, want %d", st.day, day)
	}
	full := NewRun(day, codes, p)
	from := dayNumber(epochDay(day) - p.HistoryDays() + 1)
	m.ForEachGridDay(context.Background(), "420102", "", from, day, func(g civicgrid.GridDay) error { full.Add(g); return nil })
	for code, c := range full.cats {
		s := st.run.cats[code]
		if s == nil {
			t.Fatalf("day %d: category %s missing from the state", day, code)
		}
		if s.tot != c.tot {
			t.Fatalf("day %d, %s: weekday totals %v in the state, %v in the history", day, code, s.tot, c.tot)
		}
		for gi, g := range full.grids {
			si := st.run.gidx[g]
			if s.base[si] != c.base[gi] || !slices.Equal(s.wk[si*7:si*7+7], c.wk[gi*7:gi*7+7]) {
				t.Fatalf("day %d, %s, grid %s: state base %d weekdays %v, history %d %v", day, code, g, s.base[si], s.wk[si*7:si*7+7],
					c.base[gi], c.wk[gi*7:gi*7+7])
			}
		}
	}
}
