package server_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the lecture routes. The people of a scope
// (as in co-governance: one's area within the lecture's, or the lecture's
// within one's) read and join its lectures; co-governance's staff run
// them; the calendar feed is public. Each cell gets a lecture of its own
// in the home or away community, starting in half an hour (the door is
// open), with the cell's actor signed up where the route needs it.
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	for key, row := range map[string]string{
		//                                          res rep vol gw  bld cs  sec sd  dh  da  ca  aud
		"GET /api/v1/lectures":                     everyone,
		"GET /api/v1/lectures/mine":                everyone,
		"GET /api/v1/lectures/stats":               "NN NN NN NN NN YN YN YN NN YN YY YN",
		"GET /api/v1/lectures/stats/teams":         "NN NN NN NN NN YN YN YN NN YN YY YN",
		"POST /api/v1/lectures":                    "NN NN NN NN NN YN YN YN NN YN YY NN",
		"GET /api/v1/lectures/{id}":                "YN YN YN YN YN YN YN YN YN YN YY YN",
		"POST /api/v1/lectures/{id}/cancel":        "NN NN NN NN NN YN YN YN NN YN YY NN",
		"GET /api/v1/lectures/{id}/signups":        "NN NN NN NN NN YN YN YN NN YN YY NN",
		"POST /api/v1/lectures/{id}/check-in":      "NN NN NN NN NN YN YN YN NN YN YY NN",
		"GET /api/v1/lectures/{id}/door.png":       "NN NN NN NN NN YN YN YN NN YN YY NN",
		"POST /api/v1/lectures/{id}/signup":        "YN YN YN YN YN YN YN YN YN YN YY NN",
		"GET /api/v1/lectures/{id}/signup":         "YN YN YN YN YN YN YN YN YN YN YY NN",
		"DELETE /api/v1/lectures/{id}/signup":      "YN YN YN YN YN YN YN YN YN YN YY NN",
		"GET /api/v1/lectures/{id}/ticket.png":     "YN YN YN YN YN YN YN YN YN YN YY NN",
		"POST /api/v1/lectures/{id}/self-check-in": "YN YN YN YN YN YN YN YN YN YN YY NN",
		"POST /api/v1/lectures/{id}/feedback":      "YN YN YN YN YN YN YN YN YN YN YY NN",
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/lectures"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/lectures"}
	}
	mxFixtures["GET /api/v1/lectures/mine"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/lectures/mine"}
	}
	mxFixtures["GET /api/v1/lectures/stats"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/lectures/stats?from=2026-01&to=2027-01&area=" + e.chain(away).community}
	}
	mxFixtures["GET /api/v1/lectures/stats/teams"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/lectures/stats/teams?from=2026-01&to=2027-01&area=" + e.chain(away).community}
	}
	mxFixtures["POST /api/v1/lectures"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/lectures", map[string]any{"title": "垃圾分类宣讲", "area_code": e.chain(away).community, "place": "社区活动室",
			"starts_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339), "capacity": 30}}
	}
	// on makes a request on a fresh lecture; signed up and checked in say
	// what the cell's actor has done at it already.
	on := func(method, suffix string, signedUp, checkedIn bool, body func(e *mxEnv, l civicgrid.Lecture, ticket string) any) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			l := e.lecture(away)
			ticket := ""
			if signedUp && a.user.ID != 0 { // 0: the anonymous probe
				ticket = e.lectureSignup(l.ID, a.user.ID, checkedIn)
			}
			var b any
			if body != nil {
				b = body(e, l, ticket)
			}
			return mxRequest{method, fmt.Sprintf("/api/v1/lectures/%d%s", l.ID, suffix), b}
		}
	}
	mxFixtures["GET /api/v1/lectures/{id}"] = on("GET", "", false, false, nil)
	mxFixtures["POST /api/v1/lectures/{id}/cancel"] = on("POST", "/cancel", false, false, nil)
	mxFixtures["GET /api/v1/lectures/{id}/signups"] = on("GET", "/signups", false, false, nil)
	mxFixtures["GET /api/v1/lectures/{id}/door.png"] = on("GET", "/door.png", false, false, nil)
	mxFixtures["POST /api/v1/lectures/{id}/check-in"] = on("POST", "/check-in", false, false, func(e *mxEnv, l civicgrid.Lecture, _ string) any {
		return map[string]string{"ticket": e.lectureSignup(l.ID, e.resident(l.AreaCode == e.away.community).ID, false)}
	})
	mxFixtures["POST /api/v1/lectures/{id}/signup"] = on("POST", "/signup", false, false, nil)
	mxFixtures["GET /api/v1/lectures/{id}/signup"] = on("GET", "/signup", true, false, nil)
	mxFixtures["DELETE /api/v1/lectures/{id}/signup"] = on("DELETE", "/signup", true, false, nil)
	mxFixtures["GET /api/v1/lectures/{id}/ticket.png"] = on("GET", "/ticket.png", true, false, nil)
	mxFixtures["POST /api/v1/lectures/{id}/self-check-in"] = on("POST", "/self-check-in", true, false, func(e *mxEnv, l civicgrid.Lecture, _ string) any {
		return map[string]string{"code": l.CheckInCode}
	})
	mxFixtures["POST /api/v1/lectures/{id}/feedback"] = on("POST", "/feedback", true, true, func(*mxEnv, civicgrid.Lecture, string) any {
		return map[string]any{"rating": 5, "comment": "讲得好"}
	})
}

var mxTickets atomic.Int64

// lecture stores a lecture in the home or away community, starting in half
// an hour, with room for everyone.
func (e *mxEnv) lecture(away bool) civicgrid.Lecture {
	e.t.Helper()
	now := time.Now()
	l, err := civicgrid.LectureInput{Title: "反诈宣讲", AreaCode: e.chain(away).community, Place: "社区活动室",
		StartsAt: now.Add(30 * time.Minute), Capacity: 100}.Check(now)
	if err != nil {
		e.t.Fatal(err)
	}
	l.CreatedBy = e.resident(away).ID
	l.CheckInCode = "DOOR" + strconv.FormatInt(mxTickets.Add(1), 10)
	if l, err = e.db.CreateLecture(context.Background(), l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// lectureSignup signs a person up at the store (checked in if asked) and
// returns their ticket.
func (e *mxEnv) lectureSignup(lectureID, userID int64, checkedIn bool) string {
	e.t.Helper()
	ticket := "T" + strconv.FormatInt(mxTickets.Add(1), 10)
	su, err := e.db.SignUp(context.Background(), lectureID, userID, "测*", ticket, time.Now())
	if err == nil && checkedIn {
		_, err = e.db.CheckIn(context.Background(), su.ID, time.Now(), "staff")
	}
	if err != nil {
		e.t.Fatalf("sign user %d up for lecture %d: %v", userID, lectureID, err)
	}
	return ticket
}
