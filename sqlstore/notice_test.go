package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// seedResidents adds n residents to the community, spread over buildings
// of 100 people in grids of 10 buildings, in one statement per table: the
// identifiers of the new people run from the returned first id. Phones
// start at 17 and the offset keeps several calls apart.
func seedResidents(tb testing.TB, db *DB, community string, n, offset int) {
	tb.Helper()
	ctx := context.Background()
	q := `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)
		INSERT INTO users (name, phone, kind, created_at)
		SELECT '居民' || CAST(i + $2 AS TEXT), '17' || CAST(100000000 + i + $2 AS TEXT), 'resident', 0 FROM s`
	if _, err := db.SQL().ExecContext(ctx, q, n, offset); err != nil {
		tb.Fatal(err)
	}
	// A building code: the community, grid 001–999, building 0001–0010.
	q = `INSERT INTO role_grants (user_id, role, area_code, detail, categories, created_at)
		SELECT u.id, 'resident', $1 || SUBSTR(CAST(1000 + (((u.id / 100) / 10) % 999) + 1 AS TEXT), 2) ||
			SUBSTR(CAST(10000 + ((u.id / 100) % 10) + 1 AS TEXT), 2), '', '', 0
		FROM users u WHERE u.phone LIKE '17%' AND NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id)`
	if _, err := db.SQL().ExecContext(ctx, q, community); err != nil {
		tb.Fatal(err)
	}
	// Grants written past the store: their audience counts recounted.
	if err := db.RebuildAudienceCounts(ctx); err != nil {
		tb.Fatal(err)
	}
}

func rowsIn(tb testing.TB, db *DB, table string) int {
	tb.Helper()
	n, err := countRows(context.Background(), db, table)
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}

func postNotice(tb testing.TB, db *DB, scope, audience string, confirm bool) civicgrid.Notice {
	tb.Helper()
	n, err := civicgrid.NoticeInput{Scope: scope, Audience: audience, Title: "停水通知", Body: "明天9点至12点停水。", NeedConfirm: confirm}.Check(time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	n.Author = "社*"
	if n, err = db.CreateNotice(context.Background(), n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// Posting to a community of thousands writes one notice row and nothing
// per person; the counts come from the grants; a reading writes one row.
func TestNoticeWithoutFanOut(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const people = 5000
	seedResidents(t, db, cgCommunity, people, 0)
	head := cgUser(t, db, 1, civicgrid.RoleBuilding, cgBuilding)
	grants, users := rowsIn(t, db, "role_grants"), rowsIn(t, db, "users")
	n := postNotice(t, db, cgCommunity, civicgrid.AudienceResidents, true)
	for table, want := range map[string]int{"notices": 1, "notice_receipts": 0, "notice_events": 0, "notice_robot_deliveries": 0,
		"role_grants": grants, "users": users, "notifications": 0} {
		if got := rowsIn(t, db, table); got != want {
			t.Errorf("after posting to %d people: %d rows in %s, want %d", people, got, table, want)
		}
	}
	c, err := db.CountNotice(ctx, n, "")
	if err != nil || c != (civicgrid.NoticeCounts{Audience: people, Unread: people}) {
		t.Fatalf("counts %+v %v", c, err)
	}
	// Everyone of the community: the building head too.
	all := postNotice(t, db, cgCommunity, civicgrid.AudienceAll, false)
	if c, _ := db.CountNotice(ctx, all, ""); c.Audience != people+1 {
		t.Fatalf("audience of all: %d, want %d", c.Audience, people+1)
	}
	// Two residents read; one confirms (twice: one row); the head reads
	// too but is not of the residents' audience.
	for i, u := range []int64{10, 11, 11} {
		if _, err := db.MarkNotice(ctx, n.ID, u, time.Now(), i > 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.MarkNotice(ctx, n.ID, head.ID, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if got := rowsIn(t, db, "notice_receipts"); got != 3 {
		t.Fatalf("receipts: %d rows, want 3", got)
	}
	c, _ = db.CountNotice(ctx, n, "")
	if c != (civicgrid.NoticeCounts{Audience: people, Read: 2, Confirmed: 1, Unread: people - 2}) {
		t.Fatalf("counts after reading: %+v", c)
	}
	// The follow-up list of user 10's building: everyone there but those
	// who confirmed; 10 read but did not confirm, so is listed as read.
	var building string
	if err := db.SQL().QueryRow(`SELECT area_code FROM role_grants WHERE user_id = 10`).Scan(&building); err != nil {
		t.Fatal(err)
	}
	ps, err := db.Unreached(ctx, n, building, civicgrid.UnreachedCursor{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var inBuilding int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM role_grants WHERE area_code = $1 AND role = 'resident'`, building).Scan(&inBuilding)
	if len(ps) != inBuilding-1 || inBuilding < 50 {
		t.Fatalf("unreached in %s: %d, want %d", building, len(ps), inBuilding-1)
	}
	for _, p := range ps {
		if p.UserID == 11 || p.AreaCode != building || (p.UserID == 10) != p.Read {
			t.Fatalf("unreached entry %+v", p)
		}
	}
	// Paging goes on after the last id.
	page, _ := db.Unreached(ctx, n, building, ps[9].Cursor(), 5)
	if len(page) != 5 || page[0].UserID != ps[10].UserID {
		t.Fatalf("second page starts at %+v, want %d", page, ps[10].UserID)
	}
	// Who read when: the two residents, with their times; the head's
	// receipt is not of the residents' audience; the unread list marks
	// when 10 read.
	rs, err := db.Reached(ctx, n, building, civicgrid.UnreachedCursor{}, 100)
	if err != nil || len(rs) != 2 || rs[0].UserID != 10 || rs[1].UserID != 11 {
		t.Fatalf("readers %+v %v", rs, err)
	}
	if !rs[0].Read || rs[0].ReadAt.IsZero() || !rs[0].ConfirmedAt.IsZero() || rs[1].ConfirmedAt.IsZero() || rs[1].ConfirmedAt.Before(rs[1].ReadAt) {
		t.Fatalf("reading times %+v", rs)
	}
	if rs, _ := db.Reached(ctx, n, "", rs[0].Cursor(), 100); len(rs) != 1 || rs[0].UserID != 11 {
		t.Fatalf("readers after the first: %+v", rs)
	}
	for _, p := range ps {
		if p.UserID == 10 && p.ReadAt.IsZero() {
			t.Fatalf("the unread list says when 10 read: %+v", p)
		}
	}
}

// A reminder is refused within the interval and logged once otherwise;
// an urgent notice is logged for the notification sender when posted.
func TestNoticeRemindInterval(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	n := postNotice(t, db, cgCommunity, civicgrid.AudienceAll, false)
	t0 := time.UnixMilli(1764800000000)
	for i, c := range []struct {
		at   time.Time
		want bool
	}{{t0, true}, {t0.Add(time.Hour), false}, {t0.Add(24 * time.Hour), true}} {
		ok, err := db.RemindNotice(ctx, n.ID, c.at, c.at.Add(-24*time.Hour))
		if err != nil || ok != c.want {
			t.Fatalf("reminder %d: %v %v, want %v", i, ok, err, c.want)
		}
	}
	in := civicgrid.NoticeInput{Scope: cgCommunity, Title: "燃气泄漏", Body: "请立即撤离3栋。", Priority: civicgrid.PriorityUrgent}
	u, _ := in.Check(time.Now())
	if _, err := db.CreateNotice(ctx, u); err != nil {
		t.Fatal(err)
	}
	evs, err := db.NoticeEventsAfter(ctx, 0, 10)
	if err != nil || len(evs) != 3 || evs[0].Kind != civicgrid.NoticeEventRemind || evs[2].Kind != civicgrid.NoticeEventUrgent {
		t.Fatalf("events %+v %v", evs, err)
	}
	got, _ := db.NoticeByID(ctx, n.ID)
	if !got.RemindedAt.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("reminded at %v", got.RemindedAt)
	}
}

// Notices in force of the area and above it, pinned first; a robot of an
// area within the scope gets a delivery, one elsewhere or stopped does not.
func TestNoticeListAndRobotDeliveries(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.Now()
	mk := func(r civicgrid.NoticeRobot) civicgrid.NoticeRobot {
		r.Name, r.Kind, r.URL, r.CreatedAt = "群", civicgrid.RobotWeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", now
		r, err := db.CreateRobot(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	inside := mk(civicgrid.NoticeRobot{AreaCode: cgCommunity + "001"})
	away := mk(civicgrid.NoticeRobot{AreaCode: "420103001001"})
	stopped := mk(civicgrid.NoticeRobot{AreaCode: cgCommunity})
	if err := db.DisableRobot(ctx, stopped.ID); err != nil {
		t.Fatal(err)
	}
	street := postNotice(t, db, cgCommunity[:9], civicgrid.AudienceAll, false)
	in, _ := civicgrid.NoticeInput{Scope: cgBuilding, Title: "置顶", Body: "b", Pinned: true}.Check(now)
	pinned, _ := db.CreateNotice(ctx, in)
	in, _ = civicgrid.NoticeInput{Scope: cgCommunity, Title: "过期", Body: "b", ExpiresAt: now.Add(time.Minute)}.Check(now)
	soon, _ := db.CreateNotice(ctx, in)
	postNotice(t, db, "420103001001", civicgrid.AudienceAll, false) // elsewhere
	ns, err := db.Notices(ctx, []string{cgBuilding}, now, false, 10)
	if err != nil || len(ns) != 3 || ns[0].ID != pinned.ID || ns[1].ID != soon.ID || ns[2].ID != street.ID {
		t.Fatalf("list %+v %v", ns, err)
	}
	if ns, _ := db.Notices(ctx, []string{cgBuilding}, now.Add(2*time.Minute), false, 10); len(ns) != 2 {
		t.Fatalf("after expiry: %d notices", len(ns))
	}
	ds, err := db.DueRobotDeliveries(ctx, now.Add(time.Second), now.Add(time.Minute), 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("due %+v %v", ds, err)
	}
	per := map[int64][]int64{}
	for _, d := range ds {
		per[d.RobotID] = append(per[d.RobotID], d.NoticeID)
	}
	slices.Sort(per[inside.ID])
	if fmt.Sprint(per[inside.ID]) != fmt.Sprint([]int64{street.ID, soon.ID}) || len(per[away.ID]) != 1 || len(per[stopped.ID]) != 0 {
		t.Fatalf("deliveries by robot %v (inside %d, away %d, stopped %d)", per, inside.ID, away.ID, stopped.ID)
	}
	// Leased: a second caller gets nothing until the lease ends.
	if again, _ := db.DueRobotDeliveries(ctx, now.Add(time.Second), now.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("leased deliveries taken twice: %d", len(again))
	}
	d := ds[slices.IndexFunc(ds, func(d civicgrid.RobotDelivery) bool { return d.RobotID == inside.ID })]
	d.State, d.Attempts, d.UpdatedAt, d.NextAt = civicgrid.RobotDelivered, 1, now, now
	if err := db.RecordRobotDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, _ := db.RobotDeliveries(ctx, inside.ID, 10)
	var states []string
	for _, g := range got {
		states = append(states, g.State)
	}
	slices.Sort(states)
	if fmt.Sprint(states) != "[delivered pending]" {
		t.Fatalf("deliveries: %s", states)
	}
}

// The notices' tables move with a copy between stores, and new rows go on
// after the copied ids.
func TestCopyNotices(t *testing.T) {
	ctx := context.Background()
	src, dst := openTest(t), openTest(t)
	u := cgUser(t, src, 1, civicgrid.RoleResident, cgBuilding)
	if _, err := src.CreateRobot(ctx, civicgrid.NoticeRobot{AreaCode: cgCommunity, Name: "群", Kind: civicgrid.RobotDingTalk,
		URL: "https://oapi.dingtalk.com/robot/send?access_token=t", SealedSecret: []byte{1, 2, 3}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	in, _ := civicgrid.NoticeInput{Scope: cgCommunity, Title: "急", Body: "b", Priority: civicgrid.PriorityUrgent}.Check(time.Now())
	n, err := src.CreateNotice(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.MarkNotice(ctx, n.ID, u.ID, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	rep, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"notices", "notice_receipts", "notice_robots", "notice_robot_deliveries", "notice_events"} {
		if rep.Rows[table] != 1 {
			t.Errorf("%s: %d rows copied, want 1", table, rep.Rows[table])
		}
	}
	r, err := dst.RobotByID(ctx, 1)
	if err != nil || string(r.SealedSecret) != string([]byte{1, 2, 3}) {
		t.Fatalf("robot in the target %+v %v", r, err)
	}
	next, err := dst.CreateNotice(ctx, in)
	if err != nil || next.ID != n.ID+1 {
		t.Fatalf("a new notice in the target: %d %v, want id %d", next.ID, err, n.ID+1)
	}
}

// A notice's documents are kept with it (name, ref, size), read back as
// written, and copied with it.
func TestNoticeDocumentsKept(t *testing.T) {
	ctx := context.Background()
	src, dst := openTest(t), openTest(t)
	docs := []civicgrid.NoticeDocument{{Ref: strings.Repeat("ab", 32) + ".pdf", Name: "停水安排.pdf", Bytes: 1234},
		{Ref: strings.Repeat("cd", 32) + ".pdf", Name: "minutes \"2026\".pdf", Bytes: 5 << 20}}
	in, err := civicgrid.NoticeInput{Scope: cgCommunity, Title: "停水", Body: "见附件", Documents: docs}.Check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in.Documents[0].Bytes, in.Documents[1].Bytes = docs[0].Bytes, docs[1].Bytes
	n, err := src.CreateNotice(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	plain := postNotice(t, src, cgCommunity, civicgrid.AudienceAll, false)
	want := []civicgrid.NoticeDocument{docs[0], {Ref: docs[1].Ref, Name: "minutes 2026.pdf", Bytes: docs[1].Bytes}}
	for _, db := range []*DB{src, dst} {
		if db == dst {
			if _, err := Copy(ctx, src, dst); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.NoticeByID(ctx, n.ID)
		if err != nil || !slices.Equal(got.Documents, want) {
			t.Fatalf("documents read back %+v %v, want %+v", got.Documents, err, want)
		}
		if p, err := db.NoticeByID(ctx, plain.ID); err != nil || p.Documents != nil {
			t.Fatalf("a notice without documents: %+v %v", p.Documents, err)
		}
	}
}
