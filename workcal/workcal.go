// Package workcal is the working calendar of case deadlines: limits in
// natural hours or days, or in working hours or days that count only the
// working periods of working days — weekdays that are not public holidays,
// plus the weekend days declared make-up workdays (调休上班).
//
// A working day as a limit is one working day's length of working time: a
// case dispatched on Monday at 10:00 with a limit of 1wd is due on Tuesday
// at 10:00, and one dispatched on Friday at 16:00 is due on Monday at 16:00.
// This keeps every unit additive, so that the share of a limit used (the
// traffic light) is plain working time over working time.
package workcal

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Unit is how a limit is counted.
type Unit string

const (
	Hours        Unit = "h"  // natural hours
	Days         Unit = "d"  // natural days (24 h)
	WorkingHours Unit = "wh" // hours inside working periods of working days
	WorkingDays  Unit = "wd" // working days' lengths of working time
)

// Limit is a time limit such as 4h, 3d, 5wh or 2wd.
type Limit struct {
	N    int
	Unit Unit
}

// MaxLimitN bounds the number in a limit (ten years of days).
const MaxLimitN = 3660

// ParseLimit reads a limit such as "5wh".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	for _, u := range []Unit{WorkingHours, WorkingDays, Hours, Days} {
		num, ok := strings.CutSuffix(s, string(u))
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 || n > MaxLimitN || num != strconv.Itoa(n) {
			return Limit{}, fmt.Errorf("limit %q: want a whole number 1 to %d before %q", s, MaxLimitN, u)
		}
		return Limit{n, u}, nil
	}
	return Limit{}, fmt.Errorf("limit %q: want a number and a unit: h (hours), d (days), wh (working hours) or wd (working days), e.g. 5wh", s)
}

func (l Limit) String() string { return strconv.Itoa(l.N) + string(l.Unit) }

// MarshalText writes the limit as "5wh".
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads "5wh".
func (l *Limit) UnmarshalText(b []byte) error {
	v, err := ParseLimit(string(b))
	*l = v
	return err
}

// Working reports whether the limit counts working time.
func (l Limit) Working() bool { return l.Unit == WorkingHours || l.Unit == WorkingDays }

// Config describes a calendar. It decodes from JSON.
type Config struct {
	// UTCOffsetHours is the calendar's zone (China: 8). A fixed offset:
	// no daylight saving, no tz database needed.
	UTCOffsetHours int `json:"utc_offset_hours"`
	// Periods are the working periods of a working day, "09:00"-"12:00".
	Periods []Period `json:"periods"`
	// Holidays are dates (2026-10-01) that are not working days;
	// Workdays are weekend dates that are.
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

// Period is one working period of a day.
type Period struct {
	Start string `json:"start"` // "09:00"
	End   string `json:"end"`   // "12:00"
}

// Calendar answers deadline questions. It is immutable and safe for
// concurrent use.
type Calendar struct {
	loc      *time.Location
	periods  [][2]int // minutes after midnight, ordered, disjoint
	dayLen   time.Duration
	holidays map[civil]bool
	workdays map[civil]bool
}

type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func parseDate(s string) (civil, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return civil{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return civilOf(t), nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// New checks a configuration and returns its calendar.
func New(cfg Config) (*Calendar, error) {
	if cfg.UTCOffsetHours < -12 || cfg.UTCOffsetHours > 14 {
		return nil, fmt.Errorf("utc_offset_hours %d: want -12 to 14", cfg.UTCOffsetHours)
	}
	c := &Calendar{loc: time.FixedZone(fmt.Sprintf("UTC%+d", cfg.UTCOffsetHours), cfg.UTCOffsetHours*3600),
		holidays: map[civil]bool{}, workdays: map[civil]bool{}}
	if len(cfg.Periods) == 0 {
		return nil, fmt.Errorf("periods: at least one working period")
	}
	for i, p := range cfg.Periods {
		a, err := parseClock(p.Start)
		if err != nil {
			return nil, fmt.Errorf("periods[%d].start: %w", i, err)
		}
		b, err := parseClock(p.End)
		if err != nil {
			return nil, fmt.Errorf("periods[%d].end: %w", i, err)
		}
		if b <= a {
			return nil, fmt.Errorf("periods[%d]: %s–%s ends before it starts", i, p.Start, p.End)
		}
		if i > 0 && a < c.periods[i-1][1] {
			return nil, fmt.Errorf("periods[%d]: %s starts before the previous period ends (periods must be in order and not overlap)", i, p.Start)
		}
		c.periods = append(c.periods, [2]int{a, b})
		c.dayLen += time.Duration(b-a) * time.Minute
	}
	for _, s := range cfg.Holidays {
		d, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("holidays: %w", err)
		}
		c.holidays[d] = true
	}
	for _, s := range cfg.Workdays {
		d, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("workdays: %w", err)
		}
		if c.holidays[d] {
			return nil, fmt.Errorf("workdays: %s is also a holiday", s)
		}
		c.workdays[d] = true
	}
	return c, nil
}

//go:embed holidays/*.json
var holidayFiles embed.FS

// ChinaConfig is the default: UTC+8, 09:00–12:00 and 13:30–17:30, and the
// State Council's holiday schedules shipped in holidays/ (2025 and 2026).
// Later years are data: add their file, or configure them.
func ChinaConfig() (Config, error) {
	cfg := Config{UTCOffsetHours: 8, Periods: []Period{{"09:00", "12:00"}, {"13:30", "17:30"}}}
	entries, err := holidayFiles.ReadDir("holidays")
	if err != nil {
		return cfg, err
	}
	for _, e := range entries {
		b, err := holidayFiles.ReadFile("holidays/" + e.Name())
		if err != nil {
			return cfg, err
		}
		var f struct {
			Holidays []string `json:"holidays"`
			Workdays []string `json:"workdays"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return cfg, fmt.Errorf("%s: %w", e.Name(), err)
		}
		cfg.Holidays = append(cfg.Holidays, f.Holidays...)
		cfg.Workdays = append(cfg.Workdays, f.Workdays...)
	}
	return cfg, nil
}

// Default returns the calendar of ChinaConfig.
func Default() (*Calendar, error) {
	cfg, err := ChinaConfig()
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// DayLength is the working time of one working day.
func (c *Calendar) DayLength() time.Duration { return c.dayLen }

// IsWorkday reports whether the date of t (in the calendar's zone) is a
// working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	d := civilOf(t.In(c.loc))
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := t.In(c.loc).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// periodsOn returns the working periods of the day starting at midnight
// (empty on a day off).
func (c *Calendar) periodsOn(midnight time.Time) [][2]time.Time {
	if !c.IsWorkday(midnight) {
		return nil
	}
	out := make([][2]time.Time, len(c.periods))
	for i, p := range c.periods {
		out[i] = [2]time.Time{midnight.Add(time.Duration(p[0]) * time.Minute), midnight.Add(time.Duration(p[1]) * time.Minute)}
	}
	return out
}

func (c *Calendar) midnight(t time.Time) time.Time {
	t = t.In(c.loc)
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// maxScanDays bounds the day-by-day walks (ten years), so that no input can
// make them run long.
const maxScanDays = 3660 * 2

// addWorking returns the instant at which amount of working time has passed
// after start.
func (c *Calendar) addWorking(start time.Time, amount time.Duration) time.Time {
	day := c.midnight(start)
	for range maxScanDays {
		for _, p := range c.periodsOn(day) {
			from := p[0]
			if start.After(from) {
				from = start
			}
			if !p[1].After(from) {
				continue
			}
			avail := p[1].Sub(from)
			if amount <= avail {
				return from.Add(amount)
			}
			amount -= avail
		}
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// WorkingTime is the working time between from and to (0 if to is not
// after from).
func (c *Calendar) WorkingTime(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	var sum time.Duration
	day := c.midnight(from)
	for range maxScanDays {
		if day.After(to) {
			break
		}
		for _, p := range c.periodsOn(day) {
			a, b := p[0], p[1]
			if from.After(a) {
				a = from
			}
			if to.Before(b) {
				b = to
			}
			if b.After(a) {
				sum += b.Sub(a)
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return sum
}

// Due returns the deadline of a limit starting at start.
func (c *Calendar) Due(start time.Time, l Limit) time.Time {
	switch l.Unit {
	case Hours:
		return start.Add(time.Duration(l.N) * time.Hour)
	case Days:
		return start.Add(time.Duration(l.N) * 24 * time.Hour)
	case WorkingHours:
		return c.addWorking(start, time.Duration(l.N)*time.Hour)
	case WorkingDays:
		return c.addWorking(start, time.Duration(l.N)*c.dayLen)
	}
	return start
}

// Used is the share of the limit from start to due that has passed at now:
// working time over working time for working units, wall time otherwise.
func (c *Calendar) Used(start, due, now time.Time, l Limit) float64 {
	if l.Working() {
		total := c.WorkingTime(start, due)
		if total <= 0 {
			return 0
		}
		return float64(c.WorkingTime(start, now)) / float64(total)
	}
	total := due.Sub(start)
	if total <= 0 {
		return 0
	}
	return float64(now.Sub(start)) / float64(total)
}

// Light is the traffic light of a share used: green below 0.8, yellow from
// 0.8 up to and including 1 (the deadline itself), red past it.
func Light(used float64) string {
	switch {
	case used > 1:
		return "red"
	case used >= 0.8:
		return "yellow"
	}
	return "green"
}

// Deadline is Due for a limit written as a string (the form categories keep).
func (c *Calendar) Deadline(start time.Time, limit string) (time.Time, error) {
	l, err := ParseLimit(limit)
	if err != nil {
		return time.Time{}, err
	}
	return c.Due(start, l), nil
}

// CheckLimit validates a limit string.
func (c *Calendar) CheckLimit(limit string) error {
	_, err := ParseLimit(limit)
	return err
}

// Share is Used for a limit written as a string (0 if it does not parse).
func (c *Calendar) Share(start, due, now time.Time, limit string) float64 {
	l, err := ParseLimit(limit)
	if err != nil {
		return 0
	}
	return c.Used(start, due, now, l)
}

// Holidays lists the configured holidays, sorted (for documents and tests).
func (c *Calendar) Holidays() []string {
	out := make([]string, 0, len(c.holidays))
	for d := range c.holidays {
		out = append(out, fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d))
	}
	slices.Sort(out)
	return out
}
