package notices_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
)

// teams is the volunteer service as notices ask it (NoticeTeams): teams
// by id and their accepted members.
type teams struct {
	byID    map[int64]civicgrid.Team
	members map[int64][]int64
	asked   int // TeamsOf calls
}

func (ts *teams) TeamByID(_ context.Context, id int64) (civicgrid.Team, error) {
	t, ok := ts.byID[id]
	if !ok {
		return t, civicgrid.Errorf(civicgrid.ENOTFOUND, "no team %d", id)
	}
	return t, nil
}

func (ts *teams) TeamMembers(_ context.Context, id int64) ([]int64, error) {
	return ts.members[id], nil
}

func (ts *teams) TeamsOf(_ context.Context, user int64) ([]civicgrid.Team, error) {
	ts.asked++
	var out []civicgrid.Team
	for id, ms := range ts.members {
		if slices.Contains(ms, user) {
			out = append(out, ts.byID[id])
		}
	}
	return out, nil
}

// A notice to a volunteer team: only a team of the sender's scope; read by
// its members and the scope's staff, not by the community's other
// volunteers; counted as the team's size minus its receipts (one receipt
// row, nothing per member); its follow-up list names the members who have
// not confirmed, for staff over its whole scope only.
func TestTeamNotice(t *testing.T) {
	ctx := context.Background()
	ts := &teams{}
	e := newEnv(t, false, func(c *notices.Config) { c.Teams = ts })
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	zhou := e.person("周志愿", civicgrid.RoleVolunteer, community)
	wu := e.person("吴志愿", civicgrid.RoleVolunteer, community)
	other := e.person("郑志愿", civicgrid.RoleVolunteer, community) // of the community, not of the team
	resident := e.person("王秀英", civicgrid.RoleResident, building)
	head := e.person("陈楼长", civicgrid.RoleBuilding, building)
	awayStaff := e.person("外社工", civicgrid.RoleCommunityStaff, away)
	ts.byID = map[int64]civicgrid.Team{
		7: {ID: 7, Kind: civicgrid.TeamBuilding, Name: "3号楼志愿队", Community: community, CaptainID: zhou.UserID},
		9: {ID: 9, Kind: civicgrid.TeamRiders, Name: "骑手队", Community: away},
	}
	ts.members = map[int64][]int64{7: {zhou.UserID, wu.UserID}, 9: {other.UserID}}

	// Bad input, nothing written.
	for _, c := range []struct {
		in   civicgrid.NoticeInput
		code string
		text string
	}{
		{civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceTeam, Title: "t", Body: "b"}, civicgrid.EINVALID, "not valid"},
		{civicgrid.NoticeInput{Scope: community, TeamID: 7, Title: "t", Body: "b"}, civicgrid.EINVALID, "not valid"},
		{civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceTeam, TeamID: 9, Title: "t", Body: "b"}, civicgrid.EINVALID, "no volunteer team 9 in area " + community},
		{civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceTeam, TeamID: 404, Title: "t", Body: "b"}, civicgrid.EINVALID, "no volunteer team 404"},
		{civicgrid.NoticeInput{Scope: grid, Audience: civicgrid.AudienceTeam, TeamID: 7, Title: "t", Body: "b"}, civicgrid.EINVALID, "no volunteer team 7 in area " + grid},
	} {
		_, err := e.svc.Post(ctx, staff, c.in)
		wantErr(t, err, c.code, c.text)
	}
	if _, err := e.svc.Post(ctx, zhou, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceTeam, TeamID: 7, Title: "t", Body: "b"}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a member posted to their team: %v", err)
	}
	var rows int
	e.db.SQL().QueryRow(`SELECT COUNT(*) FROM notices`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d notices written by bad input", rows)
	}

	// Posted to the street's scope: the team of its community; the notice
	// lies at the team's community.
	street := e.person("街道调度", civicgrid.RoleStreetDispatcher, "420102001")
	v, err := e.svc.Post(ctx, street, civicgrid.NoticeInput{Scope: "420102001", Audience: civicgrid.AudienceTeam, TeamID: 7,
		Title: "周六楼道清理", Body: "周六上午九点在3号楼集合。", NeedConfirm: true})
	if err != nil || v.Scope != community || v.TeamName != "3号楼志愿队" || v.ForMe {
		t.Fatalf("posted %+v %v", v, err)
	}
	for _, c := range []struct {
		who   string
		actor civicgrid.Actor
		reads bool
		forMe bool
	}{
		{"member", zhou, true, true}, {"member 2", wu, true, true}, {"staff", staff, true, false}, {"street staff", street, true, false},
		{"other volunteer", other, false, false}, {"resident", resident, false, false}, {"building head", head, false, false},
		{"staff of another community", awayStaff, false, false},
	} {
		vs, err := e.svc.List(ctx, c.actor, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(ids(vs), v.ID); got != c.reads {
			t.Errorf("%s: listed %v, want %v", c.who, got, c.reads)
		}
		got, err := e.svc.Get(ctx, c.actor, v.ID)
		if c.reads != (err == nil) || (err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND) {
			t.Errorf("%s: get %v", c.who, err)
		}
		if err == nil && got.ForMe != c.forMe {
			t.Errorf("%s: for me %v", c.who, got.ForMe)
		}
		n, err := e.svc.Unread(ctx, c.actor)
		if want := map[bool]int{true: 1}[c.forMe]; err != nil || n != want {
			t.Errorf("%s: unread %d %v, want %d", c.who, n, err, want)
		}
	}
	if _, err := e.svc.Read(ctx, other, v.ID, true); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a non-member confirmed: %v", err)
	}
	if _, err := e.svc.Read(ctx, staff, v.ID, true); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("staff confirmed a team's notice: %v", err)
	}
	// A member confirms: one receipt row, the counts move.
	if r, err := e.svc.Read(ctx, zhou, v.ID, true); err != nil || !r.Confirmed {
		t.Fatalf("confirm %+v %v", r, err)
	}
	e.db.SQL().QueryRow(`SELECT COUNT(*) FROM notice_receipts`).Scan(&rows)
	if rows != 1 {
		t.Fatalf("%d receipt rows, want 1", rows)
	}
	got, err := e.svc.Get(ctx, staff, v.ID)
	if err != nil || got.Counts == nil || *got.Counts != (civicgrid.NoticeCounts{Audience: 2, Read: 1, Confirmed: 1, Unread: 1}) {
		t.Fatalf("counts %+v %v", got.Counts, err)
	}
	if n, _ := e.svc.Unread(ctx, zhou); n != 0 {
		t.Fatalf("the member's unread after reading: %d", n)
	}
	// Wu reads without confirming: still on the list, marked read.
	if _, err := e.svc.Read(ctx, wu, v.ID, false); err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.FollowUp(ctx, staff, v.ID, "", civicgrid.UnreachedCursor{})
	if err != nil || f.Within != community || len(f.People) != 1 || f.People[0].UserID != wu.UserID || !f.People[0].Read ||
		strings.Contains(f.People[0].Name, "吴志愿") || f.Counts.Audience != 2 || f.Counts.Confirmed != 1 {
		t.Fatalf("follow-up %+v %v", f, err)
	}
	// A new member counts at once (the team as it is now).
	ts.members[7] = append(ts.members[7], other.UserID)
	if f, err = e.svc.FollowUp(ctx, staff, v.ID, "", civicgrid.UnreachedCursor{}); err != nil || f.Counts.Audience != 3 || len(f.People) != 2 {
		t.Fatalf("after a member joined %+v %v", f, err)
	}
	ts.members[7] = ts.members[7][:2]
	// The building head follows up their building, not a team.
	if _, err := e.svc.FollowUp(ctx, head, v.ID, "", civicgrid.UnreachedCursor{}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("building head on a team's notice: %v", err)
	}
	fs, err := e.svc.Followable(ctx, staff)
	if err != nil || len(fs) != 1 || fs[0].Counts.Audience != 2 {
		t.Fatalf("followable %+v %v", fs, err)
	}
	// Without the volunteer service no team notice can be posted.
	bare := newEnv(t, false)
	bstaff := bare.person("张社工", civicgrid.RoleCommunityStaff, community)
	_, err = bare.svc.Post(ctx, bstaff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceTeam, TeamID: 7, Title: "t", Body: "b"})
	wantErr(t, err, civicgrid.EINVALID, "knows no volunteer teams")
}

// Withdrawing: the sender or staff over the scope, with a reason; the
// notice leaves lists, the unread count and the search, its page says why,
// a group post not yet made is never made, nobody is messaged, and the
// withdrawal is in the security log.
func TestWithdrawNotice(t *testing.T) {
	ctx := context.Background()
	var audit []civicgrid.SecurityEvent
	e := newEnv(t, true, func(c *notices.Config) {
		c.Audit = func(_ context.Context, ev civicgrid.SecurityEvent) { audit = append(audit, ev) }
	})
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	street := e.person("街道调度", civicgrid.RoleStreetDispatcher, "420102001")
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	awayStaff := e.person("外社工", civicgrid.RoleCommunityStaff, away)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if _, err := e.svc.AddRobot(ctx, staff, civicgrid.RobotInput{AreaCode: community, Name: "工作群", Kind: civicgrid.RobotWeCom, URL: srv.URL + "/wecom?key=k"}); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.Post(ctx, street, civicgrid.NoticeInput{Scope: community, Title: "停水通知", Body: "明日停水。", Priority: civicgrid.PriorityUrgent, NeedConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := e.svc.Unread(ctx, wang); n != 1 {
		t.Fatalf("unread before %d", n)
	}
	for _, c := range []struct {
		who    civicgrid.Actor
		reason string
		code   string
	}{
		{staff, "  ", civicgrid.EINVALID},
		{staff, strings.Repeat("错", 201), civicgrid.EINVALID},
		{wang, "不想看", civicgrid.EFORBIDDEN},
		{awayStaff, "不是我们的", civicgrid.ENOTFOUND},
	} {
		if _, err := e.svc.Withdraw(ctx, c.who, v.ID, c.reason); civicgrid.ErrorCode(err) != c.code {
			t.Errorf("%s withdrawing %q: %v, want %s", c.who.Name, c.reason, err, c.code)
		}
	}
	if got, _ := e.svc.Get(ctx, wang, v.ID); got.Withdrawn || got.CanWithdraw {
		t.Fatalf("withdrawn by bad input, or a resident may: %+v", got)
	}
	if got, _ := e.svc.Get(ctx, staff, v.ID); !got.CanWithdraw {
		t.Fatal("staff over the scope may not withdraw")
	}
	// The community's staff withdraw the street's notice (staff over its scope).
	w, err := e.svc.Withdraw(ctx, staff, v.ID, " 时间有误，另行通知 ")
	if err != nil || !w.Withdrawn || w.WithdrawReason != "时间有误，另行通知" || w.CanWithdraw || w.CanManage || w.Counts != nil {
		t.Fatalf("withdrawn %+v %v", w, err)
	}
	if len(audit) != 1 || audit[0].Kind != notices.EventWithdrawn || audit[0].ActorID != staff.UserID || audit[0].AreaCode != community {
		t.Fatalf("audit %+v", audit)
	}
	if _, err := e.svc.Withdraw(ctx, street, v.ID, "再撤一次"); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("withdrawn twice: %v", err)
	}
	for _, a := range []civicgrid.Actor{wang, staff, street} {
		vs, _ := e.svc.List(ctx, a, true)
		if slices.Contains(ids(vs), v.ID) {
			t.Errorf("%s still lists it", a.Name)
		}
	}
	if n, _ := e.svc.Unread(ctx, wang); n != 0 {
		t.Fatalf("unread after %d", n)
	}
	got, err := e.svc.Get(ctx, wang, v.ID)
	if err != nil || !got.Withdrawn || got.WithdrawReason != "时间有误，另行通知" {
		t.Fatalf("the resident's page %+v %v", got, err)
	}
	if _, err := e.svc.Get(ctx, awayStaff, v.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("another community's staff: %v", err)
	}
	_, err = e.svc.Read(ctx, wang, v.ID, true)
	wantErr(t, err, civicgrid.ECONFLICT, "withdrawn")
	_, err = e.svc.Remind(ctx, staff, v.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "withdrawn")
	// The group post queued when it was posted is never made.
	if k, err := e.svc.DeliverDue(ctx); err != nil || k != 0 {
		t.Fatalf("delivered %d %v", k, err)
	}
	if len(rc.bodies) != 0 {
		t.Fatalf("the group got %v", rc.bodies)
	}
	var state string
	e.db.SQL().QueryRow(`SELECT state FROM notice_robot_deliveries`).Scan(&state)
	if state != civicgrid.RobotWithdrawn {
		t.Fatalf("delivery %q", state)
	}
	// The urgent notice's messages are not sent either.
	drafts, _, err := e.svc.NotifySource().Read(ctx, 0, 100)
	if err != nil || len(drafts) != 0 {
		t.Fatalf("messages for a withdrawn notice: %d %v", len(drafts), err)
	}
}

// The sender may withdraw their own notice by the rule whatever their roles
// are now (the service still asks that they may read it).
func TestWithdrawOwnNotice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	v, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "例会", Body: "周五下午例会。"})
	if err != nil {
		t.Fatal(err)
	}
	if err := civicgrid.Authorize(civicgrid.Actor{UserID: staff.UserID, Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: building}}},
		civicgrid.ActionWithdrawNotice, v.WithdrawObject()); err != nil {
		t.Fatalf("the sender, now a resident: %v", err)
	}
	if _, err := e.svc.Withdraw(ctx, staff, v.ID, "改期"); err != nil {
		t.Fatal(err)
	}
}
