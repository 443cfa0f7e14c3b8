package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Matrix rows and fixtures of the co-governance routes. One takes part
// where one holds a role (the scope within one's area or one's area within
// the scope); staff moderate and run votes in their area; only people on a
// vote's frozen roll vote (here the resident and the building role of the
// home building, on a vote of the home community). A proposal or vote
// outside the caller's scope is "not found".
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	participants := "YN YN YN YN YN YN YN YN YN YN YY NN"
	staff := "NN NN NN NN NN YN YN YN NN YN YY NN"
	for key, row := range map[string]string{
		"GET /api/v1/proposals":                everyone,
		"POST /api/v1/proposals":               participants,
		"GET /api/v1/proposals/{id}":           readers,
		"POST /api/v1/proposals/{id}/support":  participants,
		"POST /api/v1/proposals/{id}/moderate": staff,
		"POST /api/v1/proposals/{id}/unmerge":  staff,
		"GET /api/v1/votes":                    everyone,
		"POST /api/v1/votes":                   staff,
		"GET /api/v1/votes/{id}":               readers,
		"POST /api/v1/votes/{id}/ballot":       "YN NN NN NN YN NN NN NN NN NN NN NN",
		"POST /api/v1/votes/{id}/receipt":      readers,
		"GET /api/v1/votes/{id}/ballots":       readers,
		"POST /api/v1/votes/{id}/close":        staff,
	} {
		mxExpected[key] = row
	}
	get := func(path string) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest { return mxRequest{method: "GET", path: path} }
	}
	mxFixtures["GET /api/v1/proposals"] = get("/api/v1/proposals")
	mxFixtures["GET /api/v1/votes"] = get("/api/v1/votes")
	mxFixtures["POST /api/v1/proposals"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/proposals", map[string]string{"area_code": e.chain(away).community, "title": "增设晾衣架"}}
	}
	mxFixtures["GET /api/v1/proposals/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/proposals/%d", e.proposal(away))}
	}
	mxFixtures["POST /api/v1/proposals/{id}/support"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/proposals/%d/support", e.proposal(away))}
	}
	mxFixtures["POST /api/v1/proposals/{id}/unmerge"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, into := e.proposal(away), e.proposal(away)
		if _, err := e.db.MergeProposal(context.Background(), id, into, "同一件事", civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovMerged}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/proposals/%d/unmerge", id), map[string]string{"reason": "不是一回事"}}
	}
	mxFixtures["POST /api/v1/proposals/{id}/moderate"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/proposals/%d/moderate", e.proposal(away)), map[string]string{"decision": "accept"}}
	}
	mxFixtures["POST /api/v1/votes"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.resident(away) // the roll is never empty
		return mxRequest{"POST", "/api/v1/votes", map[string]any{"area_code": e.chain(away).community, "question": "是否同意？",
			"method": "yes_no", "hours": 24}}
	}
	mxFixtures["GET /api/v1/votes/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/votes/%d", e.vote(away, false))}
	}
	mxFixtures["POST /api/v1/votes/{id}/ballot"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/votes/%d/ballot", e.vote(away, false)), map[string]any{"choices": []string{"yes"}}}
	}
	mxFixtures["POST /api/v1/votes/{id}/receipt"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.vote(away, false)
		receipt := e.castAsElector(id)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/votes/%d/receipt", id), map[string]string{"receipt": receipt}}
	}
	mxFixtures["GET /api/v1/votes/{id}/ballots"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/votes/%d/ballots", e.vote(away, true))}
	}
	mxFixtures["POST /api/v1/votes/{id}/close"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/votes/%d/close", e.vote(away, false))}
	}
}

// proposal stores an open proposal of a fresh resident in the home or away
// community and returns its id.
func (e *mxEnv) proposal(away bool) int64 {
	e.t.Helper()
	author := e.resident(away)
	p, err := e.cogov.Propose(context.Background(), author.Actor(), cogovern.ProposalInput{AreaCode: e.chain(away).community, Title: "楼道照明"})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

// vote opens a yes/no vote in the home or away community, its roll frozen
// now (with everyone holding a resident's or building role there, the
// cell's actor included), closed at once when closed is set.
func (e *mxEnv) vote(away, closed bool) int64 {
	e.t.Helper()
	ctx := context.Background()
	e.elector = e.resident(away)
	v, err := civicgrid.VoteInput{AreaCode: e.chain(away).community, Question: "是否同意？", Method: civicgrid.MethodYesNo, Hours: 24}.Check(time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	v, err = e.db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovVoteOpened})
	if err != nil {
		e.t.Fatal(err)
	}
	if closed {
		if _, err := e.db.CloseVote(ctx, v.ID, time.Now(), time.Now().Add(time.Hour), civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovVoteClosed}); err != nil {
			e.t.Fatal(err)
		}
	}
	return v.ID
}

// castAsElector votes as the resident vote() put on the roll and returns
// the receipt.
func (e *mxEnv) castAsElector(voteID int64) string {
	e.t.Helper()
	receipt, err := e.cogov.Cast(context.Background(), e.elector.Actor(), voteID, []string{"no"})
	if err != nil {
		e.t.Fatal(err)
	}
	return receipt
}
