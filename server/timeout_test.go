package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/server"
)

// TestDribbledBodyIsCutOff: a client that sends part of a body and then
// stalls is answered and disconnected once the read timeout passes, instead
// of holding the connection.
func TestDribbledBodyIsCutOff(t *testing.T) {
	db := testdb.Open(t, t.TempDir())
	loc, err := locate.New(context.Background(), db, locate.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = server.New(server.Config{ReadTimeout: 100 * time.Millisecond}, db, loc).HTTPServer()
	ts.Start()
	t.Cleanup(ts.Close)
	dial := func() (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		// A guard against hanging, not a measurement.
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		return conn, bufio.NewReader(conn)
	}
	const head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: civicgrid.test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"

	conn, br := dial()
	io.WriteString(conn, strings.Replace(head, "%d", "100", 1)+`{"pho`)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the server still waits for the body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "did not arrive in time") {
		t.Errorf("a stalled body: %d %s", resp.StatusCode, b)
	}
	if n, err := br.ReadByte(); err == nil {
		t.Errorf("the connection stays open after a stalled body (read %q)", n)
	}

}

// TestStalledPhotoUpload: a photo upload cut off by the read timeout is a
// clear 400, not a server error.
func TestStalledPhotoUpload(t *testing.T) {
	e := newCaseEnv(t)
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = e.api.HTTPServer()
	ts.Config.ReadTimeout = 100 * time.Millisecond
	ts.Start()
	t.Cleanup(ts.Close)
	p := e.login(civicgrid.RoleResident, e.chain.building)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard against hanging
	io.WriteString(conn, "POST /api/v1/photos HTTP/1.1\r\nHost: civicgrid.test\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n"+
		"Cookie: cg_session="+p.cookie+"\r\nX-CSRF-Token: "+p.csrf+"\r\n\r\n\xff\xd8\xff")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the server still waits for the photo: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "did not arrive in time") {
		t.Errorf("a stalled upload: %d %s", resp.StatusCode, b)
	}
}

// TestStreamOutlivesReadTimeout: the read timeout ends with the request's
// body, so a live stream (no body) keeps delivering after it has passed.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	e := newCaseEnv(t)
	const timeout = 100 * time.Millisecond
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = e.api.HTTPServer()
	ts.Config.ReadTimeout = timeout
	ts.Start()
	t.Cleanup(ts.Close)
	e.srv = ts
	p := e.cast()
	worker := e.openStream(p.worker, "")
	time.Sleep(3 * timeout) // past the read deadline of the stream's request
	c := e.report(p.resident, "C0005", e.chain)
	if ev := nextEvent(t, worker, "worker"); ev.Case.ID != c.ID {
		t.Fatalf("event for case %d, want %d", ev.Case.ID, c.ID)
	}
}
