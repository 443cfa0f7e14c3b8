package server_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testpdf"
)

// Matrix rows and fixtures of the meeting routes (议事会). Staff of the
// scope schedule, tick attendance and publish minutes; anyone on the
// meeting's roll signs in with the door code. The fixture meeting, in the
// home or away community, invites every participant role, so the actors
// whose grant lies inside the community are on its roll and those above
// it (the reporter's street, street, district, city) are not.
func init() {
	everyone := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	readers := "YN YN YN YN YN YN YN YN YN YN YY YN"
	staff := "NN NN NN NN NN YN YN YN NN YN YY NN"
	for key, row := range map[string]string{
		"GET /api/v1/meetings":                  everyone,
		"POST /api/v1/meetings":                 staff,
		"GET /api/v1/meetings/{id}":             readers,
		"POST /api/v1/meetings/{id}/signin":     "YN NN YN YN YN YN YN NN NN NN NN NN",
		"POST /api/v1/meetings/{id}/attendance": staff,
		"POST /api/v1/meetings/{id}/minutes":    staff,
		// Rescheduling, cancelling, documents (cogov_meeting.go): staff run
		// them; whoever reads the meeting downloads its documents.
		"POST /api/v1/meetings/{id}/reschedule":     staff,
		"POST /api/v1/meetings/{id}/cancel":         staff,
		"POST /api/v1/meetings/{id}/documents":      staff,
		"GET /api/v1/meetings/{id}/documents/{ref}": readers,
	} {
		mxExpected[key] = row
	}
	mxFixtures["GET /api/v1/meetings"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/meetings"}
	}
	mxFixtures["POST /api/v1/meetings"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		e.resident(away) // the roll is never empty
		return mxRequest{"POST", "/api/v1/meetings", map[string]any{"area_code": e.chain(away).community, "title": "三月议事会",
			"place": "社区活动室", "starts_at": time.Now().Add(24 * time.Hour), "agenda": []int64{e.agendaProposal(away)}}}
	}
	mxFixtures["GET /api/v1/meetings/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/meetings/%d", id)}
	}
	mxFixtures["POST /api/v1/meetings/{id}/signin"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, code := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/signin", id), map[string]string{"code": code}}
	}
	mxFixtures["POST /api/v1/meetings/{id}/attendance"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/attendance", id), map[string]int64{"user_id": e.invitee.ID}}
	}
	mxFixtures["POST /api/v1/meetings/{id}/minutes"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/minutes", id), map[string]any{"minutes": "同意",
			"items": []map[string]any{{"proposal_id": e.meetingProposal, "decision": "adopted"}}}}
	}
	mxFixtures["POST /api/v1/meetings/{id}/reschedule"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/reschedule", id), map[string]any{"place": "居委会二楼", "reason": "活动室维修"}}
	}
	mxFixtures["POST /api/v1/meetings/{id}/cancel"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/cancel", id), map[string]any{"reason": "议题已解决"}}
	}
	mxFixtures["POST /api/v1/meetings/{id}/documents"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		return mxRequest{"POST", fmt.Sprintf("/api/v1/meetings/%d/documents?name=plan.pdf", id), string(testpdf.PDF(e.t, "Matrix", 1))}
	}
	mxFixtures["GET /api/v1/meetings/{id}/documents/{ref}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		id, _ := e.meeting(away)
		d, err := e.photos.SaveDocument(bytes.NewReader(testpdf.PDF(e.t, "Matrix", 1)))
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.db.AddMeetingDocument(context.Background(), id, civicgrid.NoticeDocument{Ref: d.Ref, Name: "plan.pdf", Bytes: d.Bytes}, 6,
			civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovMeetingDocument}); err != nil {
			e.t.Fatal(err)
		}
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/meetings/%d/documents/%s", id, d.Ref)}
	}
	mxFixtures["GET /api/v1/notices/meetings"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/notices/meetings?area=" + e.chain(away).community}
	}
}

// agendaProposal stores a proposal on the agenda of the home or away
// community and returns its id.
func (e *mxEnv) agendaProposal(away bool) int64 {
	e.t.Helper()
	id := e.proposal(away)
	if _, err := e.db.SetProposalStatus(context.Background(), id, civicgrid.ProposalOpen, civicgrid.ProposalAgenda, "",
		civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovOnAgenda}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// meeting schedules a meeting in the home or away community inviting every
// participant role, with a fresh resident (e.invitee) on its roll, and
// returns its id and door code.
func (e *mxEnv) meeting(away bool) (int64, string) {
	e.t.Helper()
	e.invitee = e.resident(away)
	e.meetingProposal = e.agendaProposal(away)
	m, err := civicgrid.MeetingInput{AreaCode: e.chain(away).community, Title: "议事会", Place: "活动室", StartsAt: time.Now(),
		Agenda: []int64{e.meetingProposal}, InvitedRoles: []string{civicgrid.RoleResident, civicgrid.RoleReporter, civicgrid.RoleVolunteer,
			civicgrid.RoleGridWorker, civicgrid.RoleBuilding, civicgrid.RoleCommunityStaff, civicgrid.RoleCommunitySecretary,
			civicgrid.RoleStreetDispatcher, civicgrid.RoleDepartmentHandler, civicgrid.RoleDistrictAdmin, civicgrid.RoleCityAdmin}}.Check(time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	m.Code = "246810"
	if m, err = e.db.CreateMeeting(context.Background(), m, civicgrid.CogovEvent{At: time.Now(), Actor: "cli", Action: civicgrid.CogovMeetingScheduled}); err != nil {
		e.t.Fatal(err)
	}
	return m.ID, m.Code
}
