package civicgrid

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Level is a layer of the administrative hierarchy.
type Level string

const (
	LevelCity      Level = "city"      // 市, 6-digit code ending in 00 (GB/T 2260)
	LevelDistrict  Level = "district"  // 区/县, 6-digit county-level code (GB/T 2260)
	LevelStreet    Level = "street"    // 街道/镇/乡, 9 digits = district + 3
	LevelCommunity Level = "community" // 社区/村, 12 digits = street + 3
	LevelGrid      Level = "grid"      // 单元网格, 15 digits = community + 3 (west→east, north→south)
	LevelBuilding  Level = "building"  // 楼栋, 19 digits = grid + 4 (civicgrid's own convention)
)

// Levels lists the levels from the top down.
var Levels = []Level{LevelCity, LevelDistrict, LevelStreet, LevelCommunity, LevelGrid, LevelBuilding}

// ParseLevel returns the level named s.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", Errorf(EINVALID, "unknown level %q (want one of city, district, street, community, grid, building)", s)
}

// CodeLen is the number of digits of a code at this level.
func (l Level) CodeLen() int {
	switch l {
	case LevelCity, LevelDistrict:
		return 6
	case LevelStreet:
		return 9
	case LevelCommunity:
		return 12
	case LevelGrid:
		return 15
	case LevelBuilding:
		return 19
	}
	return 0
}

// Parent is the level directly above l ("" for the city). A district may also
// stand at the top, with no parent, when a deployment covers one district.
func (l Level) Parent() Level {
	for i, x := range Levels {
		if x == l && i > 0 {
			return Levels[i-1]
		}
	}
	return ""
}

// Rank orders levels from the top (0 = city).
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// ValidateCode checks that code has the shape of its level and, when a parent
// is given, that it extends the parent's code as the national scheme requires.
func ValidateCode(level Level, code, parentCode string) error {
	n := level.CodeLen()
	if n == 0 {
		return Errorf(EINVALID, "unknown level %q", level)
	}
	if len(code) != n {
		return Errorf(EINVALID, "code %q of a %s must have %d digits, has %d", code, level, n, len(code))
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return Errorf(EINVALID, "code %q must contain digits only", code)
		}
	}
	switch level {
	case LevelCity:
		if code[4:] != "00" || code[2:4] == "00" {
			return Errorf(EINVALID, "city code %q must look like PPCC00 (e.g. 420100)", code)
		}
	case LevelDistrict:
		if code[4:] == "00" {
			return Errorf(EINVALID, "district code %q must not end in 00 (that is a city or province)", code)
		}
	default:
		if code[n-3:] == "000" || (level == LevelBuilding && code[n-4:] == "0000") {
			return Errorf(EINVALID, "code %q: the last part must not be zero", code)
		}
	}
	if parentCode == "" {
		if level != LevelCity && level != LevelDistrict {
			return Errorf(EINVALID, "a %s needs a parent code", level)
		}
		return nil
	}
	pl := level.Parent()
	if len(parentCode) != pl.CodeLen() {
		return Errorf(EINVALID, "parent code %q of %s %q must be a %d-digit %s code", parentCode, level, code, pl.CodeLen(), pl)
	}
	switch level {
	case LevelDistrict:
		if code[:4] != parentCode[:4] {
			return Errorf(EINVALID, "district code %q does not lie in city %q (first 4 digits differ)", code, parentCode)
		}
	default:
		if code[:len(parentCode)] != parentCode {
			return Errorf(EINVALID, "code %q does not start with its parent's code %q", code, parentCode)
		}
	}
	return nil
}

// Area is one version of a node of the hierarchy. Redrawing an area ends the
// old version (ValidTo set) and starts a new one with a new ID, so records made
// earlier keep pointing at the shape they were made against.
type Area struct {
	ID         int64
	Code       string
	Level      Level
	Name       string
	ParentCode string
	// Geometry is in WGS-84 longitude/latitude (GPS coordinates, not GCJ-02),
	// rounded to 1e-7 degrees (about 1 cm). Polygon or MultiPolygon for areas;
	// Point or Polygon (footprint) for buildings; nil for a city or district
	// imported without a boundary.
	Geometry  orb.Geometry
	Number    string    // building number (楼栋号), buildings only
	Workers   []Worker  // grid workers responsible for a grid
	ValidFrom time.Time // start of this version
	ValidTo   time.Time // zero while current
}

// Current reports whether this is the version in force.
func (a *Area) Current() bool { return a.ValidTo.IsZero() }

// Worker is a grid worker (网格员) as listed for a grid.
type Worker struct {
	UserID int64  `json:"-"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
}

// Public returns the worker as listed for anyone (the map, the locate
// answer, grid pages) and in area exports: the full name, the phone masked.
// The name is public on purpose: a grid worker is an official the grid's
// residents must know by name (it is on the grid's public notice board,
// 网格公示牌), listed in that role only, never with a home. The phone is
// private contact data the public API would let anyone collect for the whole
// city at once, so it stays masked; residents reach the worker through a
// case or the community office.
func (w Worker) Public() Worker {
	w.Phone = MaskPhone(w.Phone)
	return w
}

// MaskPhone hides the middle digits of a phone number (138****1234), the form
// in which personal data is shown unless a role with a logged reason unmasks it.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// MaskName keeps the family name and hides the rest (张** for 张小明).
func MaskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	out := string(r[0])
	for range r[1:] {
		out += "*"
	}
	if len(r) == 1 {
		out += "*"
	}
	return out
}

// AreaFilter selects current areas.
type AreaFilter struct {
	Level  Level      // "" for every level
	Within string     // only areas whose code starts with this code
	BBox   *orb.Bound // only areas whose bounding box meets this one
	Limit  int        // 0 for no limit
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`   // codes seen for the first time
	Redrawn   int `json:"redrawn"`   // codes whose old version was ended and a new one started
	Unchanged int `json:"unchanged"` // identical to the current version: nothing written
}

func (r ImportResult) String() string {
	return fmt.Sprintf("%d created, %d redrawn, %d unchanged", r.Created, r.Redrawn, r.Unchanged)
}

// AreaStore keeps areas and their versions.
type AreaStore interface {
	// ApplyAreas writes a validated set of areas in one transaction: new codes
	// are created, changed ones get a new version, identical ones are left alone.
	ApplyAreas(ctx context.Context, areas []Area, at time.Time) (ImportResult, error)
	// CurrentAreas returns the areas in force that match f, ordered by code.
	CurrentAreas(ctx context.Context, f AreaFilter) ([]Area, error)
	// AreaByCode returns the current version of an area.
	AreaByCode(ctx context.Context, code string) (Area, error)
	// AreaVersions returns every version of an area, oldest first.
	AreaVersions(ctx context.Context, code string) ([]Area, error)
	// AreaGeneration changes whenever areas change; instances compare it to
	// know when to rebuild their spatial index.
	AreaGeneration(ctx context.Context) (int64, error)
}

// AreaRef names an area briefly.
type AreaRef struct {
	Code  string `json:"code"`
	Level Level  `json:"level,omitempty"`
	Name  string `json:"name"`
}

// Location answers "which grid is this point in".
type Location struct {
	Grid       AreaRef
	Ancestors  []AreaRef // community, street, district, city: nearest first
	Workers    []Worker
	OnBoundary bool    // the point lies on an edge or vertex shared with other grids
	DistanceM  float64 // 0 inside a grid; else metres to the nearest grid within tolerance
}

// Ancestor returns the ancestor at level l, if any.
func (l Location) Ancestor(level Level) (AreaRef, bool) {
	for _, a := range l.Ancestors {
		if a.Level == level {
			return a, true
		}
	}
	return AreaRef{}, false
}
