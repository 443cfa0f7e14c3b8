package cogovern_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Staff merge a proposal into another of its scope or a wider one, with a
// reason: its supporters and author support the other (each once, never
// the other's author), which goes onto the agenda at its threshold; bad
// merges are refused and write nothing.
func TestMergeProposals(t *testing.T) {
	ctx := context.Background()
	e := courtyardEnv(t) // threshold 2
	staff := e.person(civicgrid.RoleCommunitySecretary, community)
	a := e.person(civicgrid.RoleResident, building)
	b := e.person(civicgrid.RoleResident, building)
	c := e.person(civicgrid.RoleResident, building2)
	propose := func(by civicgrid.Actor, area, title string) civicgrid.Proposal {
		p, err := e.svc.Propose(ctx, by, cogovern.ProposalInput{AreaCode: area, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wide := propose(a, community, "小区加装充电桩")    // author a
	narrow := propose(b, building, "1号楼门口装充电桩") // author b
	other := propose(c, building2, "5号楼修屋顶")
	if _, err := e.svc.Support(ctx, a, narrow.ID); err != nil { // a supports narrow: a is wide's author, not carried
		t.Fatal(err)
	}
	cases := map[string]struct {
		actor    civicgrid.Actor
		id, into int64
		reason   string
		want     string
	}{
		"a resident merges":            {a, narrow.ID, wide.ID, "同一件事", civicgrid.EFORBIDDEN},
		"no reason":                    {staff, narrow.ID, wide.ID, " ", civicgrid.EINVALID},
		"into itself":                  {staff, narrow.ID, narrow.ID, "同一件事", civicgrid.EINVALID},
		"into a narrower scope":        {staff, wide.ID, narrow.ID, "同一件事", civicgrid.EINVALID},
		"into another building's":      {staff, narrow.ID, other.ID, "同一件事", civicgrid.EINVALID},
		"into an unknown one":          {staff, narrow.ID, 999, "同一件事", civicgrid.ENOTFOUND},
		"without saying which":         {staff, narrow.ID, 0, "同一件事", civicgrid.EINVALID},
		"by Moderate without a target": {staff, narrow.ID, -1, "同一件事", civicgrid.EINVALID},
	}
	for name, k := range cases {
		var err error
		if k.into == -1 {
			_, err = e.svc.Moderate(ctx, k.actor, k.id, cogovern.DecisionMerge, k.reason)
		} else {
			_, err = e.svc.MergeProposal(ctx, k.actor, k.id, k.into, k.reason)
		}
		if code(err) != k.want {
			t.Errorf("%s: got %v, want %s", name, err, k.want)
		}
	}
	if p, _ := e.svc.Proposal(ctx, staff, narrow.ID); p.Status != civicgrid.ProposalOpen || p.Supports != 1 {
		t.Fatalf("a refused merge wrote: %+v", p.Proposal)
	}
	merged, err := e.svc.MergeProposal(ctx, staff, narrow.ID, wide.ID, "两个议题是同一件事，合并讨论")
	if err != nil || merged.Status != civicgrid.ProposalMerged || merged.MergedInto != wide.ID || merged.Reason == "" {
		t.Fatalf("merged: %+v %v", merged, err)
	}
	// wide gets b (narrow's author); a supported narrow but wrote wide: not carried. One support of two.
	w, err := e.svc.Proposal(ctx, b, wide.ID)
	if err != nil || w.Supports != 1 || !w.Supported || w.Status != civicgrid.ProposalOpen {
		t.Fatalf("the proposal merged into: %+v %v", w.Proposal, err)
	}
	if _, err := e.svc.Support(ctx, b, wide.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("b supports twice: %v", err)
	}
	if _, err := e.svc.Support(ctx, b, narrow.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("support of a merged proposal: %v", err)
	}
	if _, err := e.svc.MergeProposal(ctx, staff, narrow.ID, wide.ID, "再合并一次"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a second merge: %v", err)
	}
	// A second merge into wide reaches the threshold: onto the agenda.
	third := propose(c, community, "充电桩")
	w2, err := e.svc.MergeProposal(ctx, staff, third.ID, wide.ID, "同一件事")
	if err != nil {
		t.Fatal(err)
	}
	_ = w2
	w, err = e.svc.Proposal(ctx, staff, wide.ID)
	if err != nil || w.Supports != 2 || w.Status != civicgrid.ProposalAgenda {
		t.Fatalf("after the second merge: %+v %v", w.Proposal, err)
	}
	if err := civicgrid.VerifyCogovChain(w.History); err != nil {
		t.Fatal(err)
	}
	last := w.History[len(w.History)-1]
	if last.Action != civicgrid.CogovOnAgenda || w.History[len(w.History)-2].Action != civicgrid.CogovMergedIn {
		t.Fatalf("history of the proposal merged into: %+v", w.History)
	}
	n, err := e.svc.Proposal(ctx, a, narrow.ID)
	if err != nil || n.History[len(n.History)-1].Action != civicgrid.CogovMerged || n.History[len(n.History)-1].Note == "" {
		t.Fatalf("history of the merged proposal: %+v %v", n.History, err)
	}
}

// With a support share, a proposal's threshold is that share of the
// households registered in its scope, rounded up; a scope without any
// keeps the count.
func TestSupportShareOfHouseholds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc = cogovern.New(cogovern.Config{SupportThreshold: 7, SupportShare: 50, Now: func() time.Time { return e.now }}, e.db,
		registry{community: true, building: true, building2: true, away: true})
	var rs []civicgrid.Actor
	for range 5 {
		rs = append(rs, e.person(civicgrid.RoleResident, building)) // 1..5
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	if _, err := e.svc.ImportHouseholds(ctx, staff, building, []civicgrid.HouseholdRow{
		{Room: "101", Phone: phoneOf(1), Role: "representative"}, {Room: "101", Phone: phoneOf(2), Role: "member"},
		{Room: "102", Phone: phoneOf(3), Role: "representative"},
		{Room: "201", Phone: phoneOf(4), Role: "representative"},
		{Room: "202"}, // a flat without members is no household
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		area string
		want int
	}{{building, 2}, {community, 2}, {building2, 7}} { // 3 households: 50 % is 1.5, rounded up; none in building2
		p, err := e.svc.Propose(ctx, rs[0], cogovern.ProposalInput{AreaCode: c.area, Title: "议题"})
		if c.area == building2 {
			p, err = e.svc.Propose(ctx, e.person(civicgrid.RoleResident, building2), cogovern.ProposalInput{AreaCode: c.area, Title: "议题"})
		}
		if err != nil || p.SupportNeeded != c.want {
			t.Errorf("%s: threshold %d, want %d (%v)", c.area, p.SupportNeeded, c.want, err)
		}
	}
}

// Minutes carry photos of the meeting (photo refs, at most six); a bad ref
// is refused and nothing is published.
func TestMinutesPhotos(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunitySecretary, community)
	r := e.person(civicgrid.RoleResident, building)
	p, err := e.svc.Propose(ctx, r, cogovern.ProposalInput{AreaCode: community, Title: "议题"})
	if err == nil {
		_, err = e.svc.Moderate(ctx, staff, p.ID, cogovern.DecisionAccept, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.svc.ScheduleMeeting(ctx, staff, civicgrid.MeetingInput{AreaCode: community, Title: "议事会", Place: "活动室", StartsAt: e.now.Add(time.Hour),
		Agenda: []int64{p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.Repeat("ab", 32) + ".jpg"
	in := cogovern.MinutesInput{Minutes: "纪要", Items: []civicgrid.AgendaItem{{ProposalID: p.ID, Decision: civicgrid.ItemAdopted}}}
	for name, photos := range map[string][]string{
		"not a ref":  {"../etc/passwd"},
		"seven refs": {ref, ref, ref, ref, ref, ref, ref},
	} {
		in.Photos = photos
		if _, err := e.svc.PublishMinutes(ctx, staff, m.ID, in); code(err) != civicgrid.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	in.Photos = []string{ref}
	v, err := e.svc.PublishMinutes(ctx, staff, m.ID, in)
	if err != nil || len(v.Photos) != 1 || v.Photos[0] != ref || v.Status != civicgrid.MeetingPublished {
		t.Fatalf("published: %+v %v", v.Meeting, err)
	}
	rv, err := e.svc.Meeting(ctx, r, m.ID)
	if err != nil || len(rv.Photos) != 1 {
		t.Fatalf("a resident reads the photos: %+v %v", rv.Meeting, err)
	}
	evs, _ := e.db.CogovEvents(ctx, civicgrid.MeetingSubject(m.ID))
	if last := evs[len(evs)-1]; last.Data["photos"] != ref || civicgrid.VerifyCogovChain(evs) != nil {
		t.Fatalf("the minutes' event: %+v", last)
	}
}
