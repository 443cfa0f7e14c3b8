package civicgrid

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Volunteer profiles and registration (志愿者注册): a person registers with
// their skills, availability, the areas they serve, training records, the
// date their insurance runs to and whether their name may be published;
// staff of the community named approve the registration or decline it with
// a reason. Only a volunteer whose registration is approved claims
// requests. docs/volunteers.md states the flow.

// ProfileStatus is where a registration stands.
type ProfileStatus string

const (
	ProfilePending  ProfileStatus = "pending"  // waiting for the community's staff
	ProfileApproved ProfileStatus = "approved" // may claim requests
	ProfileDeclined ProfileStatus = "declined" // with a reason; registering again asks again
)

// Limits of a profile.
const (
	MaxProfileSkills   = 12
	MaxProfileSkill    = 20 // characters of one skill
	MaxProfileAreas    = 20
	MaxProfileTraining = 20
	MaxProfileText     = 200 // availability, a training's name
)

// VolunteerSkills are the skills offered as choices (held as data); a
// profile may name others.
var VolunteerSkills = []VolunteerSkill{
	{"driver", "驾驶", "Driving"},
	{"first_aid", "急救", "First aid"},
	{"repair", "维修", "Repairs"},
	{"haircut", "理发", "Haircut"},
	{"cooking", "烹饪", "Cooking"},
	{"escort", "陪诊", "Clinic escort"},
	{"counselling", "心理疏导", "Counselling"},
	{"lecture", "宣讲", "Public talks"},
	{"sign_language", "手语", "Sign language"},
	{"digital", "智能手机辅导", "Phone and apps help"},
}

// VolunteerSkill is a skill offered as a choice.
type VolunteerSkill struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// TrainingRecord is one training a volunteer took.
type TrainingRecord struct {
	Name  string `json:"name"`
	Date  string `json:"date"` // YYYY-MM-DD
	Hours int    `json:"hours,omitempty"`
}

// VolunteerProfile is a volunteer's registration. Name is kept for staff
// and, with PublishName, for public lists; JSON carries it masked unless
// the name may be published.
type VolunteerProfile struct {
	UserID         int64            `json:"user_id"`
	Name           string           `json:"-"`
	Label          string           `json:"name"` // masked, or the name when published
	Community      string           `json:"community_code"`
	Skills         []string         `json:"skills"`
	Availability   string           `json:"availability,omitempty"`
	Areas          []string         `json:"areas"`
	Training       []TrainingRecord `json:"training"`
	InsuranceUntil string           `json:"insurance_until,omitempty"` // YYYY-MM-DD
	PublishName    bool             `json:"publish_name"`
	// OutsideAreas: the open list also shows requests outside Areas (after
	// those inside); otherwise only those inside.
	OutsideAreas bool `json:"outside_areas"`
	// Gender is given voluntarily ("" not given, GenderFemale,
	// GenderMale), only to meet a request that needs a woman volunteer;
	// shown to the person and the staff who decide the registration.
	Gender string `json:"gender,omitempty"`
	// IDNumber is the resident identity card number (身份证号), checked by
	// CheckIDNumber; never in JSON: IDMasked (1101**********1234) is shown,
	// the full number only to the recording community's staff through a
	// logged read (volunteering.Service.IDNumber).
	IDNumber string `json:"-"`
	IDMasked string `json:"id_number,omitempty"`
	// VolunteerNo is the volunteer number (志愿者编号) given at the first
	// approval: the community's code and a serial (VolunteerNumber), kept
	// afterwards, unique.
	VolunteerNo string        `json:"volunteer_number,omitempty"`
	Status      ProfileStatus `json:"status"`
	Reason      string        `json:"reason,omitempty"` // why declined
	DecidedBy   string        `json:"decided_by,omitempty"`
	DecidedByID int64         `json:"-"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// Labelled fills Label from Name and the consent.
func (p VolunteerProfile) Labelled() VolunteerProfile {
	p.Label = MaskName(p.Name)
	p.IDMasked = MaskIDNumber(p.IDNumber)
	if p.PublishName {
		p.Label = p.Name
	}
	return p
}

// InsuredOn reports whether the insurance covers day t (China Standard
// Time); no date: not insured.
func (p VolunteerProfile) InsuredOn(t time.Time) bool {
	return p.InsuranceUntil != "" && p.InsuranceUntil >= t.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
}

// Serves reports whether a building lies in the areas the volunteer
// serves (their community when none are named).
func (p VolunteerProfile) Serves(building string) bool {
	areas := p.Areas
	if len(areas) == 0 {
		areas = []string{p.Community}
	}
	for _, a := range areas {
		if a != "" && InSubtree(a, building) {
			return true
		}
	}
	return false
}

// Object is the profile as the object of an access decision: its owner's,
// in its community.
func (p VolunteerProfile) Object() Object {
	return Object{Areas: []string{p.Community}, Owner: p.UserID}
}

// ProfileInput is what a person writes to register.
type ProfileInput struct {
	Community      string           `json:"community_code"`
	Skills         []string         `json:"skills"`
	Availability   string           `json:"availability"`
	Areas          []string         `json:"areas"` // codes within the community; empty: the whole community
	Training       []TrainingRecord `json:"training"`
	InsuranceUntil string           `json:"insurance_until"`
	PublishName    bool             `json:"publish_name"`
	OutsideAreas   bool             `json:"outside_areas"` // also list requests outside one's areas
	Gender         string           `json:"gender"`        // "", female or male: given voluntarily
	// IDNumber is the resident identity card number; empty keeps the one
	// registered before.
	IDNumber string `json:"id_number"`
}

// Check validates the input and returns the profile it makes (status
// pending), every problem named at once.
func (in ProfileInput) Check(now time.Time) (VolunteerProfile, error) {
	var ps []Problem
	bad := func(kind, code, detail string) {
		ps = append(ps, Problem{Index: -1, Kind: kind, Code: code, Detail: detail})
	}
	if LevelOfCode(in.Community) != LevelCommunity {
		bad("community_code", in.Community, "the community whose staff approve the registration (12 digits)")
	}
	skills := []string{}
	seen := map[string]bool{}
	for _, s := range in.Skills {
		s = strings.TrimSpace(s)
		switch {
		case s == "" || seen[s]:
			continue
		case utf8.RuneCountInString(s) > MaxProfileSkill:
			bad("skills", "", "a skill of at most "+strconv.Itoa(MaxProfileSkill)+" characters")
		}
		seen[s] = true
		skills = append(skills, s)
	}
	if len(skills) > MaxProfileSkills {
		bad("skills", "", "at most "+strconv.Itoa(MaxProfileSkills)+" skills")
	}
	areas := []string{}
	for _, a := range in.Areas {
		a = strings.TrimSpace(a)
		if a == "" || containsString(areas, a) {
			continue
		}
		if LevelOfCode(a) == "" || len(in.Community) != 12 || !strings.HasPrefix(a, in.Community) {
			bad("areas", a, "an area served lies within the community (its code starts with the community's)")
		}
		areas = append(areas, a)
	}
	if len(areas) > MaxProfileAreas {
		bad("areas", "", "at most "+strconv.Itoa(MaxProfileAreas)+" areas")
	}
	if len(areas) == 0 && len(in.Community) == 12 {
		areas = []string{in.Community}
	}
	in.Availability = strings.TrimSpace(in.Availability)
	if utf8.RuneCountInString(in.Availability) > MaxProfileText {
		bad("availability", "", "at most "+strconv.Itoa(MaxProfileText)+" characters")
	}
	training := []TrainingRecord{}
	for i, t := range in.Training {
		t.Name = strings.TrimSpace(t.Name)
		d, err := time.Parse(time.DateOnly, t.Date)
		switch {
		case t.Name == "" || utf8.RuneCountInString(t.Name) > MaxProfileText:
			bad("training", strconv.Itoa(i), "a training has a name of 1 to "+strconv.Itoa(MaxProfileText)+" characters")
		case err != nil || d.After(now):
			bad("training", t.Date, "a training's date is a past day, YYYY-MM-DD")
		case t.Hours < 0 || t.Hours > 1000:
			bad("training", strconv.Itoa(t.Hours), "a training's hours are 0 to 1000")
		}
		training = append(training, t)
	}
	if len(training) > MaxProfileTraining {
		bad("training", "", "at most "+strconv.Itoa(MaxProfileTraining)+" training records")
	}
	if in.InsuranceUntil != "" {
		if _, err := time.Parse(time.DateOnly, in.InsuranceUntil); err != nil {
			bad("insurance_until", in.InsuranceUntil, "the last day the insurance covers, YYYY-MM-DD")
		}
	}
	var idNumber string
	if strings.TrimSpace(in.IDNumber) != "" {
		var err error
		if idNumber, err = CheckIDNumber(in.IDNumber, now); err != nil {
			bad("id_number", "", err.Error())
		}
	}
	switch in.Gender {
	case "", GenderFemale, GenderMale:
	default:
		bad("gender", in.Gender, "female, male, or nothing (giving it is voluntary)")
	}
	if len(ps) > 0 {
		return VolunteerProfile{}, &Error{Code: EINVALID, Message: "the volunteer registration is not valid", Problems: ps}
	}
	at := time.UnixMilli(now.UnixMilli())
	return VolunteerProfile{Community: in.Community, Skills: skills, Availability: in.Availability, Areas: areas, Training: training,
		InsuranceUntil: in.InsuranceUntil, PublishName: in.PublishName, OutsideAreas: in.OutsideAreas, Gender: in.Gender, IDNumber: idNumber, IDMasked: MaskIDNumber(idNumber),
		Status: ProfilePending, CreatedAt: at, UpdatedAt: at}, nil
}

// CheckIDNumber checks a resident identity card number (居民身份证号码,
// GB 11643-1999): 18 characters — a 6-digit region code (not starting
// with 0), the date of birth YYYYMMDD (a real day, from 1900, not after
// now), a 3-digit serial and the check character (0–9 or X) of ISO 7064
// MOD 11-2. Spaces are dropped and x upper-cased; the number is returned
// as checked. The error never repeats the number.
func CheckIDNumber(s string, now time.Time) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) != 18 {
		return "", Errorf(EINVALID, "an ID number has 18 characters (it has %d)", utf8.RuneCountInString(s))
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", Errorf(EINVALID, "an ID number's first 17 characters are digits")
		}
	}
	if s[0] == '0' {
		return "", Errorf(EINVALID, "an ID number starts with a region code (not 0)")
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(now) {
		return "", Errorf(EINVALID, "an ID number's characters 7 to 14 are a date of birth (YYYYMMDD, a real past day)")
	}
	if want := IDCheckChar(s[:17]); s[17] != want {
		return "", Errorf(EINVALID, "the ID number's check character does not match (a digit was mistyped)")
	}
	return s, nil
}

// IDCheckChar is the check character of the first 17 digits of an ID
// number (ISO 7064 MOD 11-2: weights 2^(17-i) mod 11).
func IDCheckChar(d17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17 && i < len(d17); i++ {
		sum += int(d17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// MaskIDNumber shows an ID number's first and last four characters only
// (1101**********1234); "" stays "".
func MaskIDNumber(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}

// VolunteerNumber is the volunteer number (志愿者编号) of the serial-th
// volunteer approved in a community: its 12-digit code, a dash and the
// serial in 6 digits (110101001001-000007).
func VolunteerNumber(community string, serial int64) string {
	return community + "-" + leftPad(strconv.FormatInt(serial, 10), 6)
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// VolunteerProfileStore keeps registrations.
type VolunteerProfileStore interface {
	// SaveVolunteerProfile writes a person's registration (one per person):
	// a new one, or a change of their own. keepApproval keeps an approved
	// registration approved (the same community); otherwise it waits for
	// staff again.
	SaveVolunteerProfile(ctx context.Context, p VolunteerProfile, keepApproval bool) (VolunteerProfile, error)
	// VolunteerProfileOf returns a person's registration, ENOTFOUND when
	// they have none.
	VolunteerProfileOf(ctx context.Context, userID int64) (VolunteerProfile, error)
	// VolunteerProfiles lists registrations of communities in the
	// subtrees, in one of statuses (all when empty), oldest first.
	VolunteerProfiles(ctx context.Context, within []string, statuses []ProfileStatus, limit int) ([]VolunteerProfile, error)
	// DecideVolunteerProfile approves or declines a pending registration,
	// as one conditional update: ECONFLICT when it is no longer pending.
	DecideVolunteerProfile(ctx context.Context, userID int64, to ProfileStatus, reason string, byID int64, byLabel string, at time.Time) (VolunteerProfile, error)
}
