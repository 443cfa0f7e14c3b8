package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// A proposal through to a published result over the API, with the
// refusals of bad input on the way.
func TestCogovernanceOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	author := e.actor(info(civicgrid.RoleResident))
	staff := e.actor(info(civicgrid.RoleCommunityStaff))
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

	send(author, "POST", "/api/v1/proposals", `{"area_code":`, http.StatusBadRequest)
	send(author, "POST", "/api/v1/proposals", map[string]string{"area_code": e.home.community, "title": strings.Repeat("长", 101)}, http.StatusBadRequest)
	send(author, "POST", "/api/v1/proposals", map[string]string{"area_code": e.away.community, "title": "加装电梯"}, http.StatusForbidden)
	if m := send(author, "GET", "/api/v1/proposals", nil, http.StatusOK); string(m["proposals"]) != "[]" {
		t.Fatalf("refused proposals were stored: %s", m["proposals"])
	}
	var p civicgrid.Proposal
	json.Unmarshal(send(author, "POST", "/api/v1/proposals", map[string]string{"area_code": e.home.community, "title": "加装电梯", "body": "三单元"}, http.StatusCreated)["proposal"], &p)
	if p.Status != civicgrid.ProposalOpen || p.SupportNeeded != 5 || strings.Contains(p.Author, "测试") {
		t.Fatalf("proposal %+v (the author's name must be masked)", p)
	}
	path := fmt.Sprintf("/api/v1/proposals/%d", p.ID)
	send(author, "POST", path+"/support", nil, http.StatusConflict) // not one's own
	send(staff, "POST", path+"/moderate", map[string]string{"decision": "decline"}, http.StatusBadRequest)
	send(staff, "POST", path+"/moderate", map[string]string{"decision": "accept"}, http.StatusOK)
	send(author, "GET", "/api/v1/proposals/abc", nil, http.StatusBadRequest)
	send(author, "GET", "/api/v1/proposals/999999", nil, http.StatusNotFound)

	// Three more residents of the building: the roll is the four of them.
	voters := []mxActor{author}
	for range 3 {
		voters = append(voters, e.actor(info(civicgrid.RoleResident)))
	}
	var v civicgrid.Vote
	json.Unmarshal(send(staff, "POST", "/api/v1/votes", map[string]any{"proposal_id": p.ID, "method": "yes_no", "hours": 24}, http.StatusCreated)["vote"], &v)
	vpath := fmt.Sprintf("/api/v1/votes/%d", v.ID)
	var receipt string
	json.Unmarshal(send(voters[0], "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusCreated)["receipt"], &receipt)
	send(voters[0], "POST", vpath+"/ballot", map[string]any{"choices": []string{"no"}}, http.StatusConflict)
	send(voters[1], "POST", vpath+"/ballot", map[string]any{"choices": []string{"maybe"}}, http.StatusBadRequest)
	send(voters[1], "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusCreated)
	send(voters[2], "POST", vpath+"/ballot", map[string]any{"choices": []string{"no"}}, http.StatusCreated)
	send(staff, "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusForbidden) // not on the roll
	send(voters[3], "GET", vpath+"/ballots", nil, http.StatusConflict)                                     // sealed while open
	var b civicgrid.Ballot
	json.Unmarshal(send(voters[3], "POST", vpath+"/receipt", map[string]string{"receipt": receipt}, http.StatusOK)["ballot"], &b)
	if len(b.Choices) != 1 || b.Choices[0] != "yes" {
		t.Fatalf("receipt check %+v", b)
	}
	send(voters[3], "POST", vpath+"/close", nil, http.StatusForbidden)
	json.Unmarshal(send(staff, "POST", vpath+"/close", nil, http.StatusOK)["vote"], &v)
	r := v.Result
	if v.RollSize != 4 || r == nil || r.Ballots != 3 || !r.QuorumMet || !r.Passed || v.NoticeUntil.IsZero() {
		t.Fatalf("vote %+v result %+v", v, r)
	}
	send(voters[3], "POST", vpath+"/ballot", map[string]any{"choices": []string{"yes"}}, http.StatusConflict)
	var bs []civicgrid.Ballot
	json.Unmarshal(send(voters[3], "GET", vpath+"/ballots", nil, http.StatusOK)["ballots"], &bs)
	if re := civicgrid.Tally(v, v.RollSize, bs); re.BallotDigest != r.BallotDigest || re.Passed != r.Passed {
		t.Fatalf("recount %+v, published %+v", re, r)
	}
	// The public notice board shows the result to anyone, from the
	// building up, and names nobody.
	st, board := e.send(nil, mxRequest{method: "GET", path: "/api/v1/notices?area=" + e.home.building})
	if st != http.StatusOK || !strings.Contains(board, fmt.Sprintf(`"id":%d`, v.ID)) || !strings.Contains(board, `"quorum_met":true`) ||
		strings.Contains(board, "history") || strings.Contains(board, `"actor"`) || strings.Contains(board, author.user.Phone) {
		t.Fatalf("notice board: %d %s", st, board)
	}
	if st, board = e.send(nil, mxRequest{method: "GET", path: "/api/v1/notices?area=" + e.away.community}); st != http.StatusOK || strings.Contains(board, fmt.Sprintf(`"id":%d`, v.ID)) {
		t.Fatalf("another district's board: %d %s", st, board)
	}
	if st, _ = e.send(nil, mxRequest{method: "GET", path: "/api/v1/notices?area=x"}); st != http.StatusBadRequest {
		t.Fatalf("bad area: %d", st)
	}
	// The published vote names nobody who voted.
	_, body := e.send(&voters[3], mxRequest{method: "GET", path: vpath})
	for _, a := range voters {
		if strings.Contains(body, fmt.Sprintf(`"user_id":%d`, a.user.ID)) || strings.Contains(body, a.user.Phone) {
			t.Fatalf("vote page names a voter: %s", body)
		}
	}
}
