package civicgrid

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Co-governance projects (共建共管共评共享): started by staff from an adopted
// proposal or in their scope, with an owner, a budget, milestones with due
// dates that light up like case deadlines, progress updates with photos,
// comments, phases plan → build → manage → evaluate → share, and at the end
// the residents' satisfaction (共评). Every change is an event on the
// project's chain in the co-governance log.

// ProjectPhase is a step of the five (共谋共建共管共评共享).
var projectZone = time.FixedZone("CST", 8*3600)

type ProjectPhase string

const (
	PhasePlan     ProjectPhase = "plan"     // 共谋
	PhaseBuild    ProjectPhase = "build"    // 共建
	PhaseManage   ProjectPhase = "manage"   // 共管
	PhaseEvaluate ProjectPhase = "evaluate" // 共评: residents rate it
	PhaseShare    ProjectPhase = "share"    // 共享: the result is shared, ratings closed
)

// ProjectPhases in order; a project moves one step forward at a time.
var ProjectPhases = []ProjectPhase{PhasePlan, PhaseBuild, PhaseManage, PhaseEvaluate, PhaseShare}

// Next is the phase after p ("" after the last).
func (p ProjectPhase) Next() ProjectPhase {
	for i, q := range ProjectPhases {
		if q == p && i+1 < len(ProjectPhases) {
			return ProjectPhases[i+1]
		}
	}
	return ""
}

// Limits of projects and comments.
const (
	MaxProjectTitle   = 100
	MaxProjectBody    = 2000
	MaxProjectOwner   = 50
	MaxProjectBudget  = 10_000_000_000 // yuan
	MaxMilestones     = 30
	MaxUpdateText     = 1000
	MaxUpdatePhotos   = 6
	MaxCommentLength  = 500
	MaxHideReason     = 200
	CommentsPerMinute = 3  // per person, across subjects
	CommentsPerDay    = 30 // per person, across subjects
)

// Project of a scope.
type Project struct {
	ID       int64  `json:"id"`
	AreaCode string `json:"area_code"`
	Title    string `json:"title"`
	Body     string `json:"body,omitempty"`
	// Owner is the person or department responsible, as shown; OwnerID the
	// account told of overdue milestones (the starter when the owner is a
	// department without one).
	Owner      string       `json:"owner"`
	OwnerID    int64        `json:"-"`
	Budget     int64        `json:"budget"` // yuan
	ProposalID int64        `json:"proposal_id,omitempty"`
	Phase      ProjectPhase `json:"phase"`
	StartsOn   time.Time    `json:"starts_on"`
	CreatedBy  int64        `json:"-"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	// Ratings is how many residents rated it, RatingSum their total.
	Ratings    int         `json:"ratings"`
	RatingSum  int         `json:"-"`
	Milestones []Milestone `json:"milestones,omitempty"`
	// Done, Overdue count the milestones (filled in lists too).
	MilestoneCount int `json:"milestone_count"`
	Done           int `json:"milestones_done"`
	Overdue        int `json:"milestones_overdue"`
	// SpentFen is the total of its spending entries (fen), against
	// Budget (yuan) (project_spending.go).
	SpentFen int64 `json:"spent_fen"`
	CourtyardScope
}

// OverBudget reports whether the spending passed the budget.
func (p Project) OverBudget() bool { return p.SpentFen > p.Budget*100 }

// SpentText and BudgetText are the amounts in yuan with two decimals.
func (p Project) SpentText() string  { return FormatYuan(p.SpentFen) }
func (p Project) BudgetText() string { return FormatYuan(p.Budget * 100) }

// Satisfaction is the mean rating (0 without ratings).
func (p Project) Satisfaction() float64 {
	if p.Ratings == 0 {
		return 0
	}
	return float64(p.RatingSum) / float64(p.Ratings)
}

// SatisfactionText is the mean rating with one decimal ("" without any).
func (p Project) SatisfactionText() string {
	if p.Ratings == 0 {
		return ""
	}
	return strconv.FormatFloat(p.Satisfaction(), 'f', 1, 64)
}

// Object is the project as the object of an access decision.
func (p Project) Object() Object { return p.object(p.AreaCode) }

// Milestone of a project.
type Milestone struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Title     string    `json:"title"`
	DueAt     time.Time `json:"due_at"`
	CreatedAt time.Time `json:"created_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	// OverdueAt is when the scheduler found it overdue (once).
	OverdueAt time.Time `json:"overdue_at,omitzero"`
	// Light is the traffic light now: green, yellow, red while open; done
	// or late once done.
	Light string `json:"light"`
}

// MilestoneInput is a milestone as staff give it.
type MilestoneInput struct {
	Title string    `json:"title"`
	DueAt time.Time `json:"due_at"`
}

// ProjectInput is what staff give to start a project.
type ProjectInput struct {
	AreaCode   string           `json:"area_code"`
	ProposalID int64            `json:"proposal_id"`
	Title      string           `json:"title"`
	Body       string           `json:"body"`
	Owner      string           `json:"owner"`
	OwnerID    int64            `json:"owner_id"`
	Budget     int64            `json:"budget"`
	StartsOn   time.Time        `json:"starts_on"`
	Milestones []MilestoneInput `json:"milestones"`
	// CourtyardID starts the project in a courtyard (院落).
	CourtyardID int64 `json:"courtyard_id"`
}

// Check validates the input at now and returns the project and its
// milestones (without ids).
func (in ProjectInput) Check(now time.Time) (Project, []Milestone, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	switch LevelOfCode(in.AreaCode) {
	case LevelBuilding, LevelCommunity, LevelStreet:
	default:
		bad("scope", "a project's scope is a building, a community or a street")
	}
	title, body, owner := strings.TrimSpace(in.Title), strings.TrimSpace(in.Body), strings.TrimSpace(in.Owner)
	if title == "" || utf8.RuneCountInString(title) > MaxProjectTitle {
		bad("title", "a title of 1 to "+strconv.Itoa(MaxProjectTitle)+" characters")
	}
	if utf8.RuneCountInString(body) > MaxProjectBody {
		bad("body", "at most "+strconv.Itoa(MaxProjectBody)+" characters")
	}
	if owner == "" || utf8.RuneCountInString(owner) > MaxProjectOwner {
		bad("owner", "the owner (a person or a department) in 1 to "+strconv.Itoa(MaxProjectOwner)+" characters")
	}
	if in.Budget < 0 || in.Budget > MaxProjectBudget {
		bad("budget", "a budget of 0 to "+strconv.FormatInt(MaxProjectBudget, 10)+" yuan")
	}
	start := in.StartsOn
	if start.IsZero() {
		start = now
	}
	if start.Before(now.AddDate(-1, 0, 0)) || start.After(now.AddDate(1, 0, 0)) {
		bad("starts_on", "a project starts within a year of today")
	}
	p := Project{AreaCode: in.AreaCode, ProposalID: in.ProposalID, Title: title, Body: body, Owner: owner, OwnerID: in.OwnerID,
		Budget: in.Budget, Phase: PhasePlan, StartsOn: time.UnixMilli(start.UnixMilli()), CreatedAt: now, UpdatedAt: now}
	if len(in.Milestones) > MaxMilestones {
		bad("milestones", "at most "+strconv.Itoa(MaxMilestones)+" milestones")
	}
	var ms []Milestone
	for _, mi := range in.Milestones {
		m, err := mi.Check(p.StartsOn)
		if err != nil {
			bad("milestones", err.Error())
			continue
		}
		ms = append(ms, m)
	}
	if len(ps) > 0 {
		return Project{}, nil, &Error{Code: EINVALID, Message: "the project is not valid", Problems: ps}
	}
	return p, ms, nil
}

// Check validates a milestone of a project starting at start.
func (mi MilestoneInput) Check(start time.Time) (Milestone, error) {
	title := strings.TrimSpace(mi.Title)
	switch {
	case title == "" || utf8.RuneCountInString(title) > MaxProjectTitle:
		return Milestone{}, Errorf(EINVALID, "a milestone's title has 1 to %d characters", MaxProjectTitle)
	case mi.DueAt.IsZero():
		return Milestone{}, Errorf(EINVALID, "milestone %q needs a due date", title)
	case mi.DueAt.Before(start):
		return Milestone{}, Errorf(EINVALID, "milestone %q is due %s, before the project starts (%s)", title,
			mi.DueAt.In(projectZone).Format("2006-01-02"), start.In(projectZone).Format("2006-01-02"))
	case mi.DueAt.After(start.AddDate(10, 0, 0)):
		return Milestone{}, Errorf(EINVALID, "milestone %q is due more than ten years after the start", title)
	}
	return Milestone{Title: title, DueAt: time.UnixMilli(mi.DueAt.UnixMilli())}, nil
}

// ProjectUpdate is a progress report with photos.
type ProjectUpdate struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	At        time.Time `json:"at"`
	Author    string    `json:"author"` // masked
	Text      string    `json:"text"`
	Photos    []string  `json:"photos,omitempty"`
}

// Comment on a proposal or a project (Subject "proposal:1", "project:2"),
// with replies one level deep.
type Comment struct {
	ID       int64     `json:"id"`
	Subject  string    `json:"subject"`
	ParentID int64     `json:"parent_id,omitempty"`
	AuthorID int64     `json:"-"`
	Author   string    `json:"author"` // masked
	Body     string    `json:"body"`   // "" once hidden
	At       time.Time `json:"at"`
	// Hidden by a moderator with the reason, shown in the comment's place.
	Hidden       bool      `json:"hidden"`
	HiddenReason string    `json:"hidden_reason,omitempty"`
	Replies      []Comment `json:"replies,omitempty"`
}

// CheckComment validates a comment's text.
func CheckComment(body string) (string, error) {
	b := strings.TrimSpace(body)
	if b == "" || utf8.RuneCountInString(b) > MaxCommentLength {
		return "", Errorf(EINVALID, "a comment has 1 to %d characters (this one has %d)", MaxCommentLength, utf8.RuneCountInString(b))
	}
	return b, nil
}

// ProjectStats are a scope's project indicators over a period: projects
// started, milestones due in the period and how many were done by their
// date, and the satisfaction of the projects rated.
type ProjectStats struct {
	AreaCode      string  `json:"area_code"`
	From          string  `json:"from"`
	To            string  `json:"to"`
	Projects      int     `json:"projects"`
	MilestonesDue int     `json:"milestones_due"`
	OnTime        int     `json:"milestones_on_time"`
	OnTimeRate    float64 `json:"on_time_rate"`
	Ratings       int     `json:"ratings"`
	Satisfaction  float64 `json:"satisfaction"` // mean of the ratings, 0 without
	RatedProjects int     `json:"rated_projects"`
}

// Project event actions (on the project's chain, subject project:ID).
const (
	CogovProjectStarted      = "project.started"
	CogovMilestoneAdded      = "project.milestone_added"
	CogovMilestoneDone       = "project.milestone_done"
	CogovMilestoneOverdue    = "project.milestone_overdue" // by the scheduler, once
	CogovProjectUpdate       = "project.update"
	CogovProjectPhase        = "project.phase"
	CogovProjectRated        = "project.rated"
	CogovProjectCaseLinked   = "project.case_linked"
	CogovCommented           = "comment.added" // on the proposal's or project's chain
	CogovCommentHidden       = "comment.hidden"
	CogovProjectFromProposal = "proposal.project_started" // on the proposal's chain
)

// ProjectSubject names a project's chain.
func ProjectSubject(id int64) string { return "project:" + strconv.FormatInt(id, 10) }

// ProjectStore keeps projects, milestones, updates, ratings, case links
// and comments; every change is written with its event, in one transaction.
type ProjectStore interface {
	CreateProject(ctx context.Context, p Project, ms []Milestone, ev CogovEvent) (Project, error)
	// ProjectByID returns the project with its milestones.
	ProjectByID(ctx context.Context, id int64) (Project, error)
	// Projects lists projects in the subtrees or at the exact areas,
	// newest first, with milestone counts.
	Projects(ctx context.Context, within, exact []string, limit int) ([]Project, error)
	ProposalProjects(ctx context.Context, proposalID int64) ([]Project, error)
	AddMilestone(ctx context.Context, projectID int64, m Milestone, ev CogovEvent) (Project, error)
	// CompleteMilestone marks it done at ev.At (ECONFLICT when done).
	CompleteMilestone(ctx context.Context, projectID, milestoneID int64, ev CogovEvent) (Project, error)
	AddProjectUpdate(ctx context.Context, u ProjectUpdate, ev CogovEvent) (ProjectUpdate, error)
	ProjectUpdates(ctx context.Context, projectID int64) ([]ProjectUpdate, error)
	// SetProjectPhase moves from one phase to the next (ECONFLICT when it
	// is no longer in from).
	SetProjectPhase(ctx context.Context, id int64, from, to ProjectPhase, ev CogovEvent) (Project, error)
	// RateProject records a rating once per person (ECONFLICT the second
	// time, or when the project is not in its evaluation phase).
	RateProject(ctx context.Context, id, userID int64, rating int, ev CogovEvent) (Project, error)
	ProjectRating(ctx context.Context, id, userID int64) (int, error)
	// LinkCase links a case (ECONFLICT when linked already).
	LinkCase(ctx context.Context, id, caseID int64, ev CogovEvent) error
	ProjectCases(ctx context.Context, id int64) ([]int64, error)
	CaseProjects(ctx context.Context, caseID int64) ([]Project, error)
	// NextMilestoneDue is the earliest due time of an open milestone not
	// yet found overdue (zero: none).
	NextMilestoneDue(ctx context.Context) (time.Time, error)
	// MarkOverdueMilestones marks up to limit open milestones due by now
	// overdue, each once with its event, and says how many.
	MarkOverdueMilestones(ctx context.Context, now time.Time, limit int) (int, error)
	// AddComment stores a comment with its event on the subject's chain,
	// refusing (ETHROTTLED) a person's comment past the rate limits.
	AddComment(ctx context.Context, c Comment, ev CogovEvent) (Comment, error)
	CommentByID(ctx context.Context, id int64) (Comment, error)
	// Comments lists a subject's comments oldest first, replies under
	// their parents.
	Comments(ctx context.Context, subject string) ([]Comment, error)
	HideComment(ctx context.Context, id int64, reason string, ev CogovEvent) (Comment, error)
	// ProjectStats reads a scope's project indicators over [from, to).
	ProjectStats(ctx context.Context, area string, from, to time.Time) (ProjectStats, error)
	// AddSpending stores a spending entry and adds it to the project's
	// total, under the project's lock: an entry that takes the total past
	// the budget without an OverReason is refused (EINVALID, nothing
	// written), as is one past MaxSpendingEntries (ECONFLICT).
	AddSpending(ctx context.Context, sp Spending, ev CogovEvent) (Spending, error)
	// ProjectSpending lists a project's entries, by day then entry.
	ProjectSpending(ctx context.Context, id int64) ([]Spending, error)
	// EditProject stores a started project's new title, owner and start.
	EditProject(ctx context.Context, p Project, ev CogovEvent) (Project, error)
	// NextMilestoneReminder is the earliest due time of an open milestone
	// neither reminded nor found overdue (zero: none).
	NextMilestoneReminder(ctx context.Context) (time.Time, error)
	// RemindMilestones marks up to limit open milestones due in (now,
	// now+before] reminded, each once with its event, and says how many.
	RemindMilestones(ctx context.Context, now time.Time, before time.Duration, limit int) (int, error)
	// NoticeProjects lists the projects for a public notice board: in the
	// area's subtree or at one of exact (its community, street).
	NoticeProjects(ctx context.Context, area string, exact []string, limit int) ([]Project, error)
}
