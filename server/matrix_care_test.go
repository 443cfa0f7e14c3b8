package server_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the care routes. The registry is read only
// by the community's staff (community staff and secretary, nobody above)
// and the entry's assigned visitors: at home the cell's actor is assigned
// when their role may visit (volunteer, grid worker, building role),
// away someone else is. Visits and concern → case are the assigned
// visitors'. Exports are refused to everyone. An entry or visit the caller
// may not read is "not found".
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	staff := "NN NN NN NN NN YN YN NN NN NN NN NN"
	visitors := "NN NN YN YN YN NN NN NN NN NN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/care/kinds":                everyone,
		"GET /api/v1/care/entries":              staff,
		"POST /api/v1/care/entries":             staff,
		"GET /api/v1/care/entries.csv":          "NN NN NN NN NN NN NN NN NN NN NN NN",
		"GET /api/v1/care/entries/{id}":         "NN NN YN YN YN YN YN NN NN NN NN NN",
		"POST /api/v1/care/entries/{id}/plan":   staff,
		"POST /api/v1/care/entries/{id}/end":    staff,
		"POST /api/v1/care/entries/{id}/visits": visitors,
		"POST /api/v1/care/visits/{id}/case":    visitors,
		// A request for help on the person's behalf: the volunteering rules
		// decide who may ask for someone (grid workers and building roles
		// among the visitors; a visiting volunteer may not).
		"POST /api/v1/care/visits/{id}/request": "NN NN NN YN YN NN NN NN NN NN NN NN",
		"GET /api/v1/care/queue":                everyone,
		"GET /api/v1/care/coverage":             "NN NN NN NN NN YN YN YN NN YN YY NN",
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/care/kinds"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/care/kinds"}
	}
	mxFixtures["GET /api/v1/care/queue"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/care/queue"}
	}
	mxFixtures["GET /api/v1/care/entries"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/care/entries?within=" + e.chain(away).community}
	}
	mxFixtures["GET /api/v1/care/entries.csv"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/care/entries.csv?within=" + e.chain(away).community}
	}
	mxFixtures["GET /api/v1/care/coverage"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/care/coverage?area=" + e.chain(away).community}
	}
	mxFixtures["POST /api/v1/care/entries"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		in := mxCareInput(e, away)
		return mxRequest{"POST", "/api/v1/care/entries", in}
	}
	entry := func(path string, body func(e *mxEnv, away bool) any) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			id := e.careEntry(away, a)
			var b any
			if body != nil {
				b = body(e, away)
			}
			return mxRequest{map[bool]string{true: "GET", false: "POST"}[path == ""], fmt.Sprintf("/api/v1/care/entries/%d%s", id, path), b}
		}
	}
	mxFixtures["GET /api/v1/care/entries/{id}"] = entry("", nil)
	mxFixtures["POST /api/v1/care/entries/{id}/plan"] = entry("/plan", func(e *mxEnv, away bool) any {
		return map[string]any{"frequency_days": 14, "visitor_ids": []int64{e.careVisitor(away).ID}}
	})
	mxFixtures["POST /api/v1/care/entries/{id}/end"] = entry("/end", func(*mxEnv, bool) any { return map[string]string{"reason": "搬去子女家同住"} })
	mxFixtures["POST /api/v1/care/entries/{id}/visits"] = entry("/visits", func(*mxEnv, bool) any {
		return map[string]string{"mode": civicgrid.VisitByPhone, "state": civicgrid.VisitFine}
	})
	mxFixtures["POST /api/v1/care/visits/{id}/case"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.careEntry(away, a)
		en, err := e.db.CareEntryByID(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		v, err := e.db.RecordCareVisit(context.Background(), civicgrid.CareVisit{EntryID: id, SlotDue: en.DueAt, VisitorID: en.Visitors[0].UserID,
			Visitor: "测*", Mode: civicgrid.VisitByPhone, State: civicgrid.VisitConcern, Note: "家中水管漏水", At: time.Now(), CreatedAt: time.Now()})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/care/visits/%d/case", v.ID), map[string]string{"category": "C0005"}}
	}
	mxFixtures["POST /api/v1/care/visits/{id}/request"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		req := mxFixtures["POST /api/v1/care/visits/{id}/case"](e, a, away)
		return mxRequest{"POST", strings.TrimSuffix(req.path, "/case") + "/request", map[string]string{"service": "shopping"}}
	}
}

// careVisitor makes a fresh grid worker of the home or away grid.
func (e *mxEnv) careVisitor(away bool) civicgrid.User {
	return e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleGridWorker, AreaCode: e.chain(away).grid})
}

func mxCareInput(e *mxEnv, away bool) civicgrid.CareInput {
	return civicgrid.CareInput{BuildingCode: e.chain(away).building, Name: "王秀英", Phone: "13900000302", Address: "1单元302",
		Kinds: []string{"living_alone"}, Consent: civicgrid.CareConsent{GivenBy: civicgrid.ConsentSelf, Scope: "姓名、电话、住址与探访记录",
			Purpose: "定期探访关爱", At: time.Now().Add(-time.Hour)}, VisitorIDs: []int64{e.careVisitor(away).ID}}
}

// careEntry stores an active entry at the home or away building, visited
// by the cell's actor at home when their role may visit, by a fresh grid
// worker otherwise.
func (e *mxEnv) careEntry(away bool, a mxActor) int64 {
	e.t.Helper()
	en, err := mxCareInput(e, away).Check(time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	visitor := e.careVisitor(away)
	en.Visitors = []civicgrid.CareVisitor{{UserID: visitor.ID, Label: "测*", Role: civicgrid.RoleGridWorker}}
	if g := a.user.Grants; !away && len(g) > 0 && civicgrid.Authorize(a.user.Actor(), civicgrid.ActionCareVisitor, civicgrid.In(en.BuildingCode)) == nil {
		en.Visitors = []civicgrid.CareVisitor{{UserID: a.user.ID, Label: "测*", Role: g[0].Role}}
	}
	staff := e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleCommunityStaff, AreaCode: e.chain(away).community})
	en.RegisteredBy, en.Registrar = staff.ID, "测*"
	en, err = e.db.CreateCareEntry(context.Background(), en)
	if err != nil {
		e.t.Fatal(err)
	}
	return en.ID
}
