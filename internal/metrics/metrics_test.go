package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandlerToken(t *testing.T) {
	s := New()
	s.HTTP("GET", "/api/v1/x/{id}", 200, time.Millisecond)
	srv := httptest.NewServer(s.Handler("0123456789abcdef0123456789abcdef"))
	defer srv.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"0123456789abcdef0123456789abcdef", 401}, {"Bearer 0123456789abcdef0123456789abcdef", 200}} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
		if got := strings.Contains(b.String(), `civicgrid_http_requests_total{method="GET",route="/api/v1/x/{id}",status="200"} 1`); got != (tc.want == 200) {
			t.Errorf("Authorization %q: metrics shown = %v", tc.auth, got)
		}
	}
}

func TestNilSetRecordsNothing(t *testing.T) {
	var s *Set
	s.HTTP("GET", "/", 200, 0)
	s.CaseEvent("report")
	s.IntakeBatch(3, 0)
	s.Escalated(time.Second)
	s.Webhook("dead")
	s.Gauge("x", "y", func() float64 { return 1 })
}
