package server_test

// Matrix fixtures and expectations for the case routes. Each fixture makes
// the case it acts on, in the state the step needs, in the actor's own grid
// or in another district. Work steps act on a case dispatched to a
// department (the department handler's category), so that only the policy,
// not an assignment to the actor, decides. For rate and reopen, which act on
// one's own report, the second cell is someone else's report in the same
// grid.

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// mxCategory is the category of matrix cases; department handlers hold it.
const mxCategory = "C0005"

// testPhoto is a well-formed photo ref, for servers that keep no photos
// (refs are then checked for their form only).
const testPhoto = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg"

// mxPhotos are the photos evidence carries: newMatrixEnv puts the ref of a
// photo it uploaded in it.
var mxPhotos = []string{testPhoto}

func init() {
	//                                                   res rep vol gw  bld cs  sec sd  dh  da  ca  aud
	rows := map[string]string{
		"POST /api/v1/photos":                        "YY YY YY YY YY YY YY YY YY YY YY YY",
		"PUT /api/v1/categories/{code}":              "N- N- N- N- N- N- N- N- N- N- Y- N-",
		"POST /api/v1/cases":                         "YY YY YY YY YY YY YY YY YY YY YY YY",
		"GET /api/v1/cases":                          "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/cases.csv":                      "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/cases/nearby":                   "YY YY YY YY YY YY YY YY YY YY YY YY",
		"GET /api/v1/cases/stream":                   "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/cases/{id}":                     "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/cases/{id}/events":              "NN NN NN YN NN YN YN YN NN YN YY YN",
		"POST /api/v1/cases/{id}/unmask":             "NN NN NN YN NN YN YN YN NN YN YY NN",
		"GET /api/v1/indicators":                     "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/indicators/by-category":         "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/indicators/trend":               "NN NN NN YN NN YN YN YN NN YN YY YN",
		"POST /api/v1/cases/{id}/register":           "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/reject":             "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/merge":              "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/reclassify":         "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/dispatch":           "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/accept":             "NN NN NN NN NN NN NN NN YN NN NN NN",
		"POST /api/v1/cases/{id}/return":             "NN NN NN NN NN NN NN NN YN NN NN NN",
		"POST /api/v1/cases/{id}/handle":             "NN NN NN NN NN NN NN NN YN NN NN NN",
		"POST /api/v1/cases/{id}/self_handle":        "NN NN NN YN NN NN NN NN NN NN NN NN",
		"POST /api/v1/cases/{id}/verify":             "NN NN NN YN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/rework":             "NN NN NN YN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/close":              "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/rate":               "YN YN YN YN YN YN YN YN YN YN YN YN",
		"POST /api/v1/cases/{id}/reopen":             "YN YN YN YN YN YN YN YN YN YN YN YN",
		"POST /api/v1/cases/{id}/request_extension":  "NN NN NN NN NN NN NN NN YN NN NN NN",
		"POST /api/v1/cases/{id}/approve_extension":  "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/deny_extension":     "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/request_suspension": "NN NN NN NN NN NN NN NN YN NN NN NN",
		"POST /api/v1/cases/{id}/approve_suspension": "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/deny_suspension":    "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/resume":             "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/request_cancel":     "NN NN NN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/approve_cancel":     "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/deny_cancel":        "NN NN NN NN NN NN YN YN NN YN NN NN",
		"POST /api/v1/cases/{id}/comment":            "NN NN NN YN NN YN YN YN NN YN YY YN",
		"POST /api/v1/cases/{id}/me_too":             "YY YY YY YY YY YY YY YY YY YY YY YY",
	}
	for k, v := range rows {
		mxExpected[k] = v
	}

	// A case in a given state, for steps.
	step := func(action civicgrid.CaseAction, body map[string]any, setup func(c *civicgrid.Case)) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			c := e.newCase(away, setup)
			return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/%s", c.ID, action), body}
		}
	}
	status := func(s civicgrid.CaseStatus) func(*civicgrid.Case) {
		return func(c *civicgrid.Case) { c.Status = s }
	}
	// working is a case with a department, as work steps need.
	working := func(s civicgrid.CaseStatus, pending, detail string) func(*civicgrid.Case) {
		return func(c *civicgrid.Case) {
			c.Status, c.AssigneeDept, c.Pending, c.PendingDetail = s, "水务", pending, detail
			c.DispatchedAt, c.ResolveBy = c.CreatedAt, c.CreatedAt.Add(8*time.Hour)
		}
	}
	reason := map[string]any{"reason": "需要说明的原因"}
	evidence := map[string]any{"note": "已处理", "photos": mxPhotos}
	fixtures := map[string]mxFixture{
		"POST /api/v1/photos": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{"POST", "/api/v1/photos", string(testJPEGBytes(e.t))}
		},
		"PUT /api/v1/categories/{code}": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{"PUT", "/api/v1/categories/C0099", map[string]any{"code": "C0099", "name_zh": "测试", "name_en": "Test",
				"respond_within": "2h", "resolve_within": "1wd", "active": true}}
		},
		"POST /api/v1/cases": func(e *mxEnv, a mxActor, away bool) mxRequest {
			lat, lng := e.chain(away).point()
			return mxRequest{"POST", "/api/v1/cases", map[string]any{"category": mxCategory, "lat": lat, "lng": lng}}
		},
		"GET /api/v1/cases": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/cases?within=" + e.chain(away).grid}
		},
		"GET /api/v1/cases.csv": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/cases.csv?within=" + e.chain(away).grid}
		},
		"GET /api/v1/cases/nearby": func(e *mxEnv, a mxActor, away bool) mxRequest {
			lat, lng := e.chain(away).point()
			return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/cases/nearby?category=%s&lat=%v&lng=%v", mxCategory, lat, lng)}
		},
		"GET /api/v1/cases/stream": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/cases/stream?within=" + e.chain(away).grid}
		},
		"GET /api/v1/cases/{id}": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/cases/%d", e.newCase(away, nil).ID)}
		},
		"GET /api/v1/cases/{id}/events": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/cases/%d/events", e.newCase(away, nil).ID)}
		},
		"POST /api/v1/cases/{id}/unmask": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/unmask", e.newCase(away, nil).ID), map[string]any{"reason": "回访报事人"}}
		},
		"GET /api/v1/indicators": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/indicators?scope=" + e.chain(away).grid}
		},
		"GET /api/v1/indicators/trend": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/indicators/trend?scope=" + e.chain(away).grid}
		},
		"GET /api/v1/indicators/by-category": func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: "GET", path: "/api/v1/indicators/by-category?scope=" + e.chain(away).grid}
		},
		"POST /api/v1/cases/{id}/register": step(civicgrid.CaseRegister, nil, nil),
		"POST /api/v1/cases/{id}/reject":   step(civicgrid.CaseReject, map[string]any{"reason": "out_of_scope"}, nil),
		"POST /api/v1/cases/{id}/merge": func(e *mxEnv, a mxActor, away bool) mxRequest {
			kept := e.newCase(away, nil)
			dup := e.newCase(away, nil)
			return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/merge", dup.ID), map[string]any{"into": kept.ID}}
		},
		"POST /api/v1/cases/{id}/reclassify":  step(civicgrid.CaseReclassify, map[string]any{"category": "C0099", "reason": "不是水管"}, nil),
		"POST /api/v1/cases/{id}/dispatch":    step(civicgrid.CaseDispatch, map[string]any{"dept": "水务"}, status(civicgrid.StatusRegistered)),
		"POST /api/v1/cases/{id}/accept":      step(civicgrid.CaseAccept, nil, working(civicgrid.StatusDispatched, "", "")),
		"POST /api/v1/cases/{id}/return":      step(civicgrid.CaseReturn, reason, working(civicgrid.StatusInProgress, "", "")),
		"POST /api/v1/cases/{id}/handle":      step(civicgrid.CaseHandle, evidence, working(civicgrid.StatusInProgress, "", "")),
		"POST /api/v1/cases/{id}/self_handle": step(civicgrid.CaseSelfHandle, evidence, nil),
		"POST /api/v1/cases/{id}/verify":      step(civicgrid.CaseVerify, nil, working(civicgrid.StatusHandled, "", "")),
		"POST /api/v1/cases/{id}/rework":      step(civicgrid.CaseRework, reason, working(civicgrid.StatusHandled, "", "")),
		"POST /api/v1/cases/{id}/close":       step(civicgrid.CaseClose, nil, working(civicgrid.StatusVerified, "", "")),
		"POST /api/v1/cases/{id}/rate": func(e *mxEnv, a mxActor, away bool) mxRequest {
			c := e.ownCase(a, away, civicgrid.StatusClosed)
			return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/rate", c.ID), map[string]any{"rating": 5}}
		},
		"POST /api/v1/cases/{id}/reopen": func(e *mxEnv, a mxActor, away bool) mxRequest {
			c := e.ownCase(a, away, civicgrid.StatusClosed)
			return mxRequest{"POST", fmt.Sprintf("/api/v1/cases/%d/reopen", c.ID), reason}
		},
		"POST /api/v1/cases/{id}/request_extension": step(civicgrid.CaseRequestExtension, map[string]any{"extend_by": "1wd", "reason": "等配件"},
			working(civicgrid.StatusInProgress, "", "")),
		"POST /api/v1/cases/{id}/approve_extension": step(civicgrid.CaseApproveExtension, nil,
			working(civicgrid.StatusInProgress, civicgrid.PendingExtension, "1wd")),
		"POST /api/v1/cases/{id}/deny_extension": step(civicgrid.CaseDenyExtension, nil,
			working(civicgrid.StatusInProgress, civicgrid.PendingExtension, "1wd")),
		"POST /api/v1/cases/{id}/request_suspension": step(civicgrid.CaseRequestSuspend, reason, working(civicgrid.StatusInProgress, "", "")),
		"POST /api/v1/cases/{id}/approve_suspension": step(civicgrid.CaseApproveSuspend, nil,
			working(civicgrid.StatusInProgress, civicgrid.PendingSuspension, "")),
		"POST /api/v1/cases/{id}/deny_suspension": step(civicgrid.CaseDenySuspend, nil,
			working(civicgrid.StatusInProgress, civicgrid.PendingSuspension, "")),
		"POST /api/v1/cases/{id}/resume": step(civicgrid.CaseResume, nil, func(c *civicgrid.Case) {
			working(civicgrid.StatusSuspended, "", "")(c)
			c.PrevStatus, c.SuspendedAt = civicgrid.StatusInProgress, c.CreatedAt
		}),
		"POST /api/v1/cases/{id}/request_cancel": step(civicgrid.CaseRequestCancel, reason, status(civicgrid.StatusRegistered)),
		"POST /api/v1/cases/{id}/approve_cancel": step(civicgrid.CaseApproveCancel, nil, func(c *civicgrid.Case) {
			c.Status, c.Pending = civicgrid.StatusRegistered, civicgrid.PendingCancel
		}),
		"POST /api/v1/cases/{id}/deny_cancel": step(civicgrid.CaseDenyCancel, nil, func(c *civicgrid.Case) {
			c.Status, c.Pending = civicgrid.StatusRegistered, civicgrid.PendingCancel
		}),
		"POST /api/v1/cases/{id}/comment": step(civicgrid.CaseComment, map[string]any{"note": "已电话联系"}, nil),
		"POST /api/v1/cases/{id}/me_too":  step(civicgrid.CaseMeToo, nil, nil),
	}
	for k, f := range fixtures {
		mxFixtures[k] = f
	}
}

// point is a spot inside the chain's grid.
func (c mxChain) point() (float64, float64) {
	p := c.gridArea.Geometry.Bound().Center()
	return p.Lat(), p.Lon()
}

// newCase stores a case reported by a resident of the home or away building,
// in the state setup leaves it.
func (e *mxEnv) newCase(away bool, setup func(*civicgrid.Case)) civicgrid.Case {
	e.t.Helper()
	reporter := e.resident(away)
	return e.storeCase(away, reporter.ID, setup)
}

// ownCase stores a case in status reported by the actor (own) or, for the
// second cell, by a neighbour.
func (e *mxEnv) ownCase(a mxActor, other bool, s civicgrid.CaseStatus) civicgrid.Case {
	reporter := a.user.ID
	if other {
		reporter = e.resident(false).ID
	}
	return e.storeCase(false, reporter, func(c *civicgrid.Case) {
		c.Status, c.ClosedAt, c.HandledAt = s, c.CreatedAt, c.CreatedAt
	})
}

func (e *mxEnv) storeCase(away bool, reporter int64, setup func(*civicgrid.Case)) civicgrid.Case {
	e.t.Helper()
	ch := e.chain(away)
	lat, lng := ch.point()
	now := time.Now()
	c := civicgrid.Case{Category: mxCategory, Status: civicgrid.StatusReported, Channel: civicgrid.ChannelApp, Description: "水管破裂",
		Lat: lat, Lng: lng, GridCode: ch.grid, ReporterID: reporter, CreatedAt: now, UpdatedAt: now, RespondBy: now.Add(time.Hour)}
	if setup != nil {
		setup(&c)
	}
	stored, _, err := e.db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: now, Actor: "test", Action: civicgrid.CaseReport,
		To: c.Status, Data: map[string]string{civicgrid.DataCategory: c.Category, civicgrid.DataGrid: c.GridCode}}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored
}
