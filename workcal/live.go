package workcal

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// Change is a date declared a holiday (Workday false) or a working day
// (Workday true) over what the base configuration says of it: a city's own
// days off, or a shipped date the State Council later moved.
type Change struct {
	Date    string
	Workday bool
}

// WithChanges returns cfg with each change in force; a change replaces what
// cfg says of its date.
func (cfg Config) WithChanges(changes []Change) Config {
	changed := map[string]bool{}
	for _, ch := range changes {
		changed[ch.Date] = true
	}
	keep := func(dates []string) []string {
		return slices.DeleteFunc(slices.Clone(dates), func(d string) bool { return changed[d] })
	}
	out := cfg
	out.Holidays, out.Workdays = keep(cfg.Holidays), keep(cfg.Workdays)
	for _, ch := range changes {
		if ch.Workday {
			out.Workdays = append(out.Workdays, ch.Date)
		} else {
			out.Holidays = append(out.Holidays, ch.Date)
		}
	}
	return out
}

// Live is the calendar in force: a base configuration (the shipped
// schedule) with the changes an operator stored, replaced whole when the
// changes change. Readers see one calendar or the next, never a mix; it is
// safe for concurrent use and satisfies what the case loop asks of a
// calendar.
type Live struct {
	base    Config
	baseCal *Calendar
	cur     atomic.Pointer[Calendar]
}

// NewLive returns the base calendar, live, with no changes yet.
func NewLive(base Config) (*Live, error) {
	c, err := New(base)
	if err != nil {
		return nil, err
	}
	l := &Live{base: base, baseCal: c}
	l.cur.Store(c)
	return l, nil
}

// Base is the configuration without changes (the shipped schedule).
func (l *Live) Base() Config { return l.base }

// Current is the calendar in force.
func (l *Live) Current() *Calendar { return l.cur.Load() }

// Apply puts the base with changes in force. Nothing changes on an error.
func (l *Live) Apply(changes []Change) error {
	c, err := New(l.base.WithChanges(changes))
	if err != nil {
		return err
	}
	l.cur.Store(c)
	return nil
}

// CheckChange says why a change would change nothing: a holiday on a day
// the base already has off, a working day on one it already works. The
// date must be a real date within ten years of now.
func (l *Live) CheckChange(ch Change, now time.Time) error {
	d, err := time.ParseInLocation(time.DateOnly, ch.Date, l.baseCal.loc)
	if err != nil {
		return fmt.Errorf("date %q: want a real date as YYYY-MM-DD", ch.Date)
	}
	if y, ny := d.Year(), now.In(l.baseCal.loc).Year(); y < ny-10 || y > ny+10 {
		return fmt.Errorf("date %s: want a year from %d to %d", ch.Date, ny-10, ny+10)
	}
	works := l.baseCal.IsWorkday(d)
	switch {
	case ch.Workday && works:
		return fmt.Errorf("%s (%s) is a working day already: a make-up day must be a day off, such as a weekend", ch.Date, d.Weekday())
	case !ch.Workday && !works && l.baseCal.holidays[civilOf(d)]:
		return fmt.Errorf("%s is an official holiday already", ch.Date)
	case !ch.Workday && !works:
		return fmt.Errorf("%s is a %s, a day off already", ch.Date, d.Weekday())
	}
	return nil
}

// Deadline is the current calendar's Deadline.
func (l *Live) Deadline(start time.Time, limit string) (time.Time, error) {
	return l.Current().Deadline(start, limit)
}

// CheckLimit validates a limit string.
func (l *Live) CheckLimit(limit string) error { return l.Current().CheckLimit(limit) }

// Share is the current calendar's Share.
func (l *Live) Share(start, due, now time.Time, limit string) float64 {
	return l.Current().Share(start, due, now, limit)
}
