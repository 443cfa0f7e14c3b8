package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// actorAt logs in a fresh person holding role over area.
func (e *mxEnv) actorAt(role, area string) mxActor {
	e.t.Helper()
	u := e.newUser(civicgrid.RoleGrant{Role: role, AreaCode: area})
	secret, sess, err := e.db.CreateSession(context.Background(), civicgrid.Session{UserID: u.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		e.t.Fatal(err)
	}
	return mxActor{user: u, cookie: secret, csrf: sess.CSRFToken}
}

// A courtyard over the API: its staff make it (bad input refused, nothing
// written); a proposal and a vote of the courtyard admit the people of its
// buildings and refuse a neighbour of another building of the same
// community, and a person whose grant is revoked.
func TestCourtyardOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	staff := e.actorAt(civicgrid.RoleCommunityStaff, e.home.community)
	inside := e.actorAt(civicgrid.RoleResident, e.home.building)
	inside2 := e.actorAt(civicgrid.RoleResident, e.home.building)
	revoked := e.actorAt(civicgrid.RoleResident, e.home.building)
	outside := e.actorAt(civicgrid.RoleResident, e.home.grid+"9998") // another building of the community
	send := func(a mxActor, method, path string, body any, want int) map[string]json.RawMessage {
		t.Helper()
		st, out := e.send(&a, mxRequest{method, path, body})
		if st != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, out)
		}
		var m map[string]json.RawMessage
		json.Unmarshal([]byte(out), &m)
		return m
	}
	yard := map[string]any{"community": e.home.community, "name": "幸福里", "buildings": []string{e.home.building}}
	send(inside, "POST", "/api/v1/courtyards", yard, http.StatusForbidden)
	send(staff, "POST", "/api/v1/courtyards", map[string]any{"community": e.home.community, "name": "甲", "buildings": []string{e.away.building}},
		http.StatusBadRequest)
	var c civicgrid.Courtyard
	json.Unmarshal(send(staff, "POST", "/api/v1/courtyards", yard, http.StatusCreated)["courtyard"], &c)
	if c.ID == 0 || len(c.Buildings) != 1 {
		t.Fatalf("courtyard %+v", c)
	}
	send(staff, "POST", "/api/v1/courtyards", map[string]any{"community": e.home.community, "name": "乙", "buildings": []string{e.home.building}},
		http.StatusBadRequest) // the building is in 幸福里 already
	if m := send(inside, "GET", "/api/v1/courtyards?community="+e.home.community, nil, http.StatusOK); len(m["courtyards"]) < 10 {
		t.Fatalf("list %s", m["courtyards"])
	}
	var cs []civicgrid.Courtyard
	json.Unmarshal(send(inside, "GET", "/api/v1/courtyards", nil, http.StatusOK)["courtyards"], &cs)
	if len(cs) != 1 {
		t.Fatalf("refused courtyards were stored: %+v", cs)
	}

	send(outside, "POST", "/api/v1/proposals", map[string]any{"courtyard_id": c.ID, "title": "院内停车"}, http.StatusForbidden)
	var p civicgrid.Proposal
	json.Unmarshal(send(inside, "POST", "/api/v1/proposals", map[string]any{"courtyard_id": c.ID, "title": "院内停车"}, http.StatusCreated)["proposal"], &p)
	path := fmt.Sprintf("/api/v1/proposals/%d", p.ID)
	if p.CourtyardID != c.ID || p.AreaCode != e.home.community {
		t.Fatalf("proposal %+v", p)
	}
	send(outside, "GET", path, nil, http.StatusNotFound)
	send(outside, "POST", path+"/support", nil, http.StatusNotFound)
	send(inside2, "GET", path, nil, http.StatusOK)
	send(revoked, "GET", path, nil, http.StatusOK)
	send(staff, "POST", path+"/moderate", map[string]string{"decision": "accept"}, http.StatusOK)
	var v civicgrid.Vote
	json.Unmarshal(send(staff, "POST", "/api/v1/votes", map[string]any{"proposal_id": p.ID, "method": "yes_no", "hours": 24}, http.StatusCreated)["vote"], &v)
	if v.CourtyardID != c.ID || v.RollSize != 3 {
		t.Fatalf("courtyard vote %+v (roll: the three of its building)", v)
	}
	vpath := fmt.Sprintf("/api/v1/votes/%d", v.ID)
	send(outside, "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusNotFound)
	if err := e.db.RevokeGrant(context.Background(), revoked.user.ID, revoked.user.Grants[0].ID, civicgrid.SecurityEvent{}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []mxRequest{{"GET", path, nil}, {"POST", vpath + "/ballot", map[string]any{"choices": []string{"yes"}}},
		{"GET", fmt.Sprintf("/api/v1/courtyards/%d", c.ID), nil}} {
		if st, body := e.send(&revoked, req); st != http.StatusForbidden && st != http.StatusNotFound {
			t.Fatalf("%s %s after the grant was revoked: %d %s", req.method, req.path, st, body)
		}
	}
	send(inside, "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusCreated)
	// Merging over the API: a proposal of the courtyard into a wider one of the community.
	var p3, p4 civicgrid.Proposal
	json.Unmarshal(send(inside2, "POST", "/api/v1/proposals", map[string]any{"area_code": e.home.community, "title": "社区充电桩"}, http.StatusCreated)["proposal"], &p3)
	json.Unmarshal(send(inside, "POST", "/api/v1/proposals", map[string]any{"courtyard_id": c.ID, "title": "院内充电桩"}, http.StatusCreated)["proposal"], &p4)
	mpath := fmt.Sprintf("/api/v1/proposals/%d/moderate", p4.ID)
	send(staff, "POST", mpath, map[string]any{"decision": "merge", "into": p3.ID}, http.StatusBadRequest) // no reason
	send(inside, "POST", mpath, map[string]any{"decision": "merge", "into": p3.ID, "reason": "同一件事"}, http.StatusForbidden)
	json.Unmarshal(send(staff, "POST", mpath, map[string]any{"decision": "merge", "into": p3.ID, "reason": "同一件事"}, http.StatusOK)["proposal"], &p4)
	if p4.Status != civicgrid.ProposalMerged || p4.MergedInto != p3.ID {
		t.Fatalf("merged %+v", p4)
	}
	send(staff, "POST", fmt.Sprintf("/api/v1/proposals/%d/moderate", p3.ID), map[string]any{"decision": "merge", "into": p.ID, "reason": "x"},
		http.StatusConflict) // into a proposal being voted on
	send(staff, "PUT", fmt.Sprintf("/api/v1/courtyards/%d", c.ID), map[string]any{"name": "幸福里", "buildings": []string{e.home.building, e.away.building}},
		http.StatusBadRequest)
}
