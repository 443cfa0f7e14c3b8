package areaio

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// memStore is an in-memory civicgrid.AreaStore for the tests of this
// package; the SQLite store has its own tests.
type memStore struct {
	versions map[string][]civicgrid.Area
	nextID   int64
	gen      int64

	applyCalls int                    // how often ApplyAreas ran
	queries    []civicgrid.AreaFilter // every CurrentAreas filter, to see what an import loads
}

var _ civicgrid.AreaStore = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{versions: make(map[string][]civicgrid.Area)} }

func (s *memStore) ApplyAreas(_ context.Context, areas []civicgrid.Area, at time.Time) (civicgrid.ImportResult, error) {
	s.applyCalls++
	var res civicgrid.ImportResult
	for _, a := range areas {
		vs := s.versions[a.Code]
		if n := len(vs); n > 0 {
			cur := &vs[n-1]
			if cur.Name == a.Name && cur.ParentCode == a.ParentCode && cur.Number == a.Number && orb.Equal(cur.Geometry, a.Geometry) {
				res.Unchanged++
				if a.Workers != nil {
					cur.Workers = a.Workers
				}
				continue
			}
			cur.ValidTo = at
			res.Redrawn++
		} else {
			res.Created++
		}
		s.nextID++
		a.ID = s.nextID
		if a.ValidFrom.IsZero() {
			a.ValidFrom = at
		}
		s.versions[a.Code] = append(vs, a)
	}
	if res.Created+res.Redrawn > 0 {
		s.gen++
	}
	return res, nil
}

func (s *memStore) CurrentAreas(_ context.Context, f civicgrid.AreaFilter) ([]civicgrid.Area, error) {
	s.queries = append(s.queries, f)
	var out []civicgrid.Area
	for code, vs := range s.versions {
		a := vs[len(vs)-1]
		if !a.Current() || (f.Level != "" && a.Level != f.Level) || !strings.HasPrefix(code, f.Within) {
			continue
		}
		if f.BBox != nil && (a.Geometry == nil || !f.BBox.Intersects(a.Geometry.Bound())) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b civicgrid.Area) int { return strings.Compare(a.Code, b.Code) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *memStore) AreaByCode(_ context.Context, code string) (civicgrid.Area, error) {
	vs := s.versions[code]
	if len(vs) == 0 || !vs[len(vs)-1].Current() {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area with code %q", code)
	}
	return vs[len(vs)-1], nil
}

func (s *memStore) AreaVersions(_ context.Context, code string) ([]civicgrid.Area, error) {
	vs := s.versions[code]
	if len(vs) == 0 {
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area with code %q", code)
	}
	return slices.Clone(vs), nil
}

func (s *memStore) AreaGeneration(context.Context) (int64, error) { return s.gen, nil }
