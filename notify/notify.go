// Package notify tells people what happened: it walks event logs by a
// cursor (the case event log today), writes each message once into the
// recipient's inbox, in their language, and sends it by SMS unless they
// opted out or already had their hourly share.
//
// Other modules add their own Source: a named cursor over their log and a
// function that turns a stretch of it into Drafts. The service does the
// rest (language, inbox, SMS, the limit, read marks and access).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Store is what the service needs from storage.
type Store interface {
	civicgrid.NotificationStore
	civicgrid.CaseEventLog
	UserByID(ctx context.Context, id int64) (civicgrid.User, error)
	ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error)
}

// Texts gives the words of messages in a language (the web UI's catalogue).
type Texts interface {
	Text(lang, key string, args ...any) (string, error)
}

// SMSSender sends one text message (package sms has the gateway).
type SMSSender interface {
	Send(ctx context.Context, phone, message string) error
}

// PushSender sends browser push messages (package webpush has it).
type PushSender interface {
	// PublicKey is the VAPID public key browsers subscribe with.
	PublicKey() string
	// CheckEndpoint judges a subscription's endpoint before it is stored.
	CheckEndpoint(ctx context.Context, endpoint string) error
	// Push sends payload to one browser; ErrGone-like errors are
	// recognised by IsGone.
	Push(ctx context.Context, sub civicgrid.PushSubscription, payload []byte) error
	// IsGone reports an error saying the subscription no longer exists.
	IsGone(err error) bool
}

// Config tunes the service.
type Config struct {
	Texts Texts
	// SMS sends text messages; nil keeps every message in the inbox only.
	SMS SMSSender
	// Push sends browser push messages; nil turns browser push off.
	Push PushSender
	// SMSPerHour is how many text messages one person gets in any hour
	// (default 5); the rest stay in the inbox only.
	SMSPerHour int
	// SMSAttempts is how often a failing message is tried (default 3).
	SMSAttempts int
	// BaseURL, e.g. https://grid.example.gov.cn, makes the links in text
	// messages absolute; without it a text message carries no link.
	BaseURL string
	// Poll is how often the logs are read for events of other instances
	// (default 2 s); this instance's events nudge at once.
	Poll time.Duration
	Log  *slog.Logger
}

func (c *Config) defaults() {
	if c.SMSPerHour <= 0 {
		c.SMSPerHour = 5
	}
	if c.SMSAttempts <= 0 {
		c.SMSAttempts = 3
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

// Draft is a message before it is written in its recipient's language.
type Draft struct {
	UserID int64
	// Kind names the message: its title and body are the catalogue's
	// "notify.<kind>.title" and "notify.<kind>.body".
	Kind string
	// Source is what it came from, unique with the recipient (so the same
	// stretch read twice makes nothing twice), e.g. "case_event:812".
	Source string
	Link   string
	// Args fill the placeholders of the texts (name, value, …); a value
	// that is a catalogue key prefixed with "@" is translated first.
	Args []string
}

// Source is one event log that makes messages.
type Source struct {
	// Name names the cursor (unique among sources).
	Name string
	// Read turns up to limit log entries after cursor into drafts and
	// returns the cursor after the last entry read (cursor when none).
	Read func(ctx context.Context, cursor int64, limit int) (drafts []Draft, to int64, err error)
}

// Service makes, sends and shows notifications.
type Service struct {
	cfg     Config
	store   Store
	now     func() time.Time
	wake    chan struct{}
	mu      sync.Mutex
	sources []Source
}

// New returns a service reading the case event log; now may be nil
// (time.Now).
func New(cfg Config, store Store, now func() time.Time) *Service {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	s := &Service{cfg: cfg, store: store, now: now, wake: make(chan struct{}, 1)}
	s.AddSource(caseSource(store))
	return s
}

// AddSource adds a log to walk.
func (s *Service) AddSource(src Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, src)
}

// Nudge wakes the loop (an event was stored); it never blocks.
func (s *Service) Nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// batch is how many log entries one stretch reads.
const batch = 500

// Produce walks every source from its cursor to the end of its log and
// stores the messages; it returns how many it wrote (or tried to: one
// already stored is skipped by the store).
func (s *Service) Produce(ctx context.Context) (int, error) {
	s.mu.Lock()
	sources := slices.Clone(s.sources)
	s.mu.Unlock()
	total := 0
	for _, src := range sources {
		for {
			from, err := s.store.NotificationCursor(ctx, src.Name)
			if err != nil {
				return total, err
			}
			drafts, to, err := src.Read(ctx, from, batch)
			if err != nil || to <= from {
				if err != nil {
					return total, fmt.Errorf("notify %s: %w", src.Name, err)
				}
				break
			}
			ns, err := s.write(ctx, drafts)
			if err != nil {
				return total, err
			}
			moved, err := s.store.AddNotifications(ctx, src.Name, from, to, ns)
			if err != nil {
				return total, err
			}
			if moved {
				total += len(ns)
				continue
			}
			// Another instance took the stretch: go on from where it left
			// the cursor (which must have moved, or nothing would end).
			if at, err := s.store.NotificationCursor(ctx, src.Name); err != nil || at == from {
				if err == nil {
					err = fmt.Errorf("notify %s: the cursor at %d did not move", src.Name, from)
				}
				return total, err
			}
		}
	}
	return total, nil
}

// write puts drafts into their recipients' languages.
func (s *Service) write(ctx context.Context, drafts []Draft) ([]civicgrid.Notification, error) {
	if len(drafts) == 0 {
		return nil, nil
	}
	var ids []int64
	for _, d := range drafts {
		if !slices.Contains(ids, d.UserID) {
			ids = append(ids, d.UserID)
		}
	}
	langs, err := s.store.NotificationLangs(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sms := civicgrid.SMSNone
	if s.cfg.SMS != nil {
		sms = civicgrid.SMSPending
	}
	push := s.cfg.Push != nil
	out := make([]civicgrid.Notification, 0, len(drafts))
	for _, d := range drafts {
		lang := langs[d.UserID]
		if lang == "" {
			lang = DefaultLang
		}
		args := make([]any, len(d.Args))
		for i, a := range d.Args {
			args[i] = a
			if key, ok := strings.CutPrefix(a, "@"); ok && i%2 == 1 {
				args[i], _ = s.cfg.Texts.Text(lang, key) // an unknown key says nothing rather than show itself
			}
		}
		title, err := s.cfg.Texts.Text(lang, "notify."+d.Kind+".title", args...)
		if err != nil {
			return nil, err
		}
		body, err := s.cfg.Texts.Text(lang, "notify."+d.Kind+".body", args...)
		if err != nil {
			return nil, err
		}
		out = append(out, civicgrid.Notification{UserID: d.UserID, Kind: d.Kind, Source: d.Source, Title: title, Body: body,
			Link: d.Link, CreatedAt: now, SMS: sms, PushPending: push})
	}
	return out, nil
}

// DefaultLang is the language of people who chose none.
const DefaultLang = "zh-CN"

// Run makes and sends messages until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for {
		if _, err := s.Produce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("notifications: read the event log", "error", err)
		}
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("notifications: send text messages", "error", err)
		}
		if _, err := s.PushDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("notifications: push to browsers", "error", err)
		}
		t := time.NewTimer(s.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// smsLease is how long a claimed text message is kept from other senders.
const smsLease = time.Minute

// SendDue sends the due text messages; it returns how many the gateway took.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	if s.cfg.SMS == nil {
		return 0, nil
	}
	sent := 0
	for {
		now := s.now()
		due, err := s.store.ClaimSMS(ctx, now, now.Add(smsLease), s.cfg.SMSPerHour, 64)
		if err != nil || len(due) == 0 {
			return sent, err
		}
		for _, m := range due {
			ok, err := s.sendOne(ctx, m)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
}

// sendOne sends a claimed message and records the outcome. Phone numbers
// stay out of the log: it names the notification only.
func (s *Service) sendOne(ctx context.Context, m civicgrid.OutgoingSMS) (bool, error) {
	u, err := s.store.UserByID(ctx, m.UserID)
	if err != nil {
		return false, err
	}
	at := s.now()
	attempts := m.Attempts + 1
	if u.Phone == "" {
		return false, s.store.RecordSMS(ctx, m.ID, civicgrid.SMSNone, m.Attempts, 0, at, at)
	}
	text := s.smsText(m.Notification)
	err = s.cfg.SMS.Send(ctx, u.Phone, text)
	switch {
	case err == nil:
		return true, s.store.RecordSMS(ctx, m.ID, civicgrid.SMSSent, attempts, civicgrid.SMSSegments(text), at, at)
	case attempts >= s.cfg.SMSAttempts:
		s.cfg.Log.Warn("notification SMS failed for good", "notification", m.ID, "attempts", attempts, "error", err)
		return false, s.store.RecordSMS(ctx, m.ID, civicgrid.SMSFailed, attempts, 0, at, at)
	default:
		s.cfg.Log.Warn("notification SMS failed, will retry", "notification", m.ID, "attempts", attempts, "error", err)
		return false, s.store.RecordSMS(ctx, m.ID, civicgrid.SMSPending, attempts, 0, at, at.Add(time.Duration(attempts)*time.Minute))
	}
}

// SMSCost is what the text messages of the notifications of these sources
// cost: how many were sent, and the billed messages they took. A plain
// read for the module whose messages they are (notices asks it of an
// urgent notice's and its reminders' messages); no access decision.
func (s *Service) SMSCost(ctx context.Context, sources []string) (civicgrid.SMSCost, error) {
	return s.store.SMSCost(ctx, sources)
}

// smsText is the message as a text: title, body and, with a base URL, the
// link.
func (s *Service) smsText(n civicgrid.Notification) string {
	t := n.Title + "：" + n.Body
	if s.cfg.BaseURL != "" && n.Link != "" {
		t += " " + s.cfg.BaseURL + n.Link
	}
	return t
}

// Inbox lists the actor's own notifications, newest first.
func (s *Service) Inbox(ctx context.Context, actor civicgrid.Actor, unreadOnly bool, before int64, limit int) ([]civicgrid.Notification, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadNotifications, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.Notifications(ctx, civicgrid.NotificationFilter{UserID: actor.UserID, UnreadOnly: unreadOnly, Before: before, Limit: limit})
}

// Unread counts the actor's unread notifications.
func (s *Service) Unread(ctx context.Context, actor civicgrid.Actor) (int, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadNotifications, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return 0, err
	}
	return s.store.UnreadNotifications(ctx, actor.UserID)
}

// MarkRead marks one of the actor's notifications read. Someone else's is
// "not found", so ids reveal nothing.
func (s *Service) MarkRead(ctx context.Context, actor civicgrid.Actor, id int64) error {
	n, err := s.store.Notification(ctx, id)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionMarkNotifications, n.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no notification %d", id)
		}
		return err
	}
	_, err = s.store.MarkNotificationsRead(ctx, actor.UserID, []int64{id}, s.now())
	return err
}

// MarkAllRead marks every unread notification of the actor read and
// returns how many.
func (s *Service) MarkAllRead(ctx context.Context, actor civicgrid.Actor) (int, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionMarkNotifications, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return 0, err
	}
	return s.store.MarkNotificationsRead(ctx, actor.UserID, nil, s.now())
}

// Prefs returns the actor's choices.
func (s *Service) Prefs(ctx context.Context, actor civicgrid.Actor) (civicgrid.NotificationPrefs, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadNotifications, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return civicgrid.NotificationPrefs{}, err
	}
	return s.store.NotificationPrefs(ctx, actor.UserID)
}

// Languages are those messages can be written in.
var Languages = []string{"zh-CN", "en"}

// SetPrefs stores the actor's choices.
func (s *Service) SetPrefs(ctx context.Context, actor civicgrid.Actor, p civicgrid.NotificationPrefs) error {
	if err := civicgrid.Authorize(actor, civicgrid.ActionNotificationSettings, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return err
	}
	if p.Lang != "" && !slices.Contains(Languages, p.Lang) {
		return civicgrid.Errorf(civicgrid.EINVALID, "lang: %q is not one of %s", p.Lang, strings.Join(Languages, ", "))
	}
	p.UserID = actor.UserID
	return s.store.SetNotificationPrefs(ctx, p)
}

// caseSource makes the messages of the case event log: residents hear of
// their report's registration, dispatch, handling and rejection; grid
// workers of a case dispatched to them and of one escalated in their grid.
// Nobody hears of their own step.
func caseSource(store Store) Source {
	return Source{Name: "cases", Read: func(ctx context.Context, cursor int64, limit int) ([]Draft, int64, error) {
		evs, err := store.EventsAfter(ctx, cursor, limit)
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []Draft
		workers := map[string][]int64{} // grid → its grid workers, read once per stretch
		for _, le := range evs {
			ev, c := le.Event, le.Case
			source := "case_event:" + strconv.FormatInt(ev.ID, 10)
			link := "/cases/" + strconv.FormatInt(c.ID, 10)
			id := strconv.FormatInt(c.ID, 10)
			add := func(user int64, kind string, args ...string) {
				if user == 0 || user == ev.ActorID {
					return
				}
				out = append(out, Draft{UserID: user, Kind: kind, Source: source, Link: link, Args: append([]string{"case", id}, args...)})
			}
			switch ev.Action {
			case civicgrid.CaseRegister:
				add(c.ReporterID, "case.registered")
			case civicgrid.CaseDispatch:
				add(c.ReporterID, "case.dispatched")
				assignee, _ := strconv.ParseInt(ev.Data["assignee_id"], 10, 64)
				add(assignee, "case.assigned")
			case civicgrid.CaseHandle, civicgrid.CaseSelfHandle:
				add(c.ReporterID, "case.handled")
			case civicgrid.CaseReject:
				add(c.ReporterID, "case.rejected", "reason", "@reason."+ev.Data["reason"])
			case civicgrid.CaseEscalate:
				ids, ok := workers[c.GridCode]
				if !ok {
					us, err := store.ListUsers(ctx, civicgrid.UserFilter{Within: []string{c.GridCode}, Role: civicgrid.RoleGridWorker, Limit: 100})
					if err != nil {
						return nil, cursor, err
					}
					for _, u := range us {
						ids = append(ids, u.ID)
					}
					workers[c.GridCode] = ids
				}
				for _, w := range ids {
					add(w, "case.escalated", "level", "@level."+ev.Data["level"])
				}
			}
		}
		return out, evs[len(evs)-1].Event.ID, nil
	}}
}

// SMSPerHour is the hourly limit of text messages per person, or 0 when
// the service sends none.
func (s *Service) SMSPerHour() int {
	if s.cfg.SMS == nil {
		return 0
	}
	return s.cfg.SMSPerHour
}
