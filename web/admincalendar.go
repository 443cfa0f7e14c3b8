package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// CalendarAdmin manages the working calendar's local holidays and make-up
// working days through the API (server.LocalAPI has it): the routes check
// the policy, put a change in force and log it.
type CalendarAdmin interface {
	CalendarDays(r *http.Request, year int) ([]civicgrid.CalendarDay, error)
	AddCalendarDay(r *http.Request, d civicgrid.CalendarDay) error
	RemoveCalendarDay(r *http.Request, date string) error
}

// calendarView is the calendar page: a year's days by month, the form for
// a local day, and a step waiting for confirmation.
type calendarView struct {
	Year, Prev, Next   int
	Months             []calendarMonth
	Holidays, Workdays int
	Local              int
	Form               civicgrid.CalendarDay
	Confirm            *calendarDayRow // add or remove, waiting for "yes"
	ConfirmRemove      bool
}

type calendarMonth struct {
	Label string
	Days  []calendarDayRow
}

type calendarDayRow struct {
	civicgrid.CalendarDay
	Label, Weekday string
}

// mayManageCalendar is the policy's answer for the calendar tab and page
// (the routes ask the same).
func mayManageCalendar(a civicgrid.Actor) error {
	return civicgrid.Authorize(a, civicgrid.ActionManageCalendar, civicgrid.Object{})
}

func (p *page) calendarRow(d civicgrid.CalendarDay) calendarDayRow {
	row := calendarDayRow{CalendarDay: d, Label: d.Date}
	if t, err := time.Parse(time.DateOnly, d.Date); err == nil {
		row.Label, _ = p.T("admin.calendar_date", "month", int(t.Month()), "day", t.Day())
		row.Weekday = p.catalogue["admin.weekday_"+strconv.Itoa(int(t.Weekday()))]
	}
	return row
}

// calendarYear reads the year the page shows: ?year=, else this year.
func calendarYear(r *http.Request, form string) int {
	year := time.Now().In(civicgrid.Beijing).Year()
	if len(form) >= 4 {
		if y, err := strconv.Atoi(form[:4]); err == nil && y > 1900 && y < 2200 {
			year = y
		}
	}
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y > 1900 && y < 2200 {
		year = y
	}
	return year
}

// calendarPage shows a year's holidays and make-up days with the form; a
// refused read or a refused actor gets the admin error page.
func (ui *UI) calendarPage(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor, year, status int) {
	if err := mayManageCalendar(actor); err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	days, err := ui.cfg.Calendar.CalendarDays(r, year)
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	v := p.Admin.Calendar
	if v == nil {
		v = &calendarView{}
		p.Admin.Calendar = v
	}
	v.Year, v.Prev, v.Next = year, year-1, year+1
	months := make([]calendarMonth, 12)
	for i := range months {
		months[i].Label, _ = p.T("admin.calendar_month", "month", i+1)
	}
	for _, d := range days {
		m, err := strconv.Atoi(d.Date[5:7])
		if err != nil || m < 1 || m > 12 {
			continue
		}
		months[m-1].Days = append(months[m-1].Days, p.calendarRow(d))
		if d.Kind == civicgrid.DayHoliday {
			v.Holidays++
		} else {
			v.Workdays++
		}
		if d.Source == civicgrid.DayLocal {
			v.Local++
		}
	}
	for _, m := range months {
		if len(m.Days) > 0 {
			v.Months = append(v.Months, m)
		}
	}
	if v.Form.Kind == "" {
		v.Form.Kind = civicgrid.DayHoliday
	}
	p.Title, _ = p.T("admin.calendar_title_year", "year", year)
	ui.render(w, status, "admin", p)
}

func (ui *UI) handleAdminCalendar(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "calendar", "admin.calendar_title")
	if !ok {
		return
	}
	ui.calendarPage(w, r, p, actor, calendarYear(r, ""), http.StatusOK)
}

// handleAdminAddCalendarDay asks for confirmation first (the page repeats
// what the day will do to deadlines); the confirmed form goes to the API.
func (ui *UI) handleAdminAddCalendarDay(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "calendar", "admin.calendar_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	d := civicgrid.CalendarDay{Date: strings.TrimSpace(f.Get("date")), Kind: f.Get("kind"), Note: strings.TrimSpace(f.Get("note")), Source: civicgrid.DayLocal}
	year := calendarYear(r, d.Date)
	p.Admin.Calendar = &calendarView{Form: d}
	if f.Get("confirm") != "1" {
		if err := mayManageCalendar(actor); err != nil {
			ui.adminFailed(w, r, p, err)
			return
		}
		row := p.calendarRow(d)
		p.Admin.Calendar.Confirm = &row
		p.Admin.View = "calendar_confirm"
		p.Title = p.catalogue["admin.calendar_confirm_add_title"]
		ui.render(w, http.StatusOK, "admin", p)
		return
	}
	if err := ui.cfg.Calendar.AddCalendarDay(r, d); err != nil {
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.calendarPage(w, r, p, actor, year, statusOf(err))
		return
	}
	redirectOutcome(w, r, "/admin/calendar?year="+strconv.Itoa(year), "admin.calendar_added", nil)
}

// handleAdminConfirmRemoveCalendarDay asks before a local day goes.
func (ui *UI) handleAdminConfirmRemoveCalendarDay(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "calendar_confirm", "admin.calendar_confirm_remove_title")
	if !ok {
		return
	}
	if err := mayManageCalendar(actor); err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	date := r.PathValue("date")
	days, err := ui.cfg.Calendar.CalendarDays(r, calendarYear(r, date))
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return
	}
	for _, d := range days {
		if d.Date == date && d.Source == civicgrid.DayLocal {
			row := p.calendarRow(d)
			p.Admin.Calendar = &calendarView{Confirm: &row, ConfirmRemove: true, Year: calendarYear(r, date)}
			ui.render(w, http.StatusOK, "admin", p)
			return
		}
	}
	ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "%s has no local calendar entry", date))
}

// handleAdminRemoveCalendarDay removes a local day through the API.
func (ui *UI) handleAdminRemoveCalendarDay(w http.ResponseWriter, r *http.Request) {
	if _, ok := requireLogin(w, r); !ok {
		return
	}
	if _, ok := parseAdminForm(w, r); !ok {
		return
	}
	date := r.PathValue("date")
	err := ui.cfg.Calendar.RemoveCalendarDay(r, date)
	redirectOutcome(w, r, "/admin/calendar?year="+strconv.Itoa(calendarYear(r, date)), "admin.calendar_removed", err)
}
