package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the early-warning routes. Those who read the
// cases of an area read its alerts; case staff acknowledge, dismiss and
// open a case from one; district and city admins run the warning. An alert
// the caller may not read is "not found".
func init() {
	readers := "NN NN NN YN NN YN YN YN NN YN YY YN"
	staff := "NN NN NN NN NN YN YN YN NN YN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/warnings/alerts":              readers,
		"GET /api/v1/warnings/alerts/{id}":         readers,
		"POST /api/v1/warnings/alerts/{id}/decide": staff,
		"POST /api/v1/warnings/alerts/{id}/case":   staff,
		"POST /api/v1/warnings/run":                "NN NN NN NN NN NN NN NN NN YN YY NN",
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/warnings/alerts"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/warnings/alerts?scope=" + e.chain(away).grid}
	}
	mxFixtures["GET /api/v1/warnings/alerts/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/warnings/alerts/%d", e.alert(away))}
	}
	mxFixtures["POST /api/v1/warnings/alerts/{id}/decide"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/warnings/alerts/%d/decide", e.alert(away)),
			map[string]string{"status": "dismissed", "reason": "节日活动带来的集中报事"}}
	}
	mxFixtures["POST /api/v1/warnings/alerts/{id}/case"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/warnings/alerts/%d/case", e.alert(away)), map[string]string{"note": "请网格员核查"}}
	}
	mxFixtures["POST /api/v1/warnings/run"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/warnings/run", map[string]string{"scope": e.chain(away).district}}
	}
}

// alert stores a fresh open alert on the home or away grid.
func (e *mxEnv) alert(away bool) int64 {
	e.t.Helper()
	e.phones++
	g := e.chain(away).grid
	as, err := e.db.SaveAlerts(context.Background(), []civicgrid.Alert{{Kind: civicgrid.AlertGrid, Category: mxCategory, Grid: g, Grids: []string{g},
		Day: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, e.phones).Format(time.DateOnly), WindowDays: 1, Observed: 9,
		Expected: 1.2, PValue: 1e-6, Threshold: 3.3e-5, CreatedAt: time.Now()}})
	if err != nil || len(as) != 1 {
		e.t.Fatalf("alert: %v %v", as, err)
	}
	return as[0].ID
}
