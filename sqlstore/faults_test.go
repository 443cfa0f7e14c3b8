package sqlstore

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civicgrid/civicgrid"
)

// TestDiskFullIsNoSpace: PostgreSQL's disk_full, however wrapped, is the
// application's "no space" (SQLite's SQLITE_FULL is shown end to end in
// the server's tests); other database errors are not.
func TestDiskFullIsNoSpace(t *testing.T) {
	full := fmt.Errorf("insert case: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"})
	if err := diskFull(full); !errors.Is(err, syscall.ENOSPC) || civicgrid.ErrorCode(err) != civicgrid.ENOSPACE {
		t.Errorf("53100: %v, code %s", err, civicgrid.ErrorCode(err))
	}
	unique := &pgconn.PgError{Code: "23505"}
	if err := diskFull(unique); civicgrid.ErrorCode(err) != civicgrid.EINTERNAL {
		t.Errorf("a unique violation became %s", civicgrid.ErrorCode(err))
	}
}

// TestReconnectBackoff: the wait doubles while connecting fails, up to
// 30 s, and starts again from 1 s after a connection that worked — the
// second outage is not made to wait as long as the end of the first.
func TestReconnectBackoff(t *testing.T) {
	var b reconnectBackoff
	var got []time.Duration
	for _, connected := range []bool{false, false, false, false, false, false, false, true, false} {
		got = append(got, b.next(connected))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 1, 2}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
}
