package areaio

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
	"github.com/tidwall/rtree"

	"github.com/civicgrid/civicgrid"
)

// Validate checks how areas fit together once incoming is applied over
// existing (the current areas, replaced where incoming has the same code).
// Incoming areas are expected to have passed Decode's checks.
//
// Only what the import touches is checked, so importing one community of a
// large city stays fast: the parents of incoming areas, incoming areas as
// parents of what they contain, and overlaps that involve an incoming area.
// The problems are:
//   - missing_parent: the parent code is in neither list, or is not of the
//     level above;
//   - outside_parent: a child (grid in community, community in street, street
//     in district, district in city, when the parent has a geometry) reaching
//     more than OutsideToleranceM2 outside its parent, or a building outside
//     its grid;
//   - overlap: two areas of one level, at least one incoming, sharing more
//     than OverlapToleranceM2;
//   - gap: more than GapToleranceM2 of a community covered by none of its
//     grids (when it has at least one).
//
// Problem.Index is the incoming index of the area concerned, or of the
// incoming parent whose redrawing caused the problem, or -1.
func Validate(existing, incoming []civicgrid.Area, opts Options) []civicgrid.Problem {
	return validateFeatures(existing, incoming, nil, opts)
}

// validateFeatures is Validate for incoming areas that are some of a file's
// features: features[i] is the index of incoming[i]'s feature (nil: i), and
// problems name features by it.
func validateFeatures(existing, incoming []civicgrid.Area, features []int, opts Options) []civicgrid.Problem {
	v := newValidator(existing, incoming, features, opts.withDefaults())
	v.checkParents()
	v.checkGroups()
	v.checkBuildings()
	v.checkOverlaps()
	problems := v.problems.result()
	// Discovery order depends on which check found what; show them by feature.
	slices.SortStableFunc(problems, func(a, b civicgrid.Problem) int {
		return problemOrder(a.Index) - problemOrder(b.Index)
	})
	return problems
}

func problemOrder(index int) int {
	if index < 0 {
		return math.MaxInt
	}
	return index
}

// node is an area in the state after the import.
type node struct {
	area     *civicgrid.Area
	index    int // position in incoming; -1 for an existing area
	parent   *node
	children []*node
	bound    orb.Bound
	shaped   bool // has a Polygon or MultiPolygon

	sf      geom.Geometry // converted by prepare before any parallel phase
	sfState int8          // 0 not converted, 1 ok, -1 failed

	// What is known of the node's children (at the level below, buildings
	// aside): tiled exactly, or measured by overlays, or neither.
	exact     int8    // 0 unknown, 1 yes, -1 no
	measured  bool    // excessM2 and outsideM2 are set
	excessM2  float64 // the children's areas add up to this much more than their union
	outsideM2 float64 // this much of the children's union lies outside the node
}

func (n *node) incoming() bool { return n.index >= 0 }

// describe names an area for a message: "grid 420106001001002 (feature 3)".
func (n *node) describe() string {
	if n.incoming() {
		return fmt.Sprintf("%s %s (feature %d)", n.area.Level, n.area.Code, n.index)
	}
	return fmt.Sprintf("%s %s (already stored)", n.area.Level, n.area.Code)
}

// siblingOverlapBound bounds the overlap of any two children of n.
func (n *node) siblingOverlapBound() float64 {
	switch {
	case n.exact == 1:
		return 0
	case n.measured:
		return n.excessM2
	}
	return math.Inf(1)
}

// outsideBound bounds how much of n's children lies outside n.
func (n *node) outsideBound() float64 {
	switch {
	case n.exact == 1:
		return 0
	case n.measured:
		return n.outsideM2
	}
	return math.Inf(1)
}

type validator struct {
	opts     Options
	nodes    map[string]*node
	all      []*node // existing (unless replaced), then incoming
	incoming []*node
	problems *problemList
	bounds   map[[2]*node]float64 // overlapBound results
}

func newValidator(existing, incoming []civicgrid.Area, features []int, opts Options) *validator {
	v := &validator{
		opts:     opts,
		nodes:    make(map[string]*node, len(existing)+len(incoming)),
		problems: &problemList{max: opts.MaxProblems},
		bounds:   make(map[[2]*node]float64),
	}
	add := func(a *civicgrid.Area, index int) *node {
		n := &node{area: a, index: index, shaped: polygonal(a.Geometry)}
		if a.Geometry != nil {
			n.bound = a.Geometry.Bound()
		}
		v.nodes[a.Code] = n
		return n
	}
	var stored []*node
	for i := range existing {
		if existing[i].Current() {
			stored = append(stored, add(&existing[i], -1))
		}
	}
	for i := range incoming {
		index := i
		if features != nil {
			index = features[i] // increasing, as i is
		}
		v.incoming = append(v.incoming, add(&incoming[i], index))
	}
	// In input order, which makes results reproducible; an existing area
	// replaced by an incoming one is left out.
	v.all = make([]*node, 0, len(v.nodes))
	for _, n := range stored {
		if v.nodes[n.area.Code] == n {
			v.all = append(v.all, n)
		}
	}
	v.all = append(v.all, v.incoming...)
	for _, n := range v.all {
		if p := v.nodes[n.area.ParentCode]; p != nil && n.area.ParentCode != "" && p.area.Level == n.area.Level.Parent() {
			n.parent = p
			p.children = append(p.children, n)
		}
	}
	return v
}

// prepare converts geometries for the overlay library. It runs before the
// parallel phases, which then only read the conversions.
func (v *validator) prepare(nodes ...*node) {
	for _, n := range nodes {
		if n.sfState == 0 {
			g, err := toSF(n.area.Geometry)
			n.sf, n.sfState = g, 1
			if err != nil {
				n.sfState = -1
			}
		}
	}
}

// checkParents reports incoming areas whose parent is missing or of the
// wrong level.
func (v *validator) checkParents() {
	for _, n := range v.incoming {
		a := n.area
		if a.ParentCode == "" || n.parent != nil {
			continue
		}
		want := a.Level.Parent()
		if p := v.nodes[a.ParentCode]; p != nil {
			v.problems.add(n.index, a.Code, KindMissingParent, "its parent %s is a %s; the parent of a %s must be a %s", a.ParentCode, p.area.Level, a.Level, want)
			continue
		}
		v.problems.add(n.index, a.Code, KindMissingParent, "its parent %s %s is neither in the file nor already stored; import the %s first or add it to the file", want, a.ParentCode, want)
	}
}

// touchedParents lists the parents whose children the import changes: the
// parents of incoming areas, and incoming areas that have children.
func (v *validator) touchedParents() []*node {
	seen := make(map[*node]bool)
	var out []*node
	add := func(n *node) {
		if n != nil && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range v.incoming {
		add(n.parent)
		if len(n.children) > 0 {
			add(n)
		}
	}
	return out
}

// shapedChildren returns the children with a Polygon or MultiPolygon,
// leaving out buildings (which are checked on their own).
func shapedChildren(p *node) []*node {
	var kids []*node
	for _, c := range p.children {
		if c.shaped && c.area.Level != civicgrid.LevelBuilding {
			kids = append(kids, c)
		}
	}
	return kids
}

// isExact reports (and remembers) whether p is tiled exactly by its shaped
// children, which then lie inside it and do not overlap each other.
func (v *validator) isExact(p *node) bool {
	if p.exact == 0 {
		p.exact = -1
		if kids := shapedChildren(p); p.shaped && len(kids) > 0 {
			pieces := make([]orb.Geometry, len(kids))
			for i, k := range kids {
				pieces[i] = k.area.Geometry
			}
			if tilesExactly(p.area.Geometry, pieces) {
				p.exact = 1
			}
		}
	}
	return p.exact == 1
}

// checkGroups checks each touched parent against its children: children
// outside it, and for a community the gap its grids leave. When the
// children tile the parent exactly there is nothing to measure; otherwise
// overlays measure what sticks out and what is left uncovered (in parallel,
// parent by parent), and only when that is over the tolerance are the
// children measured one by one.
func (v *validator) checkGroups() {
	type group struct {
		parent   *node
		kids     []*node
		problems []civicgrid.Problem
	}
	var groups []*group
	for _, p := range v.touchedParents() {
		if !p.shaped || p.area.Level == civicgrid.LevelGrid {
			continue
		}
		kids := shapedChildren(p)
		if len(kids) == 0 || v.isExact(p) {
			continue
		}
		v.prepare(p)
		v.prepare(kids...)
		groups = append(groups, &group{parent: p, kids: kids})
	}
	parallel(len(groups), func(i int) {
		g := groups[i]
		g.problems = v.measureGroup(g.parent, g.kids)
	})
	for _, g := range groups {
		for _, pr := range g.problems {
			v.problems.addProblem(pr)
		}
	}
}

// measureGroup measures parent p against its children with overlays and
// returns the problems found. It changes only p.
func (v *validator) measureGroup(p *node, kids []*node) []civicgrid.Problem {
	var problems []civicgrid.Problem
	failed := func(err error) []civicgrid.Problem {
		index := p.index
		for _, k := range kids {
			if index < 0 && k.incoming() {
				index = k.index // some child is incoming, or p would not be touched
			}
		}
		return append(problems, civicgrid.Problem{Index: index, Code: p.area.Code, Kind: KindCheckFailed,
			Detail: fmt.Sprintf("could not compare %s with its %ss: %v; look for nearly coincident edges", p.describe(), kids[0].area.Level, err)})
	}
	if p.sfState != 1 {
		return nil
	}
	kidsSF := make([]geom.Geometry, 0, len(kids))
	for _, k := range kids {
		if k.sfState == 1 {
			kidsSF = append(kidsSF, k.sf)
		}
	}
	union, err := unionOf(kidsSF)
	if err != nil {
		return failed(err)
	}
	// One overlay gives both what sticks out and what is left uncovered:
	// the symmetric difference is their sum, and union minus parent their
	// difference (both sides being the union ∩ parent plus one of them).
	symDiff, err := geom.SymmetricDifference(union, p.sf)
	if err != nil {
		return failed(err)
	}
	lat0 := p.bound.Center()[1]
	factor := m2PerDeg2(lat0)
	parentDeg2, _ := areaDeg2(p.area.Geometry)
	unionM2, symM2, parentM2 := union.Area()*factor, symDiff.Area()*factor, parentDeg2*factor
	outsideM2 := (symM2 + unionM2 - parentM2) / 2
	gapM2 := (symM2 - unionM2 + parentM2) / 2
	if slack := 0.01 + 1e-6*parentM2; outsideM2 < -slack || gapM2 < -slack {
		return failed(fmt.Errorf("overlay results disagree (%.2f m² outside, %.2f m² uncovered)", outsideM2, gapM2))
	}
	outsideM2, gapM2 = max(0, outsideM2), max(0, gapM2)
	sum := 0.0
	for _, k := range kids {
		a, _ := areaDeg2(k.area.Geometry)
		sum += a * factor
	}
	p.measured, p.excessM2, p.outsideM2 = true, max(0, sum-unionM2), outsideM2

	if outsideM2 > v.opts.OutsideToleranceM2 {
		for _, k := range kids {
			if k.incoming() || p.incoming() {
				if pr, ok := v.outsidePart(k, p); ok {
					problems = append(problems, pr)
				}
			}
		}
	}
	if p.area.Level == civicgrid.LevelCommunity && gapM2 > v.opts.GapToleranceM2 {
		where := ""
		var at *[2]float64
		if gap, err := geom.Difference(p.sf, union); err == nil {
			if pt, ok := largestPartPoint(gap); ok {
				where, at = ", largest piece near "+fmtPoint(pt), pointAt(pt)
			}
		}
		problems = append(problems, civicgrid.Problem{Index: p.index, Code: p.area.Code, Kind: KindGap, AreaM2: roundTo(gapM2, 1), At: at,
			Detail: fmt.Sprintf("part of %s is covered by none of its %d grids%s; extend a grid over it or redraw the community", p.describe(), len(kids), where)})
	}
	return problems
}

// unionOf unions shapes in one overlay, then checks the result: the
// library's many-input union can, rarely, drop an input whose edges nearly
// coincide with its neighbours'. Every input must have a point inside the
// union, or the union is redone two shapes at a time, which is slower and
// does not show that fault.
func unionOf(gs []geom.Geometry) (geom.Geometry, error) {
	u, err := geom.UnionMany(gs)
	if err == nil && covers(u, gs) {
		return u, nil
	}
	for len(gs) > 1 {
		next := make([]geom.Geometry, 0, (len(gs)+1)/2)
		for i := 0; i < len(gs); i += 2 {
			if i+1 == len(gs) {
				next = append(next, gs[i])
				continue
			}
			u, err := geom.Union(gs[i], gs[i+1])
			if err != nil {
				return geom.Geometry{}, err
			}
			next = append(next, u)
		}
		gs = next
	}
	if len(gs) == 0 {
		return geom.Geometry{}, nil
	}
	if !covers(gs[0], gs) {
		return geom.Geometry{}, fmt.Errorf("the union of the shapes lost one of them")
	}
	return gs[0], nil
}

// covers reports whether a point inside each shape lies in u.
func covers(u geom.Geometry, gs []geom.Geometry) bool {
	for _, g := range gs {
		if !geom.Intersects(g.PointOnSurface().AsGeometry(), u) {
			return false
		}
	}
	return true
}

// outsidePart measures the part of child k outside its parent p.
func (v *validator) outsidePart(k, p *node) (civicgrid.Problem, bool) {
	if k.sfState != 1 || p.sfState != 1 {
		return civicgrid.Problem{}, false
	}
	index := k.index
	if index < 0 {
		index = p.index
	}
	d, err := geom.Difference(k.sf, p.sf)
	if err != nil {
		return civicgrid.Problem{Index: index, Code: k.area.Code, Kind: KindCheckFailed,
			Detail: fmt.Sprintf("could not compare %s with %s: %v", k.describe(), p.describe(), err)}, true
	}
	m2 := sfAreaM2(d, k.bound.Center()[1])
	if m2 <= v.opts.OutsideToleranceM2 {
		return civicgrid.Problem{}, false
	}
	where := ""
	var at *[2]float64
	if pt, ok := largestPartPoint(d); ok {
		where, at = " near "+fmtPoint(pt), pointAt(pt)
	}
	return civicgrid.Problem{Index: index, Code: k.area.Code, Kind: KindOutsideParent, AreaM2: roundTo(m2, 1), At: at,
		Detail: fmt.Sprintf("part of %s lies outside its %s%s", k.describe(), p.describe(), where)}, true
}

// checkBuildings checks that each building affected by the import lies in
// its grid: a point inside or on the boundary, a footprint within the
// outside tolerance.
func (v *validator) checkBuildings() {
	for _, g := range v.touchedParents() {
		if g.area.Level != civicgrid.LevelGrid || !g.shaped {
			continue
		}
		for _, b := range g.children {
			if v.problems.full() {
				return
			}
			if !b.incoming() && !g.incoming() {
				continue
			}
			v.prepare(g, b)
			switch pt := b.area.Geometry.(type) {
			case orb.Point:
				if b.sfState != 1 || g.sfState != 1 || geom.Intersects(b.sf, g.sf) {
					continue
				}
				index := b.index
				if index < 0 {
					index = g.index
				}
				v.problems.addAt(index, b.area.Code, KindOutsideParent, pt, "%s at %s lies outside its %s", b.describe(), fmtPoint(pt), g.describe())
			case orb.Polygon:
				if pr, ok := v.outsidePart(b, g); ok {
					v.problems.addProblem(pr)
				}
			}
		}
	}
}

// checkOverlaps finds, level by level, areas overlapping an incoming area of
// the same level. An R-tree of bounding boxes gives the candidates, and most
// pairs are cleared without an overlay: siblings of an exactly tiled (or
// measured) parent overlap at most as much as its children's areas exceed
// their union, and children of two different parents at most as much as
// the parents overlap plus what sticks out of each (asked the same way, one
// level up). The pairs left are measured in parallel.
func (v *validator) checkOverlaps() {
	byLevel := make(map[civicgrid.Level][]*node)
	for _, n := range v.incoming {
		if n.shaped && n.area.Level != civicgrid.LevelBuilding {
			byLevel[n.area.Level] = append(byLevel[n.area.Level], n)
		}
	}
	type pair struct {
		n, m    *node
		problem civicgrid.Problem
		found   bool
	}
	var pairs []*pair
	for _, level := range civicgrid.Levels {
		incoming := byLevel[level]
		if len(incoming) == 0 {
			continue
		}
		// Only areas near an incoming one can overlap it: with a small import
		// into a large city the tree stays small.
		reach := incoming[0].bound
		for _, n := range incoming[1:] {
			reach = reach.Union(n.bound)
		}
		var tree rtree.RTreeG[*node]
		for _, n := range v.all {
			if n.shaped && n.area.Level == level && n.bound.Intersects(reach) {
				tree.Insert(n.bound.Min, n.bound.Max, n)
			}
		}
		for _, n := range incoming {
			tree.Search(n.bound.Min, n.bound.Max, func(_, _ [2]float64, m *node) bool {
				// Each pair once: an incoming pair from its lower index.
				if m != n && (!m.incoming() || m.index > n.index) && !v.pairCleared(n, m) {
					pairs = append(pairs, &pair{n: n, m: m})
				}
				return true
			})
		}
	}
	for _, p := range pairs {
		v.prepare(p.n, p.m)
	}
	tol := v.opts.OverlapToleranceM2
	parallel(len(pairs), func(i int) {
		p := pairs[i]
		if interiorsDisjoint(p.n.area.Geometry, p.m.area.Geometry) {
			return
		}
		inter, err := intersection(p.n, p.m)
		if err != nil {
			p.problem, p.found = civicgrid.Problem{Index: p.n.index, Code: p.n.area.Code, Kind: KindCheckFailed,
				Detail: fmt.Sprintf("could not compare %s with %s: %v; look for nearly coincident edges", p.n.describe(), p.m.describe(), err)}, true
			return
		}
		m2 := sfAreaM2(inter, p.n.bound.Center()[1])
		if m2 <= tol {
			return
		}
		where := ""
		var at *[2]float64
		if pt, ok := largestPartPoint(inter); ok {
			where, at = " near "+fmtPoint(pt), pointAt(pt)
		}
		p.problem, p.found = civicgrid.Problem{Index: p.n.index, Code: p.n.area.Code, Kind: KindOverlap, AreaM2: roundTo(m2, 1), At: at,
			Detail: fmt.Sprintf("%s overlaps %s%s", p.n.describe(), p.m.describe(), where)}, true
	})
	for _, p := range pairs {
		if p.found {
			v.problems.addProblem(p.problem)
		}
	}
}

// pairCleared reports whether n and m are known to overlap by no more than
// the tolerance without measuring them.
func (v *validator) pairCleared(n, m *node) bool {
	tol := v.opts.OverlapToleranceM2
	if np, mp := n.parent, m.parent; np != nil && mp != nil {
		if np == mp {
			if np.exact == 0 {
				v.isExact(np)
			}
			if np.siblingOverlapBound() <= tol {
				return true
			}
		} else if v.isExact(np) || np.measured {
			if (v.isExact(mp) || mp.measured) && np.outsideBound()+mp.outsideBound()+v.overlapBound(np, mp) <= tol {
				return true
			}
		}
	}
	return boundOverlapM2(n.bound, m.bound) <= tol
}

func intersection(a, b *node) (geom.Geometry, error) {
	if a.sfState != 1 || b.sfState != 1 {
		return geom.Geometry{}, nil
	}
	return geom.Intersection(a.sf, b.sf)
}

// overlapBound returns an upper bound on the overlap of two areas of one
// level in m² (+Inf when unknown), from the hierarchy where it can and by
// measuring where it must. It runs before the parallel phase.
func (v *validator) overlapBound(a, b *node) float64 {
	if a == b || !a.shaped || !b.shaped {
		return math.Inf(1)
	}
	key := [2]*node{a, b}
	if b.area.Code < a.area.Code {
		key = [2]*node{b, a}
	}
	if bound, ok := v.bounds[key]; ok {
		return bound
	}
	tol := v.opts.OverlapToleranceM2
	bound := math.Inf(1)
	if ap, bp := a.parent, b.parent; ap != nil && bp != nil {
		if ap == bp {
			v.isExact(ap)
			bound = ap.siblingOverlapBound()
		} else if v.isExact(ap) || ap.measured {
			if v.isExact(bp) || bp.measured {
				bound = ap.outsideBound() + bp.outsideBound() + v.overlapBound(ap, bp)
			}
		}
	}
	if bound > tol {
		bound = boundOverlapM2(a.bound, b.bound)
	}
	if bound > tol && interiorsDisjoint(a.area.Geometry, b.area.Geometry) {
		bound = 0
	}
	if bound > tol {
		v.prepare(a, b)
		bound = math.Inf(1)
		if inter, err := intersection(a, b); err == nil {
			bound = sfAreaM2(inter, a.bound.Center()[1])
		}
	}
	v.bounds[key] = bound
	return bound
}

// parallel calls f(0) … f(n-1) on all processors.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
