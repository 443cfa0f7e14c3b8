package areaio

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Options tunes decoding and validation. A zero field takes its default, so
// Options{} is a sensible configuration; DefaultOptions spells the defaults
// out for flags and documentation.
type Options struct {
	// MaxBytes is the largest file Decode reads (default 64 MiB).
	MaxBytes int64
	// OutsideToleranceM2 is how much of an area may lie outside its parent
	// before it is reported (default 1 m²). Negative means no tolerance.
	OutsideToleranceM2 float64
	// OverlapToleranceM2 is how much two areas of one level may overlap
	// before it is reported (default 1 m²). Negative means no tolerance.
	OverlapToleranceM2 float64
	// GapToleranceM2 is how much of a community its grids may leave
	// uncovered before it is reported (default 1 m²). Negative means no
	// tolerance.
	GapToleranceM2 float64
	// MaxProblems caps the problems listed (default 1000), so a file that is
	// wrong throughout gives a readable answer instead of a huge one.
	MaxProblems int
	// DateLocation is where a date-only valid_from ("2024-03-01") starts at
	// midnight (default China Standard Time, UTC+8).
	DateLocation *time.Location
}

const (
	defaultMaxBytes    = 64 << 20
	defaultToleranceM2 = 1
	defaultMaxProblems = 1000
)

// chinaStandardTime is fixed rather than loaded from the tz database, which
// may be missing on a minimal server image; China has no daylight saving.
var chinaStandardTime = time.FixedZone("CST", 8*60*60)

// DefaultOptions returns the options Options{} stands for.
func DefaultOptions() Options {
	return Options{
		MaxBytes:           defaultMaxBytes,
		OutsideToleranceM2: defaultToleranceM2,
		OverlapToleranceM2: defaultToleranceM2,
		GapToleranceM2:     defaultToleranceM2,
		MaxProblems:        defaultMaxProblems,
		DateLocation:       chinaStandardTime,
	}
}

// withDefaults fills zero fields with their defaults and turns negative
// tolerances into zero.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxBytes <= 0 {
		o.MaxBytes = d.MaxBytes
	}
	o.OutsideToleranceM2 = tolerance(o.OutsideToleranceM2, d.OutsideToleranceM2)
	o.OverlapToleranceM2 = tolerance(o.OverlapToleranceM2, d.OverlapToleranceM2)
	o.GapToleranceM2 = tolerance(o.GapToleranceM2, d.GapToleranceM2)
	if o.MaxProblems <= 0 {
		o.MaxProblems = d.MaxProblems
	}
	if o.DateLocation == nil {
		o.DateLocation = d.DateLocation
	}
	return o
}

func tolerance(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// problemList collects problems up to a cap; past it, one final problem says
// how many more there were.
type problemList struct {
	max     int
	list    []civicgrid.Problem
	dropped int
}

func (p *problemList) add(index int, code, kind, format string, args ...any) {
	p.addProblem(civicgrid.Problem{Index: index, Code: code, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// addAt adds a problem at a place on the map.
func (p *problemList) addAt(index int, code, kind string, at orb.Point, format string, args ...any) {
	p.addProblem(civicgrid.Problem{Index: index, Code: code, Kind: kind, Detail: fmt.Sprintf(format, args...), At: pointAt(at)})
}

// pointAt is a place for civicgrid.Problem.At.
func pointAt(pt orb.Point) *[2]float64 {
	at := [2]float64(pt)
	return &at
}

func (p *problemList) addProblem(pr civicgrid.Problem) {
	if len(p.list) >= p.max {
		p.dropped++
		return
	}
	p.list = append(p.list, pr)
}

// full reports whether more problems would be dropped, so callers can stop
// looking for them.
func (p *problemList) full() bool { return len(p.list) >= p.max }

func (p *problemList) result() []civicgrid.Problem {
	if p.dropped == 0 {
		return p.list
	}
	return append(p.list, civicgrid.Problem{Index: -1, Kind: KindTooManyProblems,
		Detail: fmt.Sprintf("%d more problems not listed; fix the ones above and try again", p.dropped)})
}
