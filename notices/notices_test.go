package notices_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/webhook"
)

const (
	street    = "420102001"
	community = "420102001001"
	grid      = "420102001001001"
	building  = "4201020010010010001"
	building2 = "4201020010010020001" // another grid
	away      = "420103001001"
)

var key = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	t   *testing.T
	db  *sqlstore.DB
	svc *notices.Service
	now time.Time
	n   int
}

// uploaded is a photo store's answer to "was this uploaded?".
type uploaded map[string]bool

func (u uploaded) Has(ref string) bool { return u[ref] }

var photoRef = strings.Repeat("ab", 32) + ".jpg"

func newEnv(t *testing.T, private bool, opts ...func(*notices.Config)) *env {
	e := &env{t: t, db: testdb.Open(t, t.TempDir()), now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	cfg := notices.Config{Key: key, AllowPrivate: private, Photos: uploaded{photoRef: true}, Now: func() time.Time { return e.now }, Backoff: time.Minute,
		MaxAttempts: 3, BaseURL: "https://grid.example.cn",
		Resolver: webhook.StaticResolver{"qyapi.weixin.qq.com": {netip.MustParseAddr("101.91.40.24")}, "intranet.example.cn": {netip.MustParseAddr("10.1.2.3")}}}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := notices.New(cfg, e.db)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) person(name, role, area string) civicgrid.Actor {
	e.t.Helper()
	e.n++
	g := civicgrid.RoleGrant{Role: role, AreaCode: area}
	if role == civicgrid.RoleBuilding {
		g.Detail = "building_head"
	}
	u, err := e.db.CreateUser(context.Background(), civicgrid.User{Name: name, Phone: fmt.Sprintf("1390000%04d", e.n), Kind: civicgrid.KindResident},
		"", []civicgrid.RoleGrant{g}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Actor()
}

func wantErr(t *testing.T, err error, code, text string) {
	t.Helper()
	if civicgrid.ErrorCode(err) != code || !strings.Contains(civicgrid.ErrorMessage(err), text) {
		t.Fatalf("want %s %q, got %v", code, text, err)
	}
}

func ids(vs []notices.View) []int64 {
	var out []int64
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// Staff post to their area only; the audience sees it, others do not; a
// resident reads and confirms; counts, the follow-up list (masked, the
// head's own building only) and the re-remind interval.
func TestNoticeLoop(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	li := e.person("李建国", civicgrid.RoleResident, building)
	zhao := e.person("赵六", civicgrid.RoleResident, building2)
	head := e.person("陈楼长", civicgrid.RoleBuilding, building)
	worker := e.person("刘网格", civicgrid.RoleGridWorker, grid)
	stranger := e.person("外人", civicgrid.RoleResident, away+"0010001")

	// Scope refusal: nothing written.
	_, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: away, Title: "t", Body: "b"})
	wantErr(t, err, civicgrid.EFORBIDDEN, "a notice may be posted only to an area within yours")
	_, err = e.svc.Post(ctx, wang, civicgrid.NoticeInput{Scope: building, Title: "t", Body: "b"})
	wantErr(t, err, civicgrid.EFORBIDDEN, "within yours")
	_, err = e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: "cats", Title: "", Body: "b"})
	wantErr(t, err, civicgrid.EINVALID, "not valid")
	// Attachments: uploaded photos only, at most 4.
	for _, c := range []struct {
		refs []string
		text string
	}{
		{[]string{"../../etc/passwd"}, "is not a photo reference"},
		{[]string{"notice.pdf"}, "is not a photo reference"},
		{[]string{strings.Repeat("cd", 32) + ".jpg"}, "was never uploaded"},
		{[]string{photoRef, photoRef, photoRef, photoRef, photoRef}, "not valid"},
	} {
		_, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "t", Body: "b", Attachments: c.refs})
		wantErr(t, err, civicgrid.EINVALID, c.text)
	}
	if ns, _ := e.db.Notices(ctx, []string{community}, e.now, true, 10); len(ns) != 0 {
		t.Fatalf("refused posts wrote %d notices", len(ns))
	}

	n, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceResidents, Title: "停水通知",
		Body: "12月5日9:00-12:00停水，请提前储水。", NeedConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	workers, _ := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceGridWorkers, Title: "网格员例会", Body: "周五下午"})
	if n.Author != "张**" || !n.CanManage {
		t.Fatalf("posted %+v", n)
	}
	// Who sees what.
	for _, c := range []struct {
		who  civicgrid.Actor
		want string
	}{{wang, fmt.Sprint([]int64{n.ID})}, {zhao, fmt.Sprint([]int64{n.ID})}, {worker, fmt.Sprint([]int64{workers.ID})},
		{staff, fmt.Sprint([]int64{workers.ID, n.ID})}, {stranger, "[]"}, {head, "[]"}} {
		vs, err := e.svc.List(ctx, c.who, false)
		if err != nil || fmt.Sprint(ids(vs)) != c.want {
			t.Errorf("%s sees %v (%v), want %s", c.who.Name, ids(vs), err, c.want)
		}
	}
	if _, err := e.svc.Get(ctx, stranger, n.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a stranger reads the notice: %v", err)
	}
	if u, _ := e.svc.Unread(ctx, wang); u != 1 {
		t.Fatalf("unread badge %d", u)
	}
	// Reading, then confirming.
	v, err := e.svc.Read(ctx, wang, n.ID, false)
	if err != nil || !v.Read || v.Confirmed || v.CanManage {
		t.Fatalf("read %+v %v", v, err)
	}
	e.now = e.now.Add(time.Minute)
	if v, err = e.svc.Read(ctx, wang, n.ID, true); err != nil || !v.Confirmed || !v.ReadAt.Equal(e.now.Add(-time.Minute)) {
		t.Fatalf("confirmed %+v %v", v, err)
	}
	// Staff read the residents' notice over their area, but it is not
	// addressed to them: nothing to confirm, and not counted.
	if v, err := e.svc.Get(ctx, staff, n.ID); err != nil || v.ForMe {
		t.Fatalf("staff view %+v %v", v, err)
	}
	wantErr(t, func() error { _, err := e.svc.Read(ctx, staff, n.ID, true); return err }(), civicgrid.ECONFLICT, "not addressed to you")
	if v, err := e.svc.Read(ctx, staff, n.ID, false); err != nil || v.Read {
		t.Fatalf("staff's reading %+v %v", v, err)
	}
	if rs, _ := e.db.Receipts(ctx, staff.UserID, []int64{n.ID}); len(rs) != 0 {
		t.Fatalf("staff left a receipt: %+v", rs)
	}
	if _, err := e.svc.Read(ctx, worker, workers.ID, true); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("confirming a notice asking none: %v", err)
	}
	if u, _ := e.svc.Unread(ctx, wang); u != 0 {
		t.Fatalf("unread badge after reading %d", u)
	}
	e.svc.Read(ctx, li, n.ID, false) // read, not confirmed
	got, err := e.svc.Get(ctx, staff, n.ID)
	if err != nil || got.Counts == nil || *got.Counts != (civicgrid.NoticeCounts{Audience: 3, Read: 2, Confirmed: 1, Unread: 1}) {
		t.Fatalf("staff counts %+v %v", got.Counts, err)
	}
	if v, _ := e.svc.Get(ctx, wang, n.ID); v.Counts != nil {
		t.Fatal("a resident sees the counts")
	}
	// The building head follows up in their building: 李 read but did not
	// confirm; 王 confirmed; 赵 lives in another grid. Masked.
	f, err := e.svc.FollowUp(ctx, head, n.ID, "", civicgrid.UnreachedCursor{})
	if err != nil || f.Within != building || len(f.People) != 1 || f.People[0].Name != "李**" || !f.People[0].Read ||
		strings.Contains(f.People[0].Phone, fmt.Sprint(li.Phone[3:7])) || f.Counts.Audience != 2 {
		t.Fatalf("head's follow-up %+v %v", f, err)
	}
	// The head's list: the residents' notice with the building's counts.
	if fs, err := e.svc.Followable(ctx, head); err != nil || len(fs) != 1 || fs[0].Notice.ID != n.ID || fs[0].Counts.Unread != 0 || fs[0].Counts.Confirmed != 1 {
		t.Fatalf("head's followable %+v %v", fs, err)
	}
	// The grid worker's grid holds the same building.
	if f, err := e.svc.FollowUp(ctx, worker, n.ID, "", civicgrid.UnreachedCursor{}); err != nil || f.Within != grid || len(f.People) != 1 {
		t.Fatalf("worker's follow-up %+v %v", f, err)
	}
	// Staff of the community: both unconfirmed.
	if f, err := e.svc.FollowUp(ctx, staff, n.ID, community, civicgrid.UnreachedCursor{}); err != nil || len(f.People) != 2 {
		t.Fatalf("staff follow-up %+v %v", f, err)
	}
	_, err = e.svc.FollowUp(ctx, head, n.ID, building2, civicgrid.UnreachedCursor{})
	wantErr(t, err, civicgrid.EFORBIDDEN, "outside your scope")
	_, err = e.svc.FollowUp(ctx, wang, n.ID, "", civicgrid.UnreachedCursor{})
	wantErr(t, err, civicgrid.EFORBIDDEN, "follow it up")

	// Re-remind: once per interval, staff only.
	if _, err := e.svc.Remind(ctx, wang, n.ID); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident reminds: %v", err)
	}
	if v, err := e.svc.Remind(ctx, staff, n.ID); err != nil || !v.NextRemindAt.Equal(e.now.Add(24*time.Hour)) {
		t.Fatalf("remind %+v %v", v, err)
	}
	e.now = e.now.Add(23 * time.Hour)
	_, err = e.svc.Remind(ctx, staff, n.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "the next reminder is possible from")
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.Remind(ctx, staff, n.ID); err != nil {
		t.Fatalf("remind after the interval: %v", err)
	}

	// The notification source messages the unconfirmed (李, 赵) of each
	// of the two reminders.
	drafts, _, err := e.svc.NotifySource().Read(ctx, 0, 100)
	if err != nil || len(drafts) != 4 {
		t.Fatalf("drafts %d %v", len(drafts), err)
	}
	for _, d := range drafts {
		if d.Kind != "notice.remind" || d.UserID == wang.UserID || d.UserID == staff.UserID || d.Link != fmt.Sprintf("/announcements/%d", n.ID) {
			t.Fatalf("draft %+v", d)
		}
	}
}

// receiver is a local group robot: it checks the documented message shapes
// (and DingTalk's signature) and keeps what it got.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	fail   int // answer this many requests with errcode 310000 first
	secret string
	bad    []string
	url    string // where it listens
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	var msg struct {
		MsgType  string            `json:"msgtype"`
		Text     map[string]string `json:"text"`
		Markdown map[string]string `json:"markdown"`
	}
	switch {
	case r.Method != "POST" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		rc.bad = append(rc.bad, "method or content type")
	case json.Unmarshal(b, &msg) != nil:
		rc.bad = append(rc.bad, "not JSON")
	case msg.MsgType == "text" && msg.Text["content"] == "",
		msg.MsgType == "markdown" && strings.Contains(r.URL.Path, "dingtalk") && (msg.Markdown["title"] == "" || msg.Markdown["text"] == ""),
		msg.MsgType == "markdown" && !strings.Contains(r.URL.Path, "dingtalk") && msg.Markdown["content"] == "",
		msg.MsgType != "text" && msg.MsgType != "markdown":
		rc.bad = append(rc.bad, "shape: "+string(b))
	}
	if rc.secret != "" {
		ts := r.URL.Query().Get("timestamp")
		var ms int64
		fmt.Sscan(ts, &ms)
		m := hmac.New(sha256.New, []byte(rc.secret))
		m.Write([]byte(ts + "\n" + rc.secret))
		if r.URL.Query().Get("sign") != base64.StdEncoding.EncodeToString(m.Sum(nil)) || ms == 0 {
			rc.bad = append(rc.bad, "signature")
		}
	}
	if rc.fail > 0 {
		rc.fail--
		fmt.Fprint(w, `{"errcode":310000,"errmsg":"keywords not in content"}`)
		return
	}
	rc.bodies = append(rc.bodies, string(b))
	fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
}

// Robots: https to public addresses only; message shapes, DingTalk's
// signature, retries with a recorded state; no personal data posted.
func TestRobots(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	for _, c := range []struct {
		in   civicgrid.RobotInput
		code string
		text string
	}{
		{civicgrid.RobotInput{AreaCode: community, Name: "群", Kind: civicgrid.RobotWeCom, URL: "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, civicgrid.EINVALID, "https"},
		{civicgrid.RobotInput{AreaCode: community, Name: "群", Kind: civicgrid.RobotWeCom, URL: "https://intranet.example.cn/hook"}, civicgrid.EINVALID, "10.1.2.3"},
		{civicgrid.RobotInput{AreaCode: community, Name: "群", Kind: civicgrid.RobotWeCom, URL: "https://127.0.0.1/hook"}, civicgrid.EINVALID, "loopback"},
		{civicgrid.RobotInput{AreaCode: community, Name: "群", Kind: "slack", URL: "https://qyapi.weixin.qq.com/x"}, civicgrid.EINVALID, "not valid"},
		{civicgrid.RobotInput{AreaCode: away, Name: "群", Kind: civicgrid.RobotWeCom, URL: "https://qyapi.weixin.qq.com/x"}, civicgrid.EFORBIDDEN, "outside your scope"},
	} {
		_, err := e.svc.AddRobot(ctx, staff, c.in)
		if civicgrid.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err, civicgrid.ErrorMessage(err)), c.text) {
			if e, ok := err.(*civicgrid.Error); !ok || !strings.Contains(fmt.Sprint(e.Problems), c.text) {
				t.Errorf("%s: want %s %q, got %v", c.in.URL, c.code, c.text, err)
			}
		}
	}
	if _, err := e.svc.AddRobot(ctx, wang, civicgrid.RobotInput{AreaCode: community, Name: "群", Kind: civicgrid.RobotWeCom, URL: "https://qyapi.weixin.qq.com/x"}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident connects a robot: %v", err)
	}
	if rs, _ := e.db.Robots(ctx, []string{community}); len(rs) != 0 {
		t.Fatalf("refused robots stored: %d", len(rs))
	}
	// A public one is accepted, its key masked in the answer.
	r, err := e.svc.AddRobot(ctx, staff, civicgrid.RobotInput{AreaCode: community, Name: "社区工作群", Kind: civicgrid.RobotWeCom,
		URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"})
	if err != nil || strings.Contains(r.URL, "7xxx") {
		t.Fatalf("robot %+v %v", r, err)
	}

	// Loopback receivers (allowed for this part of the test).
	p := newEnv(t, true)
	staff = p.person("张社工", civicgrid.RoleCommunityStaff, community)
	plain, signed := &receiver{fail: 1}, &receiver{secret: "SEC0123456789abcdef"}
	srvPlain, srvSigned := httptest.NewServer(plain), httptest.NewServer(signed)
	defer srvPlain.Close()
	defer srvSigned.Close()
	robots := []civicgrid.RobotInput{
		{AreaCode: community, Name: "企业微信群", Kind: civicgrid.RobotWeCom, URL: srvPlain.URL + "/wecom?key=k1"},
		{AreaCode: grid, Name: "钉钉群", Kind: civicgrid.RobotDingTalk, URL: srvSigned.URL + "/dingtalk?access_token=t1", Secret: signed.secret, Markdown: true},
	}
	for _, in := range robots {
		if _, err := p.svc.AddRobot(ctx, staff, in); err != nil {
			t.Fatal(err)
		}
	}
	var sealed string
	p.db.SQL().QueryRow(`SELECT sealed_secret FROM notice_robots WHERE kind = 'dingtalk'`).Scan(&sealed)
	if sealed == "" || strings.Contains(sealed, "SEC0123") {
		t.Fatalf("secret stored as %q", sealed)
	}
	n, err := p.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "燃气检修", Body: "12月6日上午入户检修燃气管道，请家中留人。",
		Priority: civicgrid.PriorityUrgent, NeedConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	p.person("王秀英", civicgrid.RoleResident, building) // an audience member
	if k, err := p.svc.DeliverDue(ctx); err != nil || k != 2 {
		t.Fatalf("delivered %d %v", k, err)
	}
	// WeCom refused once (errcode): pending, retried after the backoff.
	ds := func(kind string) civicgrid.RobotDelivery {
		var id int64
		p.db.SQL().QueryRow(`SELECT id FROM notice_robots WHERE kind = $1`, kind).Scan(&id)
		d, _ := p.db.RobotDeliveries(ctx, id, 1)
		return d[0]
	}
	if d := ds("wecom"); d.State != civicgrid.RobotPending || d.Attempts != 1 || !strings.Contains(d.LastError, "310000") {
		t.Fatalf("wecom after a refusal %+v", d)
	}
	if d := ds("dingtalk"); d.State != civicgrid.RobotDelivered {
		t.Fatalf("dingtalk %+v", d)
	}
	if k, _ := p.svc.DeliverDue(ctx); k != 0 {
		t.Fatalf("retried before the backoff: %d", k)
	}
	p.now = p.now.Add(2 * time.Minute)
	if k, _ := p.svc.DeliverDue(ctx); k != 1 || ds("wecom").State != civicgrid.RobotDelivered {
		t.Fatalf("retry: %d %+v", k, ds("wecom"))
	}
	for _, rc := range []*receiver{plain, signed} {
		if len(rc.bad) > 0 || len(rc.bodies) != 1 {
			t.Fatalf("receiver: bad %v, got %d", rc.bad, len(rc.bodies))
		}
		b := rc.bodies[0]
		if !strings.Contains(b, "燃气检修") || !strings.Contains(b, fmt.Sprintf("https://grid.example.cn/announcements/%d", n.ID)) {
			t.Fatalf("message %s", b)
		}
		// No personal data: not the author's name (nor masked), no phone.
		for _, personal := range []string{"张", staff.Phone, "13900", "王"} {
			if strings.Contains(b, personal) {
				t.Fatalf("message carries %q: %s", personal, b)
			}
		}
	}
	var dm map[string]any
	json.Unmarshal([]byte(signed.bodies[0]), &dm)
	if dm["msgtype"] != "markdown" {
		t.Fatalf("dingtalk markdown %s", signed.bodies[0])
	}
	// A robot that never answers well is given up after MaxAttempts.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }))
	defer bad.Close()
	p.svc.AddRobot(ctx, staff, civicgrid.RobotInput{AreaCode: community, Name: "坏群", Kind: civicgrid.RobotWeCom, URL: bad.URL + "/x?key=k"})
	p.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "二", Body: "b"})
	for i := 0; i < 5; i++ {
		p.svc.DeliverDue(ctx)
		p.now = p.now.Add(time.Hour)
	}
	if d := ds("wecom"); d.State != civicgrid.RobotDelivered {
		t.Fatalf("the good group's second delivery %+v", d)
	}
	var state string
	var attempts int
	p.db.SQL().QueryRow(`SELECT d.state, d.attempts FROM notice_robot_deliveries d JOIN notice_robots r ON r.id = d.robot_id WHERE r.name = '坏群'`).Scan(&state, &attempts)
	if state != civicgrid.RobotFailed || attempts != 3 {
		t.Fatalf("bad group: %s after %d attempts", state, attempts)
	}
}

// The signature is DingTalk's documented example computation.
func TestDingTalkSign(t *testing.T) {
	u, err := notices.SignedURL("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECxyz", 1700000000000)
	if err != nil || !strings.Contains(u, "timestamp=1700000000000") || !strings.Contains(u, "sign=") || !strings.Contains(u, "access_token=abc") {
		t.Fatalf("signed %s %v", u, err)
	}
	// Computed apart: base64(HMAC-SHA256("SECxyz", "1700000000000\nSECxyz")).
	sig := notices.DingTalkSign("SECxyz", 1700000000000)
	if sig != "0PUR1j8g85Xg3vlFV/UrEcxXfF5HpCAGzcjrNfyJoyg=" {
		t.Fatalf("sign %s", sig)
	}
	// base64 "+", "/" and "=" are URL-encoded in the query.
	if !strings.Contains(u, "sign="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig)) {
		t.Fatalf("sign not URL-encoded in %s (%s)", u, sig)
	}
}

// An uploaded photo is attached and comes back with the notice.
func TestNoticeAttachments(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	v, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: building, Title: "楼道照片", Body: "b", Attachments: []string{photoRef}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Get(ctx, wang, v.ID)
	if err != nil || len(got.Attachments) != 1 || got.Attachments[0] != photoRef {
		t.Fatalf("the resident's view %+v %v", got, err)
	}
}
