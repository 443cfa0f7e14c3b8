package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

func TestCreateUserIsAllOrNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	grant := civicgrid.RoleGrant{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}
	if _, err := db.CreateUser(ctx, civicgrid.User{Name: "张三", Phone: "13800000001"}, "h", []civicgrid.RoleGrant{grant},
		civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated}); err != nil {
		t.Fatal(err)
	}
	// The same phone again, and a user whose second grant repeats the first:
	// no user, no grant, no event is left behind.
	_, err1 := db.CreateUser(ctx, civicgrid.User{Name: "李四", Phone: "13800000001"}, "h", nil, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	_, err2 := db.CreateUser(ctx, civicgrid.User{Name: "王五", Phone: "13800000002"}, "h", []civicgrid.RoleGrant{grant, grant},
		civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if civicgrid.ErrorCode(err1) != civicgrid.ECONFLICT || civicgrid.ErrorCode(err2) != civicgrid.ECONFLICT {
		t.Fatalf("errors %v, %v; want conflicts", err1, err2)
	}
	users, _ := db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{"420100"}, Limit: 10})
	evs, _ := db.ListSecurityEvents(ctx, civicgrid.EventFilter{Within: []string{"420100"}, Limit: 10})
	var n int
	db.read.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n)
	if n != 1 || len(users) != 1 || len(evs) != 0 && len(evs) != 1 {
		t.Errorf("after refused creations: %d users (%d listed), %d events", n, len(users), len(evs))
	}
}

func TestListUsersIsScoped(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i, area := range []string{"420102001001001", "420102001002001", "420103001001001"} {
		if _, err := db.CreateUser(ctx, civicgrid.User{Name: "人", Phone: "1380000000" + string(rune('1'+i))}, "",
			[]civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: area}}, civicgrid.SecurityEvent{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		within string
		want   int
	}{{"420102001001", 1}, {"420102001", 2}, {"420102", 2}, {"420103", 1}, {"420100", 3}} {
		us, err := db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{tt.within}, Limit: 10})
		if err != nil || len(us) != tt.want {
			t.Errorf("within %s: %d users (%v), want %d", tt.within, len(us), err, tt.want)
		}
	}
	if us, _ := db.ListUsers(ctx, civicgrid.UserFilter{Limit: 10}); len(us) != 0 {
		t.Errorf("no scope listed %d users", len(us))
	}
}

func TestSessionsAreHashedAndExpire(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	u, err := db.CreateUser(ctx, civicgrid.User{Name: "张三", Phone: "13800000001"}, "", nil, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password", ExpiresAt: now.Add(12 * time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	db.read.QueryRow(`SELECT secret_hash FROM sessions`).Scan(&stored)
	if stored == "" || strings.Contains(stored, secret) || stored == secret {
		t.Fatalf("the session secret is stored as is: %q", stored)
	}
	if _, err := db.SessionBySecret(ctx, secret, 2*time.Hour); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	now = now.Add(90 * time.Minute) // used within the idle time: still alive
	if _, err := db.SessionBySecret(ctx, secret, 2*time.Hour); err != nil {
		t.Fatalf("active session: %v", err)
	}
	now = now.Add(2*time.Hour + time.Minute) // idle too long
	if _, err := db.SessionBySecret(ctx, secret, 2*time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("idle session: %v", err)
	}
	// Absolute expiry, however busy the session is.
	secret, _, _ = db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password", ExpiresAt: now.Add(time.Hour)}, civicgrid.SecurityEvent{})
	now = now.Add(61 * time.Minute)
	if _, err := db.SessionBySecret(ctx, secret, 24*time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("expired session: %v", err)
	}
	// The purge removes dead sessions and blanks old addresses.
	db.AppendSecurityEvent(ctx, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginOK, IP: "203.0.113.9"})
	now = now.Add(24 * time.Hour)
	res, err := db.PurgePersonalData(ctx, now.Add(-time.Hour))
	if err != nil || res.Sessions != 2 || res.EventIPs != 1 {
		t.Errorf("purge: %+v %v", res, err)
	}
}

func TestOneTimeCodes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	const phone = "13800000001"
	if err := db.CreateOneTimeCode(ctx, phone, "signup", "123456", 10*time.Minute, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOneTimeCode(ctx, phone, "signup", "654321", 10*time.Minute, time.Minute); civicgrid.ErrorCode(err) != civicgrid.ETHROTTLED {
		t.Fatalf("second code within a minute: %v", err)
	}
	var stored string
	db.read.QueryRow(`SELECT code_hash FROM one_time_codes`).Scan(&stored)
	if strings.Contains(stored, "123456") {
		t.Fatal("the code is stored as is")
	}
	if err := db.ConsumeOneTimeCode(ctx, phone, "reset", "123456", 5); err == nil {
		t.Fatal("a signup code was accepted for a reset")
	}
	for range 5 {
		if err := db.ConsumeOneTimeCode(ctx, phone, "signup", "000000", 5); err == nil {
			t.Fatal("a wrong code was accepted")
		}
	}
	if err := db.ConsumeOneTimeCode(ctx, phone, "signup", "123456", 5); err == nil {
		t.Fatal("the right code still works after five wrong guesses")
	}
	now = now.Add(2 * time.Minute)
	if err := db.CreateOneTimeCode(ctx, phone, "signup", "222222", 10*time.Minute, time.Minute); err != nil {
		t.Fatal(err)
	}
	now = now.Add(11 * time.Minute)
	if err := db.ConsumeOneTimeCode(ctx, phone, "signup", "222222", 5); err == nil {
		t.Fatal("an expired code was accepted")
	}
	now = now.Add(time.Minute)
	db.CreateOneTimeCode(ctx, phone, "signup", "333333", 10*time.Minute, time.Minute)
	if err := db.ConsumeOneTimeCode(ctx, phone, "signup", "333333", 5); err != nil {
		t.Fatalf("a fresh code: %v", err)
	}
	if err := db.ConsumeOneTimeCode(ctx, phone, "signup", "333333", 5); err == nil {
		t.Fatal("a code was used twice")
	}
}

func TestPurgeErasesReportersOfOldFinishedCases(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	mk := func(status civicgrid.CaseStatus, at time.Time) int64 {
		c := civicgrid.Case{Category: "C0005", Status: status, Channel: civicgrid.ChannelHotline, Lat: 30.6, Lng: 114.3, GridCode: "420102001001001",
			ReporterName: "王晓明", ReporterPhone: "13812345678", Address: "三阳路 1 号", CreatedAt: at, UpdatedAt: at}
		stored, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: at, Actor: "t", Action: civicgrid.CaseReport, To: status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return stored.ID
	}
	oldClosed := mk(civicgrid.StatusClosed, now.Add(-200*24*time.Hour))
	oldOpen := mk(civicgrid.StatusInProgress, now.Add(-200*24*time.Hour))
	newClosed := mk(civicgrid.StatusClosed, now.Add(-24*time.Hour))
	res, err := db.PurgePersonalData(ctx, now.Add(-180*24*time.Hour))
	if err != nil || res.Cases != 1 {
		t.Fatalf("purge: %+v %v", res, err)
	}
	for id, wantErased := range map[int64]bool{oldClosed: true, oldOpen: false, newClosed: false} {
		c, _ := db.CaseByID(ctx, id)
		if erased := c.ReporterName == "" && c.ReporterPhone == "" && c.Address == ""; erased != wantErased {
			t.Errorf("case %d (%s, %s): erased %v, want %v", id, c.Status, c.UpdatedAt.Format(time.DateOnly), erased, wantErased)
		}
	}
	if evs, _ := db.CaseEvents(ctx, oldClosed); len(evs) != 1 || civicgrid.VerifyChain(evs) != nil {
		t.Error("the purge touched the case history")
	}
}

// TestSessionUserMatchesTheSeparateReads: the one-query read of a session,
// its user and grants gives what the three separate reads give, and
// refuses what they refuse.
func TestSessionUserMatchesTheSeparateReads(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	grants := []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"},
		{Role: civicgrid.RoleDepartmentHandler, AreaCode: "420102", Categories: []string{"C0005", "01001"}}}
	for _, gs := range [][]civicgrid.RoleGrant{grants, nil} {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "李四", Phone: fmt.Sprintf("1380000%04d", len(gs))}, "", gs, civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password", ExpiresAt: now.Add(time.Hour)}, civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		s1, err := db.SessionBySecret(ctx, secret, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		u1, err := db.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		s2, u2, err := db.SessionUser(ctx, secret, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(u1, u2) {
			t.Errorf("%d grants:\n separate %+v %+v\n joined   %+v %+v", len(gs), s1, u1, s2, u2)
		}
		if _, _, err := db.SessionUser(ctx, secret+"x", time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
			t.Errorf("unknown secret: %v", err)
		}
	}
	now = now.Add(2 * time.Hour)
	secret, _, _ := db.CreateSession(ctx, civicgrid.Session{UserID: 1, Via: "password", ExpiresAt: now.Add(-time.Minute)}, civicgrid.SecurityEvent{})
	if _, _, err := db.SessionUser(ctx, secret, time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Errorf("expired session: %v", err)
	}
}

// Who can log in: a password or a linked OIDC identity; a worker listed by
// an area import has neither until given one.
func TestListUsersWhoCanLogIn(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	grid := []civicgrid.RoleGrant{{Role: civicgrid.RoleGridWorker, AreaCode: "420102001001001"}}
	mk := func(phone, hash string) civicgrid.User {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "人", Phone: phone}, hash, grid, civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	none := mk("13800000001", "")
	withPassword := mk("13800000002", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA")
	linked := mk("13800000003", "")
	if err := db.LinkIdentity(ctx, "https://idp.example", "subject-3", linked.ID); err != nil {
		t.Fatal(err)
	}
	us, err := db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{"420102"}, Role: civicgrid.RoleGridWorker, CanLogIn: true, Limit: 10})
	if err != nil || len(us) != 2 || us[0].ID != withPassword.ID || us[1].ID != linked.ID {
		t.Fatalf("who can log in: %v %+v", err, us)
	}
	if !us[0].CanLogIn() || !us[1].CanLogIn() || !us[1].ExternalLogin || us[1].HasPassword {
		t.Errorf("flags: %+v", us)
	}
	u, err := db.UserByID(ctx, none.ID)
	if err != nil || u.CanLogIn() {
		t.Errorf("a worker without a login: %v %+v", err, u)
	}
}

// TestPurgeReadsOnlyRowsStillToPurge: the hourly purge finds finished cases
// and security events through indexes holding only rows that still carry
// personal data. Planned on the status index, it read every finished case
// in one transaction — seconds at 10⁶ cases, with intake and logins waiting
// behind it at every start.
func TestPurgeReadsOnlyRowsStillToPurge(t *testing.T) {
	db := openTest(t)
	cutoff := time.Now().UnixMilli()
	for query, index := range map[string]string{purgeCasesQuery: "cases_unpurged", purgeEventIPsQuery: "security_events_unpurged"} {
		if plan := queryPlan(t, db, query, cutoff, purgeBatch); !strings.Contains(plan, index) {
			t.Errorf("not planned on %s:\n%s", index, plan)
		}
	}
}

// TestPurgeWorksThroughManyBatches: more rows than one transaction changes
// are all purged, and counted once.
func TestPurgeWorksThroughManyBatches(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-200 * 24 * time.Hour)
	const n = 2*purgeBatch + 7
	cases := make([]civicgrid.Case, n)
	for i := range cases {
		cases[i] = civicgrid.Case{Category: "C0005", Status: civicgrid.StatusClosed, Channel: civicgrid.ChannelHotline, Lat: 30.6, Lng: 114.3,
			GridCode: "420102001001001", ReporterName: "王晓明", ReporterPhone: "13812345678", Address: "三阳路 1 号", CreatedAt: old, UpdatedAt: old}
	}
	if err := db.Unsynced(ctx, func() error {
		for _, c := range cases {
			if _, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: old, Actor: "t", Action: civicgrid.CaseReport, To: c.Status}, nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := db.PurgePersonalData(ctx, now.Add(-180*24*time.Hour))
	if err != nil || res.Cases != n {
		t.Fatalf("purge: %+v %v, want %d cases", res, err, n)
	}
	var left int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE reporter_phone <> ''`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d cases keep a phone (%v)", left, err)
	}
	if res, err := db.PurgePersonalData(ctx, now.Add(-180*24*time.Hour)); err != nil || res.Cases != 0 {
		t.Fatalf("second purge: %+v %v", res, err)
	}
}
