package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
)

// Care over the API: staff register with consent (refused without, nothing
// written), the visitor reads the entry (logged) and records a concern,
// which becomes a real case of the case service, linked both ways; the
// export is refused and the refusal logged.
func TestCareOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	staff := e.actor(info(civicgrid.RoleCommunityStaff))
	worker := e.actor(info(civicgrid.RoleGridWorker))
	send := e.expect(t)
	count := func(kind string) int {
		evs, err := e.db.ListSecurityEvents(t.Context(), civicgrid.EventFilter{Within: []string{"420100"}, Kind: kind, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	in := mxCareInput(e, false)
	in.VisitorIDs = []int64{worker.user.ID}
	in.Consent.GivenBy = ""
	send(staff, "POST", "/api/v1/care/entries", in, http.StatusBadRequest, "consent is required")
	if es, _ := e.db.CareEntries(t.Context(), []string{"420100"}, nil, 10); len(es) != 0 {
		t.Fatalf("a registration without consent wrote %d entries", len(es))
	}
	in.Consent.GivenBy = civicgrid.ConsentSelf
	var v care.View
	json.Unmarshal(send(staff, "POST", "/api/v1/care/entries", in, http.StatusCreated, `"frequency_days":7`)["entry"], &v)
	path := fmt.Sprintf("/api/v1/care/entries/%d", v.ID)

	reads := count(civicgrid.EventCareRead)
	send(e.actor(info(civicgrid.RoleGridWorker)), "GET", path, nil, http.StatusNotFound, "no care entry")
	send(worker, "GET", path, nil, http.StatusOK, "1单元302")
	if got := count(civicgrid.EventCareRead); got != reads+1 {
		t.Fatalf("reads logged: %d → %d, want one more", reads, got)
	}
	if req, _ := http.NewRequest("GET", e.srv.URL+path, nil); req != nil {
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: worker.cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the entry's caching: %v %v", resp.Header, err)
		}
		resp.Body.Close()
	}
	q := send(worker, "GET", "/api/v1/care/queue", nil, http.StatusOK, `"light":"green"`)
	if strings.Contains(string(q["entries"]), "王秀英") || strings.Contains(string(q["entries"]), "1单元302") {
		t.Fatalf("the queue shows personal fields: %s", q["entries"])
	}

	send(worker, "POST", path+"/visits", map[string]any{"mode": "phone", "state": "concern", "at": "2099-01-01T00:00:00Z", "note": "x"}, http.StatusBadRequest, "future")
	var visit civicgrid.CareVisit
	send(worker, "POST", path+"/visits", map[string]any{"mode": "phone", "state": "concern", "note": "x", "photo": strings.Repeat("a", 64) + ".jpg"},
		http.StatusBadRequest, "photo")
	json.Unmarshal(send(worker, "POST", path+"/visits", map[string]any{"mode": "phone", "state": "concern", "note": "厨房水管漏水，老人无法自行处理",
		"photo": mxPhotos[0]}, http.StatusCreated, `"state":"concern"`)["visit"], &visit)
	send(worker, "POST", path+"/visits", map[string]any{"mode": "phone", "state": "fine"}, http.StatusConflict, "one visit per due slot")

	vpath := fmt.Sprintf("/api/v1/care/visits/%d/case", visit.ID)
	json.Unmarshal(send(worker, "POST", vpath, map[string]string{"category": "C0005"}, http.StatusOK, `"case_id"`)["visit"], &visit)
	c, err := e.db.CaseByID(t.Context(), visit.CaseID)
	if err != nil || c.Category != "C0005" || c.BuildingCode != e.home.building || c.ReporterID != worker.user.ID || len(c.Photos) != 1 || c.Photos[0] != mxPhotos[0] ||
		!strings.Contains(c.Description, "厨房水管漏水") || strings.Contains(c.Description, "王秀英") {
		t.Fatalf("the case a concern became: %+v %v", c, err)
	}
	send(worker, "POST", vpath, nil, http.StatusConflict, "became case")
	send(worker, "GET", path, nil, http.StatusOK, fmt.Sprintf(`"case_id":%d`, c.ID))

	exports := count("care.export")
	send(staff, "GET", "/api/v1/care/entries.csv?within="+e.home.community, nil, http.StatusForbidden, "care.export")
	if got := count("care.export"); got != exports+1 {
		t.Fatalf("the refused export is not logged: %d → %d", exports, got)
	}
}

// expect returns a call of the API as an actor that must answer want with
// text in its body, and gives the body's top-level fields.
func (e *mxEnv) expect(t *testing.T) func(a mxActor, method, path string, body any, want int, text string) map[string]json.RawMessage {
	return func(a mxActor, method, path string, body any, want int, text string) map[string]json.RawMessage {
		t.Helper()
		st, out := e.send(&a, mxRequest{method, path, body})
		if st != want || !strings.Contains(out, text) {
			t.Fatalf("%s %s: status %d, want %d with %q: %s", method, path, st, want, text, out)
		}
		var m map[string]json.RawMessage
		json.Unmarshal([]byte(out), &m)
		return m
	}
}
