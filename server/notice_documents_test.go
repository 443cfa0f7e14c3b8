package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testpdf"
	"github.com/civicgrid/civicgrid/photo"
)

// A notice's PDF over HTTP: staff upload it (a raw body, or a form with
// the CSRF token as a field), post the notice naming it; a resident of the
// area downloads it as an attachment that is never sniffed; a resident of
// another district, or a ref of another notice, gets 404; bad uploads are
// refused with the reason.
func TestNoticeDocumentsOverHTTP(t *testing.T) {
	e := newMatrixEnv(t)
	role := func(name string) civicgrid.RoleInfo { info, _ := civicgrid.LookupRole(name); return info }
	staff := e.actor(role(civicgrid.RoleCommunityStaff))
	resident := e.actor(role(civicgrid.RoleResident))
	away := e.newUser(civicgrid.RoleGrant{Role: civicgrid.RoleResident, AreaCode: e.away.building})
	secret, sess, err := e.db.CreateSession(context.Background(), civicgrid.Session{UserID: away.ID, Via: "password",
		ExpiresAt: time.Now().Add(time.Hour)}, civicgrid.SecurityEvent{})
	if err != nil {
		t.Fatal(err)
	}
	awayResident := mxActor{user: away, cookie: secret, csrf: sess.CSRFToken}
	pdf := testpdf.PDF(t, "Water off on Saturday", 2)

	status, body := e.send(&staff, mxRequest{"POST", "/api/v1/announcements/documents", string(pdf)})
	if status != http.StatusCreated {
		t.Fatalf("upload %d %s", status, body)
	}
	var saved photo.SavedDocument
	json.Unmarshal([]byte(body), &saved)
	if !photo.ValidDocumentRef(saved.Ref) || saved.Bytes != int64(len(pdf)) {
		t.Fatalf("saved %s", body)
	}
	// A form with the file and the token as a field (no header).
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("csrf_token", staff.csrf)
	fw, _ := mw.CreateFormFile("document", "纪要.pdf")
	fw.Write(testpdf.PDF(t, "Minutes", 1))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/announcements/documents", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: staff.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), ".pdf") {
		t.Fatalf("form upload %d %s", resp.StatusCode, b)
	}
	for _, c := range []struct {
		name, body string
		status     int
		text       string
	}{
		{"an image", string(testJPEGBytes(t)), http.StatusBadRequest, "not a PDF"},
		{"empty", "", http.StatusBadRequest, "empty"},
		{"too large", string(pdf) + strings.Repeat(" ", photo.MaxDocumentBytes), http.StatusRequestEntityTooLarge, "10 MiB"},
	} {
		if status, body := e.send(&staff, mxRequest{"POST", "/api/v1/announcements/documents", c.body}); status != c.status || !strings.Contains(body, c.text) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}

	status, body = e.send(&staff, mxRequest{"POST", "/api/v1/announcements", map[string]any{"scope": e.home.community, "title": "停水通知", "body": "见附件",
		"documents": []map[string]any{{"ref": saved.Ref, "name": "停水安排.pdf"}}}})
	if status != http.StatusCreated {
		t.Fatalf("post %d %s", status, body)
	}
	var answer struct {
		Notice struct {
			ID        int64
			Documents []civicgrid.NoticeDocument
		}
	}
	json.Unmarshal([]byte(body), &answer)
	n := answer.Notice
	if len(n.Documents) != 1 || n.Documents[0].Bytes != int64(len(pdf)) {
		t.Fatalf("posted %s", body)
	}
	get := func(a mxActor, id int64, ref string) *http.Response {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/announcements/%d/documents/%s", e.srv.URL, id, ref), nil)
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: a.cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp = get(resident, n.ID, saved.Ref)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, pdf) {
		t.Fatalf("download %d (%d bytes)", resp.StatusCode, len(got))
	}
	disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "停水安排.pdf" {
		t.Fatalf("Content-Disposition %q %v", resp.Header.Get("Content-Disposition"), err)
	}
	for h, want := range map[string]string{"Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"} {
		if resp.Header.Get(h) != want {
			t.Errorf("%s: %q, want %q", h, resp.Header.Get(h), want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
	other := e.notice(false)
	for _, c := range []struct {
		name string
		a    mxActor
		id   int64
		ref  string
	}{
		{"another district's resident", awayResident, n.ID, saved.Ref},
		{"another notice's ref", resident, other, saved.Ref},
		{"a photo's path", resident, n.ID, "..%2F..%2Fetc%2Fpasswd"},
	} {
		resp := get(c.a, c.id, c.ref)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", c.name, resp.StatusCode)
		}
	}
}
