package workcal_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/workcal"
)

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func china(t testing.TB) *workcal.Calendar {
	c, err := workcal.Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseLimit(t *testing.T) {
	for _, s := range []string{"4h", "3d", "5wh", "2wd", "3660wd"} {
		l, err := workcal.ParseLimit(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLimit(%q) = %v, %v", s, l, err)
		}
	}
	for _, s := range []string{"", "h", "0h", "-1wd", "1.5h", "01h", "2 weeks", "3w", "3661d", "wd5"} {
		if _, err := workcal.ParseLimit(s); err == nil {
			t.Errorf("ParseLimit(%q) accepted", s)
		}
	}
}

func TestDue(t *testing.T) {
	c := china(t)
	for _, tt := range []struct {
		start, limit, want string
	}{
		{"2026-11-23 10:00", "4h", "2026-11-23 14:00"},
		{"2026-11-23 10:00", "3d", "2026-11-26 10:00"},
		// Working hours: 09:00–12:00 and 13:30–17:30.
		{"2026-11-23 10:00", "1wh", "2026-11-23 11:00"},
		{"2026-11-23 11:00", "2wh", "2026-11-23 14:30"}, // over lunch
		{"2026-11-23 12:30", "1wh", "2026-11-23 14:30"}, // starts in the lunch break
		{"2026-11-23 07:00", "1wh", "2026-11-23 10:00"}, // before work
		{"2026-11-27 17:00", "5wh", "2026-11-30 15:00"}, // Friday 30 min, Monday 3 h + 1.5 h
		{"2026-11-28 10:00", "1wh", "2026-11-30 10:00"}, // Saturday
		{"2026-11-23 12:00", "3wh", "2026-11-23 16:30"}, // exactly at the end of a period
		// Working days: a day's length (7 h) of working time.
		{"2026-11-23 10:00", "1wd", "2026-11-24 10:00"},
		{"2026-11-27 16:00", "1wd", "2026-11-30 16:00"},
		{"2026-11-23 09:00", "5wd", "2026-11-27 17:30"},
		// National Day 2026: 10-01..10-07 off, 09-20 (Sun) and 10-10 (Sat) worked.
		{"2026-09-30 10:00", "1wd", "2026-10-08 10:00"},
		{"2026-10-09 10:00", "1wd", "2026-10-10 10:00"},
		{"2026-09-19 10:00", "1wh", "2026-09-20 10:00"},
		{"2026-10-01 10:00", "1wh", "2026-10-08 10:00"}, // starting on a holiday
		// Spring Festival 2026: 02-15..02-23 off, 02-14 (Sat) worked.
		{"2026-02-13 17:00", "1wh", "2026-02-14 09:30"},
	} {
		l, err := workcal.ParseLimit(tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Due(at(tt.start), l); !got.Equal(at(tt.want)) {
			t.Errorf("Due(%s, %s) = %s, want %s", tt.start, tt.limit, got.In(cst).Format("2006-01-02 15:04 Mon"), tt.want)
		}
	}
}

func TestWorkingTimeAndLight(t *testing.T) {
	c := china(t)
	if got, want := c.WorkingTime(at("2026-11-27 17:00"), at("2026-11-30 12:30")), 3*time.Hour+30*time.Minute; got != want {
		t.Errorf("WorkingTime over a weekend = %v, want %v", got, want)
	}
	if got := c.WorkingTime(at("2026-11-30 12:30"), at("2026-11-27 17:00")); got != 0 {
		t.Errorf("backwards WorkingTime = %v", got)
	}
	l, _ := workcal.ParseLimit("5wh")
	start := at("2026-11-27 17:00")
	due := c.Due(start, l)
	for _, tt := range []struct {
		now  string
		want string
	}{
		{"2026-11-27 17:20", "green"},
		{"2026-11-29 23:00", "green"},  // the weekend uses no working time
		{"2026-11-30 11:00", "green"},  // 2.5 of 5 h
		{"2026-11-30 12:30", "green"},  // 3.5 of 5 h (the lunch break counts nothing)
		{"2026-11-30 14:00", "yellow"}, // 4 of 5 h
		{"2026-11-30 15:00", "yellow"}, // the deadline itself
		{"2026-11-30 15:10", "red"},
	} {
		used := c.Used(start, due, at(tt.now), l)
		got := workcal.Light(used)
		if tt.now == "2026-11-30 11:00" {
			// 30 min Friday + 2 h Monday = 2.5 of 5 h.
			if used != 0.5 || got != "green" {
				t.Errorf("at %s: used %v light %s, want 0.5 green", tt.now, used, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("at %s: used %.3f, light %s, want %s", tt.now, used, got, tt.want)
		}
	}
	for _, tt := range []struct {
		used float64
		want string
	}{{0, "green"}, {0.7999, "green"}, {0.8, "yellow"}, {1, "yellow"}, {1.0001, "red"}} {
		if got := workcal.Light(tt.used); got != tt.want {
			t.Errorf("Light(%v) = %s, want %s", tt.used, got, tt.want)
		}
	}
}

// For any start and limit, the deadline uses exactly the whole limit, and a
// longer limit never ends earlier.
func TestDueProperties(t *testing.T) {
	c := china(t)
	r := rand.New(rand.NewPCG(1, 2))
	units := []workcal.Unit{workcal.Hours, workcal.Days, workcal.WorkingHours, workcal.WorkingDays}
	base := at("2025-01-01 00:00")
	for range 2000 {
		start := base.Add(time.Duration(r.Int64N(int64(700 * 24 * time.Hour))))
		u := units[r.IntN(len(units))]
		n := 1 + r.IntN(30)
		l := workcal.Limit{N: n, Unit: u}
		due := c.Due(start, l)
		if used := c.Used(start, due, due, l); used < 0.999999 || used > 1.000001 {
			t.Fatalf("Used(%s, Due(%s)) = %v, want 1", start, l, used)
		}
		if l.Working() {
			want := time.Duration(n) * time.Hour
			if u == workcal.WorkingDays {
				want = time.Duration(n) * c.DayLength()
			}
			if got := c.WorkingTime(start, due); got != want {
				t.Fatalf("WorkingTime(%s, Due(%s)) = %v, want %v", start, l, got, want)
			}
			if !c.IsWorkday(due) {
				t.Fatalf("Due(%s, %s) = %s falls on a day off", start, l, due)
			}
		}
		if longer := c.Due(start, workcal.Limit{N: n + 1, Unit: u}); !longer.After(due) {
			t.Fatalf("Due(%s, %d%s) = %s is not after Due(…, %s) = %s", start, n+1, u, longer, l, due)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	good := []workcal.Period{{Start: "09:00", End: "12:00"}}
	for _, tt := range []struct {
		cfg  workcal.Config
		says string
	}{
		{workcal.Config{UTCOffsetHours: 8}, "at least one"},
		{workcal.Config{UTCOffsetHours: 20, Periods: good}, "utc_offset_hours"},
		{workcal.Config{UTCOffsetHours: 8, Periods: []workcal.Period{{Start: "9am", End: "12:00"}}}, "HH:MM"},
		{workcal.Config{UTCOffsetHours: 8, Periods: []workcal.Period{{Start: "12:00", End: "09:00"}}}, "ends before"},
		{workcal.Config{UTCOffsetHours: 8, Periods: []workcal.Period{{Start: "09:00", End: "12:00"}, {Start: "11:00", End: "13:00"}}}, "overlap"},
		{workcal.Config{UTCOffsetHours: 8, Periods: good, Holidays: []string{"2026-13-01"}}, "YYYY-MM-DD"},
		{workcal.Config{UTCOffsetHours: 8, Periods: good, Holidays: []string{"2026-10-10"}, Workdays: []string{"2026-10-10"}}, "also a holiday"},
	} {
		if _, err := workcal.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tt.cfg, err, tt.says)
		}
	}
}

func TestShippedHolidays(t *testing.T) {
	c := china(t)
	for _, d := range []string{"2025-01-28", "2025-10-08", "2026-02-23", "2026-10-07", "2026-06-19"} {
		if c.IsWorkday(at(d + " 10:00")) {
			t.Errorf("%s is a holiday", d)
		}
	}
	for _, d := range []string{"2025-09-28", "2026-01-04", "2026-02-28", "2026-10-10"} {
		if !c.IsWorkday(at(d + " 10:00")) {
			t.Errorf("%s is a make-up workday", d)
		}
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"4h", "5wh", "2wd", "", "0d", "99999999999999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := workcal.ParseLimit(s)
		if err != nil {
			return
		}
		if l.N <= 0 || l.N > workcal.MaxLimitN {
			t.Fatalf("%q parsed to %v", s, l)
		}
		back, err := workcal.ParseLimit(l.String())
		if err != nil || back != l {
			t.Fatalf("%q → %v → %v, %v", s, l, back, err)
		}
	})
}

func BenchmarkDue(b *testing.B) {
	c := china(b)
	start := at("2026-09-28 16:00")
	for _, s := range []string{"5wh", "15wd"} {
		l, _ := workcal.ParseLimit(s)
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				c.Due(start, l)
			}
		})
	}
}

func TestLiveChanges(t *testing.T) {
	cfg, err := workcal.ChinaConfig()
	if err != nil {
		t.Fatal(err)
	}
	l, err := workcal.NewLive(cfg)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, cst)
		return d.Add(10 * time.Hour)
	}
	// 2026-11-23 is a Monday, 2026-10-01 a shipped holiday, 2026-10-10 a
	// shipped make-up Saturday.
	if err := l.Apply([]workcal.Change{{"2026-11-23", false}, {"2026-10-01", true}, {"2026-10-10", false}}); err != nil {
		t.Fatal(err)
	}
	for date, want := range map[string]bool{"2026-11-23": false, "2026-10-01": true, "2026-10-10": false, "2026-10-02": false, "2026-11-24": true} {
		if got := l.Current().IsWorkday(day(date)); got != want {
			t.Errorf("%s workday %v, want %v", date, got, want)
		}
	}
	// Checks are against the base: the change must change something.
	now := day("2026-06-01")
	for _, c := range []struct {
		ch workcal.Change
		ok bool
	}{
		{workcal.Change{"2026-11-23", false}, true}, {workcal.Change{"2026-11-28", false}, false}, {workcal.Change{"2026-11-28", true}, true},
		{workcal.Change{"2026-10-01", false}, false}, {workcal.Change{"2026-11-24", true}, false}, {workcal.Change{"2026-13-01", false}, false},
		{workcal.Change{"2040-01-02", false}, false},
	} {
		if err := l.CheckChange(c.ch, now); (err == nil) != c.ok {
			t.Errorf("CheckChange(%+v) = %v, want ok %v", c.ch, err, c.ok)
		}
	}
	// No changes: the base again.
	if err := l.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if !l.Current().IsWorkday(day("2026-11-23")) || l.Current().IsWorkday(day("2026-10-01")) {
		t.Error("Apply(nil) did not restore the base")
	}
}
