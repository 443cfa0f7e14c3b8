package server

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/siteurl"
)

// Study and lecture events: posting, sign-up with a waiting list, check-in
// at the door (the attendee's ticket scanned by staff, or the event's code
// scanned by the attendee), feedback, counts, and a public iCalendar feed
// per area. The lectures service asks Authorize for every step.

func (s *Server) lectureRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Lectures == nil {
		return
	}
	public("GET", "/api/v1/lectures.ics", s.handleLectureCalendar)
	guarded("GET", "/api/v1/lectures", civicgrid.ActionReadLecture, s.handleLectures)
	guarded("POST", "/api/v1/lectures", civicgrid.ActionManageLecture, s.handlePostLecture)
	guarded("GET", "/api/v1/lectures/mine", civicgrid.ActionJoinLecture, s.handleMyLectures)
	guarded("GET", "/api/v1/lectures/stats", civicgrid.ActionReadIndicators, s.handleLectureStats)
	guarded("GET", "/api/v1/lectures/stats/teams", civicgrid.ActionReadIndicators, s.handleLectureTeamStats)
	guarded("GET", "/api/v1/lectures/{id}", civicgrid.ActionReadLecture, withID(s.handleLecture))
	guarded("POST", "/api/v1/lectures/{id}/cancel", civicgrid.ActionManageLecture, withID(s.handleCancelLecture))
	guarded("GET", "/api/v1/lectures/{id}/signups", civicgrid.ActionManageLecture, withID(s.handleLectureSignups))
	guarded("POST", "/api/v1/lectures/{id}/check-in", civicgrid.ActionManageLecture, withID(s.handleLectureCheckIn))
	guarded("GET", "/api/v1/lectures/{id}/door.png", civicgrid.ActionManageLecture, withID(s.handleLectureDoorCode))
	guarded("POST", "/api/v1/lectures/{id}/signup", civicgrid.ActionJoinLecture, withID(s.handleLectureSignUp))
	guarded("GET", "/api/v1/lectures/{id}/signup", civicgrid.ActionJoinLecture, withID(s.handleMyLectureSignup))
	guarded("DELETE", "/api/v1/lectures/{id}/signup", civicgrid.ActionJoinLecture, withID(s.handleLectureCancelSignup))
	guarded("GET", "/api/v1/lectures/{id}/ticket.png", civicgrid.ActionJoinLecture, withID(s.handleLectureTicket))
	guarded("POST", "/api/v1/lectures/{id}/self-check-in", civicgrid.ActionJoinLecture, withID(s.handleLectureSelfCheckIn))
	guarded("POST", "/api/v1/lectures/{id}/feedback", civicgrid.ActionJoinLecture, withID(s.handleLectureFeedback))
}

// lectureBody bounds a request body.
const lectureBody = 8 << 10

func (s *Server) handleLectures(w http.ResponseWriter, r *http.Request) {
	ls, err := s.cfg.Lectures.Upcoming(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "lectures", ls, err)
}

func (s *Server) handlePostLecture(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.LectureInput
	if err := decodeJSON(w, r, lectureBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.cfg.Lectures.Post(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "lecture", l, err)
}

func (s *Server) handleMyLectures(w http.ResponseWriter, r *http.Request) {
	ss, err := s.cfg.Lectures.MySignups(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "signups", ss, err)
}

// handleLectureStats: GET /api/v1/lectures/stats?area=CODE&from=2026-01&to=2026-07
// counts per scope and month (to exclusive).
func (s *Server) handleLectureStats(w http.ResponseWriter, r *http.Request) {
	from, to, ok := statsPeriod(w, r)
	if !ok {
		return
	}
	st, err := s.cfg.Lectures.Stats(r.Context(), actorFrom(r), r.URL.Query().Get("area"), from, to)
	answer(w, r, http.StatusOK, "stats", st, err)
}

// handleLectureTeamStats: GET /api/v1/lectures/stats/teams?area=CODE&from=2026-01&to=2026-07
// counts per lecture team (宣讲团) and month: lectures given, seats,
// check-ins, the mean rating.
func (s *Server) handleLectureTeamStats(w http.ResponseWriter, r *http.Request) {
	from, to, ok := statsPeriod(w, r)
	if !ok {
		return
	}
	st, err := s.cfg.Lectures.TeamStats(r.Context(), actorFrom(r), r.URL.Query().Get("area"), from, to)
	answer(w, r, http.StatusOK, "teams", st, err)
}

// statsPeriod reads from and to (months, to exclusive).
func statsPeriod(w http.ResponseWriter, r *http.Request) (from, to time.Time, ok bool) {
	q := r.URL.Query()
	from, err1 := time.ParseInLocation("2006-01", q.Get("from"), chinaZone)
	to, err2 := time.ParseInLocation("2006-01", q.Get("to"), chinaZone)
	if err1 != nil || err2 != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "from and to are months, e.g. from=2026-01&to=2026-07"))
		return from, to, false
	}
	return from, to, true
}

// chinaZone is the zone people's dates are in (China Standard Time).
var chinaZone = time.FixedZone("CST", 8*3600)

func (s *Server) handleLecture(w http.ResponseWriter, r *http.Request, id int64) {
	l, err := s.cfg.Lectures.Lecture(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "lecture", l, err)
}

func (s *Server) handleCancelLecture(w http.ResponseWriter, r *http.Request, id int64) {
	err := s.cfg.Lectures.Cancel(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "cancelled", true, err)
}

func (s *Server) handleLectureSignups(w http.ResponseWriter, r *http.Request, id int64) {
	ss, err := s.cfg.Lectures.Signups(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "signups", ss, err)
}

type ticketRequest struct {
	Ticket string `json:"ticket"`
}

func (s *Server) handleLectureCheckIn(w http.ResponseWriter, r *http.Request, id int64) {
	var in ticketRequest
	if err := decodeJSON(w, r, lectureBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	su, err := s.cfg.Lectures.CheckIn(r.Context(), actorFrom(r), id, in.Ticket)
	answer(w, r, http.StatusOK, "signup", su, err)
}

type selfCheckInRequest struct {
	Code string   `json:"code"`
	Lat  *float64 `json:"lat,omitempty"`
	Lng  *float64 `json:"lng,omitempty"`
}

func (s *Server) handleLectureSelfCheckIn(w http.ResponseWriter, r *http.Request, id int64) {
	var in selfCheckInRequest
	if err := decodeJSON(w, r, lectureBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	su, err := s.cfg.Lectures.SelfCheckIn(r.Context(), actorFrom(r), id, in.Code, in.Lat, in.Lng)
	answer(w, r, http.StatusOK, "signup", su, err)
}

func (s *Server) handleLectureSignUp(w http.ResponseWriter, r *http.Request, id int64) {
	su, err := s.cfg.Lectures.SignUp(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusCreated, "signup", su, err)
}

func (s *Server) handleMyLectureSignup(w http.ResponseWriter, r *http.Request, id int64) {
	su, err := s.cfg.Lectures.MySignup(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "signup", su, err)
}

func (s *Server) handleLectureCancelSignup(w http.ResponseWriter, r *http.Request, id int64) {
	err := s.cfg.Lectures.CancelSignup(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "cancelled", true, err)
}

type feedbackRequest struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

func (s *Server) handleLectureFeedback(w http.ResponseWriter, r *http.Request, id int64) {
	var in feedbackRequest
	if err := decodeJSON(w, r, lectureBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	err := s.cfg.Lectures.Feedback(r.Context(), actorFrom(r), id, in.Rating, in.Comment)
	answer(w, r, http.StatusOK, "rated", true, err)
}

// handleLectureTicket draws the caller's ticket code as a QR code, for
// staff to scan at the door.
func (s *Server) handleLectureTicket(w http.ResponseWriter, r *http.Request, id int64) {
	su, err := s.cfg.Lectures.MySignup(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeQR(w, r, su.Ticket)
}

// handleLectureDoorCode draws the event's code as a QR code to put up at
// the door: scanned by a phone it opens the self check-in page.
func (s *Server) handleLectureDoorCode(w http.ResponseWriter, r *http.Request, id int64) {
	l, err := s.cfg.Lectures.Lecture(r.Context(), actorFrom(r), id)
	if err == nil && l.CheckInCode == "" {
		err = civicgrid.Errorf(civicgrid.EFORBIDDEN, "only those who run the lecture see its door code")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeQR(w, r, fmt.Sprintf("%s/lectures/%d/check-in?code=%s", s.baseURL(r), id, l.CheckInCode))
}

func writeQR(w http.ResponseWriter, r *http.Request, text string) {
	png, err := qrcode.Encode(text, qrcode.Medium, 320)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(png)
}

// handleLectureCalendar: GET /api/v1/lectures.ics?area=CODE, the lectures
// of an area and the areas above it as an iCalendar feed (RFC 5545) for
// calendar apps, which subscribe without logging in: public, like the
// notice board at the door.
func (s *Server) handleLectureCalendar(w http.ResponseWriter, r *http.Request) {
	ls, err := s.cfg.Lectures.Calendar(r.Context(), r.URL.Query().Get("area"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	var b strings.Builder
	host := siteurl.Host(s.cfg.PublicURL, r)
	line := func(s string) { b.WriteString(foldICS(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//civicgrid//lectures//ZH")
	line("CALSCALE:GREGORIAN")
	line("X-WR-CALNAME:" + escICS("宣讲活动 "+r.URL.Query().Get("area")))
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for _, l := range ls {
		line("BEGIN:VEVENT")
		line("UID:lecture-" + strconv.FormatInt(l.ID, 10) + "@" + host)
		line("DTSTAMP:" + stamp)
		line("DTSTART:" + l.StartsAt.UTC().Format("20060102T150405Z"))
		line("DTEND:" + l.EndsAt.UTC().Format("20060102T150405Z"))
		line("SUMMARY:" + escICS(l.Title))
		where := l.Place
		if where == "" {
			where = l.OnlineURL
		}
		line("LOCATION:" + escICS(where))
		line("DESCRIPTION:" + escICS(l.Speakers))
		if l.OnlineURL != "" {
			line("URL:" + l.OnlineURL)
		}
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(b.String()))
}

// escICS escapes a TEXT value (RFC 5545 §3.3.11).
func escICS(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// foldICS ends a content line with CRLF, folded at 75 octets without
// splitting a UTF-8 character (RFC 5545 §3.1).
func foldICS(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		size := len(string(r))
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
	return b.String()
}

// The lecture routes' OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/lectures.ics":                 {summary: "The lectures of an area and the areas above it, as an iCalendar feed (public)", tag: "lectures", query: []string{"area"}, produces: "text/calendar"},
		"GET /api/v1/lectures":                     {summary: "Lectures in the caller's scopes that have not ended, soonest first", tag: "lectures"},
		"POST /api/v1/lectures":                    {summary: "Post a lecture (宣讲) in a scope one runs", tag: "lectures", request: civicgrid.LectureInput{}, response: civicgrid.Lecture{}, created: true},
		"GET /api/v1/lectures/mine":                {summary: "One's sign-ups", tag: "lectures"},
		"GET /api/v1/lectures/stats":               {summary: "Lectures, seats and attendance per scope and month", tag: "lectures", query: []string{"area", "from", "to"}},
		"GET /api/v1/lectures/stats/teams":         {summary: "Per lecture team (宣讲团) and month: lectures given, seats, check-ins, mean rating", tag: "lectures", query: []string{"area", "from", "to"}},
		"GET /api/v1/lectures/{id}":                {summary: "One lecture with its counts (the door code only to those who run it)", tag: "lectures"},
		"POST /api/v1/lectures/{id}/cancel":        {summary: "Cancel a lecture", tag: "lectures"},
		"GET /api/v1/lectures/{id}/signups":        {summary: "Who signed up: seats, then the waiting list in order (names masked)", tag: "lectures"},
		"POST /api/v1/lectures/{id}/check-in":      {summary: "Check an attendee in at the door by their ticket code", tag: "lectures", request: ticketRequest{}},
		"GET /api/v1/lectures/{id}/door.png":       {summary: "The event's check-in code as a QR code for the door", tag: "lectures", produces: "image/png"},
		"POST /api/v1/lectures/{id}/signup":        {summary: "Sign up: a seat, or a place on the waiting list when full", tag: "lectures", created: true},
		"GET /api/v1/lectures/{id}/signup":         {summary: "One's sign-up (ticket, or place on the waiting list)", tag: "lectures"},
		"DELETE /api/v1/lectures/{id}/signup":      {summary: "Cancel one's sign-up; the first waiting takes the seat", tag: "lectures"},
		"GET /api/v1/lectures/{id}/ticket.png":     {summary: "One's ticket code as a QR code", tag: "lectures", produces: "image/png"},
		"POST /api/v1/lectures/{id}/self-check-in": {summary: "Check oneself in with the door's code, at the place", tag: "lectures", request: selfCheckInRequest{}},
		"POST /api/v1/lectures/{id}/feedback":      {summary: "Rate an attended lecture (1–5) with a comment, once", tag: "lectures", request: feedbackRequest{}},
	})
}
