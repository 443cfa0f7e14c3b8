package cogovern_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/testpdf"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/web"
)

// People invited by name beside the roles: someone of another district
// (a property company's manager) joins the roll, sees the meeting in
// their list and on its page, and signs in; an unknown phone is refused
// with nothing written. The roll hears of the meeting being scheduled,
// moved and cancelled, in their inbox, never the staff who did it.
func TestMeetingNamedInviteesNotifiedRescheduledCancelled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Config{Texts: texts}, e.db, nil)
	notes.AddSource(e.svc.NotifySource())
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1 := e.person(civicgrid.RoleResident, building)
	manager := e.person(civicgrid.RoleResident, away) // n = 3
	stranger := e.person(civicgrid.RoleResident, away)
	p := e.agenda(r1, secretary, "物业费调整")
	in := civicgrid.MeetingInput{AreaCode: community, Title: "物业协调会", Place: "社区活动室", StartsAt: e.now.Add(48 * time.Hour),
		Agenda: []int64{p.ID}, InvitedRoles: []string{civicgrid.RoleResident}}

	bad := in
	bad.InvitedPhones = []string{phoneOf(3), "13999999999", "12"}
	_, err = e.svc.ScheduleMeeting(ctx, secretary, bad)
	if code(err) != civicgrid.EINVALID || !strings.Contains(fmt.Sprint(err.(*civicgrid.Error).Problems), "139****9999") {
		t.Fatalf("an unknown phone: %v", err)
	}
	bad.InvitedPhones = make([]string, civicgrid.MaxMeetingInvitees+1)
	if _, err := e.svc.ScheduleMeeting(ctx, secretary, bad); code(err) != civicgrid.EINVALID {
		t.Fatalf("too many named: %v", err)
	}
	if ms, _ := e.svc.Meetings(ctx, secretary); len(ms) != 0 {
		t.Fatalf("a refused meeting was written: %+v", ms)
	}

	in.InvitedPhones = []string{phoneOf(3), phoneOf(3), phoneOf(2)} // twice, and a resident on the roll by role
	m, err := e.svc.ScheduleMeeting(ctx, secretary, in)
	if err != nil || m.Invited != 2 {
		t.Fatalf("scheduled with named people: %+v %v", m, err)
	}
	mv, err := e.svc.Meeting(ctx, manager, m.ID)
	if err != nil || !mv.OnRoll || mv.Code != "" || mv.CanManage {
		t.Fatalf("the named invitee's view: %+v %v", mv, err)
	}
	if ms, err := e.svc.Meetings(ctx, manager); err != nil || len(ms) != 1 || ms[0].ID != m.ID || ms[0].Code != "" {
		t.Fatalf("the named invitee's list: %+v %v", ms, err)
	}
	if _, err := e.svc.Meeting(ctx, stranger, m.ID); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a stranger of the same district: %v", err)
	}
	if _, err := e.svc.SignIn(ctx, stranger, m.ID, m.Code); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a stranger signs in: %v", err)
	}
	if v, err := e.svc.SignIn(ctx, manager, m.ID, m.Code); err != nil || !v.SignedIn || v.Attended != 1 {
		t.Fatalf("the named invitee signs in: %+v %v", v, err)
	}

	// Rescheduling: bad input writes nothing.
	later := e.now.Add(72 * time.Hour)
	for name, c := range map[string]struct {
		actor civicgrid.Actor
		ch    civicgrid.MeetingChange
		want  string
	}{
		"no reason":           {secretary, civicgrid.MeetingChange{StartsAt: later}, civicgrid.EINVALID},
		"nothing changes":     {secretary, civicgrid.MeetingChange{StartsAt: m.StartsAt, Place: m.Place, Reason: "x"}, civicgrid.EINVALID},
		"two years ahead":     {secretary, civicgrid.MeetingChange{StartsAt: e.now.AddDate(2, 0, 0), Reason: "x"}, civicgrid.EINVALID},
		"a reason too long":   {secretary, civicgrid.MeetingChange{StartsAt: later, Reason: strings.Repeat("长", 501)}, civicgrid.EINVALID},
		"a resident moves it": {r1, civicgrid.MeetingChange{StartsAt: later, Reason: "我没空"}, civicgrid.EFORBIDDEN},
		"the invitee moves":   {manager, civicgrid.MeetingChange{StartsAt: later, Reason: "我没空"}, civicgrid.EFORBIDDEN},
	} {
		if _, err := e.svc.RescheduleMeeting(ctx, c.actor, m.ID, c.ch); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	mv, err = e.svc.RescheduleMeeting(ctx, secretary, m.ID, civicgrid.MeetingChange{StartsAt: later, Place: "居委会二楼", Reason: "活动室维修"})
	if err != nil || !mv.StartsAt.Equal(later) || mv.Place != "居委会二楼" || mv.Status != civicgrid.MeetingScheduled {
		t.Fatalf("rescheduled: %+v %v", mv.Meeting, err)
	}
	last := mv.History[len(mv.History)-1]
	if last.Action != civicgrid.CogovMeetingRescheduled || last.Note != "活动室维修" || last.Data["was_place"] != "社区活动室" {
		t.Fatalf("the move's history: %+v", last)
	}
	if _, err := e.svc.CancelMeeting(ctx, secretary, m.ID, " "); code(err) != civicgrid.EINVALID {
		t.Fatalf("a cancel without reason: %v", err)
	}
	if _, err := e.svc.CancelMeeting(ctx, r1, m.ID, "不开了"); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident cancels: %v", err)
	}
	mv, err = e.svc.CancelMeeting(ctx, secretary, m.ID, "议题已由表决解决")
	if err != nil || mv.Status != civicgrid.MeetingCancelled || mv.CancelReason != "议题已由表决解决" {
		t.Fatalf("cancelled: %+v %v", mv.Meeting, err)
	}
	// A cancelled meeting takes nothing more; its proposal stays on the agenda.
	if _, err := e.svc.CancelMeeting(ctx, secretary, m.ID, "again"); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("cancelled twice: %v", err)
	}
	if _, err := e.svc.RescheduleMeeting(ctx, secretary, m.ID, civicgrid.MeetingChange{StartsAt: later.Add(time.Hour), Reason: "x"}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a cancelled meeting moved: %v", err)
	}
	if _, err := e.svc.SignIn(ctx, r1, m.ID, m.Code); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("sign-in at a cancelled meeting: %v", err)
	}
	if _, err := e.svc.PublishMinutes(ctx, secretary, m.ID, cogovern.MinutesInput{Items: []civicgrid.AgendaItem{{ProposalID: p.ID, Decision: civicgrid.ItemAdopted}}}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("minutes of a cancelled meeting: %v", err)
	}
	if pv, err := e.svc.Proposal(ctx, r1, p.ID); err != nil || pv.Status != civicgrid.ProposalAgenda ||
		pv.History[len(pv.History)-1].Action != civicgrid.CogovMeetingCancelled {
		t.Fatalf("the proposal after the cancel: %+v %v", pv.Proposal, err)
	}

	if _, err := notes.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	inbox := func(a civicgrid.Actor) []string {
		ns, err := e.db.Notifications(ctx, civicgrid.NotificationFilter{UserID: a.UserID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			if strings.HasPrefix(n.Kind, "cogov.meeting_") {
				out = append(out, n.Kind+" "+n.Title+" "+n.Body)
			}
		}
		return out
	}
	for _, a := range []civicgrid.Actor{r1, manager} {
		got := inbox(a)
		if len(got) != 3 || !strings.HasPrefix(got[0], "cogov.meeting_cancelled") || !strings.Contains(got[0], "议题已由表决解决") ||
			!strings.HasPrefix(got[1], "cogov.meeting_rescheduled") || !strings.Contains(got[1], "居委会二楼") || !strings.Contains(got[1], "活动室维修") ||
			!strings.HasPrefix(got[2], "cogov.meeting_scheduled") || !strings.Contains(got[2], "社区活动室") || !strings.Contains(got[2], "2026-12-06 10:00") {
			t.Errorf("inbox of %s: %q", a.Name, got)
		}
	}
	if got := inbox(secretary); len(got) != 0 {
		t.Errorf("staff hear of their own steps: %q", got)
	}
	if got := inbox(stranger); len(got) != 0 {
		t.Errorf("someone not invited hears: %q", got)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}

// Documents: staff attach PDFs (checked by content); those who read the
// meeting get them, others not; minutes once published go on the scope's
// public board with their decisions, never the roll, photos or documents.
func TestMeetingDocumentsAndBoard(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	store, err := photo.NewStore(t.TempDir(), photo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.SetProjectDeps(cogovern.ProjectDeps{Documents: store})
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)
	r1, r2 := e.person(civicgrid.RoleResident, building), e.person(civicgrid.RoleResident, building2)
	outsider := e.person(civicgrid.RoleResident, away)
	p := e.agenda(r1, secretary, "加装电梯")
	m, err := e.svc.ScheduleMeeting(ctx, secretary, civicgrid.MeetingInput{AreaCode: community, Title: "电梯议事会", Place: "活动室",
		StartsAt: e.now.Add(time.Hour), Agenda: []int64{p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	pdf := testpdf.PDF(t, "Elevator plan", 1)
	for name, c := range map[string]struct {
		actor      civicgrid.Actor
		file, body string
		want       string
	}{
		"not a PDF":        {secretary, "plan.pdf", "GIF89a not a pdf", civicgrid.EINVALID},
		"empty":            {secretary, "plan.pdf", "", civicgrid.EINVALID},
		"no name":          {secretary, " ", string(pdf), civicgrid.EINVALID},
		"a resident":       {r1, "plan.pdf", string(pdf), civicgrid.EFORBIDDEN},
		"someone far away": {outsider, "plan.pdf", string(pdf), civicgrid.ENOTFOUND},
	} {
		if _, err := e.svc.AddMeetingDocument(ctx, c.actor, m.ID, c.file, strings.NewReader(c.body)); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", name, err, c.want)
		}
	}
	v, err := e.svc.AddMeetingDocument(ctx, secretary, m.ID, "C:\\docs\\电梯方案.pdf", bytes.NewReader(pdf))
	if err != nil || len(v.Documents) != 1 || v.Documents[0].Name != "电梯方案.pdf" || v.Documents[0].Bytes != int64(len(pdf)) {
		t.Fatalf("attached: %+v %v", v.Documents, err)
	}
	if v, err = e.svc.AddMeetingDocument(ctx, secretary, m.ID, "again.pdf", bytes.NewReader(pdf)); err != nil || len(v.Documents) != 1 {
		t.Fatalf("the same file twice: %+v %v", v.Documents, err)
	}
	ref := v.Documents[0].Ref
	if d, err := e.svc.MeetingDocument(ctx, r2, m.ID, ref); err != nil || d.Name != "电梯方案.pdf" {
		t.Fatalf("a reader's download: %+v %v", d, err)
	}
	if _, err := e.svc.MeetingDocument(ctx, outsider, m.ID, ref); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("an outsider's download: %v", err)
	}
	if _, err := e.svc.MeetingDocument(ctx, r2, m.ID, "0000.pdf"); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a document of no meeting: %v", err)
	}
	for i := 1; i < civicgrid.MaxMeetingDocuments; i++ {
		if _, err := e.svc.AddMeetingDocument(ctx, secretary, m.ID, fmt.Sprintf("%d.pdf", i), bytes.NewReader(testpdf.PDF(t, fmt.Sprint("page ", i), 1))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.AddMeetingDocument(ctx, secretary, m.ID, "more.pdf", bytes.NewReader(testpdf.PDF(t, "more", 1))); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("one document too many: %v", err)
	}

	// Not on the board before the minutes.
	if ms, err := e.svc.MeetingBoard(ctx, building); err != nil || len(ms) != 0 {
		t.Fatalf("the board before the minutes: %+v %v", ms, err)
	}
	if _, err := e.svc.SignIn(ctx, r1, m.ID, m.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PublishMinutes(ctx, secretary, m.ID, cogovern.MinutesInput{Minutes: "同意加装电梯。",
		Items: []civicgrid.AgendaItem{{ProposalID: p.ID, Decision: civicgrid.ItemAdopted, Note: "按楼层分摊"}}}); err != nil {
		t.Fatal(err)
	}
	ms, err := e.svc.MeetingBoard(ctx, building)
	if err != nil || len(ms) != 1 || ms[0].Minutes != "同意加装电梯。" || ms[0].Agenda[0].Decision != civicgrid.ItemAdopted ||
		ms[0].Agenda[0].Note != "按楼层分摊" || ms[0].Attended != 1 || ms[0].Code != "" || ms[0].Documents != nil || ms[0].CreatedBy != 0 {
		t.Fatalf("the building's board: %+v %v", ms, err)
	}
	if ms, err := e.svc.MeetingBoard(ctx, away); err != nil || len(ms) != 0 {
		t.Fatalf("another district's board: %+v %v", ms, err)
	}
	if _, err := e.svc.MeetingBoard(ctx, "nowhere"); code(err) != civicgrid.EINVALID {
		t.Fatalf("a board of no area: %v", err)
	}
	e.now = e.now.AddDate(0, 0, civicgrid.MeetingBoardDays+1)
	if ms, err := e.svc.MeetingBoard(ctx, building); err != nil || len(ms) != 0 {
		t.Fatalf("the board a month on: %+v %v", ms, err)
	}
	if err := e.db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error { return civicgrid.VerifyCogovChain(evs) }); err != nil {
		t.Fatal(err)
	}
}
