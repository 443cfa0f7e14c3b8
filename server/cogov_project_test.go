package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// A project and its comments over the API: bad input is a clear error
// and writes nothing; the satisfaction is shown once rated.
func TestProjectsOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	resident := e.actor(info(civicgrid.RoleResident))
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
	now := time.Now()
	in := map[string]any{"area_code": e.home.community, "title": "加装扶手", "owner": "居委会", "budget": 5000,
		"milestones": []map[string]any{{"title": "安装", "due_at": now.Add(-48 * time.Hour)}}}
	m := send(staff, "POST", "/api/v1/projects", in, http.StatusBadRequest) // a milestone dated before the start
	if !strings.Contains(string(m["error"]), "before the project starts") {
		t.Fatalf("the error does not say what is wrong: %s", m["error"])
	}
	in["milestones"] = []map[string]any{{"title": "安装", "due_at": now.Add(48 * time.Hour)}}
	send(resident, "POST", "/api/v1/projects", in, http.StatusForbidden)
	in["area_code"] = e.away.community
	send(staff, "POST", "/api/v1/projects", in, http.StatusForbidden) // out of scope
	if m := send(staff, "GET", "/api/v1/projects", nil, http.StatusOK); string(m["projects"]) != "[]" {
		t.Fatalf("refused projects were stored: %s", m["projects"])
	}
	in["area_code"] = e.home.community
	var p civicgrid.Project
	json.Unmarshal(send(staff, "POST", "/api/v1/projects", in, http.StatusCreated)["project"], &p)
	path := fmt.Sprintf("/api/v1/projects/%d", p.ID)
	send(resident, "POST", path+"/comments", map[string]string{"body": strings.Repeat("长", 501)}, http.StatusBadRequest)
	send(resident, "POST", path+"/comments", map[string]string{"body": "请避开午休时间施工"}, http.StatusCreated)
	for _, ph := range []string{"build", "manage", "evaluate"} {
		send(staff, "POST", path+"/phase", map[string]string{"phase": ph}, http.StatusOK)
	}
	send(resident, "POST", path+"/rating", map[string]int{"rating": 6}, http.StatusBadRequest)
	send(staff, "POST", path+"/rating", map[string]int{"rating": 5}, http.StatusForbidden)
	send(resident, "POST", path+"/rating", map[string]int{"rating": 4}, http.StatusOK)
	send(resident, "POST", path+"/rating", map[string]int{"rating": 4}, http.StatusConflict)
	// (Whole project views are longer than the matrix client reads: the
	// store and the comments route answer instead.)
	stored, err := e.db.ProjectByID(context.Background(), p.ID)
	if err != nil || stored.Ratings != 1 || stored.RatingSum != 4 {
		t.Fatalf("rating stored: %+v %v", stored, err)
	}
	var cs []civicgrid.Comment
	json.Unmarshal(send(resident, "GET", path+"/comments", nil, http.StatusOK)["comments"], &cs)
	if len(cs) != 1 || cs[0].Body != "请避开午休时间施工" {
		t.Fatalf("comments: %+v", cs)
	}
	m = send(resident, "GET", "/api/v1/notices/projects?area="+e.home.community, nil, http.StatusOK)
	if !strings.Contains(string(m["projects"]), "加装扶手") || strings.Contains(string(m["projects"]), "居委会") {
		t.Fatalf("board: %s", m["projects"])
	}
}
