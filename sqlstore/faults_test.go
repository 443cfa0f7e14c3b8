package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
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

// TestDatabaseDownIsUnavailable: a PostgreSQL that refuses connections (it
// is stopped) is "unavailable", a 503, not an internal error.
func TestDatabaseDownIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	db, err := sql.Open("pgx", "postgres://civicgrid@"+addr+"/civicgrid?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(context.Background(), `SELECT 1`).Scan(&n)
	if code := civicgrid.ErrorCode(err); code != civicgrid.EUNAVAILABLE {
		t.Errorf("a database that is down: %v, code %s", err, code)
	}
}
