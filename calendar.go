package civicgrid

import (
	"context"
	"time"
)

// Kinds of calendar days.
const (
	DayHoliday = "holiday" // a day off on a day that would be worked
	DayWorkday = "workday" // a make-up working day (调休上班) on a day that would be off
)

// Sources of calendar days.
const (
	DayShipped = "shipped" // the State Council's schedule shipped with civicgrid
	DayLocal   = "local"   // declared by the city's administrators
)

// CalendarDay is a date of the working calendar that differs from the
// weekly rhythm: a holiday or a make-up working day. Local days are stored
// and win over the shipped schedule for their date, so that a city can add
// its own days and follow a late change of the national schedule.
type CalendarDay struct {
	Date      string    `json:"date"` // 2026-10-08
	Kind      string    `json:"kind"` // holiday, workday
	Note      string    `json:"note,omitempty"`
	Source    string    `json:"source"` // shipped, local
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// CalendarStore keeps the local calendar days.
type CalendarStore interface {
	// CalendarDays lists the local days, by date.
	CalendarDays(ctx context.Context) ([]CalendarDay, error)
	// AddCalendarDay stores a local day; ECONFLICT if its date has one.
	AddCalendarDay(ctx context.Context, d CalendarDay, ev SecurityEvent) error
	// RemoveCalendarDay deletes the local day of a date; ENOTFOUND if none.
	RemoveCalendarDay(ctx context.Context, date string, ev SecurityEvent) error
}
