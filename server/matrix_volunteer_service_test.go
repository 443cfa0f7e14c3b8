package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix row and fixture of a volunteer's full ID number: only the staff
// and secretary of the registration's community (the recording
// organisation) read it, with a reason; the read is logged.
func init() {
	mxExpected["POST /api/v1/volunteer/registrations/{id}/id-number"] = "NN NN NN NN NN YN YN NN NN NN NN NN"
	mxFixtures["POST /api/v1/volunteer/registrations/{id}/id-number"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		e.volunteerProfile(u, e.chain(away).community, civicgrid.ProfileApproved)
		p, err := e.db.VolunteerProfileOf(context.Background(), u.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		p.IDNumber = mxIDNumber(u.ID)
		p.UpdatedAt = time.Now()
		if _, err := e.db.SaveVolunteerProfile(context.Background(), p, true); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/registrations/%d/id-number", u.ID), map[string]string{"reason": "核对服务记录证明"}}
	}
}

// Matrix row and fixture of a donation: anyone logged in gives minutes of
// their own balance (the cell's actor, registered in the home community
// and given an hour) to a resident of their community.
func init() {
	mxExpected["POST /api/v1/volunteer/timebank/donate"] = "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	mxFixtures["POST /api/v1/volunteer/timebank/donate"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		to := e.resident(false)
		if a.user.ID != 0 {
			e.volunteerProfile(a.user, e.home.community, civicgrid.ProfilePending)
			if err := e.db.Transfer(context.Background(), civicgrid.LedgerTransfer{From: civicgrid.IssuerAccount(e.home.community),
				To: civicgrid.MemberAccount(a.user.ID), Minutes: 60, Kind: civicgrid.LedgerGrant, Reason: "test", At: time.Now()}); err != nil {
				e.t.Fatal(err)
			}
		}
		return mxRequest{"POST", "/api/v1/volunteer/timebank/donate", map[string]any{"to_user_id": to.ID, "minutes": 10, "reason": "给母亲"}}
	}
}

// Matrix rows and fixtures of staff's time-bank accounts: the staff who
// adjust (community staff and secretaries, street dispatchers, district
// admins) read the home or away community's accounts and a member's
// statement.
func init() {
	staff := "NN NN NN NN NN YN YN YN NN YN NN NN"
	mxExpected["GET /api/v1/volunteer/timebank/accounts"] = staff
	mxFixtures["GET /api/v1/volunteer/timebank/accounts"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/volunteer/timebank/accounts?community=" + e.chain(away).community}
	}
	mxExpected["GET /api/v1/volunteer/timebank/accounts/{id}"] = staff
	mxFixtures["GET /api/v1/volunteer/timebank/accounts/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		u := e.resident(away)
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/volunteer/timebank/accounts/%d?community=%s", u.ID, e.chain(away).community)}
	}
}

// Matrix rows and fixtures of leaving a team and changing its captain:
// the cell's actor (an accepted member of a home team) leaves; staff of
// the team's community name an accepted member captain.
func init() {
	mxExpected["POST /api/v1/volunteer/teams/{id}/leave"] = "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	mxFixtures["POST /api/v1/volunteer/teams/{id}/leave"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		t := e.team(false)
		if a.user.ID != 0 {
			e.teamMember(t.ID, a.user.ID)
		}
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/volunteer/teams/%d/leave", t.ID)}
	}
	mxExpected["POST /api/v1/volunteer/teams/{id}/captain"] = "NN NN NN NN NN YN YN YN NN YN NN NN"
	mxFixtures["POST /api/v1/volunteer/teams/{id}/captain"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		t := e.team(away)
		u := e.resident(away)
		e.volunteerProfile(u, e.chain(away).community, civicgrid.ProfileApproved)
		e.teamMember(t.ID, u.ID)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/volunteer/teams/%d/captain", t.ID), map[string]int64{"user_id": u.ID}}
	}
}

// teamMember makes a person an accepted member of a team, in the store.
func (e *mxEnv) teamMember(teamID, userID int64) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.RequestTeamMembership(ctx, civicgrid.TeamMember{TeamID: teamID, UserID: userID, Name: "测*", At: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.AcceptTeamMember(ctx, teamID, userID, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// mxIDNumber is a valid ID number unique to a user id.
func mxIDNumber(id int64) string {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(id%20000))
	d17 := "110105" + birth.Format("20060102") + fmt.Sprintf("%03d", id%1000)
	return d17 + string(civicgrid.IDCheckChar(d17))
}
