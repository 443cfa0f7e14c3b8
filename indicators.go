package civicgrid

import (
	"context"
	"math"
	"strconv"
	"time"
)

// Indicators are counted per cohort: every case belongs to the day (Beijing
// time) it was reported, its category and the areas above its grid, and
// each event adds to that cohort's counters. docs/indicators.md gives the
// formulas; RollupDelta is the one place that decides what an event counts,
// used both as events happen and when recomputing from the event log.

// Counters are a cohort's tallies.
type Counters struct {
	Received        int64 `json:"received"`          // reports
	Responded       int64 `json:"responded"`         // first response: registered, rejected, merged or self-handled
	RespondedOnTime int64 `json:"responded_on_time"` // … within the response limit
	// RespondDue counts the cases whose response is due: answered (in
	// time or late) or past the response limit unanswered, each once. A
	// case still inside its limit is not judged yet.
	RespondDue   int64 `json:"respond_due"`
	Registered   int64 `json:"registered"`     // 立案 (self-handled cases included)
	Dispatched   int64 `json:"dispatched"`     // dispatches (a return and redispatch counts twice)
	Handled      int64 `json:"handled"`        // handlings (a rework and re-handling counts twice)
	Reworked     int64 `json:"reworked"`       // failed verifications (返工)
	Extended     int64 `json:"extended"`       // approved extensions (延期)
	Closed       int64 `json:"closed"`         // cases closed (each case once)
	ClosedOnTime int64 `json:"closed_on_time"` // … handled by the resolution deadline
	// ResolveDue counts the cases whose fix is due: closed (in time or
	// late) or past the resolution limit while open, each once (the first
	// round only, like Closed).
	ResolveDue  int64 `json:"resolve_due"`
	Reopened    int64 `json:"reopened"`
	Rated       int64 `json:"rated"`
	Satisfied   int64 `json:"satisfied"` // ratings of 4 or 5
	CloseMillis int64 `json:"close_ms"`  // sum of report-to-close times of closed cases
}

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.Received += o.Received
	c.Responded += o.Responded
	c.RespondedOnTime += o.RespondedOnTime
	c.RespondDue += o.RespondDue
	c.Registered += o.Registered
	c.Dispatched += o.Dispatched
	c.Handled += o.Handled
	c.Reworked += o.Reworked
	c.Extended += o.Extended
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.ResolveDue += o.ResolveDue
	c.Reopened += o.Reopened
	c.Rated += o.Rated
	c.Satisfied += o.Satisfied
	c.CloseMillis += o.CloseMillis
}

// Sub takes o from c.
func (c *Counters) Sub(o Counters) {
	c.Add(Counters{Received: -o.Received, Responded: -o.Responded, RespondedOnTime: -o.RespondedOnTime,
		RespondDue: -o.RespondDue, Registered: -o.Registered, Dispatched: -o.Dispatched, Handled: -o.Handled,
		Reworked: -o.Reworked, Extended: -o.Extended, Closed: -o.Closed, ClosedOnTime: -o.ClosedOnTime,
		ResolveDue: -o.ResolveDue, Reopened: -o.Reopened, Rated: -o.Rated, Satisfied: -o.Satisfied, CloseMillis: -o.CloseMillis})
}

// Zero reports whether nothing is counted.
func (c Counters) Zero() bool { return c == Counters{} }

// Event data keys the case loop sets for the indicators.
const (
	DataCategory      = "category"      // on a report, and the new category on a reclassify
	DataFromCategory  = "from_category" // the category a reclassify moved the case out of
	DataGrid          = "grid"
	DataFirstResponse = "first_response" // "on_time" or "late"
	DataRegistered    = "registered"     // "1": the case enters registration for the first time
	DataFirstClose    = "first_close"    // "1": the case is closed for the first time
	DataOnTime        = "on_time"        // "1" or "0" on a first close
	DataCloseMillis   = "close_ms"       // report-to-close time on a first close
	DataRating        = "rating"
	// DataRespondDue and DataResolveDue are "1" on the one event that
	// makes a case's response (its fix) due: the first response or the
	// escalation for a missed limit, whichever comes first (the first
	// close or escalation for a missed resolution limit); "0" on a first
	// response or first close that comes after such an escalation.
	// Events recorded before these keys existed carry neither: a first
	// response or first close then counts, an escalation does not.
	DataRespondDue = "respond_due"
	DataResolveDue = "resolve_due"
)

// Cohort identifies the counters an event adds to (for each area above the
// grid as well).
type Cohort struct {
	Day      int // yyyymmdd in Beijing time
	Category string
	Grid     string
}

// Beijing is the zone indicator days are counted in.
var Beijing = time.FixedZone("CST", 8*3600)

// CohortOf returns the cohort of a case reported at t.
func CohortOf(reportedAt time.Time, category, grid string) Cohort {
	y, m, d := reportedAt.In(Beijing).Date()
	return Cohort{Day: y*10000 + int(m)*100 + d, Category: category, Grid: grid}
}

// CaseCohort returns the cohort a case's events count in, from its history:
// the day and grid of its report and its current category (the last
// reclassify's), so that a reclassified case counts wholly in its new
// category.
func CaseCohort(evs []CaseEvent) Cohort {
	if len(evs) == 0 {
		return Cohort{}
	}
	category := evs[0].Data[DataCategory]
	for _, ev := range evs[1:] {
		if ev.Action == CaseReclassify {
			category = ev.Data[DataCategory]
		}
	}
	return CohortOf(evs[0].At, category, evs[0].Data[DataGrid])
}

// RollupAreas are the areas whose counters a case in grid adds to: the grid,
// its community, street, district and city.
func RollupAreas(grid string) []string {
	if len(grid) < 15 {
		return []string{grid}
	}
	return []string{grid, grid[:12], grid[:9], grid[:6], grid[:4] + "00"}
}

// RollupDelta is what one event adds to its cohort's counters, and the
// histogram bucket of a first close (-1 if none).
func RollupDelta(ev CaseEvent) (Counters, int) {
	var d Counters
	bucket := -1
	switch ev.Data[DataFirstResponse] {
	case "on_time":
		d.Responded, d.RespondedOnTime = 1, 1
	case "late":
		d.Responded = 1
	}
	if due := ev.Data[DataRespondDue]; due == "1" || due == "" && ev.Data[DataFirstResponse] != "" {
		d.RespondDue = 1
	}
	if due := ev.Data[DataResolveDue]; due == "1" || due == "" && ev.Data[DataFirstClose] == "1" {
		d.ResolveDue = 1
	}
	if ev.Data[DataRegistered] == "1" {
		d.Registered = 1
	}
	switch ev.Action {
	case CaseReport:
		d.Received = 1
	case CaseDispatch:
		d.Dispatched = 1
	case CaseHandle, CaseSelfHandle:
		d.Handled = 1
	case CaseRework:
		d.Reworked = 1
	case CaseApproveExtension:
		d.Extended = 1
	case CaseReopen:
		d.Reopened = 1
	case CaseRate:
		d.Rated = 1
		if r, _ := strconv.Atoi(ev.Data[DataRating]); r >= 4 {
			d.Satisfied = 1
		}
	case CaseClose:
		if ev.Data[DataFirstClose] == "1" {
			d.Closed = 1
			if ev.Data[DataOnTime] == "1" {
				d.ClosedOnTime = 1
			}
			ms, _ := strconv.ParseInt(ev.Data[DataCloseMillis], 10, 64)
			d.CloseMillis = ms
			bucket = CloseBucket(time.Duration(ms) * time.Millisecond)
		}
	}
	return d, bucket
}

// ResolveDueCounted reports whether an event of a case's history already
// made its fix due (so a later escalation or first close must not count it
// again).
func ResolveDueCounted(history []CaseEvent) bool {
	for _, ev := range history {
		if d, _ := RollupDelta(ev); d.ResolveDue == 1 {
			return true
		}
	}
	return false
}

// Close-time histogram: bucket 0 holds times under a minute; bucket b ≥ 1
// holds times from 2^((b-1)/4) to 2^(b/4) minutes, so a percentile read
// from it is at most 19 % above the true value. 96 buckets reach past a
// year.
const CloseBuckets = 96

// CloseBucket returns the histogram bucket of a close time.
func CloseBucket(d time.Duration) int {
	m := d.Minutes()
	if m < 1 {
		return 0
	}
	b := int(math.Floor(4*math.Log2(m))) + 1
	return min(b, CloseBuckets-1)
}

// BucketUpper is the upper bound of a bucket.
func BucketUpper(b int) time.Duration {
	if b == 0 {
		return time.Minute
	}
	return time.Duration(math.Pow(2, float64(b)/4) * float64(time.Minute))
}

// Indicators are the rates of a scope and period.
type Indicators struct {
	Scope    string   `json:"scope"` // area code
	From     string   `json:"from"`  // first day, yyyy-mm-dd
	To       string   `json:"to"`    // last day
	Category string   `json:"category,omitempty"`
	Counters Counters `json:"counters"`
	// Rates are fractions 0–1, null when their denominator is zero.
	ResponseRate      *float64 `json:"response_rate"`        // responded on time / respond due
	ClosureRate       *float64 `json:"closure_rate"`         // 结案率: closed / registered
	OnTimeClosureRate *float64 `json:"on_time_closure_rate"` // 按期结案率: closed on time / resolve due
	ReworkRate        *float64 `json:"rework_rate"`          // 返工率: reworked / handled
	ExtensionRate     *float64 `json:"extension_rate"`       // 延期率: extended / dispatched
	SatisfactionRate  *float64 `json:"satisfaction_rate"`    // 满意率: satisfied / rated
	MeanCloseHours    *float64 `json:"mean_close_hours"`
	P90CloseHours     *float64 `json:"p90_close_hours"` // upper bound of the 90th percentile's bucket
	// SmallSample names the rates whose denominator is below SmallSample.
	SmallSample []string `json:"small_sample,omitempty"`
}

// SmallSample is the denominator below which a rate is flagged as resting
// on too few cases to mean much (a 满意率 of 100 % on one rating).
const SmallSample = 20

// A Rate is one of the indicators' rates: its name in Indicators' JSON and
// the counters it divides, so that every rate can be shown with its
// numerator, its denominator and its formula.
type Rate struct {
	Name                   string // "response_rate"
	Numerator, Denominator string // counter names as in Counters' JSON
	Of                     func(Counters) (n, d int64)
}

// Rates are the formulas of docs/indicators.md, in the order pages show them.
var Rates = []Rate{
	{"response_rate", "responded_on_time", "respond_due", func(c Counters) (int64, int64) { return c.RespondedOnTime, c.RespondDue }},
	{"closure_rate", "closed", "registered", func(c Counters) (int64, int64) { return c.Closed, c.Registered }},
	{"on_time_closure_rate", "closed_on_time", "resolve_due", func(c Counters) (int64, int64) { return c.ClosedOnTime, c.ResolveDue }},
	{"rework_rate", "reworked", "handled", func(c Counters) (int64, int64) { return c.Reworked, c.Handled }},
	{"extension_rate", "extended", "dispatched", func(c Counters) (int64, int64) { return c.Extended, c.Dispatched }},
	{"satisfaction_rate", "satisfied", "rated", func(c Counters) (int64, int64) { return c.Satisfied, c.Rated }},
}

// Small reports whether a denominator is a small sample (and not zero: a
// rate without cases is null, not small).
func Small(denominator int64) bool { return denominator > 0 && denominator < SmallSample }

// Value is the computed rate called name (nil when unknown or without
// cases).
func (in Indicators) Value(name string) *float64 {
	if f := in.rate(name); f != nil {
		return *f
	}
	return nil
}

// rate is the field of the rate called name.
func (in *Indicators) rate(name string) **float64 {
	switch name {
	case "response_rate":
		return &in.ResponseRate
	case "closure_rate":
		return &in.ClosureRate
	case "on_time_closure_rate":
		return &in.OnTimeClosureRate
	case "rework_rate":
		return &in.ReworkRate
	case "extension_rate":
		return &in.ExtensionRate
	case "satisfaction_rate":
		return &in.SatisfactionRate
	}
	return nil
}

func ratio(n, d int64) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*10000) / 10000
	return &v
}

// Compute fills the rates from counters and the close-time histogram.
func (in *Indicators) Compute(c Counters, hist []int64) {
	in.Counters = c
	in.SmallSample = nil
	for _, r := range Rates {
		n, d := r.Of(c)
		*in.rate(r.Name) = ratio(n, d)
		if Small(d) {
			in.SmallSample = append(in.SmallSample, r.Name)
		}
	}
	if c.Closed > 0 {
		h := math.Round(float64(c.CloseMillis)/float64(c.Closed)/3_600_000*100) / 100
		in.MeanCloseHours = &h
		var total int64
		for _, n := range hist {
			total += n
		}
		want := int64(math.Ceil(0.9 * float64(total)))
		var seen int64
		for b, n := range hist {
			seen += n
			if seen >= want && total > 0 {
				p := math.Round(BucketUpper(b).Hours()*100) / 100
				in.P90CloseHours = &p
				break
			}
		}
	}
}

// RollupQuery selects cohorts to sum.
type RollupQuery struct {
	Scope    string // area code (every level keeps its own rows)
	FromDay  int    // yyyymmdd, inclusive
	ToDay    int    // yyyymmdd, inclusive
	Category string // "" for all
}

// RollupStore keeps the counters up to date (the store applies RollupDelta
// in the transaction of each event) and sums them.
type RollupStore interface {
	SumRollups(ctx context.Context, q RollupQuery) (Counters, []int64, error)
	// SumRollupsByCategory returns one total per category.
	SumRollupsByCategory(ctx context.Context, q RollupQuery) (map[string]Counters, error)
	// SumRollupsByPeriod returns one total per report day (yyyymmdd) or,
	// with wholeMonths, per calendar month (yyyymm) for the whole months of
	// the period and per day for the days around them.
	SumRollupsByPeriod(ctx context.Context, q RollupQuery, wholeMonths bool) (map[int]Counters, error)
	// RebuildRollups replaces the counters with ones recomputed from the
	// event log, returning the differences found (nil if none).
	RebuildRollups(ctx context.Context, apply bool) ([]string, error)
}

// GridDay is the reports of one category in one grid on one report day, as
// the rollups keep them (received).
type GridDay struct {
	Grid     string
	Category string
	Day      int // yyyymmdd
	Received int64
}

// GridDayReader reads the grids' daily rows of the rollups in bulk: every
// grid (15-digit code) in the subtree of scope with reports of category
// ("" for all) on a day of from..to (yyyymmdd), in no particular order.
// Days without reports have no row. The early warning reads its counts
// here, never from the cases.
type GridDayReader interface {
	ForEachGridDay(ctx context.Context, scope, category string, fromDay, toDay int, fn func(GridDay) error) error
}

// Trend buckets: a period's figures per day, per week (Monday to Sunday)
// or per calendar month, the first and the last cut to the period.
const (
	BucketDay   = "day"
	BucketWeek  = "week"
	BucketMonth = "month"
)

// AutoBucket is the bucket a trend over days uses unless asked: days up to
// a month, weeks up to half a year, months beyond, so that a chart holds
// 7–31 points, never hundreds.
func AutoBucket(days int) string {
	switch {
	case days <= 31:
		return BucketDay
	case days <= 182:
		return BucketWeek
	}
	return BucketMonth
}

// TrendBuckets splits the days from..to (yyyymmdd, inclusive) into buckets
// of size, each given by its first and last day.
func TrendBuckets(from, to int, size string) ([][2]int, error) {
	first, ok1 := dayTime(from)
	last, ok2 := dayTime(to)
	if !ok1 || !ok2 || to < from {
		return nil, Errorf(EINVALID, "a trend needs a period of real days, from before to")
	}
	var out [][2]int
	for start := first; !start.After(last); {
		var next time.Time
		switch size {
		case BucketDay:
			next = start.AddDate(0, 0, 1)
		case BucketWeek:
			next = start.AddDate(0, 0, 7-(int(start.Weekday())+6)%7) // the next Monday
		case BucketMonth:
			next = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		default:
			return nil, Errorf(EINVALID, "bucket: day, week or month")
		}
		end := next.AddDate(0, 0, -1)
		if end.After(last) {
			end = last
		}
		out = append(out, [2]int{DayNumber(start), DayNumber(end)})
		start = next
	}
	return out, nil
}

// DayNumber is t's date as yyyymmdd.
func DayNumber(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

func dayTime(d int) (time.Time, bool) {
	t := time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC)
	return t, DayNumber(t) == d
}

// Trend is a scope's indicators over a period, bucket by bucket.
type Trend struct {
	Scope    string `json:"scope"`
	From     string `json:"from"`
	To       string `json:"to"`
	Category string `json:"category,omitempty"`
	Bucket   string `json:"bucket"` // day, week or month
	// Buckets hold each bucket's counters and rates, From and To its days
	// (no close-time percentile: the histogram is not read per bucket).
	Buckets []Indicators `json:"buckets"`
}
