package areaio

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
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
// nothing: it returns the areas of the file that can be drawn and every
// problem (none when the file would import). How the areas fit together
// (parents, overlaps, gaps) is checked among the features that are fine on
// their own, leaving out the children of those that are not, so one check
// shows nearly all that is wrong; fixing a feature may still reveal more.
// Import refuses whatever Check finds.
func Check(ctx context.Context, store civicgrid.AreaStore, r io.Reader, opts Options) (CheckResult, error) {
	opts = opts.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return CheckResult{}, fmt.Errorf("read area file: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		_, err := Decode(bytes.NewReader(data), opts) // its size refusal
		return CheckResult{}, err
	}
	p := &problemList{max: opts.MaxProblems}
	areas, indices := decodeCollection(data, opts, p)
	problems := p.result()
	faulty := make(map[int]bool) // features with a problem of their own
	for _, pr := range problems {
		faulty[pr.Index] = true
	}
	faultyCodes := make(map[string]bool)
	var sound []civicgrid.Area
	var soundIndex []int
	for i, a := range areas {
		if faulty[indices[i]] {
			faultyCodes[a.Code] = true
			continue
		}
		sound = append(sound, a)
		soundIndex = append(soundIndex, indices[i])
	}
	var res CheckResult
	if len(sound) > 0 && !p.full() {
		existing, err := loadAffected(ctx, store, sound)
		if err != nil {
			return CheckResult{}, err
		}
		res.Preview = preview(existing, sound)
		parentOf := make(map[int]string, len(sound))
		for i, a := range sound {
			parentOf[soundIndex[i]] = a.ParentCode
		}
		for _, pr := range validateFeatures(existing, sound, soundIndex, opts) {
			// A child of a faulty feature is measured against what the
			// feature will be once fixed, not against it now.
			if faultyCodes[parentOf[pr.Index]] {
				continue
			}
			problems = append(problems, pr)
		}
		slices.SortStableFunc(problems, func(a, b civicgrid.Problem) int {
			return problemOrder(a.Index) - problemOrder(b.Index)
		})
	}
	for _, a := range areas {
		if a.Geometry != nil && finite(a.Geometry) {
			res.Areas = append(res.Areas, a)
		}
	}
	res.Problems = problems
	if len(problems) > 0 {
		res.Preview = civicgrid.ImportResult{}
	}
	return res, nil
}

// CheckResult is what Check finds in a file.
type CheckResult struct {
	Areas    []civicgrid.Area    // the file's areas with a geometry that can be drawn
	Problems []civicgrid.Problem // none when the file would import
	// Preview counts what an import would do, as the store counts it
	// (zero while there are problems).
	Preview civicgrid.ImportResult
}

// preview counts the areas an import of incoming would add, redraw or leave
// as they are, comparing what the stores compare.
func preview(existing, incoming []civicgrid.Area) civicgrid.ImportResult {
	current := make(map[string]*civicgrid.Area, len(existing))
	for i := range existing {
		current[existing[i].Code] = &existing[i]
	}
	var res civicgrid.ImportResult
	for _, a := range incoming {
		cur, ok := current[a.Code]
		switch {
		case !ok:
			res.Created++
		case cur.Name == a.Name && cur.ParentCode == a.ParentCode && cur.Number == a.Number && sameGeometry(cur.Geometry, a.Geometry):
			res.Unchanged++
		default:
			res.Redrawn++
		}
	}
	return res
}

func sameGeometry(a, b orb.Geometry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return orb.Equal(a, b)
}

// finite reports whether every position of g is a longitude and latitude.
func finite(g orb.Geometry) bool {
	ok := true
	walkPoints(g, func(_ func() string, pt orb.Point) {
		if !(math.Abs(pt[0]) <= 180 && math.Abs(pt[1]) <= 90) {
			ok = false
		}
	})
	return ok
}
