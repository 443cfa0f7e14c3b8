package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

type searchAnswer struct {
	Results []struct {
		Kind    string `json:"kind"`
		ID      int64  `json:"id"`
		Snippet string `json:"snippet_html"`
		Link    string `json:"link"`
	} `json:"results"`
	Next  string `json:"next"`
	Error struct {
		Code     string `json:"code"`
		Problems []struct {
			Kind string `json:"kind"`
		} `json:"problems"`
	} `json:"error"`
}

func searchAs(t *testing.T, e *mxEnv, a *mxActor, query string) (int, searchAnswer) {
	t.Helper()
	st, body := e.send(a, mxRequest{method: "GET", path: "/api/v1/search?" + query})
	var ans searchAnswer
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatalf("%s: %d %s", query, st, body)
	}
	return st, ans
}

func ids(ans searchAnswer) []int64 {
	var out []int64
	for _, r := range ans.Results {
		out = append(out, r.ID)
	}
	return out
}

// TestSearchScoping: a grid worker finds a case in their grid and not one
// in another district's; a resident finds their own report and not a
// neighbour's; anonymous callers are refused; the snippet marks the words
// and escapes the text; bad input is a 400 that says why, never a 500.
func TestSearchScoping(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	worker := e.actor(info(civicgrid.RoleGridWorker))
	resident := e.actor(info(civicgrid.RoleResident))
	mine := e.storeCase(false, resident.user.ID, func(c *civicgrid.Case) { c.Description = "3号楼楼道漏水 <script>alert(1)</script>" })
	neighbour := e.newCase(false, func(c *civicgrid.Case) { c.Description = "地下车库漏水" })
	away := e.newCase(true, func(c *civicgrid.Case) { c.Description = "门口漏水严重" })
	q := "q=" + url.QueryEscape("漏水")

	st, ans := searchAs(t, e, &worker, q)
	if st != http.StatusOK || !slices.Equal(ids(ans), []int64{neighbour.ID, mine.ID}) {
		t.Errorf("grid worker: %d %v, want %v (not %d, in another district)", st, ids(ans), []int64{neighbour.ID, mine.ID}, away.ID)
	}
	st, ans = searchAs(t, e, &resident, q)
	if st != http.StatusOK || !slices.Equal(ids(ans), []int64{mine.ID}) {
		t.Errorf("resident: %d %v, want only their own %d", st, ids(ans), mine.ID)
	}
	if len(ans.Results) == 1 {
		r := ans.Results[0]
		if !strings.Contains(r.Snippet, "<mark>漏水</mark>") || !strings.Contains(r.Snippet, "&lt;script&gt;") || strings.Contains(r.Snippet, "<script>") {
			t.Errorf("snippet: %s", r.Snippet)
		}
		if r.Kind != "case" || r.Link != fmt.Sprintf("/cases/%d", mine.ID) {
			t.Errorf("result: %+v", r)
		}
	}
	if st, _ := e.send(nil, mxRequest{method: "GET", path: "/api/v1/search?" + q}); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", st)
	}
	// Pages of one, by the cursor.
	st, ans = searchAs(t, e, &worker, q+"&limit=1")
	if st != http.StatusOK || len(ans.Results) != 1 || ans.Results[0].ID != neighbour.ID || ans.Next == "" {
		t.Fatalf("page 1: %d %+v", st, ans)
	}
	st, ans = searchAs(t, e, &worker, q+"&limit=1&after="+ans.Next)
	if st != http.StatusOK || len(ans.Results) != 1 || ans.Results[0].ID != mine.ID {
		t.Fatalf("page 2: %d %+v", st, ans)
	}
	// Filters: kind and area.
	if st, ans = searchAs(t, e, &worker, q+"&kind=proposal"); st != http.StatusOK || len(ans.Results) != 0 {
		t.Errorf("kind=proposal: %d %v", st, ids(ans))
	}
	if st, ans = searchAs(t, e, &worker, q+"&area="+e.away.district); st != http.StatusOK || len(ans.Results) != 0 {
		t.Errorf("area in another district: %d %v", st, ids(ans))
	}

	// Notices are found by their audience: the resident finds the one to
	// residents of their community, not the one to building heads nor one
	// to another district's residents; the grid worker the reverse of the
	// first two (not a resident, not the building heads' either).
	notice := func(scope, audience, title string) int64 {
		n, err := e.db.CreateNotice(context.Background(), civicgrid.Notice{Scope: scope, Audience: audience, Title: title, Body: "请留意楼道消防通道",
			Priority: civicgrid.PriorityNormal, Author: "张*", CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	toResidents := notice(e.home.community, civicgrid.AudienceResidents, "消防检查（居民）")
	notice(e.home.community, civicgrid.AudienceBuildingHeads, "消防检查（楼栋长）")
	notice(e.away.community, civicgrid.AudienceResidents, "消防检查（别的区）")
	toEveryone := notice(e.home.community, civicgrid.AudienceAll, "消防检查（全体）")
	nq := "q=" + url.QueryEscape("消防") + "&kind=notice"
	if st, ans := searchAs(t, e, &resident, nq); st != http.StatusOK || !slices.Equal(ids(ans), []int64{toEveryone, toResidents}) {
		t.Errorf("resident's notices: %d %v, want %v", st, ids(ans), []int64{toEveryone, toResidents})
	} else if ans.Results[1].Link != fmt.Sprintf("/announcements/%d", toResidents) || ans.Results[1].Kind != "notice" {
		t.Errorf("notice result %+v", ans.Results[1])
	}
	if st, ans := searchAs(t, e, &worker, nq); st != http.StatusOK || !slices.Equal(ids(ans), []int64{toEveryone}) {
		t.Errorf("grid worker's notices: %d %v, want %v", st, ids(ans), []int64{toEveryone})
	}

	// Engine syntax is words: never an error of the engine.
	for _, odd := range []string{`"漏水`, `漏水 NEAR(a b)`, `漏水*`, `漏水 OR 1=1`, `'漏水'`, `{tokens}:漏水`, `^漏水`, `漏水 -车库`, `漏水 AND`} {
		st, ans := searchAs(t, e, &worker, "q="+url.QueryEscape(odd))
		if st != http.StatusOK {
			t.Errorf("%q: status %d %+v", odd, st, ans.Error)
		}
	}
	for _, bad := range []struct{ query, kind string }{
		{"q=", "required"},
		{"q=" + url.QueryEscape("   "), "required"},
		{"q=" + strings.Repeat("漏", 1000), "too_long"},
		{"q=" + url.QueryEscape(`"*" () :`), "no_words"},
		{"q=" + url.QueryEscape("a b c d e f g h i"), "too_many_words"},
		{q + "&kind=team", "unknown"},
		{q + "&area=42xx", "bad_code"},
		{q + "&after=abc", "bad_cursor"},
		{q + "&limit=0", "out_of_range"},
		{q + "&limit=51", "out_of_range"},
		{q + "&from=2026-12-05&to=2026-12-01", "bad_range"},
		{q + "&from=yesterday", ""},
		{q + "&limit=ten", ""},
	} {
		st, ans := searchAs(t, e, &worker, bad.query)
		if st != http.StatusBadRequest || ans.Error.Code != civicgrid.EINVALID {
			t.Errorf("%.60s: %d %+v, want 400 invalid", bad.query, st, ans.Error)
			continue
		}
		if bad.kind != "" && (len(ans.Error.Problems) != 1 || ans.Error.Problems[0].Kind != bad.kind) {
			t.Errorf("%.60s: problems %+v, want %s", bad.query, ans.Error.Problems, bad.kind)
		}
	}
}
