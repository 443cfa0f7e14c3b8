package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// A resident's live notice stream gets the notices addressed to them as
// they are posted, and not one posted elsewhere; a post outside the
// sender's area is refused with the reason.
func TestNoticeStreamOverHTTP(t *testing.T) {
	e := newMatrixEnv(t)
	role := func(name string) civicgrid.RoleInfo { info, _ := civicgrid.LookupRole(name); return info }
	resident, staff, city := e.actor(role(civicgrid.RoleResident)), e.actor(role(civicgrid.RoleCommunityStaff)), e.actor(role(civicgrid.RoleCityAdmin))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/announcements/stream", nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: resident.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != ": connected" {
	}
	titles := make(chan string, 8)
	go func() {
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "notice":
				var n struct{ Title string }
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &n)
				titles <- n.Title
			}
		}
	}()

	post := func(a mxActor, scope, title string, want int) string {
		status, body := e.send(&a, mxRequest{"POST", "/api/v1/announcements", map[string]any{"scope": scope, "title": title, "body": "正文"}})
		if status != want {
			t.Fatalf("post %s to %s: %d %s", title, scope, status, body)
		}
		return body
	}
	if body := post(staff, e.away.community, "别处", http.StatusForbidden); !strings.Contains(body, "within yours") {
		t.Fatalf("refusal %s", body)
	}
	post(city, e.away.community, "外区通知", http.StatusCreated)
	post(staff, e.home.community, "本社区通知", http.StatusCreated)
	select {
	case got := <-titles:
		if got != "本社区通知" {
			t.Fatalf("the resident's stream got %q first", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notice on the stream within 5 s")
	}
	status, body := e.send(&resident, mxRequest{method: "GET", path: "/api/v1/announcements/unread"})
	if status != 200 || !strings.Contains(body, `"unread":1`) {
		t.Fatalf("unread %d %s", status, body)
	}
}
