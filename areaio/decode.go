package areaio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Decode reads a GeoJSON FeatureCollection of areas (docs/area-format.md) and
// checks every feature on its own: properties, codes, coordinates and rings.
// Coordinates come back rounded to 1e-7 degrees. It does not check how the
// areas fit together; Validate does.
//
// A file over opts.MaxBytes gives an *civicgrid.Error with code ETOOLARGE.
// Any problem gives an *civicgrid.Error with code EINVALID listing every
// problem found (up to opts.MaxProblems), each with its feature index.
func Decode(r io.Reader, opts Options) ([]civicgrid.Area, error) {
	opts = opts.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read area file: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, civicgrid.Errorf(civicgrid.ETOOLARGE,
			"the area file is larger than the limit of %s (%d bytes); split it, for example one street per file",
			sizeText(opts.MaxBytes), opts.MaxBytes)
	}
	p := &problemList{max: opts.MaxProblems}
	areas, _ := decodeCollection(data, opts, p)
	if problems := p.result(); len(problems) > 0 {
		return nil, asProblems("the area file has problems; nothing was imported", problems)
	}
	return areas, nil
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeCollection reads the FeatureCollection and each feature in it: the
// areas read (leaving out features too broken to be one) and the index of
// each one's feature.
func decodeCollection(data []byte, opts Options, p *problemList) ([]civicgrid.Area, []int) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark some editors write
	if len(bytes.TrimSpace(data)) == 0 {
		p.add(-1, "", KindMalformedJSON, "the file is empty; it should hold a GeoJSON FeatureCollection")
		return nil, nil
	}
	// One pass over the whole file checks the syntax and cuts it into
	// features; each feature is then read on its own, so a broken one is
	// reported without hiding the others.
	var top struct {
		Type     json.RawMessage   `json:"type"`
		Features []json.RawMessage `json:"features"`
		CRS      json.RawMessage   `json:"crs"`
	}
	err := json.Unmarshal(data, &top)
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		p.add(-1, "", KindMalformedJSON, "the file is not valid JSON: %s: %s", jsonPlace(data, syntax.Offset), syntax.Error())
		return nil, nil
	case errors.As(err, &typeErr) && typeErr.Field == "":
		p.add(-1, "", KindNotFeatureCollection, "the file must be a JSON object, a GeoJSON FeatureCollection; found %s", jsonKind(bytes.TrimSpace(data)))
		return nil, nil
	}
	typ, _ := stringValue(top.Type)
	if typ != "FeatureCollection" {
		hint := ""
		if typ == "Feature" {
			hint = `; wrap it: {"type": "FeatureCollection", "features": [ ... ]}`
		}
		p.add(-1, "", KindNotFeatureCollection, "the file must be a GeoJSON FeatureCollection; its \"type\" is %s%s", describeValue(top.Type), hint)
		return nil, nil
	}
	if err != nil || top.Features == nil {
		p.add(-1, "", KindNotFeatureCollection, "the FeatureCollection needs \"features\": a list of features")
		return nil, nil
	}
	features := top.Features
	checkCRS(top.CRS, p)

	areas := make([]civicgrid.Area, 0, len(features))
	indices := make([]int, 0, len(features))
	for i, raw := range features {
		if p.full() {
			break
		}
		if a, ok := decodeFeature(i, raw, opts, p); ok {
			areas = append(areas, a)
			indices = append(indices, i)
		}
	}
	checkDuplicates(areas, indices, p)
	return areas, indices
}

// checkCRS accepts the "crs" member of old (2008) GeoJSON only when it names
// WGS-84 or CGCS2000, which agrees with WGS-84 to centimetres.
func checkCRS(raw json.RawMessage, p *problemList) {
	if isNull(raw) {
		return
	}
	var crs struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &crs)
	name := crs.Properties.Name
	for _, ok := range []string{"CRS84", "4326", "4490"} {
		if strings.Contains(name, ok) {
			return
		}
	}
	p.add(-1, "", KindBadCRS, "the file declares the coordinate reference system %q; areas must be WGS-84 longitude/latitude (EPSG:4326): reproject the file first", name)
}

// rawFeature is a feature cut into its members, each read on its own.
type rawFeature struct {
	Type       json.RawMessage `json:"type"`
	Properties json.RawMessage `json:"properties"`
	Geometry   *rawGeometry    `json:"geometry"`
}

type rawGeometry struct {
	Type        json.RawMessage `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// decodeFeature reads one feature. It returns false when the feature is too
// broken to be an area at all; its problems are in p either way.
func decodeFeature(index int, raw json.RawMessage, opts Options, p *problemList) (civicgrid.Area, bool) {
	var f rawFeature
	err := json.Unmarshal(raw, &f)
	var typeErr *json.UnmarshalTypeError
	geometryOK := true
	switch {
	case err == nil:
	case errors.As(err, &typeErr) && typeErr.Field == "geometry":
		// The other members are read; only the geometry is of the wrong type.
		geometryOK = false
	default:
		p.add(index, "", KindBadFeature, "entry %d of \"features\" must be a GeoJSON Feature object; found %s", index, jsonKind(raw))
		return civicgrid.Area{}, false
	}
	if typ, _ := stringValue(f.Type); typ != "Feature" {
		p.add(index, "", KindBadFeature, "entry %d of \"features\" must have \"type\": \"Feature\"; found %s", index, describeValue(f.Type))
		return civicgrid.Area{}, false
	}
	var props map[string]json.RawMessage
	if !isNull(f.Properties) {
		if err := json.Unmarshal(f.Properties, &props); err != nil {
			p.add(index, "", KindBadProperty, "\"properties\" must be an object; found %s", jsonKind(f.Properties))
			return civicgrid.Area{}, false
		}
	}
	a, levelOK := decodeProperties(index, props, opts, p)
	if !geometryOK {
		p.add(index, a.Code, KindBadGeometry, "\"geometry\" must be a GeoJSON geometry object or null")
		return a, true
	}
	g, typ, ok := decodeGeometry(index, a.Code, f.Geometry, p)
	if ok {
		level := civicgrid.Level("")
		if levelOK {
			level = a.Level
		}
		if checkGeometryType(p, index, a.Code, level, typ) && g != nil {
			a.Geometry = checkGeometry(p, index, a.Code, level, g)
		}
	}
	return a, true
}

// decodeProperties reads the properties of a feature into an area and runs
// the checks that need no geometry. levelOK reports a known level.
func decodeProperties(index int, props map[string]json.RawMessage, opts Options, p *problemList) (a civicgrid.Area, levelOK bool) {
	fr := propertyReader{props: props, index: index, p: p}
	// The code first, so the problems below can name it.
	codeOK := false
	switch code, present, isString := fr.str("code"); {
	case !present:
		p.add(index, "", KindMissingProperty, "the feature has no \"code\" property")
	case !isString:
		p.add(index, "", KindBadCode, "\"code\" must be a string of digits in quotes (\"420106\"), found %s", describeValue(props["code"]))
	default:
		a.Code, fr.code, codeOK = code, code, true
	}

	switch level, present, isString := fr.str("level"); {
	case !present:
		p.add(index, a.Code, KindMissingProperty, "the feature has no \"level\" property (city, district, street, community, grid or building)")
	case !isString:
		p.add(index, a.Code, KindBadLevel, "\"level\" must be one of city, district, street, community, grid, building; found %s", describeValue(props["level"]))
	default:
		l, err := civicgrid.ParseLevel(level)
		if err != nil {
			p.add(index, a.Code, KindBadLevel, "%s", civicgrid.ErrorMessage(err))
		} else {
			a.Level, levelOK = l, true
		}
	}

	switch name, present, isString := fr.str("name"); {
	case !present || (isString && strings.TrimSpace(name) == ""):
		p.add(index, a.Code, KindMissingProperty, "the feature has no \"name\"")
	case !isString:
		p.add(index, a.Code, KindBadProperty, "\"name\" must be a string, found %s", describeValue(props["name"]))
	default:
		a.Name = name
	}

	parentOK := true
	switch parent, present, isString := fr.str("parent"); {
	case present && !isString:
		p.add(index, a.Code, KindBadCode, "\"parent\" must be a code in quotes, found %s", describeValue(props["parent"]))
		parentOK = false
	default:
		a.ParentCode = parent
	}

	a.Number = fr.number()
	a.Workers = fr.workers()
	a.ValidFrom = fr.validFrom(opts.DateLocation)

	if levelOK && codeOK && parentOK {
		checkCode(p, index, &a)
	}
	if levelOK {
		checkLevelFields(p, index, &a)
	}
	return a, levelOK
}

// decodeGeometry reads a geometry member (nil for null or absent). It
// returns the GeoJSON type even when it cannot read the type's coordinates,
// so the type check can say what was found.
func decodeGeometry(index int, code string, gj *rawGeometry, p *problemList) (orb.Geometry, string, bool) {
	if gj == nil {
		return nil, "", true
	}
	typ, _ := stringValue(gj.Type)
	switch typ {
	case "Point", "Polygon", "MultiPolygon":
	case "MultiPoint", "LineString", "MultiLineString", "GeometryCollection":
		return nil, typ, true // a known type areas do not take: the type check reports it
	default:
		p.add(index, code, KindBadGeometry, "unknown geometry type %s (want Polygon, MultiPolygon or, for buildings, Point)", describeValue(gj.Type))
		return nil, "", false
	}
	if isNull(gj.Coordinates) {
		p.add(index, code, KindBadGeometry, "the %s has no \"coordinates\"", typ)
		return nil, typ, false
	}
	g, err := readCoordinates(typ, gj.Coordinates)
	if err != nil {
		p.add(index, code, KindBadGeometry, "%s coordinates: %v (%s)", typ, err, coordinateShapes[typ])
		return nil, typ, false
	}
	return g, typ, true
}

var coordinateShapes = map[string]string{
	"Point":        "a Point is [longitude, latitude]",
	"Polygon":      "a Polygon is a list of rings, each a list of [longitude, latitude]: [[[lng, lat], ...]]",
	"MultiPolygon": "a MultiPolygon is a list of Polygons: [[[[lng, lat], ...]], ...]",
}

// propertyReader reads the properties of one feature, reporting values of
// the wrong JSON type.
type propertyReader struct {
	props map[string]json.RawMessage
	index int
	code  string
	p     *problemList
}

// str returns a property that should be a string: present is false for an
// absent or null property, isString false for a value of another type.
func (r *propertyReader) str(key string) (s string, present, isString bool) {
	raw, ok := r.props[key]
	if !ok || isNull(raw) {
		return "", false, true
	}
	s, isString = stringValue(raw)
	return s, true, isString
}

// number reads a building number: a string, or a plain number as written.
func (r *propertyReader) number() string {
	raw := bytes.TrimSpace(r.props["number"])
	if isNull(raw) {
		return ""
	}
	if s, ok := stringValue(raw); ok {
		return s
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		return string(raw)
	}
	r.p.add(r.index, r.code, KindBadProperty, "\"number\" must be a string such as \"3\" or \"A座\", found %s", jsonKind(raw))
	return ""
}

// workers reads [{"name": "...", "phone": "..."}]. Absent gives nil, which
// leaves a grid's workers as they are; an empty list clears them.
func (r *propertyReader) workers() []civicgrid.Worker {
	raw := r.props["workers"]
	if isNull(raw) {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		r.p.add(r.index, r.code, KindBadProperty, "\"workers\" must be a list like [{\"name\": \"张三\", \"phone\": \"13800138000\"}], found %s", jsonKind(raw))
		return nil
	}
	workers := make([]civicgrid.Worker, 0, len(list))
	for j, w := range list {
		name, nameOK := stringValue(w["name"])
		if !nameOK && !isNull(w["name"]) {
			r.p.add(r.index, r.code, KindBadProperty, "worker %d: \"name\" must be a string, found %s", j, describeValue(w["name"]))
			name = "?" // reported here; not again as a missing name
		}
		phone, phoneOK := stringValue(w["phone"])
		if phoneRaw := bytes.TrimSpace(w["phone"]); !phoneOK && len(phoneRaw) > 0 && phoneRaw[0] >= '0' && phoneRaw[0] <= '9' {
			// A phone written as a number keeps its digits exactly as typed.
			phone, phoneOK = string(phoneRaw), true
		}
		if !phoneOK && !isNull(w["phone"]) {
			r.p.add(r.index, r.code, KindBadProperty, "worker %d: \"phone\" must be a string, found %s", j, describeValue(w["phone"]))
		}
		workers = append(workers, civicgrid.Worker{Name: name, Phone: phone})
	}
	return workers
}

// Dates outside this range are typos, and years past 9999 could not be
// written back in RFC 3339.
const minValidYear, maxValidYear = 1900, 2999

// validFrom reads an RFC 3339 time or a date (midnight in loc), as UTC.
func (r *propertyReader) validFrom(loc *time.Location) time.Time {
	s, present, isString := r.str("valid_from")
	if !present {
		return time.Time{}
	}
	var (
		t   time.Time
		err error
	)
	if !isString {
		err = errors.New("not a string")
	} else if len(s) == len(time.DateOnly) {
		t, err = time.ParseInLocation(time.DateOnly, s, loc)
	} else {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		r.p.add(r.index, r.code, KindBadProperty, "\"valid_from\" must be a date (2024-03-01) or an RFC 3339 time (2024-03-01T08:00:00+08:00), found %s", describeValue(r.props["valid_from"]))
		return time.Time{}
	}
	t = t.UTC()
	if t.Year() < minValidYear || t.Year() > maxValidYear {
		r.p.add(r.index, r.code, KindBadProperty, "\"valid_from\" %s is not between %d and %d", s, minValidYear, maxValidYear)
		return time.Time{}
	}
	return t
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// stringValue returns raw as a string if it is a JSON string.
func stringValue(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonKind names the type of a JSON value for an error message.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "true/false"
	case c == 'n':
		return "null"
	}
	return "a number"
}

// describeValue shows a short value as written, or names its type.
func describeValue(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "none"
	case len(raw) <= 40 && raw[0] != '{' && raw[0] != '[':
		return string(raw)
	}
	return jsonKind(raw)
}

// jsonPlace turns a byte offset into "line L, column C (byte B)"; columns
// count characters, so they match what an editor shows.
func jsonPlace(data []byte, offset int64) string {
	pos := int(max(0, min(offset, int64(len(data)))))
	if pos > 0 {
		pos-- // the offset is just past the offending byte
	}
	line := 1 + bytes.Count(data[:pos], []byte{'\n'})
	lineStart := bytes.LastIndexByte(data[:pos], '\n') + 1
	col := 1 + utf8.RuneCount(data[lineStart:pos])
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, pos)
}
