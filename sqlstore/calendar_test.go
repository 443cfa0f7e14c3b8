package sqlstore

import (
	"context"
	"testing"

	"github.com/civicgrid/civicgrid"
)

func TestCalendarDays(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ev := civicgrid.SecurityEvent{Kind: "calendar.day_added", Outcome: "ok", Actor: "cli", Detail: "2026-11-23 holiday"}
	if err := db.AddCalendarDay(ctx, civicgrid.CalendarDay{Date: "2026-11-23", Kind: civicgrid.DayHoliday, Note: "防汛"}, ev); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCalendarDay(ctx, civicgrid.CalendarDay{Date: "2026-11-28", Kind: civicgrid.DayWorkday}, civicgrid.SecurityEvent{}); err != nil {
		t.Fatal(err)
	}
	// One entry per date: a second one is a conflict and writes nothing,
	// not even its security event.
	err := db.AddCalendarDay(ctx, civicgrid.CalendarDay{Date: "2026-11-23", Kind: civicgrid.DayWorkday}, civicgrid.SecurityEvent{Kind: "calendar.day_added", Detail: "dup"})
	if civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Errorf("second entry for a date: %v, want a conflict", err)
	}
	days, err := db.CalendarDays(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Date != "2026-11-23" || days[0].Kind != "holiday" || days[0].Note != "防汛" || days[0].Source != "local" ||
		days[1].Date != "2026-11-28" || days[1].Kind != "workday" {
		t.Errorf("days %+v", days)
	}
	evs, err := db.ListSecurityEvents(ctx, civicgrid.EventFilter{Kind: "calendar.day_added"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Detail != "2026-11-23 holiday" {
		t.Errorf("security events %+v, want the one added day", evs)
	}
	if err := db.RemoveCalendarDay(ctx, "2026-11-23", civicgrid.SecurityEvent{}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveCalendarDay(ctx, "2026-11-23", civicgrid.SecurityEvent{}); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Errorf("removing twice: %v, want not found", err)
	}
	if days, _ := db.CalendarDays(ctx); len(days) != 1 {
		t.Errorf("%d days after the removal, want 1", len(days))
	}
	// The database refuses a kind it does not know.
	if err := db.AddCalendarDay(ctx, civicgrid.CalendarDay{Date: "2026-12-01", Kind: "festival"}, civicgrid.SecurityEvent{}); err == nil {
		t.Error("a day of an unknown kind was stored")
	}
}
