package server_test

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps the access log (one INFO line a request) out of the test
// output; warnings and errors still show.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
