package civicgrid

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Courtyards (院落): a named group of buildings inside a community — an old
// compound, a courtyard of a few buildings round one yard — that decides
// its own matters (小院议事). Community staff make and edit them; a building
// belongs to at most one courtyard. A courtyard is a scope of proposals,
// meetings, votes and projects: such a matter lies in the courtyard's
// buildings (CourtyardScope), so the one policy's scope overlap admits
// exactly the people holding a role in one of those buildings and the
// staff above them, and a vote's roll is frozen over those buildings.

// Limits of a courtyard.
const (
	MaxCourtyardName      = 40  // characters
	MaxCourtyardBuildings = 100 // buildings in one courtyard
)

// Courtyard is a named group of buildings of one community.
type Courtyard struct {
	ID        int64     `json:"id"`
	Community string    `json:"community"` // the community's area code
	Name      string    `json:"name"`
	Buildings []string  `json:"buildings"` // building area codes, sorted
	UpdatedAt time.Time `json:"updated_at"`
}

// Object is the courtyard as the object of an access decision: managing
// it is a matter of its community (a courtyard may be emptied and refilled,
// so its buildings do not decide who keeps it).
func (c Courtyard) Object() Object { return In(c.Community) }

// Scope is the courtyard as the scope of a matter raised in it.
func (c Courtyard) Scope() CourtyardScope {
	return CourtyardScope{CourtyardID: c.ID, CourtyardName: c.Name, Buildings: slices.Clone(c.Buildings)}
}

// CourtyardInput is what staff give to make or edit a courtyard.
type CourtyardInput struct {
	Community string   `json:"community"`
	Name      string   `json:"name"`
	Buildings []string `json:"buildings"`
}

// Check validates the input alone (the registry and the other courtyards
// are checked by the service and the store) and returns the courtyard.
func (in CourtyardInput) Check() (Courtyard, error) {
	var ps []Problem
	bad := func(i int, code, kind, detail string) {
		ps = append(ps, Problem{Index: i, Code: code, Kind: kind, Detail: detail})
	}
	if LevelOfCode(in.Community) != LevelCommunity {
		bad(-1, in.Community, "community", "a courtyard lies in a community: give its 12-digit code")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxCourtyardName || strings.ContainsAny(name, "\r\n\t") {
		bad(-1, "", "name", "a name of 1 to "+strconv.Itoa(MaxCourtyardName)+" characters on one line")
	}
	if len(in.Buildings) < 1 || len(in.Buildings) > MaxCourtyardBuildings {
		bad(-1, "", "buildings", "a courtyard has 1 to "+strconv.Itoa(MaxCourtyardBuildings)+" buildings")
	}
	var bs []string
	for i, b := range in.Buildings {
		b = strings.TrimSpace(b)
		switch {
		case LevelOfCode(b) != LevelBuilding:
			bad(i, b, "building", "not a building's code: "+strconv.Quote(b))
		case LevelOfCode(in.Community) == LevelCommunity && !InSubtree(in.Community, b):
			bad(i, b, "building", "building "+b+" lies outside community "+in.Community)
		case slices.Contains(bs, b):
			bad(i, b, "building", "building "+b+" is listed twice")
		default:
			bs = append(bs, b)
		}
	}
	if len(ps) > 0 {
		return Courtyard{}, &Error{Code: EINVALID, Message: "the courtyard is not valid; nothing was written", Problems: ps}
	}
	slices.Sort(bs)
	return Courtyard{Community: in.Community, Name: name, Buildings: bs}, nil
}

// CourtyardScope is carried by a proposal, meeting, vote or project raised
// in a courtyard: its AreaCode is then the courtyard's community, and the
// matter lies in the courtyard's buildings as they were when it was raised
// (a later edit of the courtyard does not move matters already raised, nor
// a roll already frozen). Zero for matters of a building, community or
// street.
type CourtyardScope struct {
	CourtyardID   int64    `json:"courtyard_id,omitempty"`
	CourtyardName string   `json:"courtyard_name,omitempty"`
	Buildings     []string `json:"courtyard_buildings,omitempty"`
}

// InCourtyard reports whether the matter was raised in a courtyard.
func (c CourtyardScope) InCourtyard() bool { return c.CourtyardID != 0 }

// Areas are the areas the matter lies in: the courtyard's buildings, or
// its own area.
func (c CourtyardScope) Areas(area string) []string {
	if c.InCourtyard() {
		return slices.Clone(c.Buildings)
	}
	return []string{area}
}

// object is the matter as the object of an access decision.
func (c CourtyardScope) object(area string) Object { return Object{Areas: c.Areas(area)} }

// Within reports whether a matter of scope inner (with its area) lies in
// the scope of outer (with its area): a meeting's agenda takes proposals
// within the meeting's scope.
func (c CourtyardScope) Within(area string, outer CourtyardScope, outerArea string) bool {
	if !outer.InCourtyard() {
		return strings.HasPrefix(area, outerArea)
	}
	if c.InCourtyard() {
		return c.CourtyardID == outer.CourtyardID
	}
	return slices.Contains(outer.Buildings, area)
}

// JoinBuildings and SplitBuildings keep a scope's buildings in one column.
func JoinBuildings(bs []string) string { return strings.Join(bs, ",") }

// SplitBuildings is JoinBuildings' inverse.
func SplitBuildings(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// CourtyardSubject is the courtyard's history in the co-governance log.
func CourtyardSubject(id int64) string { return "courtyard:" + strconv.FormatInt(id, 10) }

// Courtyard events.
const (
	CogovCourtyardMade    = "courtyard.made"
	CogovCourtyardChanged = "courtyard.changed"
)

// CourtyardStore keeps courtyards.
type CourtyardStore interface {
	// SaveCourtyard makes (ID 0) or replaces a courtyard with its event:
	// EINVALID (nothing written) when one of its buildings is in another
	// courtyard, ENOTFOUND for an unknown id.
	SaveCourtyard(ctx context.Context, c Courtyard, ev CogovEvent) (Courtyard, error)
	CourtyardByID(ctx context.Context, id int64) (Courtyard, error)
	// Courtyards lists the courtyards of communities in the subtrees or at
	// the exact codes, by community and name.
	Courtyards(ctx context.Context, within, exact []string) ([]Courtyard, error)
}

// OnBoard reports whether the matter is posted on the notice board of
// board: a courtyard's matter goes on its community's board (and above)
// and on the boards of its own buildings and grids, not on those of the
// community's other buildings.
func (c CourtyardScope) OnBoard(board string) bool {
	if !c.InCourtyard() {
		return true
	}
	return slices.ContainsFunc(c.Buildings, func(b string) bool { return InSubtree(board, b) || InSubtree(b, board) })
}
