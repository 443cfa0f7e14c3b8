package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The live list of open requests follows the store: two instances on one
// database (PostgreSQL in the suite's PostgreSQL pass, one SQLite file
// otherwise), each following the requests' log. A request staff open
// through instance A reaches a volunteer whose stream is on instance B,
// and so does its reopening after a release; a volunteer on A hears each
// opening once (told at once, and not again by the follower); a volunteer
// of another community hears nothing.
func TestOpenHelpStreamAcrossInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, dir := testdb.URL(t), t.TempDir()
	var dbs []*sqlstore.DB
	var svcs []*volunteering.Service
	var srvs []*httptest.Server
	for i := range 2 {
		db, err := sqlstore.Open(ctx, url, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := areaio.ImportAreas(ctx, db, demoCity(t).Areas, areaio.DefaultOptions()); err != nil {
				t.Fatal(err)
			}
		}
		loc, err := locate.New(ctx, db, locate.DefaultOptions)
		if err != nil {
			t.Fatal(err)
		}
		vol := volunteering.New(volunteering.Config{People: db}, db, db)
		go vol.FollowOpened(ctx, 100*time.Millisecond)
		auth := server.AuthConfig{Password: mxPasswordParams, SessionTTL: time.Hour, SessionIdle: time.Hour}
		srv := httptest.NewServer(server.New(server.Config{Auth: auth, Volunteer: vol}, db, loc).Handler())
		t.Cleanup(srv.Close)
		dbs, svcs, srvs = append(dbs, db), append(svcs, vol), append(srvs, srv)
	}
	chains := newMatrixChains(t, demoCity(t))
	home, away := chains[0], chains[1]
	n := 0
	person := func(role, area string) (civicgrid.Actor, string) {
		n++
		u, err := dbs[0].CreateUser(ctx, civicgrid.User{Name: fmt.Sprintf("实例%d", n), Phone: fmt.Sprintf("1360000%04d", n)}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: area}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := dbs[0].CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password", ExpiresAt: time.Now().Add(time.Hour)},
			civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		if role == civicgrid.RoleVolunteer {
			testdb.ApproveVolunteer(t, dbs[0], a, area)
		}
		return a, secret
	}
	resident, _ := person(civicgrid.RoleResident, home.building)
	staff, _ := person(civicgrid.RoleCommunityStaff, home.community)
	_, onB := person(civicgrid.RoleVolunteer, home.community)
	_, onA := person(civicgrid.RoleVolunteer, home.community)
	taker, _ := person(civicgrid.RoleVolunteer, home.community)
	_, farOnB := person(civicgrid.RoleVolunteer, away.community)

	stream := func(srv *httptest.Server, cookie string) chan string {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/volunteer/requests/stream", nil)
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
	b, a, far := stream(srvs[1], onB), stream(srvs[0], onA), stream(srvs[1], farOnB)
	next := func(ch chan string, who string, id int64) {
		t.Helper()
		select {
		case d := <-ch:
			if !strings.Contains(d, fmt.Sprintf(`"id":%d,`, id)) || !strings.Contains(d, `"status":"accepted"`) || !strings.Contains(d, `"can_claim":true`) {
				t.Fatalf("%s got %s", who, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no event within 5 s", who)
		}
	}
	quiet := func(ch chan string, who string) {
		t.Helper()
		select {
		case d := <-ch:
			t.Fatalf("%s got an event: %s", who, d)
		case <-time.After(500 * time.Millisecond): // several rounds of the followers
		}
	}

	r, err := svcs[0].Ask(ctx, resident, civicgrid.HelpInput{Service: "meals", BuildingCode: home.building, Address: "2单元301"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcs[0].Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
		t.Fatal(err)
	}
	next(b, "the volunteer on instance B", r.ID)
	next(a, "the volunteer on instance A", r.ID)
	quiet(a, "the volunteer on instance A, a second time")
	quiet(b, "the volunteer on instance B, a second time")
	quiet(far, "a volunteer of another community")

	// Taken and released through instance A: open again, on B too.
	if _, err := svcs[0].Claim(ctx, taker, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs[0].Release(ctx, taker, r.ID, "临时有事"); err != nil {
		t.Fatal(err)
	}
	next(b, "the volunteer on instance B, after the release", r.ID)
	next(a, "the volunteer on instance A, after the release", r.ID)
	quiet(b, "the volunteer on instance B, after the reopening")
	quiet(a, "the volunteer on instance A, after the reopening")
}
