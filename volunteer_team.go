package civicgrid

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Volunteer teams (志愿服务队): a riders' team, a building's team, a
// lecture team (宣讲团) or another, of one community, led by a captain
// (an approved volunteer of the community named by its staff). Approved
// volunteers ask to join; the captain or staff accept them — nobody is
// put in a team by force. Other modules read teams through
// volunteering.Service's TeamMembers and TeamsOf.

// Team kinds.
const (
	TeamRiders   = "riders"   // delivery riders' team (骑手志愿队)
	TeamBuilding = "building" // a building's team (楼栋志愿队)
	TeamLecture  = "lecture"  // lecture team (宣讲团)
	TeamOther    = "other"
)

// TeamKinds names the kinds (held as data).
var TeamKinds = []VolunteerSkill{
	{TeamRiders, "骑手志愿队", "Riders' team"},
	{TeamBuilding, "楼栋志愿队", "Building team"},
	{TeamLecture, "宣讲团", "Lecture team"},
	{TeamOther, "其他志愿队", "Other team"},
}

// MaxTeamName bounds a team's name.
const MaxTeamName = 50

// Team is a volunteer team.
type Team struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Community string    `json:"community_code"`
	CaptainID int64     `json:"captain_id"`
	Captain   string    `json:"captain"` // masked, or the name when published
	Members   int       `json:"members"` // accepted members, the captain included
	CreatedAt time.Time `json:"created_at"`
}

// Object is the team as the object of an access decision: in its
// community, led (assigned) by its captain.
func (t Team) Object() Object { return Object{Areas: []string{t.Community}, Assignee: t.CaptainID} }

// TeamInput is what staff write to form a team.
type TeamInput struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Community string `json:"community_code"`
	CaptainID int64  `json:"captain_id"`
}

// Check validates the input, every problem named at once.
func (in TeamInput) Check(now time.Time) (Team, error) {
	var ps []Problem
	if !slices.ContainsFunc(TeamKinds, func(k VolunteerSkill) bool { return k.Code == in.Kind }) {
		ps = append(ps, Problem{Index: -1, Kind: "kind", Code: in.Kind, Detail: "riders, building, lecture or other"})
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > MaxTeamName {
		ps = append(ps, Problem{Index: -1, Kind: "name", Detail: "a name of 1 to 50 characters"})
	}
	if LevelOfCode(in.Community) != LevelCommunity {
		ps = append(ps, Problem{Index: -1, Kind: "community_code", Code: in.Community, Detail: "the team's community (12 digits)"})
	}
	if in.CaptainID <= 0 {
		ps = append(ps, Problem{Index: -1, Kind: "captain_id", Detail: "the captain: an approved volunteer of the community"})
	}
	if len(ps) > 0 {
		return Team{}, &Error{Code: EINVALID, Message: "the team is not valid", Problems: ps}
	}
	return Team{Kind: in.Kind, Name: in.Name, Community: in.Community, CaptainID: in.CaptainID, CreatedAt: time.UnixMilli(now.UnixMilli())}, nil
}

// Membership statuses.
const (
	MemberRequested = "requested" // asked to join, waiting for the captain or staff
	MemberAccepted  = "member"
)

// TeamMember is one person's membership of a team.
type TeamMember struct {
	TeamID  int64     `json:"team_id"`
	UserID  int64     `json:"user_id"`
	Name    string    `json:"name"` // masked, or the name when published
	Status  string    `json:"status"`
	Captain bool      `json:"captain,omitempty"`
	At      time.Time `json:"at"` // asked, or accepted
}

// TeamStore keeps teams and their members.
type TeamStore interface {
	// CreateTeam stores a team with its captain as its first member.
	CreateTeam(ctx context.Context, t Team, captainLabel string) (Team, error)
	TeamByID(ctx context.Context, id int64) (Team, error)
	// Teams lists teams of communities in the subtrees, by name.
	Teams(ctx context.Context, within []string, limit int) ([]Team, error)
	// RequestTeamMembership records a request to join; ECONFLICT when the
	// person already asked or belongs.
	RequestTeamMembership(ctx context.Context, m TeamMember) error
	// AcceptTeamMember turns a request into a membership, as one
	// conditional update: ECONFLICT when there is no request waiting.
	AcceptTeamMember(ctx context.Context, teamID, userID int64, at time.Time) error
	// TeamMembers lists a team's members and requests, captain first.
	TeamMembers(ctx context.Context, teamID int64) ([]TeamMember, error)
	// TeamsOf lists the teams a person belongs to (accepted).
	TeamsOf(ctx context.Context, userID int64) ([]Team, error)
	// LeaveTeam ends a membership (or withdraws a request to join), not
	// the captain's: ECONFLICT when there is none, or for the captain.
	LeaveTeam(ctx context.Context, teamID, userID int64) error
	// ChangeCaptain names an accepted member captain, as one conditional
	// update on the captain read (from): ECONFLICT when the captain changed
	// meanwhile or to is not an accepted member.
	ChangeCaptain(ctx context.Context, teamID, from, to int64) error
}

// ServicePoint is a volunteer service point (服务站/驿站): a place where
// volunteers and riders find help — water, charging, a rest, a toilet —
// with its opening hours; shown on the map.
type ServicePoint struct {
	ID        int64     `json:"id"`
	Community string    `json:"community_code"`
	Name      string    `json:"name"`
	Lat       float64   `json:"lat"`
	Lng       float64   `json:"lng"`
	Hours     string    `json:"hours"`  // opening hours, as written (每天 8:00–20:00)
	Offers    string    `json:"offers"` // what it offers
	TeamID    int64     `json:"team_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ServicePointInput is what staff write.
type ServicePointInput struct {
	Community string  `json:"community_code"`
	Name      string  `json:"name"`
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	Hours     string  `json:"hours"`
	Offers    string  `json:"offers"`
}

// Check validates the input, every problem named at once.
func (in ServicePointInput) Check(now time.Time) (ServicePoint, error) {
	var ps []Problem
	bad := func(kind, detail string) { ps = append(ps, Problem{Index: -1, Kind: kind, Detail: detail}) }
	if LevelOfCode(in.Community) != LevelCommunity {
		bad("community_code", "the service point's community (12 digits)")
	}
	in.Name, in.Hours, in.Offers = strings.TrimSpace(in.Name), strings.TrimSpace(in.Hours), strings.TrimSpace(in.Offers)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > MaxTeamName {
		bad("name", "a name of 1 to 50 characters")
	}
	if in.Lat < -90 || in.Lat > 90 || in.Lng < -180 || in.Lng > 180 || (in.Lat == 0 && in.Lng == 0) || in.Lat != in.Lat || in.Lng != in.Lng {
		bad("lat", "a WGS-84 point (lat −90…90, lng −180…180)")
	}
	if in.Hours == "" || utf8.RuneCountInString(in.Hours) > MaxProfileText {
		bad("hours", "opening hours of 1 to 200 characters")
	}
	if in.Offers == "" || utf8.RuneCountInString(in.Offers) > MaxProfileText {
		bad("offers", "what it offers, 1 to 200 characters")
	}
	if len(ps) > 0 {
		return ServicePoint{}, &Error{Code: EINVALID, Message: "the service point is not valid", Problems: ps}
	}
	return ServicePoint{Community: in.Community, Name: in.Name, Lat: in.Lat, Lng: in.Lng, Hours: in.Hours, Offers: in.Offers,
		CreatedAt: time.UnixMilli(now.UnixMilli())}, nil
}

// ServicePointStore keeps service points.
type ServicePointStore interface {
	CreateServicePoint(ctx context.Context, p ServicePoint) (ServicePoint, error)
	// ServicePoints lists points of communities in the subtrees.
	ServicePoints(ctx context.Context, within []string, limit int) ([]ServicePoint, error)
}
