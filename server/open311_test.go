package server_test

// An Open311 GeoReport v2 client flow in XML and JSON: discovery →
// services → definition → POST → token → GET one → GET list with filters
// → errors. JSON answers are validated against the GeoReport JSON Schemas
// in ../../shared/open311/schema when that folder is present (it is beside
// every CI clone, not part of the project).

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/server"
)

const schemaDir = "../../shared/open311/schema"

// o311Schemas compiles the shared schemas, or returns nil when absent.
func o311Schemas(t *testing.T) map[string]*jsonschema.Schema {
	if _, err := os.Stat(schemaDir); err != nil {
		t.Logf("no %s: JSON answers are checked by the test's own assertions only", schemaDir)
		return nil
	}
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"services", "service-definition", "requests", "request"} {
		abs, err := filepath.Abs(filepath.Join(schemaDir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile(abs)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

type o311Client struct {
	t       *testing.T
	base    string
	schemas map[string]*jsonschema.Schema
}

// get fetches path in format and returns status and body; JSON bodies of
// successful answers are checked against schema (if named and present).
func (c *o311Client) get(path, schema string) (int, []byte) {
	c.t.Helper()
	resp, err := http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.check(resp, b, schema)
	return resp.StatusCode, b
}

func (c *o311Client) post(path string, form url.Values, schema string) (int, []byte) {
	c.t.Helper()
	return c.postWith(path, form, nil, schema)
}

// postWith posts form with extra headers.
func (c *o311Client) postWith(path string, form url.Values, header http.Header, schema string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.check(resp, b, schema)
	return resp.StatusCode, b
}

func (c *o311Client) check(resp *http.Response, b []byte, schema string) {
	c.t.Helper()
	ct := resp.Header.Get("Content-Type")
	if strings.HasSuffix(resp.Request.URL.Path, ".xml") {
		if ct != "text/xml; charset=utf-8" || !strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`) {
			c.t.Errorf("%s: content type %q, body starts %.60q", resp.Request.URL.Path, ct, b)
		}
		if err := xml.Unmarshal(b, new(any)); err != nil && !strings.Contains(err.Error(), "unknown type") {
			var v struct{}
			if err := xml.Unmarshal(b, &v); err != nil {
				c.t.Errorf("%s: not well-formed XML: %v", resp.Request.URL.Path, err)
			}
		}
		return
	}
	if ct != "application/json; charset=utf-8" {
		c.t.Errorf("%s: content type %q", resp.Request.URL.Path, ct)
	}
	if schema == "" || c.schemas == nil || resp.StatusCode >= 300 {
		return
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatalf("%s: %v", resp.Request.URL.Path, err)
	}
	if err := c.schemas[schema].Validate(v); err != nil {
		c.t.Errorf("%s does not match %s.json: %v\n%s", resp.Request.URL.Path, schema, err, b)
	}
}

// xmlRequests decodes <service_requests>.
type xmlRequests struct {
	Requests []struct {
		ID     string  `xml:"service_request_id"`
		Token  string  `xml:"token"`
		Status string  `xml:"status"`
		Code   string  `xml:"service_code"`
		Lat    float64 `xml:"lat"`
		Notes  []struct {
			Type string `xml:"type"`
		} `xml:"notes>note"`
		Grid string `xml:"extended_attributes>grid_code"`
	} `xml:"request"`
}

type xmlErrors struct {
	Errors []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

// newO311Env is a case environment whose server also serves Open311, a
// client of it and an api_key.
func newO311Env(t *testing.T) (*caseEnv, *o311Client, string) {
	e := newCaseEnv(t)
	key, _, err := e.db.CreateOpen311Key(context.Background(), "test client", civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	// The case env's server has no Open311: serve one that has.
	s := server.New(server.Config{Cases: e.cases, Open311: e.db, Now: e.clock.Now}, e.db, nil)
	e.srv.Config.Handler = s.Handler()
	return e, &o311Client{t: t, base: e.srv.URL, schemas: o311Schemas(t)}, key
}

func TestOpen311ClientFlow(t *testing.T) {
	e, c, key := newO311Env(t)
	lat, lng := e.point(e.chain)
	staff := e.login(civicgrid.RoleCommunityStaff, e.chain.community)

	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			c.t = t
			// Discovery.
			st, b := c.get("/open311/discovery."+f, "")
			if st != 200 || !strings.Contains(string(b), "/open311/v2") || !strings.Contains(string(b), "GeoReport_v2") {
				t.Fatalf("discovery: %d %s", st, b)
			}
			// Services and a definition.
			st, b = c.get("/open311/v2/services."+f, "services")
			if st != 200 || !strings.Contains(string(b), "C0005") || !strings.Contains(string(b), "水管破裂") {
				t.Fatalf("services: %d %.300s", st, b)
			}
			st, b = c.get("/open311/v2/services/C0005."+f, "service-definition")
			if st != 200 || !strings.Contains(string(b), "building_code") {
				t.Fatalf("definition: %d %s", st, b)
			}
			// POST a request.
			form := url.Values{"api_key": {key}, "service_code": {"C0005"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)},
				"description": {"小区门口水管破裂 (" + f + ")"}, "first_name": {"晓明"}, "last_name": {"王"}, "phone": {"13812345678"}}
			st, b = c.post("/open311/v2/requests."+f, form, "")
			if st != http.StatusCreated {
				t.Fatalf("POST: %d %s", st, b)
			}
			var id string
			if f == "json" {
				var created []struct {
					ServiceRequestID string `json:"service_request_id"`
				}
				if err := json.Unmarshal(b, &created); err != nil || len(created) != 1 {
					t.Fatalf("POST answer %s: %v", b, err)
				}
				id = created[0].ServiceRequestID
			} else {
				var created xmlRequests
				if err := xml.Unmarshal(b, &created); err != nil || len(created.Requests) != 1 {
					t.Fatalf("POST answer %s: %v", b, err)
				}
				id = created.Requests[0].ID
			}
			// Realtime services answer with the id, and then no token.
			if id == "" || strings.Contains(string(b), "token") {
				t.Fatalf("POST answer: want an id and no token: %s", b)
			}
			// GET one: public, so no reporter name or phone.
			st, b = c.get("/open311/v2/requests/"+id+"."+f+"?extensions=true", "requests")
			if st != 200 || !strings.Contains(string(b), id) || strings.Contains(string(b), "13812345678") || strings.Contains(string(b), "晓明") {
				t.Fatalf("GET one: %d %s", st, b)
			}
			if !strings.Contains(string(b), e.chain.grid) || !strings.Contains(string(b), "report") {
				t.Errorf("extensions lack the grid code or the notes: %s", b)
			}
			// Staff see the reporter's name masked in the case API.
			var v caseView
			e.call(staff, "GET", "/api/v1/cases/"+id, nil, &v)
			if v.Channel != civicgrid.ChannelOpen311 || v.ReporterName != "王**" || v.ReporterPhone != "138****5678" {
				t.Errorf("staff view of an Open311 case: channel %s name %q phone %q", v.Channel, v.ReporterName, v.ReporterPhone)
			}
			// Lists with filters.
			st, b = c.get("/open311/v2/requests."+f+"?service_code=C0005&status=open", "requests")
			if st != 200 || !strings.Contains(string(b), id) {
				t.Fatalf("list open: %d %s", st, b)
			}
			st, b = c.get("/open311/v2/requests."+f+"?status=closed", "requests")
			if st != 200 || strings.Contains(string(b), ">"+id+"<") || strings.Contains(string(b), `"`+id+`"`) {
				t.Errorf("closed list holds the open request: %s", b)
			}
			st, b = c.get("/open311/v2/requests."+f+"?service_code=C0007", "requests")
			if st != 200 || strings.Contains(string(b), "C0005") {
				t.Errorf("other service code listed C0005: %s", b)
			}
			st, b = c.get("/open311/v2/requests."+f+"?service_request_id="+id+"&service_code=C0007", "requests")
			if st != 200 || !strings.Contains(string(b), id) {
				t.Errorf("service_request_id must override other filters: %s", b)
			}
			st, b = c.get("/open311/v2/requests."+f+"?page=1&page_size=1", "requests")
			if st != 200 || strings.Count(string(b), "service_request_id") != map[string]int{"json": 1, "xml": 2}[f] {
				t.Errorf("page_size=1: %s", b)
			}

			// Errors: 403 bad key, 404 unknown things, 400 bad input.
			for _, tt := range []struct {
				method, path string
				form         url.Values
				status       int
				says         string
			}{
				{"POST", "/open311/v2/requests." + f, url.Values{"api_key": {"o311_wrong"}, "service_code": {"C0005"}, "lat": {"30.6"}, "long": {"114.3"}}, 403, "api_key"},
				{"POST", "/open311/v2/requests." + f, url.Values{"service_code": {"C0005"}, "lat": {"30.6"}, "long": {"114.3"}}, 403, "api_key"},
				{"POST", "/open311/v2/requests." + f, url.Values{"api_key": {key}, "service_code": {"99999"}, "lat": {"30.6"}, "long": {"114.3"}}, 404, "service_code"},
				{"POST", "/open311/v2/requests." + f, url.Values{"api_key": {key}, "lat": {"30.6"}, "long": {"114.3"}}, 400, "service_code is required"},
				{"POST", "/open311/v2/requests." + f, url.Values{"api_key": {key}, "service_code": {"C0005"}}, 400, "location"},
				{"POST", "/open311/v2/requests." + f, url.Values{"api_key": {key}, "service_code": {"C0005"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)}, "description": {strings.Repeat("长", 4001)}}, 400, "4000"},
				{"GET", "/open311/v2/services/99999." + f, nil, 404, "99999"},
				{"GET", "/open311/v2/requests/999999." + f, nil, 404, "999999"},
				{"GET", "/open311/v2/tokens/nosuchtoken." + f, nil, 404, "nosuchtoken"},
				{"GET", "/open311/v2/requests." + f + "?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00", nil, 400, "90 days"},
				{"GET", "/open311/v2/requests." + f + "?start_date=yesterday", nil, 400, "ISO 8601"},
				{"GET", "/open311/v2/requests." + f + "?status=pending", nil, 400, "status"},
				{"GET", "/open311/v2/services." + f + "?jurisdiction_id=beijing", nil, 404, "jurisdiction"},
			} {
				var st int
				var b []byte
				if tt.method == "POST" {
					st, b = c.post(tt.path, tt.form, "")
				} else {
					st, b = c.get(tt.path, "")
				}
				if st != tt.status || !strings.Contains(string(b), tt.says) {
					t.Errorf("%s %s: %d %s, want %d saying %q", tt.method, tt.path, st, b, tt.status, tt.says)
					continue
				}
				if f == "xml" {
					var errs xmlErrors
					if err := xml.Unmarshal(b, &errs); err != nil || len(errs.Errors) == 0 || errs.Errors[0].Code != tt.status {
						t.Errorf("%s: XML error list %s (%v)", tt.path, b, err)
					}
				} else {
					var errs []struct {
						Code        int    `json:"code"`
						Description string `json:"description"`
					}
					if err := json.Unmarshal(b, &errs); err != nil || len(errs) == 0 || errs[0].Code != tt.status {
						t.Errorf("%s: JSON error list %s (%v)", tt.path, b, err)
					}
				}
			}
		})
	}
	// A request closed through the case loop reads "closed".
	e.clock.Advance(time.Minute)
	cs, _ := e.db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 1})
	id := cs[0].ID
	worker := e.login(civicgrid.RoleGridWorker, e.chain.grid)
	e.step(staff, id, civicgrid.CaseRegister, nil)
	e.step(staff, id, civicgrid.CaseDispatch, map[string]any{"assignee_id": worker.user.ID})
	e.step(worker, id, civicgrid.CaseAccept, nil)
	e.step(worker, id, civicgrid.CaseHandle, e.evidence())
	e.step(staff, id, civicgrid.CaseVerify, nil)
	e.step(staff, id, civicgrid.CaseClose, nil)
	c.t = t
	st, b := c.get(fmt.Sprintf("/open311/v2/requests/%d.json", id), "requests")
	var got []struct {
		Status      string `json:"status"`
		StatusNotes string `json:"status_notes"`
	}
	json.Unmarshal(b, &got)
	if st != 200 || len(got) != 1 || got[0].Status != "closed" || !strings.Contains(got[0].StatusNotes, "closed") {
		t.Errorf("closed request: %d %s", st, b)
	}
}

// TestOpen311ListsAreKeptAMoment: a public list answer is made once and
// served again for up to two seconds (clients poll the same lists many
// times a second), then made afresh; each format and query has its own.
func TestOpen311ListsAreKeptAMoment(t *testing.T) {
	e, c, key := newO311Env(t)
	lat, lng := e.point(e.chain)
	count := func(path string) int {
		t.Helper()
		st, b := c.get(path, "requests")
		if st != http.StatusOK {
			t.Fatalf("%s: %d %s", path, st, b)
		}
		return strings.Count(string(b), "service_request_id")
	}
	post := func() {
		t.Helper()
		form := url.Values{"api_key": {key}, "service_code": {"C0005"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)}, "description": {"水管破裂"}}
		if st, b := c.post("/open311/v2/requests.json", form, ""); st != http.StatusCreated {
			t.Fatalf("POST: %d %s", st, b)
		}
	}
	const list = "/open311/v2/requests.json?status=open&service_code=C0005"
	post()
	if n := count(list); n != 1 {
		t.Fatalf("first list: %d requests, want 1", n)
	}
	post()
	e.clock.Advance(1900 * time.Millisecond)
	if n := count(list); n != 1 {
		t.Errorf("the same list 1.9 s later: %d requests, want the kept answer's 1", n)
	}
	if n := count("/open311/v2/requests.json?service_code=C0005&status=open"); n != 1 {
		t.Errorf("the same query in another order: %d, want the kept answer's 1", n)
	}
	if n := count(list + "&extensions=true"); n != 2 {
		t.Errorf("another query: %d requests, want 2", n)
	}
	e.clock.Advance(200 * time.Millisecond)
	if n := count(list); n != 2 {
		t.Errorf("2.1 s after it was made: %d requests, want 2", n)
	}
}
