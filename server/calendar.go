package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/workcal"
)

// RefreshCalendar puts the shipped schedule with the stored local days in
// force in live. Deadlines already computed stay as they are: a deadline is
// a promise on the reporter's receipt and a step of the case's
// hash-chained history, so a change of the calendar applies to deadlines
// computed after it (docs/cases.md).
func RefreshCalendar(ctx context.Context, store civicgrid.CalendarStore, live *workcal.Live) error {
	days, err := store.CalendarDays(ctx)
	if err != nil {
		return err
	}
	changes := make([]workcal.Change, len(days))
	for i, d := range days {
		changes[i] = workcal.Change{Date: d.Date, Workday: d.Kind == civicgrid.DayWorkday}
	}
	return live.Apply(changes)
}

func (s *Server) calendarRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	public("GET", "/api/v1/calendar/days", s.handleCalendarDays)
	guarded("POST", "/api/v1/calendar/days", civicgrid.ActionManageCalendar, s.handleAddCalendarDay)
	guarded("DELETE", "/api/v1/calendar/days/{date}", civicgrid.ActionManageCalendar, s.handleRemoveCalendarDay)
}

// handleCalendarDays: GET /api/v1/calendar/days?year=2026 lists a year's
// holidays and make-up working days, shipped and local; a local day hides
// the shipped entry of its date.
func (s *Server) handleCalendarDays(w http.ResponseWriter, r *http.Request) {
	year := s.now().In(beijing).Year()
	if q := r.URL.Query().Get("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || y < 1900 || y > 2200 {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "year %q: want a year such as 2026", q))
			return
		}
		year = y
	}
	local, err := s.store.CalendarDays(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	prefix := strconv.Itoa(year) + "-"
	days := []civicgrid.CalendarDay{}
	for _, d := range local {
		if strings.HasPrefix(d.Date, prefix) {
			days = append(days, d)
		}
	}
	hidden := func(date string) bool {
		return slices.ContainsFunc(local, func(d civicgrid.CalendarDay) bool { return d.Date == date })
	}
	base := s.cfg.Calendar.Base()
	for kind, dates := range map[string][]string{civicgrid.DayHoliday: base.Holidays, civicgrid.DayWorkday: base.Workdays} {
		for _, date := range dates {
			if strings.HasPrefix(date, prefix) && !hidden(date) {
				days = append(days, civicgrid.CalendarDay{Date: date, Kind: kind, Source: civicgrid.DayShipped})
			}
		}
	}
	slices.SortFunc(days, func(a, b civicgrid.CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	writeJSON(w, http.StatusOK, map[string]any{"year": year, "days": days})
}

// maxCalendarNote bounds a local day's note (its name, e.g. 端午节调休).
const maxCalendarNote = 100

// handleAddCalendarDay: POST /api/v1/calendar/days declares a holiday or a
// make-up working day and puts it in force at once.
func (s *Server) handleAddCalendarDay(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageCalendar, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	var d civicgrid.CalendarDay
	if _, err := decodeAuthBody(w, r, &d); err != nil {
		writeError(w, r, err)
		return
	}
	d.Date, d.Note, d.Source = strings.TrimSpace(d.Date), strings.TrimSpace(d.Note), civicgrid.DayLocal
	if d.Kind != civicgrid.DayHoliday && d.Kind != civicgrid.DayWorkday {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "kind %q: want holiday or workday", d.Kind))
		return
	}
	if utf8.RuneCountInString(d.Note) > maxCalendarNote {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "note: at most %d characters", maxCalendarNote))
		return
	}
	// A date holds one local entry: a holiday and a make-up day at once
	// make no sense, and a second entry would hide which one is in force.
	// (The store's key decides between two admins at the same moment.)
	local, err := s.store.CalendarDays(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if i := slices.IndexFunc(local, func(l civicgrid.CalendarDay) bool { return l.Date == d.Date }); i >= 0 {
		writeError(w, r, civicgrid.Errorf(civicgrid.ECONFLICT, "%s is a local %s already: remove it first", d.Date, local[i].Kind))
		return
	}
	if err := s.cfg.Calendar.CheckChange(workcal.Change{Date: d.Date, Workday: d.Kind == civicgrid.DayWorkday}, s.now()); err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "%s", err.Error()))
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: "calendar.day_added", Detail: d.Date + " " + d.Kind})
	if err := s.store.AddCalendarDay(r.Context(), d, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.refreshCalendar(r)
	d.CreatedAt = s.now()
	writeJSON(w, http.StatusCreated, d)
}

// handleRemoveCalendarDay: DELETE /api/v1/calendar/days/{date} removes a
// local day; the shipped schedule holds for the date again.
func (s *Server) handleRemoveCalendarDay(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageCalendar, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	date := r.PathValue("date")
	ev := s.event(r, civicgrid.SecurityEvent{Kind: "calendar.day_removed", Detail: date})
	if err := s.store.RemoveCalendarDay(r.Context(), date, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.refreshCalendar(r)
	w.WriteHeader(http.StatusNoContent)
}

// refreshCalendar puts a change in force on this instance at once (others
// pick it up on their next poll). The change is stored either way: on a
// failure here the poll retries.
func (s *Server) refreshCalendar(r *http.Request) {
	if err := RefreshCalendar(context.WithoutCancel(r.Context()), s.store, s.cfg.Calendar); err != nil {
		slog.ErrorContext(r.Context(), "calendar refresh", "err", err)
	}
}
