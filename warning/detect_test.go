package warning

import (
	"math"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// series feeds a run with a grid's daily counts: counts[i] is the count i
// days before the day judged.
func feed(r *Run, grid, cat string, counts func(back int, day time.Time) int64) {
	t := time.Date(r.Day()/10000, time.Month(r.Day()/100%100), r.Day()%100, 0, 0, 0, 0, time.UTC)
	for back := range r.Params().HistoryDays() {
		d := t.AddDate(0, 0, -back)
		if n := counts(back, d); n > 0 {
			r.Add(civicgrid.GridDay{Grid: grid, Category: cat, Day: civicgrid.DayNumber(d), Received: n})
		}
	}
}

const judged = 20260302 // a Monday

func TestTail(t *testing.T) {
	// Poisson(2): P(X ≥ 5) = 1 − e⁻²(1 + 2 + 2 + 4/3 + 2/3) = 0.05265…
	if got, want := Tail(5, 2, 0), 0.052653; math.Abs(got-want) > 1e-5 {
		t.Errorf("Poisson tail = %v, want %v", got, want)
	}
	// Overdispersion widens the tail.
	if nb, po := Tail(10, 2, 0.25), Tail(10, 2, 0); nb <= po {
		t.Errorf("negative binomial tail %v should exceed Poisson's %v", nb, po)
	}
	if got := Tail(1, 3, 0.25); got != 1 {
		t.Errorf("a count below the mean: tail %v, want 1", got)
	}
}

func TestAlertLogic(t *testing.T) {
	// A steady series of 2 a day: nothing.
	r := NewRun(judged, []string{"420102001001001"}, Params{})
	feed(r, "420102001001001", "C0005", func(int, time.Time) int64 { return 2 })
	if as := r.Alerts(); len(as) != 0 {
		t.Fatalf("flat series raised %+v", as)
	}
	// The same with a spike of 14 on the day judged: an alert saying so.
	r = NewRun(judged, []string{"420102001001001"}, Params{})
	feed(r, "420102001001001", "C0005", func(back int, _ time.Time) int64 {
		if back == 0 {
			return 14
		}
		return 2
	})
	as := r.Alerts()
	if len(as) != 1 {
		t.Fatalf("spike: %d alerts, want 1: %+v", len(as), as)
	}
	a := as[0]
	if a.Kind != civicgrid.AlertGrid || a.Grid != "420102001001001" || a.Category != "C0005" || a.Day != "2026-03-02" ||
		a.WindowDays != 1 || a.Observed != 14 || math.Abs(a.Expected-2) > 0.1 || a.PValue >= a.Threshold {
		t.Errorf("spike alert = %+v", a)
	}
	// A strong weekday pattern (busy Mondays, quiet weekends), judged on a
	// busy Monday: no alert, while the same Monday count under a flat
	// pattern would be one.
	weekly := func(_ int, d time.Time) int64 {
		switch d.Weekday() {
		case time.Monday:
			return 9
		case time.Saturday, time.Sunday:
			return 0
		}
		return 1
	}
	r = NewRun(judged, []string{"420102001001001"}, Params{})
	feed(r, "420102001001001", "C0005", weekly)
	if as := r.Alerts(); len(as) != 0 {
		t.Errorf("busy Monday of a weekday pattern raised %+v", as)
	}
	r = NewRun(judged, []string{"420102001001001"}, Params{})
	feed(r, "420102001001001", "C0005", func(back int, d time.Time) int64 {
		if back == 0 {
			return 9
		}
		return 13 / 7 // the same weekly total, every day alike (1 a day)
	})
	if as := r.Alerts(); len(as) != 1 {
		t.Errorf("9 on a day of a flat series of 1: %d alerts, want 1", len(as))
	}
	// Rows of other categories and grids do not mix into a series.
	r = NewRun(judged, []string{"420102001001001", "420102001001002"}, Params{})
	feed(r, "420102001001001", "C0005", func(int, time.Time) int64 { return 2 })
	feed(r, "420102001001002", "C0005", func(back int, _ time.Time) int64 { return map[bool]int64{true: 14, false: 0}[back == 0] })
	feed(r, "420102001001001", "06010", func(back int, _ time.Time) int64 { return 3 })
	as = r.Alerts()
	if len(as) != 1 || as[0].Grid != "420102001001002" || as[0].Observed != 14 {
		t.Errorf("got %+v, want one alert for the second grid", as)
	}
}

// Three neighbouring grids, each a little up for a week: no grid alone is
// unusual enough, together they are a cluster; the same rise in grids that
// are not neighbours is none.
func TestClusterAlert(t *testing.T) {
	grids := []string{"420102001001001", "420102001001002", "420102001001003", "420102001001004"}
	rising := func(back int, d time.Time) int64 {
		if back < 7 {
			return int64(1 + back%2) // 1–2 a day over the last week
		}
		if d.Day()%2 == 0 {
			return 1
		}
		return 0
	}
	run := func(adj map[string][]string) []civicgrid.Alert {
		r := NewRun(judged, grids, Params{})
		r.SetNeighbours(adj)
		for _, g := range grids[:3] {
			feed(r, g, "C0005", rising)
		}
		feed(r, grids[3], "C0005", func(_ int, d time.Time) int64 { return int64(d.Day() % 2) })
		return r.Alerts()
	}
	var grid, cluster []civicgrid.Alert
	for _, a := range run(map[string][]string{grids[1]: {grids[0], grids[2]}, grids[2]: {grids[3]}}) {
		if a.Kind == civicgrid.AlertCluster {
			cluster = append(cluster, a)
		} else {
			grid = append(grid, a)
		}
	}
	if len(cluster) != 1 || cluster[0].Grid != grids[1] || len(cluster[0].Grids) != 3 {
		t.Errorf("clusters = %+v, want one centred on %s over 3 grids", cluster, grids[1])
	}
	if len(grid) != 0 {
		t.Errorf("grid alerts %+v: each grid alone should be within its limits", grid)
	}
	for _, a := range run(nil) {
		if a.Kind == civicgrid.AlertCluster {
			t.Errorf("cluster without neighbours: %+v", a)
		}
	}
}
