package web

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid"
)

// Inbox is what the inbox page needs from the notification service
// (notify.Service has it); it asks Authorize, so a person only ever sees
// and marks their own messages.
type Inbox interface {
	Inbox(ctx context.Context, actor civicgrid.Actor, unreadOnly bool, before int64, limit int) ([]civicgrid.Notification, error)
	Unread(ctx context.Context, actor civicgrid.Actor) (int, error)
	MarkRead(ctx context.Context, actor civicgrid.Actor, id int64) error
	MarkAllRead(ctx context.Context, actor civicgrid.Actor) (int, error)
	Prefs(ctx context.Context, actor civicgrid.Actor) (civicgrid.NotificationPrefs, error)
	SetPrefs(ctx context.Context, actor civicgrid.Actor, p civicgrid.NotificationPrefs) error
	// SMSPerHour is the hourly SMS limit; 0 when no SMS is sent at all.
	SMSPerHour() int
	// PushKey is the VAPID public key browsers subscribe with; "" when
	// browser push is off.
	PushKey() string
}

// inboxView is the inbox page.
type inboxView struct {
	Items      []inboxItem
	Unread     int
	Older      string // the link to the next page, "" on the last
	SMSPerHour int
	SMSOn      bool
	Lang       string
	Langs      []langLink
	CSRF       string
	PushKey    string // browser push: the key to subscribe with, "" when off
}

type inboxItem struct {
	civicgrid.Notification
	SMSNote string // how the SMS went, when it says something to the reader
}

// inboxPage is how many messages the page shows at a time.
const inboxPage = 30

func (ui *UI) registerInbox(mux *http.ServeMux) {
	if ui.cfg.Inbox == nil {
		return
	}
	mux.HandleFunc("GET /inbox", ui.handleInbox)
	mux.HandleFunc("POST /inbox/read", ui.handleInboxRead)
	mux.HandleFunc("POST /inbox/settings", ui.handleInboxSettings)
	mux.HandleFunc("GET /sw.js", ui.handleServiceWorker)
}

// handleServiceWorker serves the service worker that shows pushed
// messages. It is served from the root, not /static/, so that its scope
// is the whole site, and never cached for long, so a new one is taken up.
func (ui *UI) handleServiceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(ui.static, "sw.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// unreadCount is the header's count; a failure shows no count rather than
// failing the page.
func (ui *UI) unreadCount(r *http.Request, a civicgrid.Actor) int {
	n, err := ui.cfg.Inbox.Unread(r.Context(), a)
	if err != nil {
		slog.Warn("unread notifications", "err", err)
	}
	return n
}

// handleInbox serves /inbox: the person's messages, newest first, unread
// ones marked, with the settings below. ?before=ID pages back.
func (ui *UI) handleInbox(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	ctx := r.Context()
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ns, err := ui.cfg.Inbox.Inbox(ctx, actor, false, max(before, 0), inboxPage+1)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	prefs, err := ui.cfg.Inbox.Prefs(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v := &inboxView{SMSPerHour: ui.cfg.Inbox.SMSPerHour(), SMSOn: !prefs.SMSOff, Lang: prefs.Lang, CSRF: actor.CSRFToken,
		PushKey: ui.cfg.Inbox.PushKey()}
	if v.Lang == "" {
		v.Lang = p.Lang
	}
	for _, l := range p.LangNav {
		v.Langs = append(v.Langs, langLink{Lang: l.Lang, Label: l.Label, Current: l.Lang == v.Lang})
	}
	if len(ns) > inboxPage {
		ns = ns[:inboxPage]
		v.Older = "/inbox?before=" + strconv.FormatInt(ns[len(ns)-1].ID, 10)
	}
	for _, n := range ns {
		it := inboxItem{Notification: n}
		if key := "inbox.sms." + string(n.SMS); p.catalogue[key] != "" {
			it.SMSNote = p.catalogue[key]
		}
		v.Items = append(v.Items, it)
	}
	v.Unread = ui.unreadCount(r, actor)
	p.Inbox = v
	p.Title = p.catalogue["inbox.title"]
	switch q := r.URL.Query(); {
	case q.Get("failed") != "":
		if d := q.Get("detail"); len(d) <= 300 {
			p.FlashError, _ = p.T("inbox.failed", "detail", d)
		}
	case q.Get("done") == "read":
		p.Flash = p.catalogue["inbox.marked"]
	case q.Get("done") == "settings":
		p.Flash = p.catalogue["inbox.saved"]
	}
	ui.render(w, http.StatusOK, "inbox", p)
}

// handleInboxRead marks one message (id) or all read, then goes back to
// the message's case (open) or to the inbox.
func (ui *UI) handleInboxRead(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	var err error
	if id, _ := strconv.ParseInt(r.PostForm.Get("id"), 10, 64); id > 0 {
		err = ui.cfg.Inbox.MarkRead(r.Context(), actor, id)
	} else {
		_, err = ui.cfg.Inbox.MarkAllRead(r.Context(), actor)
	}
	if err == nil && r.PostForm.Get("open") != "" {
		http.Redirect(w, r, localPath(r.PostForm.Get("open")), http.StatusSeeOther)
		return
	}
	ui.backToInbox(w, r, "read", err)
}

// handleInboxSettings stores the SMS choice and the language of messages.
func (ui *UI) handleInboxSettings(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	// The form does not show the pause of browser push: keep it as it is.
	prefs, err := ui.cfg.Inbox.Prefs(r.Context(), actor)
	if err == nil {
		prefs.SMSOff, prefs.Lang = r.PostForm.Get("sms") != "on", r.PostForm.Get("lang")
		err = ui.cfg.Inbox.SetPrefs(r.Context(), actor, prefs)
	}
	ui.backToInbox(w, r, "settings", err)
}

// inboxForm reads an inbox form of a logged-in person (its CSRF token was
// checked before the handler ran).
func inboxForm(w http.ResponseWriter, r *http.Request) (civicgrid.Actor, bool) {
	return formOf(w, r, 8<<10)
}

// formOf parses a logged-in person's form of at most limit bytes.
func formOf(w http.ResponseWriter, r *http.Request, limit int64) (civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return actor, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return actor, false
	}
	return actor, true
}

func (ui *UI) backToInbox(w http.ResponseWriter, r *http.Request, done string, err error) {
	backTo(w, r, "/inbox", done, err)
}

// handleManifest serves the web app manifest, so a phone can put the site
// on its home screen. The icons are favicon.svg and PNG renderings of it
// (icon-192.png, icon-512.png), which home screens that want bitmaps need.
func (ui *UI) handleManifest(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(w, r)
	c := ui.cats[lang]
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose,omitempty"`
	}
	m := struct {
		Name            string `json:"name"`
		ShortName       string `json:"short_name"`
		Lang            string `json:"lang"`
		StartURL        string `json:"start_url"`
		Scope           string `json:"scope"`
		Display         string `json:"display"`
		ThemeColor      string `json:"theme_color"`
		BackgroundColor string `json:"background_color"`
		Icons           []icon `json:"icons"`
	}{c["site.name"], c["site.short_name"], lang, "/", "/", "standalone", "#0b4a8b", "#ffffff", []icon{
		{ui.assetURL("favicon.svg"), "any", "image/svg+xml", "any"},
		{ui.assetURL("icon-192.png"), "192x192", "image/png", "any"},
		{ui.assetURL("icon-512.png"), "512x512", "image/png", "any"},
	}}
	b, err := json.Marshal(m)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Cookie, Accept-Language")
	w.Write(b)
}
