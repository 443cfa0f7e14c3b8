// Package notices runs notices (通知公告): staff post a notice to an area
// within their own for an audience; its people read and, if asked,
// confirm it; building heads and grid workers see who of theirs has not,
// to follow up in person; staff re-remind the unread at most once per
// interval. Posting writes one row whatever the audience's size: receipts
// are written when people read, and unread counts are the audience's size
// minus its receipts. New notices are posted to the work groups (WeCom or
// DingTalk group robots) connected within their scope. Every decision on
// who may do what is civicgrid.Authorize's.
package notices

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/webhook"
)

// Config sets the service's rules.
type Config struct {
	// RemindInterval is the least time between two re-reminders of one
	// notice's unread (default 24 h).
	RemindInterval time.Duration
	// Key seals robots' signing secrets (at least 32 bytes, kept out of
	// the database: the webhook key).
	Key []byte
	// AllowPrivate lets robots reach loopback and private addresses: for
	// tests and demos only.
	AllowPrivate bool
	// Resolver checks a robot's host when it is connected (default
	// net.DefaultResolver).
	Resolver webhook.Resolver
	// MaxAttempts before a delivery to a group is given up (default 6);
	// Backoff is the wait after the first failure, doubling (default 30 s).
	MaxAttempts int
	Backoff     time.Duration
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// BaseURL makes the links posted to groups and texted absolute.
	BaseURL string
	// Photos tells whether an attached photo was uploaded (photo.Store);
	// nil accepts no attachments.
	Photos interface{ Has(ref string) bool }
	// Documents keeps the PDF files attached to notices (photo.Store);
	// nil accepts none.
	Documents Documents
	// CaseLog and Requests are the logs walked for the robots that chose
	// cases or requests for help (nil: those are never posted); AreaName
	// names an area in the posts (optional).
	CaseLog  civicgrid.CaseEventLog
	Requests civicgrid.HelpLog
	AreaName func(ctx context.Context, code string) string
	// Teams answers who a volunteer team's members are, for notices to a
	// team (nil: no notice may be posted to a team).
	Teams civicgrid.NoticeTeams
	// Audit records a withdrawal in the security log (optional).
	Audit func(ctx context.Context, ev civicgrid.SecurityEvent)
	// SMSCost tells what the text messages of these notification
	// sources cost (notify.Service has it; nil: not shown).
	SMSCost func(ctx context.Context, sources []string) (civicgrid.SMSCost, error)
	// FanoutLimit is the most people one urgent notice or reminder
	// messages through the inbox and SMS (default 20,000).
	FanoutLimit int
	Now         func() time.Time
	Log         *slog.Logger
}

// Documents is where notices' PDF files are kept (photo.Store: with the
// photos, by their content's hash).
type Documents interface {
	// SaveDocument checks a PDF by its content and stores it; a file
	// refused writes nothing.
	SaveDocument(r io.Reader) (photo.SavedDocument, error)
	// DocumentSize is a stored document's size (an error: never stored).
	DocumentSize(ref string) (int64, error)
}

// DocumentFile is a PDF file sent with a notice (the compose page's form):
// the name it was chosen under and its content.
type DocumentFile struct {
	Name string
	Data []byte
}

// Service is the notices module.
type Service struct {
	cfg    Config
	store  civicgrid.NoticeStore
	client *http.Client
	aead   cipher.AEAD
	wake   chan struct{}
	mu     sync.Mutex
	posted []func(civicgrid.Notice)
}

// OnPost registers fn to be told of each new notice (live streams,
// the notification sender's nudge).
func (s *Service) OnPost(fn func(civicgrid.Notice)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posted = append(s.posted, fn)
}

// New returns the service.
func New(cfg Config, store civicgrid.NoticeStore) (*Service, error) {
	if cfg.RemindInterval <= 0 {
		cfg.RemindInterval = 24 * time.Hour
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.FanoutLimit <= 0 {
		cfg.FanoutLimit = 20000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if len(cfg.Key) < 32 {
		return nil, errors.New("notices: the key must be at least 32 bytes")
	}
	m := hmac.New(sha256.New, cfg.Key)
	m.Write([]byte("civicgrid notice robot secret"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, store: store, client: webhook.OutboundClient(cfg.Timeout, cfg.AllowPrivate, nil), aead: aead,
		wake: make(chan struct{}, 1)}, nil
}

// Config returns the rules in force.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()) }

// ListLimit bounds a list of notices; PageSize a page of the follow-up list.
const (
	ListLimit = 100
	PageSize  = 100
)

// View is a notice as its reader sees it.
type View struct {
	civicgrid.Notice
	Read      bool      `json:"read"`
	Confirmed bool      `json:"confirmed"`
	ReadAt    time.Time `json:"read_at,omitzero"`
	Expired   bool      `json:"expired"`
	CanManage bool      `json:"can_manage"` // counts, re-remind
	// CanWithdraw: the reader may withdraw it (its sender, staff over it).
	CanWithdraw bool `json:"can_withdraw"`
	// ForMe: the reader is of the audience (counted; may confirm).
	ForMe  bool                    `json:"for_me"`
	Counts *civicgrid.NoticeCounts `json:"counts,omitempty"`
	// NextRemindAt is when staff may re-remind the unread again.
	NextRemindAt time.Time `json:"next_remind_at,omitzero"`
	// SMS is what the text messages of an urgent notice and its
	// reminders cost so far (staff over its scope and auditors; none when
	// no message was to be texted).
	SMS *civicgrid.SMSCost `json:"sms,omitempty"`
}

func (s *Service) view(actor civicgrid.Actor, teams map[int64]bool, n civicgrid.Notice, r civicgrid.NoticeReceipt, ok bool) View {
	v := View{Notice: n, Read: ok, ReadAt: r.ReadAt, Confirmed: !r.ConfirmedAt.IsZero(), Expired: n.Expired(s.now()), ForMe: addressed(actor, teams, n)}
	v.CanManage = !n.Withdrawn && civicgrid.Authorize(actor, civicgrid.ActionPostNotice, civicgrid.In(n.Scope)) == nil
	v.CanWithdraw = !n.Withdrawn && civicgrid.Authorize(actor, civicgrid.ActionWithdrawNotice, n.WithdrawObject()) == nil
	if v.CanManage && !n.RemindedAt.IsZero() {
		v.NextRemindAt = n.RemindedAt.Add(s.cfg.RemindInterval)
	}
	return v
}

// addressed reports whether the actor is of the notice's audience: a
// member of its team, or holding a role of its audience (Addresses).
func addressed(actor civicgrid.Actor, teams map[int64]bool, n civicgrid.Notice) bool {
	if n.Audience == civicgrid.AudienceTeam {
		return actor.UserID != 0 && teams[n.TeamID]
	}
	return n.Addresses(actor.Grants)
}

// teamsOf returns the teams the actor belongs to, asked of the volunteer
// service (none without it, or for a token or anonymous caller).
func (s *Service) teamsOf(ctx context.Context, actor civicgrid.Actor) (map[int64]bool, error) {
	out := map[int64]bool{}
	if s.cfg.Teams == nil || actor.UserID == 0 {
		return out, nil
	}
	ts, err := s.cfg.Teams.TeamsOf(ctx, actor.UserID)
	for _, t := range ts {
		out[t.ID] = true
	}
	return out, err
}

// withMembers fills in a team notice's members (for its counts and
// follow-up list), asked of the volunteer service.
func (s *Service) withMembers(ctx context.Context, n civicgrid.Notice) (civicgrid.Notice, error) {
	if n.Audience != civicgrid.AudienceTeam {
		return n, nil
	}
	if s.cfg.Teams == nil {
		return n, civicgrid.Errorf(civicgrid.EINTERNAL, "notice %d is for a team, and this server knows no teams", n.ID)
	}
	ms, err := s.cfg.Teams.TeamMembers(ctx, n.TeamID)
	n.Members = ms
	return n, err
}

// Readable reports whether the actor may read the notice (the live
// stream asks it of each new notice).
func (s *Service) Readable(ctx context.Context, actor civicgrid.Actor, n civicgrid.Notice) bool {
	teams, err := s.teamsOf(ctx, actor)
	return err == nil && !n.Withdrawn && civicgrid.Authorize(actor, civicgrid.ActionReadNotice, n.ObjectFor(actor.UserID, teams)) == nil
}

// Post posts a notice to an area within the sender's own, with the
// documents in.Documents names (uploaded before) and those sent as files
// (each checked as a PDF before any is stored: a notice refused stores
// none of them).
func (s *Service) Post(ctx context.Context, actor civicgrid.Actor, in civicgrid.NoticeInput, files ...DocumentFile) (View, error) {
	n, err := in.Check(s.now())
	if err != nil {
		return View{}, err
	}
	for _, ref := range n.Attachments {
		if s.cfg.Photos == nil {
			return View{}, civicgrid.Errorf(civicgrid.EINVALID, "attachments: this server keeps no photos")
		}
		if msg := photo.RefProblem(ref, s.cfg.Photos.Has); msg != "" {
			return View{}, civicgrid.Errorf(civicgrid.EINVALID, "attachments: %s", msg)
		}
	}
	if err := s.checkDocuments(&n, files); err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionPostNotice, civicgrid.In(n.Scope)); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return View{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "a notice may be posted only to an area within yours: %s", civicgrid.ErrorMessage(err))
		}
		return View{}, err
	}
	if n.Audience == civicgrid.AudienceTeam {
		// A team of the scope: its community lies within it. The
		// notice lies at the community (its members' and staff's).
		if s.cfg.Teams == nil {
			return View{}, civicgrid.Errorf(civicgrid.EINVALID, "team_id: this server knows no volunteer teams")
		}
		t, err := s.cfg.Teams.TeamByID(ctx, n.TeamID)
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND || (err == nil && !civicgrid.InSubtree(n.Scope, t.Community)) {
			return View{}, civicgrid.Errorf(civicgrid.EINVALID, "team_id: no volunteer team %d in area %s", n.TeamID, n.Scope)
		}
		if err != nil {
			return View{}, err
		}
		n.Scope, n.TeamName = t.Community, t.Name
	}
	n.AuthorID, n.Author = actor.UserID, civicgrid.MaskName(actor.Name)
	if n.Author == "" {
		n.Author = actor.Label()
	}
	for _, f := range files {
		d, err := s.cfg.Documents.SaveDocument(bytes.NewReader(f.Data))
		if err != nil {
			return View{}, documentError(f.Name, err)
		}
		if _, dup := n.Document(d.Ref); !dup {
			n.Documents = append(n.Documents, civicgrid.NoticeDocument{Ref: d.Ref, Name: civicgrid.CleanDocumentName(f.Name), Bytes: d.Bytes})
		}
	}
	n, err = s.store.CreateNotice(ctx, n)
	if err != nil {
		return View{}, err
	}
	s.Nudge()
	s.mu.Lock()
	fns := slices.Clone(s.posted)
	s.mu.Unlock()
	for _, fn := range fns {
		fn(n)
	}
	teams, err := s.teamsOf(ctx, actor)
	return s.view(actor, teams, n, civicgrid.NoticeReceipt{}, false), err
}

// checkDocuments checks a notice's documents before anything is written:
// each ref uploaded (its size filled in from the stored file), each file
// a PDF with a name, at most MaxNoticeDocuments in all.
func (s *Service) checkDocuments(n *civicgrid.Notice, files []DocumentFile) error {
	if len(n.Documents)+len(files) == 0 {
		return nil
	}
	if s.cfg.Documents == nil {
		return civicgrid.Errorf(civicgrid.EINVALID, "documents: this server keeps no documents")
	}
	if len(n.Documents)+len(files) > civicgrid.MaxNoticeDocuments {
		return &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the notice is not valid",
			Problems: []civicgrid.Problem{{Index: -1, Kind: "documents", Detail: fmt.Sprintf("at most %d documents (PDF)", civicgrid.MaxNoticeDocuments)}}}
	}
	for i, d := range n.Documents {
		size, err := s.cfg.Documents.DocumentSize(d.Ref)
		if err != nil {
			return civicgrid.Errorf(civicgrid.EINVALID, "documents: %s was never uploaded (POST /api/v1/announcements/documents first)", d.Ref)
		}
		n.Documents[i].Bytes = size
	}
	for _, f := range files {
		if name := civicgrid.CleanDocumentName(f.Name); name == "" || utf8.RuneCountInString(name) > civicgrid.MaxDocumentName {
			return civicgrid.Errorf(civicgrid.EINVALID, "documents: a file name of 1 to %d characters", civicgrid.MaxDocumentName)
		}
		if _, err := photo.CheckPDF(f.Data); err != nil {
			return documentError(f.Name, err)
		}
	}
	return nil
}

// documentError names what is wrong with a document sent: refused by its
// content (EINVALID), too large (ETOOLARGE), or the store's failure.
func documentError(name string, err error) error {
	name = civicgrid.CleanDocumentName(name)
	switch {
	case errors.Is(err, photo.ErrTooLarge):
		return civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: %s: at most %d MiB", name, photo.MaxDocumentBytes>>20)
	case errors.Is(err, photo.ErrEmptyDocument), errors.Is(err, photo.ErrNotAPDF), errors.Is(err, photo.ErrActivePDF):
		return civicgrid.Errorf(civicgrid.EINVALID, "documents: %s: %v (PDF only)", name, err)
	}
	return err
}

// UploadDocument checks and stores a PDF to attach to a notice next
// (POST /api/v1/announcements/documents): for those who may post a notice
// somewhere.
func (s *Service) UploadDocument(ctx context.Context, actor civicgrid.Actor, r io.Reader) (photo.SavedDocument, error) {
	if actor.Anonymous() {
		return photo.SavedDocument{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
	}
	may := false
	for _, g := range actor.Grants {
		if civicgrid.Authorize(actor, civicgrid.ActionPostNotice, civicgrid.In(g.AreaCode)) == nil {
			may = true
			break
		}
	}
	if !may {
		return photo.SavedDocument{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: only those who post notices upload their documents", civicgrid.ActionPostNotice)
	}
	if s.cfg.Documents == nil {
		return photo.SavedDocument{}, civicgrid.Errorf(civicgrid.EINVALID, "documents: this server keeps no documents")
	}
	d, err := s.cfg.Documents.SaveDocument(r)
	if err != nil {
		return d, documentError("", err)
	}
	return d, nil
}

// Document returns a notice's document for the actor to download: only
// if they may read the notice (else "not found", as the notice is), and
// only a document of that notice.
func (s *Service) Document(ctx context.Context, actor civicgrid.Actor, id int64, ref string) (civicgrid.NoticeDocument, error) {
	n, _, err := s.get(ctx, actor, id)
	if err != nil {
		return civicgrid.NoticeDocument{}, err
	}
	d, ok := n.Document(ref)
	if !ok {
		return d, civicgrid.Errorf(civicgrid.ENOTFOUND, "notice %d has no document %q", id, ref)
	}
	return d, nil
}

// areas are the areas the actor holds a role over.
func areas(actor civicgrid.Actor) []string {
	var out []string
	for _, g := range actor.Grants {
		if !slices.Contains(out, g.AreaCode) {
			out = append(out, g.AreaCode)
		}
	}
	return out
}

// List returns the notices the actor may read, pinned first, newest
// first (expired ones too when asked).
func (s *Service) List(ctx context.Context, actor civicgrid.Actor, expired bool) ([]View, error) {
	if actor.Anonymous() {
		return nil, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
	}
	ns, err := s.store.Notices(ctx, areas(actor), s.now(), expired, ListLimit)
	if err != nil {
		return nil, err
	}
	teams, err := s.teamsOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	var ids []int64
	var visible []civicgrid.Notice
	for _, n := range ns {
		if civicgrid.Authorize(actor, civicgrid.ActionReadNotice, n.ObjectFor(actor.UserID, teams)) == nil {
			visible = append(visible, n)
			ids = append(ids, n.ID)
		}
	}
	rs, err := s.store.Receipts(ctx, actor.UserID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(visible))
	for _, n := range visible {
		r, ok := rs[n.ID]
		out = append(out, s.view(actor, teams, n, r, ok))
	}
	return out, nil
}

// Unread counts the notices in force addressed to the actor that they
// have not read, but their own: the header's badge.
func (s *Service) Unread(ctx context.Context, actor civicgrid.Actor) (int, error) {
	vs, err := s.List(ctx, actor, false)
	n := 0
	for _, v := range vs {
		if !v.Read && v.ForMe && v.AuthorID != actor.UserID {
			n++
		}
	}
	return n, err
}

// get returns a notice the actor may read (a withdrawn one too, which its
// page says), with the actor's teams; one they may not is not found.
func (s *Service) get(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Notice, map[int64]bool, error) {
	n, err := s.store.NoticeByID(ctx, id)
	if err != nil {
		return n, nil, err
	}
	teams, err := s.teamsOf(ctx, actor)
	if err != nil {
		return n, nil, err
	}
	if civicgrid.Authorize(actor, civicgrid.ActionReadNotice, n.ObjectFor(actor.UserID, teams)) != nil {
		if actor.Anonymous() {
			return n, nil, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in first")
		}
		return n, nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "no notice %d", id)
	}
	return n, teams, nil
}

// withdrawnError refuses a step on a withdrawn notice.
func withdrawnError(n civicgrid.Notice) error {
	return civicgrid.Errorf(civicgrid.ECONFLICT, "notice %d was withdrawn on %s: %s", n.ID, n.WithdrawnAt.In(cst).Format("2006-01-02 15:04"), n.WithdrawReason)
}

// Get returns one notice; staff over its scope see its counts. A
// withdrawn notice is returned to those who could read it, marked
// withdrawn with its reason, without counts.
func (s *Service) Get(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	n, teams, err := s.get(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	rs, err := s.store.Receipts(ctx, actor.UserID, []int64{id})
	if err != nil {
		return View{}, err
	}
	r, ok := rs[id]
	v := s.view(actor, teams, n, r, ok)
	if v.CanManage {
		if n, err = s.withMembers(ctx, n); err != nil {
			return v, err
		}
		c, err := s.store.CountNotice(ctx, n, "")
		if err != nil {
			return v, err
		}
		v.Counts = &c
	}
	// The cost of its text messages: for staff over it and auditors.
	if v.CanManage || civicgrid.Authorize(actor, civicgrid.ActionReadAudit, civicgrid.In(n.Scope)) == nil {
		if v.SMS, err = s.smsCost(ctx, n); err != nil {
			return v, err
		}
	}
	return v, nil
}

// smsCost is what the messages of the notice's urgent post and reminders
// cost in text messages (nil when it had none to text, or the cost is not
// known here).
func (s *Service) smsCost(ctx context.Context, n civicgrid.Notice) (*civicgrid.SMSCost, error) {
	if s.cfg.SMSCost == nil || (n.Priority != civicgrid.PriorityUrgent && n.RemindedAt.IsZero()) {
		return nil, nil
	}
	ids, err := s.store.NoticeEventIDs(ctx, n.ID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	sources := make([]string, len(ids))
	for i, id := range ids {
		sources[i] = notifySource(id)
	}
	c, err := s.cfg.SMSCost(ctx, sources)
	return &c, err
}

// notifySource is the notification source of a notice event's messages.
func notifySource(eventID int64) string { return "notice_event:" + strconv.FormatInt(eventID, 10) }

// Read records that the actor read the notice (and confirmed it, when
// confirm): one receipt row, the first reading's time kept. Only the
// audience leaves a receipt; others reading it over their area do not.
func (s *Service) Read(ctx context.Context, actor civicgrid.Actor, id int64, confirm bool) (View, error) {
	n, teams, err := s.get(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if n.Withdrawn {
		return View{}, withdrawnError(n)
	}
	if confirm && !n.NeedConfirm {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "notice %d asks for no confirmation", id)
	}
	if confirm && !addressed(actor, teams, n) {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "notice %d is not addressed to you: nothing to confirm", id)
	}
	if actor.UserID == 0 {
		return View{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "an API token reads notices but leaves no receipt; log in as the person")
	}
	if confirm && n.Expired(s.now()) {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "notice %d has expired", id)
	}
	if !addressed(actor, teams, n) {
		// Staff over the scope and auditors read it without a receipt:
		// only the audience's readings are recorded and counted.
		return s.view(actor, teams, n, civicgrid.NoticeReceipt{}, false), nil
	}
	r, err := s.store.MarkNotice(ctx, id, actor.UserID, s.now(), confirm)
	if err != nil {
		return View{}, err
	}
	return s.view(actor, teams, n, r, true), nil
}

// FollowUp is the list of people who have not read (or confirmed) a
// notice, in the area of the one following up — or, with Readers, of
// those who have read it, with when.
type FollowUp struct {
	Notice  View                   `json:"notice"`
	Within  string                 `json:"within"`
	Readers bool                   `json:"readers,omitempty"`
	Counts  civicgrid.NoticeCounts `json:"counts"`
	People  []civicgrid.Unreached  `json:"people"`
	// Next is the cursor of the next page ("": none).
	Next string `json:"next,omitempty"`
}

// followArea returns the area the actor follows a notice up in: the one
// asked (which they must hold a following-up role over), else the first of
// their grants that may follow up and overlaps the notice's scope. The
// answer lies within the scope (the deeper of the two). A team's notice
// is followed up over its whole scope, by those following up over an area
// holding it (staff): its members are not placed in buildings.
func followArea(actor civicgrid.Actor, n civicgrid.Notice, within string) (string, error) {
	team := n.Audience == civicgrid.AudienceTeam
	if within == "" {
		for _, g := range actor.Grants {
			one := civicgrid.Actor{UserID: actor.UserID, Grants: []civicgrid.RoleGrant{g}, Via: actor.Via, TokenID: actor.TokenID}
			if civicgrid.Authorize(one, civicgrid.ActionFollowUpNotice, civicgrid.In(g.AreaCode)) == nil &&
				(civicgrid.InSubtree(g.AreaCode, n.Scope) || (!team && civicgrid.InSubtree(n.Scope, g.AreaCode))) {
				within = g.AreaCode
				break
			}
		}
		if within == "" {
			return "", civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: only building heads, grid workers and staff in the notice's area follow it up", civicgrid.ActionFollowUpNotice)
		}
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionFollowUpNotice, civicgrid.In(within)); err != nil {
		return "", err
	}
	if team && !civicgrid.InSubtree(within, n.Scope) {
		return "", civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: a team's notice is followed up by staff over its whole area, not from %s", civicgrid.ActionFollowUpNotice, within)
	}
	switch {
	case civicgrid.InSubtree(within, n.Scope):
		return n.Scope, nil
	case civicgrid.InSubtree(n.Scope, within):
		return within, nil
	}
	return "", civicgrid.Errorf(civicgrid.EINVALID, "area %s and the notice's scope %s do not overlap", within, n.Scope)
}

// FollowUp lists the people of the notice's audience within the area
// (default: the first the actor may follow up in) who have not read it,
// or not confirmed it if it asks so; names and phones masked. A building
// head follows up a notice for residents they are not the audience of.
func (s *Service) FollowUp(ctx context.Context, actor civicgrid.Actor, id int64, within string, after civicgrid.UnreachedCursor) (FollowUp, error) {
	return s.followList(ctx, actor, id, within, after, false)
}

// Readers lists, for the same people and over the same area as FollowUp,
// those of the audience who have read the notice, with when they read and
// confirmed it (read receipts: who read when); names and phones masked.
func (s *Service) Readers(ctx context.Context, actor civicgrid.Actor, id int64, within string, after civicgrid.UnreachedCursor) (FollowUp, error) {
	return s.followList(ctx, actor, id, within, after, true)
}

func (s *Service) followList(ctx context.Context, actor civicgrid.Actor, id int64, within string, after civicgrid.UnreachedCursor, readers bool) (FollowUp, error) {
	n, err := s.store.NoticeByID(ctx, id)
	if err != nil {
		return FollowUp{}, err
	}
	if n.Withdrawn {
		return FollowUp{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no notice %d", id)
	}
	// A refusal names only the caller's own areas, never the notice's.
	if within, err = followArea(actor, n, within); err != nil {
		return FollowUp{}, err
	}
	if n, err = s.withMembers(ctx, n); err != nil {
		return FollowUp{}, err
	}
	c, err := s.store.CountNotice(ctx, n, within)
	if err != nil {
		return FollowUp{}, err
	}
	list := s.store.Unreached
	if readers {
		list = s.store.Reached
	}
	ps, err := list(ctx, n, within, after, PageSize+1)
	if err != nil {
		return FollowUp{}, err
	}
	out := FollowUp{Notice: s.view(actor, nil, n, civicgrid.NoticeReceipt{}, false), Within: within, Readers: readers, Counts: c, People: []civicgrid.Unreached{}}
	if len(ps) > PageSize {
		ps, out.Next = ps[:PageSize], ps[PageSize-1].Cursor().String()
	}
	for i, p := range ps {
		// One line per person and building: their roles there sort together.
		if i > 0 && p.UserID == ps[i-1].UserID && p.AreaCode == ps[i-1].AreaCode {
			continue
		}
		p.Name, p.Phone = civicgrid.MaskName(p.Name), civicgrid.MaskPhone(p.Phone)
		out.People = append(out.People, p)
	}
	return out, nil
}

// Followable lists the notices in force the actor may follow up, each
// with its counts in the actor's area (no people: open one for them);
// those for nobody there are left out.
func (s *Service) Followable(ctx context.Context, actor civicgrid.Actor) ([]FollowUp, error) {
	var mine []string
	for _, g := range actor.Grants {
		one := civicgrid.Actor{UserID: actor.UserID, Grants: []civicgrid.RoleGrant{g}, Via: actor.Via, TokenID: actor.TokenID}
		if civicgrid.Authorize(one, civicgrid.ActionFollowUpNotice, civicgrid.In(g.AreaCode)) == nil {
			mine = append(mine, g.AreaCode)
		}
	}
	if len(mine) == 0 {
		return nil, civicgrid.Errorf(civicgrid.EFORBIDDEN, "%s: only building heads, grid workers and staff follow notices up", civicgrid.ActionFollowUpNotice)
	}
	ns, err := s.store.Notices(ctx, mine, s.now(), false, ListLimit)
	if err != nil {
		return nil, err
	}
	out := []FollowUp{}
	for _, n := range ns {
		within, err := followArea(actor, n, "")
		if err != nil {
			continue
		}
		if n, err = s.withMembers(ctx, n); err != nil {
			return nil, err
		}
		c, err := s.store.CountNotice(ctx, n, within)
		if err != nil {
			return nil, err
		}
		if c.Audience == 0 {
			continue // for nobody of the actor's area
		}
		out = append(out, FollowUp{Notice: s.view(actor, nil, n, civicgrid.NoticeReceipt{}, false), Within: within, Counts: c})
	}
	return out, nil
}

// Remind re-reminds the unread of a notice (through the inbox and, for
// those who allow it, SMS): staff over its scope, at most once per
// RemindInterval.
func (s *Service) Remind(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	n, _, err := s.get(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if n.Withdrawn {
		return View{}, withdrawnError(n)
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionPostNotice, civicgrid.In(n.Scope)); err != nil {
		return View{}, err
	}
	if n.Expired(s.now()) {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "notice %d has expired: nobody is reminded", id)
	}
	now := s.now()
	ok, err := s.store.RemindNotice(ctx, id, now, now.Add(-s.cfg.RemindInterval))
	if err != nil {
		return View{}, err
	}
	if !ok {
		n, _ = s.store.NoticeByID(ctx, id)
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "the unread of notice %d were reminded at %s; the next reminder is possible from %s",
			id, n.RemindedAt.In(cst).Format("2006-01-02 15:04"), n.RemindedAt.Add(s.cfg.RemindInterval).In(cst).Format("2006-01-02 15:04"))
	}
	s.Nudge()
	return s.Get(ctx, actor, id)
}

// Withdraw withdraws a notice with a reason: its sender, or staff over its
// scope. It leaves every list, the unread counts and the search; its page
// says it was withdrawn and why to those who could read it; a group post
// not yet made is never made (one made stays in the group: the platform
// is the record). The withdrawal goes to the security log.
func (s *Service) Withdraw(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (View, error) {
	reason, err := civicgrid.CheckWithdrawReason(reason)
	if err != nil {
		return View{}, err
	}
	n, _, err := s.get(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionWithdrawNotice, n.WithdrawObject()); err != nil {
		return View{}, err
	}
	if n.Withdrawn {
		return View{}, withdrawnError(n)
	}
	ok, err := s.store.WithdrawNotice(ctx, id, actor.UserID, reason, s.now())
	if err != nil {
		return View{}, err
	}
	if !ok {
		n, _ = s.store.NoticeByID(ctx, id)
		return View{}, withdrawnError(n)
	}
	if s.cfg.Audit != nil {
		s.cfg.Audit(ctx, civicgrid.SecurityEvent{At: s.now(), Kind: EventWithdrawn, Outcome: civicgrid.OutcomeOK, ActorID: actor.UserID,
			Actor: actor.Label(), AreaCode: n.Scope, Detail: "notice " + strconv.FormatInt(id, 10) + " withdrawn"})
	}
	return s.Get(ctx, actor, id)
}

// EventWithdrawn is the security log's kind for a withdrawn notice.
const EventWithdrawn = "notice.withdrawn"

var cst = time.FixedZone("CST", 8*3600)

// NotifySourceName names the notices' cursor in the notification sender.
const NotifySourceName = "notices"

// NotifySource makes the inbox messages (and text messages, as the sender
// allows: opt-in and the hourly limit) of urgent notices and reminders,
// one per person of the audience who has not read (or confirmed) it, at
// most FanoutLimit per event.
func (s *Service) NotifySource() notify.Source {
	return notify.Source{Name: NotifySourceName, Read: func(ctx context.Context, cursor int64, limit int) ([]notify.Draft, int64, error) {
		evs, err := s.store.NoticeEventsAfter(ctx, cursor, min(limit, 10))
		if err != nil || len(evs) == 0 {
			return nil, cursor, err
		}
		var out []notify.Draft
		for _, ev := range evs {
			n, err := s.store.NoticeByID(ctx, ev.NoticeID)
			if err != nil {
				return nil, cursor, err
			}
			if n.Withdrawn || n.Expired(s.now()) {
				continue
			}
			if n, err = s.withMembers(ctx, n); err != nil {
				return nil, cursor, err
			}
			kind := "notice." + ev.Kind
			source := notifySource(ev.ID)
			link := "/announcements/" + strconv.FormatInt(n.ID, 10)
			var after civicgrid.UnreachedCursor
			seen := map[int64]bool{}
			for sent := 0; sent < s.cfg.FanoutLimit; {
				ps, err := s.store.Unreached(ctx, n, "", after, min(1000, s.cfg.FanoutLimit-sent))
				if err != nil {
					return nil, cursor, err
				}
				for _, p := range ps {
					if p.UserID != n.AuthorID && !seen[p.UserID] {
						seen[p.UserID] = true
						out = append(out, notify.Draft{UserID: p.UserID, Kind: kind, Source: source, Link: link, Args: []string{"title", n.Title}})
					}
				}
				sent += len(ps)
				if len(ps) < 1000 {
					break
				}
				after = ps[len(ps)-1].Cursor()
			}
		}
		return out, evs[len(evs)-1].ID, nil
	}}
}

// seal and unseal keep a robot's signing secret unreadable in the database.
func (s *Service) seal(secret string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(secret), nil), nil
}

func (s *Service) unseal(b []byte) (string, error) {
	if len(b) < s.aead.NonceSize() {
		return "", errors.New("sealed secret too short")
	}
	p, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	return string(p), err
}
