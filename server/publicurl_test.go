package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	qrcode "github.com/skip2/go-qrcode"
)

// mxPublicURL is the matrix server's --public-url.
const mxPublicURL = "https://grid.example.gov.cn"

// The door code of a lecture points at the public address, not at the
// host the request came to (the test server's loopback address), and the
// lecture feed's UIDs carry the public host.
func TestQRCodesUsePublicURL(t *testing.T) {
	e := newMatrixEnv(t)
	info := func(role string) civicgrid.RoleInfo { r, _ := civicgrid.LookupRole(role); return r }
	staff := e.actor(info(civicgrid.RoleCommunityStaff))
	l := e.lecture(false)
	st, body := e.send(&staff, mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/lectures/%d/door.png", l.ID)})
	want, err := qrcode.Encode(fmt.Sprintf("%s/lectures/%d/check-in?code=%s", mxPublicURL, l.ID, l.CheckInCode), qrcode.Medium, 320)
	if err != nil {
		t.Fatal(err)
	}
	if st != http.StatusOK || body != string(want) {
		t.Fatalf("door code: %d, %d bytes; not the QR code of the public address", st, len(body))
	}
	if strings.Contains(e.srv.URL, "grid.example.gov.cn") {
		t.Fatal("the test server must not listen at the public name")
	}
}
