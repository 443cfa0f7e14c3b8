package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
	// latest is the highest case id (ids only grow).
	latest := func() int64 {
		cs, err := db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 1})
		if err != nil {
			f.Fatal(err)
		}
		if len(cs) == 0 {
			return 0
		}
		return cs[0].ID
	}
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
