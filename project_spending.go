package civicgrid

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Projects, beyond their start (project.go): spending against the budget,
// editing the title, owner and start with a reason, and reminders before a
// milestone is due.

// Limits of spending and edits.
const (
	MaxSpendingPurpose = 200
	MaxProjectReason   = 500
	// MaxSpendingEntries bounds a project's spending entries.
	MaxSpendingEntries = 500
	// MilestoneReminder is how long before a milestone's due time its
	// owner is reminded (once).
	MilestoneReminder = 72 * time.Hour
)

// Project event actions beyond project.go's.
const (
	CogovProjectSpending  = "project.spending"           // an entry of spending against the budget
	CogovProjectEdited    = "project.edited"             // title, owner or start changed, with the reason
	CogovMilestoneDueSoon = "project.milestone_due_soon" // by the scheduler, once, MilestoneReminder before it is due
)

// Spending is one entry of money spent on a project: how much (in fen,
// hundredths of a yuan, so sums are exact), on which day, what for, an
// optional photo of the receipt, and — when it took the total past the
// budget — why.
type Spending struct {
	ID         int64     `json:"id"`
	ProjectID  int64     `json:"project_id"`
	AmountFen  int64     `json:"amount_fen"`
	SpentOn    time.Time `json:"spent_on"`
	Purpose    string    `json:"purpose"`
	Receipt    string    `json:"receipt,omitempty"` // a photo ref
	OverReason string    `json:"over_reason,omitempty"`
	Author     string    `json:"author"` // masked
	CreatedBy  int64     `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

// SpendingInput is an entry as staff give it: the amount in yuan with at
// most two decimals ("1234.50"), the day (YYYY-MM-DD), what for, a receipt
// photo ref (from POST /api/v1/photos) and, when the entry takes the total
// past the budget, the reason.
type SpendingInput struct {
	Amount     string `json:"amount"`
	SpentOn    string `json:"spent_on"`
	Purpose    string `json:"purpose"`
	Receipt    string `json:"receipt"`
	OverReason string `json:"over_reason"`
}

// FormatYuan writes fen as yuan with two decimals ("1234.50").
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(100+fen%100, 10)[1:]
}

// ParseYuan reads an amount in yuan with at most two decimals, above 0 and
// at most MaxProjectBudget.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > MaxProjectBudget || math.IsNaN(f) || strings.ContainsAny(s, "eE") {
		return 0, Errorf(EINVALID, "an amount is a number of yuan above 0 and at most %d, not %q", int64(MaxProjectBudget), s)
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		return 0, Errorf(EINVALID, "an amount has at most two decimals (fen), not %q", s)
	}
	return int64(math.Round(f * 100)), nil
}

// Check validates an entry for a project started at start, on the day of
// now in loc, and returns it (without project, author, times). The budget
// check needs the total and is the store's, under the project's lock.
func (in SpendingInput) Check(start, now time.Time, loc *time.Location) (Spending, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	fen, err := ParseYuan(in.Amount)
	if err != nil {
		bad("amount", err.(*Error).Message)
	}
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.SpentOn), loc)
	switch {
	case err != nil:
		bad("spent_on", "the day spent, as YYYY-MM-DD")
	case day.After(now):
		bad("spent_on", "spending is entered once made: not a day in the future")
	case day.Before(start.AddDate(-1, 0, 0)):
		bad("spent_on", "a day at most a year before the project's start")
	}
	purpose := strings.TrimSpace(in.Purpose)
	if purpose == "" || utf8.RuneCountInString(purpose) > MaxSpendingPurpose {
		bad("purpose", "what it was for, in 1 to "+strconv.Itoa(MaxSpendingPurpose)+" characters")
	}
	reason := strings.TrimSpace(in.OverReason)
	if utf8.RuneCountInString(reason) > MaxProjectReason {
		bad("over_reason", "a reason of at most "+strconv.Itoa(MaxProjectReason)+" characters")
	}
	if len(ps) > 0 {
		return Spending{}, &Error{Code: EINVALID, Message: "the spending entry is not valid", Problems: ps}
	}
	return Spending{AmountFen: fen, SpentOn: day, Purpose: purpose, Receipt: strings.TrimSpace(in.Receipt), OverReason: reason}, nil
}

// ProjectEdit changes a started project's title, owner or start, with a
// reason everyone reading the project sees; empty fields stay as they are.
type ProjectEdit struct {
	Title    string    `json:"title"`
	Owner    string    `json:"owner"`
	OwnerID  int64     `json:"owner_id"`
	StartsOn time.Time `json:"starts_on"`
	Reason   string    `json:"reason"`
}

// Apply checks the edit against p and returns the project as edited and
// the reason: at least one field must change.
func (e ProjectEdit) Apply(p Project, now time.Time) (Project, string, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	out := p
	if t := strings.TrimSpace(e.Title); t != "" {
		if utf8.RuneCountInString(t) > MaxProjectTitle {
			bad("title", "a title of 1 to "+strconv.Itoa(MaxProjectTitle)+" characters")
		}
		out.Title = t
	}
	if o := strings.TrimSpace(e.Owner); o != "" {
		if utf8.RuneCountInString(o) > MaxProjectOwner {
			bad("owner", "the owner in 1 to "+strconv.Itoa(MaxProjectOwner)+" characters")
		}
		out.Owner = o
		out.OwnerID = e.OwnerID
	}
	if !e.StartsOn.IsZero() {
		if e.StartsOn.Before(now.AddDate(-1, 0, 0)) || e.StartsOn.After(now.AddDate(1, 0, 0)) {
			bad("starts_on", "a project starts within a year of today")
		}
		out.StartsOn = time.UnixMilli(e.StartsOn.UnixMilli())
		for _, m := range p.Milestones {
			if m.DueAt.Before(out.StartsOn) {
				bad("starts_on", "milestone "+strconv.Quote(m.Title)+" is due before that start")
				break
			}
		}
	}
	reason := strings.TrimSpace(e.Reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxProjectReason {
		bad("reason", "a reason of 1 to "+strconv.Itoa(MaxProjectReason)+" characters")
	}
	if len(ps) == 0 && out.Title == p.Title && out.Owner == p.Owner && out.OwnerID == p.OwnerID && out.StartsOn.Equal(p.StartsOn) {
		bad("title", "change the title, the owner or the start")
	}
	if len(ps) > 0 {
		return p, "", &Error{Code: EINVALID, Message: "the edit is not valid", Problems: ps}
	}
	return out, reason, nil
}
