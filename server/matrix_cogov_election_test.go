package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Matrix rows and fixtures of the voting side: objections to a result on
// public notice (anyone taking part in the scope raises one, staff decide),
// paper ballots (staff of the scope, two of them: the fixture's entry is
// another person's), and building-role elections in the home or away
// building (a resident of it nominated by phone; only a nominee accepts).
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	participants := "YN YN YN YN YN YN YN YN YN YN YY NN"
	staff := "NN NN NN NN NN YN YN YN NN YN YY NN"
	for key, row := range map[string]string{
		"GET /api/v1/votes/{id}/objections":                     readers,
		"POST /api/v1/votes/{id}/objections":                    participants,
		"POST /api/v1/objections/{id}/decision":                 staff,
		"POST /api/v1/votes/{id}/paper-voters":                  staff,
		"GET /api/v1/votes/{id}/paper-ballots":                  staff,
		"POST /api/v1/votes/{id}/paper-ballots":                 staff,
		"POST /api/v1/votes/{id}/paper-ballots/{entry}/confirm": staff,
		"GET /api/v1/elections":                                 everyone,
		"POST /api/v1/elections":                                staff,
		"GET /api/v1/elections/{id}":                            readers,
		"POST /api/v1/elections/{id}/nominations":               participants,
		"POST /api/v1/elections/{id}/accept":                    "YN NN NN NN YN NN NN NN NN NN NN NN",
		"POST /api/v1/elections/{id}/vote":                      staff,
		"POST /api/v1/elections/{id}/withdraw":                  "YN NN NN NN YN NN NN NN NN NN NN NN",
		"POST /api/v1/elections/{id}/cancel":                    staff,
		"POST /api/v1/elections/{id}/by-election":               staff,
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/votes/{id}/objections"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/votes/%d/objections", e.vote(away, true))}
	}
	mxFixtures["POST /api/v1/votes/{id}/objections"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/votes/%d/objections", e.vote(away, true)), map[string]string{"reason": "计票有误"}}
	}
	mxFixtures["POST /api/v1/objections/{id}/decision"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.vote(away, true)
		o, err := e.db.RaiseObjection(context.Background(), civicgrid.Objection{VoteID: id, Reason: "有误", AuthorID: e.elector.ID},
			civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovObjectionRaised})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/objections/%d/decision", o.ID), map[string]string{"decision": "reject", "response": "经核实无误"}}
	}
	mxFixtures["POST /api/v1/votes/{id}/paper-voters"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id := e.vote(away, false)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/votes/%d/paper-voters", id), map[string]string{"phone": e.elector.Phone}}
	}
	mxFixtures["GET /api/v1/votes/{id}/paper-ballots"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/votes/%d/paper-ballots", e.vote(away, false))}
	}
	mxFixtures["POST /api/v1/votes/{id}/paper-ballots"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/votes/%d/paper-ballots", e.vote(away, false)), map[string]any{"choices": []string{"yes"}, "witness": "王监票"}}
	}
	mxFixtures["POST /api/v1/votes/{id}/paper-ballots/{entry}/confirm"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		ctx := context.Background()
		id := e.vote(away, false)
		if err := e.db.MarkPaperVoter(ctx, id, e.elector.Phone, civicgrid.SecurityEvent{At: time.Now(), Kind: civicgrid.CogovPaperVoter}); err != nil {
			e.t.Fatal(err)
		}
		entry, err := e.db.EnterPaperBallot(ctx, civicgrid.PaperEntry{VoteID: id, Choices: []string{"yes"}, Witness: "王监票", EnteredBy: e.elector.ID},
			civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovPaperEntered})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/votes/%d/paper-ballots/%d/confirm", id, entry.ID)}
	}
	mxFixtures["GET /api/v1/elections"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/elections"}
	}
	mxFixtures["POST /api/v1/elections"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.cogov.SetGrants(e.db)
		e.resident(away) // the roll is never empty
		return mxRequest{"POST", "/api/v1/elections", map[string]any{"area_code": e.chain(away).building, "role": "building_head", "seats": 1, "term_months": 36}}
	}
	mxFixtures["GET /api/v1/elections/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.election(away)
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/elections/%d", id)}
	}
	mxFixtures["POST /api/v1/elections/{id}/nominations"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.election(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/elections/%d/nominations", id), map[string]string{"phone": e.resident(away).Phone}}
	}
	mxFixtures["POST /api/v1/elections/{id}/accept"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, by := e.election(away)
		_ = e.cogov.Nominate(context.Background(), by.Actor(), id, a.user.Phone) // only people of the building can be nominated
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/elections/%d/accept", id)}
	}
	mxFixtures["POST /api/v1/elections/{id}/withdraw"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, by := e.election(away)
		_ = e.cogov.Nominate(context.Background(), by.Actor(), id, a.user.Phone) // only people of the building can be nominated
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/elections/%d/withdraw", id)}
	}
	mxFixtures["POST /api/v1/elections/{id}/cancel"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.election(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/elections/%d/cancel", id), map[string]string{"reason": "楼栋合并，另行选举"}}
	}
	mxFixtures["POST /api/v1/elections/{id}/by-election"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.election(away)
		// Settled with its one seat empty (no winner), its term running.
		if _, err := e.db.SQL().ExecContext(context.Background(), `UPDATE cogov_elections SET status = 'final', final_at = $1, term_ends_at = $2 WHERE id = $3`,
			time.Now().UnixMilli(), time.Now().AddDate(3, 0, 0).UnixMilli(), id); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/elections/%d/by-election", id)}
	}
	mxFixtures["POST /api/v1/elections/{id}/vote"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, by := e.election(away)
		ctx := context.Background()
		other := e.resident(away)
		if err := e.cogov.Nominate(ctx, other.Actor(), id, ""); err != nil {
			e.t.Fatal(err)
		}
		if err := e.cogov.Nominate(ctx, by.Actor(), id, ""); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/elections/%d/vote", id), map[string]any{"hours": 24}}
	}
}

// election calls a building-head election in the home or away building
// (with a fresh resident of it, returned) and returns its id.
func (e *mxEnv) election(away bool) (int64, civicgrid.User) {
	e.t.Helper()
	e.cogov.SetGrants(e.db)
	r := e.resident(away)
	el, err := e.db.CreateElection(context.Background(), civicgrid.Election{AreaCode: e.chain(away).building, Role: "building_head", Seats: 1, TermMonths: 36},
		civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovElectionCalled})
	if err != nil {
		e.t.Fatal(err)
	}
	return el.ID, r
}

var _ = cogovern.DecisionReject
