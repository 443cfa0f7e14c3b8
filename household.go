package civicgrid

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Households (户) of a building, for votes by household and owners' votes
// by floor area (cogovernance.go). A household is a flat (房号) of a
// building; its members are people of the identity registry, one of them
// the household representative (户代表); for owners' decisions (民法典 art.
// 278) a flat has an owner and a floor area (m², from the property record),
// entered by community staff and written to the security log. It is
// personal data: only community staff of the building's community and the
// members themselves see it, masked as everywhere.

// Limits of the household registry.
const (
	MaxRoomLabel    = 20      // characters of a room number (房号)
	MaxFlatArea     = 100_000 // m² (a flat larger than this is a typing error)
	MaxHouseholdCSV = 2000    // rows in one import
)

// HouseholdMember is a person of a household, masked.
type HouseholdMember struct {
	UserID         int64  `json:"-"`
	Name           string `json:"name"`  // masked
	Phone          string `json:"phone"` // masked
	Representative bool   `json:"representative"`
}

// Household is a flat of a building with its members and, for owners'
// decisions, its owner and floor area.
type Household struct {
	ID       int64             `json:"id"`
	AreaCode string            `json:"area_code"` // the building
	Room     string            `json:"room"`      // 房号
	Members  []HouseholdMember `json:"members"`
	OwnerID  int64             `json:"-"`
	Owner    string            `json:"owner,omitempty"` // masked
	// CoOwners (共有人) own the flat with the owner of record: together
	// they are one owner with its area in an owners' vote.
	CoOwnerIDs []int64  `json:"-"`
	CoOwners   []string `json:"co_owners,omitempty"` // masked
	// AreaCenti is the floor area in hundredths of a m² (integers keep the
	// area majorities exact); 0 when not entered.
	AreaCenti int64 `json:"area_centi"`
}

// Object is the household as the object of an access decision: it lies in
// its building, and its members see it as their own (Electors carries the
// asker's id when they are a member).
func (h Household) Object(asker int64) Object {
	obj := In(h.AreaCode)
	for _, m := range h.Members {
		if m.UserID == asker {
			obj.Owner = asker
		}
	}
	return obj
}

// FormatArea writes hundredths of a m² as "89.50".
func FormatArea(centi int64) string {
	return strconv.FormatInt(centi/100, 10) + "." + strconv.FormatInt(100+centi%100, 10)[1:]
}

// ParseArea reads a floor area in m² with at most two decimals.
func ParseArea(s string) (int64, error) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > MaxFlatArea || math.IsNaN(f) {
		return 0, Errorf(EINVALID, "a floor area is a number of m² above 0 and at most %d, not %q", MaxFlatArea, s)
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		return 0, Errorf(EINVALID, "a floor area has at most two decimals, not %q", s)
	}
	return int64(math.Round(f * 100)), nil
}

// What a household row says of a person.
const (
	HouseholdMemberRole  = "member"         // lives in the flat
	HouseholdRepresent   = "representative" // the household representative (户代表), a member
	HouseholdOwnerRole   = "owner"          // the owner of record, with the floor area (a new owner of record clears the co-owners)
	HouseholdCoOwner     = "co_owner"       // a co-owner (共有人) beside the owner of record
	HouseholdMoveOut     = "move_out"       // the member leaves the flat (迁出); to move in elsewhere, a member row follows
	HouseholdNoPersonRow = ""               // the flat alone
)

// HouseholdRow is one line of a household import (or one entry of the
// staff form): room, the person's phone, what they are (member,
// representative, owner) and, for an owner, the floor area.
type HouseholdRow struct {
	Room  string `json:"room"`
	Phone string `json:"phone"`
	Role  string `json:"role"`
	Area  string `json:"area"` // m², owners only
	// AreaCenti is Area checked (CheckHouseholdRows).
	AreaCenti int64 `json:"-"`
}

// HouseholdImport is the JSON body of an import.
type HouseholdImport struct {
	Rows []HouseholdRow `json:"rows"`
}

// CheckHouseholdRows validates rows (all of them: one bad row writes
// nothing) and returns them trimmed with their areas read.
func CheckHouseholdRows(rows []HouseholdRow) ([]HouseholdRow, error) {
	var ps []Problem
	if len(rows) == 0 || len(rows) > MaxHouseholdCSV {
		return nil, Errorf(EINVALID, "give 1 to %d rows", MaxHouseholdCSV)
	}
	out := make([]HouseholdRow, len(rows))
	reps := map[string]int{}
	for i, r := range rows {
		r.Room, r.Phone, r.Role = strings.TrimSpace(r.Room), strings.TrimSpace(r.Phone), strings.TrimSpace(r.Role)
		if r.Room == "" || utf8.RuneCountInString(r.Room) > MaxRoomLabel || strings.ContainsAny(r.Room, "\r\n\t") {
			ps = append(ps, Problem{Index: i, Kind: "room", Detail: "a room number of 1 to " + strconv.Itoa(MaxRoomLabel) + " characters"})
		}
		switch r.Role {
		case HouseholdNoPersonRow:
			if r.Phone != "" {
				ps = append(ps, Problem{Index: i, Kind: "role", Detail: "say what the person is: member, representative, owner, co_owner or move_out"})
			}
		case HouseholdMemberRole, HouseholdRepresent, HouseholdOwnerRole, HouseholdCoOwner, HouseholdMoveOut:
			if !mobileNumber(r.Phone) {
				ps = append(ps, Problem{Index: i, Kind: "phone", Detail: "a mobile number of 11 digits"})
			}
		default:
			ps = append(ps, Problem{Index: i, Kind: "role", Detail: "role is member, representative, owner, co_owner or move_out, not " + strconv.Quote(r.Role)})
		}
		if r.Role == HouseholdRepresent {
			if reps[r.Room]++; reps[r.Room] == 2 {
				ps = append(ps, Problem{Index: i, Kind: "role", Detail: "room " + r.Room + " has one representative"})
			}
		}
		if r.Role == HouseholdOwnerRole {
			a, err := ParseArea(r.Area)
			if err != nil {
				ps = append(ps, Problem{Index: i, Kind: "area", Detail: err.Error()})
			}
			r.AreaCenti = a
		} else if strings.TrimSpace(r.Area) != "" {
			ps = append(ps, Problem{Index: i, Kind: "area", Detail: "a floor area goes with the owner's row"})
		}
		out[i] = r
	}
	if len(ps) > 0 {
		return nil, &Error{Code: EINVALID, Message: "the household rows are not valid; nothing was written", Problems: ps}
	}
	return out, nil
}

// ParseHouseholdCSV reads rows "room,phone,role,area" (a header line
// starting with "room" or "房号" is skipped).
func ParseHouseholdCSV(r io.Reader) ([]HouseholdRow, error) {
	cr := csv.NewReader(io.LimitReader(r, 1<<20))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, Errorf(EINVALID, "not CSV: %v", err)
	}
	var rows []HouseholdRow
	for i, rec := range recs {
		if i == 0 && len(rec) > 0 && (strings.EqualFold(strings.TrimSpace(rec[0]), "room") || strings.TrimSpace(rec[0]) == "房号") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > 4 {
			return nil, Errorf(EINVALID, "line %d: at most 4 fields: room, phone, role, area", i+1)
		}
		rec = append(rec, "", "", "", "")
		rows = append(rows, HouseholdRow{Room: rec[0], Phone: rec[1], Role: rec[2], Area: rec[3]})
	}
	return rows, nil
}

// EventHouseholdChanged is the security log's entry of a change to a
// building's households (who, which building, how many rows).
const EventHouseholdChanged = "household.changed"

// HouseholdStore keeps the households of buildings.
type HouseholdStore interface {
	// Households lists a building's households by room, members unmasked
	// (the service masks).
	Households(ctx context.Context, building string) ([]Household, error)
	// HouseholdOf returns the household the person is a member of
	// (ENOTFOUND when none).
	HouseholdOf(ctx context.Context, userID int64) (Household, error)
	// HouseholdCount counts the households (flats with members) in the
	// subtrees of scope.
	HouseholdCount(ctx context.Context, scope []string) (int, error)
	// ApplyHouseholdRows creates the flats and sets members,
	// representatives, owners and areas in one transaction with the
	// security event: EINVALID (nothing written) for a phone nobody has, a
	// person already of another flat, or a second representative.
	ApplyHouseholdRows(ctx context.Context, building string, rows []HouseholdRow, ev SecurityEvent) (int, error)
}

// mobileNumber: 11 digits starting with 1, as the registry keeps phones.
func mobileNumber(s string) bool {
	if len(s) != 11 || s[0] != '1' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
