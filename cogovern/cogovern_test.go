package cogovern_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/web"
	"github.com/civicgrid/civicgrid/workcal"
)

const (
	community = "420102001001"
	building  = "4201020010010010001"
	building2 = "4201020010010020001"
	away      = "4201030010010010001"
)

// registry knows the test's areas (the store's area import needs
// boundaries, which these tests do not).
type registry map[string]bool

func (r registry) AreaByCode(_ context.Context, code string) (civicgrid.Area, error) {
	if !r[code] {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area %s", code)
	}
	return civicgrid.Area{Code: code}, nil
}

type env struct {
	t   *testing.T
	db  *sqlstore.DB
	svc *cogovern.Service
	now time.Time
	n   int
}

func newEnv(t *testing.T) *env {
	cfg, err := workcal.ChinaConfig()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workcal.NewLive(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: testdb.Open(t, t.TempDir()), now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))} // a Friday
	e.svc = cogovern.New(cogovern.Config{SupportThreshold: 2, Calendar: cal, Now: func() time.Time { return e.now }}, e.db,
		registry{community: true, building: true, building2: true, away: true})
	return e
}

func (e *env) person(role, area string) civicgrid.Actor {
	e.t.Helper()
	e.n++
	return testdb.Person(e.t, e.db, e.n, role, area)
}

func code(err error) string { return civicgrid.ErrorCode(err) }

func TestProposeSupportModerate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	author := e.person(civicgrid.RoleResident, building)
	neighbour := e.person(civicgrid.RoleResident, building2)
	outsider := e.person(civicgrid.RoleResident, away)
	secretary := e.person(civicgrid.RoleCommunitySecretary, community)

	if _, err := e.svc.Propose(ctx, outsider, cogovern.ProposalInput{AreaCode: community, Title: "加装电梯"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("proposal from outside the scope: %v", err)
	}
	if _, err := e.svc.Propose(ctx, author, cogovern.ProposalInput{AreaCode: community, Title: string(make([]rune, 101))}); code(err) != civicgrid.EINVALID {
		t.Fatalf("title over the limit: %v", err)
	}
	if _, err := e.svc.Propose(ctx, e.person(civicgrid.RoleCityAdmin, "420100"), cogovern.ProposalInput{AreaCode: "420102001099", Title: "x"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("unknown area: %v", err)
	}
	p, err := e.svc.Propose(ctx, author, cogovern.ProposalInput{AreaCode: community, Title: "加装电梯", Body: "三单元老人多"})
	if err != nil || p.SupportNeeded != 2 || p.Status != civicgrid.ProposalOpen {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := e.svc.Support(ctx, author, p.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("the author supports their own: %v", err)
	}
	if _, err := e.svc.Support(ctx, outsider, p.ID); code(err) != civicgrid.ENOTFOUND {
		t.Fatalf("support from outside the scope: %v", err)
	}
	if p, err = e.svc.Support(ctx, neighbour, p.ID); err != nil || p.Supports != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	// Lists: the neighbour sees their community's proposal; the outsider does not.
	if ps, err := e.svc.Proposals(ctx, neighbour); err != nil || len(ps) != 1 {
		t.Fatalf("neighbour's list %v %v", ps, err)
	}
	if ps, err := e.svc.Proposals(ctx, outsider); err != nil || len(ps) != 0 {
		t.Fatalf("outsider's list %v %v", ps, err)
	}

	if _, err := e.svc.Moderate(ctx, neighbour, p.ID, cogovern.DecisionAccept, ""); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident moderates: %v", err)
	}
	if _, err := e.svc.Moderate(ctx, secretary, p.ID, cogovern.DecisionDecline, " "); code(err) != civicgrid.EINVALID {
		t.Fatalf("decline without a reason: %v", err)
	}
	p, err = e.svc.Moderate(ctx, secretary, p.ID, cogovern.DecisionDecline, "属物业维修基金事项，请走业主大会")
	if err != nil || p.Status != civicgrid.ProposalDeclined || p.Reason == "" {
		t.Fatalf("%+v %v", p, err)
	}
	view, err := e.svc.Proposal(ctx, neighbour, p.ID)
	if err != nil || view.Reason != p.Reason || view.CanSupport || len(view.History) != 3 || view.History[2].Note != p.Reason {
		t.Fatalf("the reason is visible to residents: %+v %v", view, err)
	}
	if err := civicgrid.VerifyCogovChain(view.History); err != nil {
		t.Fatal(err)
	}
	// Neighbours are named by masked name only: no phone, even masked.
	for _, ev := range view.History {
		if strings.Contains(ev.Actor, "****") || strings.Contains(ev.Actor, "1390000") {
			t.Errorf("a history entry names a phone: %q", ev.Actor)
		}
	}
}

func TestVoteEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var residents []civicgrid.Actor
	for i := range 4 {
		residents = append(residents, e.person(civicgrid.RoleResident, []string{building, building2}[i%2]))
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	p, err := e.svc.Propose(ctx, residents[0], cogovern.ProposalInput{AreaCode: community, Title: "楼道堆物清理"})
	if err != nil {
		t.Fatal(err)
	}
	in := civicgrid.VoteInput{ProposalID: p.ID, Method: civicgrid.MethodYesNo, Hours: 48}
	if _, err := e.svc.OpenVote(ctx, staff, in); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("a vote on a proposal not on the agenda: %v", err)
	}
	for _, r := range residents[1:3] {
		if _, err := e.svc.Support(ctx, r, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.OpenVote(ctx, residents[1], in); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident opens a vote: %v", err)
	}
	v, err := e.svc.OpenVote(ctx, staff, in)
	if err != nil || v.RollSize != 4 || v.Question != p.Title || v.AreaCode != community {
		t.Fatalf("%+v %v", v, err)
	}
	late := e.person(civicgrid.RoleResident, building)
	if _, err := e.svc.Cast(ctx, late, v.ID, []string{"yes"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("not on the frozen roll: %v", err)
	}
	if _, err := e.svc.Cast(ctx, staff, v.ID, []string{"yes"}); code(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("staff are not on a residents' roll: %v", err)
	}
	if _, err := e.svc.Cast(ctx, residents[0], v.ID, []string{"yes", "no"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("two choices: %v", err)
	}
	receipt, err := e.svc.Cast(ctx, residents[0], v.ID, []string{"yes"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cast(ctx, residents[0], v.ID, []string{"no"}); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("second ballot: %v", err)
	}
	if _, err := e.svc.Cast(ctx, residents[1], v.ID, []string{"no"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cast(ctx, residents[2], v.ID, []string{"yes"}); err != nil {
		t.Fatal(err)
	}
	if b, err := e.svc.CheckReceipt(ctx, residents[3], v.ID, receipt); err != nil || !slices.Equal(b.Choices, []string{"yes"}) {
		t.Fatalf("receipt check: %+v %v", b, err)
	}
	if _, err := e.svc.Ballots(ctx, residents[3], v.ID); code(err) != civicgrid.ECONFLICT {
		t.Fatalf("ballots of an open vote are sealed: %v", err)
	}
	view, err := e.svc.Vote(ctx, residents[0], v.ID)
	if err != nil || !view.OnRoll || !view.Voted || view.CanVote || view.Result != nil {
		t.Fatalf("%+v %v", view, err)
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	if !r.QuorumMet || !r.Passed || r.Ballots != 3 || r.RollSize != 4 || r.Rule.Name != "residents_meeting" {
		t.Fatalf("result %+v", r)
	}
	// The vote adopted the proposal: staff may start a project from it.
	if got, err := e.svc.Proposal(ctx, residents[0], p.ID); err != nil || got.Status != civicgrid.ProposalAdopted {
		t.Errorf("proposal after its vote passed: %q %v, want adopted", got.Status, err)
	}
	if _, err := e.svc.StartProject(ctx, staff, civicgrid.ProjectInput{ProposalID: p.ID, Title: "楼道堆物清理", Owner: "社区居委会"}); err != nil {
		t.Errorf("a project from a proposal its vote adopted: %v", err)
	}
	// Five working days from Friday 10:00: the Friday after.
	if want := time.Date(2026, 12, 11, 10, 0, 0, 0, e.now.Location()); !closed.NoticeUntil.Equal(want) {
		t.Errorf("notice until %v, want %v", closed.NoticeUntil, want)
	}
	bs, err := e.svc.Ballots(ctx, residents[3], v.ID)
	if err != nil || len(bs) != 3 || civicgrid.Tally(closed, closed.RollSize, bs).BallotDigest != r.BallotDigest {
		t.Fatalf("published ballots %v %v", bs, err)
	}
	if pv, err := e.svc.Proposal(ctx, residents[3], p.ID); err != nil || pv.Status != civicgrid.ProposalAdopted {
		t.Fatalf("proposal after the vote: %+v %v", pv, err)
	}
	if vv, err := e.svc.Vote(ctx, residents[3], v.ID); err != nil || !vv.InNotice {
		t.Fatalf("in notice: %+v %v", vv, err)
	}
	e.now = e.now.AddDate(0, 0, 8)
	if vv, _ := e.svc.Vote(ctx, residents[3], v.ID); vv.InNotice {
		t.Fatal("notice period over")
	}
}

// An approval vote (an election of k): ballots approve any number of
// options, a blank ballot takes part, and the k most approved with more
// than half of the ballots win.
func TestApprovalVote(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var voters []civicgrid.Actor
	for range 5 {
		voters = append(voters, e.person(civicgrid.RoleResident, building))
	}
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	v, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: building, Question: "选举楼栋长（两名）", Method: civicgrid.MethodApproval,
		Options: []string{"张大爷", "李阿姨", "王师傅"}, Winners: 2, Hours: 24, NoticeDays: 10})
	if err != nil || v.RollSize != 5 {
		t.Fatalf("%+v %v", v, err)
	}
	for i, choices := range [][]string{{"张大爷", "李阿姨"}, {"张大爷"}, {"李阿姨", "张大爷"}, {}} {
		if _, err := e.svc.Cast(ctx, voters[i], v.ID, choices); err != nil {
			t.Fatalf("ballot %d: %v", i, err)
		}
	}
	if _, err := e.svc.Cast(ctx, voters[4], v.ID, []string{"赵某"}); code(err) != civicgrid.EINVALID {
		t.Fatalf("a name not on the list: %v", err)
	}
	closed, err := e.svc.Close(ctx, staff, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Ten working days from Friday 2026-12-04 10:00: Friday 2026-12-18.
	if want := time.Date(2026, 12, 18, 10, 0, 0, 0, e.now.Location()); !closed.NoticeUntil.Equal(want) {
		t.Errorf("notice until %v, want %v", closed.NoticeUntil, want)
	}
	r := closed.Result
	// 4 of 5 took part; 张大爷 3 of 4, 李阿姨 2 of 4 (not more than half), 王师傅 0.
	if !r.QuorumMet || r.Ballots != 4 || !slices.Equal(r.Winners, []string{"张大爷"}) || r.Counts[1].Count != 2 {
		t.Fatalf("result %+v", r)
	}
}

// The notifications: everyone on a new vote's roll hears of it, the author
// hears their proposal was declined and why; nobody hears of their own step.
func TestNotifications(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	texts, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	notes := notify.New(notify.Config{Texts: texts}, e.db, nil)
	notes.AddSource(e.svc.NotifySource())
	author := e.person(civicgrid.RoleResident, building)
	other := e.person(civicgrid.RoleResident, building2)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	p, err := e.svc.Propose(ctx, author, cogovern.ProposalInput{AreaCode: community, Title: "周末早市"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Moderate(ctx, staff, p.ID, cogovern.DecisionDecline, "消防通道不能占用"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OpenVote(ctx, staff, civicgrid.VoteInput{AreaCode: community, Question: "是否安装充电桩？", Method: civicgrid.MethodYesNo, Hours: 24}); err != nil {
		t.Fatal(err)
	}
	if _, err := notes.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	inbox := func(a civicgrid.Actor) []civicgrid.Notification {
		ns, err := e.db.Notifications(ctx, civicgrid.NotificationFilter{UserID: a.UserID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	got := inbox(author)
	if len(got) != 2 || got[0].Kind != "cogov.vote_opened" || !strings.Contains(got[0].Title, "是否安装充电桩") ||
		got[1].Kind != "cogov.declined" || !strings.Contains(got[1].Body, "消防通道不能占用") {
		t.Fatalf("author's inbox %+v", got)
	}
	if got = inbox(other); len(got) != 1 || got[0].Link == "" {
		t.Fatalf("a neighbour on the roll: %+v", got)
	}
	if got = inbox(staff); len(got) != 0 {
		t.Fatalf("staff hear of their own steps: %+v", got)
	}
	// Read again, nothing is made twice.
	if _, err := notes.Produce(ctx); err != nil || len(inbox(author)) != 2 {
		t.Fatalf("a second pass: %v %d", err, len(inbox(author)))
	}
}
