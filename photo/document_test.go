package photo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/testpdf"
)

func TestCheckPDF(t *testing.T) {
	good := testpdf.PDF(t, "Notice", 2)
	if v, err := CheckPDF(good); err != nil || v == "" {
		t.Fatalf("a PDF made by the writer: %q %v", v, err)
	}
	// A table "xref" at the offset startxref names, written by hand.
	handPDF := func(catalog string) ([]byte, int) {
		b := []byte("%PDF-1.4\n1 0 obj\n" + catalog + "\nendobj\n")
		off := len(b)
		b = append(b, []byte("xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n")...)
		return append(b, []byte(strconv.Itoa(off)+"\n%%EOF\n")...), off
	}
	hand, off := handPDF("<< /Type /Catalog >>")
	itoa := strconv.Itoa
	js, _ := handPDF("<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
	launch, _ := handPDF("<< /Type /Catalog /OpenAction << /S /Launch /F (x.exe) >> >>")
	if _, err := CheckPDF(hand); err != nil {
		t.Fatalf("a hand-written PDF: %v", err)
	}
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100))
	for name, c := range map[string]struct {
		data []byte
		want error
	}{
		"empty":           {nil, ErrEmptyDocument},
		"too large":       {append(bytes.Clone(good[:16]), make([]byte, MaxDocumentBytes)...), ErrTooLarge},
		"an image":        {png, ErrNotAPDF},
		"html named pdf":  {[]byte("<html><script>alert(1)</script></html>"), ErrNotAPDF},
		"header only":     {[]byte("%PDF-1.7\n%%EOF\n"), ErrNotAPDF},
		"cut short":       {good[:len(good)/2], ErrNotAPDF},
		"bad version":     {append([]byte("%PDF-9.9\n"), good[9:]...), ErrNotAPDF},
		"offset outside":  {bytes.Replace(hand, []byte("startxref\n"+itoa(off)), []byte("startxref\n999999"), 1), ErrNotAPDF},
		"offset not xref": {bytes.Replace(hand, []byte("startxref\n"+itoa(off)), []byte("startxref\n"+itoa(off-5)), 1), ErrNotAPDF},
		"javascript":      {js, ErrActivePDF},
		"launch":          {launch, ErrActivePDF},
	} {
		if _, err := CheckPDF(c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestSaveDocument(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	data := testpdf.PDF(t, "Water off on Saturday", 1)
	d, err := s.SaveDocument(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !ValidDocumentRef(d.Ref) || ValidRef(d.Ref) || d.Bytes != int64(len(data)) {
		t.Fatalf("saved %+v (a document's ref is no photo's)", d)
	}
	p, _ := s.DocumentPath(d.Ref)
	if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored as uploaded: %v", err)
	}
	if n, err := s.DocumentSize(d.Ref); err != nil || n != int64(len(data)) {
		t.Fatalf("size %d %v", n, err)
	}
	if _, err := s.Path(d.Ref); err == nil {
		t.Fatal("a document's ref must not be served as a photo")
	}
	if _, err := s.DocumentPath("../" + d.Ref); err == nil {
		t.Fatal("a path is no ref")
	}
	// Refused files write nothing.
	before := countFiles(t, dir)
	for _, bad := range [][]byte{nil, []byte("not a pdf"), data[:len(data)-40]} {
		if _, err := s.SaveDocument(bytes.NewReader(bad)); err == nil {
			t.Fatalf("%q accepted", bad[:min(len(bad), 10)])
		}
	}
	if after := countFiles(t, dir); after != before {
		t.Fatalf("refused uploads wrote %d files", after-before)
	}
	if _, err := s.DocumentSize(strings.Repeat("a", 64) + ".pdf"); err == nil {
		t.Fatal("a document never uploaded has no size")
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	return n
}
