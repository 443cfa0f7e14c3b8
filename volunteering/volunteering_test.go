package volunteering_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

const (
	community = "420102001001"
	grid      = "420102001001001"
	building  = "4201020010010010001" // at (114.300, 30.550)
	building2 = "4201020010010020001" // about 1 km east
	nomap     = "4201020010010030001" // no location
	away      = "4201030010010010001"
)

var here = &volunteering.Point{Lat: 30.550, Lng: 114.300}

type env struct {
	t   *testing.T
	db  *sqlstore.DB
	svc *volunteering.Service
	now time.Time
	n   int
}

func newEnv(t *testing.T) *env {
	cur = t
	e := &env{t: t, db: testdb.Open(t, t.TempDir()), now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	e.svc = e.with(volunteering.Config{ClaimLimit: 2})
	return e
}

// with returns a service over the env's store and areas with cfg (its
// clock the env's).
func (e *env) with(cfg volunteering.Config) *volunteering.Service {
	cfg.Now = func() time.Time { return e.now }
	return volunteering.New(cfg, e.db, testdb.Areas{
		building: orb.Point{114.300, 30.550}, building2: orb.Polygon{{{114.310, 30.550}, {114.3105, 30.550}, {114.3105, 30.5505}, {114.310, 30.550}}},
		nomap: nil, away: orb.Point{114.200, 30.500}, community: nil,
	})
}

func (e *env) person(role, area string) civicgrid.Actor {
	e.t.Helper()
	e.n++
	a := testdb.Person(e.t, e.db, e.n, role, area)
	if role == civicgrid.RoleVolunteer {
		testdb.ApproveVolunteer(e.t, e.db, a, area)
	}
	return a
}

// cur is the running test, for must (the tests do not run in parallel).
var cur *testing.T

func must[T any](v T, err error) T {
	if err != nil {
		cur.Helper()
		cur.Fatal(err)
	}
	return v
}

func wantErr(t *testing.T, err error, code, text string) {
	t.Helper()
	if civicgrid.ErrorCode(err) != code || !strings.Contains(civicgrid.ErrorMessage(err), text) {
		t.Fatalf("want %s %q, got %v", code, text, err)
	}
}

// The whole loop: a resident asks, staff verify, a volunteer finds it
// nearest first, claims, signs in and out at the place, the resident
// confirms and the hours count; the address is seen only by those who may.
func TestHelpLoop(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	other := e.person(civicgrid.RoleVolunteer, community)

	far := must(e.svc.Ask(ctx, e.person(civicgrid.RoleResident, building2), civicgrid.HelpInput{Service: "meals", BuildingCode: building2}))
	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building, Address: "3单元502", Contact: "13912345678", Note: "买菜"}))
	if r.Status != civicgrid.HelpPosted || r.Poster != "李*" {
		t.Fatalf("posted: %+v", r)
	}
	if got := must(e.svc.Open(ctx, vol, here)); len(got) != 0 {
		t.Fatalf("unverified requests are open: %+v", got)
	}
	if _, err := e.svc.Request(ctx, vol, r.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a volunteer reads an unverified request: %v", err)
	}
	pending := must(e.svc.Pending(ctx, staff))
	if len(pending) != 2 || pending[1].Address != "3单元502" || !pending[1].CanVerify {
		t.Fatalf("staff's verify list: %+v", pending)
	}
	_, err := e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionDecline, " ")
	wantErr(t, err, civicgrid.EINVALID, "needs a reason")
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Verify(ctx, staff, far.ID, volunteering.DecisionAccept, ""))
	_, err = e.svc.Verify(ctx, vol, far.ID, volunteering.DecisionAccept, "")
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.verify")

	open := must(e.svc.Open(ctx, vol, here))
	if len(open) != 2 || open[0].ID != r.ID || open[0].DistanceM != 0 || open[1].DistanceM < 900 || open[1].DistanceM > 1100 {
		t.Fatalf("open requests nearest first: %+v", open)
	}
	if open[0].Address != "" || open[0].Contact != "139****5678" || !open[0].CanClaim {
		t.Fatalf("the address before claiming: %+v", open[0])
	}
	v := must(e.svc.Claim(ctx, vol, r.ID))
	if v.Address != "3单元502" || !v.CanServe || v.Volunteer != "李*" {
		t.Fatalf("claimed: %+v", v)
	}
	_, err = e.svc.Claim(ctx, other, r.ID)
	wantErr(t, err, civicgrid.ECONFLICT, "is taken")
	if _, err := e.svc.Request(ctx, other, r.ID); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("another volunteer reads a taken request: %v", err)
	}

	_, err = e.svc.SignOut(ctx, vol, r.ID, here)
	wantErr(t, err, civicgrid.ECONFLICT, "sign in at the place before signing out")
	_, err = e.svc.SignIn(ctx, vol, r.ID, &volunteering.Point{Lat: 30.560, Lng: 114.300})
	wantErr(t, err, civicgrid.EINVALID, "the limit is 300 m")
	_, err = e.svc.SignIn(ctx, vol, r.ID, nil)
	wantErr(t, err, civicgrid.EINVALID, "needs where you are")
	must(e.svc.SignIn(ctx, vol, r.ID, here))
	_, err = e.svc.SignIn(ctx, vol, r.ID, here)
	wantErr(t, err, civicgrid.ECONFLICT, "sign-in is taken once")
	_, err = e.svc.Confirm(ctx, resident, r.ID, 5, "")
	wantErr(t, err, civicgrid.ECONFLICT, "possible only when it is done")
	e.now = e.now.Add(52 * time.Minute)
	v = must(e.svc.SignOut(ctx, vol, r.ID, here))
	if v.Status != civicgrid.HelpDone || v.Minutes != 45 {
		t.Fatalf("signed out after 52 minutes: %+v", v)
	}
	if h := must(e.svc.Hours(ctx, vol)); h.PendingMinutes != 45 || h.ConfirmedMinutes != 0 {
		t.Fatalf("hours before confirmation: %+v", h)
	}
	_, err = e.svc.Confirm(ctx, vol, r.ID, 5, "")
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.confirm")
	_, err = e.svc.Confirm(ctx, e.person(civicgrid.RoleResident, building), r.ID, 5, "")
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer request") // a neighbour confirms nothing
	_, err = e.svc.Confirm(ctx, resident, r.ID, 6, "")
	wantErr(t, err, civicgrid.EINVALID, "rating must be 1 to 5")
	v = must(e.svc.Confirm(ctx, resident, r.ID, 5, "很及时"))
	if v.Status != civicgrid.HelpConfirmed || v.Rating != 5 {
		t.Fatalf("confirmed: %+v", v)
	}
	if h := must(e.svc.Hours(ctx, vol)); h.ConfirmedMinutes != 45 || h.ConfirmedHours != 0.75 || h.BalanceMinutes != 45 || h.Stars != 0 || h.NextStarHours != 100 {
		t.Fatalf("hours: %+v", h)
	}
	// The confirmation paid the volunteer from the community's issuing account.
	if st := must(e.svc.Statement(ctx, vol, "2026-12")); st.Opening != 0 || st.Closing != 45 || len(st.Entries) != 1 ||
		st.Entries[0].Kind != civicgrid.LedgerService || st.Entries[0].RequestID != r.ID {
		t.Fatalf("statement: %+v", st)
	}
	if b := must(e.db.Balance(ctx, civicgrid.IssuerAccount(community))); b != -45 {
		t.Fatalf("issuer balance %d", b)
	}
	_, err = e.svc.Hours(ctx, resident)
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.hours")
	full := must(e.svc.Request(ctx, resident, r.ID))
	var actions []string
	for _, ev := range full.History {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, " ") != "request.posted request.accepted request.claimed request.signed_in request.signed_out request.confirmed" {
		t.Fatalf("history: %v", actions)
	}
	if err := civicgrid.VerifyVolunteerChain(full.History); err != nil {
		t.Fatal(err)
	}
}

func TestAskOnBehalfAndScope(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	gw := e.person(civicgrid.RoleGridWorker, grid)
	_, err := e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "clinic", BuildingCode: building, Beneficiary: "张奶奶"})
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.ask_for")
	_, err = e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "clinic", BuildingCode: building2})
	wantErr(t, err, civicgrid.EFORBIDDEN, "outside your scope")
	r := must(e.svc.Ask(ctx, gw, civicgrid.HelpInput{Service: "clinic", BuildingCode: building, Beneficiary: "张奶奶", Contact: "13911112222", Urgency: "urgent"}))
	if !r.OnBehalf || r.Beneficiary != "张奶奶" {
		t.Fatalf("on behalf: %+v", r)
	}
	_, err = e.svc.Ask(ctx, e.person(civicgrid.RoleCommunityStaff, community), civicgrid.HelpInput{Service: "clinic", BuildingCode: "4201020010010090001"})
	wantErr(t, err, civicgrid.EINVALID, "no building")
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	awayVol := e.person(civicgrid.RoleVolunteer, "420103001001")
	if got := must(e.svc.Open(ctx, awayVol, nil)); len(got) != 0 {
		t.Fatalf("another district's volunteer sees: %+v", got)
	}
	_, err = e.svc.Claim(ctx, awayVol, r.ID)
	wantErr(t, err, civicgrid.ENOTFOUND, "no volunteer request")
	open := must(e.svc.Open(ctx, e.person(civicgrid.RoleVolunteer, community), nil))
	if len(open) != 1 || open[0].Beneficiary != "张**" || open[0].DistanceM != -1 {
		t.Fatalf("open, masked, distance unknown: %+v", open)
	}
}

func TestReleaseLimitCancel(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	var ids []int64
	for range 3 {
		r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "company", BuildingCode: building}))
		must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
		ids = append(ids, r.ID)
	}
	must(e.svc.Claim(ctx, vol, ids[0]))
	must(e.svc.Claim(ctx, vol, ids[1]))
	_, err := e.svc.Claim(ctx, vol, ids[2])
	wantErr(t, err, civicgrid.ECONFLICT, "open claims")
	_, err = e.svc.Release(ctx, vol, ids[0], "")
	wantErr(t, err, civicgrid.EINVALID, "needs a reason")
	v := must(e.svc.Release(ctx, vol, ids[0], "家里有急事"))
	if v.Status != civicgrid.HelpAccepted || v.Reason != "家里有急事" {
		t.Fatalf("released: %+v", v)
	}
	must(e.svc.Claim(ctx, vol, ids[2]))
	must(e.svc.Cancel(ctx, resident, ids[0], "已解决"))
	_, err = e.svc.Claim(ctx, e.person(civicgrid.RoleVolunteer, community), ids[0])
	wantErr(t, err, civicgrid.ECONFLICT, "was cancelled")
	_, err = e.svc.Claim(ctx, resident, ids[1])
	if civicgrid.ErrorCode(err) == "" {
		t.Fatal("a resident claimed")
	}
	nm := must(e.svc.Ask(ctx, e.person(civicgrid.RoleResident, nomap), civicgrid.HelpInput{Service: "repair", BuildingCode: nomap}))
	must(e.svc.Verify(ctx, staff, nm.ID, volunteering.DecisionAccept, ""))
	vol2 := e.person(civicgrid.RoleVolunteer, community)
	must(e.svc.Claim(ctx, vol2, nm.ID))
	_, err = e.svc.SignIn(ctx, vol2, nm.ID, here)
	wantErr(t, err, civicgrid.ECONFLICT, "no location on the map")
}

// Staff confirm for someone without a phone: the request asked on their
// behalf is on staff's list once served, and staff's confirmation counts.
func TestStaffConfirmOnBehalf(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	gw := e.person(civicgrid.RoleGridWorker, grid)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	r := must(e.svc.Ask(ctx, gw, civicgrid.HelpInput{Service: "meals", BuildingCode: building, Beneficiary: "张奶奶"}))
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Claim(ctx, vol, r.ID))
	must(e.svc.SignIn(ctx, vol, r.ID, here))
	e.now = e.now.Add(31 * time.Minute)
	must(e.svc.SignOut(ctx, vol, r.ID, here))
	if got := must(e.svc.Done(ctx, vol)); len(got) != 0 {
		t.Fatalf("the volunteer's list to confirm: %+v", got)
	}
	done := must(e.svc.Done(ctx, staff))
	if len(done) != 1 || done[0].ID != r.ID || !done[0].CanConfirm || done[0].Beneficiary != "张奶奶" {
		t.Fatalf("staff's list to confirm: %+v", done)
	}
	must(e.svc.Confirm(ctx, staff, r.ID, 4, "老人说很好"))
	if h := must(e.svc.Hours(ctx, vol)); h.ConfirmedMinutes != 30 {
		t.Fatalf("hours confirmed by staff: %+v", h)
	}
}

// Staff grant and take back minutes with a reason; a take-back beyond the
// floor, or one without a reason, is refused naming the rule and writes
// nothing; statements are per month.
func TestTimeBankAdjustAndStatement(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	grant := func(actor civicgrid.Actor, m int, reason string) error {
		_, err := e.svc.Adjust(ctx, actor, volunteering.Adjustment{UserID: vol.UserID, Community: community, Minutes: m, Reason: reason})
		return err
	}
	wantErr(t, grant(staff, 60, " "), civicgrid.EINVALID, "not valid")
	err := grant(staff, 60, "")
	var ce *civicgrid.Error
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0].Detail, "needs a reason") {
		t.Fatalf("a grant without a reason: %v", err)
	}
	wantErr(t, grant(vol, 60, "自己给自己"), civicgrid.EFORBIDDEN, "volunteer.adjust")
	_, err = e.svc.Adjust(ctx, e.person(civicgrid.RoleCommunityStaff, "420102001002"),
		volunteering.Adjustment{UserID: vol.UserID, Community: community, Minutes: 60, Reason: "别的社区"})
	wantErr(t, err, civicgrid.EFORBIDDEN, "volunteer.adjust")
	if c := must(e.db.CheckTimeBank(ctx)); c.Entries != 0 {
		t.Fatalf("refused adjustments wrote entries: %+v", c)
	}
	if err := grant(staff, 120, "敬老节奖励"); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.AddDate(0, 1, 0) // January
	wantErr(t, grant(staff, -121, "记错了"), civicgrid.ECONFLICT, "below the floor of 0 minutes")
	if err := grant(staff, -20, "记错了"); err != nil {
		t.Fatal(err)
	}
	dec := must(e.svc.Statement(ctx, vol, "2026-12"))
	if dec.Opening != 0 || dec.Closing != 120 || len(dec.Entries) != 1 || dec.Entries[0].Reason != "敬老节奖励" || dec.Entries[0].Actor == "" {
		t.Fatalf("December: %+v", dec)
	}
	jan := must(e.svc.Statement(ctx, vol, ""))
	if jan.Month != "2027-01" || jan.Opening != 120 || jan.Closing != 100 || len(jan.Entries) != 1 || jan.Entries[0].Minutes != -20 {
		t.Fatalf("January: %+v", jan)
	}
	_, err = e.svc.Statement(ctx, vol, "2027-13")
	wantErr(t, err, civicgrid.EINVALID, "YYYY-MM")
	if c := must(e.db.CheckTimeBank(ctx)); c.Entries != 4 || c.Sum != 0 || len(c.Mismatched)+len(c.Unbalanced) != 0 {
		t.Fatalf("ledger: %+v", c)
	}
}

func TestStarLevels(t *testing.T) {
	for _, c := range []struct{ minutes, stars, next int }{
		{0, 0, 100}, {100*60 - 1, 0, 100}, {100 * 60, 1, 300}, {599 * 60, 2, 600}, {1000 * 60, 4, 1500}, {1500 * 60, 5, 0}, {9999 * 60, 5, 0},
	} {
		if s, n := civicgrid.StarLevel(c.minutes, civicgrid.StarThresholdsHours); s != c.stars || n != c.next {
			t.Errorf("%d minutes: %d stars, next %d; want %d, %d", c.minutes, s, n, c.stars, c.next)
		}
	}
	if s, n := civicgrid.StarLevel(130*60, []int{50, 120, 200}); s != 2 || n != 200 {
		t.Errorf("thresholds as data: %d %d", s, n)
	}
}

// The person helped pays a confirmed service from their balance, in the
// confirmation's transaction: beyond the floor neither is written.
func TestTimeBankSpendOnConfirmation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	resident := e.person(civicgrid.RoleResident, building)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	r := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Claim(ctx, vol, r.ID))
	must(e.svc.SignIn(ctx, vol, r.ID, here))
	e.now = e.now.Add(45 * time.Minute)
	must(e.svc.SignOut(ctx, vol, r.ID, here))
	_, err := e.svc.ConfirmPaying(ctx, resident, r.ID, 5, "", true)
	wantErr(t, err, civicgrid.ECONFLICT, "time bank floor: "+civicgrid.MemberAccount(resident.UserID)+" holds 0 minutes; taking 45")
	if got := must(e.svc.Request(ctx, resident, r.ID)); got.Status != civicgrid.HelpDone || len(got.History) != 5 {
		t.Fatalf("a refused paid confirmation was written: %s, %d events", got.Status, len(got.History))
	}
	if c := must(e.db.CheckTimeBank(ctx)); c.Entries != 0 {
		t.Fatalf("entries after a refusal: %+v", c)
	}
	_, err = e.svc.ConfirmPaying(ctx, staff, r.ID, 5, "", true)
	wantErr(t, err, civicgrid.EINVALID, "only the person helped pays")
	must(e.svc.Adjust(ctx, staff, volunteering.Adjustment{UserID: resident.UserID, Community: community, Minutes: 60, Reason: "新用户赠送"}))
	must(e.svc.ConfirmPaying(ctx, resident, r.ID, 5, "", true))
	for acc, want := range map[string]int{civicgrid.MemberAccount(resident.UserID): 15, civicgrid.MemberAccount(vol.UserID): 45, civicgrid.IssuerAccount(building): -60} {
		if b := must(e.db.Balance(ctx, acc)); b != want {
			t.Errorf("%s: %d, want %d", acc, b, want)
		}
	}
	if c := must(e.db.CheckTimeBank(ctx)); c.Entries != 6 || c.Sum != 0 || len(c.Mismatched)+len(c.Unbalanced) != 0 {
		t.Fatalf("ledger %+v", c)
	}
}

// A command centre counts the area's requests still waiting for help:
// posted, accepted and claimed ones, not declined, confirmed or other
// areas'; only staff of the area may.
func TestOpenInArea(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	resident := e.person(civicgrid.RoleResident, building)
	a := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building}))
	b := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building}))
	must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building}))
	must(e.svc.Ask(ctx, e.person(civicgrid.RoleResident, away), civicgrid.HelpInput{Service: "meals", BuildingCode: away}))
	must(e.svc.Verify(ctx, staff, a.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Verify(ctx, staff, b.ID, volunteering.DecisionDecline, "重复"))
	if n := must(e.svc.OpenInArea(ctx, staff, community)); n != 2 {
		t.Errorf("open in the community: %d, want 2 (one accepted, one posted)", n)
	}
	if _, err := e.svc.OpenInArea(ctx, staff, away[:12]); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("another area's count: %v", err)
	}
	if _, err := e.svc.OpenInArea(ctx, resident, community); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Errorf("a resident counted: %v", err)
	}
}

// OpenedAfter walks the log for other modules (the group robots): only
// requests the community opened to volunteers, once each by the cursor,
// with service, building and urgency — no one's name, address or phone.
func TestOpenedAfter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	resident := e.person(civicgrid.RoleResident, building)
	a := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "shopping", BuildingCode: building, Address: "3单元502", Contact: "13800001111"}))
	b := must(e.svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: building}))
	must(e.svc.Verify(ctx, staff, a.ID, volunteering.DecisionAccept, ""))
	must(e.svc.Verify(ctx, staff, b.ID, volunteering.DecisionDecline, "重复"))
	opened, cursor, err := e.svc.OpenedAfter(ctx, 0, 100)
	if err != nil || len(opened) != 1 || opened[0].RequestID != a.ID || opened[0].Service != "shopping" || opened[0].BuildingCode != building || cursor == 0 {
		t.Fatalf("opened %+v cursor %d %v", opened, cursor, err)
	}
	if again, to, err := e.svc.OpenedAfter(ctx, cursor, 100); err != nil || len(again) != 0 || to != cursor {
		t.Fatalf("after the cursor: %+v %d %v", again, to, err)
	}
}
