package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Lectures is what the lecture pages need (lectures.Service has it); it
// asks Authorize for every step.
type Lectures interface {
	Post(ctx context.Context, actor civicgrid.Actor, in civicgrid.LectureInput) (civicgrid.Lecture, error)
	Lecture(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Lecture, error)
	Upcoming(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.Lecture, error)
	Cancel(ctx context.Context, actor civicgrid.Actor, id int64) error
	SignUp(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.LectureSignup, error)
	CancelSignup(ctx context.Context, actor civicgrid.Actor, id int64) error
	MySignup(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.LectureSignup, error)
	MySignups(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.LectureSignup, error)
	Signups(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.LectureSignup, error)
	CheckIn(ctx context.Context, actor civicgrid.Actor, id int64, ticket string) (civicgrid.LectureSignup, error)
	SelfCheckIn(ctx context.Context, actor civicgrid.Actor, id int64, code string, lat, lng *float64) (civicgrid.LectureSignup, error)
	Feedback(ctx context.Context, actor civicgrid.Actor, id int64, rating int, comment string) error
	TeamStats(ctx context.Context, actor civicgrid.Actor, area string, from, to time.Time) ([]civicgrid.LectureTeamStats, error)
	Stats(ctx context.Context, actor civicgrid.Actor, area string, from, to time.Time) ([]civicgrid.LectureStats, error)
}

// lectureView is what the lecture pages show.
type lectureView struct {
	View      string // list, one, scan, door
	Lectures  []lectureRow
	Mine      map[int64]civicgrid.LectureSignup // the reader's sign-ups by lecture
	Scopes    []scopeOption                     // where the reader may post
	Teams     []civicgrid.Team                  // lecture teams (宣讲团) of those scopes, for the form
	TeamStats []teamStatsView                   // per team and month, for staff
	Attended  []lectureRow                      // the reader's own attended lectures, latest first
	One       *lectureRow
	Signup    *civicgrid.LectureSignup // the reader's, on one lecture's page
	Signups   []civicgrid.LectureSignup
	Runs      bool   // the reader runs this lecture
	Code      string // the door code, on the self check-in page
	Ratings   []int
	Audiences []string
	Checked   string // the name just checked in, on the scanner
	CSRF      string
}

// teamStatsView is one scope's counts per lecture team and month.
type teamStatsView struct {
	AreaName string
	Rows     []civicgrid.LectureTeamStats
}

// attendedShown bounds the reader's attended lectures listed.
const attendedShown = 20

type lectureRow struct {
	civicgrid.Lecture
	AreaName string
	When     string // 12月5日 周六 10:00–11:00
	Left     int    // seats left
}

func (ui *UI) registerLectures(mux *http.ServeMux) {
	if ui.cfg.Lectures == nil {
		return
	}
	mux.HandleFunc("GET /lectures", ui.handleLecturesPage)
	mux.HandleFunc("POST /lectures", ui.handlePostLectureForm)
	mux.HandleFunc("GET /lectures/{id}", ui.handleLecturePage)
	mux.HandleFunc("GET /lectures/{id}/scan", ui.handleLectureScanPage)
	mux.HandleFunc("GET /lectures/{id}/check-in", ui.handleLectureDoorPage)
	mux.HandleFunc("POST /lectures/{id}/{step}", ui.handleLectureStep)
}

func (ui *UI) lecturePage(w http.ResponseWriter, r *http.Request, view string) (*page, civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return nil, actor, false
	}
	p := ui.newPage(w, r)
	p.Lecture = &lectureView{View: view, CSRF: actor.CSRFToken, Ratings: []int{5, 4, 3, 2, 1}, Audiences: civicgrid.LectureAudiences}
	if !p.failedFlash(r.URL.Query(), "lecture.failed_") {
		if done := r.URL.Query().Get("done"); done != "" {
			p.Flash = p.catalogue["lecture.done_"+done]
		}
	}
	return p, actor, true
}

// lectureRow dresses a lecture for the page: its area's name, when it is
// in the reader's words, and the seats left.
func (ui *UI) lectureRow(p *page, names func(string) string, l civicgrid.Lecture) lectureRow {
	loc := ui.location()
	s, e := l.StartsAt.In(loc), l.EndsAt.In(loc)
	when := s.Format("2006-01-02 15:04") + "–" + e.Format("15:04")
	if p.Lang != "en" {
		when = s.Format("1月2日 ") + []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[s.Weekday()] + s.Format(" 15:04") + "–" + e.Format("15:04")
	} else {
		when = s.Format("Mon 2 Jan 15:04") + "–" + e.Format("15:04")
	}
	return lectureRow{Lecture: l, AreaName: names(l.AreaCode), When: when, Left: max(0, l.Capacity-l.Confirmed)}
}

// handleLecturesPage serves /lectures: the lectures of the reader's
// scopes, soonest first, with their sign-up state; staff's form to post
// one.
func (ui *UI) handleLecturesPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.lecturePage(w, r, "list")
	if !ok {
		return
	}
	ctx := r.Context()
	ls, err := ui.cfg.Lectures.Upcoming(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	names := ui.areaNames(r)
	for _, l := range ls {
		p.Lecture.Lectures = append(p.Lecture.Lectures, ui.lectureRow(p, names, l))
	}
	mine, err := ui.cfg.Lectures.MySignups(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	p.Lecture.Mine = map[int64]civicgrid.LectureSignup{}
	for _, s := range mine {
		if s.State != civicgrid.SignupCancelled {
			p.Lecture.Mine[s.LectureID] = s
		}
	}
	// The reader's own attendance: the lectures they were checked in at,
	// latest first (sign-ups come in the order made).
	for i := len(mine) - 1; i >= 0 && len(p.Lecture.Attended) < attendedShown; i-- {
		if mine[i].CheckedInAt.IsZero() {
			continue
		}
		if l, err := ui.cfg.Lectures.Lecture(ctx, actor, mine[i].LectureID); err == nil {
			p.Lecture.Attended = append(p.Lecture.Attended, ui.lectureRow(p, names, l))
		}
	}
	loc := ui.location()
	now := time.Now().In(loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	for _, g := range actor.Grants {
		if civicgrid.LevelOfCode(g.AreaCode) != civicgrid.LevelBuilding && civicgrid.Authorize(actor, civicgrid.ActionManageLecture, civicgrid.In(g.AreaCode)) == nil {
			p.Lecture.Scopes = append(p.Lecture.Scopes, scopeOption{g.AreaCode, names(g.AreaCode)})
			if ui.cfg.Volunteer != nil {
				ts, err := ui.cfg.Volunteer.Teams(ctx, actor, g.AreaCode)
				if err != nil {
					ui.renderError(w, r, p, err)
					return
				}
				for _, t := range ts {
					if t.Kind == civicgrid.TeamLecture {
						p.Lecture.Teams = append(p.Lecture.Teams, t)
					}
				}
			}
			// The lecture teams' lectures of the last twelve months and the
			// coming one, with their attendance.
			st, err := ui.cfg.Lectures.TeamStats(ctx, actor, g.AreaCode, month.AddDate(0, -11, 0), month.AddDate(0, 2, 0))
			if err == nil && len(st) > 0 {
				p.Lecture.TeamStats = append(p.Lecture.TeamStats, teamStatsView{AreaName: names(g.AreaCode), Rows: st})
			}
		}
	}
	p.Title = p.catalogue["lecture.list_title"]
	ui.render(w, http.StatusOK, "lecture", p)
}

func (ui *UI) handlePostLectureForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	capacity, _ := strconv.Atoi(f.Get("capacity"))
	in := civicgrid.LectureInput{Title: f.Get("title"), Speakers: f.Get("speakers"), AreaCode: f.Get("area_code"), Place: f.Get("place"),
		BuildingCode: strings.TrimSpace(f.Get("building_code")), Capacity: capacity, Audience: f.Get("audience")}
	if t := f.Get("team_id"); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			backTo(w, r, "/lectures", "", civicgrid.Errorf(civicgrid.EINVALID, "the team is not a team id"))
			return
		}
		in.TeamID = id
	}
	start, err := time.ParseInLocation("2006-01-02T15:04", f.Get("starts_at"), ui.location())
	if err != nil {
		backTo(w, r, "/lectures", "", civicgrid.Errorf(civicgrid.EINVALID, "the start is not a date and time"))
		return
	}
	in.StartsAt = start
	if mins, err := strconv.Atoi(f.Get("minutes")); err == nil && mins > 0 {
		in.EndsAt = start.Add(time.Duration(mins) * time.Minute)
	}
	l, err := ui.cfg.Lectures.Post(r.Context(), actor, in)
	if err != nil {
		backTo(w, r, "/lectures", "", err)
		return
	}
	backTo(w, r, "/lectures/"+strconv.FormatInt(l.ID, 10), "posted", nil)
}

// oneLecture fills the page with one lecture the reader may read.
func (ui *UI) oneLecture(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor) (civicgrid.Lecture, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	l, err := ui.cfg.Lectures.Lecture(r.Context(), actor, id)
	if err != nil {
		ui.renderError(w, r, p, err)
		return l, false
	}
	row := ui.lectureRow(p, ui.areaNames(r), l)
	p.Lecture.One = &row
	p.Lecture.Runs = l.CheckInCode != ""
	p.Title = l.Title
	return l, true
}

// handleLecturePage serves /lectures/{id}: the lecture; the reader's
// sign-up with their ticket's QR code, or the button to sign up; after
// attending, feedback; for staff, the door's QR code, who signed up and
// the scanner.
func (ui *UI) handleLecturePage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.lecturePage(w, r, "one")
	if !ok {
		return
	}
	l, ok := ui.oneLecture(w, r, p, actor)
	if !ok {
		return
	}
	ctx := r.Context()
	if su, err := ui.cfg.Lectures.MySignup(ctx, actor, l.ID); err == nil {
		p.Lecture.Signup = &su
	}
	if p.Lecture.Runs {
		ss, err := ui.cfg.Lectures.Signups(ctx, actor, l.ID)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		p.Lecture.Signups = ss
	}
	ui.render(w, http.StatusOK, "lecture", p)
}

// handleLectureScanPage serves the staff scanner: the camera reads an
// attendee's ticket QR code (jsQR), or staff type the code; either submits
// the check-in form.
func (ui *UI) handleLectureScanPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.lecturePage(w, r, "scan")
	if !ok {
		return
	}
	l, ok := ui.oneLecture(w, r, p, actor)
	if !ok {
		return
	}
	if !p.Lecture.Runs {
		ui.renderError(w, r, p, civicgrid.Errorf(civicgrid.EFORBIDDEN, "only those who run the lecture check people in"))
		return
	}
	p.Lecture.Checked = r.URL.Query().Get("name")
	p.Title = p.catalogue["lecture.scan_title"] + " · " + l.Title
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("lecture."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "lecture", p)
}

// handleLectureDoorPage serves what the door's QR code opens: the
// attendee checks themselves in, with where they stand.
func (ui *UI) handleLectureDoorPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.lecturePage(w, r, "door")
	if !ok {
		return
	}
	if _, ok := ui.oneLecture(w, r, p, actor); !ok {
		return
	}
	p.Lecture.Code = r.URL.Query().Get("code")
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("lecture."), CSRF: actor.CSRFToken}
	ui.render(w, http.StatusOK, "lecture", p)
}

// handleLectureStep takes a step from a form, then back to the page with
// the outcome.
func (ui *UI) handleLectureStep(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	ctx := r.Context()
	back := "/lectures/" + strconv.FormatInt(id, 10)
	var err error
	step := r.PathValue("step")
	switch step {
	case "signup":
		_, err = ui.cfg.Lectures.SignUp(ctx, actor, id)
	case "leave":
		err = ui.cfg.Lectures.CancelSignup(ctx, actor, id)
	case "cancel":
		err = ui.cfg.Lectures.Cancel(ctx, actor, id)
	case "feedback":
		rating, _ := strconv.Atoi(f.Get("rating"))
		err = ui.cfg.Lectures.Feedback(ctx, actor, id, rating, f.Get("comment"))
	case "check-in":
		var su civicgrid.LectureSignup
		su, err = ui.cfg.Lectures.CheckIn(ctx, actor, id, f.Get("ticket"))
		back += "/scan"
		if err == nil {
			q := url.Values{"done": {"checked_in"}, "name": {su.Name}}
			http.Redirect(w, r, back+"?"+q.Encode()+"#flash", http.StatusSeeOther)
			return
		}
	case "self-check-in":
		var lat, lng *float64
		if v, e := strconv.ParseFloat(f.Get("lat"), 64); e == nil {
			lat = &v
		}
		if v, e := strconv.ParseFloat(f.Get("lng"), 64); e == nil {
			lng = &v
		}
		_, err = ui.cfg.Lectures.SelfCheckIn(ctx, actor, id, f.Get("code"), lat, lng)
		if err != nil {
			back += "/check-in?code=" + url.QueryEscape(f.Get("code"))
			backTo(w, r, back, "", err)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	backTo(w, r, back, strings.ReplaceAll(step, "-", "_"), err)
}
