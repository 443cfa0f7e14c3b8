package volunteering_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The volunteer indicators are kept in the rollups by every step, at every
// level of the building's areas and on the day of each step: requests,
// answers in time, claims before the request turned red, services
// completed and confirmed, hours served (corrections of confirmed records
// included, as in the time bank), ratings and active volunteers. A refused
// step counts nothing; the check recomputes them from the histories and
// finds a row changed behind their back.
func TestVolunteerIndicators(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol, vol2 := e.person(civicgrid.RoleVolunteer, community), e.person(civicgrid.RoleVolunteer, community)
	day1 := e.now

	// Answered within an hour, taken at once, 60 minutes, rated 5.
	a := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	e.now = e.now.Add(time.Hour)
	must(e.svc.Verify(ctx, staff, a.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Claim(ctx, vol, a.ID))
	_, err := e.svc.Claim(ctx, vol2, a.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "is taken")
	must(e.svc.SignIn(ctx, vol, a.ID, here))
	e.now = e.now.Add(60 * time.Minute)
	must(e.svc.SignOut(ctx, vol, a.ID, here))
	must(e.svc.Confirm(ctx, resident, a.ID, 5, ""))

	// Answered after 30 hours (late), red before anyone took it, 30
	// minutes, rated 3.
	b := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building}))
	e.now = e.now.Add(30 * time.Hour)
	must(e.svc.Verify(ctx, staff, b.ID, volunteering.DecisionAccept, ""))
	e.now = e.now.Add(25 * time.Hour)
	if n := must(e.db.MarkUntakenHelp(ctx, e.now, 10)); n != 1 {
		t.Fatalf("marked %d untaken", n)
	}
	must(e.svc.Claim(ctx, vol2, b.ID))
	must(e.svc.SignIn(ctx, vol2, b.ID, here))
	e.now = e.now.Add(30 * time.Minute)
	must(e.svc.SignOut(ctx, vol2, b.ID, here))
	must(e.svc.Confirm(ctx, resident, b.ID, 3, ""))

	// Declined in time; and a correction of the first record, +30
	// minutes, on a later day.
	c := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "haircut", BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, c.ID, volunteering.DecisionDecline, "no barber this week"))
	e.now = e.now.Add(24 * time.Hour)
	must(e.svc.Correct(ctx, staff, a.ID, volunteering.Correction{Minutes: 90, Reason: "stayed to help unpack"}))
	last := e.now

	want := civicgrid.VolunteerMeasures{Requests: 3, Answered: 3, AnsweredOnTime: 2, Taken: 2, TakenInTime: 1, Completed: 2,
		Confirmed: 2, Minutes: 120, Rated: 2, RatingSum: 8, Satisfied: 1}
	for _, area := range []string{building[:15], community, community[:9], community[:6], community[:4] + "00"} {
		in := must(e.svc.Indicators(ctx, e.person(civicgrid.RoleCityAdmin, "420100"), area, day1, last))
		if in.VolunteerMeasures != want || in.ActiveVolunteers != 2 || in.Hours != 2 {
			t.Fatalf("%s: %+v", area, in)
		}
		if *in.AnsweredOnTime != 2.0/3 || *in.TakenInTime != 0.5 || *in.MeanRating != 4 || *in.Satisfaction != 0.5 {
			t.Fatalf("%s rates: %+v", area, in)
		}
	}
	// The first day alone: a's steps (its correction came later).
	first := must(e.svc.Indicators(ctx, staff, community, day1, day1))
	if first.Requests != 2 || first.Minutes != 60 || first.ActiveVolunteers != 1 || first.Confirmed != 1 {
		t.Fatalf("the first day: %+v", first.VolunteerMeasures)
	}
	// The last day: the correction's 30 minutes only.
	if l := must(e.svc.Indicators(ctx, staff, community, last, last)); l.Minutes != 30 || l.Confirmed != 0 || l.ActiveVolunteers != 0 {
		t.Fatalf("the last day: %+v", l.VolunteerMeasures)
	}

	// Who may read them, and bad periods.
	_, err = e.svc.Indicators(ctx, resident, community, day1, last)
	wantErr(t, err, civicgrid.EFORBIDDEN, "indicators.read")
	_, err = e.svc.Indicators(ctx, staff, "420103001001", day1, last)
	wantErr(t, err, civicgrid.EFORBIDDEN, "indicators.read")
	_, err = e.svc.Indicators(ctx, staff, community, last, day1)
	wantErr(t, err, civicgrid.EINVALID, "is before from")
	_, err = e.svc.Indicators(ctx, staff, community, day1, day1.AddDate(11, 0, 0))
	wantErr(t, err, civicgrid.EINVALID, "a period of at most")

	// The check: clean, then a changed row is found and rebuilt.
	if diffs := must(e.db.RebuildRollups(ctx, false)); len(diffs) != 0 {
		t.Fatalf("rollups differ from the histories: %v", diffs)
	}
	if _, err := e.db.SQL().Exec(`UPDATE volunteer_rollups_monthly SET minutes = minutes + 7 WHERE area_code = $1`, community[:9]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SQL().Exec(`DELETE FROM volunteer_served WHERE area_code = $1`, community); err != nil {
		t.Fatal(err)
	}
	diffs := must(e.db.RebuildRollups(ctx, true))
	if len(diffs) != 3 || !strings.Contains(strings.Join(diffs, "\n"), community[:9]+" volunteers month 202612: stored {requests:3") ||
		!strings.Contains(strings.Join(diffs, "\n"), community+" volunteers served ") {
		t.Fatalf("changed rows: %v", diffs)
	}
	if diffs := must(e.db.RebuildRollups(ctx, false)); len(diffs) != 0 {
		t.Fatalf("after the rebuild: %v", diffs)
	}
	if in := must(e.svc.Indicators(ctx, staff, community, day1, last)); in.VolunteerMeasures != want || in.ActiveVolunteers != 2 {
		t.Fatalf("after the rebuild: %+v", in)
	}
}
