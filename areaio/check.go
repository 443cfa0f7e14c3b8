package areaio

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// This file holds the checks of one area on its own, shared by Decode and by
// ImportAreas (whose areas come from code rather than from a file).

// degenerateRingM2 is the area below which a ring encloses nothing real: a
// 10 cm square. Collinear vertices rounded to 1e-7° leave slivers of far less.
const degenerateRingM2 = 0.01

// checkAreas runs every single-area check on areas built in code, as Decode
// does for areas read from a file, and rounds their geometries in place (the
// caller passes a copy of the slice's elements it may change).
func checkAreas(areas []civicgrid.Area, p *problemList) {
	for i := range areas {
		a := &areas[i]
		if _, err := civicgrid.ParseLevel(string(a.Level)); err != nil {
			p.add(i, a.Code, KindBadLevel, "%s", civicgrid.ErrorMessage(err))
			a.Geometry = checkGeometry(p, i, a.Code, "", a.Geometry)
			continue
		}
		if a.Code == "" {
			p.add(i, "", KindMissingProperty, "the area has no code")
		} else {
			checkCode(p, i, a)
		}
		if strings.TrimSpace(a.Name) == "" {
			p.add(i, a.Code, KindMissingProperty, "%s %s has no name", a.Level, a.Code)
		}
		checkLevelFields(p, i, a)
		a.Geometry = checkGeometry(p, i, a.Code, a.Level, a.Geometry)
	}
	checkDuplicates(areas, nil, p)
}

// checkCode checks the code against its level and its parent's code.
func checkCode(p *problemList, index int, a *civicgrid.Area) {
	switch {
	case a.Level == civicgrid.LevelCity && a.ParentCode != "":
		p.add(index, a.Code, KindBadProperty, "a city stands at the top and has no parent; remove \"parent\": %q", a.ParentCode)
		if err := civicgrid.ValidateCode(a.Level, a.Code, ""); err != nil {
			p.add(index, a.Code, KindBadCode, "%s", civicgrid.ErrorMessage(err))
		}
	case a.ParentCode == "" && a.Level != civicgrid.LevelCity && a.Level != civicgrid.LevelDistrict:
		p.add(index, a.Code, KindMissingProperty, "a %s needs \"parent\": the code of its %s", a.Level, a.Level.Parent())
		// Still check the shape of the code, so both mistakes show at once:
		// against the code's own prefix the parent rule holds trivially.
		ownPrefix := ""
		if n := a.Level.Parent().CodeLen(); len(a.Code) > n {
			ownPrefix = a.Code[:n]
		}
		if err := civicgrid.ValidateCode(a.Level, a.Code, ownPrefix); err != nil {
			p.add(index, a.Code, KindBadCode, "%s", civicgrid.ErrorMessage(err))
		}
	default:
		if err := civicgrid.ValidateCode(a.Level, a.Code, a.ParentCode); err != nil {
			p.add(index, a.Code, KindBadCode, "%s", civicgrid.ErrorMessage(err))
		}
	}
}

// checkLevelFields checks the properties that only some levels may carry.
func checkLevelFields(p *problemList, index int, a *civicgrid.Area) {
	if a.Number != "" && a.Level != civicgrid.LevelBuilding {
		p.add(index, a.Code, KindBadProperty, "\"number\" is for buildings only, this is a %s", a.Level)
	}
	if a.Workers != nil && a.Level != civicgrid.LevelGrid {
		p.add(index, a.Code, KindBadProperty, "\"workers\" are listed on grids only, this is a %s", a.Level)
	}
	for j, w := range a.Workers {
		if strings.TrimSpace(w.Name) == "" {
			p.add(index, a.Code, KindBadProperty, "worker %d has no name", j)
		}
		// A masked phone comes from an export meant for reading; storing it
		// would lose the real number.
		if strings.Contains(w.Phone, "*") {
			p.add(index, a.Code, KindBadProperty, "worker %d's phone %q is masked; use an export with personal data, or leave \"workers\" out to keep the stored ones", j, w.Phone)
		}
	}
}

// checkDuplicates reports codes used twice. indices gives each area's
// feature index (nil: its position), since features too broken to be an
// area are left out of areas.
func checkDuplicates(areas []civicgrid.Area, indices []int, p *problemList) {
	feature := func(i int) int {
		if indices == nil {
			return i
		}
		return indices[i]
	}
	first := make(map[string]int, len(areas))
	for i := range areas {
		code := areas[i].Code
		if code == "" {
			continue
		}
		if j, ok := first[code]; ok {
			p.add(feature(i), code, KindDuplicateCode, "code %s is already used by feature %d; each area appears once", code, feature(j))
			continue
		}
		first[code] = i
	}
}

// allowedGeometry names the geometry types a level takes.
func allowedGeometry(level civicgrid.Level) (types []string, optional bool) {
	switch level {
	case civicgrid.LevelCity, civicgrid.LevelDistrict:
		return []string{"Polygon", "MultiPolygon"}, true
	case civicgrid.LevelBuilding:
		return []string{"Point", "Polygon"}, false
	case "":
		return []string{"Point", "Polygon", "MultiPolygon"}, true
	}
	return []string{"Polygon", "MultiPolygon"}, false
}

// checkGeometryType checks that the level takes this type of geometry
// (typ "" for none). level "" means unknown: any type areaio reads passes.
func checkGeometryType(p *problemList, index int, code string, level civicgrid.Level, typ string) bool {
	types, optional := allowedGeometry(level)
	what := "an area"
	if level != "" {
		what = "a " + string(level)
	}
	if typ == "" {
		if optional {
			return true
		}
		p.add(index, code, KindBadGeometryType, "%s needs a %s geometry, found none (null)", what, strings.Join(types, " or "))
		return false
	}
	for _, t := range types {
		if t == typ {
			return true
		}
	}
	p.add(index, code, KindBadGeometryType, "%s needs a %s geometry, found %s", what, strings.Join(types, " or "), typ)
	return false
}

// checkGeometry checks the type and the coordinates of a geometry, rounds
// them to the stored precision, then checks the rings and the validity of the
// whole. It returns the rounded geometry.
func checkGeometry(p *problemList, index int, code string, level civicgrid.Level, g orb.Geometry) orb.Geometry {
	// orb's other polygon forms, from code, are stored as the Polygon they are.
	switch t := g.(type) {
	case orb.Ring:
		g = orb.Polygon{t}
	case orb.Bound:
		g = t.ToPolygon()
	}
	typ := ""
	if g != nil {
		typ = g.GeoJSONType()
	}
	if !checkGeometryType(p, index, code, level, typ) || g == nil {
		return g
	}
	// Ranges are checked before rounding, which would turn a huge number
	// into an infinity; rings after it, which may close a ring that was off
	// by float noise.
	if !checkCoordinates(p, index, code, g) {
		return g
	}
	g = roundGeometry(g)
	switch g := g.(type) {
	case orb.Polygon:
		// A single simple closed ring is a valid polygon; the rules of
		// checkValidity are about holes.
		if checkPolygonRings(p, index, code, g, "") && len(g) > 1 {
			checkValidity(p, index, code, g)
		}
	case orb.MultiPolygon:
		if len(g) == 0 {
			p.add(index, code, KindBadGeometry, "the MultiPolygon has no polygons")
			return g
		}
		ok := true
		for i, poly := range g {
			ok = checkPolygonRings(p, index, code, poly, fmt.Sprintf("polygon %d, ", i)) && ok
		}
		if ok && (len(g) > 1 || len(g[0]) > 1) {
			checkValidity(p, index, code, g)
		}
	}
	return g
}

// checkCoordinates reports coordinates that are not finite or out of range,
// once per kind with the first place and a count, since one mistake (such as
// swapping every pair) usually affects a whole feature.
func checkCoordinates(p *problemList, index int, code string, g orb.Geometry) bool {
	type finding struct {
		count int
		first string
	}
	var bad, swapped finding
	visit := func(where func() string, pt orb.Point) {
		lng, lat := pt[0], pt[1]
		switch {
		case math.Abs(lng) <= 180 && math.Abs(lat) <= 90: // the usual case first; false for NaN
		case math.IsNaN(lng) || math.IsNaN(lat) || math.IsInf(lng, 0) || math.IsInf(lat, 0):
			if bad.count == 0 {
				bad.first = fmt.Sprintf("%s is not a finite number (%v, %v)", where(), lng, lat)
			}
			bad.count++
		case math.Abs(lat) <= 180 && math.Abs(lng) <= 90:
			if swapped.count == 0 {
				swapped.first = fmt.Sprintf("%s is [%v, %v]", where(), lng, lat)
			}
			swapped.count++
		default:
			if bad.count == 0 {
				bad.first = fmt.Sprintf("%s [%v, %v] is out of range (longitude -180…180, latitude -90…90; projected coordinates must be converted to WGS-84 degrees)", where(), lng, lat)
			}
			bad.count++
		}
	}
	walkPoints(g, visit)
	more := func(n int) string {
		if n <= 1 {
			return ""
		}
		return fmt.Sprintf("; %d positions in all", n)
	}
	if bad.count > 0 {
		p.add(index, code, KindBadCoordinate, "%s%s", bad.first, more(bad.count))
	}
	if swapped.count > 0 {
		p.add(index, code, KindSwappedCoordinates, "latitude and longitude look swapped: %s; GeoJSON wants [longitude, latitude]%s", swapped.first, more(swapped.count))
	}
	return bad.count == 0 && swapped.count == 0
}

// walkPoints calls visit with every position of g and a function naming
// where it is (called only for the few positions reported).
func walkPoints(g orb.Geometry, visit func(where func() string, pt orb.Point)) {
	rings := func(polygon int, poly orb.Polygon) {
		for ri, r := range poly {
			for vi, pt := range r {
				visit(func() string {
					if polygon < 0 {
						return fmt.Sprintf("ring %d, position %d", ri, vi)
					}
					return fmt.Sprintf("polygon %d, ring %d, position %d", polygon, ri, vi)
				}, pt)
			}
		}
	}
	switch g := g.(type) {
	case orb.Point:
		visit(func() string { return "the point" }, g)
	case orb.Polygon:
		rings(-1, g)
	case orb.MultiPolygon:
		for pi, poly := range g {
			rings(pi, poly)
		}
	}
}

func ringName(prefix string, i int) string {
	if i == 0 {
		return prefix + "ring 0 (the outer boundary)"
	}
	return fmt.Sprintf("%sring %d (hole %d)", prefix, i, i)
}

// checkPolygonRings checks each ring on its own: enough points, closed,
// enclosing some area, not touching or crossing itself.
func checkPolygonRings(p *problemList, index int, code string, poly orb.Polygon, prefix string) bool {
	if len(poly) == 0 {
		p.add(index, code, KindBadGeometry, "%sthe polygon has no rings", prefix)
		return false
	}
	ok := true
	for i, r := range poly {
		name := ringName(prefix, i)
		switch {
		case len(r) < 4:
			p.add(index, code, KindRingTooFewPoints, "%s has %d positions; a ring needs at least 4, the last repeating the first", name, len(r))
		case r[0] != r[len(r)-1]:
			p.addAt(index, code, KindRingNotClosed, r[len(r)-1], "%s starts at %s but ends at %s; repeat the first position at the end", name, fmtPoint(r[0]), fmtPoint(r[len(r)-1]))
		case collinear(r):
			p.add(index, code, KindDegenerateRing, "%s encloses no area: its points lie on one line", name)
		default:
			// Crossings first: a bow-tie's two halves cancel to zero area.
			if at, doublesBack, found := ringSelfIntersection(r); found {
				if doublesBack {
					p.addAt(index, code, KindSelfIntersection, at, "%s turns back along itself at %s", name, fmtPoint(at))
				} else {
					p.addAt(index, code, KindSelfIntersection, at, "%s crosses or touches itself at %s", name, fmtPoint(at))
				}
				break
			}
			if AreaM2(r) < degenerateRingM2 {
				p.add(index, code, KindDegenerateRing, "%s encloses almost no area (%.4f m²)", name, AreaM2(r))
				break
			}
			continue
		}
		ok = false
	}
	return ok
}

var nearXY = regexp.MustCompile(`at or near \{([-+0-9.eE]+) ([-+0-9.eE]+)\}`)

// checkValidity runs the OGC validity rules that involve several rings or
// polygons (each ring is known to be fine on its own by now).
func checkValidity(p *problemList, index int, code string, g orb.Geometry) {
	sf, err := toSF(g)
	if err == nil {
		err = sf.Validate()
	}
	if err == nil {
		return
	}
	msg := err.Error()
	where := ""
	var at *[2]float64
	if m := nearXY.FindStringSubmatch(msg); m != nil {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		pt := orb.Point{roundTo(x, 7), roundTo(y, 7)}
		where, at = " near "+fmtPoint(pt), pointAt(pt)
	}
	// Each rule below is found at one place, when the library names it.
	n := len(p.list)
	defer func() {
		if len(p.list) > n {
			p.list[n].At = at
		}
	}()
	switch {
	case strings.Contains(msg, "nested rings"):
		p.add(index, code, KindBadHole, "a hole lies inside another hole%s", where)
	case strings.Contains(msg, "interior ring outside"):
		p.add(index, code, KindBadHole, "a hole lies outside the polygon's outer boundary%s", where)
	case strings.Contains(msg, "disconnected interior"):
		p.add(index, code, KindBadHole, "holes cut the polygon into separate pieces%s; make each piece a polygon of a MultiPolygon", where)
	case strings.Contains(msg, "rings intersect"):
		p.add(index, code, KindSelfIntersection, "two rings of a polygon cross or share an edge%s", where)
	case strings.Contains(msg, "multipolygon child polygons"):
		p.add(index, code, KindSelfIntersection, "parts of the MultiPolygon overlap or share an edge%s; merge them into one polygon", where)
	case strings.Contains(msg, "not simple"):
		p.add(index, code, KindSelfIntersection, "a ring crosses or touches itself%s", where)
	default:
		p.add(index, code, KindBadGeometry, "invalid geometry: %s", msg)
	}
}

// asProblems turns a list into the error Decode, Validate and Import return.
func asProblems(message string, problems []civicgrid.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &civicgrid.Error{Code: civicgrid.EINVALID, Message: message, Problems: problems}
}
