package notices_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testpdf"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/photo"
)

// files counts the files kept under dir.
func files(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Staff attach PDFs (sent with the notice, or uploaded first and named by
// ref); the notice's readers get them, others do not; anything that is
// not a PDF, empty, too large or one too many is refused with nothing
// written — no notice, no file.
func TestNoticeDocuments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := photo.NewStore(dir, photo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, false, func(c *notices.Config) { c.Documents = store })
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	other := e.person("李明", civicgrid.RoleResident, away+"0010001")
	plan := testpdf.PDF(t, "Water off on Saturday 8:00-12:00", 2)
	in := civicgrid.NoticeInput{Scope: community, Title: "停水通知", Body: "见附件。"}

	// Refused, nothing written.
	big := append(bytes.Clone(plan), make([]byte, photo.MaxDocumentBytes)...)
	five := make([]notices.DocumentFile, 5)
	for i := range five {
		five[i] = notices.DocumentFile{Name: "f.pdf", Data: testpdf.PDF(t, strings.Repeat("x", i+1), 1)}
	}
	notPDF := []byte("<html><body>not a pdf</body></html>")
	for _, c := range []struct {
		name   string
		actor  civicgrid.Actor
		in     civicgrid.NoticeInput
		files  []notices.DocumentFile
		code   string
		detail string
	}{
		{"an image named pdf", staff, in, []notices.DocumentFile{{Name: "通知.pdf", Data: []byte("\x89PNG\r\n\x1a\nxxxxxxxx")}}, civicgrid.EINVALID, "not a PDF"},
		{"html", staff, in, []notices.DocumentFile{{Name: "a.pdf", Data: notPDF}}, civicgrid.EINVALID, "not a PDF"},
		{"empty", staff, in, []notices.DocumentFile{{Name: "a.pdf"}}, civicgrid.EINVALID, "empty"},
		{"cut short", staff, in, []notices.DocumentFile{{Name: "a.pdf", Data: plan[:len(plan)/2]}}, civicgrid.EINVALID, "not a PDF"},
		{"too large", staff, in, []notices.DocumentFile{{Name: "a.pdf", Data: big}}, civicgrid.ETOOLARGE, "at most 10 MiB"},
		{"too many", staff, in, five, civicgrid.EINVALID, "at most 4 documents"},
		{"no name", staff, in, []notices.DocumentFile{{Name: " /", Data: plan}}, civicgrid.EINVALID, "file name"},
		{"one good, one bad", staff, in, []notices.DocumentFile{{Name: "a.pdf", Data: plan}, {Name: "b.pdf", Data: notPDF}}, civicgrid.EINVALID, "b.pdf"},
		{"never uploaded", staff, civicgrid.NoticeInput{Scope: community, Title: "t", Body: "b",
			Documents: []civicgrid.NoticeDocument{{Ref: strings.Repeat("cd", 32) + ".pdf", Name: "x.pdf"}}}, nil, civicgrid.EINVALID, "never uploaded"},
		{"not a ref", staff, civicgrid.NoticeInput{Scope: community, Title: "t", Body: "b",
			Documents: []civicgrid.NoticeDocument{{Ref: "../../etc/passwd", Name: "x.pdf"}}}, nil, civicgrid.EINVALID, "not valid"},
		{"outside the sender's area", staff, civicgrid.NoticeInput{Scope: away, Title: "t", Body: "b"}, []notices.DocumentFile{{Name: "a.pdf", Data: plan}}, civicgrid.EFORBIDDEN, "within yours"},
	} {
		_, err := e.svc.Post(ctx, c.actor, c.in, c.files...)
		if civicgrid.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.detail) {
			t.Errorf("%s: %v, want %s %q", c.name, err, c.code, c.detail)
		}
	}
	if n := files(t, dir); n != 0 {
		t.Fatalf("refused notices wrote %d files", n)
	}
	if vs, _ := e.svc.List(ctx, staff, true); len(vs) != 0 {
		t.Fatalf("refused notices were stored: %d", len(vs))
	}
	// Uploading first is for those who post notices.
	if _, err := e.svc.UploadDocument(ctx, wang, bytes.NewReader(plan)); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a resident uploads: %v", err)
	}
	if _, err := e.svc.UploadDocument(ctx, staff, bytes.NewReader(notPDF)); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("not a PDF uploaded: %v", err)
	}
	if n := files(t, dir); n != 0 {
		t.Fatalf("refused uploads wrote %d files", n)
	}

	// Accepted: one uploaded first, one sent with the notice.
	minutes := testpdf.PDF(t, "Meeting minutes", 1)
	up, err := e.svc.UploadDocument(ctx, staff, bytes.NewReader(minutes))
	if err != nil {
		t.Fatal(err)
	}
	in.Documents = []civicgrid.NoticeDocument{{Ref: up.Ref, Name: "C:\\Users\\社工\\会议纪要"}}
	v, err := e.svc.Post(ctx, staff, in, notices.DocumentFile{Name: "停水安排.pdf", Data: plan})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Documents) != 2 || v.Documents[0].Name != "会议纪要.pdf" || v.Documents[0].Bytes != int64(len(minutes)) ||
		v.Documents[1].Name != "停水安排.pdf" || v.Documents[1].Bytes != int64(len(plan)) {
		t.Fatalf("documents %+v", v.Documents)
	}
	if n := files(t, dir); n != 2 {
		t.Fatalf("%d files kept, want 2", n)
	}
	got, err := e.svc.Get(ctx, wang, v.ID)
	if err != nil || len(got.Documents) != 2 {
		t.Fatalf("the resident's view %+v %v", got.Documents, err)
	}
	d, err := e.svc.Document(ctx, wang, v.ID, v.Documents[1].Ref)
	if err != nil || d.Name != "停水安排.pdf" {
		t.Fatalf("the resident downloads: %+v %v", d, err)
	}
	p, _ := store.DocumentPath(d.Ref)
	if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, plan) {
		t.Fatalf("kept as sent: %v", err)
	}
	// Not a reader, not this notice's document: not found.
	if _, err := e.svc.Document(ctx, other, v.ID, d.Ref); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("another district's resident: %v", err)
	}
	if _, err := e.svc.Document(ctx, civicgrid.Actor{}, v.ID, d.Ref); civicgrid.ErrorCode(err) != civicgrid.EUNAUTHORIZED {
		t.Fatalf("anonymous: %v", err)
	}
	w2, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "另一条", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Document(ctx, wang, w2.ID, d.Ref); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a document of another notice: %v", err)
	}
	// A server keeping no documents refuses them.
	bare := newEnv(t, false)
	s2 := bare.person("赵社工", civicgrid.RoleCommunityStaff, community)
	if _, err := bare.svc.Post(ctx, s2, civicgrid.NoticeInput{Scope: community, Title: "t", Body: "b"}, notices.DocumentFile{Name: "a.pdf", Data: plan}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("no document store: %v", err)
	}
}
