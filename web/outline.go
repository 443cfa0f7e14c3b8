package web

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// outline is a small server-drawn picture of an area and its sub-areas, so
// the area page shows the shape without any script or map tiles.
type outline struct {
	ViewBox string
	Area    string   // SVG path data of the area
	Kids    []string // path data of its sub-areas
}

const outlineWidth = 320.0

// newOutline projects WGS-84 longitude/latitude onto a plane scaled by the
// cosine of the latitude (close enough at the size of a city) and fits it
// into a viewBox outlineWidth wide. It returns nil for an area without a
// polygon.
func newOutline(area orb.Geometry, kids []orb.Geometry) *outline {
	if !isPolygonal(area) {
		return nil
	}
	b := area.Bound()
	for _, k := range kids {
		if isPolygonal(k) {
			b = b.Union(k.Bound())
		}
	}
	k := math.Cos(b.Center()[1] * math.Pi / 180)
	w, h := (b.Max[0]-b.Min[0])*k, b.Max[1]-b.Min[1]
	if w <= 0 || h <= 0 {
		return nil
	}
	scale := outlineWidth / w
	height := h * scale
	if height > 1.25*outlineWidth { // tall areas: limit the height instead
		scale = 1.25 * outlineWidth / h
		height = 1.25 * outlineWidth
	}
	project := func(p orb.Point) (float64, float64) {
		return (p[0] - b.Min[0]) * k * scale, (b.Max[1] - p[1]) * scale
	}
	pad := 4.0
	o := &outline{
		ViewBox: strings.Join([]string{num(-pad), num(-pad), num(w*scale + 2*pad), num(height + 2*pad)}, " "),
		Area:    pathData(area, project),
	}
	for _, g := range kids {
		if isPolygonal(g) {
			o.Kids = append(o.Kids, pathData(g, project))
		}
	}
	return o
}

func isPolygonal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

func pathData(g orb.Geometry, project func(orb.Point) (float64, float64)) string {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	var sb strings.Builder
	for _, poly := range polys {
		for _, ring := range poly {
			for i, p := range ring {
				x, y := project(p)
				if i == 0 {
					sb.WriteString("M")
				} else {
					sb.WriteString("L")
				}
				sb.WriteString(num(x) + " " + num(y))
			}
			sb.WriteString("Z")
		}
	}
	return sb.String()
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
