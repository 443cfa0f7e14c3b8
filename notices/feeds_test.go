package notices_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
)

// logs are the case event log (as the webhooks walk it) and volunteering's
// log of opened requests, in memory.
type logs struct {
	cases    []civicgrid.LoggedCaseEvent
	requests []civicgrid.HelpOpened
}

func (l *logs) EventsAfter(_ context.Context, cursor int64, limit int) ([]civicgrid.LoggedCaseEvent, error) {
	var out []civicgrid.LoggedCaseEvent
	for _, e := range l.cases {
		if e.Event.ID > cursor && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *logs) OpenedAfter(_ context.Context, cursor int64, limit int) ([]civicgrid.HelpOpened, int64, error) {
	var out []civicgrid.HelpOpened
	to := cursor
	for _, o := range l.requests {
		if o.EventID > cursor && len(out) < limit {
			out = append(out, o)
			to = o.EventID
		}
	}
	return out, to, nil
}

// Groups that chose them hear of new cases in their area, overdue cases
// and requests for help opened to volunteers: once each (the logs' cursor
// moves with the queued posts), by the robots' delivery (DingTalk signed),
// in the documented shapes, with no personal data — no name, phone,
// description or house number; groups that did not choose them, or of
// another area, hear nothing, nor of what happened before they chose.
func TestRobotFeeds(t *testing.T) {
	ctx := context.Background()
	l := &logs{}
	p := newEnv(t, true, func(c *notices.Config) { c.CaseLog, c.Requests = l, l })
	staff := p.person("张社工", civicgrid.RoleCommunityStaff, community)
	farStaff := p.person("李社工", civicgrid.RoleCommunityStaff, away)
	t0 := p.now
	report := func(id, caseID int64, grid string, at time.Duration, action civicgrid.CaseAction, data map[string]string) civicgrid.LoggedCaseEvent {
		return civicgrid.LoggedCaseEvent{
			Event: civicgrid.CaseEvent{ID: id, At: t0.Add(at), Action: action, Data: data, ActorID: 7, Actor: "王**"},
			Case: civicgrid.Case{ID: caseID, Category: "路灯损坏", GridCode: grid, Address: "胜利街12号3单元501", Description: "王秀英家门口路灯坏了，电话13912345678",
				ReporterID: 7, ReporterName: "王秀英", ReporterPhone: "13912345678"},
		}
	}
	l.cases = []civicgrid.LoggedCaseEvent{
		report(1, 100, grid, -time.Hour, civicgrid.CaseReport, nil), // before the groups chose: not posted
		report(2, 101, grid, time.Minute, civicgrid.CaseReport, nil),
		report(3, 101, grid, 2*time.Minute, civicgrid.CaseComment, nil),             // not a kind groups hear of
		report(4, 102, "420102001001002", 3*time.Minute, civicgrid.CaseReport, nil), // another grid of the community
		report(5, 101, grid, time.Hour, civicgrid.CaseEscalate, map[string]string{"level": "community"}),
		report(6, 101, grid, 2*time.Hour, civicgrid.CaseEscalate, map[string]string{"level": "street"}),
	}
	l.requests = []civicgrid.HelpOpened{{EventID: 11, RequestID: 300, Service: "代买药品", BuildingCode: building, Urgency: "urgent", At: t0.Add(time.Minute)}}

	gridGroup, communityGroup, quiet, far := &receiver{}, &receiver{secret: "SEC0123456789abcdef"}, &receiver{}, &receiver{}
	for _, rc := range []*receiver{gridGroup, communityGroup, quiet, far} {
		srv := httptest.NewServer(rc)
		defer srv.Close()
		rc.url = srv.URL
	}
	add := func(who civicgrid.Actor, in civicgrid.RobotInput) civicgrid.NoticeRobot {
		t.Helper()
		r, err := p.svc.AddRobot(ctx, who, in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	gr := add(staff, civicgrid.RobotInput{AreaCode: grid, Name: "网格群", Kind: civicgrid.RobotWeCom, URL: gridGroup.url + "/wecom?key=k1", NewCases: true, OverdueCases: true})
	if !gr.NewCases || !gr.OverdueCases || gr.VolunteerRequests {
		t.Fatalf("the grid group's choices %+v", gr)
	}
	add(staff, civicgrid.RobotInput{AreaCode: community, Name: "社区群", Kind: civicgrid.RobotDingTalk, URL: communityGroup.url + "/dingtalk?access_token=t",
		Secret: communityGroup.secret, Markdown: true, NewCases: true, VolunteerRequests: true})
	add(staff, civicgrid.RobotInput{AreaCode: community, Name: "只要通知", Kind: civicgrid.RobotWeCom, URL: quiet.url + "/wecom?key=k2"})
	add(farStaff, civicgrid.RobotInput{AreaCode: away, Name: "别的社区", Kind: civicgrid.RobotWeCom, URL: far.url + "/wecom?key=k3", NewCases: true, OverdueCases: true, VolunteerRequests: true})

	// grid group: case 101 new + two escalations = 3; community group:
	// cases 101 and 102 new + the request = 3.
	if n, err := p.svc.EnqueueFeeds(ctx); err != nil || n != 6 {
		t.Fatalf("queued %d %v, want 6", n, err)
	}
	if n, err := p.svc.EnqueueFeeds(ctx); err != nil || n != 0 {
		t.Fatalf("queued again %d %v", n, err)
	}
	if k, err := p.svc.DeliverDue(ctx); err != nil || k != 6 {
		t.Fatalf("delivered %d %v", k, err)
	}
	if len(quiet.bodies) != 0 || len(far.bodies) != 0 {
		t.Fatalf("groups that did not choose or are elsewhere got %v %v", quiet.bodies, far.bodies)
	}
	for _, rc := range []*receiver{gridGroup, communityGroup} {
		if len(rc.bad) > 0 || len(rc.bodies) != 3 {
			t.Fatalf("receiver: bad %v, got %d: %v", rc.bad, len(rc.bodies), rc.bodies)
		}
		for _, b := range rc.bodies {
			for _, personal := range []string{"王", "13912345678", "1391", "门口", "12号", "501", "张", "李"} {
				if strings.Contains(b, personal) {
					t.Fatalf("message carries %q: %s", personal, b)
				}
			}
		}
	}
	text := func(b string) string {
		var m struct {
			MsgType  string            `json:"msgtype"`
			Text     map[string]string `json:"text"`
			Markdown map[string]string `json:"markdown"`
		}
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatal(err)
		}
		return m.MsgType + "|" + m.Text["content"] + m.Markdown["title"] + "|" + m.Markdown["text"]
	}
	all := func(rc *receiver) string {
		var s []string
		for _, b := range rc.bodies {
			s = append(s, text(b))
		}
		return strings.Join(s, "\n")
	}
	g := all(gridGroup)
	for _, want := range []string{"text|新案件\n类别：路灯损坏\n区域：" + grid + "\n位置：胜利街**号*单元***", "https://grid.example.cn/cases/101",
		"text|案件逾期", "升级至：community", "升级至：street"} {
		if !strings.Contains(g, want) {
			t.Errorf("the grid group's messages lack %q:\n%s", want, g)
		}
	}
	c := all(communityGroup)
	for _, want := range []string{"markdown|新案件|### 新案件", "https://grid.example.cn/cases/102", "markdown|志愿服务需求|", "服务：代买药品",
		"紧急程度：urgent", "[查看详情](https://grid.example.cn/volunteer)"} {
		if !strings.Contains(c, want) {
			t.Errorf("the community group's messages lack %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "逾期") {
		t.Errorf("the community group did not choose overdue cases:\n%s", c)
	}
	// The deliveries list says what each posted.
	ds, err := p.svc.Deliveries(ctx, staff, gr.ID)
	if err != nil || len(ds) != 3 || ds[0].Kind != civicgrid.RobotPostOverdue || ds[0].Item == nil || ds[0].Item.Ref != 101 || ds[0].State != civicgrid.RobotDelivered {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
	// A later case is posted once more; nothing else.
	l.cases = append(l.cases, report(7, 103, grid, 3*time.Hour, civicgrid.CaseReport, nil))
	if n, err := p.svc.EnqueueFeeds(ctx); err != nil || n != 2 {
		t.Fatalf("the later case queued %d %v, want 2", n, err)
	}
	if k, err := p.svc.DeliverDue(ctx); err != nil || k != 2 || len(gridGroup.bodies) != 4 || len(communityGroup.bodies) != 4 {
		t.Fatalf("delivered %d %v", k, err)
	}
}

// MaskPlace masks every number and cuts to 16 characters.
func TestMaskPlace(t *testing.T) {
	for in, want := range map[string]string{
		"胜利街12号3单元501": "胜利街**号*单元***",
		"":             "",
		"江岸区胜利街道胜利社区胜利街128号院内东侧车棚": "江岸区胜利街道胜利社区胜利街**…",
	} {
		if got := civicgrid.MaskPlace(in); got != want {
			t.Errorf("MaskPlace(%q) = %q, want %q", in, got, want)
		}
	}
}

// endedLogs is a case log that also tells its last event id, as the store's
// does.
type endedLogs struct {
	*logs
	asked []int64 // the cursors EventsAfter was asked from
}

func (l *endedLogs) LastEventID(context.Context) (int64, error) {
	if len(l.cases) == 0 {
		return 0, nil
	}
	return l.cases[len(l.cases)-1].Event.ID, nil
}

func (l *endedLogs) EventsAfter(ctx context.Context, cursor int64, limit int) ([]civicgrid.LoggedCaseEvent, error) {
	l.asked = append(l.asked, cursor)
	return l.logs.EventsAfter(ctx, cursor, limit)
}

// The first group to hear of cases starts the case log's cursor at the
// log's end (it hears only of what comes after it chose): the history is
// never walked, and a later group does not move the cursor past events
// still to post.
func TestRobotFeedsStartAtTheCaseLogsEnd(t *testing.T) {
	ctx := context.Background()
	l := &endedLogs{logs: &logs{}}
	p := newEnv(t, true, func(c *notices.Config) { c.CaseLog = l })
	staff := p.person("张社工", civicgrid.RoleCommunityStaff, community)
	reported := func(id int64, at time.Duration) civicgrid.LoggedCaseEvent {
		return civicgrid.LoggedCaseEvent{Event: civicgrid.CaseEvent{ID: id, At: p.now.Add(at), Action: civicgrid.CaseReport, ActorID: 7},
			Case: civicgrid.Case{ID: 100 + id, Category: "路灯损坏", GridCode: grid}}
	}
	for id := int64(1); id <= 1200; id++ { // a history longer than a walk's batch
		l.cases = append(l.cases, reported(id, -time.Hour))
	}
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	add := func(name string, cases bool) {
		t.Helper()
		if _, err := p.svc.AddRobot(ctx, staff, civicgrid.RobotInput{AreaCode: community, Name: name, Kind: civicgrid.RobotWeCom,
			URL: srv.URL + "/wecom?key=" + name, NewCases: cases}); err != nil {
			t.Fatal(err)
		}
	}
	add("notices-only", false)
	if at, err := p.db.RobotCursor(ctx, "cases"); err != nil || at != 0 {
		t.Fatalf("a group that hears of no cases set the cursor: %d %v", at, err)
	}
	add("first", true)
	if at, err := p.db.RobotCursor(ctx, "cases"); err != nil || at != 1200 {
		t.Fatalf("cursor after the first group that hears of cases: %d %v, want the log's end 1200", at, err)
	}
	l.cases = append(l.cases, reported(1201, time.Minute))
	add("second", true) // the cursor stays: 1201 is still to post
	if n, err := p.svc.EnqueueFeeds(ctx); err != nil || n != 2 {
		t.Fatalf("queued %d %v, want case 1201 for both groups", n, err)
	}
	if slices.Min(l.asked) != 1200 {
		t.Fatalf("the log was read from %d: %v", slices.Min(l.asked), l.asked)
	}
}
