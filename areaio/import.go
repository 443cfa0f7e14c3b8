package areaio

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Import reads a GeoJSON file of areas, checks it on its own and against the
// areas already stored, and writes it with store.ApplyAreas only if there is
// no problem at all: any problem gives an *civicgrid.Error with code EINVALID
// listing them, and nothing is written.
func Import(ctx context.Context, store civicgrid.AreaStore, r io.Reader, opts Options) (civicgrid.ImportResult, error) {
	areas, err := Decode(r, opts)
	if err != nil {
		return civicgrid.ImportResult{}, err
	}
	return importChecked(ctx, store, areas, opts)
}

// ImportAreas imports areas built in code (a generator, another format) with
// the same checks and the same all-or-nothing rule as Import. The caller's
// slice is not changed.
func ImportAreas(ctx context.Context, store civicgrid.AreaStore, areas []civicgrid.Area, opts Options) (civicgrid.ImportResult, error) {
	opts = opts.withDefaults()
	areas = slices.Clone(areas)
	p := &problemList{max: opts.MaxProblems}
	checkAreas(areas, p) // also rounds the geometries of the copy
	if problems := p.result(); len(problems) > 0 {
		return civicgrid.ImportResult{}, asProblems("the areas have problems; nothing was imported", problems)
	}
	return importChecked(ctx, store, areas, opts)
}

// importChecked validates areas that passed the single-area checks against
// the store and writes them.
func importChecked(ctx context.Context, store civicgrid.AreaStore, areas []civicgrid.Area, opts Options) (civicgrid.ImportResult, error) {
	if len(areas) == 0 {
		return civicgrid.ImportResult{}, nil
	}
	existing, err := loadAffected(ctx, store, areas)
	if err != nil {
		return civicgrid.ImportResult{}, err
	}
	if problems := Validate(existing, areas, opts); len(problems) > 0 {
		return civicgrid.ImportResult{}, asProblems("the areas do not fit together; nothing was imported", problems)
	}
	// Parents before children, so a store may rely on the parent existing.
	ordered := slices.Clone(areas)
	slices.SortStableFunc(ordered, func(a, b civicgrid.Area) int {
		if d := a.Level.Rank() - b.Level.Rank(); d != 0 {
			return d
		}
		return strings.Compare(a.Code, b.Code)
	})
	return store.ApplyAreas(ctx, ordered, time.Now())
}

// maxScopes bounds the number of subtree queries; past it, scopes are widened
// to their parents (loading more than needed is only slower, never wrong).
const maxScopes = 64

// loadAffected loads the current areas Validate needs: the subtree of the
// parent of every incoming area (the parent itself, its children - siblings
// of the incoming area - and everything below, which covers the children of
// incoming areas too), and areas of the same levels whose bounding boxes meet
// the incoming ones, for overlaps across a subtree's edge.
func loadAffected(ctx context.Context, store civicgrid.AreaStore, incoming []civicgrid.Area) ([]civicgrid.Area, error) {
	var scopes []string
	for i := range incoming {
		a := &incoming[i]
		if a.ParentCode != "" {
			scopes = append(scopes, subtreePrefix(a.ParentCode, a.Level.Parent()))
		} else {
			scopes = append(scopes, subtreePrefix(a.Code, a.Level))
		}
	}
	scopes = minimalPrefixes(scopes)
	for len(scopes) > maxScopes {
		for i, s := range scopes {
			scopes[i] = widen(s)
		}
		scopes = minimalPrefixes(scopes)
	}

	byCode := make(map[string]civicgrid.Area)
	load := func(f civicgrid.AreaFilter) error {
		areas, err := store.CurrentAreas(ctx, f)
		for _, a := range areas {
			byCode[a.Code] = a
		}
		return err
	}
	for _, s := range scopes {
		if err := load(civicgrid.AreaFilter{Within: s}); err != nil {
			return nil, err
		}
	}
	// Neighbours outside the scopes: one box per level and scope.
	type key struct {
		level civicgrid.Level
		scope string
	}
	boxes := make(map[key]orb.Bound)
	var keys []key
	for i := range incoming {
		a := &incoming[i]
		if !polygonal(a.Geometry) || a.Level == civicgrid.LevelBuilding {
			continue
		}
		k := key{a.Level, scopeOf(scopes, a.Code)}
		b, ok := boxes[k]
		if !ok {
			keys = append(keys, k)
			b = a.Geometry.Bound()
		}
		boxes[k] = b.Union(a.Geometry.Bound())
	}
	for _, k := range keys {
		b := boxes[k]
		if err := load(civicgrid.AreaFilter{Level: k.level, BBox: &b}); err != nil {
			return nil, err
		}
	}
	existing := make([]civicgrid.Area, 0, len(byCode))
	for _, a := range byCode {
		existing = append(existing, a)
	}
	// In code order, so the same import reports the same way every time.
	slices.SortFunc(existing, func(a, b civicgrid.Area) int { return strings.Compare(a.Code, b.Code) })
	return existing, nil
}

// subtreePrefix is the code prefix shared by an area and everything below
// it: the code itself, except for a city, whose districts share only its
// first four digits (420100 → 4201).
func subtreePrefix(code string, level civicgrid.Level) string {
	if level == civicgrid.LevelCity && len(code) >= 4 {
		return code[:4]
	}
	return code
}

// widen returns the prefix of the next larger subtree ("" is everything).
func widen(prefix string) string {
	switch n := len(prefix); {
	case n > 15:
		return prefix[:15]
	case n > 12:
		return prefix[:12]
	case n > 9:
		return prefix[:9]
	case n > 6:
		return prefix[:6]
	case n > 4:
		return prefix[:4]
	}
	return ""
}

// minimalPrefixes sorts and drops prefixes covered by a shorter one.
func minimalPrefixes(prefixes []string) []string {
	slices.Sort(prefixes)
	out := prefixes[:0]
	for _, p := range prefixes {
		if len(out) > 0 && len(p) >= len(out[len(out)-1]) && p[:len(out[len(out)-1])] == out[len(out)-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// scopeOf returns the scope a code falls in ("" when none).
func scopeOf(scopes []string, code string) string {
	for _, s := range scopes {
		if len(code) >= len(s) && code[:len(s)] == s {
			return s
		}
	}
	return ""
}

// Check runs every check Import runs, against the store, and writes
// nothing: it returns the areas the file holds and every problem (none when
// the file would import). A file that does not decode has its problems and
// no areas. Import refuses whatever Check finds.
func Check(ctx context.Context, store civicgrid.AreaStore, r io.Reader, opts Options) ([]civicgrid.Area, []civicgrid.Problem, error) {
	areas, err := Decode(r, opts)
	var ce *civicgrid.Error
	if errors.As(err, &ce) && len(ce.Problems) > 0 {
		return nil, ce.Problems, nil
	}
	if err != nil || len(areas) == 0 {
		return areas, nil, err
	}
	existing, err := loadAffected(ctx, store, areas)
	if err != nil {
		return nil, nil, err
	}
	return areas, Validate(existing, areas, opts), nil
}
