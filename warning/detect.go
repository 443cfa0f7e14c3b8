package warning

import (
	"math"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Params are the method's parameters (docs/warnings.md explains each).
type Params struct {
	// BaselineDays is how many days, ending GuardDays before the day
	// judged, give the series' level (a multiple of 7, so every weekday
	// counts alike; default 56).
	BaselineDays int
	// GuardDays keep the days just before the day judged out of the
	// baseline, so that a rise in progress does not raise its own
	// expectation (at least the longest window; default 7).
	GuardDays int
	// PatternDays is how many days, before the guard, give the weekday
	// pattern (default 364: 52 weeks).
	PatternDays int
	// Windows are the lengths in days of the windows tested, each ending
	// on the day judged (default 1, 3, 7: a one-day spike, a rise over a
	// few days, a week's rise).
	Windows []int
	// Alpha is the chance of a false alert per series and day; each
	// window is tested at Alpha / len(Windows) (default 1e-4).
	Alpha float64
	// MinObserved is the fewest reports in a window that may raise an
	// alert (default 3).
	MinObserved int64
	// Dispersion φ of the negative binomial: variance = μ + φμ²
	// (default 0.25; 0 is Poisson).
	Dispersion float64
	// Shrink is how many pseudo-reports per weekday pull a grid's own
	// weekday pattern toward its category's pattern over the whole run
	// (default 10).
	Shrink float64
	// Prior is added to the baseline's count, so that a series with no
	// reports in the baseline still expects a little (default 0.5).
	Prior float64
}

// DefaultParams are the parameters the daily run uses.
func DefaultParams() Params {
	return Params{BaselineDays: 56, GuardDays: 7, PatternDays: 364, Windows: []int{1, 3, 7}, Alpha: 1e-4,
		MinObserved: 3, Dispersion: 0.25, Shrink: 10, Prior: 0.5}
}

func (p Params) withDefaults() Params {
	d := DefaultParams()
	if p.BaselineDays <= 0 || p.BaselineDays%7 != 0 {
		p.BaselineDays = d.BaselineDays
	}
	if len(p.Windows) == 0 {
		p.Windows = d.Windows
	}
	longest := 0
	for _, w := range p.Windows {
		longest = max(longest, w)
	}
	if p.GuardDays < longest {
		p.GuardDays = max(d.GuardDays, longest)
	}
	if p.PatternDays <= 0 {
		p.PatternDays = d.PatternDays
	}
	if p.Alpha <= 0 {
		p.Alpha = d.Alpha
	}
	if p.MinObserved <= 0 {
		p.MinObserved = d.MinObserved
	}
	if p.Dispersion < 0 {
		p.Dispersion = 0
	}
	if p.Shrink <= 0 {
		p.Shrink = d.Shrink
	}
	if p.Prior <= 0 {
		p.Prior = d.Prior
	}
	return p
}

// HistoryDays is how many days before the day judged a run reads: the
// guard and the longer of the baseline and the weekday pattern.
func (p Params) HistoryDays() int {
	p = p.withDefaults()
	return p.GuardDays + max(p.BaselineDays, p.PatternDays)
}

// Run judges one day: feed it the grids' daily counts (Add) and ask for
// the alerts. It keeps, per category and grid, the counts of the window
// days, the baseline's total and the weekday totals of the pattern, so its
// memory does not grow with the days read.
type Run struct {
	p     Params
	day   int // yyyymmdd judged
	epoch int // days since 1970 of the day judged
	wmax  int
	grids []string
	gidx  map[string]int
	cats  map[string]*catData
	// offsets caches a day's distance back from the day judged and its
	// weekday.
	offsets map[int][2]int
	// Neighbours lists each grid's neighbours (by index into Grids).
	nbrs [][]int
}

type catData struct {
	win  []int32 // per grid, wmax days: [0] the day judged, [1] the day before …
	base []int32 // per grid: the baseline's count
	wk   []int32 // per grid, 7 weekdays: the pattern's counts
	tot  [7]int64
}

// NewRun starts a run judging day (yyyymmdd) over the given grids (rows of
// other grids are added to them as they come).
func NewRun(day int, grids []string, p Params) *Run {
	p = p.withDefaults()
	r := &Run{p: p, day: day, gidx: make(map[string]int, len(grids)), cats: map[string]*catData{}, offsets: map[int][2]int{}}
	r.epoch = epochDay(day)
	for _, w := range p.Windows {
		r.wmax = max(r.wmax, w)
	}
	for _, g := range grids {
		r.grid(g)
	}
	return r
}

// Day is the day judged.
func (r *Run) Day() int { return r.day }

// Params are the parameters in force.
func (r *Run) Params() Params { return r.p }

func epochDay(d int) int {
	return int(time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func epochTime(e int) time.Time { return time.Unix(int64(e)*86400, 0).UTC() }

func (r *Run) grid(code string) int {
	if i, ok := r.gidx[code]; ok {
		return i
	}
	i := len(r.grids)
	r.grids = append(r.grids, code)
	r.gidx[code] = i
	r.nbrs = append(r.nbrs, nil)
	for _, c := range r.cats {
		c.grow(len(r.grids), r.wmax)
	}
	return i
}

func (c *catData) grow(n, wmax int) {
	if len(c.base) >= n {
		return
	}
	if cap(c.base) < n {
		size := max(n, 2*cap(c.base))
		c.base = append(make([]int32, 0, size), c.base...)
		c.win = append(make([]int32, 0, size*wmax), c.win...)
		c.wk = append(make([]int32, 0, size*7), c.wk...)
	}
	c.base = c.base[:n]
	c.win = c.win[:n*wmax]
	c.wk = c.wk[:n*7]
}

// SetNeighbours records grid adjacency: each pair once or twice, either
// way round.
func (r *Run) SetNeighbours(adj map[string][]string) {
	for g, ns := range adj {
		i := r.grid(g)
		for _, n := range ns {
			j := r.grid(n)
			if i == j {
				continue
			}
			if !containsInt(r.nbrs[i], j) {
				r.nbrs[i] = append(r.nbrs[i], j)
			}
			if !containsInt(r.nbrs[j], i) {
				r.nbrs[j] = append(r.nbrs[j], i)
			}
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Add counts a grid's reports of a category on a day; days outside the
// history read are ignored.
func (r *Run) Add(g civicgrid.GridDay) {
	od, ok := r.offsets[g.Day]
	if !ok {
		e := epochDay(g.Day)
		od = [2]int{r.epoch - e, (e + 3) % 7} // 1970-01-01 was a Thursday: 0 is Monday
		r.offsets[g.Day] = od
	}
	o, dow := od[0], od[1]
	if o < 0 || o >= r.p.GuardDays+max(r.p.BaselineDays, r.p.PatternDays) || g.Received == 0 {
		return
	}
	gi := r.grid(g.Grid)
	c := r.cat(g.Category)
	n := int32(g.Received)
	if o < r.wmax {
		c.win[gi*r.wmax+o] += n
	}
	if o >= r.p.GuardDays {
		if o < r.p.GuardDays+r.p.BaselineDays {
			c.base[gi] += n
		}
		if o < r.p.GuardDays+r.p.PatternDays {
			c.wk[gi*7+dow] += n
			c.tot[dow] += int64(n)
		}
	}
}

// expected returns the expected counts of the window days (index 0: the
// day judged) of a grid in a category.
func (r *Run) expected(c *catData, catW [7]float64, gi int, out []float64) {
	var n float64
	for d := range 7 {
		n += float64(c.wk[gi*7+d])
	}
	k := r.p.Shrink
	var w [7]float64
	for d := range 7 {
		w[d] = (float64(c.wk[gi*7+d]) + k*catW[d]) / (n/7 + k)
	}
	level := (float64(c.base[gi]) + r.p.Prior) / float64(r.p.BaselineDays)
	dow := (r.epoch + 3) % 7
	for o := range out {
		out[o] = level * w[((dow-o)%7+7)%7]
	}
}

// test finds the window whose count is least likely under the baseline.
// parts are the expected counts of each grid counted (a zone has several)
// for the window days, and known the reports in its baseline plus the
// prior. The count of a window is taken as negative binomial with the
// variance of its parts: day-to-day overdispersion, φΣμ², independent
// between days and grids, and the uncertainty of each grid's level
// estimated from its baseline, (Σ_days μ)²/known, shared by its days (the
// predictive distribution of a gamma-Poisson level) — a negative binomial
// of dispersion (φΣμ² + Σ_grids (Σ_days μ)²/known) / (Σμ)².
func (r *Run) test(obs []int64, parts [][]float64, known []float64) (window int, o int64, e float64, p float64) {
	p = 1
	for _, w := range r.p.Windows {
		var ow int64
		var ew, v float64
		for d := range w {
			ow += obs[d]
		}
		if ow < r.p.MinObserved {
			continue
		}
		for i, part := range parts {
			var s, s2 float64
			for d := range w {
				s += part[d]
				s2 += part[d] * part[d]
			}
			ew += s
			v += r.p.Dispersion*s2 + s*s/known[i]
		}
		phi := 0.0
		if ew > 0 {
			phi = v / (ew * ew)
		}
		if pw := Tail(ow, ew, phi); pw < p || window == 0 {
			window, o, e, p = w, ow, ew, pw
		}
	}
	return
}

// Threshold is the p-value under which a window raises an alert.
func (r *Run) Threshold() float64 { return r.p.Alpha / float64(len(r.p.Windows)) }

// Alerts judges every series and every grid with its neighbours.
func (r *Run) Alerts() []civicgrid.Alert {
	var out []civicgrid.Alert
	day := dayString(r.day)
	thr := r.Threshold()
	cats := make([]string, 0, len(r.cats))
	for cat := range r.cats {
		cats = append(cats, cat)
	}
	sort.Strings(cats)
	obs := make([]int64, r.wmax)
	exp := make([]float64, r.wmax)
	zobs := make([]int64, r.wmax)
	var zparts [][]float64
	var zknown []float64
	for _, cat := range cats {
		c := r.cats[cat]
		var catW [7]float64
		var all int64
		for d := range 7 {
			all += c.tot[d]
		}
		for d := range 7 {
			catW[d] = 1
			if all > 0 {
				catW[d] = 7 * float64(c.tot[d]) / float64(all)
			}
		}
		recent := func(gi int) int64 {
			var s int64
			for o := range r.wmax {
				s += int64(c.win[gi*r.wmax+o])
			}
			return s
		}
		for gi := range r.grids {
			if recent(gi) < r.p.MinObserved {
				continue // the common case: too few reports to alert
			}
			for o := range r.wmax {
				obs[o] = int64(c.win[gi*r.wmax+o])
			}
			r.expected(c, catW, gi, exp)
			if w, o, e, p := r.test(obs, [][]float64{exp}, []float64{float64(c.base[gi]) + r.p.Prior}); w > 0 && p < thr {
				out = append(out, civicgrid.Alert{Kind: civicgrid.AlertGrid, Category: cat, Grid: r.grids[gi], Grids: []string{r.grids[gi]},
					Day: day, WindowDays: w, Observed: o, Expected: round2(e), PValue: p, Threshold: thr, Status: civicgrid.AlertOpen})
			}
		}
		// Clusters: each grid with its neighbours, where at least two of
		// them have reports in the window; the least likely first, none
		// overlapping another.
		var cands []civicgrid.Alert
		for gi := range r.grids {
			if len(r.nbrs[gi]) == 0 {
				continue
			}
			zone := append([]int{gi}, r.nbrs[gi]...)
			var total int64
			with := 0
			for _, z := range zone {
				if s := recent(z); s > 0 {
					total += s
					with++
				}
			}
			if with < 2 || total < r.p.MinObserved {
				continue
			}
			clear(zobs)
			for len(zparts) < len(zone) {
				zparts = append(zparts, make([]float64, r.wmax))
			}
			zknown = zknown[:0]
			for i, z := range zone {
				r.expected(c, catW, z, zparts[i])
				zknown = append(zknown, float64(c.base[z])+r.p.Prior)
				for o := range r.wmax {
					zobs[o] += int64(c.win[z*r.wmax+o])
				}
			}
			if w, o, e, p := r.test(zobs, zparts[:len(zone)], zknown); w > 0 && p < thr {
				codes := make([]string, len(zone))
				for i, z := range zone {
					codes[i] = r.grids[z]
				}
				sort.Strings(codes[1:])
				cands = append(cands, civicgrid.Alert{Kind: civicgrid.AlertCluster, Category: cat, Grid: r.grids[gi], Grids: codes,
					Day: day, WindowDays: w, Observed: o, Expected: round2(e), PValue: p, Threshold: thr, Status: civicgrid.AlertOpen})
			}
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].PValue < cands[j].PValue })
		taken := map[string]bool{}
	next:
		for _, a := range cands {
			for _, g := range a.Grids {
				if taken[g] {
					continue next
				}
			}
			for _, g := range a.Grids {
				taken[g] = true
			}
			out = append(out, a)
		}
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func dayString(d int) string {
	return time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// Tail is P(X ≥ x) for X negative binomial with mean m and variance
// m + φm² (Poisson when φ = 0).
func Tail(x int64, m, phi float64) float64 {
	if x <= 0 {
		return 1
	}
	if m < 1e-9 {
		m = 1e-9
	}
	if float64(x) <= m {
		return 1 // at or below the mean: nothing unusual (the tail is > 0.3)
	}
	var logpmf func(k float64) float64
	if phi <= 0 {
		logpmf = func(k float64) float64 {
			lk, _ := math.Lgamma(k + 1)
			return -m + k*math.Log(m) - lk
		}
	} else {
		rr := 1 / phi
		q := m / (rr + m) // the chance of a "failure"
		lr, _ := math.Lgamma(rr)
		logpmf = func(k float64) float64 {
			a, _ := math.Lgamma(k + rr)
			b, _ := math.Lgamma(k + 1)
			return a - lr - b + rr*math.Log1p(-q) + k*math.Log(q)
		}
	}
	var sum float64
	for k := float64(x); k < float64(x)+100000; k++ {
		t := math.Exp(logpmf(k))
		sum += t
		if t < sum*1e-12 || sum == 0 && t == 0 {
			break
		}
	}
	return min(sum, 1)
}
