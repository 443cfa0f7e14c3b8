// Package locate answers "which grid is this point in" for the current areas:
// an in-memory spatial index built from the store and rebuilt whenever the
// store's area generation moves on.
package locate

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/gridindex"
)

// Options tune lookups.
type Options struct {
	// NearestMaxMeters: a point outside every grid but within this distance of
	// one is given to the nearest grid (GPS drift at the city's edge); beyond
	// it the point is outside the jurisdiction. 0 disables.
	NearestMaxMeters float64
}

// DefaultOptions are used by the server unless configured otherwise.
var DefaultOptions = Options{NearestMaxMeters: 50}

// Service locates points in the grids of a store.
type Service struct {
	store civicgrid.AreaStore
	opts  Options
	snap  atomic.Pointer[snapshot]
	mu    sync.Mutex // serialises rebuilds
}

type gridInfo struct {
	ref     civicgrid.AreaRef
	parent  string
	workers []civicgrid.Worker
}

type snapshot struct {
	generation int64
	index      *gridindex.Index
	grids      []gridInfo
	above      map[string]civicgrid.Area // areas above grid level, by code
}

// New loads the current grids and builds the index.
func New(ctx context.Context, store civicgrid.AreaStore, opts Options) (*Service, error) {
	s := &Service{store: store, opts: opts}
	if _, err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Refresh rebuilds the index if the store's areas changed since the last
// build, and reports whether it did. Lookups keep using the old index until
// the new one is ready, then switch atomically.
func (s *Service) Refresh(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gen, err := s.store.AreaGeneration(ctx)
	if err != nil {
		return false, err
	}
	if cur := s.snap.Load(); cur != nil && cur.generation == gen {
		return false, nil
	}
	snap, err := build(ctx, s.store, gen)
	if err != nil {
		return false, err
	}
	s.snap.Store(snap)
	return true, nil
}

func build(ctx context.Context, store civicgrid.AreaStore, gen int64) (*snapshot, error) {
	snap := &snapshot{generation: gen, above: map[string]civicgrid.Area{}}
	for _, level := range []civicgrid.Level{civicgrid.LevelCity, civicgrid.LevelDistrict, civicgrid.LevelStreet, civicgrid.LevelCommunity} {
		areas, err := store.CurrentAreas(ctx, civicgrid.AreaFilter{Level: level})
		if err != nil {
			return nil, err
		}
		for _, a := range areas {
			a.Geometry = nil // only names and parents are needed here
			snap.above[a.Code] = a
		}
	}
	grids, err := store.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid})
	if err != nil {
		return nil, err
	}
	entries := make([]gridindex.Entry, 0, len(grids))
	snap.grids = make([]gridInfo, 0, len(grids))
	for _, g := range grids {
		if g.Geometry == nil {
			continue
		}
		entries = append(entries, gridindex.Entry{Key: uint32(len(snap.grids)), Shape: g.Geometry})
		snap.grids = append(snap.grids, gridInfo{
			ref:     civicgrid.AreaRef{Code: g.Code, Level: g.Level, Name: g.Name},
			parent:  g.ParentCode,
			workers: g.Workers,
		})
	}
	ix, err := gridindex.Build(entries)
	if err != nil {
		return nil, fmt.Errorf("build grid index: %w", err)
	}
	snap.index = ix
	return snap, nil
}

// Generation is the area generation the current index was built from.
func (s *Service) Generation() int64 { return s.snap.Load().generation }

// Grids is the number of grids in the current index.
func (s *Service) Grids() int { return len(s.snap.Load().grids) }

// Locate returns the grid holding the WGS-84 point and its ancestors.
func (s *Service) Locate(lng, lat float64) (civicgrid.Location, error) {
	if err := CheckPoint(lng, lat); err != nil {
		return civicgrid.Location{}, err
	}
	snap := s.snap.Load()
	var loc civicgrid.Location
	key, onBoundary, ok := snap.index.Locate(lng, lat)
	if !ok && s.opts.NearestMaxMeters > 0 {
		var meters float64
		key, meters, ok = snap.index.Nearest(lng, lat, s.opts.NearestMaxMeters)
		loc.DistanceM = math.Round(meters*10) / 10
	}
	if !ok {
		return civicgrid.Location{}, civicgrid.Errorf(civicgrid.EOUTSIDE,
			"the point (lat %.6f, lng %.6f) lies outside every grid of this jurisdiction", lat, lng)
	}
	g := snap.grids[key]
	loc.Grid, loc.Workers, loc.OnBoundary = g.ref, g.workers, onBoundary
	for code := g.parent; code != ""; {
		a, found := snap.above[code]
		if !found {
			break
		}
		loc.Ancestors = append(loc.Ancestors, civicgrid.AreaRef{Code: a.Code, Level: a.Level, Name: a.Name})
		code = a.ParentCode
	}
	return loc, nil
}

// CheckPoint rejects coordinates that cannot be a WGS-84 point, naming a
// likely swap of latitude and longitude.
func CheckPoint(lng, lat float64) error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(lng) || bad(lat):
		return civicgrid.Errorf(civicgrid.EINVALID, "coordinates must be finite numbers")
	case math.Abs(lat) > 90 && math.Abs(lng) <= 90 && math.Abs(lat) <= 180:
		return civicgrid.Errorf(civicgrid.EINVALID, "latitude %g is out of range [-90, 90]; latitude and longitude look swapped", lat)
	case math.Abs(lat) > 90:
		return civicgrid.Errorf(civicgrid.EINVALID, "latitude %g is out of range [-90, 90]", lat)
	case math.Abs(lng) > 180:
		return civicgrid.Errorf(civicgrid.EINVALID, "longitude %g is out of range [-180, 180]", lng)
	}
	return nil
}
