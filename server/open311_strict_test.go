package server_test

// What a strict Open311 client and an outside validator expect beyond the
// basic flow: body limits, Idempotency-Key, list parameters, locations by
// address, media URLs, dates, jurisdiction and a per-key rate limit.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// o311Post is the form of a valid request at the chain's grid.
func o311Post(e *caseEnv, key, desc string) url.Values {
	lat, lng := e.point(e.chain)
	return url.Values{"api_key": {key}, "service_code": {"C0005"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)},
		"description": {desc}}
}

// create posts form (with header) as JSON and returns the new request's id.
func (c *o311Client) create(form url.Values, header http.Header) int64 {
	t := c.t
	t.Helper()
	return c.createAt("", form, header)
}

// createAt posts to requests.json with query.
func (c *o311Client) createAt(query string, form url.Values, header http.Header) int64 {
	t := c.t
	t.Helper()
	st, b := c.postWith("/open311/v2/requests.json"+query, form, header, "")
	var created []struct {
		ServiceRequestID string `json:"service_request_id"`
	}
	if st != http.StatusCreated || json.Unmarshal(b, &created) != nil || len(created) != 1 {
		t.Fatalf("POST: %d %s", st, b)
	}
	var id int64
	fmt.Sscan(created[0].ServiceRequestID, &id)
	return id
}

func (e *caseEnv) caseCount() int {
	e.t.Helper()
	cs, err := e.db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(cs)
}

func TestOpen311BodyLimit(t *testing.T) {
	e, c, key := newO311Env(t)
	for _, size := range []int{100 << 10, 11 << 20} {
		form := o311Post(e, key, strings.Repeat("x", size))
		st, b := c.post("/open311/v2/requests.json", form, "")
		if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too_large") && !strings.Contains(string(b), "over") {
			t.Errorf("a %d-byte POST: %d %.200s, want 413", size, st, b)
		}
	}
	req, _ := http.NewRequest("POST", c.base+"/open311/v2/requests.json", strings.NewReader(o311Post(e, key, "json").Encode()))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a POST that is not a form: %d, want 400", resp.StatusCode)
	}
	if n := e.caseCount(); n != 0 {
		t.Errorf("refused POSTs made %d cases", n)
	}
}

func TestOpen311IdempotencyKey(t *testing.T) {
	e, c, key := newO311Env(t)
	h := http.Header{"Idempotency-Key": {"retry-7f3a"}}
	first := c.create(o311Post(e, key, "井盖缺失"), h)
	again := c.create(o311Post(e, key, "井盖缺失"), h)
	if again != first {
		t.Errorf("a retry with the same key made request %d, want %d", again, first)
	}
	st, b := c.postWith("/open311/v2/requests.json", o311Post(e, key, "另一件事"), h, "")
	if st != http.StatusConflict || !strings.Contains(string(b), "Idempotency-Key") {
		t.Errorf("the same key with another body: %d %s, want 409 naming the key", st, b)
	}
	c.create(o311Post(e, key, "另一件事"), http.Header{"Idempotency-Key": {"retry-8b21"}})
	if n := e.caseCount(); n != 2 {
		t.Errorf("%d cases, want 2", n)
	}
}

func TestOpen311ListParameters(t *testing.T) {
	e, c, key := newO311Env(t)
	id := c.create(o311Post(e, key, "水管破裂"), nil)
	for _, q := range []string{
		"status=open,closed", "status=open&status=closed", "status=closed,open",
		"service_code=C0007,C0005", "service_code=C0007&service_code=C0005", "service_code=C0005,%20C0007",
		"start_date=2026-11-01", "start_date=2026-11", "end_date=2026-11-23", "start_date=2026-11-01&end_date=2026-11-30",
		"start_date=2026-11-23T09:00%2B08:00", "start_date=2026-11-23T00:00:00+08:00", "start_date=2026-11-23T00:00:00.5Z",
		"service_request_id=999999&service_request_id=" + fmt.Sprint(id),
	} {
		st, b := c.get("/open311/v2/requests.json?"+q, "requests")
		if st != 200 || !strings.Contains(string(b), fmt.Sprintf(`"service_request_id":"%d"`, id)) {
			t.Errorf("%s: %d %.300s, want the request listed", q, st, b)
		}
	}
	for _, q := range []string{"service_code=C0007,C0001", "end_date=2026-11-22", "start_date=2026-11-24"} {
		if st, b := c.get("/open311/v2/requests.json?"+q, "requests"); st != 200 || strings.Contains(string(b), `"service_request_id"`) {
			t.Errorf("%s: %d %.300s, want an empty list", q, st, b)
		}
	}
	for _, q := range []string{"status=open,pending", "start_date=2026-13-01", "start_date=11/01/2026"} {
		if st, b := c.get("/open311/v2/requests.json?"+q, ""); st != 400 {
			t.Errorf("%s: %d %s, want 400", q, st, b)
		}
	}
	// Coordinates are rounded for the public without float noise, and XML
	// without extensions has no empty notes.
	_, b := c.get(fmt.Sprintf("/open311/v2/requests/%d.json", id), "requests")
	if regexp.MustCompile(`"(lat|long)":-?\d+\.\d{4,}`).Match(b) {
		t.Errorf("coordinates with float noise: %s", b)
	}
	_, b = c.get(fmt.Sprintf("/open311/v2/requests/%d.xml", id), "")
	if strings.Contains(string(b), "<notes") {
		t.Errorf("notes without extensions=true: %s", b)
	}
	_, b = c.get(fmt.Sprintf("/open311/v2/requests/%d.xml?extensions=true", id), "")
	if !strings.Contains(string(b), "<notes><note>") {
		t.Errorf("no notes with extensions=true: %s", b)
	}
}

func TestOpen311LocationsAndMedia(t *testing.T) {
	e, c, key := newO311Env(t)
	ctx := context.Background()
	building, err := e.db.AreaByCode(ctx, e.chain.building)
	if err != nil {
		t.Fatal(err)
	}
	form := func(extra url.Values) url.Values {
		f := url.Values{"api_key": {key}, "service_code": {"C0005"}, "description": {"楼下水管破裂"}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	for name, loc := range map[string]url.Values{
		"address_id":                 {"address_id": {building.Code}},
		"address_string":             {"address_string": {building.Name}},
		"address_string with a city": {"address_string": {"湖北省武汉市 " + building.Name}},
	} {
		id := c.create(form(loc), nil)
		got, err := e.db.CaseByID(ctx, id)
		if err != nil || got.BuildingCode != building.Code || got.GridCode != e.chain.grid {
			t.Errorf("%s: case %+v %v, want building %s in grid %s", name, got, err, building.Code, e.chain.grid)
		}
	}
	n := e.caseCount()
	missing := building.Code[:15] + "9999"
	for name, tc := range map[string]struct {
		extra url.Values
		says  string
	}{
		"unknown address":           {url.Values{"address_string": {"火星路1号"}}, "names no building"},
		"unknown address_id":        {url.Values{"address_id": {missing}}, "no building has the code"},
		"address_id not a building": {url.Values{"address_id": {e.chain.grid}}, "not a building code"},
		"unknown building_code":     {url.Values{"address_id": {building.Code}, "attribute[building_code]": {missing}}, missing},
		"lat without long":          {url.Values{"lat": {"30.6"}}, "lat and long"},
		"javascript media":          {url.Values{"address_id": {building.Code}, "media_url": {"javascript:alert(1)"}}, "media_url"},
		"http media":                {url.Values{"address_id": {building.Code}, "media_url": {"http://photos.example.org/1.jpg"}}, "media_url"},
	} {
		st, b := c.post("/open311/v2/requests.json", form(tc.extra), "")
		if st != 400 || !strings.Contains(string(b), tc.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", name, st, b, tc.says)
		}
	}
	lat, lng := e.point(e.chain)
	st, b := c.post("/open311/v2/requests.json", form(url.Values{"lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)},
		"attribute[building_code]": {missing}}), "")
	if st != 400 || !strings.Contains(string(b), missing) {
		t.Errorf("a non-existent building code with lat and long: %d %s", st, b)
	}
	if got := e.caseCount(); got != n {
		t.Errorf("refused POSTs made %d cases", got-n)
	}

	// An https media_url is kept as the request's media, not in its words.
	const media = "https://photos.example.org/burst-pipe.jpg"
	id := c.create(form(url.Values{"address_id": {building.Code}, "media_url": {media}}), nil)
	for _, f := range []string{"json", "xml"} {
		_, b := c.get(fmt.Sprintf("/open311/v2/requests/%d.%s", id, f), "requests")
		if !strings.Contains(string(b), media) {
			t.Errorf("%s: media_url not returned: %s", f, b)
		}
	}
	if got, _ := e.db.CaseByID(ctx, id); strings.Contains(got.Description, media) {
		t.Errorf("media_url put in the description: %q", got.Description)
	}
}

func TestOpen311JurisdictionInQueryString(t *testing.T) {
	e, c, key := newO311Env(t)
	st, b := c.post("/open311/v2/requests.json?jurisdiction_id=beijing", o311Post(e, key, "x"), "")
	if st != http.StatusNotFound || !strings.Contains(string(b), "jurisdiction") {
		t.Errorf("unknown jurisdiction_id in a POST's query: %d %s, want 404", st, b)
	}
	c.createAt("?jurisdiction_id=420100", o311Post(e, key, "x"), nil)
	if n := e.caseCount(); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}

// TestOpen311RateLimitPerKey: one api_key files at most a minute's worth of
// requests at once; another key is not held back by it.
func TestOpen311RateLimitPerKey(t *testing.T) {
	e, c, key := newO311Env(t)
	// Each attempt counts, valid or not; these lack a service_code.
	bad := url.Values{"api_key": {key}}
	for i := range 60 {
		if st, b := c.post("/open311/v2/requests.json", bad, ""); st != 400 {
			t.Fatalf("attempt %d: %d %s", i+1, st, b)
		}
	}
	req, _ := http.NewRequest("POST", c.base+"/open311/v2/requests.json", strings.NewReader(o311Post(e, key, "x").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("attempt 61: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	other, _, err := e.db.CreateOpen311Key(context.Background(), "another client", civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	c.create(o311Post(e, other, "x"), nil)
	if n := e.caseCount(); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}
