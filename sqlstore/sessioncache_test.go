package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The kept session read is used again only while nothing the request is
// decided on has changed — whoever changed it: this process through the
// store's methods, another process on the same store (an instance beside
// it, a command run by an operator), or plain SQL.
func TestSessionReadIsKeptUntilItsUserChanges(t *testing.T) {
	ctx := context.Background()
	url, dir := testURL(t), t.TempDir()
	here, err := Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { here.Close() })
	if _, err := here.ApplyAreas(ctx, sampleAreas(), time.Now()); err != nil {
		t.Fatal(err)
	}
	there, err := Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { there.Close() })

	const community = "420102001001"
	u, err := here.CreateUser(ctx, civicgrid.User{Name: "王芳", Phone: "13300000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: community}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		t.Fatal(err)
	}
	login := func(db *DB) string {
		t.Helper()
		secret, _, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginOK})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	roles := func(secret string) []string {
		t.Helper()
		_, got, err := here.SessionUser(ctx, secret, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, g := range got.Grants {
			rs = append(rs, g.Role)
		}
		return rs
	}
	secret := login(here)
	if got := roles(secret); len(got) != 1 {
		t.Fatalf("grants %v, want the resident's one", got)
	}
	hits := sessionCacheHits.Load()
	if got := roles(secret); len(got) != 1 {
		t.Fatalf("grants %v on the second read", got)
	}
	if sessionCacheHits.Load() != hits+1 {
		t.Fatalf("the second read of an unchanged session did not use the kept read")
	}

	// A grant given here, then one given by the other process.
	g, err := here.AddGrant(ctx, civicgrid.RoleGrant{UserID: u.ID, Role: civicgrid.RoleVolunteer, AreaCode: community}, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted})
	if err != nil {
		t.Fatal(err)
	}
	if got := roles(secret); len(got) != 2 {
		t.Fatalf("after a grant here: %v", got)
	}
	if err := there.RevokeGrant(ctx, u.ID, g.ID, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleRevoked}); err != nil {
		t.Fatal(err)
	}
	if got := roles(secret); len(got) != 1 {
		t.Fatalf("a grant revoked by another process is still used: %v", got)
	}
	// Plain SQL: a grant removed and a password change forced behind the
	// store's methods.
	if _, err := there.write.ExecContext(ctx, `UPDATE users SET must_change_password = TRUE WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, got, err := here.SessionUser(ctx, secret, time.Hour); err != nil || !got.MustChangePassword {
		t.Fatalf("a forced password change is not seen: %+v %v", got.MustChangePassword, err)
	}
	if _, err := there.write.ExecContext(ctx, `DELETE FROM role_grants WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if got := roles(secret); len(got) != 0 {
		t.Fatalf("grants removed in SQL are still used: %v", got)
	}

	// Ending sessions: a logout elsewhere, and a password set elsewhere
	// ending every session of the user.
	other := login(here)
	roles(other)
	if err := there.DeleteSession(ctx, other, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := here.SessionUser(ctx, other, time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("a session ended by another process still works: %v", err)
	}
	roles(secret)
	if err := there.SetPassword(ctx, u.ID, "x", false, civicgrid.SecurityEvent{Kind: civicgrid.EventPasswordChanged}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := here.SessionUser(ctx, secret, time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("a session ended by a password change elsewhere still works: %v", err)
	}
}

// A session's seen-time is refreshed now and then; that write must not
// throw the kept read away, nor must another user's change.
func TestSessionReadSurvivesSeenTimeAndOthersChanges(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	if _, err := db.ApplyAreas(ctx, sampleAreas(), now); err != nil {
		t.Fatal(err)
	}
	mk := func(phone string) civicgrid.User {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "李" + phone[9:], Phone: phone, Kind: civicgrid.KindResident}, "",
			[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "420102001001"}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	a, b := mk("13300000011"), mk("13300000012")
	secret, _, err := db.CreateSession(ctx, civicgrid.Session{UserID: a.ID, ExpiresAt: now.Add(24 * time.Hour)}, civicgrid.SecurityEvent{Kind: civicgrid.EventLoginOK})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, secret, time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // the seen-time is written again
	s, _, err := db.SessionUser(ctx, secret, time.Hour)
	if err != nil || !s.LastSeenAt.Equal(now) {
		t.Fatalf("seen-time %v, want %v (%v)", s.LastSeenAt, now, err)
	}
	if _, err := db.AddGrant(ctx, civicgrid.RoleGrant{UserID: b.ID, Role: civicgrid.RoleVolunteer, AreaCode: "420102001001"}, civicgrid.SecurityEvent{Kind: civicgrid.EventRoleGranted}); err != nil {
		t.Fatal(err)
	}
	hits := sessionCacheHits.Load()
	if _, _, err := db.SessionUser(ctx, secret, time.Hour); err != nil {
		t.Fatal(err)
	}
	if sessionCacheHits.Load() != hits+1 {
		t.Fatal("the seen-time write or another user's grant threw the kept read away")
	}
	// Idle past the limit: refused, kept read or not.
	now = now.Add(2 * time.Hour)
	if _, _, err := db.SessionUser(ctx, secret, time.Hour); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("an idle session was accepted: %v", err)
	}
}
