package cogovern_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// building3 is a third building of the community, in grid 001 with building.
const building3 = "4201020010010010002"

// courtyardEnv is the test env whose registry also knows building3 and the
// other district's community.
func courtyardEnv(t *testing.T) *env {
	e := newEnv(t)
	e.svc = cogovern.New(cogovern.Config{SupportThreshold: 2, Now: func() time.Time { return e.now }}, e.db,
		registry{community: true, building: true, building2: true, building3: true, away: true, away[:12]: true})
	return e
}

func TestCourtyardBadInput(t *testing.T) {
	ctx := context.Background()
	e := courtyardEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	resident := e.person(civicgrid.RoleResident, building)
	street := e.person(civicgrid.RoleStreetDispatcher, community[:9])
	awayStaff := e.person(civicgrid.RoleCommunityStaff, away[:12])

	c, err := e.svc.SaveCourtyard(ctx, secretary, 0, civicgrid.CourtyardInput{Community: community, Name: " 幸福里 ", Buildings: []string{building3, building}})
	if err != nil || c.Name != "幸福里" || !slices.Equal(c.Buildings, []string{building, building3}) || c.Community != community {
		t.Fatalf("made: %+v %v", c, err)
	}
	cases := map[string]struct {
		actor civicgrid.Actor
		id    int64
		in    civicgrid.CourtyardInput
		want  string
	}{
		"a resident makes one":              {resident, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2}}, civicgrid.EFORBIDDEN},
		"street staff make one":             {street, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2}}, civicgrid.EFORBIDDEN},
		"another community's staff":         {awayStaff, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2}}, civicgrid.EFORBIDDEN},
		"another community's staff edit":    {awayStaff, c.ID, civicgrid.CourtyardInput{Name: "甲", Buildings: []string{building2}}, civicgrid.ENOTFOUND},
		"a building of another community":   {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2, away}}, civicgrid.EINVALID},
		"a building in another courtyard":   {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2, building3}}, civicgrid.EINVALID},
		"a building the registry lacks":     {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{"4201020010010090009"}}, civicgrid.EINVALID},
		"not a building":                    {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{community + "001"}}, civicgrid.EINVALID},
		"a building twice":                  {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲", Buildings: []string{building2, building2}}, civicgrid.EINVALID},
		"no building":                       {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "甲"}, civicgrid.EINVALID},
		"no name":                           {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: " ", Buildings: []string{building2}}, civicgrid.EINVALID},
		"a name over 40":                    {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: string(make([]rune, 41)), Buildings: []string{building2}}, civicgrid.EINVALID},
		"the community's name twice":        {secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "幸福里", Buildings: []string{building2}}, civicgrid.EINVALID},
		"a street as community":             {secretary, 0, civicgrid.CourtyardInput{Community: community[:9], Name: "甲", Buildings: []string{building2}}, civicgrid.EINVALID},
		"an unknown courtyard":              {secretary, 999, civicgrid.CourtyardInput{Name: "甲", Buildings: []string{building2}}, civicgrid.ENOTFOUND},
		"moving a courtyard to another one": {secretary, c.ID, civicgrid.CourtyardInput{Community: away[:12], Name: "甲", Buildings: []string{away}}, civicgrid.EFORBIDDEN},
	}
	for name, k := range cases {
		if _, err := e.svc.SaveCourtyard(ctx, k.actor, k.id, k.in); code(err) != k.want {
			t.Errorf("%s: got %v, want %s", name, err, k.want)
		}
	}
	// Nothing was written by the refusals: one courtyard, as made, one event.
	cs, err := e.svc.Courtyards(ctx, secretary, community)
	if err != nil || len(cs) != 1 || !slices.Equal(cs[0].Buildings, c.Buildings) || cs[0].Name != "幸福里" {
		t.Fatalf("after the refusals: %+v %v", cs, err)
	}
	view, err := e.svc.CourtyardDetail(ctx, secretary, c.ID)
	if err != nil || !view.CanManage || len(view.History) != 1 || view.History[0].Action != civicgrid.CogovCourtyardMade {
		t.Fatalf("detail: %+v %v", view, err)
	}
	// A resident of the community reads the courtyards (to choose one), does not keep them.
	if cs, err := e.svc.Courtyards(ctx, resident, ""); err != nil || len(cs) != 1 {
		t.Fatalf("resident's list: %+v %v", cs, err)
	}
	if v, err := e.svc.CourtyardDetail(ctx, resident, c.ID); err != nil || v.CanManage || v.History != nil {
		t.Fatalf("resident's view: %+v %v", v, err)
	}
	if _, err := e.svc.Courtyard(ctx, awayStaff, c.ID); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("another community reads it: %v", err)
	}
	// An edit moves building3 out; another courtyard may then take it.
	if c, err = e.svc.SaveCourtyard(ctx, secretary, c.ID, civicgrid.CourtyardInput{Name: "幸福里", Buildings: []string{building}}); err != nil || len(c.Buildings) != 1 {
		t.Fatalf("edit: %+v %v", c, err)
	}
	if _, err := e.svc.SaveCourtyard(ctx, secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "和平院", Buildings: []string{building3, building2}}); err != nil {
		t.Fatalf("building3 after it left: %v", err)
	}
}

func TestCourtyardScope(t *testing.T) {
	ctx := context.Background()
	e := courtyardEnv(t)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	inside := e.person(civicgrid.RoleResident, building)
	inside3 := e.person(civicgrid.RoleResident, building3)
	head := e.person(civicgrid.RoleBuilding, building3)
	outside := e.person(civicgrid.RoleResident, building2) // same community, another building
	gridWorker := e.person(civicgrid.RoleGridWorker, building[:15])
	c, err := e.svc.SaveCourtyard(ctx, secretary, 0, civicgrid.CourtyardInput{Community: community, Name: "幸福里", Buildings: []string{building, building3}})
	if err != nil {
		t.Fatal(err)
	}

	// Proposals: those of the courtyard's buildings propose, support and read; the neighbour outside does not.
	if _, err := e.svc.Propose(ctx, outside, cogovern.ProposalInput{CourtyardID: c.ID, Title: "院内停车"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a proposal from a building outside the courtyard: %v", err)
	}
	if _, err := e.svc.Propose(ctx, inside, cogovern.ProposalInput{CourtyardID: 999, Title: "院内停车"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("an unknown courtyard: %v", err)
	}
	if _, err := e.svc.Propose(ctx, inside, cogovern.ProposalInput{CourtyardID: c.ID, AreaCode: away[:12], Title: "院内停车"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a courtyard of another community: %v", err)
	}
	p, err := e.svc.Propose(ctx, inside, cogovern.ProposalInput{CourtyardID: c.ID, Title: "院内停车"})
	if err != nil || p.AreaCode != community || p.CourtyardID != c.ID || p.CourtyardName != "幸福里" || !slices.Equal(p.Buildings, c.Buildings) {
		t.Fatalf("proposed: %+v %v", p, err)
	}
	if _, err := e.svc.Support(ctx, outside, p.ID); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("support from outside the courtyard: %v", err)
	}
	if ps, err := e.svc.Proposals(ctx, outside); err != nil || len(ps) != 0 {
		t.Fatalf("the neighbour outside lists it: %+v %v", ps, err)
	}
	for _, a := range []civicgrid.Actor{inside3, gridWorker, secretary} {
		if ps, err := e.svc.Proposals(ctx, a); err != nil || len(ps) != 1 || ps[0].CourtyardID != c.ID {
			t.Fatalf("%v lists: %+v %v", a.Grants, ps, err)
		}
	}
	if _, err := e.svc.Support(ctx, inside3, p.ID); err != nil {
		t.Fatal(err)
	}
	if p, err = e.svc.Support(ctx, head, p.ID); err != nil || p.Status != civicgrid.ProposalAgenda {
		t.Fatalf("on the agenda: %+v %v", p, err)
	}
	// Scope pickers: the courtyard is offered to those inside it only.
	for a, want := range map[*civicgrid.Actor]int{&inside: 1, &outside: 0, &secretary: 1} {
		if cs, err := e.svc.CourtyardsFor(ctx, *a, civicgrid.ActionPropose); err != nil || len(cs) != want {
			t.Errorf("%v: picker %+v %v", a.Grants, cs, err)
		}
	}
	if cs, err := e.svc.CourtyardsFor(ctx, inside, civicgrid.ActionManageVote); err != nil || len(cs) != 0 {
		t.Errorf("a resident offered to open a courtyard vote: %+v %v", cs, err)
	}

	// A meeting of the courtyard takes the courtyard's proposal, not a community-wide one.
	wide, err := e.svc.Propose(ctx, outside, cogovern.ProposalInput{AreaCode: community, Title: "社区议题"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Moderate(ctx, secretary, wide.ID, cogovern.DecisionAccept, ""); err != nil {
		t.Fatal(err)
	}
	mi := civicgrid.MeetingInput{CourtyardID: c.ID, Title: "小院议事", Place: "院内凉亭", StartsAt: e.now.Add(24 * time.Hour)}
	mi.Agenda = []int64{wide.ID}
	if _, err := e.svc.ScheduleMeeting(ctx, secretary, mi); code(err) != civicgrid.EINVALID {
		t.Fatalf("a community proposal on a courtyard's agenda: %v", err)
	}
	mi.Agenda = []int64{p.ID}
	m, err := e.svc.ScheduleMeeting(ctx, secretary, mi)
	if err != nil || m.Invited != 3 || m.CourtyardID != c.ID {
		t.Fatalf("courtyard meeting (roll: the three of its buildings): %+v %v", m, err)
	}
	if _, err := e.svc.SignIn(ctx, outside, m.ID, m.Code); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("the neighbour outside signs in: %v", err)
	}

	// A courtyard vote: its roll is the people of its buildings; the neighbour outside is not on it.
	if _, err := e.svc.OpenVote(ctx, inside, civicgrid.VoteInput{CourtyardID: c.ID, Question: "院门加装门禁？", Method: civicgrid.MethodYesNo, Hours: 48}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident opens a courtyard vote: %v", err)
	}
	v, err := e.svc.OpenVote(ctx, secretary, civicgrid.VoteInput{CourtyardID: c.ID, Question: "院门加装门禁？", Method: civicgrid.MethodYesNo, Hours: 48})
	if err != nil || v.RollSize != 3 || v.CourtyardID != c.ID || v.AreaCode != community {
		t.Fatalf("courtyard vote: %+v %v", v, err)
	}
	roll, err := e.db.Roll(ctx, v.ID)
	slices.Sort(roll)
	want := []int64{inside.UserID, inside3.UserID, head.UserID}
	slices.Sort(want)
	if err != nil || !slices.Equal(roll, want) {
		t.Fatalf("roll %v, want %v (%v)", roll, want, err)
	}
	if _, err := e.svc.Cast(ctx, outside, v.ID, []string{"yes"}); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("the neighbour outside casts: %v", err)
	}
	if _, err := e.svc.Cast(ctx, inside3, v.ID, []string{"yes"}); err != nil {
		t.Fatal(err)
	}
	// A vote on the courtyard's proposal is the courtyard's too.
	pv, err := e.svc.OpenVote(ctx, secretary, civicgrid.VoteInput{ProposalID: p.ID, Method: civicgrid.MethodYesNo, Hours: 48})
	if err != nil || pv.CourtyardID != c.ID || pv.RollSize != 3 {
		t.Fatalf("vote on the courtyard's proposal: %+v %v", pv, err)
	}

	// A household vote of the courtyard counts the flats of its buildings only.
	for _, hb := range []struct {
		b   string
		who civicgrid.Actor
	}{{building, inside}, {building3, inside3}, {building2, outside}} {
		if _, err := e.db.ApplyHouseholdRows(ctx, hb.b, []civicgrid.HouseholdRow{{Room: "101", Phone: hb.who.Phone, Role: civicgrid.HouseholdRepresent}},
			civicgrid.SecurityEvent{At: e.now, Kind: civicgrid.EventHouseholdChanged, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	hv, err := e.svc.OpenVote(ctx, secretary, civicgrid.VoteInput{CourtyardID: c.ID, Question: "院内绿化", Method: civicgrid.MethodYesNo, Hours: 48,
		Electorate: civicgrid.ElectorateHousehold})
	if err != nil || hv.RollSize != 2 {
		t.Fatalf("courtyard household vote (two flats): %+v %v", hv, err)
	}

	// Editing the courtyard later moves neither the matters raised in it nor their rolls.
	if _, err := e.svc.SaveCourtyard(ctx, secretary, c.ID, civicgrid.CourtyardInput{Name: "幸福里", Buildings: []string{building}}); err != nil {
		t.Fatal(err)
	}
	if pv, err := e.svc.Proposal(ctx, inside3, p.ID); err != nil || !slices.Equal(pv.Buildings, []string{building, building3}) {
		t.Fatalf("the proposal after the edit: %+v %v", pv, err)
	}

	// The notice board: a closed courtyard vote is on the community's board and its buildings', not the neighbour's.
	if _, err := e.svc.Close(ctx, secretary, v.ID); err != nil {
		t.Fatal(err)
	}
	for board, want := range map[string]int{community: 1, building: 1, building3: 1, building[:15]: 1, building2: 0} {
		if vs, err := e.svc.Notices(ctx, board); err != nil || len(vs) != want {
			t.Errorf("board %s: %d notices, want %d (%v)", board, len(vs), want, err)
		}
	}
	// Every courtyard step is in the verified history.
	evs, err := e.db.CogovEvents(ctx, civicgrid.CourtyardSubject(c.ID))
	if err != nil || len(evs) != 2 || civicgrid.VerifyCogovChain(evs) != nil {
		t.Fatalf("courtyard history: %+v %v", evs, err)
	}
}

// The vote list says who may vote in each vote as the vote's own page
// does (on the roll, not voted, their household not voted, open), from one
// read of the reader's roll entries.
func TestVoteListCanVote(t *testing.T) {
	ctx := context.Background()
	e := courtyardEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	a := e.person(civicgrid.RoleResident, building)
	b := e.person(civicgrid.RoleResident, building)  // a's flat-mate
	c := e.person(civicgrid.RoleResident, building2) // not on the building vote
	for _, who := range []civicgrid.Actor{a, b} {
		if _, err := e.db.ApplyHouseholdRows(ctx, building, []civicgrid.HouseholdRow{{Room: "101", Phone: who.Phone, Role: civicgrid.HouseholdMemberRole}},
			civicgrid.SecurityEvent{At: e.now, Kind: civicgrid.EventHouseholdChanged, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	open := func(area string, el civicgrid.Electorate) civicgrid.Vote {
		v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: area, Question: "问题", Method: civicgrid.MethodYesNo, Hours: 48, Electorate: el})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	community1, building1, household1, closed1 := open(community, ""), open(building, ""), open(building, civicgrid.ElectorateHousehold), open(community, "")
	for _, step := range []struct {
		who civicgrid.Actor
		v   civicgrid.Vote
	}{{a, community1}, {a, household1}} {
		if _, err := e.svc.Cast(ctx, step.who, step.v.ID, []string{"yes"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Close(ctx, staff, closed1.ID); err != nil {
		t.Fatal(err)
	}
	want := map[int64]map[int64]bool{
		a.UserID:     {community1.ID: false, building1.ID: true, household1.ID: false, closed1.ID: false},
		b.UserID:     {community1.ID: true, building1.ID: true, household1.ID: false, closed1.ID: false},
		c.UserID:     {community1.ID: true, building1.ID: false, household1.ID: false, closed1.ID: false},
		staff.UserID: {community1.ID: false, building1.ID: false, household1.ID: false, closed1.ID: false},
	}
	for _, who := range []civicgrid.Actor{a, b, c, staff} {
		items, err := e.svc.VoteList(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, it := range items {
			view, err := e.svc.Vote(ctx, who, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if it.CanVote != view.CanVote || it.CanVote != want[who.UserID][it.ID] {
				t.Errorf("person %d, vote %d: list says %v, page says %v, want %v", who.UserID, it.ID, it.CanVote, view.CanVote, want[who.UserID][it.ID])
			}
			seen++
		}
		if (who.UserID == c.UserID && seen != 2) || (who.UserID != c.UserID && seen != 4) {
			t.Errorf("person %d lists %d votes", who.UserID, seen)
		}
	}
}
