package civicgrid

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CaseStatus is where a case (工单) stands in the closed loop.
type CaseStatus string

// Statuses of the closed loop (GB/T 30428: 信息采集 → 立案 → 派遣 → 处置 →
// 反馈 → 核查结案 → 综合评价) and its side exits. docs/cases.md draws them.
const (
	StatusReported   CaseStatus = "reported"    // 已上报: waiting to be registered
	StatusRegistered CaseStatus = "registered"  // 已立案: accepted, waiting for dispatch
	StatusDispatched CaseStatus = "dispatched"  // 已派遣: with a grid worker or a department
	StatusInProgress CaseStatus = "in_progress" // 处置中: the assignee accepted it
	StatusHandled    CaseStatus = "handled"     // 已处置: evidence given, waiting for verification
	StatusVerified   CaseStatus = "verified"    // 已核查: the fix was checked
	StatusClosed     CaseStatus = "closed"      // 已结案
	StatusRated      CaseStatus = "rated"       // 已评价: the reporter rated it
	StatusSuspended  CaseStatus = "suspended"   // 挂账/缓办: approved pause, clock stopped
	StatusRejected   CaseStatus = "rejected"    // 不予受理, with a reason
	StatusMerged     CaseStatus = "merged"      // closed as a duplicate of another case
	StatusCancelled  CaseStatus = "cancelled"   // 作废, approved
)

// CaseStatuses lists every status in loop order.
var CaseStatuses = []CaseStatus{StatusReported, StatusRegistered, StatusDispatched, StatusInProgress, StatusHandled,
	StatusVerified, StatusClosed, StatusRated, StatusSuspended, StatusRejected, StatusMerged, StatusCancelled}

// Open reports whether a case in this status still waits for work.
func (s CaseStatus) Open() bool {
	switch s {
	case StatusClosed, StatusRated, StatusRejected, StatusMerged, StatusCancelled:
		return false
	}
	return true
}

// CaseAction is a step a person takes on a case.
type CaseAction string

const (
	CaseReport           CaseAction = "report"            // 上报: the case's first event
	CaseRegister         CaseAction = "register"          // 立案
	CaseReject           CaseAction = "reject"            // 不予受理 (reason from the list)
	CaseMerge            CaseAction = "merge"             // close as a duplicate of another case
	CaseReclassify       CaseAction = "reclassify"        // 改类: put the case in another category, with a reason
	CaseDispatch         CaseAction = "dispatch"          // 派遣 to a grid worker or a department
	CaseAccept           CaseAction = "accept"            // the assignee takes it on
	CaseReturn           CaseAction = "return"            // 回退 to the dispatcher, with a reason
	CaseHandle           CaseAction = "handle"            // 处置: evidence photo and note
	CaseSelfHandle       CaseAction = "self_handle"       // 自处置: a grid worker fixed it on the spot
	CaseVerify           CaseAction = "verify"            // 核查: the fix holds
	CaseRework           CaseAction = "rework"            // 返工: the fix does not hold
	CaseClose            CaseAction = "close"             // 结案
	CaseRate             CaseAction = "rate"              // 评价 1–5 by the reporter
	CaseReopen           CaseAction = "reopen"            // the reporter reopens within the window
	CaseRequestExtension CaseAction = "request_extension" // 延期申请
	CaseApproveExtension CaseAction = "approve_extension"
	CaseDenyExtension    CaseAction = "deny_extension"
	CaseRequestSuspend   CaseAction = "request_suspension" // 挂账/缓办申请
	CaseApproveSuspend   CaseAction = "approve_suspension"
	CaseDenySuspend      CaseAction = "deny_suspension"
	CaseResume           CaseAction = "resume"         // end a suspension
	CaseRequestCancel    CaseAction = "request_cancel" // 作废申请
	CaseApproveCancel    CaseAction = "approve_cancel"
	CaseDenyCancel       CaseAction = "deny_cancel"
	CaseComment          CaseAction = "comment"   // a note, no change of status
	CaseEscalate         CaseAction = "escalate"  // a deadline passed: one level up (by the system)
	CaseMeToo            CaseAction = "me_too"    // another reporter joins the case
	CaseMergedIn         CaseAction = "merged_in" // recorded on the kept case of a merge
)

// Pending approvals: a case waits for at most one at a time.
const (
	PendingNone       = ""
	PendingExtension  = "extension"
	PendingSuspension = "suspension"
	PendingCancel     = "cancel"
)

// Transition is one row of the state machine: who may take Action from which
// statuses, and where it leads.
type Transition struct {
	Action CaseAction
	From   []CaseStatus
	// To is the status after the action; "" keeps the status. StatusResume
	// (the status before the suspension) is resolved by the store.
	To CaseStatus
	// Permission is what Authorize is asked before the action.
	Permission Action
	// Needs is the pending approval the action answers ("" none); Opens is
	// the approval it asks for. An action with Opens is refused while
	// another approval is pending.
	Needs, Opens string
	NameZH       string
	NameEN       string
}

// statusBeforeSuspension stands for "the status the case had when it was
// suspended" in the table.
const statusBeforeSuspension CaseStatus = "(previous)"

// Working statuses: where the assignee's clock runs.
var working = []CaseStatus{StatusDispatched, StatusInProgress}

// CaseTransitions is the state machine, one explicit table; docs/cases.md
// is generated from it.
var CaseTransitions = []Transition{
	{CaseRegister, []CaseStatus{StatusReported}, StatusRegistered, ActionTriageCase, "", "", "立案", "Register"},
	{CaseReject, []CaseStatus{StatusReported}, StatusRejected, ActionTriageCase, "", "", "不予受理", "Reject"},
	{CaseMerge, []CaseStatus{StatusReported, StatusRegistered}, StatusMerged, ActionTriageCase, "", "", "合并", "Merge as duplicate"},
	{CaseReclassify, []CaseStatus{StatusReported, StatusRegistered}, "", ActionTriageCase, "", "", "改类", "Change category"},
	{CaseDispatch, []CaseStatus{StatusRegistered}, StatusDispatched, ActionDispatchCase, "", "", "派遣", "Dispatch"},
	{CaseAccept, []CaseStatus{StatusDispatched}, StatusInProgress, ActionWorkCase, "", "", "接单", "Accept"},
	{CaseReturn, working, StatusRegistered, ActionWorkCase, "", "", "回退", "Return to dispatcher"},
	{CaseHandle, []CaseStatus{StatusInProgress}, StatusHandled, ActionWorkCase, "", "", "处置反馈", "Report handled"},
	{CaseSelfHandle, []CaseStatus{StatusReported, StatusRegistered}, StatusHandled, ActionSelfHandleCase, "", "", "自处置", "Self-handled on the spot"},
	{CaseVerify, []CaseStatus{StatusHandled}, StatusVerified, ActionVerifyCase, "", "", "核查通过", "Verify"},
	{CaseRework, []CaseStatus{StatusHandled}, StatusInProgress, ActionVerifyCase, "", "", "返工", "Send back for rework"},
	{CaseClose, []CaseStatus{StatusVerified}, StatusClosed, ActionCloseCase, "", "", "结案", "Close"},
	{CaseRate, []CaseStatus{StatusClosed}, StatusRated, ActionRateCase, "", "", "评价", "Rate"},
	{CaseReopen, []CaseStatus{StatusClosed, StatusRated}, StatusRegistered, ActionRateCase, "", "", "重新打开", "Reopen"},
	{CaseRequestExtension, working, "", ActionWorkCase, "", PendingExtension, "延期申请", "Request extension"},
	{CaseApproveExtension, working, "", ActionApproveCase, PendingExtension, "", "批准延期", "Approve extension"},
	{CaseDenyExtension, working, "", ActionApproveCase, PendingExtension, "", "驳回延期", "Deny extension"},
	{CaseRequestSuspend, working, "", ActionWorkCase, "", PendingSuspension, "挂账申请", "Request suspension"},
	{CaseApproveSuspend, working, StatusSuspended, ActionApproveCase, PendingSuspension, "", "批准挂账", "Approve suspension"},
	{CaseDenySuspend, working, "", ActionApproveCase, PendingSuspension, "", "驳回挂账", "Deny suspension"},
	{CaseResume, []CaseStatus{StatusSuspended}, statusBeforeSuspension, ActionApproveCase, "", "", "恢复办理", "Resume"},
	{CaseRequestCancel, []CaseStatus{StatusReported, StatusRegistered, StatusDispatched, StatusInProgress}, "", ActionTriageCase, "", PendingCancel, "作废申请", "Request cancellation"},
	{CaseApproveCancel, []CaseStatus{StatusReported, StatusRegistered, StatusDispatched, StatusInProgress}, StatusCancelled, ActionApproveCase, PendingCancel, "", "批准作废", "Approve cancellation"},
	{CaseDenyCancel, []CaseStatus{StatusReported, StatusRegistered, StatusDispatched, StatusInProgress}, "", ActionApproveCase, PendingCancel, "", "驳回作废", "Deny cancellation"},
	{CaseComment, CaseStatuses, "", ActionReadCase, "", "", "备注", "Comment"},
	{CaseMeToo, []CaseStatus{StatusReported, StatusRegistered, StatusDispatched, StatusInProgress, StatusHandled, StatusVerified, StatusSuspended}, "", ActionReportCase, "", "", "我也遇到", "Me too"},
}

// LookupTransition returns the row for an action.
func LookupTransition(a CaseAction) (Transition, bool) {
	for _, t := range CaseTransitions {
		if t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// Step checks that action may be taken on a case in status with the given
// pending approval and returns the row and the status it leads to
// (prevStatus is the status before a suspension, for resume). An illegal
// step is an ECONFLICT error naming the actions the case allows.
func Step(status CaseStatus, pending string, prevStatus CaseStatus, action CaseAction) (Transition, CaseStatus, error) {
	t, ok := LookupTransition(action)
	if !ok {
		return Transition{}, "", Errorf(EINVALID, "unknown case action %q", action)
	}
	if !t.allows(status, pending) {
		return t, "", Errorf(ECONFLICT, "%s is not possible on a case that is %s%s; possible now: %s",
			action, status, pendingNote(pending), strings.Join(actionNames(AllowedCaseActions(status, pending)), ", "))
	}
	to := t.To
	switch to {
	case "":
		to = status
	case statusBeforeSuspension:
		to = prevStatus
		if to == "" {
			to = StatusInProgress
		}
	}
	return t, to, nil
}

func (t Transition) allows(status CaseStatus, pending string) bool {
	if !slices.Contains(t.From, status) {
		return false
	}
	if t.Needs != "" {
		return pending == t.Needs
	}
	// Asking for an approval waits until no other is pending; the main
	// steps of the loop do not wait (a pending extension does not stop
	// the work), except that nothing else happens while a cancellation is
	// being decided.
	if t.Opens != "" && pending != PendingNone {
		return false
	}
	if pending == PendingCancel && t.Action != CaseComment && t.Action != CaseMeToo {
		return false
	}
	return true
}

func pendingNote(p string) string {
	if p == "" {
		return ""
	}
	return " with a pending " + p + " request"
}

// AllowedCaseActions lists the actions the state machine allows now.
func AllowedCaseActions(status CaseStatus, pending string) []CaseAction {
	var out []CaseAction
	for _, t := range CaseTransitions {
		if t.allows(status, pending) {
			out = append(out, t.Action)
		}
	}
	return out
}

func actionNames(as []CaseAction) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	if len(out) == 0 {
		return []string{"nothing"}
	}
	return out
}

// Channels a case can come in by.
const (
	ChannelApp     = "app"     // a resident's or rider's phone (随手拍)
	ChannelPatrol  = "patrol"  // a grid worker's patrol
	ChannelHotline = "hotline" // entered by staff from a phone call
	ChannelOpen311 = "open311" // an Open311 client
)

// Case is a reported problem and where it stands.
type Case struct {
	ID       int64      `json:"id"`
	Category string     `json:"category"`
	Status   CaseStatus `json:"status"`
	Pending  string     `json:"pending,omitempty"` // an approval waited for
	// PendingDetail is what the pending request asks for (an extension's
	// limit, e.g. "2wd").
	PendingDetail string `json:"pending_detail,omitempty"`
	// PrevStatus is the status before a suspension.
	PrevStatus  CaseStatus `json:"-"`
	Channel     string     `json:"channel"`
	Description string     `json:"description"`
	Lat         float64    `json:"lat"`
	Lng         float64    `json:"lng"`
	Address     string     `json:"address,omitempty"`
	// GridCode places the case in the area tree: scope tests use it.
	GridCode     string `json:"grid_code"`
	BuildingCode string `json:"building_code,omitempty"`
	// The reporter: an account (ReporterID) or, for hotline entries, a name
	// and phone given on the phone. Masked in every view but the
	// reporter's own and logged unmasking.
	ReporterID    int64  `json:"reporter_id,omitempty"`
	ReporterName  string `json:"reporter_name,omitempty"`
	ReporterPhone string `json:"reporter_phone,omitempty"`
	// The assignee: a user, or a department (by name) whose handlers in
	// scope for the category take it.
	AssigneeID   int64  `json:"assignee_id,omitempty"`
	AssigneeDept string `json:"assignee_dept,omitempty"`
	MergedInto   int64  `json:"merged_into,omitempty"`
	MeToo        int    `json:"me_too"`
	Rating       int    `json:"rating,omitempty"`
	RatingNote   string `json:"rating_comment,omitempty"`
	Reworks      int    `json:"reworks"`
	Reopens      int    `json:"reopens"`
	Extensions   int    `json:"extensions"`
	SelfHandled  bool   `json:"self_handled"`
	// Escalation is how many levels above the grid the case has been
	// raised to by missed deadlines (1 community, 2 street, 3 district).
	Escalation int      `json:"escalation"`
	Photos     []string `json:"photos,omitempty"`
	// Deadlines: respond (register or reject) by RespondBy; resolve (hand in
	// the fix) by ResolveBy, which is set at dispatch and moved by approved
	// extensions and suspensions.
	RespondBy    time.Time `json:"respond_by,omitzero"`
	ResolveBy    time.Time `json:"resolve_by,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	RespondedAt  time.Time `json:"responded_at,omitzero"`
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	HandledAt    time.Time `json:"handled_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	SuspendedAt  time.Time `json:"suspended_at,omitzero"`
	// NextDeadline is when the scheduler must next look at the case (a
	// deadline that, when passed, escalates it); zero when no clock runs.
	NextDeadline time.Time `json:"next_deadline,omitzero"`
	// Version increases with every change (optimistic concurrency).
	Version int `json:"version"`
}

// Object is the case as the target of an access decision.
func (c Case) Object() Object {
	return Object{Areas: []string{c.GridCode}, Owner: c.ReporterID, Category: c.Category, Assignee: c.AssigneeID, Dept: c.AssigneeDept}
}

// Masked returns the case as staff see it by default: the reporter's name and
// phone masked.
func (c Case) Masked() Case {
	c.ReporterName = MaskName(c.ReporterName)
	c.ReporterPhone = MaskPhone(c.ReporterPhone)
	if c.ReporterPhone == "****" {
		c.ReporterPhone = ""
	}
	return c
}

// Public returns the case as anyone may see it: no reporter identity at all,
// no address, the location rounded to about 100 m.
func (c Case) Public() Case {
	c.ReporterID, c.ReporterName, c.ReporterPhone, c.Address, c.BuildingCode = 0, "", "", "", ""
	c.Lat = roundTo(c.Lat, 1e3)
	c.Lng = roundTo(c.Lng, 1e3)
	c.RatingNote = ""
	return c
}

// roundTo rounds v to 1/per (per 1e3: three decimals). Dividing by per,
// not multiplying by a step like 1e-3, gives the double nearest the decimal
// (30.58, not 30.580000000000002).
func roundTo(v, per float64) float64 {
	return math.Round(v*per) / per
}

// DataMediaURL is the report event's key for a picture kept elsewhere
// (Open311's media_url).
const DataMediaURL = "media_url"

// CaseEvent is one immutable entry in a case's history. Events are chained
// per case: Hash covers the previous event's hash and this event's fields,
// so a changed or removed event breaks the chain (civicgrid verify).
type CaseEvent struct {
	ID      int64      `json:"id"`
	CaseID  int64      `json:"case_id"`
	Seq     int        `json:"seq"` // 1, 2, … within the case
	At      time.Time  `json:"at"`
	ActorID int64      `json:"actor_id,omitempty"`
	Actor   string     `json:"actor"` // masked label, or "system"
	Action  CaseAction `json:"action"`
	From    CaseStatus `json:"from,omitempty"`
	To      CaseStatus `json:"to"`
	Note    string     `json:"note,omitempty"`
	// Data carries the action's details (reason, assignee, rating, new
	// deadline …) as flat strings.
	Data        map[string]string `json:"data,omitempty"`
	Attachments []string          `json:"attachments,omitempty"`
	PrevHash    string            `json:"prev_hash"`
	Hash        string            `json:"hash"`
}

// ChainHash computes the event's hash from PrevHash and every recorded field
// but ID and Hash, in a fixed order (times in milliseconds, Data with sorted
// keys), so any store computes the same value.
func (e CaseEvent) ChainHash() string {
	return LinkHash(e.PrevHash, strconv.FormatInt(e.CaseID, 10), strconv.Itoa(e.Seq),
		strconv.FormatInt(e.At.UnixMilli(), 10), strconv.FormatInt(e.ActorID, 10), e.Actor, string(e.Action),
		string(e.From), string(e.To), e.Note, HashedData(e.Data), strings.Join(e.Attachments, ","))
}

// VerifyChain checks a case's events in order: sequence numbers 1…n, each
// linked to the previous hash and each hash matching its fields. It returns
// nil or an error naming the first broken event.
func VerifyChain(events []CaseEvent) error {
	i, broken := CheckEvents(events, func(e CaseEvent) Link { return Link{e.Seq, e.PrevHash, e.Hash, e.ChainHash()} })
	if broken == ChainIntact {
		return nil
	}
	e := events[i]
	switch broken {
	case ChainSequence:
		return Errorf(ECONFLICT, "case %d: event %d has sequence number %d (an event is missing or inserted)", e.CaseID, i+1, e.Seq)
	case ChainLinkage:
		return Errorf(ECONFLICT, "case %d: event %d does not link to event %d's hash", e.CaseID, e.Seq, e.Seq-1)
	}
	return Errorf(ECONFLICT, "case %d: event %d (%s) was altered: its hash does not match its contents", e.CaseID, e.Seq, e.Action)
}

// Idempotency identifies a create request that may be retried.
type Idempotency struct {
	Scope       string // who sent it: "user:12" or "token:3"
	Key         string // the Idempotency-Key header
	RequestHash string // SHA-256 of the request body
}

// Category is one kind of problem, from the catalogue (data, editable by
// admins). Codes follow GB/T 30428 (2-digit class + 3-digit subclass) or a
// "C" code for community categories.
type Category struct {
	Code    string `json:"code"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	Group   string `json:"group"` // class, e.g. 市容环境
	Icon    string `json:"icon"`  // an emoji or an icon name
	Keyword string `json:"keywords,omitempty"`
	// Deadlines as workcal limits: "2h", "5wh", "1wd", "3d".
	RespondWithin string `json:"respond_within"`
	ResolveWithin string `json:"resolve_within"`
	// DefaultDept is the department normally dispatched; "" means the grid
	// worker of the grid.
	DefaultDept string `json:"default_dept,omitempty"`
	// Duplicates: open cases of this category within this radius and
	// window are offered as likely duplicates at intake.
	DuplicateRadiusM float64 `json:"duplicate_radius_m"`
	DuplicateHours   int     `json:"duplicate_hours"`
	Active           bool    `json:"active"`
}

// CategoryGroup is a heading the report page lists categories under, in
// residents' words (路面与设施, 环境卫生 …) rather than the standard's classes
// (Category.Group). Groups are data kept with the default catalogue.
type CategoryGroup struct {
	Key        string   `json:"key"`
	NameZH     string   `json:"name_zh"`
	NameEN     string   `json:"name_en"`
	Categories []string `json:"categories"` // codes, in the order shown
}

// CaseFilter selects cases for lists.
type CaseFilter struct {
	IDs        []int64  // only these cases (still within the scope)
	Within     []string // grid code prefixes; nil means none (not "all")
	All        bool     // the city-wide scope
	Status     []CaseStatus
	Category   []string
	ReporterID int64
	AssigneeID int64
	Since      time.Time
	Until      time.Time
	Overdue    bool // open cases past their deadline
	// BBox limits to cases inside [minLng, minLat, maxLng, maxLat].
	BBox   *[4]float64
	After  int64 // ids below this (cursor paging)
	Above  int64 // ids above this (what was stored since an id was seen)
	Offset int   // skip this many (page-number paging)
	Limit  int
	// Order is newest first (id descending) unless it names a time of
	// the case: then the oldest time first, ties by id, and only cases
	// with that time set (a work queue, worked from its oldest deadline).
	Order CaseOrder
	// From continues an ordered list after the case it names (keyset
	// paging: a case stored meanwhile neither repeats nor skips one).
	From *CaseCursor
}

// CaseOrder is the order of a case list.
type CaseOrder string

const (
	OrderNewest      CaseOrder = ""             // id descending
	OrderRespondBy   CaseOrder = "respond_by"   // the response deadline: cases waiting to be registered
	OrderRespondedAt CaseOrder = "responded_at" // registration time: cases waiting to be dispatched
)

// CaseCursor is where an ordered list stopped: the last case's time in the
// list's order and its id.
type CaseCursor struct {
	At time.Time
	ID int64
}

// Cursor is where a list in order o continues after c.
func (c Case) Cursor(o CaseOrder) CaseCursor {
	switch o {
	case OrderRespondBy:
		return CaseCursor{At: c.RespondBy, ID: c.ID}
	case OrderRespondedAt:
		return CaseCursor{At: c.RespondedAt, ID: c.ID}
	}
	return CaseCursor{ID: c.ID}
}

// CaseSpot is where and when a case was reported.
type CaseSpot struct {
	ID        int64
	Lat, Lng  float64
	CreatedAt time.Time
}

// NewCase is a new case to store: the case as its first event and the
// steps taken with it (Then) leave it, with those events.
type NewCase struct {
	Case  Case
	Event CaseEvent
	Then  []CaseEvent
}

// CaseStore keeps cases, their events and the category catalogue.
type CaseStore interface {
	Categories(ctx context.Context) ([]Category, error)
	PutCategory(ctx context.Context, c Category) error
	// CreateCase stores a new case with its first event, and the events of
	// steps taken in the same request (then: a patrol report handled on the
	// spot), c being the case after them. With idem set, a case made
	// earlier under the same key is returned instead (existing true); the
	// same key with another request hash is ECONFLICT.
	CreateCase(ctx context.Context, c Case, ev CaseEvent, idem *Idempotency, then ...CaseEvent) (stored Case, existing bool, err error)
	// CreateCases stores new cases, each as CreateCase without a key, all
	// in one transaction and numbered in their order (bulk seeding); none
	// is stored if one fails. It returns them as stored.
	CreateCases(ctx context.Context, cs []NewCase) ([]Case, error)
	CaseByID(ctx context.Context, id int64) (Case, error)
	ListCases(ctx context.Context, f CaseFilter) ([]Case, error)
	// OpenCaseSpots returns where the open cases of a category reported
	// since a time with ids above a given one lie, in one read: what the
	// duplicate check keeps in memory.
	OpenCaseSpots(ctx context.Context, category string, since time.Time, above int64) ([]CaseSpot, error)
	// UpdateCases stores each case (which must still be at its Version) and
	// appends its event to its chain, all in one transaction; ECONFLICT if
	// a case changed meanwhile. It returns the stored cases.
	UpdateCases(ctx context.Context, cs []Case, evs []CaseEvent) ([]Case, error)
	CaseEvents(ctx context.Context, caseID int64) ([]CaseEvent, error)
	// AddSupporter counts a "me too" from a person once; added is false when
	// they had already joined (nothing is written then).
	AddSupporter(ctx context.Context, c Case, userID int64, ev CaseEvent) (stored Case, added bool, err error)
	// NextDeadline returns the earliest pending deadline of any open case
	// (zero if none); DueCases the open cases whose deadline has passed.
	NextDeadline(ctx context.Context) (time.Time, error)
	DueCases(ctx context.Context, now time.Time, limit int) ([]Case, error)
	// ForEachCaseChain streams every case's events, for verification.
	ForEachCaseChain(ctx context.Context, fn func(caseID int64, events []CaseEvent) error) error
}

// LoggedCaseEvent is a case event read from the log with the case as it
// stands now.
type LoggedCaseEvent struct {
	Event CaseEvent
	Case  Case
}

// CaseEventLog reads the case event log in order. Services that act on
// every event (webhooks, notifications) walk it with a cursor of their own
// that they move in the same transaction as what they make of the events,
// so nothing is lost or made twice across restarts.
type CaseEventLog interface {
	// EventsAfter returns up to limit case events after the cursor, oldest
	// first, each with its case.
	EventsAfter(ctx context.Context, cursor int64, limit int) ([]LoggedCaseEvent, error)
}
