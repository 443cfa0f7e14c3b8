package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"
)

// testJPEG is a w×h JPEG, left half red and right half blue, with an EXIF
// block holding an orientation and a GPS position.
func testJPEG(t testing.TB, w, h, orientation int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	// TIFF (little endian): IFD0 with Orientation and a GPS IFD pointer; the
	// GPS IFD holds GPSLatitudeRef "N" (enough to find "GPS" data later).
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	le := binary.LittleEndian
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e[0:], tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], value)
		return e
	}
	tiff = append(tiff, 2, 0)
	tiff = append(tiff, entry(0x0112, 3, 1, uint32(orientation))...)
	tiff = append(tiff, entry(0x8825, 4, 1, 8+2+24+4)...) // GPS IFD right after IFD0
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, 1, 0)
	tiff = append(tiff, entry(0x0001, 2, 2, uint32('N'))...) // GPSLatitudeRef
	tiff = append(tiff, 0, 0, 0, 0)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	out := append([]byte{}, plain[:2]...)
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, plain[2:]...)
}

func newStore(t *testing.T) *Store {
	s, err := NewStore(t.TempDir(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func load(t *testing.T, s *Store, ref string) ([]byte, image.Image) {
	t.Helper()
	p, err := s.Path(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return b, img
}

func TestSaveStripsMetadataAndTurnsUpright(t *testing.T) {
	s := newStore(t)
	data := testJPEG(t, 400, 200, 6) // 6: turn 90° clockwise to view
	if exifOrientation(data) != 6 {
		t.Fatalf("orientation read as %d", exifOrientation(data))
	}
	saved, err := s.Save(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, img := load(t, s, saved.Ref)
	if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("II*\x00")) {
		t.Error("the stored photo still carries EXIF data")
	}
	if saved.Width != 200 || saved.Height != 400 || img.Bounds().Dx() != 200 {
		t.Errorf("stored %d×%d, want 200×400 (turned upright)", saved.Width, saved.Height)
	}
	// Turned clockwise, the left (red) half is on top.
	r, _, bl, _ := img.At(100, 50).RGBA()
	if r < bl {
		t.Errorf("top of the upright photo is not red: r=%d b=%d", r>>8, bl>>8)
	}
	_, thumb := load(t, s, saved.Thumb)
	if b := thumb.Bounds(); b.Dy() != ThumbSide || b.Dx() != ThumbSide/2 {
		t.Errorf("thumbnail %v, want 160×320", b)
	}
	// The same upload again: the same refs, nothing rewritten.
	again, err := s.Save(context.Background(), bytes.NewReader(data))
	if err != nil || again.Ref != saved.Ref || again.Thumb != saved.Thumb {
		t.Errorf("second save: %+v %v", again, err)
	}
}

func TestSaveScalesLargePhotos(t *testing.T) {
	s := newStore(t)
	saved, err := s.Save(context.Background(), bytes.NewReader(testJPEG(t, 4000, 3000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Width != FullSide || saved.Height != 1200 {
		t.Errorf("stored %d×%d, want %d×1200", saved.Width, saved.Height, FullSide)
	}
}

func TestFormats(t *testing.T) {
	s := newStore(t)
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 30, 20)))
	webp, err := os.ReadFile("testdata/tiny-lossless.webp") // a 1×1 lossless WebP (the usual browser support probe)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"png": pngBuf.Bytes(), "webp": webp} {
		saved, err := s.Save(context.Background(), bytes.NewReader(data))
		if err != nil || saved.Format != name || !s.Has(saved.Ref) {
			t.Errorf("%s: %+v %v", name, saved, err)
		}
	}
}

// bombPNG is a valid PNG signature and header claiming w×h pixels, with no
// image data.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestRefusals(t *testing.T) {
	s, err := NewStore(t.TempDir(), Limits{MaxBytes: 200 << 10, MaxPixels: 40_000_000, MaxSide: 12_000})
	if err != nil {
		t.Fatal(err)
	}
	valid := testJPEG(t, 64, 64, 1)
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), ErrNotAnImage},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrNotAnImage},
		{"empty", nil, ErrNotAnImage},
		{"bomb", bombPNG(100_000, 100_000), ErrTooManyPixel},
		{"tall", bombPNG(10, 20_000), ErrTooManyPixel},
		{"truncated", valid[:len(valid)/2], ErrCorrupt},
		{"oversized", append(append([]byte{}, valid...), make([]byte, 300<<10)...), ErrTooLarge},
	} {
		_, err := s.Save(context.Background(), bytes.NewReader(tt.data))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	entries, _ := os.ReadDir(s.dir)
	if len(entries) != 0 {
		t.Errorf("refused uploads left %d entries", len(entries))
	}
	for _, ref := range []string{"../../etc/passwd", "ABC.jpg", "0123.jpg", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png"} {
		if _, err := s.Path(ref); err == nil || s.Has(ref) {
			t.Errorf("ref %q accepted", ref)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(bombPNG(10, 10))
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', '*', 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000}
		img, _, err := Decode(data, lim)
		if err == nil {
			if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
				t.Fatalf("decoded %v past the limit", b)
			}
		}
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

func BenchmarkSave(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"12MP", 4000, 3000}, {"2MP", 1600, 1200}} {
		data := testJPEG(b, size.w, size.h, 6)
		b.Run(size.name, func(b *testing.B) {
			s, _ := NewStore(b.TempDir(), DefaultLimits)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := s.Save(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLargeDimensionsRefusedBeforeDecoding: a small file claiming a huge
// image (6,300 × 6,300: 159 MB decoded) is refused from its header, with
// the reason, and so is one whose deep colour would take too much memory.
func TestLargeDimensionsRefusedBeforeDecoding(t *testing.T) {
	s := newStore(t)
	deep := bombPNG(5000, 4000)
	deep[8+8+8] = 16 // 16 bits a sample: 8 bytes a pixel decoded
	binary.BigEndian.PutUint32(deep[8+8+13:], crc32.ChecksumIEEE(deep[8+4:8+8+13]))
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"6300×6300":        {bombPNG(6300, 6300), "6300×6300 (at most 12000 px a side and 24 megapixels)"},
		"16-bit 5000×4000": {deep, "5000×4000 would take 172 MiB to decode (at most 100 MiB)"},
	} {
		_, err := s.Save(context.Background(), bytes.NewReader(tc.data))
		if !errors.Is(err, ErrTooManyPixel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := s.Save(context.Background(), bytes.NewReader(testJPEG(t, 4000, 3000, 1))); err != nil {
		t.Errorf("a 12-megapixel photo: %v", err)
	}
}

// TestDecodesShareAMemoryBudget: a decode waits while the budget is taken
// by others and gives up when its request ends.
func TestDecodesShareAMemoryBudget(t *testing.T) {
	s := newStore(t)
	if !s.decoding.TryAcquire(s.lim.DecodeMemory) {
		t.Fatal("the budget is not free")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.Save(ctx, bytes.NewReader(testJPEG(t, 64, 64, 1)))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a decode over budget: %v, want it to wait and give up", err)
	}
	s.decoding.Release(s.lim.DecodeMemory)
	if _, err := s.Save(context.Background(), bytes.NewReader(testJPEG(t, 64, 64, 1))); err != nil {
		t.Errorf("after the budget is free: %v", err)
	}
}
