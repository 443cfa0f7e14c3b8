package server_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testpdf"
)

// Matrix rows and fixtures of the notice routes. A notice to everyone of
// the home or away community: everyone holding a role in or above it reads
// and confirms it (auditors over their district too); staff over it post,
// see counts and re-remind; building heads, grid workers and staff follow
// up; community, street and district staff connect work-group robots. A
// notice or robot the caller may not see is "not found".
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	posters := "NN NN NN NN NN YN YN YN NN YN YY NN"
	robots := "NN NN NN NN NN YN YN YN NN YN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/announcements":                      everyone,
		"POST /api/v1/announcements":                     posters,
		"GET /api/v1/announcements/unread":               everyone,
		"GET /api/v1/announcements/stream":               everyone,
		"GET /api/v1/announcements/follow-up":            "N- N- N- Y- Y- Y- Y- Y- N- Y- Y- N-",
		"GET /api/v1/announcements/{id}":                 readers,
		"POST /api/v1/announcements/{id}/read":           readers,
		"POST /api/v1/announcements/{id}/confirm":        readers,
		"POST /api/v1/announcements/{id}/remind":         posters,
		"POST /api/v1/announcements/{id}/withdraw":       posters,
		"GET /api/v1/announcements/{id}/readers":         "NN NN NN YN YN YN YN YN NN YN YY NN",
		"GET /api/v1/announcements/{id}/unread-people":   "NN NN NN YN YN YN YN YN NN YN YY NN",
		"POST /api/v1/announcements/documents":           "N- N- N- N- N- Y- Y- Y- N- Y- Y- N-",
		"GET /api/v1/announcements/{id}/documents/{ref}": readers,
		"GET /api/v1/group-robots":                       robots,
		"POST /api/v1/group-robots":                      robots,
		"DELETE /api/v1/group-robots/{id}":               robots,
		"GET /api/v1/group-robots/{id}/deliveries":       robots,
	} {
		mxExpected[key] = row
	}
	get := func(path string) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest { return mxRequest{method: "GET", path: path} }
	}
	for _, p := range []string{"/api/v1/announcements", "/api/v1/announcements/unread", "/api/v1/announcements/stream", "/api/v1/announcements/follow-up"} {
		mxFixtures["GET "+p] = get(p)
	}
	mxFixtures["POST /api/v1/announcements"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/announcements", map[string]any{"scope": e.chain(away).community, "title": "停水通知", "body": "明日停水。"}}
	}
	onNotice := func(method, step string) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			return mxRequest{method: method, path: fmt.Sprintf("/api/v1/announcements/%d%s", e.notice(away), step)}
		}
	}
	mxFixtures["GET /api/v1/announcements/{id}"] = onNotice("GET", "")
	mxFixtures["POST /api/v1/announcements/{id}/read"] = onNotice("POST", "/read")
	mxFixtures["POST /api/v1/announcements/{id}/confirm"] = onNotice("POST", "/confirm")
	mxFixtures["POST /api/v1/announcements/{id}/remind"] = onNotice("POST", "/remind")
	mxFixtures["POST /api/v1/announcements/{id}/withdraw"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/announcements/%d/withdraw", e.notice(away)), map[string]any{"reason": "时间有误，另行通知"}}
	}
	mxFixtures["GET /api/v1/announcements/{id}/unread-people"] = onNotice("GET", "/unread-people")
	mxFixtures["GET /api/v1/announcements/{id}/readers"] = onNotice("GET", "/readers")
	mxFixtures["POST /api/v1/announcements/documents"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/announcements/documents", string(testpdf.PDF(e.t, "Matrix", 1))}
	}
	mxFixtures["GET /api/v1/announcements/{id}/documents/{ref}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, ref := e.noticeDocument(away)
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/announcements/%d/documents/%s", id, ref)}
	}
	mxFixtures["GET /api/v1/group-robots"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/group-robots?within=" + e.chain(away).community}
	}
	mxFixtures["POST /api/v1/group-robots"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/group-robots", map[string]any{"area_code": e.chain(away).community, "name": "社区工作群",
			"kind": civicgrid.RobotWeCom, "url": "https://hooks.example.org/cgi-bin/webhook/send?key=k"}}
	}
	mxFixtures["DELETE /api/v1/group-robots/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/group-robots/%d", e.robot(away))}
	}
	mxFixtures["GET /api/v1/group-robots/{id}/deliveries"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/group-robots/%d/deliveries", e.robot(away))}
	}
}

// notice stores a fresh notice to everyone of the home or away community,
// asking for confirmation.
func (e *mxEnv) notice(away bool) int64 {
	e.t.Helper()
	n, err := civicgrid.NoticeInput{Scope: e.chain(away).community, Title: "燃气检修", Body: "周六上午入户检修。", NeedConfirm: true}.Check(time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	n.Author = "社*"
	if n, err = e.db.CreateNotice(context.Background(), n); err != nil {
		e.t.Fatal(err)
	}
	return n.ID
}

// noticeDocument stores a PDF and a notice to everyone of the home or
// away community with it attached.
func (e *mxEnv) noticeDocument(away bool) (int64, string) {
	e.t.Helper()
	d, err := e.photos.SaveDocument(bytes.NewReader(testpdf.PDF(e.t, "Gas check on Saturday", 1)))
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := civicgrid.NoticeInput{Scope: e.chain(away).community, Title: "燃气检修", Body: "见附件。",
		Documents: []civicgrid.NoticeDocument{{Ref: d.Ref, Name: "检修安排.pdf"}}}.Check(time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	n.Author, n.Documents[0].Bytes = "社*", d.Bytes
	if n, err = e.db.CreateNotice(context.Background(), n); err != nil {
		e.t.Fatal(err)
	}
	return n.ID, d.Ref
}

// robot stores a work-group robot of the home or away community.
func (e *mxEnv) robot(away bool) int64 {
	e.t.Helper()
	r, err := e.db.CreateRobot(context.Background(), civicgrid.NoticeRobot{AreaCode: e.chain(away).community, Name: "工作群", Kind: civicgrid.RobotWeCom,
		URL: "https://hooks.example.org/x?key=k", CreatedAt: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}
