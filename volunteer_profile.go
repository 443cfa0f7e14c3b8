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
	// Gender is given voluntarily ("" not given, GenderFemale,
	// GenderMale), only to meet a request that needs a woman volunteer;
	// shown to the person and the staff who decide the registration.
	Gender      string        `json:"gender,omitempty"`
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
	Gender         string           `json:"gender"` // "", female or male: given voluntarily
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
		InsuranceUntil: in.InsuranceUntil, PublishName: in.PublishName, Gender: in.Gender, Status: ProfilePending, CreatedAt: at, UpdatedAt: at}, nil
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
