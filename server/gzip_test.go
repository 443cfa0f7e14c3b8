package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGzipResponses(t *testing.T) {
	big := strings.Repeat("网格化服务管理 civicgrid ", 200)
	h := gzipResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"text":"`+big+`"}`)
		case "/small":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "ok")
		case "/photo":
			w.Header().Set("Content-Type", "image/jpeg")
			io.WriteString(w, big)
		case "/stream":
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "data: 1\n\n")
			w.(http.Flusher).Flush()
		case "/sniffed":
			io.WriteString(w, "<!doctype html><p>"+big)
		}
	}))
	get := func(path, enc, rng string) *http.Response {
		r := httptest.NewRequest("GET", path, nil)
		if enc != "" {
			r.Header.Set("Accept-Encoding", enc)
		}
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	for _, tc := range []struct {
		path, enc, rng string
		gzipped        bool
	}{
		{"/json", "gzip, deflate, br", "", true},
		{"/sniffed", "gzip", "", true},
		{"/json", "", "", false},
		{"/json", "gzip;q=0", "", false},
		{"/json", "gzip", "bytes=0-10", false},
		{"/small", "gzip", "", false},
		{"/photo", "gzip", "", false},
		{"/stream", "gzip", "", false},
	} {
		res := get(tc.path, tc.enc, tc.rng)
		got := res.Header.Get("Content-Encoding") == "gzip"
		if got != tc.gzipped {
			t.Errorf("%s (Accept-Encoding %q, Range %q): gzipped %v, want %v", tc.path, tc.enc, tc.rng, got, tc.gzipped)
			continue
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: no Vary: Accept-Encoding", tc.path)
		}
		body := res.Body
		if got {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		if tc.path == "/json" && !strings.Contains(string(b), big) {
			t.Errorf("%s: body lost in compression", tc.path)
		}
	}
}
