package civicgrid

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Care visits (探访关爱): community staff register residents who need care
// (living alone, empty-nest, disabled, dementia, low income …) with the
// consent of the person or a named guardian; each entry has a visit plan —
// a frequency from its kinds' defaults, overridable — and assigned
// visitors (grid workers, volunteers, building heads holding those roles
// where the person lives). A visit is due once per slot of the plan; a
// slot that ends without a visit is missed: it turns red and escalates.
// The registry is sensitive personal information: only the assigned
// visitors and the community's staff read an entry, every read is logged,
// exports are refused, and when care ends the personal fields are erased
// after a retention period. docs/care.md states the rules.

// CareKind is one kind of need, held as data: its default visit frequency
// and risk level.
type CareKind struct {
	Code          string `json:"code"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	FrequencyDays int    `json:"frequency_days"`
	Risk          string `json:"risk"`
}

// Risk levels, lowest first.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

var riskRank = map[string]int{RiskLow: 0, RiskMedium: 1, RiskHigh: 2}

// CareKinds is the catalogue of kinds (weekly for high risk, after the
// 2022 guidance of at least a monthly visit to elderly people in special
// hardship).
var CareKinds = []CareKind{
	{"living_alone", "独居老人", "Elderly person living alone", 7, RiskHigh},
	{"dementia", "失能失智老人", "Elderly person with dementia or disability", 7, RiskHigh},
	{"empty_nest", "空巢老人", "Empty-nest elderly person", 30, RiskMedium},
	{"disabled", "残疾人", "Person with a disability", 14, RiskMedium},
	{"low_income", "低保与特困人员", "Low income or special hardship", 30, RiskMedium},
	{"left_behind_child", "留守儿童", "Left-behind child", 30, RiskMedium},
	{"other", "其他需关爱人员", "Other person needing care", 30, RiskLow},
}

// LookupCareKind returns a catalogue entry.
func LookupCareKind(code string) (CareKind, bool) {
	i := slices.IndexFunc(CareKinds, func(k CareKind) bool { return k.Code == code })
	if i < 0 {
		return CareKind{}, false
	}
	return CareKinds[i], true
}

// Care entry statuses.
const (
	CareActive = "active"
	CareEnded  = "ended"  // care ended: personal fields kept until the retention period passes
	CarePurged = "purged" // personal fields erased; the anonymous slots stay for the coverage rate
)

// Consent givers.
const (
	ConsentSelf     = "self"
	ConsentGuardian = "guardian"
)

// CareConsent records the consent an entry rests on (个人信息保护法 art. 14,
// 28–31: separate consent for sensitive information; a guardian's for
// someone who cannot give it).
type CareConsent struct {
	GivenBy  string    `json:"given_by"`           // self or guardian
	Guardian string    `json:"guardian,omitempty"` // the guardian's name
	Relation string    `json:"relation,omitempty"` // the guardian's relation to the person
	Scope    string    `json:"scope"`              // what was agreed to (the data and the visits)
	Purpose  string    `json:"purpose"`            // for what purpose
	At       time.Time `json:"at"`                 // when
}

// CareVisitor is a person assigned to visit.
type CareVisitor struct {
	UserID int64  `json:"user_id"`
	Label  string `json:"label"` // masked name
	Role   string `json:"role"`  // the role they visit in
}

// CareEntry is one person in the care registry with their visit plan.
// Name, Phone, Address and the guardian are personal: shown only on the
// entry's own page (whose every read is logged), masked in lists.
type CareEntry struct {
	ID            int64         `json:"id"`
	BuildingCode  string        `json:"building_code"`
	Name          string        `json:"name"`
	Phone         string        `json:"phone,omitempty"`
	Address       string        `json:"address,omitempty"`
	Kinds         []string      `json:"kinds"`
	Risk          string        `json:"risk"`
	FrequencyDays int           `json:"frequency_days"`
	Consent       CareConsent   `json:"consent"`
	Visitors      []CareVisitor `json:"visitors"`
	Status        string        `json:"status"`
	// The current slot of the plan: a visit is due in [SlotStart, DueAt).
	SlotStart time.Time `json:"slot_start"`
	DueAt     time.Time `json:"due_at"`
	Visited   bool      `json:"visited"` // the current slot has its visit
	// MissedSince is the due time of the first slot missed since the last
	// visit (zero when none): the entry is red until a visit is recorded.
	MissedSince  time.Time `json:"missed_since,omitzero"`
	Missed       int       `json:"missed"` // slots missed in all
	RegisteredBy int64     `json:"-"`
	Registrar    string    `json:"registrar"` // masked label
	EndedAt      time.Time `json:"ended_at,omitzero"`
	EndReason    string    `json:"end_reason,omitempty"`
	PurgeAfter   time.Time `json:"purge_after,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
}

// Object is the entry as the object of an access decision: it lies at its
// building and is visited by its visitors.
func (e CareEntry) Object() Object {
	vs := make([]int64, 0, len(e.Visitors))
	for _, v := range e.Visitors {
		vs = append(vs, v.UserID)
	}
	return Object{Areas: []string{e.BuildingCode}, Visitors: vs}
}

// Masked returns the entry as lists show it: the name masked, no phone,
// address or guardian.
func (e CareEntry) Masked() CareEntry {
	e.Name, e.Phone, e.Address = MaskName(e.Name), "", ""
	e.Consent.Guardian = MaskName(e.Consent.Guardian)
	return e
}

// Limits of what staff write.
const (
	MaxCareText      = 200
	MaxCareNote      = 500
	MaxCareFrequency = 90 // days
	MaxCareVisitors  = 5
)

// CareInput is what community staff write to register a person.
type CareInput struct {
	BuildingCode  string      `json:"building_code"`
	Name          string      `json:"name"`
	Phone         string      `json:"phone"`
	Address       string      `json:"address"`
	Kinds         []string    `json:"kinds"`
	FrequencyDays int         `json:"frequency_days"` // 0: the kinds' default (the shortest)
	Consent       CareConsent `json:"consent"`
	VisitorIDs    []int64     `json:"visitor_ids"`
}

// Check validates the input and returns the entry it makes (active, its
// first slot starting now), every problem named at once. No consent, no
// entry.
func (in CareInput) Check(now time.Time) (CareEntry, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	if LevelOfCode(in.BuildingCode) != LevelBuilding {
		ps = append(ps, Problem{Index: -1, Code: in.BuildingCode, Kind: "building_code", Detail: "where the person lives: a building (19 digits)"})
	}
	in.Name, in.Phone, in.Address = strings.TrimSpace(in.Name), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Address)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 50 {
		bad("name", "the person's name, 1 to 50 characters")
	}
	if utf8.RuneCountInString(in.Phone) > 20 || utf8.RuneCountInString(in.Address) > MaxCareText {
		bad("address", "a phone of at most 20 characters and an address of at most "+strconv.Itoa(MaxCareText))
	}
	risk, freq := "", 0
	if len(in.Kinds) == 0 {
		bad("kinds", "at least one kind of need")
	}
	seen := map[string]bool{}
	for _, k := range in.Kinds {
		kind, ok := LookupCareKind(k)
		if !ok || seen[k] {
			codes := make([]string, len(CareKinds))
			for i, c := range CareKinds {
				codes[i] = c.Code
			}
			ps = append(ps, Problem{Index: -1, Code: k, Kind: "kinds", Detail: "each once, one of " + strings.Join(codes, ", ")})
			continue
		}
		seen[k] = true
		if risk == "" || riskRank[kind.Risk] > riskRank[risk] {
			risk = kind.Risk
		}
		if freq == 0 || kind.FrequencyDays < freq {
			freq = kind.FrequencyDays
		}
	}
	if in.FrequencyDays != 0 {
		if in.FrequencyDays < 1 || in.FrequencyDays > MaxCareFrequency {
			bad("frequency_days", "a visit every 1 to "+strconv.Itoa(MaxCareFrequency)+" days")
		}
		freq = in.FrequencyDays
	}
	c := in.Consent
	c.Guardian, c.Relation, c.Scope, c.Purpose = strings.TrimSpace(c.Guardian), strings.TrimSpace(c.Relation), strings.TrimSpace(c.Scope), strings.TrimSpace(c.Purpose)
	switch c.GivenBy {
	case ConsentSelf:
		c.Guardian, c.Relation = "", ""
	case ConsentGuardian:
		if c.Guardian == "" || utf8.RuneCountInString(c.Guardian) > 50 || utf8.RuneCountInString(c.Relation) > 50 {
			bad("consent.guardian", "consent given by a guardian names the guardian (1 to 50 characters)")
		}
	default:
		bad("consent.given_by", "consent is required: given by the person (self) or a named guardian (guardian)")
	}
	if c.Scope == "" || c.Purpose == "" || utf8.RuneCountInString(c.Scope) > MaxCareText || utf8.RuneCountInString(c.Purpose) > MaxCareText {
		bad("consent.scope", "consent says what was agreed to (scope) and for what purpose, each 1 to "+strconv.Itoa(MaxCareText)+" characters")
	}
	if c.At.IsZero() || c.At.After(now.Add(time.Minute)) {
		bad("consent.at", "when consent was given: a time not in the future")
	}
	if len(in.VisitorIDs) == 0 || len(in.VisitorIDs) > MaxCareVisitors {
		bad("visitor_ids", "1 to "+strconv.Itoa(MaxCareVisitors)+" assigned visitors")
	}
	if len(ps) > 0 {
		return CareEntry{}, &Error{Code: EINVALID, Message: "the care registration is not valid", Problems: ps}
	}
	ms := func(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }
	c.At = ms(c.At)
	slices.Sort(in.Kinds)
	return CareEntry{BuildingCode: in.BuildingCode, Name: in.Name, Phone: in.Phone, Address: in.Address, Kinds: in.Kinds,
		Risk: risk, FrequencyDays: freq, Consent: c, Status: CareActive, SlotStart: ms(now),
		DueAt: ms(now).Add(time.Duration(freq) * 24 * time.Hour), CreatedAt: ms(now)}, nil
}

// Visit modes and states.
const (
	VisitInPerson = "in_person"
	VisitByPhone  = "phone"

	VisitFine    = "fine"
	VisitConcern = "concern"
	VisitUrgent  = "urgent"
)

// CareVisit is one visit, recorded for one slot of the plan.
type CareVisit struct {
	ID        int64     `json:"id"`
	EntryID   int64     `json:"entry_id"`
	SlotDue   time.Time `json:"slot_due"` // the slot it counts for, by its due time
	VisitorID int64     `json:"-"`
	Visitor   string    `json:"visitor"` // masked label
	Mode      string    `json:"mode"`
	State     string    `json:"state"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
	Lat       float64   `json:"lat,omitempty"`
	Lng       float64   `json:"lng,omitempty"`
	Photo     string    `json:"photo,omitempty"`      // a photo's ref (uploaded with POST /api/v1/photos)
	CaseID    int64     `json:"case_id,omitempty"`    // the case a concern became
	RequestID int64     `json:"request_id,omitempty"` // the request for help a concern became
	CreatedAt time.Time `json:"created_at"`
}

// CareSlot is a slot of a plan that ended: visited in time or missed. The
// slots are anonymous (entry and building only) and outlive the personal
// fields: they are the coverage rate's numbers.
type CareSlot struct {
	ID           int64     `json:"id"`
	EntryID      int64     `json:"entry_id"`
	BuildingCode string    `json:"building_code"`
	Due          time.Time `json:"due"`
	Visited      bool      `json:"visited"`
}

// SecurityEvent kinds of the care registry.
const (
	EventCareRead       = "care.read"       // an entry's page was read (who, when, which entry)
	EventCareRegistered = "care.registered" // an entry was registered, with its consent
	EventCareEnded      = "care.ended"
)

// CareStore keeps the registry, the plans and the visits.
type CareStore interface {
	CreateCareEntry(ctx context.Context, e CareEntry) (CareEntry, error)
	CareEntryByID(ctx context.Context, id int64) (CareEntry, error)
	// CareEntries lists entries at buildings in the subtrees, in statuses
	// (all when empty), by id, at most limit.
	CareEntries(ctx context.Context, within []string, statuses []string, limit int) ([]CareEntry, error)
	// CareEntriesOfVisitor lists the active entries a person visits.
	CareEntriesOfVisitor(ctx context.Context, userID int64, limit int) ([]CareEntry, error)
	// SetCarePlan changes an active entry's frequency (from the current
	// slot's start) and visitors.
	SetCarePlan(ctx context.Context, id int64, frequencyDays int, visitors []CareVisitor) (CareEntry, error)
	// EndCare ends an active entry (ECONFLICT otherwise).
	EndCare(ctx context.Context, id int64, at time.Time, reason string, purgeAfter time.Time) (CareEntry, error)
	// RecordCareVisit stores a visit for the entry's current slot (v.SlotDue)
	// and marks the slot visited, as one conditional write: ECONFLICT when
	// the slot has its visit already or is no longer current.
	RecordCareVisit(ctx context.Context, v CareVisit) (CareVisit, error)
	CareVisitByID(ctx context.Context, id int64) (CareVisit, error)
	// CareVisitOfCase returns the visit a case was made from (ENOTFOUND
	// when none).
	CareVisitOfCase(ctx context.Context, caseID int64) (CareVisit, error)
	CareVisits(ctx context.Context, entryID int64, limit int) ([]CareVisit, error)
	// LinkCareVisitCase records the case a visit became (ECONFLICT when it
	// has one already).
	LinkCareVisitCase(ctx context.Context, visitID, caseID int64) error
	// LinkCareVisitRequest records the request for help a visit became
	// (no change when it is that request already; ECONFLICT when another).
	LinkCareVisitRequest(ctx context.Context, visitID, requestID int64) error
	// CountDueCare counts the active entries at buildings in the subtrees
	// whose current slot has no visit yet (due), and among them those
	// red with a missed slot (overdue): counts only.
	CountDueCare(ctx context.Context, within []string) (due, overdue int, err error)
	// CloseDueCareSlots ends every active entry's slot due by now: each
	// becomes a CareSlot (missed when not visited) and the next slot
	// begins. At most limit entries, the earliest due first, in one
	// transaction (limit ≤ 0: all of them); it returns how many slots it
	// closed.
	CloseDueCareSlots(ctx context.Context, now time.Time, limit int) (int, error)
	// NextCareDue is the earliest due time of an active entry, or of an
	// ended entry's erasure (zero: none).
	NextCareDue(ctx context.Context) (time.Time, error)
	// MissedCareSlotsAfter lists missed slots with id > cursor, oldest first.
	MissedCareSlotsAfter(ctx context.Context, cursor int64, limit int) ([]CareSlot, error)
	// CareCoverage counts the slots due in [from, to) at buildings in the
	// subtree, and those of them visited.
	CareCoverage(ctx context.Context, within string, from, to time.Time) (due, visited int, err error)
	// PurgeCare erases the personal fields of ended entries whose
	// retention period has passed (and their visits' notes and places).
	PurgeCare(ctx context.Context, now time.Time) (int, error)
	AppendSecurityEvent(ctx context.Context, ev SecurityEvent) error
}
