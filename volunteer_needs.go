package civicgrid

import (
	"slices"
	"strconv"
	"strings"
)

// Matching by needs (按需匹配): a request needs the skills of its service
// (VolunteerService.Skills) and whatever was asked for besides — another
// skill (a driver, sign language …) or a woman volunteer — all codes of
// HelpNeeds, held as data. A volunteer's registration says what they bring:
// their skills and, if they chose to give it, their gender. The open
// requests near a volunteer are ordered by distance and fit
// (HelpRankMetres); a need not met never stops a claim — nobody is
// assigned by force, and a volunteer who cannot drive may still shop.

// NeedWoman asks for a woman volunteer (met by a registration that gives
// the gender female).
const NeedWoman = "woman"

// Genders a volunteer may give (voluntarily; "" not given).
const (
	GenderFemale = "female"
	GenderMale   = "male"
)

// HelpNeed is one need a request may have.
type HelpNeed struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// HelpNeeds are the needs a request may name: every skill of
// VolunteerSkills and a woman volunteer.
var HelpNeeds = func() []HelpNeed {
	out := make([]HelpNeed, 0, len(VolunteerSkills)+1)
	for _, s := range VolunteerSkills {
		out = append(out, HelpNeed{s.Code, s.NameZH, s.NameEN})
	}
	return append(out, HelpNeed{NeedWoman, "女性志愿者", "A woman volunteer"})
}()

// MaxHelpNeeds bounds the needs of a request (the service's included).
const MaxHelpNeeds = 6

// MissingNeedMetres is what a need the volunteer does not meet weighs in
// the order of open requests: as much as being this much farther away.
const MissingNeedMetres = 1000

func lookupNeed(code string) bool {
	return slices.ContainsFunc(HelpNeeds, func(n HelpNeed) bool { return n.Code == code })
}

// checkNeeds returns the service's skills and the needs asked for, each
// once, in that order, and a problem for each unknown code or too many.
func checkNeeds(service, asked []string) ([]string, []Problem) {
	var ps []Problem
	needs := []string{}
	for _, n := range append(slices.Clone(service), asked...) {
		n = strings.TrimSpace(n)
		switch {
		case n == "" || slices.Contains(needs, n):
			continue
		case !lookupNeed(n):
			ps = append(ps, Problem{Index: -1, Kind: "needs", Code: n, Detail: "not a need of the catalogue (a skill of the volunteer skills, or " + NeedWoman + ")"})
			continue
		}
		needs = append(needs, n)
	}
	if len(needs) > MaxHelpNeeds {
		ps = append(ps, Problem{Index: -1, Kind: "needs", Detail: "at most " + strconv.Itoa(MaxHelpNeeds) + " needs, the service's own included"})
	}
	return needs, ps
}

// HelpFit is how well a volunteer fits a request's needs.
type HelpFit struct {
	Needs   int      `json:"needs"`   // how many the request has
	Met     int      `json:"met"`     // how many the volunteer meets
	Missing []string `json:"missing"` // codes of those not met
}

// FitOf says which of needs the registration p meets. A skill is met when
// p names its code or its name (a skill typed rather than chosen); a woman
// volunteer when p gives the gender female.
func FitOf(needs []string, p VolunteerProfile) HelpFit {
	f := HelpFit{Needs: len(needs), Missing: []string{}}
	for _, n := range needs {
		met := false
		if n == NeedWoman {
			met = p.Gender == GenderFemale
		} else {
			names := []string{n}
			if i := slices.IndexFunc(VolunteerSkills, func(s VolunteerSkill) bool { return s.Code == n }); i >= 0 {
				names = append(names, VolunteerSkills[i].NameZH, strings.ToLower(VolunteerSkills[i].NameEN))
			}
			met = slices.ContainsFunc(p.Skills, func(s string) bool { return slices.Contains(names, strings.ToLower(strings.TrimSpace(s))) })
		}
		if met {
			f.Met++
		} else {
			f.Missing = append(f.Missing, n)
		}
	}
	return f
}

// HelpRankMetres is the order of an open request for a volunteer: its
// distance in metres (unknown: after every known one) plus
// MissingNeedMetres for each need the volunteer does not meet. Lower comes
// first; ties go to urgent requests, then to the earliest window.
func HelpRankMetres(distanceM float64, known bool, fit HelpFit) float64 {
	d := distanceM
	if !known {
		d = 1e9
	}
	return d + float64(len(fit.Missing))*MissingNeedMetres
}
