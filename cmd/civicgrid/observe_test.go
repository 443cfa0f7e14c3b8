package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"github.com/civicgrid/civicgrid"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the metrics over HTTP and parses them with Prometheus's own
// text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// sample is the value of the family's series with the labels given (a
// counter, a gauge, or a histogram's count); 0 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
metrics:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue metrics
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum
}

// TestMetricsAndLogs runs the real server with metrics on their own
// address and JSON logs, sends requests as demo users, and checks that the
// metrics move, that errors carry the request id the logs carry, and that
// no log line holds a demo person's phone or name.
func TestMetricsAndLogs(t *testing.T) {
	useTestStore(t)
	const metricsToken = "0123456789abcdef0123456789abcdef-test"
	srv := startServer(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0", "--log-format", "json", "--metrics-token", metricsToken)
	defer srv.kill()
	if srv.metrics == "" {
		t.Fatal("no metrics address printed")
	}
	// On the public address only with the token.
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + metricsToken} {
		req, _ := http.NewRequest("GET", srv.base+"metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served := resp.StatusCode == 200 && strings.Contains(string(b), "go_goroutines")
		if want := auth == "Bearer "+metricsToken; served != want {
			t.Errorf("GET /metrics on the public address with %q: %d, served %v", auth, resp.StatusCode, served)
		}
	}
	before := scrape(t, srv.metrics)
	loginOK := map[string]string{"method": "POST", "route": "/api/v1/auth/login", "status": "200"}

	// Every demo account logs in and reads itself.
	for _, d := range demoAccounts {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		resp, err := c.Post(srv.base+"api/v1/auth/login", "application/json",
			strings.NewReader(`{"phone":"`+d.phone+`","password":"`+DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("login %s: %d", d.role, resp.StatusCode)
		}
		if resp, err = c.Get(srv.base + "api/v1/me"); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A wrong password, with a phone in the body: refused, and the phone
	// must not reach the log.
	resp, err := http.Post(srv.base+"api/v1/auth/login", "application/json",
		strings.NewReader(`{"phone":"`+demoAccounts[0].phone+`","password":"wrong-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A password-reset code texted to a demo account: the development
	// sender logs the message, and must not log the whole number.
	resp, err = http.Post(srv.base+"api/v1/auth/reset/code", "application/json",
		strings.NewReader(`{"phone":"`+demoAccounts[0].phone+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("reset code: %d", resp.StatusCode)
	}
	// A photo through the API token.
	req, _ := http.NewRequest("POST", srv.base+"api/v1/photos", bytes.NewReader(testJPEG()))
	req.Header.Set("Authorization", "Bearer "+srv.token)
	req.Header.Set("Content-Type", "image/jpeg")
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("photo upload: %v %v", err, resp)
	}
	resp.Body.Close()
	// Reports through the API token.
	const reports = 5
	var ids []string
	for i := range reports {
		req, _ := http.NewRequest("POST", srv.base+"api/v1/cases", strings.NewReader(
			`{"category":"C0005","description":"水管破裂 `+demoAccounts[3].name+`","lat":30.5928,"lng":114.2986}`))
		req.Header.Set("Authorization", "Bearer "+srv.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var in struct {
			Case struct{ ID json.Number } `json:"case"`
		}
		json.NewDecoder(resp.Body).Decode(&in)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("report %d: %d", i, resp.StatusCode)
		}
		ids = append(ids, in.Case.ID.String())
	}
	for _, id := range ids {
		req, _ := http.NewRequest("GET", srv.base+"api/v1/cases/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+srv.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// An error answer carries the request id, the same as in the header.
	resp, err = http.Get(srv.base + "api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	reqID := resp.Header.Get("X-Request-ID")
	if resp.StatusCode != 401 || e.Error.RequestID == "" || e.Error.RequestID != reqID {
		t.Fatalf("error answer: %d %+v, X-Request-ID %q", resp.StatusCode, e, reqID)
	}

	after := scrape(t, srv.metrics)
	delta := func(name string, labels map[string]string) float64 {
		return sample(after, name, labels) - sample(before, name, labels)
	}
	if got := delta("civicgrid_http_requests_total", loginOK); got != float64(len(demoAccounts)) {
		t.Errorf("logins counted: %v, want %d", got, len(demoAccounts))
	}
	if got := delta("civicgrid_http_requests_total", map[string]string{"route": "/api/v1/auth/login", "status": "401"}); got != 1 {
		t.Errorf("refused logins counted: %v, want 1", got)
	}
	if got := delta("civicgrid_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/cases/{id}"}); got != reports {
		t.Errorf("case reads timed: %v, want %d (by pattern)", got, reports)
	}
	if got := delta("civicgrid_case_events_total", map[string]string{"action": "report"}); got != reports {
		t.Errorf("report events: %v, want %d", got, reports)
	}
	if got := delta("civicgrid_photo_processing_seconds", map[string]string{"format": "jpeg"}); got != 1 {
		t.Errorf("photos processed: %v, want 1", got)
	}
	if got := delta("civicgrid_intake_batch_size", nil); got < 1 || got > reports {
		t.Errorf("intake batches: %v, want 1..%d", got, reports)
	}
	for _, f := range after["civicgrid_http_requests_total"].Metric {
		for _, l := range f.Label {
			if l.GetName() != "route" {
				continue
			}
			for seg := range strings.SplitSeq(l.GetValue(), "/") {
				if seg != "" && strings.Trim(seg, "0123456789") == "" {
					t.Errorf("a raw path as route label: %q", l.GetValue())
				}
			}
		}
	}
	for _, name := range []string{"go_goroutines", "civicgrid_sse_clients", "go_sql_open_connections", "civicgrid_webhook_attempts_total", "civicgrid_scheduler_lag_seconds",
		"civicgrid_open_cases"} {
		if after[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}

	// Stop the server and read its logs.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	logs := srv.stderr.String()
	if !strings.Contains(logs, "DEVELOPMENT SMS SENDER") || !strings.Contains(logs, civicgrid.MaskPhone(demoAccounts[0].phone)) {
		t.Error("the development SMS sender's line (with the masked phone) is not in the logs")
	}
	for _, d := range demoAccounts {
		if strings.Contains(logs, d.phone) || strings.Contains(logs, d.name) {
			t.Errorf("the logs name demo account %s (%s or %s)", d.role, d.phone, d.name)
		}
	}
	if strings.Contains(logs, srv.token) || strings.Contains(logs, DemoPassword) || strings.Contains(logs, metricsToken) {
		t.Error("the logs hold a token or the demo password")
	}
	access, withActor, quoted := 0, 0, false
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Text())
		}
		if line["msg"] != "request" {
			continue
		}
		access++
		if line["request_id"] == "" || line["route"] == nil || line["status"] == nil || line["duration"] == nil {
			t.Errorf("access line lacks a field: %s", sc.Text())
		}
		if a, _ := line["actor"].(string); strings.HasPrefix(a, "user:") || strings.HasPrefix(a, "token:") {
			withActor++
		}
		if line["request_id"] == reqID && line["status"] == float64(401) {
			quoted = true
		}
	}
	if want := 2*len(demoAccounts) + 1 + 2*reports + 1; access < want {
		t.Errorf("%d access lines, want at least %d", access, want)
	}
	if withActor < len(demoAccounts)+2*reports {
		t.Errorf("%d access lines name their actor, want at least %d", withActor, len(demoAccounts)+2*reports)
	}
	if !quoted {
		t.Errorf("the request id %s of the error answer is not on its access line", reqID)
	}
}

// TestObserveFlagsRefuseBadValues: a bad log format or level, or a short
// metrics token, stops serve before it touches the data directory.
func TestObserveFlagsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"--log-format", "xml", "--log-format"},
		{"--log-level", "loud", "--log-level"},
		{"--metrics-token", "short", "at least 32"},
	} {
		data := filepath.Join(t.TempDir(), "data")
		_, err := runCmd(t, "serve", "--data", data, "--addr", "127.0.0.1:0", tc.flag, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v", tc.flag, tc.value, err)
		}
		if _, err := os.Stat(data); err == nil {
			t.Errorf("%s %s: the data directory was made", tc.flag, tc.value)
		}
	}
}
