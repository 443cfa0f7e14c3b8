package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// A request for help through to confirmed hours over the API: many
// volunteers claim at once and one wins, the others are told it is taken;
// bad input is refused naming the rule and writes nothing.
func TestVolunteerOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	resident := e.actor(info(civicgrid.RoleResident))
	staff := e.actor(info(civicgrid.RoleCommunityStaff))
	send := e.expect(t)
	history := func(id int64) int {
		evs, err := e.db.VolunteerEvents(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	send(resident, "POST", "/api/v1/volunteer/requests", map[string]string{"service": "massage", "building_code": e.home.building}, http.StatusBadRequest, "service")
	send(resident, "POST", "/api/v1/volunteer/requests", map[string]any{"service": "shopping", "building_code": e.home.building, "needs": []string{"driver", "pilot"}},
		http.StatusBadRequest, "not a need of the catalogue")
	send(resident, "GET", "/api/v1/volunteer/services", nil, http.StatusOK, `"code":"woman"`)
	var r volunteering.View
	json.Unmarshal(send(resident, "POST", "/api/v1/volunteer/requests", map[string]string{"service": "shopping", "building_code": e.home.building,
		"address": "2单元301", "note": "买米和油"}, http.StatusCreated, `"status":"posted"`)["request"], &r)
	path := fmt.Sprintf("/api/v1/volunteer/requests/%d", r.ID)
	send(staff, "POST", path+"/verify", map[string]string{"decision": "decline"}, http.StatusBadRequest, "needs a reason")
	send(staff, "POST", path+"/verify", map[string]string{"decision": "accept"}, http.StatusOK, `"status":"accepted"`)

	vols := make([]mxActor, 8)
	for i := range vols {
		vols[i] = e.actor(info(civicgrid.RoleVolunteer))
		e.volunteerProfile(vols[i].user, e.home.community, civicgrid.ProfileApproved)
	}
	open := send(vols[0], "GET", "/api/v1/volunteer/requests/open", nil, http.StatusOK, "")
	if !strings.Contains(string(open["requests"]), fmt.Sprintf(`"id":%d`, r.ID)) || strings.Contains(string(open["requests"]), "2单元301") {
		t.Fatalf("open list (the address hidden): %s", open["requests"])
	}
	codes := make([]int, len(vols))
	bodies := make([]string, len(vols))
	var wg sync.WaitGroup
	for i := range vols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], bodies[i] = e.send(&vols[i], mxRequest{method: "POST", path: path + "/claim"})
		}()
	}
	wg.Wait()
	winner := -1
	for i, c := range codes {
		switch {
		case c == http.StatusOK && winner < 0:
			winner = i
		case c == http.StatusOK:
			t.Fatalf("two claims won: %d and %d", winner, i)
		case c == http.StatusConflict && strings.Contains(bodies[i], "is taken"):
		default:
			t.Fatalf("claim %d: %d %s", i, c, bodies[i])
		}
	}
	if winner < 0 {
		t.Fatalf("no claim won: %v", codes)
	}
	vol := vols[winner]
	loser := vols[(winner+1)%len(vols)]
	send(loser, "POST", path+"/claim", nil, http.StatusConflict, "is taken")
	send(loser, "GET", path, nil, http.StatusNotFound, "no volunteer request") // nor may they read it now
	n := history(r.ID)
	send(vol, "POST", path+"/sign-out", map[string]float64{"lat": 1, "lng": 1}, http.StatusConflict, "sign in at the place before signing out")
	p := e.buildingPoint(false)
	at := map[string]float64{"lat": p[1], "lng": p[0]}
	send(vol, "POST", path+"/sign-in", map[string]float64{"lat": p[1] + 0.01, "lng": p[0]}, http.StatusBadRequest, "from the building")
	send(resident, "POST", path+"/sign-in", at, http.StatusForbidden, "volunteer.serve")
	if history(r.ID) != n {
		t.Fatal("a refused step was written to the history")
	}
	send(vol, "POST", path+"/sign-in", at, http.StatusOK, `"status":"in_service"`)
	send(vol, "POST", path+"/sign-in", at, http.StatusConflict, "sign-in is taken once")
	send(resident, "POST", path+"/confirm", map[string]int{"rating": 5}, http.StatusConflict, "possible only when it is done")
	send(vol, "POST", path+"/sign-out", at, http.StatusOK, `"status":"done"`)
	send(vol, "POST", path+"/confirm", map[string]int{"rating": 5}, http.StatusForbidden, "volunteer.confirm")
	// Paying with an empty time bank is refused at the floor, and the
	// confirmation is not written either.
	send(resident, "POST", path+"/confirm", map[string]any{"rating": 5, "pay_with_time_bank": true}, http.StatusConflict, "below the floor of 0 minutes")
	send(staff, "POST", path+"/confirm", map[string]any{"rating": 5, "pay_with_time_bank": true}, http.StatusBadRequest, "only the person helped pays")
	if n := history(r.ID); n != 5 {
		t.Fatalf("a refused confirmation was written: %d events", n)
	}
	send(resident, "POST", path+"/confirm", map[string]int{"rating": 5}, http.StatusOK, `"status":"confirmed"`)
	send(vol, "GET", "/api/v1/volunteer/hours", nil, http.StatusOK, `"balance_minutes":15`)
	send(vol, "GET", "/api/v1/volunteer/timebank/statement", nil, http.StatusOK, `"closing_minutes":15`)
	send(vol, "GET", "/api/v1/volunteer/timebank/statement?month=12-2026", nil, http.StatusBadRequest, "YYYY-MM")

	// The time bank: staff take back with a reason, never below the floor.
	adjust := func(m int, reason string) map[string]any {
		return map[string]any{"user_id": vol.user.ID, "community_code": e.home.community, "minutes": m, "reason": reason}
	}
	entries := func() int {
		c, err := e.db.CheckTimeBank(t.Context())
		if err != nil || c.Sum != 0 || len(c.Mismatched) > 0 {
			t.Fatalf("ledger %+v %v", c, err)
		}
		return c.Entries
	}
	before := entries()
	send(staff, "POST", "/api/v1/volunteer/timebank/adjust", adjust(-15, ""), http.StatusBadRequest, "needs a reason")
	send(staff, "POST", "/api/v1/volunteer/timebank/adjust", adjust(-16, "记错了"), http.StatusConflict, "below the floor")
	send(vol, "POST", "/api/v1/volunteer/timebank/adjust", adjust(60, "自己加"), http.StatusForbidden, "volunteer.adjust")
	if entries() != before {
		t.Fatal("a refused adjustment was written to the ledger")
	}
	send(staff, "POST", "/api/v1/volunteer/timebank/adjust", adjust(-15, "记错了"), http.StatusOK, `"balance_minutes":0`)
	send(resident, "GET", "/api/v1/volunteer/hours", nil, http.StatusForbidden, "volunteer.hours")
	send(resident, "GET", path, nil, http.StatusOK, "2单元301") // the poster sees the address
	if n := history(r.ID); n != 6 {
		t.Fatalf("history of %d events, want posted, accepted, claimed, signed in, signed out, confirmed", n)
	}
	// The community's volunteer indicators count the service; a resident
	// may not read them, a malformed date is refused.
	ind := send(staff, "GET", "/api/v1/volunteer/indicators?scope="+e.home.community, nil, http.StatusOK, `"active_volunteers":1`)
	var in civicgrid.VolunteerIndicators
	raw, _ := json.Marshal(ind)
	json.Unmarshal(raw, &in)
	if in.Requests != 1 || in.Answered != 1 || in.Taken != 1 || in.Completed != 1 || in.Confirmed != 1 || in.Minutes != 15 ||
		in.Satisfied != 1 || in.Scope != e.home.community {
		t.Fatalf("volunteer indicators: %s", raw)
	}
	send(resident, "GET", "/api/v1/volunteer/indicators?scope="+e.home.community, nil, http.StatusForbidden, "indicators.read")
	send(staff, "GET", "/api/v1/volunteer/indicators?scope="+e.home.community+"&from=12/01/2026", nil, http.StatusBadRequest, "want a date")
}

// Invitations over the API: staff invite, bad input is refused naming the
// rule and writes nothing, the volunteer lists and accepts (claims) it;
// waiting requests are listed for staff with their light.
func TestVolunteerInvitationsOverTheAPI(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	staff := e.actor(info(civicgrid.RoleCommunityStaff))
	vol := e.actor(info(civicgrid.RoleVolunteer))
	e.volunteerProfile(vol.user, e.home.community, civicgrid.ProfileApproved)
	send := e.expect(t)
	id := e.helpRequest(false, 0, 0, civicgrid.HelpAccepted)
	path := fmt.Sprintf("/api/v1/volunteer/requests/%d", id)
	send(staff, "GET", "/api/v1/volunteer/requests/waiting", nil, http.StatusOK, fmt.Sprintf(`"id":%d`, id))
	send(staff, "POST", path+"/invite", map[string]any{"user_id": "x"}, http.StatusBadRequest, "")
	send(staff, "POST", path+"/invite", map[string]any{}, http.StatusBadRequest, "name the volunteer")
	send(staff, "POST", path+"/invite", map[string]any{"user_id": staff.user.ID}, http.StatusBadRequest, "not a volunteer whose area covers")
	if invs, _ := e.db.HelpInvitationsFor(t.Context(), id); len(invs) != 0 {
		t.Fatalf("a refused invitation was written: %+v", invs)
	}
	send(staff, "POST", path+"/invite", map[string]any{"user_id": vol.user.ID}, http.StatusCreated, `"status":"invited"`)
	send(staff, "POST", path+"/invite", map[string]any{"user_id": vol.user.ID}, http.StatusConflict, "already invited")
	var list struct {
		Invitations []volunteering.Invitation `json:"invitations"`
	}
	got := send(vol, "GET", "/api/v1/volunteer/invitations", nil, http.StatusOK, "")
	json.Unmarshal(got["invitations"], &list.Invitations)
	if len(list.Invitations) != 1 || list.Invitations[0].RequestID != id {
		t.Fatalf("invitations: %s", got["invitations"])
	}
	inv := list.Invitations[0].ID
	send(vol, "POST", fmt.Sprintf("/api/v1/volunteer/invitations/%d/decline", inv), map[string]string{"reason": strings.Repeat("长", 501)}, http.StatusBadRequest, "at most")
	send(vol, "POST", fmt.Sprintf("/api/v1/volunteer/invitations/%d/accept", inv), nil, http.StatusOK, `"status":"claimed"`)
	send(vol, "POST", fmt.Sprintf("/api/v1/volunteer/invitations/%d/accept", inv), nil, http.StatusConflict, "only an open invitation")

	// Five wrong sign-in codes lock the request: the next try, even with
	// the right code, is 429 with Retry-After — the seconds until the lock
	// ends (at most the 15 minutes' window).
	for i := 1; i <= 5; i++ {
		send(vol, "POST", path+"/sign-in", map[string]string{"code": "WRONG0"}, http.StatusBadRequest, "does not match")
	}
	code, _ := e.send(&vol, mxRequest{method: "POST", path: path + "/sign-in", body: map[string]string{"code": "WRONG0"}})
	if code != http.StatusTooManyRequests {
		t.Fatalf("a locked request's sign-in: %d", code)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+path+"/sign-in", strings.NewReader(`{"code":"WRONG0"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: vol.cookie})
	req.Header.Set("X-CSRF-Token", vol.csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 800 || secs > 900 {
		t.Fatalf("locked: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// The live list of open requests: a volunteer's stream gets a request when
// staff open it and again when its taker releases it, masked (no address);
// a volunteer of another community gets nothing; others may not open it.
func TestOpenHelpStreamOverHTTP(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	resident, staff := e.actor(info(civicgrid.RoleResident)), e.actor(info(civicgrid.RoleCommunityStaff))
	vol, taker := e.actor(info(civicgrid.RoleVolunteer)), e.actor(info(civicgrid.RoleVolunteer))
	e.volunteerProfile(taker.user, e.home.community, civicgrid.ProfileApproved)
	far := e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleVolunteer, AreaCode: e.away.community})
	farSecret, _, err := e.db.CreateSession(context.Background(), civicgrid.Session{UserID: far.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	send := e.expect(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := func(cookie string) chan string {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/volunteer/requests/stream", nil)
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream: %v %v", resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() && sc.Text() != ": connected" {
		}
		got := make(chan string, 8)
		go func() {
			event := ""
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					event = strings.TrimPrefix(line, "event: ")
				case strings.HasPrefix(line, "data: ") && event == "request":
					got <- strings.TrimPrefix(line, "data: ")
				}
			}
		}()
		return got
	}
	mine, theirs := stream(vol.cookie), stream(farSecret)
	next := func() string {
		select {
		case d := <-mine:
			return d
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return ""
	}
	quiet := func(ch chan string, who string) {
		select {
		case d := <-ch:
			t.Fatalf("%s got an event: %s", who, d)
		case <-time.After(300 * time.Millisecond):
		}
	}

	var r volunteering.View
	json.Unmarshal(send(resident, "POST", "/api/v1/volunteer/requests", map[string]string{"service": "meals", "building_code": e.home.building,
		"address": "2单元301"}, http.StatusCreated, "")["request"], &r)
	quiet(mine, "a volunteer, for a request not verified yet")
	send(staff, "POST", fmt.Sprintf("/api/v1/volunteer/requests/%d/verify", r.ID), map[string]string{"decision": "accept"}, http.StatusOK, "")
	d := next()
	if !strings.Contains(d, fmt.Sprintf(`"id":%d`, r.ID)) || strings.Contains(d, "2单元301") || !strings.Contains(d, `"can_claim":true`) {
		t.Fatalf("opened: %s", d)
	}
	quiet(theirs, "a volunteer of another community")
	// Taken and released: open again, sent again.
	path := fmt.Sprintf("/api/v1/volunteer/requests/%d", r.ID)
	send(taker, "POST", path+"/claim", nil, http.StatusOK, "")
	send(taker, "POST", path+"/release", map[string]string{"reason": "临时有事"}, http.StatusOK, "")
	if d := next(); !strings.Contains(d, fmt.Sprintf(`"id":%d`, r.ID)) || !strings.Contains(d, `"status":"accepted"`) {
		t.Fatalf("reopened: %s", d)
	}
	quiet(mine, "a volunteer, after the reopening")
	// Not a volunteer: refused.
	send(resident, "GET", "/api/v1/volunteer/requests/stream", nil, http.StatusForbidden, "volunteer.claim")
}
