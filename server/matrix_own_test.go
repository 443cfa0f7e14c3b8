package server_test

// The access matrix on objects owned by the actor: their own account, token
// and report. Expectations are written out by hand, like mxExpected, and
// the observed table is part of docs/security.md.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/gendoc"
)

// mxOwnFixture builds the request acting on an object of the actor's own.
type mxOwnFixture func(e *mxEnv, a mxActor) mxRequest

// mxOwn lists, per route, the request on one's own object and the expected
// answer for each role (civicgrid.Roles order).
var mxOwn = []struct {
	key, what string
	fixture   mxOwnFixture
	want      string
}{
	//                                                                                   res rep vol gw bld cs sec sd dh da ca aud
	{"GET /api/v1/users/{id}", "my account", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/users/%d", a.user.ID)}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"POST /api/v1/users/{id}/unmask", "my account", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/users/%d/unmask", a.user.ID), map[string]string{"reason": "核对本人信息"}}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"POST /api/v1/users/{id}/grants", "my account", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/users/%d/grants", a.user.ID),
			map[string]string{"role": civicgrid.RoleVolunteer, "area_code": e.home.community}}
	}, "N N N N N N N N N N Y N"},
	{"DELETE /api/v1/users/{id}/grants/{grant}", "my account", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/users/%d/grants/%d", a.user.ID, a.user.Grants[0].ID)}
	}, "N N N N N N N N N N Y N"},
	{"POST /api/v1/users/{id}/password-reset", "my account", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/users/%d/password-reset", a.user.ID)}
	}, "N N N N N N N N N N Y N"},
	{"DELETE /api/v1/tokens/{id}", "my token", func(e *mxEnv, a mxActor) mxRequest {
		g := a.user.Grants[0]
		_, tok, err := e.db.CreateAPIToken(context.Background(), civicgrid.APIToken{Name: "对接", Role: g.Role, AreaCode: g.AreaCode,
			Detail: g.Detail, Categories: g.Categories, CreatedBy: a.user.ID, ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", tok.ID)}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"GET /api/v1/cases/{id}", "my report", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/cases/%d", e.storeCase(false, a.user.ID, nil).ID)}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"GET /api/v1/cases/{id}/events", "my report", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/cases/%d/events", e.storeCase(false, a.user.ID, nil).ID)}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"POST /api/v1/cases/{id}/comment", "my report", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/comment", e.storeCase(false, a.user.ID, nil).ID), map[string]any{"note": "补充说明"}}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"POST /api/v1/cases/{id}/unmask", "my report", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/unmask", e.storeCase(false, a.user.ID, nil).ID), map[string]any{"reason": "回访报事人"}}
	}, "N N N Y N Y Y Y N Y Y N"},
	{"POST /api/v1/cases/{id}/verify", "my report, handled by someone else", func(e *mxEnv, a mxActor) mxRequest {
		c := e.storeCase(false, a.user.ID, func(c *civicgrid.Case) { c.Status, c.AssigneeDept = civicgrid.StatusHandled, "水务" })
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/cases/%d/verify", c.ID)}
	}, "Y Y Y Y Y Y Y Y Y Y Y Y"},
	{"POST /api/v1/cases/{id}/register", "my report", func(e *mxEnv, a mxActor) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/cases/%d/register", e.storeCase(false, a.user.ID, nil).ID)}
	}, "N N N N N Y Y Y N Y N N"},
}

func TestAuthorizationMatrixOwnObjects(t *testing.T) {
	e := newMatrixEnv(t)
	var b strings.Builder
	b.WriteString("| Route | Object |")
	for _, r := range civicgrid.Roles {
		b.WriteString(" " + r.NameEN + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat(":-:|", len(civicgrid.Roles)) + "\n")
	for _, row := range mxOwn {
		if _, ok := mxExpected[row.key]; !ok {
			t.Errorf("%s is not a guarded route of the matrix", row.key)
		}
		want := strings.Fields(row.want)
		fmt.Fprintf(&b, "| `%s` | %s |", row.key, row.what)
		for i, info := range civicgrid.Roles {
			a := e.actor(info)
			st, body := e.send(&a, row.fixture(e, a))
			got, ok := mxCell(row.key, st)
			if !ok || got != want[i] {
				t.Errorf("%s on %s as %s: status %d, want %s: %s", row.key, row.what, info.Name, st, want[i], body)
			}
			b.WriteString(map[string]string{"Y": " ✓ |", "N": " ✗ |"}[got])
		}
		b.WriteString("\n")
	}
	if t.Failed() {
		return
	}
	gendoc.Check(t, "../docs/security.md", "access-matrix-own", b.String(), *updateDocs, "go test ./server -run Matrix -update")
}
