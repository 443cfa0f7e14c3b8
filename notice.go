package civicgrid

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Notices (通知公告): staff tell an area's people something — everyone in
// an area subtree, or only its residents, building heads, grid workers or
// volunteers — with a priority, a pin, an expiry and, if asked, a "confirm
// you read this" (需确认). Posting writes one row whatever the audience's
// size; a receipt is written when someone reads or confirms, and unread
// counts are the audience's size (counted from role grants) minus its
// receipts. docs/notices.md states the flows and fields.

// Audiences of a notice.
const (
	AudienceAll           = "all"
	AudienceResidents     = "residents"
	AudienceBuildingHeads = "building_heads"
	AudienceGridWorkers   = "grid_workers"
	AudienceVolunteers    = "volunteers"
	// AudienceTeam is a volunteer team of the scope (TeamID): read by its
	// members (asked of the volunteer service, NoticeTeams) and the scope's
	// staff; counted as the team's size minus its receipts.
	AudienceTeam = "team"
)

// NoticeAudiences lists the audiences with the roles each counts.
var NoticeAudiences = map[string][]string{
	AudienceAll:           nil, // every role held in the scope
	AudienceResidents:     {RoleResident},
	AudienceBuildingHeads: {RoleBuilding},
	AudienceGridWorkers:   {RoleGridWorker},
	AudienceVolunteers:    {RoleVolunteer},
}

// NoticeTeams is what notices ask the volunteer module about its teams
// (volunteering.Service has it): plain reads, no access decision; the
// notices module never reads the volunteer tables.
type NoticeTeams interface {
	TeamByID(ctx context.Context, id int64) (Team, error)
	// TeamMembers returns a team's accepted members.
	TeamMembers(ctx context.Context, teamID int64) ([]int64, error)
	// TeamsOf returns the teams a person belongs to (accepted).
	TeamsOf(ctx context.Context, userID int64) ([]Team, error)
}

// Priorities of a notice: urgent ones also go out by SMS (to those who
// did not turn it off, within the hourly limit).
const (
	PriorityNormal = "normal"
	PriorityUrgent = "urgent"
)

// Limits of what staff write.
const (
	MaxNoticeTitle = 100
	MaxNoticeBody  = 5000
	MaxNoticeTTL   = 366 * 24 * time.Hour
	// MaxNoticeAttachments bounds a notice's photos.
	MaxNoticeAttachments = 4
	// MaxNoticeDocuments bounds a notice's documents (PDF files, each at
	// most 10 MiB: photo.MaxDocumentBytes).
	MaxNoticeDocuments = 4
	// MaxDocumentName bounds a document's file name.
	MaxDocumentName = 100
)

// NoticeDocument is a PDF file attached to a notice: its stored ref (the
// content's hash, "….pdf"), the name it is offered under and its size.
// It is served only to those who may read the notice
// (GET /api/v1/announcements/{id}/documents/{ref}).
type NoticeDocument struct {
	Ref   string `json:"ref"`
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// CleanDocumentName makes a file name fit to offer a document under: the
// last part of a path, without control or format characters, spaces
// trimmed, ending in ".pdf". "" when nothing is left.
func CleanDocumentName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || strings.Trim(name, ".") == "" {
		return ""
	}
	if !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return name
}

// Notice is one notice. It lies at its scope.
type Notice struct {
	ID          int64     `json:"id"`
	Scope       string    `json:"scope"` // an area code: the notice reaches its subtree
	Audience    string    `json:"audience"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Priority    string    `json:"priority"`
	Pinned      bool      `json:"pinned"`
	NeedConfirm bool      `json:"need_confirm"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	AuthorID    int64     `json:"-"`
	Author      string    `json:"author"` // masked label
	CreatedAt   time.Time `json:"created_at"`
	RemindedAt  time.Time `json:"reminded_at,omitzero"` // last re-reminder of the unread
	Withdrawn   bool      `json:"withdrawn,omitempty"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	WithdrawnBy int64     `json:"-"`
	// WithdrawReason is why it was withdrawn (shown on its page).
	WithdrawReason string `json:"withdraw_reason,omitempty"`
	// TeamID and TeamName name the team of a notice for a team (its name
	// as it was when posted).
	TeamID   int64  `json:"team_id,omitempty"`
	TeamName string `json:"team_name,omitempty"`
	// Members are a team notice's members as the service asked them of
	// the volunteer module, for the store's counts and follow-up list
	// (never stored).
	Members []int64 `json:"-"`
	// Attachments are photos uploaded with POST /api/v1/photos (JPEG,
	// PNG or WebP, re-encoded without metadata), at most MaxNoticeAttachments.
	Attachments []string `json:"attachments,omitempty"`
	// Documents are PDF files uploaded with POST
	// /api/v1/announcements/documents, at most MaxNoticeDocuments.
	Documents []NoticeDocument `json:"documents,omitempty"`
}

// Document returns the notice's document of the ref.
func (n Notice) Document(ref string) (NoticeDocument, bool) {
	for _, d := range n.Documents {
		if d.Ref == ref {
			return d, true
		}
	}
	return NoticeDocument{}, false
}

// Object is the notice as the object of an access decision: it lies at
// its scope and is for its audience — people holding a role of it over an
// area within the scope or above it (a volunteer of the street reads its
// communities' notices).
//
// A team's notice has no audience of roles: it is for its members, whom
// the object names as far as the asker needs (MemberObject).
func (n Notice) Object() Object {
	if n.Audience == AudienceTeam {
		return Object{Areas: []string{n.Scope}, Members: []int64{}}
	}
	return Object{Areas: []string{n.Scope}, Audience: n.AudienceRoles(), AudienceSet: true}
}

// ObjectFor is the notice as the object of a decision for userID, who
// belongs to the teams: a team's notice names them among its members when
// they are one.
func (n Notice) ObjectFor(userID int64, teams map[int64]bool) Object {
	o := n.Object()
	if n.Audience == AudienceTeam && userID != 0 && teams[n.TeamID] {
		o.Members = []int64{userID}
	}
	return o
}

// WithdrawObject is the notice as the object of its withdrawal: its
// sender's, lying at its scope.
func (n Notice) WithdrawObject() Object {
	return Object{Areas: []string{n.Scope}, Owner: n.AuthorID}
}

// SearchTag is the notice's audience as the search index keeps it
// (AudienceTag): a team's notice gets its team's tag (TeamTag), which no
// role matches, so it is found by the team's members (Reach.Groups: the
// search asks the volunteer service whose they are) and by staff over its
// scope and auditors.
func (n Notice) SearchTag() string {
	if n.Audience == AudienceTeam {
		return TeamTag(n.TeamID)
	}
	return AudienceTag(n.AudienceRoles())
}

// TeamTag is a volunteer team as a group an object is addressed to
// (Reach.Groups, a search document's audience): "team:" and its id.
func TeamTag(teamID int64) string { return "team:" + strconv.FormatInt(teamID, 10) }

// Expired reports whether the notice is past its expiry at t.
func (n Notice) Expired(t time.Time) bool { return !n.ExpiresAt.IsZero() && !t.Before(n.ExpiresAt) }

// AudienceRoles returns the roles a notice's audience counts (nil: all).
// A team's notice counts no role (Addresses is false for it).
func (n Notice) AudienceRoles() []string { return NoticeAudiences[n.Audience] }

// Addresses reports whether a person holding these grants is of the
// notice's audience — whom its counts count and who confirms it: a role
// of the audience over an area within the scope or above it (the rule
// the store counts by). Who may read it is Authorize's (staff over the
// scope read what they are not the audience of).
//
// A team's notice is addressed to its members, which the grants cannot
// tell: false here (the service asks the team).
func (n Notice) Addresses(grants []RoleGrant) bool {
	if n.Audience == AudienceTeam {
		return false
	}
	roles := n.AudienceRoles()
	for _, g := range grants {
		if (roles == nil || slices.Contains(roles, g.Role)) && (InSubtree(n.Scope, g.AreaCode) || InSubtree(g.AreaCode, n.Scope)) {
			return true
		}
	}
	return false
}

// NoticeInput is what staff write.
type NoticeInput struct {
	Scope       string    `json:"scope"`
	Audience    string    `json:"audience"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Priority    string    `json:"priority"`
	Pinned      bool      `json:"pinned"`
	NeedConfirm bool      `json:"need_confirm"`
	ExpiresAt   time.Time `json:"expires_at"`
	Attachments []string  `json:"attachments"`
	// Documents are PDF files uploaded first (POST
	// /api/v1/announcements/documents): each its ref and the name to
	// offer it under (its size is the stored file's).
	Documents []NoticeDocument `json:"documents"`
	// TeamID is the team of the audience "team": a volunteer team whose
	// community lies within the scope.
	TeamID int64 `json:"team_id"`
}

// Check validates the input and returns the notice it makes, every
// problem named at once.
func (in NoticeInput) Check(now time.Time) (Notice, error) {
	var ps []Problem
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	if LevelOfCode(in.Scope) == "" {
		ps = append(ps, Problem{Index: -1, Code: in.Scope, Kind: "scope", Detail: "an area code (district, street, community, grid or building)"})
	}
	if in.Audience == "" {
		in.Audience = AudienceAll
	}
	if _, ok := NoticeAudiences[in.Audience]; !ok && in.Audience != AudienceTeam {
		ps = append(ps, Problem{Index: -1, Code: in.Audience, Kind: "audience", Detail: "all, residents, building_heads, grid_workers, volunteers or team"})
	}
	if (in.Audience == AudienceTeam) != (in.TeamID > 0) || in.TeamID < 0 {
		ps = append(ps, Problem{Index: -1, Kind: "team_id", Detail: "a team's id with the audience team, and only then"})
	}
	if in.Title == "" || utf8.RuneCountInString(in.Title) > MaxNoticeTitle {
		ps = append(ps, Problem{Index: -1, Kind: "title", Detail: "a title of 1 to 100 characters"})
	}
	if in.Body == "" || utf8.RuneCountInString(in.Body) > MaxNoticeBody {
		ps = append(ps, Problem{Index: -1, Kind: "body", Detail: "a text of 1 to 5,000 characters"})
	}
	switch in.Priority {
	case "":
		in.Priority = PriorityNormal
	case PriorityNormal, PriorityUrgent:
	default:
		ps = append(ps, Problem{Index: -1, Code: in.Priority, Kind: "priority", Detail: "normal or urgent"})
	}
	if !in.ExpiresAt.IsZero() && (!in.ExpiresAt.After(now) || in.ExpiresAt.Sub(now) > MaxNoticeTTL) {
		ps = append(ps, Problem{Index: -1, Kind: "expires_at", Detail: "an expiry in the future, at most a year ahead"})
	}
	if len(in.Attachments) > MaxNoticeAttachments {
		ps = append(ps, Problem{Index: -1, Kind: "attachments", Detail: "at most 4 photos"})
	}
	if len(in.Documents) > MaxNoticeDocuments {
		ps = append(ps, Problem{Index: -1, Kind: "documents", Detail: "at most 4 documents (PDF)"})
	}
	docs := make([]NoticeDocument, 0, len(in.Documents))
	seen := map[string]bool{}
	for i, d := range in.Documents {
		name := CleanDocumentName(d.Name)
		switch {
		case !documentRef.MatchString(d.Ref):
			q := d.Ref
			if len(q) > 80 {
				q = q[:80] + "…"
			}
			ps = append(ps, Problem{Index: i, Code: q, Kind: "documents", Detail: "a document's ref (upload the PDF with POST /api/v1/announcements/documents first)"})
		case seen[d.Ref]:
			ps = append(ps, Problem{Index: i, Code: d.Ref, Kind: "documents", Detail: "the same document twice"})
		case name == "" || utf8.RuneCountInString(name) > MaxDocumentName:
			ps = append(ps, Problem{Index: i, Kind: "documents", Detail: "a file name of 1 to 100 characters"})
		}
		seen[d.Ref] = true
		docs = append(docs, NoticeDocument{Ref: d.Ref, Name: name})
	}
	if len(docs) == 0 {
		docs = nil
	}
	if len(ps) > 0 {
		return Notice{}, &Error{Code: EINVALID, Message: "the notice is not valid", Problems: ps}
	}
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return time.UnixMilli(t.UnixMilli())
	}
	return Notice{Scope: in.Scope, Audience: in.Audience, Title: in.Title, Body: in.Body, Priority: in.Priority, Pinned: in.Pinned,
		NeedConfirm: in.NeedConfirm, ExpiresAt: ms(in.ExpiresAt), CreatedAt: ms(now), Attachments: in.Attachments, Documents: docs, TeamID: in.TeamID}, nil
}

// documentRef is a stored document's ref (photo.ValidDocumentRef).
var documentRef = regexp.MustCompile(`^[0-9a-f]{64}\.pdf$`)

// MaxWithdrawReason bounds the reason a notice is withdrawn for.
const MaxWithdrawReason = 200

// CheckWithdrawReason trims the reason a notice is withdrawn for and
// checks it: 1 to MaxWithdrawReason characters.
func CheckWithdrawReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxWithdrawReason {
		return "", &Error{Code: EINVALID, Message: "the withdrawal is not valid",
			Problems: []Problem{{Index: -1, Kind: "reason", Detail: "why it is withdrawn, 1 to 200 characters"}}}
	}
	return reason, nil
}

// NoticeReceipt is one person's reading of a notice.
type NoticeReceipt struct {
	NoticeID    int64     `json:"notice_id"`
	UserID      int64     `json:"-"`
	ReadAt      time.Time `json:"read_at"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// NoticeCounts are a notice's audience and receipts.
type NoticeCounts struct {
	Audience  int `json:"audience"`
	Read      int `json:"read"`
	Confirmed int `json:"confirmed"`
	Unread    int `json:"unread"`
}

// Unreached is a person of the audience who has not read (or, for a
// notice needing confirmation, not confirmed), as the follow-up list
// shows them: name and phone masked unless the reader may unmask.
type Unreached struct {
	UserID   int64  `json:"user_id"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	AreaCode string `json:"area_code"` // where their role lies (their building)
	Role     string `json:"role"`
	Read     bool   `json:"read"` // read, not yet confirmed
	// ReadAt and ConfirmedAt are when they read and confirmed it (who
	// read when: the readers' list; a reader not yet confirmed).
	ReadAt      time.Time `json:"read_at,omitzero"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// Cursor is where the list goes on after this entry.
func (u Unreached) Cursor() UnreachedCursor {
	return UnreachedCursor{Area: u.AreaCode, Role: u.Role, User: u.UserID}
}

// UnreachedCursor is a position in the follow-up list (area, role,
// person); the zero cursor is its start.
type UnreachedCursor struct {
	Area string
	Role string
	User int64
}

// String writes the cursor for a link ("" at the start).
func (c UnreachedCursor) String() string {
	if c == (UnreachedCursor{}) {
		return ""
	}
	return c.Area + "." + c.Role + "." + strconv.FormatInt(c.User, 10)
}

// ParseUnreachedCursor reads a cursor written by String.
func ParseUnreachedCursor(s string) (UnreachedCursor, error) {
	if s == "" {
		return UnreachedCursor{}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) == 3 && LevelOfCode(parts[0]) != "" {
		if _, ok := LookupRole(parts[1]); ok {
			if id, err := strconv.ParseInt(parts[2], 10, 64); err == nil && id > 0 {
				return UnreachedCursor{Area: parts[0], Role: parts[1], User: id}, nil
			}
		}
	}
	return UnreachedCursor{}, Errorf(EINVALID, "after: the cursor of the last page (area.role.id)")
}

// Robot kinds: the group robots of WeCom (企业微信) and DingTalk (钉钉).
const (
	RobotWeCom    = "wecom"
	RobotDingTalk = "dingtalk"
)

// NoticeRobot connects an area's work group by its robot webhook: new
// notices of the area (and of areas above it) are posted there — the
// title, the text and the link, never personal data.
type NoticeRobot struct {
	ID        int64     `json:"id"`
	AreaCode  string    `json:"area_code"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	URL       string    `json:"url"`
	Markdown  bool      `json:"markdown"`
	Signed    bool      `json:"signed"` // a DingTalk signing secret is kept (sealed)
	CreatedBy int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled,omitempty"`
	// What else the group chose to hear of, besides notices (each without
	// personal data): new cases in its area, overdue cases (a missed
	// deadline raised one a level), and requests for help opened to
	// volunteers there.
	NewCases          bool `json:"new_cases"`
	OverdueCases      bool `json:"overdue_cases"`
	VolunteerRequests bool `json:"volunteer_requests"`
	// SealedSecret is the DingTalk secret sealed with the server's key
	// (never shown again).
	SealedSecret []byte `json:"-"`
}

// Object is the robot as the object of an access decision.
func (r NoticeRobot) Object() Object { return Object{Areas: []string{r.AreaCode}} }

// Redacted returns the robot as lists show it: the URL's query (which
// carries the group's key) masked and no secret.
func (r NoticeRobot) Redacted() NoticeRobot {
	r.SealedSecret = nil
	if u, err := url.Parse(r.URL); err == nil && u.RawQuery != "" {
		q := u.Query()
		for k, v := range q {
			if len(v) > 0 && len(v[0]) > 4 {
				q[k] = []string{v[0][:4] + "…"}
			}
		}
		u.RawQuery = q.Encode()
		r.URL = u.String()
	}
	return r
}

// RobotInput is what staff write to connect a group.
type RobotInput struct {
	AreaCode string `json:"area_code"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	URL      string `json:"url"`
	Markdown bool   `json:"markdown"`
	Secret   string `json:"secret"` // DingTalk's "加签" secret (SEC…), optional
	// The group's subscriptions besides notices (off unless chosen).
	NewCases          bool `json:"new_cases"`
	OverdueCases      bool `json:"overdue_cases"`
	VolunteerRequests bool `json:"volunteer_requests"`
}

// Check validates the input's shape (the host is checked by the service).
// Plain http is accepted only with allowHTTP (a loopback receiver in
// development and tests).
func (in RobotInput) Check(allowHTTP bool) (NoticeRobot, *url.URL, error) {
	var ps []Problem
	in.Name, in.URL, in.Secret = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL), strings.TrimSpace(in.Secret)
	if l := LevelOfCode(in.AreaCode); l != LevelCommunity && l != LevelGrid && l != LevelStreet {
		ps = append(ps, Problem{Index: -1, Code: in.AreaCode, Kind: "area_code", Detail: "a street, community or grid"})
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 50 {
		ps = append(ps, Problem{Index: -1, Kind: "name", Detail: "a name of 1 to 50 characters"})
	}
	if in.Kind != RobotWeCom && in.Kind != RobotDingTalk {
		ps = append(ps, Problem{Index: -1, Code: in.Kind, Kind: "kind", Detail: "wecom or dingtalk"})
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && (!allowHTTP || u.Scheme != "http")) || u.Host == "" || u.User != nil || len(in.URL) > 500 {
		ps = append(ps, Problem{Index: -1, Kind: "url", Detail: "the robot's https address (at most 500 characters)"})
	}
	if in.Secret != "" && (in.Kind != RobotDingTalk || len(in.Secret) > 200) {
		ps = append(ps, Problem{Index: -1, Kind: "secret", Detail: "only a DingTalk robot has a signing secret (at most 200 characters)"})
	}
	if len(ps) > 0 {
		return NoticeRobot{}, nil, &Error{Code: EINVALID, Message: "the group robot is not valid", Problems: ps}
	}
	return NoticeRobot{AreaCode: in.AreaCode, Name: in.Name, Kind: in.Kind, URL: in.URL, Markdown: in.Markdown, Signed: in.Secret != "",
		NewCases: in.NewCases, OverdueCases: in.OverdueCases, VolunteerRequests: in.VolunteerRequests}, u, nil
}

// Robot delivery states.
const (
	RobotPending   = "pending"
	RobotDelivered = "delivered"
	RobotFailed    = "failed" // attempts ran out
	// RobotWithdrawn: the notice was withdrawn before it was posted.
	RobotWithdrawn = "withdrawn"
)

// What a delivery posts: a notice, or one of the events a group may
// subscribe to.
const (
	RobotPostNotice  = "notice"
	RobotPostCase    = "case"    // a new case in the group's area
	RobotPostOverdue = "overdue" // a case raised a level by a missed deadline
	RobotPostRequest = "request" // a request for help opened to volunteers
)

// RobotItem is what a group is told of a case or a request for help: what
// kind, where (an area code and, at most, a place text with its numbers
// masked) and a link. It never carries a name, a phone, a description or
// a note: groups are many people, and the platform is the record.
type RobotItem struct {
	Kind     string    `json:"kind"`
	Ref      int64     `json:"ref"`                 // the case's or request's id (for the link)
	Area     string    `json:"area"`                // grid (cases) or building (requests) code
	AreaName string    `json:"area_name,omitempty"` // the area's name, when known
	Category string    `json:"category,omitempty"`  // a case's category, a request's service
	Place    string    `json:"place,omitempty"`     // masked: MaskPlace
	Level    string    `json:"level,omitempty"`     // overdue: the level the case went up to
	Urgency  string    `json:"urgency,omitempty"`   // a request's urgency
	At       time.Time `json:"at"`
}

// RobotPost is one delivery to enqueue: an item for a robot.
type RobotPost struct {
	RobotID int64
	// Key makes the post unique for its robot and kind: the case's or the
	// request's id, the log event's for an overdue case (which may go up
	// more than once).
	Key  int64
	Item RobotItem
}

// MaskPlace keeps a place text fit for a group: every digit masked (house,
// unit and room numbers) and at most 16 characters.
func MaskPlace(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == 16 {
			b.WriteString("…")
			break
		}
		if unicode.IsDigit(r) {
			r = '*'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// RobotDelivery is one notice or item posted to one group.
type RobotDelivery struct {
	ID        int64      `json:"id"`
	RobotID   int64      `json:"robot_id"`
	Kind      string     `json:"kind"`                // RobotPost…
	NoticeID  int64      `json:"notice_id,omitempty"` // a notice's
	Item      *RobotItem `json:"item,omitempty"`      // another kind's
	State     string     `json:"state"`
	Attempts  int        `json:"attempts"`
	NextAt    time.Time  `json:"next_at,omitzero"`
	LastError string     `json:"last_error,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Notice events: what is told beyond the app (inbox and SMS).
const (
	NoticeEventUrgent   = "urgent"   // an urgent notice was posted
	NoticeEventRemind   = "remind"   // staff re-reminded the unread
	NoticeEventWithdraw = "withdraw" // the sender or staff withdrew it
)

// NoticeEvent is one entry of the notices' log.
type NoticeEvent struct {
	ID       int64     `json:"id"`
	NoticeID int64     `json:"notice_id"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
}

// NoticeStore keeps notices, receipts and group robots.
type NoticeStore interface {
	// CreateNotice stores a notice (one row, whatever its audience) and a
	// pending delivery for each enabled robot of its scope or above it.
	CreateNotice(ctx context.Context, n Notice) (Notice, error)
	NoticeByID(ctx context.Context, id int64) (Notice, error)
	// Notices lists notices whose scope lies within one of within or
	// contains one of them, not expired at now (unless expired), pinned
	// first, newest first.
	Notices(ctx context.Context, within []string, now time.Time, expired bool, limit int) ([]Notice, error)
	// Receipts returns the caller's receipts of the notices.
	Receipts(ctx context.Context, userID int64, ids []int64) (map[int64]NoticeReceipt, error)
	// MarkNotice records a reading (and a confirmation when confirm): the
	// first reading's time is kept.
	MarkNotice(ctx context.Context, noticeID, userID int64, at time.Time, confirm bool) (NoticeReceipt, error)
	// CountNotice counts the audience within the area (the notice's scope
	// when ""), and its receipts. A team's notice counts its Members
	// (the area is not used).
	CountNotice(ctx context.Context, n Notice, within string) (NoticeCounts, error)
	// Unreached lists the people of the audience within the area who have
	// not read (or not confirmed, if the notice asks it), by area, role
	// and id, after the cursor, at most limit. A team's notice lists its
	// Members by id.
	Unreached(ctx context.Context, n Notice, within string, after UnreachedCursor, limit int) ([]Unreached, error)
	// Reached lists the people of the audience within the area who have
	// read it, with when they read and confirmed it, in the same order.
	Reached(ctx context.Context, n Notice, within string, after UnreachedCursor, limit int) ([]Unreached, error)
	// RemindNotice sets the notice's reminded time to at, only when it was
	// last reminded before notBefore: false when it was too recent.
	// It logs a remind event then (urgent notices log one when posted).
	RemindNotice(ctx context.Context, id int64, at, notBefore time.Time) (bool, error)
	NoticeEventsAfter(ctx context.Context, after int64, limit int) ([]NoticeEvent, error)
	// NoticeEventIDs lists the ids of a notice's events (its urgent post,
	// reminders, withdrawal), the sources of its messages.
	NoticeEventIDs(ctx context.Context, noticeID int64) ([]int64, error)
	// WithdrawNotice marks the notice withdrawn (by whom, when, why),
	// takes it out of the search index, stops its pending group posts and
	// logs a withdraw event, in one transaction; false when it was
	// withdrawn already.
	WithdrawNotice(ctx context.Context, id, by int64, reason string, at time.Time) (bool, error)

	CreateRobot(ctx context.Context, r NoticeRobot) (NoticeRobot, error)
	Robots(ctx context.Context, within []string) ([]NoticeRobot, error)
	RobotByID(ctx context.Context, id int64) (NoticeRobot, error)
	DisableRobot(ctx context.Context, id int64) error
	// DueRobotDeliveries leases up to limit pending deliveries due at now
	// (their next attempt moved to leaseUntil).
	DueRobotDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]RobotDelivery, error)
	// RecordRobotDelivery stores an attempt's outcome.
	RecordRobotDelivery(ctx context.Context, d RobotDelivery) error
	RobotDeliveries(ctx context.Context, robotID int64, limit int) ([]RobotDelivery, error)
	// SubscribedRobots lists the enabled robots that chose one of the
	// events besides notices.
	SubscribedRobots(ctx context.Context) ([]NoticeRobot, error)
	// RobotCursor is how far the named log (cases, requests) was walked.
	RobotCursor(ctx context.Context, source string) (int64, error)
	// EnqueueRobotPosts stores the posts as pending deliveries and moves
	// the named cursor from from to to, in one transaction, only when the
	// cursor is still at from (false: another instance took the stretch,
	// nothing written). A post already queued for its robot is kept once.
	EnqueueRobotPosts(ctx context.Context, source string, from, to int64, posts []RobotPost, at time.Time) (bool, error)
}

// AreaAndAncestors returns code and the codes of the areas above it, by
// the codes' shape (building 19 → grid 15 → community 12 → street 9 →
// district 6 → city).
func AreaAndAncestors(code string) []string {
	out := []string{code}
	for _, n := range []int{15, 12, 9, 6} {
		if len(code) > n {
			out = append(out, code[:n])
		}
	}
	if len(code) >= 6 && !strings.HasSuffix(code[:6], "00") {
		out = append(out, code[:4]+"00")
	}
	return out
}
