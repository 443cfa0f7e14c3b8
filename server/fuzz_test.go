package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/server"
)

// FuzzCaseIntake sends arbitrary bodies to POST /api/v1/cases: the answer is
// never a server error, a refusal stores nothing, and an acceptance stores
// exactly one case that holds what was sent.
func FuzzCaseIntake(f *testing.F) {
	db, loc, _ := openDemoStore(f)
	cases := casework.New(casework.Config{}, db, db, loc, testCalendar(f), nil)
	if err := cases.SeedCatalogue(context.Background()); err != nil {
		f.Fatal(err)
	}
	h := server.New(server.Config{Cases: cases}, db, loc).Handler()
	chain := newMatrixChains(f, demoCity(f))[0]
	u, err := db.CreateUser(context.Background(), civicgrid.User{Name: "模糊", Phone: "13700000009"}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleCommunityStaff, AreaCode: chain.community}}, civicgrid.SecurityEvent{})
	if err != nil {
		f.Fatal(err)
	}
	secret, _, err := db.CreateAPIToken(context.Background(), civicgrid.APIToken{Name: "fuzz", Role: civicgrid.RoleCommunityStaff,
		AreaCode: chain.community, CreatedBy: u.ID, ExpiresAt: time.Now().Add(24 * time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		f.Fatal(err)
	}
	lat, lng := chain.point()
	for _, seed := range []string{
		`{"category":"C0005","lat":` + ftoa(lat) + `,"lng":` + ftoa(lng) + `,"description":"水管破裂"}`,
		`{"category":"C0005","lat":` + ftoa(lat) + `,"lng":` + ftoa(lng) + `,"channel":"hotline","caller_name":"王","caller_phone":"138"}`,
		`{"category":"06010","lat":30.6,"lng":114.3,"photos":["` + testPhoto + `"]}`,
		`{"category":"C0005","lat":1e400}`, `{"lat":"x"}`, `[]`, `null`, `{"category":"C0005","lat":30.6,"lng":114.3,"description":"\ud800"}`,
		`{"category":"C0005"} {"x":1}`, ``, `{"category":"C0005","lat":30.6,"lng":114.3,"building_code":"4201020010010010001"}`,
	} {
		f.Add(seed)
	}
	latest := func() int64 { return latestCaseID(f, db) }
	f.Fuzz(func(t *testing.T, body string) {
		before := latest()
		req := httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after := latest()
		switch {
		case rec.Code >= 500:
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		case rec.Code == http.StatusCreated:
			if after != before+1 || !strings.Contains(rec.Body.String(), `"id":`+strconv.FormatInt(after, 10)+",") {
				t.Fatalf("%q accepted as %s, but the newest case is %d (was %d)", body, rec.Body, after, before)
			}
		default:
			if after != before {
				t.Fatalf("%q refused (%d) but case %d was stored", body, rec.Code, after)
			}
		}
	})
}

func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(fmtFloat(v), "0"), ".") }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', 7, 64) }

// latestCaseID is the highest case id (ids only grow).
func latestCaseID(f *testing.F, db civicgrid.CaseStore) int64 {
	cs, err := db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	if len(cs) == 0 {
		return 0
	}
	return cs[0].ID
}

// FuzzOpen311Form sends arbitrary form bodies (and query strings) to POST
// /open311/v2/requests.json: the answer is never a server error and always
// a JSON list, a refusal stores nothing, and an acceptance stores exactly
// one case with the description that was sent.
func FuzzOpen311Form(f *testing.F) {
	db, loc, _ := openDemoStore(f)
	cases := casework.New(casework.Config{}, db, db, loc, testCalendar(f), nil)
	if err := cases.SeedCatalogue(context.Background()); err != nil {
		f.Fatal(err)
	}
	h := server.New(server.Config{Cases: cases, Open311: db, Open311PerMinute: 1 << 30}, db, loc).Handler()
	key, _, err := db.CreateOpen311Key(context.Background(), "fuzz", civicgrid.SecurityEvent{})
	if err != nil {
		f.Fatal(err)
	}
	chain := newMatrixChains(f, demoCity(f))[0]
	building, err := db.AreaByCode(context.Background(), chain.building)
	if err != nil {
		f.Fatal(err)
	}
	lat, lng := chain.point()
	k := "api_key=" + url.QueryEscape(key) + "&"
	for _, seed := range [][2]string{
		{k + "service_code=C0005&lat=" + ftoa(lat) + "&long=" + ftoa(lng) + "&description=%E6%B0%B4%E7%AE%A1", ""},
		{k + "service_code=C0005&address_id=" + building.Code + "&media_url=https%3A%2F%2Fexample.org%2F1.jpg", "jurisdiction_id=420100"},
		{k + "service_code=C0005&address_string=" + url.QueryEscape("武汉市"+building.Name), ""},
		{k + "service_code=C0005&lat=" + ftoa(lat) + "&long=" + ftoa(lng) + "&attribute%5Bbuilding_code%5D=" + building.Code, ""},
		{k + "service_code=C0005&lat=1e400&long=NaN", ""}, {k + "service_code=C0005&address_id=%zz", ""},
		{k + "service_code=C0005;lat=30", ""}, {k + "service_code=C0005&media_url=javascript:alert(1)&lat=30.6&long=114.3", ""},
		{k + "service_code=C0005&service_code=C0007&lat=30.6&long=114.3&description=%ED%A0%80", "jurisdiction_id=x"},
		{"", ""}, {"api_key=", "api_key=" + key},
	} {
		f.Add(seed[0], seed[1])
	}
	latest := func() int64 { return latestCaseID(f, db) }
	f.Fuzz(func(t *testing.T, body, query string) {
		before := latest()
		req := httptest.NewRequest("POST", "/open311/v2/requests.json", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after := latest()
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) || !strings.HasPrefix(rec.Body.String(), "[") {
			t.Fatalf("%q ? %q: %d %s", body, query, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusCreated {
			if after != before {
				t.Fatalf("%q refused (%d) but case %d was stored", body, rec.Code, after)
			}
			return
		}
		c, err := db.CaseByID(context.Background(), after)
		form, _ := url.ParseQuery(body)
		if after != before+1 || err != nil || !strings.Contains(rec.Body.String(), `"service_request_id":"`+strconv.FormatInt(after, 10)+`"`) ||
			c.Description != strings.TrimSpace(form.Get("description")) {
			t.Fatalf("%q accepted as %s, but the newest case is %d (was %d): %+v %v", body, rec.Body, after, before, c, err)
		}
	})
}
