package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

type calendarList struct {
	Year int                     `json:"year"`
	Days []civicgrid.CalendarDay `json:"days"`
}

func (e *caseEnv) calendarDays(p person, year string) calendarList {
	e.t.Helper()
	var l calendarList
	if st, b := e.call(p, "GET", "/api/v1/calendar/days?year="+year, nil, &l); st != http.StatusOK {
		e.t.Fatalf("calendar days: %d %s", st, b)
	}
	return l
}

func dayOf(l calendarList, date string) (civicgrid.CalendarDay, bool) {
	for _, d := range l.Days {
		if d.Date == date {
			return d, true
		}
	}
	return civicgrid.CalendarDay{}, false
}

// A holiday declared through the API sets the deadlines computed after it;
// deadlines computed before stay; bad input is refused with nothing written.
func TestCalendarDaysSetNewDeadlines(t *testing.T) {
	e := newCaseEnv(t)
	admin := e.login(civicgrid.RoleCityAdmin, "420100")
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	beijing := time.FixedZone("CST", 8*3600)
	dateOf := func(t time.Time) string { return t.In(beijing).Format(time.DateOnly) }

	// The clock is Monday 2026-11-23 09:30; street lamps are answered in 4 working hours.
	before := e.report(resident, "01009", e.chain)
	if dateOf(before.RespondBy) != "2026-11-23" {
		t.Fatalf("respond by %v, want the same Monday", before.RespondBy)
	}

	if st, b := e.call(admin, "POST", "/api/v1/calendar/days", map[string]string{"date": "2026-11-23", "kind": "holiday", "note": "防汛"}, nil); st != http.StatusCreated {
		t.Fatalf("add holiday: %d %s", st, b)
	}
	after := e.report(resident, "01009", e.other)
	if dateOf(after.RespondBy) != "2026-11-24" {
		t.Errorf("respond by %v after Monday became a holiday, want Tuesday", after.RespondBy)
	}
	kept, err := e.db.CaseByID(t.Context(), before.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !kept.RespondBy.Equal(before.RespondBy) {
		t.Errorf("a deadline computed before the change moved: %v → %v", before.RespondBy, kept.RespondBy)
	}

	// Bad input: a clear refusal, nothing stored.
	for _, c := range []struct {
		date, kind string
		status     int
		says       string
	}{
		{"2026-02-30", "holiday", 400, "real date"},
		{"23/11/2026", "holiday", 400, "YYYY-MM-DD"},
		{"2026-11-28", "holiday", 400, "day off already"},     // a Saturday
		{"2026-10-01", "holiday", 400, "official holiday"},    // shipped
		{"2026-11-25", "workday", 400, "working day already"}, // a Wednesday
		{"2026-11-23", "holiday", 409, "remove it first"},     // a duplicate
		{"2026-11-23", "workday", 409, "remove it first"},     // both a holiday and a make-up day
		{"2026-11-26", "festival", 400, "want holiday or workday"},
		{"2099-11-26", "holiday", 400, "want a year"},
	} {
		st, b := e.call(admin, "POST", "/api/v1/calendar/days", map[string]string{"date": c.date, "kind": c.kind}, nil)
		if st != c.status || !strings.Contains(b, c.says) {
			t.Errorf("%s %s: %d %s, want %d saying %q", c.date, c.kind, st, b, c.status, c.says)
		}
	}
	local, err := e.db.CalendarDays(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != 1 || local[0].Date != "2026-11-23" || local[0].Kind != "holiday" || local[0].Note != "防汛" {
		t.Errorf("stored days after the refusals: %+v, want only the Monday holiday", local)
	}

	// A shipped holiday made a working day: the local entry hides it.
	if st, b := e.call(admin, "POST", "/api/v1/calendar/days", map[string]string{"date": "2026-10-07", "kind": "workday"}, nil); st != http.StatusCreated {
		t.Fatalf("make-up day on a shipped weekday holiday: %d %s", st, b)
	}
	l := e.calendarDays(resident, "2026")
	if d, ok := dayOf(l, "2026-10-07"); !ok || d.Source != "local" || d.Kind != "workday" {
		t.Errorf("2026-10-07 listed as %+v, want a local workday", d)
	}
	if d, ok := dayOf(l, "2026-10-10"); !ok || d.Source != "shipped" || d.Kind != "workday" {
		t.Errorf("2026-10-10 listed as %+v, want a shipped workday", d)
	}

	// Removed: the week's rhythm holds again for deadlines computed next.
	if st, b := e.call(admin, "DELETE", "/api/v1/calendar/days/2026-11-23", nil, nil); st != http.StatusNoContent {
		t.Fatalf("remove: %d %s", st, b)
	}
	if st, _ := e.call(admin, "DELETE", "/api/v1/calendar/days/2026-11-23", nil, nil); st != http.StatusNotFound {
		t.Errorf("removing twice: %d, want 404", st)
	}
	again := e.report(resident, "02003", e.chain)
	if dateOf(again.RespondBy) != "2026-11-23" {
		t.Errorf("respond by %v after the holiday was removed, want Monday", again.RespondBy)
	}
	if _, ok := dayOf(e.calendarDays(resident, "2026"), "2026-11-23"); ok {
		t.Error("the removed day is still listed")
	}

	// Only city admins change the calendar.
	district := e.login(civicgrid.RoleDistrictAdmin, e.chain.district)
	if st, _ := e.call(district, "POST", "/api/v1/calendar/days", map[string]string{"date": "2026-11-24", "kind": "holiday"}, nil); st != http.StatusForbidden {
		t.Errorf("district admin adding a day: %d, want 403", st)
	}
}
