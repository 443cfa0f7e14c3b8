package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Matrix rows and fixtures of the project and comment routes (共建共管共评共享).
// Staff of the scope run projects and hide comments; the people of the
// scope comment; only residents and building roles rate, once the project
// is in its evaluation phase. A project outside the caller's scope is "not
// found".
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	participants := "YN YN YN YN YN YN YN YN YN YN YY NN"
	staff := "NN NN NN NN NN YN YN YN NN YN YY NN"
	for key, row := range map[string]string{
		"GET /api/v1/projects":                                   everyone,
		"POST /api/v1/projects":                                  staff,
		"GET /api/v1/projects/stats":                             readers,
		"GET /api/v1/projects/{id}":                              readers,
		"POST /api/v1/projects/{id}/milestones":                  staff,
		"POST /api/v1/projects/{id}/milestones/{milestone}/done": staff,
		"POST /api/v1/projects/{id}/updates":                     staff,
		"POST /api/v1/projects/{id}/phase":                       staff,
		"POST /api/v1/projects/{id}/rating":                      "YN NN NN NN YN NN NN NN NN NN NN NN",
		"POST /api/v1/projects/{id}/cases":                       staff,
		"POST /api/v1/projects/{id}/spending":                    staff,
		"POST /api/v1/projects/{id}/edit":                        staff,
		"GET /api/v1/projects/{id}/comments":                     readers,
		"POST /api/v1/projects/{id}/comments":                    participants,
		"GET /api/v1/proposals/{id}/comments":                    readers,
		"POST /api/v1/proposals/{id}/comments":                   participants,
		"GET /api/v1/proposals/{id}/projects":                    readers,
		"POST /api/v1/comments/{id}/hide":                        staff,
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/notices/projects"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.project(away, civicgrid.PhaseBuild)
		return mxRequest{method: "GET", path: "/api/v1/notices/projects?area=" + e.chain(away).community}
	}
	mxFixtures["GET /api/v1/projects"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/projects"}
	}
	mxFixtures["POST /api/v1/projects"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/projects", map[string]any{"area_code": e.chain(away).community, "title": "加装扶手", "owner": "居委会",
			"budget": 1000, "milestones": []map[string]any{{"title": "安装", "due_at": time.Now().Add(72 * time.Hour)}}}}
	}
	mxFixtures["GET /api/v1/projects/stats"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/projects/stats?area=" + e.chain(away).community}
	}
	byID := func(method, suffix string, body func(e *mxEnv, p civicgrid.Project) any) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			p := e.project(away, civicgrid.PhaseBuild)
			var b any
			if body != nil {
				b = body(e, p)
			}
			return mxRequest{method, fmt.Sprintf("/api/v1/projects/%d%s", p.ID, suffix), b}
		}
	}
	mxFixtures["GET /api/v1/projects/{id}"] = byID("GET", "", nil)
	mxFixtures["POST /api/v1/projects/{id}/milestones"] = byID("POST", "/milestones", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]any{"title": "验收", "due_at": time.Now().Add(96 * time.Hour)}
	})
	mxFixtures["POST /api/v1/projects/{id}/milestones/{milestone}/done"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		p := e.project(away, civicgrid.PhaseBuild)
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/projects/%d/milestones/%d/done", p.ID, p.Milestones[0].ID)}
	}
	mxFixtures["POST /api/v1/projects/{id}/updates"] = byID("POST", "/updates", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]any{"text": "扶手已到货"}
	})
	mxFixtures["POST /api/v1/projects/{id}/spending"] = byID("POST", "/spending", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]any{"amount": "120.50", "spent_on": time.Now().Format(time.DateOnly), "purpose": "扶手", "over_reason": "预算为零的试点"}
	})
	mxFixtures["POST /api/v1/projects/{id}/edit"] = byID("POST", "/edit", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]any{"title": "加装扶手和照明", "reason": "居民要求"}
	})
	mxFixtures["POST /api/v1/projects/{id}/phase"] = byID("POST", "/phase", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]string{"phase": "manage"}
	})
	mxFixtures["POST /api/v1/projects/{id}/rating"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		p := e.project(away, civicgrid.PhaseEvaluate)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/projects/%d/rating", p.ID), map[string]int{"rating": 4}}
	}
	mxFixtures["POST /api/v1/projects/{id}/cases"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.cogov.SetProjectDeps(cogovern.ProjectDeps{Documents: e.photos, Cases: func(ctx context.Context, actor civicgrid.Actor, id int64) error {
			_, err := e.cases.Get(ctx, actor, id)
			return err
		}})
		p := e.project(away, civicgrid.PhaseBuild)
		c := e.newCase(away, nil)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/projects/%d/cases", p.ID), map[string]int64{"case_id": c.ID}}
	}
	mxFixtures["GET /api/v1/projects/{id}/comments"] = byID("GET", "/comments", nil)
	mxFixtures["POST /api/v1/projects/{id}/comments"] = byID("POST", "/comments", func(e *mxEnv, p civicgrid.Project) any {
		return map[string]string{"body": "施工请避开午休"}
	})
	mxFixtures["GET /api/v1/proposals/{id}/comments"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/proposals/%d/comments", e.proposal(away))}
	}
	mxFixtures["POST /api/v1/proposals/{id}/comments"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/proposals/%d/comments", e.proposal(away)), map[string]string{"body": "同意"}}
	}
	mxFixtures["GET /api/v1/proposals/{id}/projects"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/proposals/%d/projects", e.proposal(away))}
	}
	mxFixtures["POST /api/v1/comments/{id}/hide"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		p := e.project(away, civicgrid.PhaseBuild)
		author := e.resident(away)
		c, err := e.db.AddComment(context.Background(), civicgrid.Comment{Subject: civicgrid.ProjectSubject(p.ID), AuthorID: author.ID, Author: "王*",
			Body: "广告"}, civicgrid.CogovEvent{At: time.Now(), Actor: "王*", Action: civicgrid.CogovCommented})
		if err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/comments/%d/hide", c.ID), map[string]string{"reason": "广告"}}
	}
}

// project stores a project of the home or away community with one
// milestone, moved on to phase.
func (e *mxEnv) project(away bool, phase civicgrid.ProjectPhase) civicgrid.Project {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now()
	p, ms, err := civicgrid.ProjectInput{AreaCode: e.chain(away).community, Title: "加装扶手", Owner: "居委会",
		Milestones: []civicgrid.MilestoneInput{{Title: "安装", DueAt: now.Add(48 * time.Hour)}}}.Check(now)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := civicgrid.CogovEvent{At: now, Actor: "cli", Action: civicgrid.CogovProjectStarted}
	if p, err = e.db.CreateProject(ctx, p, ms, ev); err != nil {
		e.t.Fatal(err)
	}
	for p.Phase != phase {
		ev.Action = civicgrid.CogovProjectPhase
		if p, err = e.db.SetProjectPhase(ctx, p.ID, p.Phase, p.Phase.Next(), ev); err != nil {
			e.t.Fatal(err)
		}
	}
	return p
}
