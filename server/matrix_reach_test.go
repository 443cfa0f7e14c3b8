package server_test

// The access matrix's second axis: for every guarded route and every role,
// what a person can still do after their grant is revoked, through an API
// token, and through a token made before the revocation; and for every role
// that may open the live stream, whether it ends with a logout or the
// revocation. Expectations are derived, not hand-written: after the
// revocation a person acts as an account without roles; a token acts as
// its creator's session (except where tokens are refused) and, once the
// grant is gone, not at all.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
)

// mxTokenRefused are the routes a token may never take (its creator logs in
// for them).
var mxTokenRefused = []string{"POST /api/v1/tokens", "POST /api/v1/me/password"}

// token makes an API token of a's person carrying a's grant.
func (e *mxEnv) token(a mxActor) mxActor {
	e.t.Helper()
	g := a.user.Grants[0]
	secret, _, err := e.db.CreateAPIToken(context.Background(), civicgrid.APIToken{Name: "对接", Role: g.Role, AreaCode: g.AreaCode,
		Detail: g.Detail, Categories: g.Categories, CreatedBy: a.user.ID, ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	tok := a
	tok.bearer = secret
	return tok
}

// revoke takes a's grant away.
func (e *mxEnv) revoke(a mxActor) {
	e.t.Helper()
	if err := e.db.RevokeGrant(context.Background(), a.user.ID, a.user.Grants[0].ID, civicgrid.SecurityEvent{}); err != nil {
		e.t.Fatal(err)
	}
}

func TestAuthorizationMatrixAfterRevocation(t *testing.T) {
	e := newMatrixEnv(t)
	routes := server.New(server.Config{Cases: e.cases, Open311: e.db, Photos: e.photos, Webhooks: e.hooks, Notify: e.notes}, e.db, nil).Routes()
	// Only the roles that may make tokens have any.
	mayMakeTokens := make([]bool, len(civicgrid.Roles))
	for i, c := range strings.Fields(mxExpected["POST /api/v1/tokens"]) {
		mayMakeTokens[i] = c[0] == 'Y'
	}
	cell := func(key, who string, st int, body string) string {
		t.Helper()
		got, ok := mxCell(key, st)
		if !ok {
			t.Errorf("%s %s: status %d is neither success nor refusal: %s", key, who, st, body)
		}
		return got
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		fixture, want := mxFixtures[key], mxExpected[key]
		if rt.Public || fixture == nil || want == "" {
			continue // TestAuthorizationMatrix reports these
		}
		wantCells := strings.Fields(want)

		// An account that never held a role: what a revoked person may
		// still do.
		bare := e.actor(civicgrid.Roles[0])
		e.revoke(bare)
		st, body := e.send(&bare, fixture(e, bare, false))
		noRoles := cell(key, "without roles", st, body)

		for i, info := range civicgrid.Roles {
			a := e.actor(info)
			if mayMakeTokens[i] {
				// Through a token, before any revocation: as the session.
				e.checkToken(t, key, info, fixture, wantCells[i][:1])
			}

			// After the revocation: the session acts as an account
			// without roles, and an old token not at all.
			var tok mxActor
			if mayMakeTokens[i] {
				tok = e.token(a)
			}
			e.revoke(a)
			st, body = e.send(&a, fixture(e, a, false))
			if got := cell(key, info.Name+" revoked", st, body); got != noRoles {
				t.Errorf("%s as %s after the grant was revoked: got %s, want %s (as an account without roles)", key, info.Name, got, noRoles)
			}
			if tok.bearer == "" {
				continue
			}
			if st, body := e.send(&tok, fixture(e, tok, false)); st != http.StatusUnauthorized {
				t.Errorf("%s as %s through a token made before the revocation: %d, want 401: %s", key, info.Name, st, body)
			}
		}
	}
}

// checkToken calls the route through a fresh token of a person holding the
// role, which must answer as the person's session does (want) but where
// tokens are refused.
func (e *mxEnv) checkToken(t *testing.T, key string, info civicgrid.RoleInfo, fixture mxFixture, want string) {
	t.Helper()
	tok := e.token(e.actor(info))
	if slices.Contains(mxTokenRefused, key) {
		want = "N"
	}
	st, body := e.send(&tok, fixture(e, tok, false))
	got, ok := mxCell(key, st)
	if !ok || got != want {
		t.Errorf("%s as %s through a token: status %d, want %s (as the session): %s", key, info.Name, st, want, body)
	}
}

// Every role that may open the live stream: it ends with a logout, with the
// revocation of the grant, and (through a token) with the revocation of the
// token's creator's grant.
func TestAuthorizationMatrixStreamsEnd(t *testing.T) {
	e := newMatrixEnv(t)
	const key = "GET /api/v1/cases/stream"
	wantCells := strings.Fields(mxExpected[key])
	url := e.srv.URL + "/api/v1/cases/stream?within=" + e.home.grid
	for i, info := range civicgrid.Roles {
		if wantCells[i][0] != 'Y' {
			continue
		}
		a := e.actor(info)
		s := openEventStream(t, url, a)
		if st, body := e.send(&a, mxRequest{method: "POST", path: "/api/v1/auth/logout"}); st != http.StatusNoContent {
			t.Fatalf("logout as %s: %d %s", info.Name, st, body)
		}
		streamEnds(t, info.Name+": stream after logout", s)

		a = e.actor(info)
		s = openEventStream(t, url, a)
		tok := e.token(a)
		ts := openEventStream(t, url, tok)
		city := e.actor(civicgrid.Roles[len(civicgrid.Roles)-2])
		if st, body := e.send(&city, mxRequest{method: "DELETE", path: "/api/v1/users/" + itoa(a.user.ID) + "/grants/" + itoa(a.user.Grants[0].ID)}); st != http.StatusNoContent {
			t.Fatalf("revoke %s: %d %s", info.Name, st, body)
		}
		streamEnds(t, info.Name+": stream after the grant was revoked", s)
		streamEnds(t, info.Name+": token's stream after its creator's grant was revoked", ts)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
