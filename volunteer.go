package civicgrid

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Volunteer service (志愿服务): a resident asks for help (代购, 助餐, 陪诊 …)
// for themselves, or a grid worker, building role or community staff asks
// on behalf of someone (代办); the community verifies and answers each
// request (志愿服务条例 art. 13: accept, or decline with a reason); a
// volunteer whose area covers the building claims it (接单) — exactly once,
// nobody is assigned by force (art. 25) — signs in at the place and out,
// and the time served becomes hours, which the requester (or staff for
// them) confirms and rates. Every step is an event of the request's
// hash-chained history. docs/volunteers.md states the flows and fields.

// VolunteerService is one kind of help in the catalogue, with the skills
// it needs (codes of VolunteerSkills): a request for it needs them.
type VolunteerService struct {
	Code    string   `json:"code"`
	NameZH  string   `json:"name_zh"`
	NameEN  string   `json:"name_en"`
	Minutes int      `json:"minutes"` // default duration
	Skills  []string `json:"skills,omitempty"`
	// Insured: only a volunteer whose insurance covers the day claims it
	// (escorting someone out, repairs).
	Insured bool `json:"needs_insurance,omitempty"`
}

// VolunteerServices is the service catalogue, held as data.
var VolunteerServices = []VolunteerService{
	{"shopping", "代购", "Shopping errands", 60, nil, false},
	{"meals", "助餐", "Meals", 60, []string{"cooking"}, false},
	{"clinic", "陪诊", "Clinic escort", 180, []string{"escort"}, true},
	{"cleaning", "助洁", "Cleaning", 120, nil, false},
	{"haircut", "理发", "Haircut", 45, []string{"haircut"}, false},
	{"repair", "维修", "Small repairs", 60, []string{"repair"}, true},
	{"company", "陪伴", "Company and comfort", 60, []string{"counselling"}, false},
	{"paperwork", "代办手续", "Paperwork on someone's behalf", 120, []string{"digital"}, false},
}

// LookupVolunteerService returns a catalogue entry.
func LookupVolunteerService(code string) (VolunteerService, bool) {
	i := slices.IndexFunc(VolunteerServices, func(s VolunteerService) bool { return s.Code == code })
	if i < 0 {
		return VolunteerService{}, false
	}
	return VolunteerServices[i], true
}

// HelpStatus is where a request for help stands.
type HelpStatus string

const (
	HelpPosted    HelpStatus = "posted"     // waiting for the community to verify it
	HelpAccepted  HelpStatus = "accepted"   // verified: open for volunteers to claim
	HelpDeclined  HelpStatus = "declined"   // declined by staff, with a reason
	HelpClaimed   HelpStatus = "claimed"    // a volunteer took it
	HelpInService HelpStatus = "in_service" // the volunteer signed in at the place
	HelpDone      HelpStatus = "done"       // signed out: hours recorded, waiting for confirmation
	HelpConfirmed HelpStatus = "confirmed"  // the requester (or staff) confirmed and rated
	HelpCancelled HelpStatus = "cancelled"  // withdrawn by the requester or staff
)

// Urgency of a request.
const (
	UrgencyNormal = "normal"
	UrgencyUrgent = "urgent"
)

// Limits of what a person writes.
const (
	MaxHelpNote    = 500
	MaxHelpAddress = 200
	MaxHelpReason  = 500
	MaxHelpWindow  = 14 * 24 * time.Hour
)

// HelpRequest is a request for help (需求). Address, Beneficiary and
// Contact are personal: shown only to whoever may see the address
// (ActionSeeHelpAddress: the poster, the volunteer who took it, staff).
type HelpRequest struct {
	ID           int64      `json:"id"`
	Service      string     `json:"service"`
	BuildingCode string     `json:"building_code"` // the place
	Address      string     `json:"address,omitempty"`
	Beneficiary  string     `json:"beneficiary,omitempty"` // the person helped, when posted on their behalf
	Contact      string     `json:"contact,omitempty"`     // a phone to reach them
	Note         string     `json:"note,omitempty"`
	Urgency      string     `json:"urgency"`
	WindowStart  time.Time  `json:"window_start"`
	WindowEnd    time.Time  `json:"window_end"`
	Status       HelpStatus `json:"status"`
	PosterID     int64      `json:"-"`
	Poster       string     `json:"poster"` // masked label
	OnBehalf     bool       `json:"on_behalf"`
	VolunteerID  int64      `json:"-"`
	Volunteer    string     `json:"volunteer,omitempty"` // masked label
	Reason       string     `json:"reason,omitempty"`    // why declined, released or cancelled
	SignInAt     time.Time  `json:"sign_in_at,omitzero"`
	SignOutAt    time.Time  `json:"sign_out_at,omitzero"`
	Minutes      int        `json:"minutes,omitempty"` // time served, rounded
	Rating       int        `json:"rating,omitempty"`  // 1–5
	Comment      string     `json:"comment,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// OpenedAt is when it was last opened to volunteers (accepted, or
	// reopened by a release); TakeBy is when it should be taken by
	// (OpenedAt + the take-within limit; cleared once taken) and UntakenAt
	// when the scheduler found it still untaken past TakeBy (escalated to
	// the community's staff, once per opening).
	OpenedAt  time.Time `json:"opened_at,omitzero"`
	TakeBy    time.Time `json:"take_by,omitzero"`
	UntakenAt time.Time `json:"untaken_at,omitzero"`
	// Light is the traffic light of the clock for taking it (green,
	// yellow, red), set by the service while the request is open.
	Light string `json:"light,omitempty"`
	// Origin names where a request asked on a person's behalf by another
	// module came from (a care visit: "care-visit:ID"), once: asking again
	// from the same origin returns the first request. Not shown.
	Origin string `json:"-"`
	// CaseID is the case the request was made from, or the case it was
	// turned into (CaseLinks): shown only to readers who may read the case.
	CaseID int64 `json:"-"`
	// Needs are the codes of HelpNeeds the request needs: the service's
	// skills and those asked for.
	Needs []string `json:"needs"`
	// DistanceM is the distance from the volunteer who asked for a list
	// (not stored); -1 when unknown.
	DistanceM float64 `json:"distance_m,omitempty"`
	// SignCode is the short code the person helped shows the volunteer to
	// sign in and out by (set when it is claimed): shown only to the poster
	// and staff, never to the volunteer. Held says why the record waits for
	// staff confirmation (HoldFar, HoldOverWindow; comma-separated).
	SignCode string `json:"sign_code,omitempty"`
	Held     string `json:"held,omitempty"`
}

// Object is the request as the object of an access decision: it lies at
// its building, belongs to its poster and is assigned to its volunteer.
func (r HelpRequest) Object() Object {
	return Object{Areas: []string{r.BuildingCode}, Owner: r.PosterID, Assignee: r.VolunteerID}
}

// Masked returns the request without its personal fields, for whoever may
// not see the address.
func (r HelpRequest) Masked() HelpRequest {
	r.Address, r.Contact = "", MaskPhone(r.Contact)
	r.Beneficiary = MaskName(r.Beneficiary)
	return r
}

// HelpInput is what a person writes to ask for help.
type HelpInput struct {
	Service      string    `json:"service"`
	BuildingCode string    `json:"building_code"`
	Address      string    `json:"address"`
	Beneficiary  string    `json:"beneficiary"` // on behalf of someone: their name
	Contact      string    `json:"contact"`
	Note         string    `json:"note"`
	Urgency      string    `json:"urgency"`
	WindowStart  time.Time `json:"window_start"`
	WindowEnd    time.Time `json:"window_end"` // zero: start + the service's default duration
	// Needs are what the volunteer should bring besides the service's own
	// skills (codes of HelpNeeds: a driver, a woman volunteer, sign
	// language …); the request needs both.
	Needs []string `json:"needs"`
}

// Check validates the input and returns the request it makes (status
// posted), every problem named at once.
func (in HelpInput) Check(now time.Time) (HelpRequest, error) {
	var ps []Problem
	svc, ok := LookupVolunteerService(in.Service)
	if !ok {
		codes := make([]string, len(VolunteerServices))
		for i, s := range VolunteerServices {
			codes[i] = s.Code
		}
		ps = append(ps, Problem{Index: -1, Code: in.Service, Kind: "service", Detail: "one of " + strings.Join(codes, ", ")})
	}
	if LevelOfCode(in.BuildingCode) != LevelBuilding {
		ps = append(ps, Problem{Index: -1, Code: in.BuildingCode, Kind: "building_code", Detail: "the place of a request is a building (19 digits)"})
	}
	in.Address, in.Note, in.Beneficiary, in.Contact = strings.TrimSpace(in.Address), strings.TrimSpace(in.Note), strings.TrimSpace(in.Beneficiary), strings.TrimSpace(in.Contact)
	if utf8.RuneCountInString(in.Address) > MaxHelpAddress {
		ps = append(ps, Problem{Index: -1, Kind: "address", Detail: "at most " + strconv.Itoa(MaxHelpAddress) + " characters"})
	}
	if utf8.RuneCountInString(in.Note) > MaxHelpNote {
		ps = append(ps, Problem{Index: -1, Kind: "note", Detail: "at most " + strconv.Itoa(MaxHelpNote) + " characters"})
	}
	if utf8.RuneCountInString(in.Beneficiary) > 50 || utf8.RuneCountInString(in.Contact) > 20 {
		ps = append(ps, Problem{Index: -1, Kind: "beneficiary", Detail: "a name of at most 50 characters and a phone of at most 20"})
	}
	switch in.Urgency {
	case "":
		in.Urgency = UrgencyNormal
	case UrgencyNormal, UrgencyUrgent:
	default:
		ps = append(ps, Problem{Index: -1, Code: in.Urgency, Kind: "urgency", Detail: "normal or urgent"})
	}
	if in.WindowStart.IsZero() {
		in.WindowStart = now
	}
	if in.WindowEnd.IsZero() && ok {
		in.WindowEnd = in.WindowStart.Add(time.Duration(svc.Minutes) * time.Minute)
	}
	switch {
	case !in.WindowEnd.After(in.WindowStart):
		ps = append(ps, Problem{Index: -1, Kind: "window", Detail: "the time window must end after it starts"})
	case in.WindowEnd.Before(now):
		ps = append(ps, Problem{Index: -1, Kind: "window", Detail: "the time window is already over"})
	case in.WindowEnd.Sub(in.WindowStart) > MaxHelpWindow:
		ps = append(ps, Problem{Index: -1, Kind: "window", Detail: "a time window of at most 14 days"})
	}
	needs, nps := checkNeeds(svc.Skills, in.Needs)
	ps = append(ps, nps...)
	if len(ps) > 0 {
		return HelpRequest{}, &Error{Code: EINVALID, Message: "the request for help is not valid", Problems: ps}
	}
	ms := func(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }
	return HelpRequest{Service: in.Service, BuildingCode: in.BuildingCode, Address: in.Address, Beneficiary: in.Beneficiary,
		Contact: in.Contact, Note: in.Note, Urgency: in.Urgency, WindowStart: ms(in.WindowStart), WindowEnd: ms(in.WindowEnd),
		Status: HelpPosted, OnBehalf: in.Beneficiary != "", CreatedAt: ms(now), UpdatedAt: ms(now), Needs: needs}, nil
}

// HelpStep is a change of a request's status: allowed only from From.
type HelpStep struct {
	Action string // the event's action
	From   []HelpStatus
	To     HelpStatus
}

// Request history actions, and the steps between statuses (the whole
// state machine; the store applies a step only while the request is still
// in one of From, in the step's own transaction).
const (
	HelpActPosted    = "request.posted"
	HelpActAccepted  = "request.accepted"
	HelpActDeclined  = "request.declined"
	HelpActClaimed   = "request.claimed"
	HelpActReleased  = "request.released"
	HelpActSignedIn  = "request.signed_in"
	HelpActSignedOut = "request.signed_out"
	HelpActConfirmed = "request.confirmed"
	HelpActCancelled = "request.cancelled"
	// HelpActUntaken is written by the deadline scheduler when an open
	// request is still not taken past its take-by time.
	HelpActUntaken = "request.untaken"
	// HelpActInvited: staff invited a volunteer (data: invitation);
	// HelpActInviteDeclined: the volunteer declined (note: the reason).
	// An accepted invitation is the claim (request.claimed, data:
	// invitation).
	HelpActInvited        = "request.invited"
	HelpActInviteDeclined = "request.invitation_declined"
)

var (
	StepAccept  = HelpStep{HelpActAccepted, []HelpStatus{HelpPosted}, HelpAccepted}
	StepDecline = HelpStep{HelpActDeclined, []HelpStatus{HelpPosted}, HelpDeclined}
	StepClaim   = HelpStep{HelpActClaimed, []HelpStatus{HelpAccepted}, HelpClaimed}
	StepRelease = HelpStep{HelpActReleased, []HelpStatus{HelpClaimed}, HelpAccepted}
	StepSignIn  = HelpStep{HelpActSignedIn, []HelpStatus{HelpClaimed}, HelpInService}
	StepSignOut = HelpStep{HelpActSignedOut, []HelpStatus{HelpInService}, HelpDone}
	StepConfirm = HelpStep{HelpActConfirmed, []HelpStatus{HelpDone}, HelpConfirmed}
	StepCancel  = HelpStep{HelpActCancelled, []HelpStatus{HelpPosted, HelpAccepted, HelpClaimed}, HelpCancelled}
)

// Allows reports whether the step may be taken from status.
func (s HelpStep) Allows(status HelpStatus) bool { return slices.Contains(s.From, status) }

// Refusal is the error for a step taken on a request in the wrong status,
// naming the rule.
func (s HelpStep) Refusal(r HelpRequest) error {
	switch {
	case s.To == HelpClaimed && (r.Status == HelpClaimed || r.Status == HelpInService || r.Status == HelpDone || r.Status == HelpConfirmed):
		return Errorf(ECONFLICT, "request %d is taken: another volunteer claimed it first", r.ID)
	case r.Status == HelpCancelled:
		return Errorf(ECONFLICT, "request %d was cancelled: nothing more can be done on it", r.ID)
	case s.To == HelpClaimed && r.Status == HelpPosted:
		return Errorf(ECONFLICT, "request %d is not verified yet: the community checks each request before volunteers may claim it", r.ID)
	case s.To == HelpDone && r.Status == HelpClaimed:
		return Errorf(ECONFLICT, "request %d: sign in at the place before signing out", r.ID)
	case s.To == HelpInService && r.Status != HelpClaimed:
		return Errorf(ECONFLICT, "request %d is %s: sign-in is taken once, on a claimed request", r.ID, r.Status)
	}
	froms := make([]string, len(s.From))
	for i, f := range s.From {
		froms[i] = string(f)
	}
	return Errorf(ECONFLICT, "request %d is %s: %s is possible only when it is %s", r.ID, r.Status, strings.TrimPrefix(s.Action, "request."), strings.Join(froms, " or "))
}

// HelpChange is what a step writes besides the status. Volunteer, when
// set, must be the request's volunteer (serving steps), and Claimer, when
// set, becomes it (a claim) within ClaimLimit open claims.
type HelpChange struct {
	Volunteer      int64 // guard: only this volunteer's request
	Claimer        int64 // claim: the new volunteer
	ClaimerLabel   string
	ClaimLimit     int
	ClearVolunteer bool // release
	// Invitation, on a claim, is the invitation the claimer accepts: it
	// turns accepted in the claim's transaction, or the claim is refused.
	Invitation int64
	// TakeBy, on a step that opens the request (accept, release), is when
	// it should be taken by (zero: no limit).
	TakeBy    time.Time
	Reason    string
	SignInAt  time.Time
	SignOutAt time.Time
	Minutes   int
	Rating    int
	Comment   string
	// CaseID links the request to the case it became (RequestToCase).
	CaseID int64
	// SignCode, on a claim, is the new sign-in code; Hold, when set,
	// replaces the record's hold; ClearHold (staff's confirmation) clears it.
	SignCode  string
	Hold      string
	ClearHold bool
	// Credit, on confirmation, pays the request's minutes from Credit.From
	// (the community's issuing account) to its volunteer in the same
	// transaction; the store fills To, Minutes and RequestID.
	Credit *LedgerTransfer
	// Spend, on confirmation, has the person helped pay the request's
	// minutes from Spend.From to the issuing account Spend.To in the same
	// transaction: refused at the floor, and then nothing is written.
	Spend *LedgerTransfer
}

// RoundMinutes rounds served time to the nearest multiple of step minutes
// (half up); a positive service never rounds to nothing.
func RoundMinutes(d time.Duration, step int) int {
	m := int(d / time.Minute)
	if step <= 1 {
		if m == 0 && d > 0 {
			return 1
		}
		return m
	}
	r := (m + step/2) / step * step
	if r == 0 && d > 0 {
		r = step
	}
	return r
}

// VolunteerEvent is one entry of a request's hash-chained history.
type VolunteerEvent struct {
	ID        int64             `json:"id"`
	RequestID int64             `json:"request_id"`
	Seq       int               `json:"seq"`
	At        time.Time         `json:"at"`
	ActorID   int64             `json:"-"`
	Actor     string            `json:"actor"` // masked label
	Action    string            `json:"action"`
	Note      string            `json:"note,omitempty"`
	Data      map[string]string `json:"data,omitempty"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

// ChainHash computes the event's hash over PrevHash and every field but ID
// and Hash (LinkHash, the one chain of every module).
func (e VolunteerEvent) ChainHash() string {
	return LinkHash(e.PrevHash, "request:"+strconv.FormatInt(e.RequestID, 10), strconv.Itoa(e.Seq), strconv.FormatInt(e.At.UnixMilli(), 10),
		strconv.FormatInt(e.ActorID, 10), e.Actor, e.Action, e.Note, HashedData(e.Data))
}

// VerifyVolunteerChain checks one request's events in order.
func VerifyVolunteerChain(events []VolunteerEvent) error {
	i, broken := CheckEvents(events, func(e VolunteerEvent) Link { return Link{e.Seq, e.PrevHash, e.Hash, e.ChainHash()} })
	if broken == ChainIntact {
		return nil
	}
	e := events[i]
	return Errorf(ECONFLICT, "volunteer request %d: event %d (%s) %s", e.RequestID, i+1, e.Action, broken.Describe())
}

// HelpOpened is a request for help opened to volunteers (the community
// verified it), as other modules hear of it: what service, at which
// building, how urgent, when — no beneficiary, address, contact or note.
type HelpOpened struct {
	EventID      int64 // its position in the log
	RequestID    int64
	Service      string
	BuildingCode string
	Urgency      string
	At           time.Time
}

// HelpLog is volunteering's log of requests opened to volunteers, walked
// by a cursor of the reader's own (the group robots of notices).
type HelpLog interface {
	// OpenedAfter returns the requests opened after the cursor (up to
	// limit log entries read) and the cursor after the last entry read.
	OpenedAfter(ctx context.Context, cursor int64, limit int) ([]HelpOpened, int64, error)
}

// Invitation statuses.
const (
	InvitationOpen     = "invited"
	InvitationAccepted = "accepted" // the volunteer claimed the request
	InvitationDeclined = "declined"
)

// HelpInvitation is staff's invitation of an approved volunteer to an open
// request: nothing happens until the volunteer accepts it, which claims
// the request (the same exactly-once claim), or declines it. Nobody is
// assigned by force (志愿服务条例 art. 25).
type HelpInvitation struct {
	ID          int64     `json:"id"`
	RequestID   int64     `json:"request_id"`
	VolunteerID int64     `json:"-"`
	Volunteer   string    `json:"volunteer"` // masked label
	InvitedByID int64     `json:"-"`
	InvitedBy   string    `json:"invited_by"` // masked label
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"` // why declined
	CreatedAt   time.Time `json:"created_at"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// VolunteerStore keeps requests for help and their histories. Every change
// is written with its event, chained to the request's history, in one
// transaction.
type VolunteerStore interface {
	TimeBankStore
	CertificateStore
	CertificateRecordStore
	VolunteerProfileStore
	VolunteerRecordStore
	VolunteerCodeStore
	TeamStore
	ServicePointStore
	VolunteerRollupStore
	// CreateHelpRequest stores a new request with its first event; a
	// request with an Origin already stored returns that one, unchanged.
	CreateHelpRequest(ctx context.Context, r HelpRequest, ev VolunteerEvent) (HelpRequest, error)
	HelpRequestByID(ctx context.Context, id int64) (HelpRequest, error)
	// HelpRequestOfCase returns the request linked to a case (ENOTFOUND:
	// none).
	HelpRequestOfCase(ctx context.Context, caseID int64) (HelpRequest, error)
	// HelpRequests lists requests at buildings in the subtrees, in one of
	// statuses (all when empty), oldest first, at most limit.
	HelpRequests(ctx context.Context, within []string, statuses []HelpStatus, limit int) ([]HelpRequest, error)
	// HelpRequestsOf lists the requests a person posted or serves, newest first.
	HelpRequestsOf(ctx context.Context, userID int64, limit int) ([]HelpRequest, error)
	// StepHelp moves a request by step with change, as one conditional
	// update: ECONFLICT (step.Refusal) when the request is no longer in
	// step.From, is another volunteer's, or the claimer holds ClaimLimit
	// open claims; nothing is written then.
	StepHelp(ctx context.Context, id int64, step HelpStep, change HelpChange, ev VolunteerEvent) (HelpRequest, error)
	// VolunteerMinutes sums the confirmed and the recorded (done, not yet
	// confirmed) minutes a volunteer served.
	VolunteerMinutes(ctx context.Context, userID int64) (confirmed, pending int, err error)
	VolunteerEvents(ctx context.Context, requestID int64) ([]VolunteerEvent, error)
	// VolunteerEventsAfter returns up to limit events of every request
	// after the id, oldest first (the log other modules walk).
	VolunteerEventsAfter(ctx context.Context, after int64, limit int) ([]VolunteerEvent, error)
	// LastVolunteerEventID is the highest event id (0 when none): where a
	// follower of the log starts.
	LastVolunteerEventID(ctx context.Context) (int64, error)
	// NextHelpTakeBy is the earliest take-by time of an open request not
	// yet marked untaken (zero: none): the deadline scheduler's index.
	NextHelpTakeBy(ctx context.Context) (time.Time, error)
	// MarkUntakenHelp marks up to limit open requests past their take-by
	// time untaken, each once, with a request.untaken event in the same
	// transaction, and says how many.
	MarkUntakenHelp(ctx context.Context, now time.Time, limit int) (int, error)
	// InviteHelp stores an open invitation with its event, while the
	// request is open (accepted): ECONFLICT when it is not, or when the
	// volunteer already holds an open invitation to it.
	InviteHelp(ctx context.Context, inv HelpInvitation, ev VolunteerEvent) (HelpInvitation, error)
	HelpInvitationByID(ctx context.Context, id int64) (HelpInvitation, error)
	// HelpInvitationsOf lists a volunteer's open invitations to requests
	// still open, oldest first.
	HelpInvitationsOf(ctx context.Context, volunteerID int64, limit int) ([]HelpInvitation, error)
	// HelpInvitationsFor lists a request's invitations, oldest first.
	HelpInvitationsFor(ctx context.Context, requestID int64) ([]HelpInvitation, error)
	// DeclineHelpInvitation turns an open invitation declined with its
	// event: ECONFLICT when it is no longer open.
	DeclineHelpInvitation(ctx context.Context, id int64, reason string, ev VolunteerEvent) (HelpInvitation, error)
	// ForEachVolunteerChain calls fn with each request's history, for verify.
	ForEachVolunteerChain(ctx context.Context, fn func(requestID int64, events []VolunteerEvent) error) error
}

// Time bank (时间银行): an append-only double-entry ledger in minutes. Every
// transfer is two entries of one transaction that sum to zero: confirmed
// service debits the community's issuing account and credits the
// volunteer's; staff grant or adjust with a reason. A member's balance
// never goes below the floor; an issuing account may (it issues time).
// The ledger sums to zero and every balance equals the sum of its entries:
// `civicgrid verify` checks both.

// Ledger entry kinds.
const (
	LedgerService = "service" // a confirmed service credits the volunteer
	LedgerGrant   = "grant"   // staff grant (positive) or take back (negative), with a reason
	LedgerSpend   = "spend"   // the person helped pays for a confirmed service from their balance
	// LedgerDonation: a member gives minutes of their balance to a family
	// member (a resident of their community), with a reason.
	LedgerDonation = "donation"
)

// MemberAccount is a person's time-bank account.
func MemberAccount(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// IssuerAccount is the issuing account of the community an area code lies
// in (a building's or a grid's code starts with its community's 12 digits).
func IssuerAccount(code string) string {
	if len(code) >= 12 {
		code = code[:12]
	}
	return "community:" + code
}

// IsMemberAccount reports whether the floor applies to the account.
func IsMemberAccount(account string) bool { return strings.HasPrefix(account, "user:") }

// LedgerTransfer moves minutes From one account To another: two entries,
// one transaction. FromFloor is the lowest balance From may reach when it
// is a member's account.
type LedgerTransfer struct {
	From, To  string
	Minutes   int
	Kind      string
	Reason    string
	ActorID   int64
	Actor     string // masked label
	RequestID int64  // the service, for LedgerService
	At        time.Time
	FromFloor int
}

// LedgerEntry is one side of a transfer.
type LedgerEntry struct {
	ID        int64     `json:"id"`
	Txn       int64     `json:"txn"`
	Account   string    `json:"account"`
	Minutes   int       `json:"minutes"` // signed: + credit, − debit
	Kind      string    `json:"kind"`
	Reason    string    `json:"reason,omitempty"`
	Actor     string    `json:"actor"`
	RequestID int64     `json:"request_id,omitempty"`
	At        time.Time `json:"at"`
}

// LedgerCursor is the position of an entry in an account's statement,
// newest first: a page goes on before it.
type LedgerCursor struct {
	At time.Time
	ID int64
}

// String is the cursor as a page's link carries it: milliseconds-id.
func (c LedgerCursor) String() string {
	return strconv.FormatInt(c.At.UnixMilli(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseLedgerCursor reads a cursor of String's form.
func ParseLedgerCursor(s string) (LedgerCursor, error) {
	at, id, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || ms < 0 || n <= 0 {
		return LedgerCursor{}, Errorf(EINVALID, "before: a statement position (milliseconds-id, as the older link gives it)")
	}
	return LedgerCursor{At: time.UnixMilli(ms), ID: n}, nil
}

// FloorRefusal is the error for a transfer that would take a member's
// balance below the floor; nothing is written.
func FloorRefusal(account string, balance, minutes, floor int) error {
	return Errorf(ECONFLICT, "time bank floor: %s holds %d minutes; taking %d would leave %d, below the floor of %d minutes", account, balance, minutes, balance-minutes, floor)
}

// TimeBankCheck is what verify found in the ledger.
type TimeBankCheck struct {
	Accounts   int
	Entries    int
	Sum        int64    // of every entry: 0
	Unbalanced []int64  // transactions whose entries do not sum to zero
	Mismatched []string // accounts whose balance differs from their entries
}

// StarThresholdsHours are the confirmed hours of each star level (一星 …
// 五星), the common standard; held as data.
var StarThresholdsHours = []int{100, 300, 600, 1000, 1500}

// StarLevel returns the star level of confirmed minutes under thresholds
// (hours, ascending) and the hours of the next level (0 at the top).
func StarLevel(confirmedMinutes int, thresholds []int) (stars, nextHours int) {
	for _, h := range thresholds {
		if confirmedMinutes < h*60 {
			return stars, h
		}
		stars++
	}
	return stars, 0
}

// TimeBankStore keeps the ledger.
type TimeBankStore interface {
	// Transfer writes both entries and both balances in one transaction;
	// FloorRefusal (nothing written) when From is a member's account and
	// would go below FromFloor.
	Transfer(ctx context.Context, t LedgerTransfer) error
	// LedgerEntries lists an account's entries in [from, to), oldest first,
	// with the balance before from.
	LedgerEntries(ctx context.Context, account string, from, to time.Time) (opening int, entries []LedgerEntry, err error)
	// LedgerPage lists up to limit of an account's entries newest first
	// (by time, then id), those before the cursor when it is not nil: a
	// keyset page, whatever the account's length.
	LedgerPage(ctx context.Context, account string, before *LedgerCursor, limit int) ([]LedgerEntry, error)
	Balance(ctx context.Context, account string) (int, error)
	// Balances returns the balances of those of the accounts that exist.
	Balances(ctx context.Context, accounts []string) (map[string]int, error)
	CheckTimeBank(ctx context.Context) (TimeBankCheck, error)
}

// Certificates (志愿服务记录证明): a volunteer asks for a certificate of the
// hours they served in a period; the community where the service was
// recorded issues it ("whoever records certifies", MCA order No. 67), so a
// period with service in two communities makes two certificates. Each has
// a number and a verification code; anyone holding the code can check it
// on the public page, which shows only the masked name, hours, period and
// issuer.

// VolunteerCertificate is an issued certificate.
type VolunteerCertificate struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code,omitempty"` // the verification code
	UserID     int64     `json:"-"`
	Name       string    `json:"name"` // full to its holder, masked on verification
	Community  string    `json:"community_code"`
	Issuer     string    `json:"issuer"` // the community's name
	From       time.Time `json:"from"`   // first day of the period (China time)
	To         time.Time `json:"to"`     // the day after the period
	Minutes    int       `json:"minutes"`
	Services   int       `json:"services"` // how many services the minutes come from
	IssuedAt   time.Time `json:"issued_at"`
	StarsAtEnd int       `json:"stars"` // the star level of all confirmed hours when issued
	// VolunteerNo and IDMasked are the holder's volunteer number and
	// masked ID number as registered when it was issued (empty when the
	// registration had none, and on certificates issued before migration
	// 0050); the public check shows neither.
	VolunteerNo string `json:"volunteer_number,omitempty"`
	IDMasked    string `json:"id_number,omitempty"`
	// Records are the service records counted, as they were when issued
	// (volunteer_certificate.go): a later correction does not change them.
	Records      []CertificateRecord `json:"records,omitempty"`
	IssuedByID   int64               `json:"-"`
	IssuedBy     string              `json:"issued_by,omitempty"` // masked label of whoever issued it
	RevokedAt    *time.Time          `json:"revoked_at,omitempty"`
	RevokeReason string              `json:"revoke_reason,omitempty"`
	RevokedBy    string              `json:"revoked_by,omitempty"` // masked label
}

// Number is the certificate's printed number: the issuing community, the
// year of issue and the serial.
func (c VolunteerCertificate) Number() string {
	return c.Community + "-" + strconv.Itoa(c.IssuedAt.Year()) + "-" + leftPad(strconv.FormatInt(c.ID, 10), 6)
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// Public is the certificate as the public verification shows it: the
// name masked, no code, no records, no issuer's or reviser's label, no
// reason of a revocation (it may name people) — only that it was revoked
// and when.
func (c VolunteerCertificate) Public() VolunteerCertificate {
	c.Name, c.Code = MaskName(c.Name), ""
	c.Records, c.IssuedBy, c.IssuedByID, c.RevokeReason, c.RevokedBy = nil, "", 0, "", ""
	c.VolunteerNo, c.IDMasked = "", ""
	return c
}

// CertificateStore keeps certificates.
type CertificateStore interface {
	CertificatesOf(ctx context.Context, userID int64) ([]VolunteerCertificate, error)
	CertificateByID(ctx context.Context, id int64) (VolunteerCertificate, error)
	CertificateByCode(ctx context.Context, code string) (VolunteerCertificate, error)
}
