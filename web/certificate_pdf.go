package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// The certificate's PDF (A4), drawn with fpdf. Chinese text needs a CJK
// TrueType font: Config.CertificateFont names one (a .ttf, or a .ttc
// collection whose first font is taken, as Debian's fonts-wqy-microhei
// installs); when it is missing or unreadable the PDF is drawn with a
// built-in Latin font, in English, and every character that font cannot
// carry (a Chinese name, the issuer's name) is printed as "?" — the QR
// code and the verification code still lead to the public check, which
// shows them.

// DefaultCertificateFonts are tried in order when no font is configured.
var DefaultCertificateFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
}

// cjkFont is the font's TrueType bytes, read once.
type cjkFont struct {
	once sync.Once
	ttf  []byte
	err  error
}

func (f *cjkFont) load(path string) ([]byte, error) {
	f.once.Do(func() {
		paths := DefaultCertificateFonts
		if path != "" {
			paths = []string{path}
		}
		f.err = errors.New("no CJK font found")
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			f.ttf, f.err = firstFont(b)
			if f.err == nil {
				return
			}
		}
	})
	return f.ttf, f.err
}

// firstFont returns a TrueType font file: b itself, or the first font of a
// TrueType collection (ttcf) rewritten as a file of its own (fpdf reads no
// collections).
func firstFont(b []byte) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("font file too short")
	}
	be := binary.BigEndian
	switch be.Uint32(b) {
	case 0x00010000, 0x74727565: // TrueType
		return b, nil
	case 0x74746366: // ttcf
	default:
		return nil, errors.New("not a TrueType font or collection")
	}
	if be.Uint32(b[8:]) == 0 || len(b) < 16 {
		return nil, errors.New("empty font collection")
	}
	off := int(be.Uint32(b[12:]))
	if off+12 > len(b) {
		return nil, errors.New("broken font collection")
	}
	n := int(be.Uint16(b[off+4:]))
	if off+12+16*n > len(b) {
		return nil, errors.New("broken font collection")
	}
	head := 12 + 16*n
	out := make([]byte, head, head+len(b)/2)
	copy(out, b[off:off+12])
	for i := range n {
		rec := b[off+12+16*i : off+12+16*(i+1)]
		start, length := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if start+length > len(b) {
			return nil, errors.New("broken font collection table")
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		o := out[12+16*i : 12+16*(i+1)]
		copy(o, rec)
		be.PutUint32(o[8:], uint32(len(out)))
		out = append(out, b[start:start+length]...)
	}
	return out, nil
}

// certificatePDF draws the certificate in the page's language; verifyURL
// goes into the QR code.
func (ui *UI) certificatePDF(p *page, row certificateRow, verifyURL string) ([]byte, error) {
	c := row.VolunteerCertificate
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(p.catalogue["vol.cert_heading"]+" "+row.Number, true)
	pdf.SetCreator("civicgrid", true)
	cat := p.catalogue
	family, unicode := "cjk", true
	if ttf, err := ui.font.load(ui.cfg.CertificateFont); err == nil {
		pdf.AddUTF8FontFromBytes(family, "", ttf)
		if err := pdf.Error(); err != nil {
			return nil, fmt.Errorf("certificate font: %w", err)
		}
	} else {
		family, unicode = "Helvetica", false
		cat = ui.cats["en"]
	}
	text := func(s string) string {
		if unicode {
			return s
		}
		return strings.Map(func(r rune) rune {
			if r > 0x7e {
				return '?'
			}
			return r
		}, s)
	}
	tr := func(key string, args ...any) string {
		s, err := cat.T(key, args...)
		if err != nil {
			return key
		}
		return text(s)
	}
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddPage()
	pdf.SetFont(family, "", 22)
	pdf.CellFormat(0, 14, tr("vol.cert_heading"), "", 1, "C", false, 0, "")
	pdf.SetFont(family, "", 10)
	pdf.CellFormat(0, 6, tr("vol.cert_number")+row.Number, "", 1, "C", false, 0, "")
	if c.RevokedAt != nil {
		pdf.SetTextColor(180, 0, 0)
		pdf.SetFont(family, "", 16)
		pdf.CellFormat(0, 12, tr("vol.cert_revoked_pdf", "at", c.RevokedAt.In(ui.location()).Format("2006-01-02")), "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	pdf.Ln(4)
	pdf.SetFont(family, "", 12)
	pdf.MultiCell(0, 7, tr("vol.cert_body", "name", c.Name, "period", row.Period, "issuer", c.Issuer, "n", c.Services, "h", row.Hours), "", "L", false)
	// The record fields of MCA order No. 67: the volunteer number and the
	// masked ID number, as registered when it was issued.
	colon := "："
	if p.Lang == "en" || !unicode {
		colon = ": "
	}
	var ids []string
	if c.VolunteerNo != "" {
		ids = append(ids, tr("vol.rec_number")+colon+c.VolunteerNo)
	}
	if c.IDMasked != "" {
		ids = append(ids, tr("vol.rec_id")+colon+c.IDMasked)
	}
	if len(ids) > 0 {
		pdf.SetFont(family, "", 11)
		pdf.CellFormat(0, 7, strings.Join(ids, "    "), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	if len(row.Lines) > 0 {
		pdf.SetFont(family, "", 10)
		pdf.SetFillColor(235, 235, 235)
		w := []float64{40, 90, 40}
		for i, h := range []string{tr("vol.cert_col_date"), tr("vol.cert_col_service"), tr("vol.cert_col_hours")} {
			pdf.CellFormat(w[i], 7, h, "1", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
		for _, l := range row.Lines {
			name := l.Svc.NameZH
			if p.Lang == "en" || !unicode {
				name = l.Svc.NameEN
			}
			pdf.CellFormat(w[0], 7, l.Date, "1", 0, "C", false, 0, "")
			pdf.CellFormat(w[1], 7, text(name), "1", 0, "L", false, 0, "")
			pdf.CellFormat(w[2], 7, l.Hours, "1", 1, "R", false, 0, "")
		}
		pdf.CellFormat(w[0]+w[1], 7, tr("vol.cert_total"), "1", 0, "R", true, 0, "")
		pdf.CellFormat(w[2], 7, row.Hours, "1", 1, "R", true, 0, "")
		pdf.Ln(3)
	}
	pdf.SetFont(family, "", 11)
	if c.StarsAtEnd > 0 {
		pdf.CellFormat(0, 7, tr("vol.star_level", "n", c.StarsAtEnd), "", 1, "L", false, 0, "")
	}
	y := pdf.GetY() + 4
	png, err := qrcode.Encode(verifyURL, qrcode.Medium, 320)
	if err != nil {
		return nil, err
	}
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	pdf.ImageOptions("qr", 20, y, 40, 40, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetXY(65, y+2)
	for _, line := range []string{
		tr("vol.cert_issuer") + text(c.Issuer),
		tr("vol.cert_issued") + c.IssuedAt.In(ui.location()).Format("2006-01-02"),
		tr("vol.cert_code") + c.Code,
	} {
		pdf.SetX(65)
		pdf.CellFormat(0, 7, line, "", 1, "L", false, 0, "")
	}
	pdf.SetX(65)
	pdf.SetFont(family, "", 9)
	pdf.MultiCell(0, 5, tr("vol.cert_check_hint")+" "+text(verifyURL), "", "L", false)
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// hoursText shows minutes as hours with two decimals.
func hoursText(minutes int) string {
	return strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64)
}
