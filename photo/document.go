package photo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
)

// Documents (PDF files attached to notices) are kept as photos are: under
// the SHA-256 of their content, written whole or not at all (put), in the
// same directory. They are never re-encoded — a PDF is stored as uploaded
// — so they are checked by their content before anything is written, and
// served only by the routes of what they are attached to (never by
// /photos/{ref}: ValidRef takes only ".jpg").

// MaxDocumentBytes bounds a document (10 MiB).
const MaxDocumentBytes = 10 << 20

// Reasons a document is refused.
var (
	ErrEmptyDocument = errors.New("the file is empty")
	ErrNotAPDF       = errors.New("the file is not a PDF document")
	ErrActivePDF     = errors.New("the PDF carries scripts or launch actions")
)

// SavedDocument describes a stored document.
type SavedDocument struct {
	Ref     string `json:"ref"`     // "<sha256>.pdf"
	Bytes   int64  `json:"bytes"`   // its size
	Version string `json:"version"` // the PDF version its header names ("1.7")
}

var docRefPattern = regexp.MustCompile(`^[0-9a-f]{64}\.pdf$`)

// ValidDocumentRef reports whether ref names a stored document's file.
func ValidDocumentRef(ref string) bool { return docRefPattern.MatchString(ref) }

var (
	pdfHeader    = regexp.MustCompile(`^%PDF-(1\.[0-7]|2\.0)[\r\n \t%]`)
	pdfStartXref = regexp.MustCompile(`startxref[\r\n \t]+([0-9]{1,12})[\r\n \t]+%%EOF`)
	pdfObject    = regexp.MustCompile(`^[0-9]{1,10}[\r\n \t]+[0-9]{1,5}[\r\n \t]+obj\b`)
	// Names of actions that run something when the file is opened; as
	// written plainly in a dictionary (names inside compressed object
	// streams are not looked into: the file is served for download only).
	pdfActive = regexp.MustCompile(`/(JavaScript|JS|Launch)[\s/<>\[\]()]`)
)

// CheckPDF checks that data is a PDF by its content, without writing
// anything: not empty, at most MaxDocumentBytes, the header "%PDF-1.x"
// (or 2.0) at its start, and at its end "startxref", the offset of its
// cross-reference section (a table "xref" or an xref stream's object
// "N G obj" there) and "%%EOF"; no JavaScript or launch action written
// plainly. It returns the version the header names.
func CheckPDF(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", ErrEmptyDocument
	case len(data) > MaxDocumentBytes:
		return "", fmt.Errorf("%w: more than %d MiB", ErrTooLarge, MaxDocumentBytes>>20)
	}
	head := pdfHeader.FindSubmatch(data[:min(len(data), 16)])
	if head == nil {
		return "", fmt.Errorf("%w: it does not begin with %%PDF-1.0 to 1.7 or 2.0", ErrNotAPDF)
	}
	tail := data[max(0, len(data)-1024):]
	m := pdfStartXref.FindAllSubmatch(tail, -1)
	if m == nil {
		return "", fmt.Errorf("%w: it does not end with startxref and %%%%EOF (cut short?)", ErrNotAPDF)
	}
	off, _ := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	if off <= 0 || off >= int64(len(data)) {
		return "", fmt.Errorf("%w: its cross-reference offset %d lies outside the file", ErrNotAPDF, off)
	}
	at := bytes.TrimLeft(data[off:min(int64(len(data)), off+64)], "\r\n \t")
	if !bytes.HasPrefix(at, []byte("xref")) && !pdfObject.Match(at) {
		return "", fmt.Errorf("%w: no cross-reference section at offset %d", ErrNotAPDF, off)
	}
	if pdfActive.Match(data) {
		return "", ErrActivePDF
	}
	return string(head[1]), nil
}

// SaveDocument checks a PDF (CheckPDF) and stores it as it is, under its
// hash; a file refused writes nothing.
func (s *Store) SaveDocument(r io.Reader) (SavedDocument, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return SavedDocument{}, err
	}
	version, err := CheckPDF(data)
	if err != nil {
		return SavedDocument{}, err
	}
	ref, err := s.put(data, ".pdf")
	if err != nil {
		return SavedDocument{}, s.noted(err)
	}
	return SavedDocument{Ref: ref, Bytes: int64(len(data)), Version: version}, nil
}

// DocumentPath returns the file of a document's ref.
func (s *Store) DocumentPath(ref string) (string, error) {
	if !ValidDocumentRef(ref) {
		return "", fmt.Errorf("%q is not a document reference", ref)
	}
	return s.file(ref), nil
}

// DocumentSize returns a stored document's size; an error if ref names
// none.
func (s *Store) DocumentSize(ref string) (int64, error) {
	p, err := s.DocumentPath(ref)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("document %s was never uploaded", ref)
	}
	return st.Size(), nil
}
