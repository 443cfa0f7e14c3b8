package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the volunteer routes. Residents ask at their
// building, grid workers, building roles and staff in their area; staff
// verify; volunteers claim where their grant covers the building; the
// serving steps are the volunteer's who took the request (the cell's actor
// at home, someone else away); confirming and cancelling are the poster's
// (the cell's actor at home, someone else away) or staff's. A request the
// caller may not read is "not found".
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	own := "YN YN YN YN YN YN YN YN YN YN YN YN"
	staff := "NN NN NN NN NN YN YN YN NN YN NN NN"
	for key, row := range map[string]string{
		"GET /api/v1/volunteer/services":                         everyone,
		"POST /api/v1/volunteer/requests":                        "YN NN NN YN YN YN YN YN NN YN NN NN",
		"GET /api/v1/volunteer/requests/mine":                    everyone,
		"GET /api/v1/volunteer/requests/open":                    everyone,
		"GET /api/v1/volunteer/requests/pending":                 everyone,
		"GET /api/v1/volunteer/requests/waiting":                 everyone,
		"POST /api/v1/volunteer/requests/{id}/invite":            staff,
		"GET /api/v1/volunteer/invitations":                      everyone,
		"POST /api/v1/volunteer/invitations/{id}/accept":         "NN NN YN NN NN NN NN NN NN NN NN NN",
		"POST /api/v1/volunteer/invitations/{id}/decline":        own,
		"GET /api/v1/volunteer/requests/{id}":                    "NN NN YN NN NN YN YN YN NN YN NN NN",
		"POST /api/v1/volunteer/requests/{id}/verify":            staff,
		"POST /api/v1/volunteer/requests/{id}/claim":             "NN NN YN NN NN NN NN NN NN NN NN NN",
		"POST /api/v1/volunteer/requests/{id}/release":           own,
		"POST /api/v1/volunteer/requests/{id}/sign-in":           own,
		"POST /api/v1/volunteer/requests/{id}/sign-out":          own,
		"POST /api/v1/volunteer/requests/{id}/confirm":           own,
		"POST /api/v1/volunteer/requests/{id}/cancel":            own,
		"GET /api/v1/volunteer/hours":                            "N- N- Y- N- N- N- N- N- N- N- N- N-",
		"GET /api/v1/volunteer/timebank/statement":               everyone,
		"GET /api/v1/volunteer/timebank/entries":                 everyone,
		"POST /api/v1/volunteer/timebank/adjust":                 staff,
		"GET /api/v1/volunteer/certificates":                     "N- N- Y- N- N- N- N- N- N- N- N- N-",
		"POST /api/v1/volunteer/certificates":                    "N- N- Y- N- N- N- N- N- N- N- N- N-",
		"GET /api/v1/volunteer/certificates/{id}":                "NN NN YN NN NN YN YN YN NN YN NN NN",
		"GET /api/v1/volunteer/certificates/issued":              "N- N- N- N- N- Y- Y- Y- N- Y- N- N-",
		"POST /api/v1/volunteer/certificates/{id}/revoke":        staff,
		"POST /api/v1/volunteer/registrations/{id}/certificates": staff,
		"GET /api/v1/volunteer/profile":                          everyone,
		"PUT /api/v1/volunteer/profile":                          everyone,
		"GET /api/v1/volunteer/registrations":                    everyone,
		"POST /api/v1/volunteer/registrations/{id}/decide":       staff,
		"GET /api/v1/volunteer/teams":                            everyone,
		"POST /api/v1/volunteer/teams":                           staff,
		"GET /api/v1/volunteer/teams/{id}":                       "YY YY YY YY YY YY YY YY YY YY YY YY",
		"POST /api/v1/volunteer/teams/{id}/join":                 own,
		"POST /api/v1/volunteer/teams/{id}/accept":               staff,
		"GET /api/v1/volunteer/points":                           everyone,
		"POST /api/v1/volunteer/points":                          staff,
		"GET /api/v1/volunteer/indicators":                       "NN NN NN YN NN YN YN YN NN YN YY YN",
		"GET /api/v1/volunteer/requests/stream":                  "N- N- Y- N- N- N- N- N- N- N- N- N-",
	} {
		mxExpected[key] = row
	}
	get := func(path string) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest { return mxRequest{method: "GET", path: path} }
	}
	for _, p := range []string{"/api/v1/volunteer/services", "/api/v1/volunteer/requests/mine", "/api/v1/volunteer/requests/open",
		"/api/v1/volunteer/requests/pending", "/api/v1/volunteer/requests/waiting", "/api/v1/volunteer/hours", "/api/v1/volunteer/timebank/statement",
		"/api/v1/volunteer/timebank/entries"} {
		mxFixtures["GET "+p] = get(p)
	}
	mxFixtures["GET /api/v1/volunteer/invitations"] = get("/api/v1/volunteer/invitations")
	mxFixtures["GET /api/v1/volunteer/requests/stream"] = get("/api/v1/volunteer/requests/stream")
	mxFixtures["GET /api/v1/volunteer/indicators"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/volunteer/indicators?scope=" + e.chain(away).grid}
	}
	// An approved volunteer of the home or away community, invited to an
	// open request there.
	mxFixtures["POST /api/v1/volunteer/requests/{id}/invite"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		v := e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleVolunteer, AreaCode: e.chain(away).community})
		e.volunteerProfile(v, e.chain(away).community, civicgrid.ProfileApproved)
		id := e.helpRequest(away, 0, 0, civicgrid.HelpAccepted)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/invite", id), map[string]int64{"user_id": v.ID}}
	}
	// An invitation of the cell's actor (at home, approved) or of someone
	// else (away) to an open request.
	mxFixtures["POST /api/v1/volunteer/invitations/{id}/accept"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/volunteer/invitations/%d/accept", e.invitation(a, away))}
	}
	mxFixtures["POST /api/v1/volunteer/invitations/{id}/decline"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/invitations/%d/decline", e.invitation(a, away)), map[string]string{"reason": "这周不在"}}
	}
	mxFixtures["GET /api/v1/volunteer/certificates"] = get("/api/v1/volunteer/certificates")
	mxFixtures["GET /api/v1/volunteer/registrations"] = get("/api/v1/volunteer/registrations")
	mxFixtures["GET /api/v1/volunteer/points"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/volunteer/points?area=" + e.home.community}
	}
	mxFixtures["POST /api/v1/volunteer/points"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		p := e.buildingPoint(away)
		return mxRequest{"POST", "/api/v1/volunteer/points", map[string]any{"community_code": e.chain(away).community, "name": "骑手驿站",
			"lat": p[1], "lng": p[0], "hours": "每天 8:00–20:00", "offers": "饮水、充电、休息"}}
	}
	mxFixtures["GET /api/v1/volunteer/teams"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/volunteer/teams?area=" + e.home.community}
	}
	// A team of the home or away community, its captain an approved volunteer there.
	mxFixtures["POST /api/v1/volunteer/teams"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		captain := e.resident(away)
		e.volunteerProfile(captain, e.chain(away).community, civicgrid.ProfileApproved)
		return mxRequest{"POST", "/api/v1/volunteer/teams", map[string]any{"kind": "riders", "name": fmt.Sprintf("骑手队%d", captain.ID),
			"community_code": e.chain(away).community, "captain_id": captain.ID}}
	}
	mxFixtures["GET /api/v1/volunteer/teams/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/volunteer/teams/%d", e.team(away).ID)}
	}
	// The cell's actor is an approved volunteer of the home community: a
	// home team takes them, an away one does not.
	mxFixtures["POST /api/v1/volunteer/teams/{id}/join"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		if a.user.ID != 0 {
			e.volunteerProfile(a.user, e.home.community, civicgrid.ProfileApproved)
		}
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/volunteer/teams/%d/join", e.team(away).ID)}
	}
	// A fresh volunteer of the team's community waits to be accepted.
	mxFixtures["POST /api/v1/volunteer/teams/{id}/accept"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		t := e.team(away)
		u := e.resident(away)
		if err := e.db.RequestTeamMembership(context.Background(), civicgrid.TeamMember{TeamID: t.ID, UserID: u.ID, Name: "测*", At: time.Now()}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/teams/%d/accept", t.ID), map[string]int64{"user_id": u.ID}}
	}
	// The cell's actor has registered (so reading it is not "not found").
	mxFixtures["GET /api/v1/volunteer/profile"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		if a.user.ID != 0 {
			e.volunteerProfile(a.user, e.home.community, civicgrid.ProfilePending)
		}
		return mxRequest{method: "GET", path: "/api/v1/volunteer/profile"}
	}
	mxFixtures["PUT /api/v1/volunteer/profile"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"PUT", "/api/v1/volunteer/profile", map[string]any{"community_code": e.home.community, "skills": []string{"driver"}}}
	}
	// A fresh resident of the home or away community waits for approval.
	mxFixtures["POST /api/v1/volunteer/registrations/{id}/decide"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		e.volunteerProfile(u, e.chain(away).community, civicgrid.ProfilePending)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/registrations/%d/decide", u.ID), map[string]string{"decision": "approve"}}
	}
	// The cell's actor served one confirmed request this month.
	mxFixtures["POST /api/v1/volunteer/certificates"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		if a.user.ID != 0 {
			e.helpRequest(false, 0, a.user.ID, civicgrid.HelpConfirmed)
		}
		month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
		return mxRequest{"POST", "/api/v1/volunteer/certificates", map[string]string{"from": month, "to": month}}
	}
	// A certificate of the cell's actor (at home) or of someone else (away).
	mxFixtures["GET /api/v1/volunteer/certificates/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		holder := a.user.ID
		if away || holder == 0 {
			holder = e.resident(away).ID
		}
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/volunteer/certificates/%d", e.certificate(holder, away).ID)}
	}
	mxFixtures["GET /api/v1/volunteer/certificates/issued"] = get("/api/v1/volunteer/certificates/issued")
	// A certificate issued by the home or away community.
	mxFixtures["POST /api/v1/volunteer/certificates/{id}/revoke"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		c := e.certificate(e.resident(away).ID, away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/certificates/%d/revoke", c.ID), map[string]string{"reason": "记录有误"}}
	}
	// A volunteer with a confirmed service recorded in the home or away
	// community last month.
	mxFixtures["POST /api/v1/volunteer/registrations/{id}/certificates"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		v := e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleVolunteer, AreaCode: e.chain(away).community})
		e.volunteerProfile(v, e.chain(away).community, civicgrid.ProfileApproved)
		e.helpRequest(away, 0, v.ID, civicgrid.HelpConfirmed)
		month := time.Now().Format("2006-01")
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/registrations/%d/certificates", v.ID), map[string]string{"from": month, "to": month}}
	}
	mxFixtures["POST /api/v1/volunteer/requests"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/volunteer/requests", map[string]string{"service": "shopping", "building_code": e.chain(away).building}}
	}
	// A grant to a resident of the home or away community, from its issuing account.
	mxFixtures["POST /api/v1/volunteer/timebank/adjust"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/volunteer/timebank/adjust", map[string]any{"user_id": e.resident(away).ID,
			"community_code": e.chain(away).community, "minutes": 30, "reason": "敬老节奖励"}}
	}
	mxFixtures["GET /api/v1/volunteer/requests/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/volunteer/requests/%d", e.helpRequest(away, 0, 0, civicgrid.HelpAccepted))}
	}
	step := func(name string, status civicgrid.HelpStatus, actorServes, actorPosted bool, body func(e *mxEnv, away bool) any) mxFixture {
		return func(e *mxEnv, a mxActor, away bool) mxRequest {
			var poster, vol int64
			if actorPosted && !away {
				poster = a.user.ID
			}
			if actorServes && !away {
				vol = a.user.ID
			}
			id := e.helpRequest(away, poster, vol, status)
			return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/%s", id, name), body(e, away)}
		}
	}
	none := func(*mxEnv, bool) any { return nil }
	reason := func(*mxEnv, bool) any { return map[string]string{"reason": "临时有事"} }
	place := func(e *mxEnv, away bool) any {
		p := e.buildingPoint(away)
		return map[string]float64{"lat": p[1], "lng": p[0]}
	}
	mxFixtures["POST /api/v1/volunteer/requests/{id}/verify"] = step("verify", civicgrid.HelpPosted, false, false,
		func(*mxEnv, bool) any { return map[string]string{"decision": "accept"} })
	claim := step("claim", civicgrid.HelpAccepted, false, false, none)
	mxFixtures["POST /api/v1/volunteer/requests/{id}/claim"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		if a.user.ID != 0 { // only approved volunteers claim: every cell's actor is approved
			e.volunteerProfile(a.user, e.home.community, civicgrid.ProfileApproved)
		}
		return claim(e, a, away)
	}
	mxFixtures["POST /api/v1/volunteer/requests/{id}/release"] = step("release", civicgrid.HelpClaimed, true, false, reason)
	mxFixtures["POST /api/v1/volunteer/requests/{id}/sign-in"] = step("sign-in", civicgrid.HelpClaimed, true, false, place)
	mxFixtures["POST /api/v1/volunteer/requests/{id}/sign-out"] = step("sign-out", civicgrid.HelpInService, true, false, place)
	mxFixtures["POST /api/v1/volunteer/requests/{id}/confirm"] = step("confirm", civicgrid.HelpDone, false, true,
		func(*mxEnv, bool) any { return map[string]int{"rating": 5} })
	mxFixtures["POST /api/v1/volunteer/requests/{id}/cancel"] = step("cancel", civicgrid.HelpPosted, false, true, reason)
}

// invitation invites the cell's actor (at home; approved as a volunteer of
// the home community) or a fresh resident (away) to an open request of the
// home or away building, straight in the store.
func (e *mxEnv) invitation(a mxActor, away bool) int64 {
	e.t.Helper()
	to := a.user
	if away || to.ID == 0 {
		to = e.resident(away)
	} else {
		e.volunteerProfile(to, e.home.community, civicgrid.ProfileApproved)
	}
	staff := e.resident(away)
	inv, err := e.db.InviteHelp(context.Background(), civicgrid.HelpInvitation{RequestID: e.helpRequest(away, 0, 0, civicgrid.HelpAccepted),
		VolunteerID: to.ID, Volunteer: "测*", InvitedByID: staff.ID, InvitedBy: "测*"},
		civicgrid.VolunteerEvent{At: time.Now(), ActorID: staff.ID, Actor: "测*", Action: civicgrid.HelpActInvited})
	if err != nil {
		e.t.Fatal(err)
	}
	return inv.ID
}

// team forms a fresh team of the home or away community.
func (e *mxEnv) team(away bool) civicgrid.Team {
	e.t.Helper()
	captain := e.resident(away)
	t, err := e.db.CreateTeam(context.Background(), civicgrid.Team{Kind: civicgrid.TeamRiders, Name: fmt.Sprintf("骑手队%d", captain.ID),
		Community: e.chain(away).community, CaptainID: captain.ID, CreatedAt: time.Now()}, "测*")
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// volunteerProfile gives u a registration in community, in status.
func (e *mxEnv) volunteerProfile(u civicgrid.User, community string, status civicgrid.ProfileStatus) {
	e.t.Helper()
	ctx, now := context.Background(), time.Now()
	if p, err := e.db.VolunteerProfileOf(ctx, u.ID); err == nil && p.Status == status && p.Community == community {
		return
	}
	if _, err := e.db.SaveVolunteerProfile(ctx, civicgrid.VolunteerProfile{UserID: u.ID, Name: u.Name, Community: community,
		CreatedAt: now, UpdatedAt: now}, false); err != nil {
		e.t.Fatal(err)
	}
	if status != civicgrid.ProfilePending {
		if _, err := e.db.DecideVolunteerProfile(ctx, u.ID, status, "test", 0, "test", now); err != nil {
			e.t.Fatal(err)
		}
	}
}

// buildingPoint is where the home or away building stands.
func (e *mxEnv) buildingPoint(away bool) orb.Point {
	e.t.Helper()
	a, err := e.db.AreaByCode(context.Background(), e.chain(away).building)
	if err != nil || a.Geometry == nil {
		e.t.Fatalf("building %s: %v (no location)", e.chain(away).building, err)
	}
	if p, ok := a.Geometry.(orb.Point); ok {
		return p
	}
	return a.Geometry.Bound().Center()
}

// helpRequest stores a request at the home or away building, posted by
// poster (a fresh resident when 0), brought to status through the store's
// own steps with volunteer (a fresh volunteer when 0) serving it.
func (e *mxEnv) helpRequest(away bool, poster, volunteer int64, status civicgrid.HelpStatus) int64 {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now()
	if poster == 0 {
		poster = e.resident(away).ID
	}
	r, err := civicgrid.HelpInput{Service: "shopping", BuildingCode: e.chain(away).building, Address: "1单元101"}.Check(now)
	if err != nil {
		e.t.Fatal(err)
	}
	r.PosterID, r.Poster = poster, "测*"
	ev := func(action string) civicgrid.VolunteerEvent {
		return civicgrid.VolunteerEvent{At: now, Actor: "cli", Action: action}
	}
	if r, err = e.db.CreateHelpRequest(ctx, r, ev(civicgrid.HelpActPosted)); err != nil {
		e.t.Fatal(err)
	}
	if volunteer == 0 {
		volunteer = e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleVolunteer, AreaCode: e.chain(away).community}).ID
	}
	steps := []struct {
		step civicgrid.HelpStep
		c    civicgrid.HelpChange
	}{
		{civicgrid.StepAccept, civicgrid.HelpChange{}},
		{civicgrid.StepClaim, civicgrid.HelpChange{Claimer: volunteer, ClaimerLabel: "测*"}},
		{civicgrid.StepSignIn, civicgrid.HelpChange{Volunteer: volunteer, SignInAt: now}},
		{civicgrid.StepSignOut, civicgrid.HelpChange{Volunteer: volunteer, SignOutAt: now, Minutes: 15}},
		{civicgrid.StepConfirm, civicgrid.HelpChange{Rating: 5}},
	}
	for _, s := range steps {
		if r.Status == status {
			break
		}
		if r, err = e.db.StepHelp(ctx, r.ID, s.step, s.c, ev(s.step.Action)); err != nil {
			e.t.Fatal(err)
		}
	}
	if r.Status != status {
		e.t.Fatalf("request in %s, want %s", r.Status, status)
	}
	return r.ID
}

// certificate stores a certificate of holder issued by the home or away
// community, with its issue event.
func (e *mxEnv) certificate(holder int64, away bool) civicgrid.VolunteerCertificate {
	e.t.Helper()
	now := time.Now()
	c, err := e.db.SaveCertificate(context.Background(), civicgrid.VolunteerCertificate{Code: civicgrid.ReadableCode(civicgrid.CertificateCodeLength),
		UserID: holder, Name: "李四", Community: e.chain(away).community, Issuer: "测试社区", From: now.AddDate(0, -1, 0), To: now,
		Minutes: 90, Services: 1, IssuedAt: now, Records: []civicgrid.CertificateRecord{{RequestID: 1, Date: now.Format("2006-01-02"), Service: "shopping", Minutes: 90}}},
		civicgrid.CertificateEvent{At: now, Actor: "cli"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}
