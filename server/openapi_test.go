package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/search"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// loadOpenAPI loads the server's document with kin-openapi and checks it
// is a valid OpenAPI 3.1 document.
func loadOpenAPI(t *testing.T, doc map[string]any) *openapi3.T {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	if !d.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", d.OpenAPI)
	}
	if err := d.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return d
}

// TestOpenAPICoversEveryRoute: every /api/v1 and Open311 route of a fully configured
// server has its operation (and no operation outlives its route), and the
// document is valid OpenAPI 3.1 with one operation per route.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newMatrixEnv(t)
	srv := server.New(server.Config{Cases: e.cases, Open311: e.db, Photos: e.photos, Webhooks: e.hooks, Notify: e.notes, Calendar: e.calendar,
		Cogov: e.cogov, Volunteer: e.volunteer, Lectures: e.lectures, Search: search.New(e.db), Warning: e.warning, Care: e.care, Notices: e.notices}, e.db, nil)
	if missing := srv.MissingOperations(); len(missing) > 0 {
		t.Errorf("routes without their OpenAPI operation (add them to operations in server/openapi.go):\n  %s", strings.Join(missing, "\n  "))
	}
	d := loadOpenAPI(t, srv.OpenAPI())
	want := 0
	for _, rt := range srv.Routes() {
		if !strings.HasPrefix(rt.Pattern, "/api/v1/") && !strings.HasPrefix(rt.Pattern, "/open311/") {
			continue
		}
		want++
		item := d.Paths.Find(rt.Pattern)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("%s %s: no operation in the document", rt.Method, rt.Pattern)
			continue
		}
		op := item.GetOperation(rt.Method)
		if guarded := op.Security == nil || len(*op.Security) > 0; guarded == rt.Public {
			t.Errorf("%s %s: security says guarded=%v, the route table public=%v", rt.Method, rt.Pattern, guarded, rt.Public)
		}
	}
	got := 0
	for _, item := range d.Paths.Map() {
		got += len(item.Operations())
	}
	if got != want || want < 70 {
		t.Errorf("%d operations for %d /api/v1 and Open311 routes", got, want)
	}
}

// TestOpenAPIExamplesValidate sends real requests and validates each
// request and its answer against the document with kin-openapi.
func TestOpenAPIExamplesValidate(t *testing.T) {
	e := newCaseEnvWith(t, openDemoStore, func(cfg *server.Config, db *sqlstore.DB) { cfg.Open311 = db })
	// The document is served, and is what the server builds.
	resp, err := http.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var served map[string]any
	json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if resp.StatusCode != 200 || served["openapi"] != "3.1.0" {
		t.Fatalf("GET /api/v1/openapi.json: %d %v", resp.StatusCode, served["openapi"])
	}
	served["servers"] = []any{map[string]any{"url": e.srv.URL}}
	d := loadOpenAPI(t, served)
	router, err := legacy.NewRouter(d)
	if err != nil {
		t.Fatal(err)
	}
	resident := e.login(civicgrid.RoleResident, e.chain.building)
	lat, lng := e.point(e.chain)
	as := resident
	send := func(method, path string, body any, want int) []byte {
		t.Helper()
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: as.cookie})
		req.Header.Set("X-CSRF-Token", as.csrf)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: no operation: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match the document: %v", method, path, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(raw))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s: the answer does not match the document: %v\n%s", method, path, err, b)
		}
		return b
	}
	send("GET", fmt.Sprintf("/api/v1/locate?lat=%f&lng=%f", lat, lng), nil, 200)
	send("GET", "/api/v1/locate?lat=0&lng=0", nil, 422) // an error answer: the Error schema
	send("GET", "/api/v1/me", nil, 200)
	b := send("POST", "/api/v1/cases", map[string]any{"category": "C0005", "description": "楼下水管破裂", "lat": lat, "lng": lng,
		"photos": []string{e.photo}}, 201)
	var in struct {
		Case struct{ ID int64 } `json:"case"`
	}
	json.Unmarshal(b, &in)
	send("GET", fmt.Sprintf("/api/v1/cases/%d", in.Case.ID), nil, 200)
	send("GET", "/api/v1/cases/999999", nil, 404)
	as = e.login(civicgrid.RoleCommunityStaff, e.chain.community)
	send("POST", fmt.Sprintf("/api/v1/cases/%d/register", in.Case.ID), map[string]any{"note": "已核实"}, 200)
	send("POST", fmt.Sprintf("/api/v1/cases/%d/register", in.Case.ID), map[string]any{"note": "again"}, 409)
	send("GET", "/open311/v2/services.json", nil, 200)
	send("GET", fmt.Sprintf("/open311/v2/requests/%d.json", in.Case.ID), nil, 200)
	// Last: logging in again ends the session the requests above used.
	as = resident
	send("POST", "/api/v1/auth/login", map[string]any{"phone": resident.user.Phone, "password": mxPassword}, 200)

	// The check has teeth: a report missing its coordinates' type is
	// refused by the document before the server sees it.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cases", strings.NewReader(`{"category":"C0005","lat":"north"}`))
	req.Header.Set("Content-Type", "application/json")
	route, params, _ := router.FindRoute(req)
	if err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}); err == nil {
		t.Error("a report with lat as a string validated")
	}

	// The docs page lists the operations.
	resp, err = http.Get(e.srv.URL + "/api/docs")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "/api/v1/cases/{id}") || !strings.Contains(string(page), "/api/v1/openapi.json") {
		t.Errorf("GET /api/docs: %d", resp.StatusCode)
	}
}
