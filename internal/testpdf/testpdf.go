// Package testpdf makes small, valid PDF documents for tests (notice
// attachments), with the PDF writer the certificates use.
package testpdf

import (
	"bytes"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// PDF returns a document of the given number of pages (at least one),
// each saying text (ASCII), made the same way on each call.
func PDF(t testing.TB, text string, pages int) []byte {
	t.Helper()
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f.SetModificationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f.SetFont("Helvetica", "", 14)
	for i := 0; i < max(1, pages); i++ {
		f.AddPage()
		f.Cell(40, 10, text)
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
