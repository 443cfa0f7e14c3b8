package server

import (
	"strings"
	"testing"
)

// TestEveryLiveStreamIsUnbounded: a route that answers a live stream
// (server-sent events) is neither cut at the request deadline nor counted
// among the requests at work — or each open page would hold a place for
// as long as it is open, and lose its stream every RequestTimeout.
func TestEveryLiveStreamIsUnbounded(t *testing.T) {
	streams := 0
	for pattern, op := range operations {
		method, path, _ := strings.Cut(pattern, " ")
		if op.produces != "text/event-stream" {
			continue
		}
		streams++
		if method != "GET" || !unbounded[path] {
			t.Errorf("%s answers a live stream but is bounded by the request deadline and the bound of requests at work", pattern)
		}
	}
	if streams < 2 {
		t.Errorf("%d live streams found in the operations; the cases' and the notices' at least", streams)
	}
}
