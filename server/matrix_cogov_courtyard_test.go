package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows of the courtyard routes (院落): a community's staff and
// secretary make and edit its courtyards; everyone taking part in the
// community reads them (to choose one as a scope). A courtyard of another
// community is "not found".
func init() {
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	keepers := "NN NN NN NN NN YN YN NN NN NN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/courtyards":      readers,
		"POST /api/v1/courtyards":     keepers,
		"GET /api/v1/courtyards/{id}": readers,
		"PUT /api/v1/courtyards/{id}": keepers,
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/courtyards"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.courtyard(away)
		return mxRequest{method: "GET", path: "/api/v1/courtyards?community=" + e.chain(away).community}
	}
	mxFixtures["POST /api/v1/courtyards"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		c := e.courtyard(away)
		e.releaseCourtyard(c) // its building is free for the new one
		e.phones++
		return mxRequest{"POST", "/api/v1/courtyards", map[string]any{"community": c.Community, "name": fmt.Sprintf("院落%d", e.phones),
			"buildings": []string{e.chain(away).building}}}
	}
	mxFixtures["GET /api/v1/courtyards/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/courtyards/%d", e.courtyard(away).ID)}
	}
	mxFixtures["PUT /api/v1/courtyards/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		c := e.courtyard(away)
		e.phones++
		return mxRequest{"PUT", fmt.Sprintf("/api/v1/courtyards/%d", c.ID), map[string]any{"name": fmt.Sprintf("院落%d", e.phones),
			"buildings": []string{e.chain(away).building}}}
	}
}

// courtyard returns the courtyard holding the chain's building, making one
// when none does.
func (e *mxEnv) courtyard(away bool) civicgrid.Courtyard {
	e.t.Helper()
	ctx := context.Background()
	ch := e.chain(away)
	cs, err := e.db.Courtyards(ctx, []string{ch.community}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		for _, b := range c.Buildings {
			if b == ch.building {
				return c
			}
		}
	}
	e.phones++
	c, err := e.db.SaveCourtyard(ctx, civicgrid.Courtyard{Community: ch.community, Name: fmt.Sprintf("院落%d", e.phones), Buildings: []string{ch.building}},
		civicgrid.CogovEvent{At: time.Now(), Actor: "matrix"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// releaseCourtyard gives the courtyard a made-up building code in place of
// its own, so that another courtyard may take them (the store does not ask
// the registry; the service does).
func (e *mxEnv) releaseCourtyard(c civicgrid.Courtyard) {
	e.t.Helper()
	e.phones++
	c.Buildings = []string{fmt.Sprintf("%s%04d", c.Buildings[0][:15], 5000+e.phones%5000)}
	if _, err := e.db.SaveCourtyard(context.Background(), c, civicgrid.CogovEvent{At: time.Now(), Actor: "matrix"}); err != nil {
		e.t.Fatal(err)
	}
}
