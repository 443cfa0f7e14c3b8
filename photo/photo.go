// Package photo takes in case photos from the public internet safely and
// privately: it accepts only JPEG, PNG and WebP, reads the header first and
// refuses decompression bombs before decoding, decodes the whole image to
// prove it is one, and stores a re-encoded JPEG — upright per the EXIF
// orientation, with no metadata at all, so no GPS position or camera serial
// reaches the public (PIPL) — plus a thumbnail, content-addressed on disk.
package photo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // registers the PNG decoder
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder
	"golang.org/x/sync/semaphore"
)

// Limits bound what is accepted and the memory decoding takes.
type Limits struct {
	MaxBytes  int64 // the upload (default 10 MiB)
	MaxPixels int64 // width × height (default 24 megapixels)
	MaxSide   int   // either side (default 12,000 px)
	// MaxDecodeBytes bounds the memory one image takes decoded, judged from
	// its header before decoding (default 100 MiB: 24 megapixels at 4
	// bytes each; 16-bit images count 8).
	MaxDecodeBytes int64
	// DecodeMemory bounds the memory of all decodes running at once; a
	// decode waits until its share is free (default 256 MiB).
	DecodeMemory int64
}

// DefaultLimits suit phone photos (the report page scales them to 1,600 px
// before upload; 24 megapixels is a full-size 6,000 × 4,000 camera photo).
var DefaultLimits = Limits{MaxBytes: 10 << 20, MaxPixels: 24_000_000, MaxSide: 12_000, MaxDecodeBytes: 100 << 20, DecodeMemory: 256 << 20}

// Reasons a photo is refused.
var (
	ErrTooLarge     = errors.New("the file is too large")
	ErrNotAnImage   = errors.New("the file is not a JPEG, PNG or WebP image")
	ErrTooManyPixel = errors.New("the image has too many pixels")
	ErrCorrupt      = errors.New("the image is damaged or incomplete")
)

// Sizes of the stored versions: the long side in pixels.
const (
	FullSide  = 1600 // enough to see a crack in a pipe, small for slow phones
	ThumbSide = 320
)

// Saved describes a stored photo.
type Saved struct {
	Ref    string `json:"ref"`   // "<sha256>.jpg" of the full version
	Thumb  string `json:"thumb"` // the thumbnail's ref
	Width  int    `json:"width"` // of the full version
	Height int    `json:"height"`
	Format string `json:"format"` // of the upload: jpeg, png, webp
	Bytes  int64  `json:"bytes"`  // of the full version
}

// Store keeps photos under a directory, named by their content's SHA-256.
type Store struct {
	dir string
	lim Limits
	// decoding holds the memory of the decodes under way (bytes).
	decoding *semaphore.Weighted
	// lastNoSpace is when a write last failed on a full disk (Unix ms).
	lastNoSpace atomic.Int64
	// create makes the temporary file of a write (tests put faults in).
	create func(dir, pattern string) (file, error)
	// onProcessed observes each upload's decode and re-encode (metrics).
	onProcessed func(format string, d time.Duration)
}

// ObserveProcessing has fn told, for each upload decoded and re-encoded,
// its format and how long that took. Call it before use.
func (s *Store) ObserveProcessing(fn func(format string, d time.Duration)) { s.onProcessed = fn }

// file is what put writes through.
type file interface {
	io.WriteCloser
	Name() string
	Sync() error
}

// NewStore returns a store rooted at dir (created if needed).
func NewStore(dir string, lim Limits) (*Store, error) {
	if lim.MaxBytes <= 0 {
		lim = DefaultLimits
	}
	if lim.MaxDecodeBytes <= 0 {
		lim.MaxDecodeBytes = DefaultLimits.MaxDecodeBytes
	}
	if lim.DecodeMemory < lim.MaxDecodeBytes {
		lim.DecodeMemory = max(DefaultLimits.DecodeMemory, lim.MaxDecodeBytes)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir, lim: lim, decoding: semaphore.NewWeighted(lim.DecodeMemory),
		create: func(dir, pattern string) (file, error) { return os.CreateTemp(dir, pattern) }}, nil
}

// Health reports writes refused on a full disk within the last minute.
func (s *Store) Health() error {
	if at := s.lastNoSpace.Load(); at != 0 && time.Since(time.UnixMilli(at)) < time.Minute {
		return fmt.Errorf("photos: disk full (a write was refused at %s)", time.UnixMilli(at).Format(time.RFC3339))
	}
	return nil
}

var refPattern = regexp.MustCompile(`^[0-9a-f]{64}\.jpg$`)

// ValidRef reports whether ref names a stored photo's file (and nothing
// else: no path can be smuggled in).
func ValidRef(ref string) bool { return refPattern.MatchString(ref) }

// RefProblem says what is wrong with a photo ref someone sent to attach
// ("" if nothing): not a reference, or (with has) never uploaded. Cases'
// evidence and notices' attachments are checked by it.
func RefProblem(ref string, has func(string) bool) string {
	if !ValidRef(ref) {
		q := ref
		if len(q) > 80 {
			q = q[:80] + "…"
		}
		return `photo "` + q + `" is not a photo reference (upload with POST /api/v1/photos first)`
	}
	if has != nil && !has(ref) {
		return "photo " + ref + " was never uploaded (POST /api/v1/photos first)"
	}
	return ""
}

// Path returns the file of a ref.
func (s *Store) Path(ref string) (string, error) {
	if !ValidRef(ref) {
		return "", fmt.Errorf("%q is not a photo reference", ref)
	}
	return s.file(ref), nil
}

// file is where a ref (checked by the caller) lies: under two levels of
// its hash's first characters.
func (s *Store) file(ref string) string { return filepath.Join(s.dir, ref[:2], ref[2:4], ref) }

// Has reports whether a ref is stored.
func (s *Store) Has(ref string) bool {
	p, err := s.Path(ref)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Save checks an upload and stores its public versions.
func (s *Store) Save(ctx context.Context, r io.Reader) (Saved, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.lim.MaxBytes+1))
	if err != nil {
		return Saved{}, err
	}
	if int64(len(data)) > s.lim.MaxBytes {
		return Saved{}, fmt.Errorf("%w: more than %d MiB", ErrTooLarge, s.lim.MaxBytes>>20)
	}
	format, need, err := inspect(data, s.lim)
	if err != nil {
		return Saved{}, err
	}
	// The decoded image and its scaled copies live until the files are
	// written: hold their memory till then.
	if err := s.decoding.Acquire(ctx, need); err != nil {
		return Saved{}, err
	}
	defer s.decoding.Release(need)
	started := time.Now()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Saved{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// Scaled first, then turned upright: the turn walks pixel by pixel.
	full := fit(img, FullSide)
	if format == "jpeg" {
		full = orient(full, exifOrientation(data))
	}
	var fb, tb bytes.Buffer
	if err := jpeg.Encode(&fb, full, &jpeg.Options{Quality: 85}); err != nil {
		return Saved{}, err
	}
	if err := jpeg.Encode(&tb, fit(full, ThumbSide), &jpeg.Options{Quality: 75}); err != nil {
		return Saved{}, err
	}
	if s.onProcessed != nil {
		s.onProcessed(format, time.Since(started))
	}
	ref, err := s.put(fb.Bytes(), ".jpg")
	if err != nil {
		return Saved{}, s.noted(err)
	}
	thumb, err := s.put(tb.Bytes(), ".jpg")
	if err != nil {
		return Saved{}, s.noted(err)
	}
	b := full.Bounds()
	return Saved{Ref: ref, Thumb: thumb, Width: b.Dx(), Height: b.Dy(), Format: format, Bytes: int64(fb.Len())}, nil
}

// Decode sniffs, checks the size from the header and decodes.
func Decode(data []byte, lim Limits) (image.Image, string, error) {
	format, _, err := inspect(data, lim)
	if err != nil {
		return nil, "", err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return img, format, nil
}

// inspect sniffs the format and reads the header only: it refuses images
// too large to decode and returns the memory a decode and the scaled
// copies will take.
func inspect(data []byte, lim Limits) (format string, need int64, err error) {
	format = sniff(data)
	if format == "" {
		return "", 0, ErrNotAnImage
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > lim.MaxSide || cfg.Height > lim.MaxSide || pixels > lim.MaxPixels {
		return "", 0, fmt.Errorf("%w: %d×%d (at most %d px a side and %d megapixels)", ErrTooManyPixel,
			cfg.Width, cfg.Height, lim.MaxSide, lim.MaxPixels/1_000_000)
	}
	need = pixels*bytesPerPixel(cfg.ColorModel) + 2*FullSide*FullSide*4
	if lim.MaxDecodeBytes > 0 && need > lim.MaxDecodeBytes {
		return "", 0, fmt.Errorf("%w: %d×%d would take %d MiB to decode (at most %d MiB)", ErrTooManyPixel,
			cfg.Width, cfg.Height, need>>20, lim.MaxDecodeBytes>>20)
	}
	return format, need, nil
}

// bytesPerPixel is what the decoders allocate per pixel for a colour model
// (JPEG's chroma is counted unsubsampled: the worst case).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA, CMYK, NYCbCrA and the rest
}

// sniff names the format by its magic bytes ("" if none of ours).
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// fit scales img down so that its long side is at most side.
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		if _, ok := img.(*image.RGBA); ok {
			return img
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	if w >= h {
		h, w = max(1, h*side/w), side
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// noted remembers a write refused on a full disk, for Health.
func (s *Store) noted(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		s.lastNoSpace.Store(time.Now().UnixMilli())
	}
	return err
}

// put writes data under its hash and the extension (".jpg" photos, ".pdf"
// documents): to a temporary file in the same directory, synced, then
// renamed, so a crash leaves either the whole file or none.
func (s *Store) put(data []byte, ext string) (string, error) {
	sum := sha256.Sum256(data)
	ref := hex.EncodeToString(sum[:]) + ext
	p := s.file(ref)
	if _, err := os.Stat(p); err == nil {
		return ref, nil // same content, already stored
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := s.create(dir, ".upload-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return ref, nil
}
