package testdb

import (
	"context"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Areas is an area registry of a module test: each code where it stands
// (nil: no location on the map); its level is read from the code's shape.
type Areas map[string]orb.Geometry

// AreaByCode returns the area, or ENOTFOUND.
func (r Areas) AreaByCode(_ context.Context, code string) (civicgrid.Area, error) {
	g, ok := r[code]
	if !ok {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area %s", code)
	}
	return civicgrid.Area{Code: code, Level: civicgrid.LevelOfCode(code), Geometry: g}, nil
}
