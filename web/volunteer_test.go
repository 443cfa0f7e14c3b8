package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The volunteer pages over the real service and store: a resident asks in
// three steps, staff publish it, one volunteer takes it while another is
// told it is gone, signs in and out at the building, the resident confirms
// and the hours show; the address is on no page before it is taken.
func TestVolunteerPages(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	areas := newMemStore()
	const building = "4201020010010010001"
	areas.areas[building] = civicgrid.Area{Code: building, Level: civicgrid.LevelBuilding, Name: "三阳路1号", Geometry: orb.Point{114.295, 30.585}}
	areas.areas["420102001001"] = civicgrid.Area{Code: "420102001001", Level: civicgrid.LevelCommunity, Name: "三阳社区"}
	// A clock a second on at every reading: sign-in and sign-out never
	// fall in the same millisecond (0 minutes served), however fast the
	// machine.
	var ticks atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ticks.Add(1)) * time.Second) }
	ui, err := New(Config{Volunteer: volunteering.New(volunteering.Config{Now: clock, People: db}, db, areas)}, areas)
	if err != nil {
		t.Fatal(err)
	}
	h := httptestMux(ui)
	n := 0
	person := func(role, area string) civicgrid.Actor {
		n++
		u, err := db.CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("居民%d", n), Phone: fmt.Sprintf("1370000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		a.CSRFToken = "tok"
		return a
	}
	resident := person(civicgrid.RoleResident, building)
	staff := person(civicgrid.RoleCommunityStaff, "420102001001")
	volA := person(civicgrid.RoleVolunteer, "420102001001")
	volB := person(civicgrid.RoleVolunteer, "420102001001")
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {"tok"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	outcome := func(rec interface{ Header() http.Header }, want string) {
		t.Helper()
		if loc := rec.Header().Get("Location"); !strings.Contains(loc, want) {
			t.Fatalf("outcome %q, want %q", loc, want)
		}
	}

	rec := as(h, resident, "GET", "/help", nil)
	if rec.Code != http.StatusOK || !contains(rec.Body.String(), `value="`+building+`"`) || !contains(rec.Body.String(), `value="clinic"`) ||
		contains(rec.Body.String(), `name="beneficiary"`) {
		t.Fatalf("ask page: %d (their building and the catalogue offered, no asking on behalf): %s", rec.Code, rec.Body)
	}
	outcome(as(h, resident, "POST", "/help", form("service", "massage", "building_code", building)), "failed=invalid")
	outcome(as(h, resident, "POST", "/help", url.Values{"csrf_token": {"tok"}, "service": {"shopping"}, "building_code": {building},
		"needs": {"driver", "parachute"}}), "failed=invalid")
	outcome(as(h, resident, "POST", "/help", url.Values{"csrf_token": {"tok"}, "service": {"shopping"}, "building_code": {building},
		"address": {"3单元502"}, "note": {"买菜"}, "needs": {"driver", "woman"}}), "done=asked")
	rec = as(h, staff, "GET", "/volunteer", nil)
	m := regexp.MustCompile(`action="/volunteer/(\d+)/accept"`).FindStringSubmatch(rec.Body.String())
	if m == nil || !contains(rec.Body.String(), "3单元502") {
		t.Fatalf("staff's list to check: %s", rec.Body)
	}
	id := m[1]
	outcome(as(h, staff, "POST", "/volunteer/"+id+"/decline", form()), "failed=invalid") // a reason is needed
	outcome(as(h, staff, "POST", "/volunteer/"+id+"/accept", form()), "done=accept")

	rec = as(h, volA, "GET", "/volunteer", nil)
	if !contains(rec.Body.String(), `action="/volunteer/`+id+`/claim"`) || contains(rec.Body.String(), "3单元502") {
		t.Fatalf("volunteer's open list (claim offered, address hidden): %s", rec.Body)
	}
	// Only approved volunteers claim: A registers on the page, staff approve.
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/claim", form()), "failed=forbidden")
	if !contains(rec.Body.String(), `action="/volunteer/profile"`) || !contains(rec.Body.String(), `value="driver"`) ||
		!contains(rec.Body.String(), `<option value="420102001001">三阳社区</option>`) {
		t.Fatalf("the registration form: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", "/volunteer/profile", form("community_code", "420102001001", "insurance_until", "soon")), "failed=invalid")
	// An ID number with a mistyped digit is refused.
	outcome(as(h, volA, "POST", "/volunteer/profile", form("community_code", "420102001001", "id_number", "11010519491231003X")), "failed=invalid")
	outcome(as(h, volA, "POST", "/volunteer/profile", form("community_code", "420102001001", "skills", "driver", "availability", "周末",
		"insurance_until", "2027-12-31", "training_name", "急救培训", "training_date", "2026-03-01", "training_hours", "8", "gender", "female",
		"id_number", "11010519491231002x")), "done=registered")
	if rec = as(h, volA, "GET", "/volunteer", nil); !contains(rec.Body.String(), "等待社区审核") || !contains(rec.Body.String(), "培训 1 次") ||
		!contains(rec.Body.String(), `value="driver" checked`) || !contains(rec.Body.String(), `<option value="female" selected>`) {
		t.Fatalf("A's registration waits: %s", rec.Body)
	}
	// The open list names the needs and how A meets them.
	if body := rec.Body.String(); !contains(body, "需要：驾驶、女性志愿者") || !contains(body, "您符合全部要求") {
		t.Fatalf("needs and fit in the open list: %s", body)
	}
	if rec = as(h, volB, "GET", "/volunteer", nil); !contains(rec.Body.String(), "您符合 0/2 项要求，缺：驾驶、女性志愿者") {
		t.Fatalf("B's fit: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/claim", form()), "failed=forbidden")
	approve := fmt.Sprintf("/volunteer/registrations/%d/", volA.UserID)
	if rec = as(h, staff, "GET", "/volunteer", nil); !contains(rec.Body.String(), `action="`+approve+`approve"`) || !contains(rec.Body.String(), "保险至 2027-12-31") ||
		!contains(rec.Body.String(), "身份证号：1101**********002X") || contains(rec.Body.String(), "11010519491231002X") {
		t.Fatalf("staff's registrations to check: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", approve+"approve", form()), "failed=not_found")
	outcome(as(h, staff, "POST", approve+"decline", form()), "failed=invalid")
	outcome(as(h, staff, "POST", approve+"approve", form()), "done=approve_volunteer")
	outcome(as(h, staff, "POST", approve+"approve", form()), "failed=conflict")
	if rec = as(h, volA, "GET", "/volunteer", nil); !contains(rec.Body.String(), "志愿者编号：<strong>420102001001-000001</strong>") {
		t.Fatalf("A's volunteer number: %s", rec.Body)
	}
	testdb.ApproveVolunteer(t, db, volB, "420102001001")
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/claim", form()), "done=claim")
	outcome(as(h, volB, "POST", "/volunteer/"+id+"/claim", form()), "failed=conflict")
	rec = as(h, volA, "GET", "/volunteer", nil)
	if !contains(rec.Body.String(), "3单元502") || !contains(rec.Body.String(), `action="/volunteer/`+id+`/sign-in"`) {
		t.Fatalf("the taker sees the address and sign-in: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/sign-out", form("lat", "30.585", "lng", "114.295")), "failed=conflict")
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/sign-in", form("lat", "30.6", "lng", "114.295")), "failed=invalid")
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/sign-in", form("lat", "30.585", "lng", "114.295")), "done=sign_in")
	outcome(as(h, volA, "POST", "/volunteer/"+id+"/sign-out", form("lat", "30.585", "lng", "114.295")), "done=sign_out")
	outcome(as(h, volA, "POST", "/help/"+id+"/confirm", form("rating", "5")), "failed=forbidden")
	if rec = as(h, staff, "GET", "/volunteer", nil); !contains(rec.Body.String(), `action="/volunteer/`+id+`/confirm"`) {
		t.Fatalf("staff may confirm for the resident: %s", rec.Body)
	}
	if rec = as(h, volA, "GET", "/volunteer", nil); contains(rec.Body.String(), `/confirm"`) {
		t.Fatalf("the volunteer is offered to confirm their own service: %s", rec.Body)
	}
	rec = as(h, resident, "GET", "/help", nil)
	if !contains(rec.Body.String(), `action="/help/`+id+`/confirm"`) {
		t.Fatalf("the resident is asked to confirm: %s", rec.Body)
	}
	if !contains(rec.Body.String(), `name="pay" value="1"`) || !contains(rec.Body.String(), "用我的时间银行余额支付 15 分钟") {
		t.Fatalf("the resident may pay with the time bank: %s", rec.Body)
	}
	// An empty balance cannot pay: refused at the floor, nothing confirmed.
	outcome(as(h, resident, "POST", "/help/"+id+"/confirm", form("rating", "5", "pay", "1")), "failed=conflict")
	outcome(as(h, resident, "POST", "/help/"+id+"/confirm", form("rating", "5", "comment", "谢谢")), "done=confirm")
	// The record's fields of order No. 67: the organisation, the volunteer
	// number, the masked ID number (not to the resident).
	for _, c := range []struct {
		who civicgrid.Actor
		id  bool
	}{{volA, true}, {staff, true}, {resident, false}} {
		body := as(h, c.who, "GET", "/volunteer/requests/"+id, nil).Body.String()
		if !contains(body, "<dt>记录单位</dt><dd>三阳社区</dd>") || !contains(body, `data-testid="record-number">420102001001-000001`) ||
			contains(body, "1101**********002X") != c.id || contains(body, "11010519491231002X") {
			t.Fatalf("the record's fields as %s: %s", c.who.Name, body)
		}
	}
	// The certificate carries them as issued; the public check does not.
	month := time.Now().In(civicgrid.Beijing).Format("2006-01")
	certs, err := ui.cfg.Volunteer.(*volunteering.Service).Certify(ctx, volA, month, month)
	if err != nil {
		t.Fatal(err)
	}
	if body := as(h, volA, "GET", fmt.Sprintf("/volunteer/certificates/%d", certs[0].ID), nil).Body.String(); !contains(body,
		"志愿者编号：420102001001-000001 · 身份证号：1101**********002X") {
		t.Fatalf("the certificate's page: %s", body)
	}
	if rec := as(h, volA, "GET", fmt.Sprintf("/volunteer/certificates/%d/pdf", certs[0].ID), nil); rec.Code != http.StatusOK {
		t.Fatalf("the certificate's PDF: %d", rec.Code)
	}
	if body := as(h, civicgrid.Actor{}, "GET", "/verify/certificate/"+certs[0].Code, nil).Body.String(); !contains(body, `data-testid="verified"`) ||
		contains(body, "420102001001-000001") || contains(body, "002X") {
		t.Fatalf("the public check: %s", body)
	}
	rec = as(h, volA, "GET", "/volunteer", nil)
	if !contains(rec.Body.String(), "已确认 0.25 小时") {
		t.Fatalf("hours: %s", rec.Body)
	}
	// The star level and the time bank: the confirmed service is this
	// month's credit.
	for _, want := range []string{"☆☆☆☆☆", "星级：0 星", "满 100 小时升下一星", "时间银行余额：15 分钟", `data-testid="statement"`, "志愿服务 <strong>+15</strong>"} {
		if !contains(rec.Body.String(), want) {
			t.Fatalf("my hours without %q: %s", want, rec.Body)
		}
	}
	// A donation to a family member (the resident, by phone): the floor
	// holds, oneself is refused, both statements show it.
	if !contains(rec.Body.String(), `action="/volunteer/timebank/donate"`) {
		t.Fatalf("no donation form with a balance: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", "/volunteer/timebank/donate", form("phone", resident.Phone, "minutes", "16", "reason", "给母亲")), "failed=conflict")
	outcome(as(h, volA, "POST", "/volunteer/timebank/donate", form("phone", volA.Phone, "minutes", "5", "reason", "给自己")), "failed=invalid")
	outcome(as(h, volA, "POST", "/volunteer/timebank/donate", form("phone", resident.Phone, "minutes", "10", "reason", "给母亲买药")), "done=donated")
	if body := as(h, resident, "GET", "/help", nil).Body.String(); !contains(body, `data-testid="help-time-bank"`) ||
		!contains(body, "时间银行余额：10 分钟") || !contains(body, "家庭成员间赠与 <strong>+10</strong>") || !contains(body, "给母亲买药") {
		t.Fatalf("the resident's time bank on /help: %s", body)
	}
	if body := as(h, volA, "GET", "/volunteer", nil).Body.String(); !contains(body, "家庭成员间赠与 <strong>-10</strong>") || !contains(body, "时间银行余额：5 分钟") {
		t.Fatalf("the donor's statement: %s", body)
	}
	// Staff's time-bank accounts: the balances (masked), a member's
	// statement, a grant with a reason; a take-back past the floor and a
	// grant without a reason are refused; volunteers may not look.
	if body := as(h, staff, "GET", "/volunteer", nil).Body.String(); !contains(body, `href="/volunteer/timebank"`) {
		t.Fatalf("no link to the time-bank accounts for staff: %s", body)
	}
	body := as(h, staff, "GET", "/volunteer/timebank", nil).Body.String()
	for _, want := range []string{`data-testid="tb-accounts"`, "社区发放账户：-15 分钟", fmt.Sprintf(`<tr data-member="%d"><td>%s</td><td class="num">10</td>`, resident.UserID, civicgrid.MaskName(resident.Name)),
		fmt.Sprintf(`<tr data-member="%d"><td>%s</td><td class="num">5</td>`, volA.UserID, civicgrid.MaskName(volA.Name))} {
		if !contains(body, want) {
			t.Fatalf("staff's accounts without %q: %s", want, body)
		}
	}
	if contains(body, resident.Name) {
		t.Fatalf("a full name on the accounts page: %s", body)
	}
	member := fmt.Sprintf("/volunteer/timebank?community=420102001001&member=%d", resident.UserID)
	if body := as(h, staff, "GET", member, nil).Body.String(); !contains(body, "家庭成员间赠与 <strong>+10</strong>") || !contains(body, `data-testid="tb-adjust"`) {
		t.Fatalf("the member's statement for staff: %s", body)
	}
	adjust := func(kv ...string) string {
		rec := as(h, staff, "POST", "/volunteer/timebank/adjust", form(append([]string{"user_id", fmt.Sprint(resident.UserID), "community_code", "420102001001"}, kv...)...))
		return rec.Header().Get("Location")
	}
	if loc := adjust("direction", "take", "minutes", "11", "reason", "多发了"); !contains(loc, "failed=conflict") {
		t.Fatalf("a take-back past the floor: %s", loc)
	}
	if loc := adjust("direction", "grant", "minutes", "20", "reason", " "); !contains(loc, "failed=invalid") {
		t.Fatalf("a grant without a reason: %s", loc)
	}
	if loc := adjust("direction", "grant", "minutes", "20", "reason", "重阳节慰问"); !contains(loc, "done=adjusted") || !contains(loc, fmt.Sprintf("member=%d", resident.UserID)) {
		t.Fatalf("a grant: %s", loc)
	}
	if body := as(h, staff, "GET", member, nil).Body.String(); !contains(body, "时间银行余额：30 分钟") || !contains(body, "重阳节慰问") {
		t.Fatalf("after the grant: %s", body)
	}
	if rec := as(h, volA, "GET", "/volunteer/timebank", nil); rec.Code != http.StatusForbidden {
		t.Fatalf("a volunteer opens the time-bank accounts: %d", rec.Code)
	}
	// The dashboard's volunteer cards for staff (the rollups of the
	// request just served); none for a volunteer.
	today := time.Now().In(civicgrid.Beijing)
	dash := ui.newPage(httptest.NewRecorder(), httptest.NewRequest("GET", "/dashboard", nil))
	cards := ui.volunteerCards(ctx, dash, staff, "420102001001", today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
	got := fmt.Sprint(cards)
	for _, want := range []string{"{求助需求 1", "{按时答复率 100.0% 1 / 1", "{完成服务 1", "{服务时长（小时） 0.25 ", "{服务满意率 100.0% 1 / 1", "平均 5.0 星", "{活跃志愿者 1"} {
		if !strings.Contains(got, want) {
			t.Fatalf("volunteer cards without %q: %s", want, got)
		}
	}
	if ui.volunteerCards(ctx, dash, volA, "420102001001", today.AddDate(0, 0, -1), today) != nil {
		t.Fatal("a volunteer is shown the community's indicators")
	}
	// Teams: staff form one with A as captain; B asks to join; A accepts.
	rec = as(h, staff, "GET", "/volunteer", nil)
	if !contains(rec.Body.String(), `data-testid="team-form"`) || !contains(rec.Body.String(), fmt.Sprintf(`<option value="%d">`, volA.UserID)) {
		t.Fatalf("staff's team form with approved captains: %s", rec.Body)
	}
	outcome(as(h, staff, "POST", "/volunteer/teams", form("kind", "lecture", "name", " ", "community_code", "420102001001", "captain_id", fmt.Sprint(volA.UserID))), "failed=invalid")
	outcome(as(h, volB, "POST", "/volunteer/teams", form("kind", "lecture", "name", "宣讲团", "community_code", "420102001001", "captain_id", fmt.Sprint(volA.UserID))), "failed=forbidden")
	outcome(as(h, staff, "POST", "/volunteer/teams", form("kind", "lecture", "name", "三阳宣讲团", "community_code", "420102001001", "captain_id", fmt.Sprint(volA.UserID))), "done=team_formed")
	rec = as(h, volB, "GET", "/volunteer", nil)
	m = regexp.MustCompile(`action="/volunteer/teams/(\d+)/join"`).FindStringSubmatch(rec.Body.String())
	if m == nil || !contains(rec.Body.String(), "三阳宣讲团") || !contains(rec.Body.String(), "宣讲团</span>") {
		t.Fatalf("B is offered to join: %s", rec.Body)
	}
	outcome(as(h, volB, "POST", "/volunteer/teams/"+m[1]+"/join", form()), "done=team_join")
	outcome(as(h, volB, "POST", "/volunteer/teams/"+m[1]+"/join", form()), "failed=conflict")
	outcome(as(h, volB, "POST", "/volunteer/teams/"+m[1]+"/accept", form("user_id", fmt.Sprint(volB.UserID))), "failed=forbidden")
	if rec = as(h, volA, "GET", "/volunteer", nil); !contains(rec.Body.String(), `name="user_id" value="`+fmt.Sprint(volB.UserID)+`"`) {
		t.Fatalf("the captain sees B's request: %s", rec.Body)
	}
	outcome(as(h, volA, "POST", "/volunteer/teams/"+m[1]+"/accept", form("user_id", fmt.Sprint(volB.UserID))), "done=team_accept")
	if rec = as(h, volB, "GET", "/volunteer", nil); !contains(rec.Body.String(), "我是队员") || !contains(rec.Body.String(), "2 名队员") ||
		!contains(rec.Body.String(), `action="/volunteer/teams/`+m[1]+`/leave"`) {
		t.Fatalf("B is a member: %s", rec.Body)
	}
	if rec = as(h, volA, "GET", "/volunteer", nil); contains(rec.Body.String(), `action="/volunteer/teams/`+m[1]+`/leave"`) {
		t.Fatalf("the captain is offered to leave: %s", rec.Body)
	}
	outcome(as(h, volB, "POST", "/volunteer/teams/"+m[1]+"/leave", form()), "done=team_leave")
	if rec = as(h, volB, "GET", "/volunteer", nil); contains(rec.Body.String(), "我是队员") || !contains(rec.Body.String(), "1 名队员") {
		t.Fatalf("B left: %s", rec.Body)
	}
	// Service points show on the map page of the community's people, not to visitors.
	if _, err := ui.cfg.Volunteer.(*volunteering.Service).AddServicePoint(ctx, staff, civicgrid.ServicePointInput{Community: "420102001001",
		Name: "骑手爱心驿站", Lat: 30.5852, Lng: 114.2952, Hours: "每天 8:00–22:00", Offers: "饮水、充电"}); err != nil {
		t.Fatal(err)
	}
	if rec = as(h, resident, "GET", "/", nil); !contains(rec.Body.String(), `"points":[{`) || !contains(rec.Body.String(), "骑手爱心驿站") {
		t.Fatalf("the map page's service points: %s", rec.Body)
	}
}
