// Package areaio reads, checks and writes the administrative areas of
// civicgrid (city → district → street → community → grid → building) as
// GeoJSON. The file format is described in docs/area-format.md.
//
// Decode checks each feature on its own (properties, codes, coordinates,
// rings); Validate checks how the areas fit together (parents, containment,
// overlaps, gaps); Import does both and writes all areas or none.
package areaio

// Problem kinds, the machine-readable reasons in civicgrid.Problem.Kind.
const (
	KindMalformedJSON        = "malformed_json"         // not JSON; Detail names line, column and byte
	KindNotFeatureCollection = "not_feature_collection" // JSON, but not a GeoJSON FeatureCollection
	KindBadCRS               = "bad_crs"                // a "crs" member naming something other than WGS-84
	KindBadFeature           = "bad_feature"            // an entry of "features" that is not a Feature
	KindMissingProperty      = "missing_property"       // level, code, name or parent absent or empty
	KindBadProperty          = "bad_property"           // a property of the wrong type or not allowed at this level
	KindBadLevel             = "bad_level"              // level is not city, district, street, community, grid or building
	KindBadCode              = "bad_code"               // wrong length, not digits, or not extending the parent's code
	KindDuplicateCode        = "duplicate_code"         // the same code twice in one file
	KindBadGeometryType      = "bad_geometry_type"      // a geometry type not allowed for the level (or none where one is needed)
	KindBadGeometry          = "bad_geometry"           // coordinates not nested as the geometry type requires, or empty
	KindBadCoordinate        = "bad_coordinate"         // not finite, or out of range for longitude/latitude
	KindSwappedCoordinates   = "swapped_coordinates"    // valid only as [lat, lng]: latitude and longitude look swapped
	KindRingNotClosed        = "ring_not_closed"        // a ring whose last position differs from its first
	KindRingTooFewPoints     = "ring_too_few_points"    // a ring of fewer than 4 positions
	KindDegenerateRing       = "degenerate_ring"        // a ring enclosing (almost) no area: collinear or repeated points
	KindSelfIntersection     = "self_intersection"      // a boundary crossing or touching itself, or overlapping parts
	KindBadHole              = "bad_hole"               // a hole outside its polygon, inside another hole, or cutting it apart
	KindMissingParent        = "missing_parent"         // the parent code is in neither the file nor the store, or of the wrong level
	KindOutsideParent        = "outside_parent"         // part of an area (or a building) outside its parent
	KindOverlap              = "overlap"                // two areas of one level overlapping
	KindGap                  = "gap"                    // part of a community covered by none of its grids
	KindCheckFailed          = "check_failed"           // a geometric comparison could not be computed
	KindTooManyProblems      = "too_many_problems"      // the list was cut at Options.MaxProblems
)
