package server

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinBytes is the smallest body worth compressing: below it the gzip
// header and a round of CPU cost more than they save.
const gzipMinBytes = 1024

// compressible lists the media types sent gzipped: pages, scripts, styles,
// JSON, GeoJSON, CSV, SVG. Photos are compressed already; event streams must
// flush each event as it is written.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case mt == "text/event-stream":
		return false
	case strings.HasPrefix(mt, "text/"):
		return true
	}
	switch mt {
	case "application/json", "application/geo+json", "application/javascript", "application/xml",
		"image/svg+xml", "application/manifest+json":
		return true
	}
	return false
}

// Answers are compressed at the fastest level: most of the saving for a
// fraction of the CPU of the default level (API answers are made per
// request, not once).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// gzipResponses compresses text responses for clients that accept gzip.
// Whether to compress is decided at the first write, from the response's
// Content-Type, so handlers need not know. Range requests are left alone
// (their byte offsets are of the uncompressed file).
func gzipResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, method: r.Method}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip listed without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

type gzipWriter struct {
	http.ResponseWriter
	method  string
	decided bool
	status  int
	zw      *gzip.Writer
}

// WriteHeader decides whether to compress: a 200-class or error answer of a
// compressible type with no encoding of its own and not known to be tiny.
func (g *gzipWriter) WriteHeader(status int) {
	if g.decided {
		return
	}
	g.decided, g.status = true, status
	h := g.Header()
	small := false
	if cl, err := strconv.Atoi(h.Get("Content-Length")); err == nil && cl < gzipMinBytes {
		small = true
	}
	if g.method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified &&
		status >= 200 && h.Get("Content-Encoding") == "" && !small && compressible(h.Get("Content-Type")) {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
			// The compressed body is another representation.
			h.Set("ETag", "W/"+etag)
		}
		g.zw = gzipWriters.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		h := g.Header()
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far (streams, long pages).
func (g *gzipWriter) Flush() {
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.zw != nil {
		g.zw.Close()
		g.zw.Reset(io.Discard)
		gzipWriters.Put(g.zw)
		g.zw = nil
	}
}
