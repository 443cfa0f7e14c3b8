package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows of the household routes: a building's households are
// personal data of its community, read and kept by that community's staff
// and secretary only (street, district and city staff run votes but do not
// read who lives where); everyone reads their own household.
func init() {
	community := "NN NN NN NN NN YN YN NN NN NN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/areas/{code}/households":  community,
		"POST /api/v1/areas/{code}/households": community,
		"GET /api/v1/me/household":             "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-",
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/areas/{code}/households"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/areas/" + e.chain(away).building + "/households"}
	}
	mxFixtures["POST /api/v1/areas/{code}/households"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		return mxRequest{"POST", "/api/v1/areas/" + e.chain(away).building + "/households", map[string]any{"rows": []map[string]string{
			{"room": fmt.Sprintf("M-%d", u.ID), "phone": u.Phone, "role": "representative"}}}}
	}
	mxFixtures["GET /api/v1/me/household"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		if a.user.ID == 0 { // the anonymous call
			return mxRequest{method: "GET", path: "/api/v1/me/household"}
		}
		if _, err := e.db.ApplyHouseholdRows(context.Background(), e.home.building, []civicgrid.HouseholdRow{
			{Room: fmt.Sprintf("H-%d", a.user.ID), Phone: a.user.Phone, Role: civicgrid.HouseholdMemberRole}},
			civicgrid.SecurityEvent{At: time.Now(), Kind: civicgrid.EventHouseholdChanged, Actor: "matrix"}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "GET", path: "/api/v1/me/household"}
	}
}
