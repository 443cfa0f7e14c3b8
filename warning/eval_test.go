package warning

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The method's evaluation on generated data (docs/warnings.md prints the
// table `go test ./warning -run Evaluation -v` logs): a lattice of grids,
// categories with their own rates and weekday patterns, counts
// overdispersed (gamma-Poisson), outbreaks injected into some series; each
// day of the evaluation period is judged as the daily run judges it.

type evalCategory struct {
	code    string
	rate    float64    // mean reports a day of a series (grids vary around it)
	weekday [7]float64 // Monday first
}

var evalCategories = []evalCategory{
	{"sparse", 0.1, [7]float64{1.2, 1.1, 1.1, 1.0, 1.0, 0.8, 0.8}},
	{"low", 0.4, [7]float64{1.4, 1.3, 1.2, 1.1, 1.0, 0.5, 0.5}},
	{"mid", 1.5, [7]float64{1.5, 1.4, 1.3, 1.2, 1.1, 0.3, 0.2}}, // office hours: quiet weekends
	{"high", 4, [7]float64{0.8, 0.8, 0.9, 0.9, 1.0, 1.3, 1.3}},  // busier weekends
}

type evalScenario struct {
	name    string
	days    int     // outbreak length
	factor  float64 // outbreak days carry factor × the expected count …
	minPlus float64 // … and at least this many extra reports a day
	grids   int     // 1, or a grid and neighbours (a cluster)
}

var evalScenarios = []evalScenario{
	{"spike: 1 day, ×4 (≥ +3)", 1, 4, 3, 1},
	{"spike: 1 day, ×3 (≥ +2)", 1, 3, 2, 1},
	{"rise: 3 days, ×2.5 (≥ +1/day)", 3, 2.5, 1, 1},
	{"rise: 7 days, ×2 (≥ +1/day)", 7, 2, 1, 1},
	{"cluster: 3 grids, 7 days, ×1.8 (≥ +0.5/day each)", 7, 1.8, 0.5, 3},
}

type evalOutbreak struct {
	sc    evalScenario
	cat   int
	grids []int
	start int // day index
}

type evalResult struct {
	outbreaks, detected, delaySum int
	alerts, falseAlerts           int
	seriesDays, gridDays          int
}

// gammaDraw draws Gamma(shape k, scale θ) (Marsaglia–Tsang).
func gammaDraw(r *rand.Rand, k, theta float64) float64 {
	if k < 1 {
		return gammaDraw(r, k+1, theta) * math.Pow(r.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v * theta
		}
	}
}

func poisson(r *rand.Rand, m float64) int64 {
	if m <= 0 {
		return 0
	}
	if m > 30 {
		return max(0, int64(math.Round(m+math.Sqrt(m)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-m), int64(0), 1.0
	for {
		p *= r.Float64()
		if p < l {
			return k
		}
		k++
	}
}

// evaluate generates side×side grids over the categories, judges evalDays
// days after a year of history, and scores the alerts.
func evaluate(t testing.TB, p Params, side, evalDays int, phiTrue float64, seed uint64) map[string]*evalResult {
	r := rand.New(rand.NewPCG(seed, 7))
	p = p.withDefaults()
	hist := p.HistoryDays()
	total := hist + evalDays
	ng := side * side
	grids := make([]string, ng)
	adj := map[string][]string{}
	for i := range ng {
		grids[i] = fmt.Sprintf("420102%03d%03d%03d", 1+i/100, 1+i/10%10, 1+i%10)
	}
	nb := func(i int) []int {
		x, y := i%side, i/side
		var out []int
		for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			if nx, ny := x+d[0], y+d[1]; nx >= 0 && ny >= 0 && nx < side && ny < side {
				out = append(out, ny*side+nx)
			}
		}
		return out
	}
	for i := range ng {
		for _, j := range nb(i) {
			adj[grids[i]] = append(adj[grids[i]], grids[j])
		}
	}
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC) // a Monday
	// Expected counts and the generated ones, [cat][grid][day].
	nc := len(evalCategories)
	mean := make([][][]float64, nc)
	counts := make([][][]int64, nc)
	for c, cat := range evalCategories {
		mean[c] = make([][]float64, ng)
		counts[c] = make([][]int64, ng)
		for g := range ng {
			lambda := cat.rate * gammaDraw(r, 2, 0.5) // grids differ: mean 1, sd 0.7
			// A slow seasonal wave of ±20 % over the year.
			phase := r.Float64() * 2 * math.Pi
			mean[c][g] = make([]float64, total)
			counts[c][g] = make([]int64, total)
			for d := range total {
				mu := lambda * cat.weekday[d%7] * (1 + 0.2*math.Sin(phase+2*math.Pi*float64(d)/365))
				mean[c][g][d] = mu
				m := mu
				if phiTrue > 0 {
					m = gammaDraw(r, 1/phiTrue, mu*phiTrue)
				}
				counts[c][g][d] = poisson(r, m)
			}
		}
	}
	// Outbreaks: each scenario in its share of series, no two on one
	// series, starting in the evaluation period so that it ends in it.
	var obs []evalOutbreak
	used := map[[2]int]bool{}
	perScenario := max(ng*nc/40, 10)
	for _, sc := range evalScenarios {
		for range perScenario {
			for {
				c, g := r.IntN(nc), r.IntN(ng)
				zone := []int{g}
				if sc.grids > 1 {
					ns := nb(g)
					if len(ns) < sc.grids-1 {
						continue
					}
					zone = append(zone, ns[:sc.grids-1]...)
				}
				free := true
				for _, z := range zone {
					free = free && !used[[2]int{c, z}]
				}
				if !free {
					continue
				}
				for _, z := range zone {
					used[[2]int{c, z}] = true
				}
				o := evalOutbreak{sc: sc, cat: c, grids: zone, start: hist + r.IntN(evalDays-sc.days-3)}
				for _, z := range zone {
					for d := o.start; d < o.start+sc.days; d++ {
						extra := max(sc.minPlus, (sc.factor-1)*mean[c][z][d])
						counts[c][z][d] += poisson(r, extra)
					}
				}
				obs = append(obs, o)
				break
			}
		}
	}
	// affected[c][g] holds the days whose windows see an outbreak.
	affected := map[[3]int]*evalOutbreak{}
	for i := range obs {
		o := &obs[i]
		for _, z := range o.grids {
			for d := o.start; d < o.start+o.sc.days+7; d++ {
				affected[[3]int{o.cat, z, d}] = o
			}
		}
	}
	gidx := map[string]int{}
	for i, g := range grids {
		gidx[g] = i
	}
	catIdx := map[string]int{}
	for i, c := range evalCategories {
		catIdx[c.code] = i
	}
	res := map[string]*evalResult{"": {}}
	for _, sc := range evalScenarios {
		res[sc.name] = &evalResult{}
	}
	firstAlert := map[*evalOutbreak]int{}
	for day := hist; day < total; day++ {
		run := NewRun(civicgrid.DayNumber(start.AddDate(0, 0, day)), grids, p)
		run.SetNeighbours(adj)
		for c, cat := range evalCategories {
			for g := range ng {
				for d := day - hist + 1; d <= day; d++ {
					if n := counts[c][g][d]; n > 0 {
						run.Add(civicgrid.GridDay{Grid: grids[g], Category: cat.code, Day: civicgrid.DayNumber(start.AddDate(0, 0, d)), Received: n})
					}
				}
			}
		}
		res[""].seriesDays += ng * nc
		res[""].gridDays += ng
		for _, a := range run.Alerts() {
			res[""].alerts++
			c := catIdx[a.Category]
			var hit *evalOutbreak
			for _, gc := range a.Grids {
				if o := affected[[3]int{c, gidx[gc], day}]; o != nil {
					hit = o
				}
			}
			if hit == nil {
				res[""].falseAlerts++
				continue
			}
			if _, seen := firstAlert[hit]; !seen && day <= hit.start+hit.sc.days-1+2 {
				firstAlert[hit] = day
			}
		}
	}
	for i := range obs {
		o := &obs[i]
		rs := res[o.sc.name]
		rs.outbreaks++
		if d, ok := firstAlert[o]; ok {
			rs.detected++
			rs.delaySum += d - o.start
		}
	}
	return res
}

// evalTable renders the results as the Markdown table of docs/warnings.md.
func evalTable(res map[string]*evalResult) string {
	var b strings.Builder
	b.WriteString("| outbreak | injected | detected | detection rate | mean delay (days from its first day) |\n|---|---|---|---|---|\n")
	for _, sc := range evalScenarios {
		rs := res[sc.name]
		delay := "–"
		if rs.detected > 0 {
			delay = fmt.Sprintf("%.2f", float64(rs.delaySum)/float64(rs.detected))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f %% | %s |\n", sc.name, rs.outbreaks, rs.detected, 100*float64(rs.detected)/float64(rs.outbreaks), delay)
	}
	all := res[""]
	fmt.Fprintf(&b, "\nFalse alarms: %d of %d alerts, %.2f per 1,000 grid-days (%d categories a grid-day), %.3f per 1,000 grid-category-days.\n",
		all.falseAlerts, all.alerts, 1000*float64(all.falseAlerts)/float64(all.gridDays), len(evalCategories),
		1000*float64(all.falseAlerts)/float64(all.seriesDays))
	return b.String()
}

// TestEvaluation generates a year of history and 60 days judged over 400
// grids and 4 categories (1,600 series; 24,000 grid-days), with the
// outbreaks above, at the default parameters and at ten times their
// chance of a false alert, and holds the method to what docs/warnings.md
// reports (the data are fixed by the seed).
func TestEvaluation(t *testing.T) {
	res := evaluate(t, DefaultParams(), 20, 60, 0.2, 1)
	t.Logf("default parameters\n%s", evalTable(res))
	loose := DefaultParams()
	loose.Alpha = 1e-3
	resLoose := evaluate(t, loose, 20, 60, 0.2, 1)
	t.Logf("alpha %g\n%s", loose.Alpha, evalTable(resLoose))
	rate := func(res map[string]*evalResult, name string) float64 {
		return float64(res[name].detected) / float64(res[name].outbreaks)
	}
	for i, floor := range []float64{0.2, 0, 0.1, 0.3, 0.3} {
		if got := rate(res, evalScenarios[i].name); got < floor {
			t.Errorf("%s: detected %.0f %%, want ≥ %.0f %%", evalScenarios[i].name, 100*got, 100*floor)
		}
		if rate(resLoose, evalScenarios[i].name) < rate(res, evalScenarios[i].name) {
			t.Errorf("%s: a looser alpha detected less", evalScenarios[i].name)
		}
	}
	falses := func(res map[string]*evalResult) float64 {
		return 1000 * float64(res[""].falseAlerts) / float64(res[""].gridDays)
	}
	if per := falses(res); per > 1 {
		t.Errorf("%.2f false alarms per 1,000 grid-days, want ≤ 1", per)
	}
	if falses(resLoose) <= falses(res) {
		t.Errorf("a looser alpha raised no more false alarms (%.2f, %.2f per 1,000 grid-days)", falses(resLoose), falses(res))
	}
}
