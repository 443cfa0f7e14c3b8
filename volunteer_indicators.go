package civicgrid

import (
	"context"
	"strconv"
	"time"
)

// Volunteer indicators (志愿服务指标) per area and period, kept in rollups
// like the case indicators: every request event adds to the measures of
// its building's grid, community, street, district and city on the day
// (Beijing time) the event happened, in the event's transaction. The
// measures come from the request's hash-chained history alone
// (VolunteerDelta), so `civicgrid indicators check` recomputes and
// compares them. docs/volunteers.md explains each.

// VolunteerAnswerWithin is the time within which the community should
// answer (accept or decline) a request for it to count as answered in time
// (held as data; 志愿服务条例 art. 13 asks for an answer, the time is the
// community's promise).
var VolunteerAnswerWithin = 24 * time.Hour

// VolunteerMeasures are the additive counts of an area and period.
type VolunteerMeasures struct {
	Requests       int64 `json:"requests"`         // requests posted
	Answered       int64 `json:"answered"`         // accepted or declined by the community
	AnsweredOnTime int64 `json:"answered_on_time"` // … within VolunteerAnswerWithin of being posted
	Taken          int64 `json:"taken"`            // claims (a request released and taken again counts twice)
	TakenInTime    int64 `json:"taken_in_time"`    // … before the request turned red (its take-by time)
	Completed      int64 `json:"completed"`        // services signed out
	Confirmed      int64 `json:"confirmed"`        // services confirmed by the requester or staff
	Minutes        int64 `json:"minutes"`          // hours served: confirmed minutes, corrections of confirmed records included
	Rated          int64 `json:"rated"`            // confirmations with a rating
	RatingSum      int64 `json:"rating_sum"`
	Satisfied      int64 `json:"satisfied"` // ratings of 4 or 5
}

// VolunteerMeasureColumns are the measures' names in the store, in the
// order of Values.
var VolunteerMeasureColumns = []string{"requests", "answered", "answered_on_time", "taken", "taken_in_time", "completed",
	"confirmed", "minutes", "rated", "rating_sum", "satisfied"}

func (m *VolunteerMeasures) targets() []*int64 {
	return []*int64{&m.Requests, &m.Answered, &m.AnsweredOnTime, &m.Taken, &m.TakenInTime, &m.Completed, &m.Confirmed,
		&m.Minutes, &m.Rated, &m.RatingSum, &m.Satisfied}
}

// Values are the measures in the order of VolunteerMeasureColumns.
func (m VolunteerMeasures) Values() []int64 {
	out := make([]int64, 0, len(VolunteerMeasureColumns))
	for _, p := range m.targets() {
		out = append(out, *p)
	}
	return out
}

// VolunteerMeasuresOf reads measures in the order of VolunteerMeasureColumns.
func VolunteerMeasuresOf(v []int64) VolunteerMeasures {
	var m VolunteerMeasures
	for i, p := range m.targets() {
		if i < len(v) {
			*p = v[i]
		}
	}
	return m
}

// VolunteerDelta is what ev adds to the measures of its request's areas on
// the day of ev, given the request's events before it (history, in order);
// served is the volunteer whose service ev confirms (0: none), counted
// among the period's active volunteers.
func VolunteerDelta(history []VolunteerEvent, ev VolunteerEvent) (d VolunteerMeasures, served int64) {
	switch ev.Action {
	case HelpActPosted:
		d.Requests = 1
	case HelpActAccepted, HelpActDeclined:
		// Only a posted request is answered (the state machine), once.
		d.Answered = 1
		if len(history) > 0 && ev.At.Sub(history[0].At) <= VolunteerAnswerWithin {
			d.AnsweredOnTime = 1
		}
	case HelpActClaimed:
		d.Taken, d.TakenInTime = 1, 1
		// Late when the request turned red since it was last opened.
		for i := len(history) - 1; i >= 0; i-- {
			a := history[i].Action
			if a == HelpActAccepted || a == HelpActReleased {
				break
			}
			if a == HelpActUntaken {
				d.TakenInTime = 0
				break
			}
		}
	case HelpActSignedOut:
		d.Completed = 1
	case HelpActConfirmed:
		d.Confirmed = 1
		minutes, volunteer := helpMinutes(history), helpVolunteer(history)
		if minutes > 0 && volunteer != 0 {
			d.Minutes = int64(minutes) // what the time bank credits
		}
		if r, err := strconv.Atoi(ev.Data["rating"]); err == nil && r >= 1 && r <= 5 {
			d.Rated, d.RatingSum = 1, int64(r)
			if r >= 4 {
				d.Satisfied = 1
			}
		}
		served = volunteer
	case HelpActCorrected:
		// A confirmed record's correction moves the hours served by the
		// difference on its day (as it moves the time bank); a record not
		// yet confirmed counts its corrected minutes when confirmed.
		if helpConfirmedIn(history) && helpVolunteer(history) != 0 {
			after, err1 := strconv.Atoi(ev.Data["minutes"])
			before, err2 := strconv.Atoi(ev.Data["minutes_before"])
			if err1 == nil && err2 == nil {
				d.Minutes = int64(after - before)
			}
		}
	}
	return d, served
}

// helpMinutes is the record's minutes after the events: the last sign-out
// or correction.
func helpMinutes(evs []VolunteerEvent) int {
	for i := len(evs) - 1; i >= 0; i-- {
		if a := evs[i].Action; a == HelpActSignedOut || a == HelpActCorrected {
			n, _ := strconv.Atoi(evs[i].Data["minutes"])
			return n
		}
	}
	return 0
}

// helpVolunteer is who took the request last (the claim's actor).
func helpVolunteer(evs []VolunteerEvent) int64 {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == HelpActClaimed {
			return evs[i].ActorID
		}
	}
	return 0
}

func helpConfirmedIn(evs []VolunteerEvent) bool {
	for _, ev := range evs {
		if ev.Action == HelpActConfirmed {
			return true
		}
	}
	return false
}

// VolunteerDeltaActions are the actions VolunteerDelta counts; other
// events change no measure.
var VolunteerDeltaActions = map[string]bool{HelpActPosted: true, HelpActAccepted: true, HelpActDeclined: true, HelpActClaimed: true,
	HelpActSignedOut: true, HelpActConfirmed: true, HelpActCorrected: true}

// VolunteerIndicators are an area's volunteer indicators over a period of
// days (Beijing time).
type VolunteerIndicators struct {
	Scope string `json:"scope"`
	From  string `json:"from"` // yyyy-mm-dd
	To    string `json:"to"`
	VolunteerMeasures
	Hours            float64  `json:"hours"`             // Minutes / 60
	ActiveVolunteers int64    `json:"active_volunteers"` // distinct volunteers with a confirmed service in the period
	AnsweredOnTime   *float64 `json:"answered_on_time_rate"`
	TakenInTime      *float64 `json:"taken_in_time_rate"`
	MeanRating       *float64 `json:"mean_rating"`
	Satisfaction     *float64 `json:"satisfaction_rate"`
}

// Compute fills the rates from the measures (nil where nothing counts).
func (in *VolunteerIndicators) Compute(m VolunteerMeasures, active int64) {
	in.VolunteerMeasures, in.ActiveVolunteers = m, active
	in.Hours = float64(m.Minutes) / 60
	rate := func(n, d int64) *float64 {
		if d == 0 {
			return nil
		}
		r := float64(n) / float64(d)
		return &r
	}
	in.AnsweredOnTime = rate(m.AnsweredOnTime, m.Answered)
	in.TakenInTime = rate(m.TakenInTime, m.Taken)
	in.MeanRating = rate(m.RatingSum, m.Rated)
	in.Satisfaction = rate(m.Satisfied, m.Rated)
}

// VolunteerRollupStore keeps and sums the volunteer rollups.
type VolunteerRollupStore interface {
	// SumVolunteerRollups sums an area's measures over the days from..to
	// (yyyymmdd) and counts its active volunteers.
	SumVolunteerRollups(ctx context.Context, scope string, fromDay, toDay int) (VolunteerMeasures, int64, error)
}
