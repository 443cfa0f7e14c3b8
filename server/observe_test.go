package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/civicgrid/civicgrid/internal/metrics"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// TestRequestIDs: a proxy's plain X-Request-ID is kept, anything else is
// replaced by the server's own, and every answer carries one.
func TestRequestIDs(t *testing.T) {
	set := metrics.New()
	e := newCaseEnvWith(t, openDemoStore, func(cfg *server.Config, _ *sqlstore.DB) { cfg.Metrics = set })
	for _, tc := range []struct{ sent, want string }{
		{"", ""}, {"req-42.a_B", "req-42.a_B"}, {"evil\" level=ERROR", ""}, {strings.Repeat("x", 65), ""},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/cases/12345", nil)
		if tc.sent != "" {
			req.Header.Set("X-Request-ID", tc.sent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-ID")
		switch {
		case tc.want != "" && got != tc.want:
			t.Errorf("sent %q: answered %q, want it kept", tc.sent, got)
		case tc.want == "" && (len(got) != 16 || got == tc.sent):
			t.Errorf("sent %q: answered %q, want a fresh 16-digit id", tc.sent, got)
		}
	}
	// The four requests are counted under the route's pattern.
	if n := testutil.CollectAndCount(set.Registry(), "civicgrid_http_requests_total"); n != 1 {
		t.Errorf("%d request series, want 1 (one pattern, one status)", n)
	}
	want := `
# HELP civicgrid_http_requests_total HTTP requests answered, by method, route pattern and status code.
# TYPE civicgrid_http_requests_total counter
civicgrid_http_requests_total{method="GET",route="/api/v1/cases/{id}",status="401"} 4
`
	if err := testutil.GatherAndCompare(set.Registry(), strings.NewReader(want), "civicgrid_http_requests_total"); err != nil {
		t.Error(err)
	}
}
