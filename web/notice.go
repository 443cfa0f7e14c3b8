package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/photo"
)

// Notices is what the notice pages need (notices.Service has it); it asks
// Authorize for every step.
type Notices interface {
	List(ctx context.Context, actor civicgrid.Actor, expired bool) ([]notices.View, error)
	Unread(ctx context.Context, actor civicgrid.Actor) (int, error)
	Get(ctx context.Context, actor civicgrid.Actor, id int64) (notices.View, error)
	Read(ctx context.Context, actor civicgrid.Actor, id int64, confirm bool) (notices.View, error)
	Post(ctx context.Context, actor civicgrid.Actor, in civicgrid.NoticeInput, files ...notices.DocumentFile) (notices.View, error)
	Remind(ctx context.Context, actor civicgrid.Actor, id int64) (notices.View, error)
	Withdraw(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (notices.View, error)
	FollowUp(ctx context.Context, actor civicgrid.Actor, id int64, within string, after civicgrid.UnreachedCursor) (notices.FollowUp, error)
	Readers(ctx context.Context, actor civicgrid.Actor, id int64, within string, after civicgrid.UnreachedCursor) (notices.FollowUp, error)
	Followable(ctx context.Context, actor civicgrid.Actor) ([]notices.FollowUp, error)
	Robots(ctx context.Context, actor civicgrid.Actor, within string) ([]civicgrid.NoticeRobot, error)
	AddRobot(ctx context.Context, actor civicgrid.Actor, in civicgrid.RobotInput) (civicgrid.NoticeRobot, error)
	StopRobot(ctx context.Context, actor civicgrid.Actor, id int64) error
}

// noticeView is what the notice pages show.
type noticeView struct {
	View       string // list, notice, compose, followable, follow_up, robots
	List       []notices.View
	Notice     *notices.View
	AreaName   string
	FollowUp   *notices.FollowUp
	Followable []notices.FollowUp
	Robots     []civicgrid.NoticeRobot
	Scopes     []scopeOption    // where the reader may post, or connect robots
	Teams      []civicgrid.Team // volunteer teams of the reader's areas (compose)
	Within     string
	CanPost    bool
	CanFollow  bool
	CanRobots  bool
	Audiences  []string
	NextURL    string
	CSRF       string
	// Prefill is a draft made from an early-warning alert (?alert=ID):
	// the staff member reads, edits and posts it, or not.
	Prefill *noticePrefill
	Names   map[string]string // area names of the follow-up list
}

func (ui *UI) registerNotices(mux *http.ServeMux) {
	if ui.cfg.Notices == nil {
		return
	}
	mux.HandleFunc("GET /announcements", ui.handleNoticeList)
	mux.HandleFunc("GET /announcements/new", ui.handleNoticeCompose)
	mux.HandleFunc("POST /announcements", ui.handleNoticePost)
	mux.HandleFunc("GET /announcements/follow-up", ui.handleFollowable)
	mux.HandleFunc("GET /announcements/robots", ui.handleRobotsPage)
	mux.HandleFunc("POST /announcements/robots", ui.handleRobotForm)
	mux.HandleFunc("POST /announcements/robots/{id}/stop", ui.handleRobotStop)
	mux.HandleFunc("GET /announcements/{id}", ui.handleNoticePage)
	mux.HandleFunc("GET /announcements/{id}/follow-up", ui.handleFollowUpPage)
	mux.HandleFunc("POST /announcements/{id}/confirm", ui.noticeStep("confirmed", func(ctx context.Context, a civicgrid.Actor, id int64) error {
		_, err := ui.cfg.Notices.Read(ctx, a, id, true)
		return err
	}))
	mux.HandleFunc("POST /announcements/{id}/remind", ui.noticeStep("reminded", func(ctx context.Context, a civicgrid.Actor, id int64) error {
		_, err := ui.cfg.Notices.Remind(ctx, a, id)
		return err
	}))
	mux.HandleFunc("POST /announcements/{id}/withdraw", ui.handleNoticeWithdraw)
}

// mayIn lists the reader's own areas where the action is allowed.
func mayIn(actor civicgrid.Actor, action civicgrid.Action) []string {
	var out []string
	for _, g := range actor.Grants {
		if !slices.Contains(out, g.AreaCode) && civicgrid.Authorize(actor, action, civicgrid.In(g.AreaCode)) == nil {
			out = append(out, g.AreaCode)
		}
	}
	return out
}

func (ui *UI) noticePage(w http.ResponseWriter, r *http.Request, view, title string) (*page, civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return nil, actor, false
	}
	p := ui.newPage(w, r)
	p.Notices = &noticeView{View: view, CSRF: actor.CSRFToken,
		CanPost:   len(mayIn(actor, civicgrid.ActionPostNotice)) > 0,
		CanFollow: len(mayIn(actor, civicgrid.ActionFollowUpNotice)) > 0,
		CanRobots: len(mayIn(actor, civicgrid.ActionManageRobots)) > 0,
		Audiences: []string{civicgrid.AudienceAll, civicgrid.AudienceResidents, civicgrid.AudienceBuildingHeads, civicgrid.AudienceGridWorkers, civicgrid.AudienceVolunteers}}
	p.Title = p.catalogue[title]
	if !p.failedFlash(r.URL.Query(), "ntc.failed_") {
		if done := r.URL.Query().Get("done"); done != "" {
			p.Flash = p.catalogue["ntc.done_"+done]
		}
	}
	return p, actor, true
}

func (ui *UI) noticeFailed(w http.ResponseWriter, r *http.Request, p *page, err error) {
	switch civicgrid.ErrorCode(err) {
	case civicgrid.ENOTFOUND:
		p.Title = p.catalogue["ntc.not_found"]
		p.Message = p.catalogue["ntc.not_found"]
		ui.render(w, http.StatusNotFound, "find", p)
	case civicgrid.EFORBIDDEN:
		p.Title = p.catalogue["ntc.forbidden"]
		p.Message = civicgrid.ErrorMessage(err)
		ui.render(w, http.StatusForbidden, "find", p)
	default:
		ui.renderError(w, r, p, err)
	}
}

// handleNoticeList serves /announcements: the notices in force the reader
// may read, pinned first, unread ones marked; new ones arrive live.
func (ui *UI) handleNoticeList(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "list", "ntc.title")
	if !ok {
		return
	}
	vs, err := ui.cfg.Notices.List(r.Context(), actor, false)
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	p.Notices.List = vs
	ui.render(w, http.StatusOK, "notices", p)
}

// handleNoticePage serves /announcements/{id}: the notice, read on
// opening (the reader's receipt), with the confirm button when it asks for
// one; staff over its scope see its counts and may re-remind the unread.
func (ui *UI) handleNoticePage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "notice", "ntc.title")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		ui.noticeFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no notice"))
		return
	}
	v, err := ui.cfg.Notices.Get(r.Context(), actor, id)
	if err == nil && !v.Read && v.ForMe && !v.Withdrawn && actor.Via == "session" && actor.UserID != 0 {
		// Opening the notice is reading it: the receipt is the person's own
		// and written once.
		if rv, rerr := ui.cfg.Notices.Read(r.Context(), actor, id, false); rerr == nil {
			v.Read, v.ReadAt = true, rv.ReadAt
		} else {
			slog.Warn("notice receipt", "id", id, "err", rerr)
		}
	}
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	p.Notices.Notice = &v
	p.Notices.AreaName = ui.areaNames(r)(v.Scope)
	p.Title = v.Title
	ui.render(w, http.StatusOK, "notices", p)
}

// handleNoticeCompose serves /announcements/new: staff write a notice to
// one of their areas, or to an area within one by its code.
func (ui *UI) handleNoticeCompose(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "compose", "ntc.compose_title")
	if !ok {
		return
	}
	names := ui.areaNames(r)
	for _, c := range mayIn(actor, civicgrid.ActionPostNotice) {
		p.Notices.Scopes = append(p.Notices.Scopes, scopeOption{c, names(c)})
	}
	if len(p.Notices.Scopes) == 0 {
		ui.noticeFailed(w, r, p, civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: only community, street and district staff post notices", civicgrid.ActionPostNotice))
		return
	}
	// A team of one's areas as the audience (the volunteer service's
	// teams; the notices service checks the team again when posting).
	if ui.cfg.Volunteer != nil {
		seen := map[int64]bool{}
		for _, sc := range p.Notices.Scopes {
			ts, err := ui.cfg.Volunteer.Teams(r.Context(), actor, sc.Code)
			if err != nil {
				ui.noticeFailed(w, r, p, err)
				return
			}
			for _, t := range ts {
				if !seen[t.ID] {
					seen[t.ID] = true
					p.Notices.Teams = append(p.Notices.Teams, t)
				}
			}
		}
	}
	// Photos are uploaded as the case pages' are (upload.js: scaled down,
	// sent to /api/v1/photos, kept as hidden "photos" fields).
	p.Config = &jsConfig{Lang: p.Lang, Messages: p.messages("upload."), CSRF: actor.CSRFToken}
	if id, err := strconv.ParseInt(r.URL.Query().Get("alert"), 10, 64); err == nil && id > 0 && ui.cfg.Warning != nil {
		a, err := ui.cfg.Warning.Get(r.Context(), actor, id)
		if err != nil {
			ui.noticeFailed(w, r, p, err)
			return
		}
		p.Notices.Prefill = ui.alertNotice(r.Context(), p, a)
	}
	ui.render(w, http.StatusOK, "notices", p)
}

// noticePrefill is a notice drafted from an alert.
type noticePrefill struct {
	Alert            int64
	Scope            string
	Title, Body      string
	Audience, Expire string
}

// alertNotice drafts a reminder to the residents of an alert's grid (a
// cluster's community) in the reader's language: what rose and a plea to
// take care and report; no case or person is named. It expires in a week.
func (ui *UI) alertNotice(ctx context.Context, p *page, a civicgrid.Alert) *noticePrefill {
	cat := a.Category
	if byCode, _, _ := ui.categories(ctx); byCode != nil {
		if c, ok := byCode[a.Category]; ok {
			cat = p.catName(c)
		}
	}
	scope := a.Grid
	if a.Kind == civicgrid.AlertCluster && len(scope) >= 12 {
		scope = scope[:12]
	}
	title, _ := p.T("ntc.alert_title", "category", cat)
	body, _ := p.T("ntc.alert_body", "area", ui.areaName(ctx, scope), "days", a.WindowDays, "category", cat, "n", a.Observed,
		"expected", fmt.Sprintf("%.1f", a.Expected))
	return &noticePrefill{Alert: a.ID, Scope: scope, Title: title, Body: body, Audience: civicgrid.AudienceResidents,
		Expire: ui.now().In(ui.location()).AddDate(0, 0, 7).Format(time.DateOnly)}
}

// noticeForm parses a form of up to 32 kB (a notice's text).
func noticeForm(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, bool) {
	return formOf(w, r, 32<<10)
}

// composeBody bounds the compose form: its text and up to four PDF files of
// 10 MiB each.
const composeBody = civicgrid.MaxNoticeDocuments*photo.MaxDocumentBytes + 256<<10

// composeForm parses the compose form, sent as multipart/form-data (it
// carries PDF files) — the CSRF check parsed it already when the token
// came as a field — or as a plain form.
func composeForm(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, []notices.DocumentFile, error, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		actor, ok := noticeForm(w, r)
		return actor, nil, nil, ok
	}
	actor, ok := requireLogin(w, r)
	if !ok {
		return actor, nil, nil, false
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, composeBody)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return actor, nil, civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: at most %d files of %d MiB", civicgrid.MaxNoticeDocuments, photo.MaxDocumentBytes>>20), true
			}
			http.Error(w, "bad form", http.StatusBadRequest)
			return actor, nil, nil, false
		}
	}
	var files []notices.DocumentFile
	for _, fh := range r.MultipartForm.File["documents"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the file field left empty
		}
		if fh.Size > photo.MaxDocumentBytes {
			return actor, nil, civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: %s: at most %d MiB", civicgrid.CleanDocumentName(fh.Filename), photo.MaxDocumentBytes>>20), true
		}
		src, err := fh.Open()
		if err != nil {
			return actor, nil, err, true
		}
		data, err := io.ReadAll(io.LimitReader(src, photo.MaxDocumentBytes+1))
		src.Close()
		if err != nil {
			return actor, nil, err, true
		}
		files = append(files, notices.DocumentFile{Name: fh.Filename, Data: data})
	}
	return actor, files, nil, true
}

func (ui *UI) handleNoticePost(w http.ResponseWriter, r *http.Request) {
	actor, files, err, ok := composeForm(w, r)
	if !ok {
		return
	}
	if err != nil {
		backTo(w, r, "/announcements/new", "", err)
		return
	}
	f := r.PostForm
	scope := strings.TrimSpace(f.Get("scope_code"))
	if scope == "" {
		scope = f.Get("scope")
	}
	in := civicgrid.NoticeInput{Scope: scope, Audience: f.Get("audience"), Title: f.Get("title"), Body: f.Get("body"),
		Priority: f.Get("priority"), Pinned: f.Get("pinned") == "1", NeedConfirm: f.Get("need_confirm") == "1"}
	if t := f.Get("team_id"); t != "" {
		// Choosing a team makes the notice the team's.
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil || id <= 0 {
			backTo(w, r, "/announcements/new", "", civicgrid.Errorf(civicgrid.EINVALID, "team_id: a team's id"))
			return
		}
		in.Audience, in.TeamID = civicgrid.AudienceTeam, id
	}
	for _, ref := range f["photos"] {
		if ref = strings.TrimSpace(ref); ref != "" {
			in.Attachments = append(in.Attachments, ref)
		}
	}
	if d := f.Get("expires"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, ui.location())
		if err != nil {
			backTo(w, r, "/announcements/new", "", civicgrid.Errorf(civicgrid.EINVALID, "the expiry is not a date"))
			return
		}
		in.ExpiresAt = t.AddDate(0, 0, 1) // in force through the day chosen
	}
	v, err := ui.cfg.Notices.Post(r.Context(), actor, in, files...)
	if err != nil {
		backTo(w, r, "/announcements/new", "", err)
		return
	}
	backTo(w, r, "/announcements/"+strconv.FormatInt(v.ID, 10), "posted", nil)
}

// noticeStep runs a step on a notice from a form and goes back to its page.
func (ui *UI) noticeStep(done string, step func(context.Context, civicgrid.Actor, int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := cogovForm(w, r)
		if !ok {
			return
		}
		backTo(w, r, "/announcements/"+strconv.FormatInt(id, 10), done, step(r.Context(), actor, id))
	}
}

// handleNoticeWithdraw withdraws a notice with the reason given and goes
// back to its page, which says so.
func (ui *UI) handleNoticeWithdraw(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	_, err := ui.cfg.Notices.Withdraw(r.Context(), actor, id, r.PostForm.Get("reason"))
	backTo(w, r, "/announcements/"+strconv.FormatInt(id, 10), "withdrawn", err)
}

// handleFollowable serves /announcements/follow-up: the notices a building
// head, grid worker or staff member follows up, with their counts there.
func (ui *UI) handleFollowable(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "followable", "ntc.follow_title")
	if !ok {
		return
	}
	fs, err := ui.cfg.Notices.Followable(r.Context(), actor)
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	p.Notices.Followable = fs
	ui.render(w, http.StatusOK, "notices", p)
}

// handleFollowUpPage serves /announcements/{id}/follow-up[?within=&after=]:
// who of the reader's buildings or grid has not read or confirmed (masked).
func (ui *UI) handleFollowUpPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "follow_up", "ntc.follow_title")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		ui.noticeFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no notice"))
		return
	}
	q := r.URL.Query()
	after, err := civicgrid.ParseUnreachedCursor(q.Get("after"))
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	list := ui.cfg.Notices.FollowUp
	if q.Get("show") == "read" {
		list = ui.cfg.Notices.Readers // who read it, when
	}
	f, err := list(r.Context(), actor, id, q.Get("within"), after)
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	p.Notices.FollowUp = &f
	names := ui.areaNames(r)
	p.Notices.AreaName = names(f.Within)
	p.Notices.Names = map[string]string{}
	for _, x := range f.People {
		if _, ok := p.Notices.Names[x.AreaCode]; !ok {
			p.Notices.Names[x.AreaCode] = names(x.AreaCode)
		}
	}
	if f.Next != "" {
		v := url.Values{"within": {f.Within}, "after": {f.Next}}
		if f.Readers {
			v.Set("show", "read")
		}
		p.Notices.NextURL = "/announcements/" + strconv.FormatInt(id, 10) + "/follow-up?" + v.Encode()
	}
	ui.render(w, http.StatusOK, "notices", p)
}

// handleRobotsPage serves /announcements/robots[?within=CODE]: an area's
// work-group robots, connect one, stop one.
func (ui *UI) handleRobotsPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.noticePage(w, r, "robots", "ntc.robots_title")
	if !ok {
		return
	}
	names := ui.areaNames(r)
	mine := mayIn(actor, civicgrid.ActionManageRobots)
	for _, c := range mine {
		p.Notices.Scopes = append(p.Notices.Scopes, scopeOption{c, names(c)})
	}
	within := r.URL.Query().Get("within")
	if within == "" && len(mine) > 0 {
		within = mine[0]
	}
	p.Notices.Within = within
	rs, err := ui.cfg.Notices.Robots(r.Context(), actor, within)
	if err != nil {
		ui.noticeFailed(w, r, p, err)
		return
	}
	p.Notices.Robots = rs
	ui.render(w, http.StatusOK, "notices", p)
}

func (ui *UI) handleRobotForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := noticeForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := civicgrid.RobotInput{AreaCode: f.Get("area_code"), Name: f.Get("name"), Kind: f.Get("kind"), URL: f.Get("url"),
		Markdown: f.Get("markdown") == "1", Secret: f.Get("secret"),
		NewCases: f.Get("new_cases") == "1", OverdueCases: f.Get("overdue_cases") == "1", VolunteerRequests: f.Get("volunteer_requests") == "1"}
	_, err := ui.cfg.Notices.AddRobot(r.Context(), actor, in)
	backTo(w, r, "/announcements/robots?within="+url.QueryEscape(in.AreaCode), "robot_added", err)
}

func (ui *UI) handleRobotStop(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	backTo(w, r, "/announcements/robots?within="+url.QueryEscape(r.PostForm.Get("within")), "robot_stopped", ui.cfg.Notices.StopRobot(r.Context(), actor, id))
}

// noticeUnread is the header's count of unread notices; a failure shows
// no count rather than failing the page.
func (ui *UI) noticeUnread(r *http.Request, a civicgrid.Actor) int {
	n, err := ui.cfg.Notices.Unread(r.Context(), a)
	if err != nil {
		slog.Warn("unread notices", "err", err)
	}
	return n
}
