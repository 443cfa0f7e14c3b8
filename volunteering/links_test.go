package volunteering_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/volunteering"
)

// fakeCases stands for the case service: its cases, read under the one
// policy point (ActionReadCase), its reports and comments recorded.
type fakeCases struct {
	cases    map[int64]civicgrid.Case
	reports  []casework.Report
	keys     map[string]int64
	comments map[int64][]string
}

func newFakeCases() *fakeCases {
	return &fakeCases{cases: map[int64]civicgrid.Case{}, keys: map[string]int64{}, comments: map[int64][]string{}}
}

func (f *fakeCases) Get(ctx context.Context, actor civicgrid.Actor, id int64) (casework.View, error) {
	c, ok := f.cases[id]
	if !ok || civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) != nil {
		return casework.View{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no case %d in your scope", id)
	}
	return casework.View{Case: c}, nil
}

func (f *fakeCases) Report(ctx context.Context, actor civicgrid.Actor, r casework.Report, idem *civicgrid.Idempotency) (casework.Intake, error) {
	if id, ok := f.keys[idem.Key]; ok {
		return casework.Intake{Case: f.cases[id], Existing: true}, nil
	}
	f.reports = append(f.reports, r)
	id := int64(100 + len(f.cases))
	f.cases[id] = civicgrid.Case{ID: id, Category: r.Category, Description: r.Description, BuildingCode: r.BuildingCode, GridCode: grid, ReporterID: actor.UserID}
	f.keys[idem.Key] = id
	return casework.Intake{Case: f.cases[id]}, nil
}

func (f *fakeCases) Act(ctx context.Context, actor civicgrid.Actor, id int64, action civicgrid.CaseAction, st casework.Step) (civicgrid.Case, error) {
	if action != civicgrid.CaseComment {
		return civicgrid.Case{}, civicgrid.Errorf(civicgrid.EINVALID, "only comments here")
	}
	f.comments[id] = append(f.comments[id], st.Note)
	return f.cases[id], nil
}

// fakeCare stands for the care service: visit 7 belongs to entry 70, which
// only community staff may read.
type fakeCare struct{}

func (fakeCare) EntryOfVisit(ctx context.Context, actor civicgrid.Actor, visitID int64) (int64, error) {
	if visitID != 7 || civicgrid.Authorize(actor, civicgrid.ActionReadCare, civicgrid.In(building)) != nil {
		return 0, nil
	}
	return 70, nil
}

// A case becomes a request in one step (grid worker or staff), linked both
// ways; each side shows the link only to readers of the other side: the
// resident who reported the case reads it, a volunteer of the area reads
// the open request but not the case, so sees no case number.
func TestCaseBecomesRequest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cases := newFakeCases()
	e.svc.SetLinks(cases, fakeCare{})
	reporter, gw, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleGridWorker, grid),
		e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	cases.cases[1] = civicgrid.Case{ID: 1, Category: "C0101", Description: "独居老人家中台灯坏了", GridCode: grid, BuildingCode: building, ReporterID: reporter.UserID}

	// Bad input: no person named; a case one may not read; a resident.
	_, err := e.svc.FromCaseRequest(ctx, gw, 1, volunteering.FromCase{Service: "repair"})
	wantErr(t, err, civicgrid.EINVALID, "name the person to help")
	_, err = e.svc.FromCaseRequest(ctx, vol, 1, volunteering.FromCase{Service: "repair", Beneficiary: "王阿姨"})
	wantErr(t, err, civicgrid.ENOTFOUND, "no case 1")
	_, err = e.svc.FromCaseRequest(ctx, reporter, 1, volunteering.FromCase{Service: "repair", Beneficiary: "王阿姨"})
	if civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident turned a case into a request: %v", err)
	}
	if _, err := e.db.HelpRequestOfCase(ctx, 1); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND || len(cases.comments[1]) != 0 {
		t.Fatalf("a refused step wrote something: %v %v", err, cases.comments)
	}

	v := must(e.svc.FromCaseRequest(ctx, gw, 1, volunteering.FromCase{Service: "repair", Beneficiary: "王阿姨", Contact: "13800000000"}))
	if v.CaseLink != 1 || v.Note != "独居老人家中台灯坏了" || !v.OnBehalf || v.BuildingCode != building || v.Status != civicgrid.HelpPosted {
		t.Fatalf("the request: %+v", v)
	}
	if v.History[0].Data["case"] != "1" || len(cases.comments[1]) != 1 {
		t.Fatalf("the histories: %+v %v", v.History[0], cases.comments)
	}
	again := must(e.svc.FromCaseRequest(ctx, gw, 1, volunteering.FromCase{Service: "repair", Beneficiary: "王阿姨"}))
	if again.ID != v.ID || len(cases.comments[1]) != 1 {
		t.Fatalf("asked again: %d, %v", again.ID, cases.comments)
	}
	// The case page's link: for readers of the request.
	for _, c := range []struct {
		who  civicgrid.Actor
		want int64
	}{{gw, v.ID}, {staff, v.ID}, {reporter, 0}, {vol, 0}} {
		if got := must(e.svc.RequestOfCase(ctx, c.who, 1)); got != c.want {
			t.Fatalf("request of the case for user %d: %d, want %d", c.who.UserID, got, c.want)
		}
	}
	must(e.svc.Verify(ctx, staff, v.ID, volunteering.DecisionAccept, ""))
	if got := must(e.svc.RequestOfCase(ctx, vol, 1)); got != v.ID {
		t.Fatalf("an open request is the area's volunteers': %d", got)
	}
	// The request page's link: for readers of the case; the volunteer
	// reads the open request but not the case: no number, not in the
	// history either.
	rv := must(e.svc.Request(ctx, vol, v.ID))
	if rv.CaseLink != 0 || rv.History[0].Data["case"] != "" {
		t.Fatalf("the volunteer reads the case's number: %d %v", rv.CaseLink, rv.History[0].Data)
	}
	if sv := must(e.svc.Request(ctx, staff, v.ID)); sv.CaseLink != 1 || sv.History[0].Data["case"] != "1" {
		t.Fatalf("staff's link: %d", sv.CaseLink)
	}
	if err := civicgrid.VerifyVolunteerChain(must(e.db.VolunteerEvents(ctx, v.ID))); err != nil {
		t.Fatal(err)
	}
}

// A request becomes a case (the staff who verify requests): reported once
// at the building, the request closed and linked; its poster, a resident
// who may not read the case, sees no case number.
func TestRequestBecomesCase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cases := newFakeCases()
	e.svc.SetLinks(cases, fakeCare{})
	resident, staff, vol := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "repair", BuildingCode: building, Note: "楼道灯坏了"}))
	if v := must(e.svc.Request(ctx, staff, r.ID)); !v.CanToCase {
		t.Fatal("staff cannot turn it into a case")
	}
	for _, a := range []civicgrid.Actor{resident, vol} {
		if _, err := e.svc.RequestToCase(ctx, a, r.ID, volunteering.ToCase{}); civicgrid.ErrorCode(err) == "" {
			t.Fatalf("user %d turned it into a case", a.UserID)
		}
	}
	_, err := e.svc.RequestToCase(ctx, staff, r.ID, volunteering.ToCase{Note: string(make([]rune, 501))})
	wantErr(t, err, civicgrid.EINVALID, "at most 500")
	if len(cases.reports) != 0 {
		t.Fatal("a refused step reported a case")
	}
	v := must(e.svc.RequestToCase(ctx, staff, r.ID, volunteering.ToCase{Category: "C0201"}))
	if v.Status != civicgrid.HelpCancelled || v.CaseLink == 0 || v.CanToCase || len(cases.reports) != 1 ||
		cases.reports[0].Description != "志愿服务需求转来（维修）：楼道灯坏了" || cases.reports[0].BuildingCode != building || cases.reports[0].Category != "C0201" {
		t.Fatalf("turned into a case: %+v %+v", v.HelpRequest, cases.reports)
	}
	last := v.History[len(v.History)-1]
	if last.Action != volunteering.HelpActToCase || last.Data["case"] != strconv.FormatInt(v.CaseLink, 10) {
		t.Fatalf("the history: %+v", last)
	}
	_, err = e.svc.RequestToCase(ctx, staff, r.ID, volunteering.ToCase{})
	wantErr(t, err, civicgrid.ECONFLICT, "linked to a case already")
	rv := must(e.svc.Request(ctx, resident, r.ID))
	if rv.CaseLink != 0 || rv.History[len(rv.History)-1].Data["case"] != "" {
		t.Fatalf("the resident reads the case number: %+v", rv.CaseLink)
	}
	if rv.Reason == "" {
		t.Fatal("the poster is not told why it was closed")
	}
	// A claimed request is the volunteer's: it does not become a case.
	r2 := e.claimed(resident, staff, vol, "repair")
	_, err = e.svc.RequestToCase(ctx, staff, r2.ID, volunteering.ToCase{})
	wantErr(t, err, civicgrid.ECONFLICT, "only a request not yet taken")
}

// A request made from a care visit links back to the care entry, only for
// readers of the care entry.
func TestRequestLinksCareEntry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.SetLinks(newFakeCases(), fakeCare{})
	gw, staff := e.person(civicgrid.RoleGridWorker, grid), e.person(civicgrid.RoleCommunityStaff, community)
	r := must(e.svc.AskFrom(ctx, gw, civicgrid.HelpInput{Service: "meals", BuildingCode: building, Beneficiary: "李奶奶"}, "care-visit:7"))
	if v := must(e.svc.Request(ctx, staff, r.ID)); v.CareEntry != 70 {
		t.Fatalf("staff's care link: %d", v.CareEntry)
	}
	if v := must(e.svc.Request(ctx, gw, r.ID)); v.CareEntry != 0 {
		t.Fatalf("the grid worker reads the care entry: %d", v.CareEntry)
	}
}
