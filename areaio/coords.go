package areaio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// coordReader reads the "coordinates" member of a geometry straight from the
// JSON text. Reading it by hand (rather than through a generic decoder) lets
// an out-of-range number such as 1e999 become a bad_coordinate at a named
// position instead of failing the whole file, and says exactly where the
// nesting is wrong. The text is known to be valid JSON already.
type coordReader struct {
	b   []byte
	pos int
	at  place // for error messages
}

// coordError says where in the coordinates the reader stopped.
type coordError struct {
	where, want string
}

func (e *coordError) Error() string {
	if e.where == "" {
		return "expected " + e.want
	}
	return e.where + ": expected " + e.want
}

// place is where the reader is: -1 for a level not entered (or not there).
type place struct{ polygon, ring, position int }

func (p place) String() string {
	var parts []string
	if p.polygon >= 0 {
		parts = append(parts, fmt.Sprintf("polygon %d", p.polygon))
	}
	if p.ring >= 0 {
		parts = append(parts, fmt.Sprintf("ring %d", p.ring))
	}
	if p.position >= 0 {
		parts = append(parts, fmt.Sprintf("position %d", p.position))
	}
	return strings.Join(parts, ", ")
}

func (r *coordReader) fail(want string) error {
	return &coordError{r.at.String(), want}
}

func (r *coordReader) skipSpace() {
	for r.pos < len(r.b) {
		switch r.b[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// next returns the next significant byte without consuming it (0 at the end).
func (r *coordReader) next() byte {
	r.skipSpace()
	if r.pos >= len(r.b) {
		return 0
	}
	return r.b[r.pos]
}

// array reads a JSON array, calling item for each element with its index.
func (r *coordReader) array(want string, item func(i int) error) error {
	if r.next() != '[' {
		return r.fail(want)
	}
	r.pos++
	if r.next() == ']' {
		r.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := item(i); err != nil {
			return err
		}
		switch r.next() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return nil
		default:
			return r.fail("',' or ']'")
		}
	}
}

// number reads a JSON number. Too large a number reads as an infinity, which
// the coordinate check then reports.
func (r *coordReader) number() (float64, error) {
	r.skipSpace()
	start := r.pos
	for r.pos < len(r.b) {
		c := r.b[r.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			r.pos++
			continue
		}
		break
	}
	if start == r.pos {
		return 0, r.fail("a number")
	}
	v, err := strconv.ParseFloat(string(r.b[start:r.pos]), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, r.fail("a number")
		}
	}
	return v, nil
}

// position reads [longitude, latitude] and ignores an altitude or more.
func (r *coordReader) position() (orb.Point, error) {
	var pt orb.Point
	n := 0
	err := r.array("a position [longitude, latitude]", func(i int) error {
		v, err := r.number()
		if i < 2 {
			pt[i] = v
		}
		n++
		return err
	})
	if err == nil && n < 2 {
		err = r.fail("a position with a longitude and a latitude")
	}
	return pt, err
}

func (r *coordReader) ring() (orb.Ring, error) {
	var ring orb.Ring
	err := r.array("a ring: a list of [longitude, latitude] positions", func(i int) error {
		r.at.position = i
		pt, err := r.position()
		ring = append(ring, pt)
		return err
	})
	r.at.position = -1
	return ring, err
}

func (r *coordReader) polygon() (orb.Polygon, error) {
	var poly orb.Polygon
	err := r.array("a polygon: a list of rings", func(i int) error {
		r.at.ring = i
		ring, err := r.ring()
		poly = append(poly, ring)
		return err
	})
	r.at.ring = -1
	return poly, err
}

func (r *coordReader) multiPolygon() (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	err := r.array("a list of polygons", func(i int) error {
		r.at.polygon = i
		poly, err := r.polygon()
		mp = append(mp, poly)
		return err
	})
	r.at.polygon = -1
	return mp, err
}

// readCoordinates reads the coordinates of a Point, Polygon or MultiPolygon.
func readCoordinates(typ string, raw []byte) (orb.Geometry, error) {
	r := &coordReader{b: raw, at: place{-1, -1, -1}}
	var (
		g   orb.Geometry
		err error
	)
	switch typ {
	case "Point":
		g, err = r.position()
	case "Polygon":
		g, err = r.polygon()
	case "MultiPolygon":
		g, err = r.multiPolygon()
	default:
		return nil, fmt.Errorf("cannot read %s coordinates", typ)
	}
	if err != nil {
		return nil, err
	}
	if r.next() != 0 {
		return nil, r.fail("nothing after the coordinates")
	}
	return g, nil
}
