package democity

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Target sizes of the hierarchy. With the default 400 grids they give the
// demo's 3 districts, 10 streets and 40 communities.
const (
	gridsPerCommunity     = 10 // real communities hold about 5–15 grids
	communitiesPerStreet  = 4
	streetsPerDistrict    = 15
	maxStreetsPerDistrict = 99  // street codes 001–099 (街道)
	maxPerCode            = 999 // communities per street, grids per community
)

// rect is a block of lattice cells: columns [x0, x1) and rows [y0, y1). Row 0
// is the northernmost, column 0 the westernmost.
type rect struct{ x0, y0, x1, y1 int }

func (r rect) width() int  { return r.x1 - r.x0 }
func (r rect) height() int { return r.y1 - r.y0 }

// node is a district, street or community while the city is being laid out.
type node struct {
	weight   float64 // relative area wanted
	leaves   int     // communities in this subtree
	children []*node // nil for a community
	rect     rect
}

// hierarchyCounts returns how many districts, streets and communities a city
// of the given number of grids gets. Street counts are capped so that no
// district needs more than 99 streets, which at 10⁶ grids makes streets
// larger (about ten communities each) rather than overflowing the codes.
func hierarchyCounts(grids int) (districts, streets, communities int) {
	communities = max(1, int(math.Round(float64(grids)/gridsPerCommunity)))
	streets = max(3, int(math.Round(float64(communities)/communitiesPerStreet)))
	streets = min(streets, maxDistricts*maxStreetsPerDistrict, communities)
	districts = min(max(3, (streets+streetsPerDistrict-1)/streetsPerDistrict), maxDistricts, streets)
	return districts, streets, communities
}

// planHierarchy builds the tree of districts → streets → communities with
// random relative sizes. Nodes come in layout order; the caller maps them to
// names and codes.
func planHierarchy(seed int64, districts, streets, communities int) ([]*node, error) {
	r := newStream(seed, kindLayout, 0)
	weights := func(n int, lo, hi float64) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = r.between(lo, hi)
		}
		return w
	}
	streetCounts, err := apportion(streets, weights(districts, 0.8, 1.2), repeat(districts, 1), repeat(districts, maxStreetsPerDistrict))
	if err != nil {
		return nil, err
	}
	communityCounts, err := apportion(communities, weights(streets, 0.7, 1.3), repeat(streets, 1), repeat(streets, maxPerCode))
	if err != nil {
		return nil, err
	}
	out := make([]*node, districts)
	street := 0
	for d := range out {
		dn := &node{}
		for range streetCounts[d] {
			sn := &node{}
			for _, w := range weights(communityCounts[street], 0.6, 1.4) {
				sn.children = append(sn.children, &node{weight: w, leaves: 1})
				sn.weight += w
				sn.leaves++
			}
			dn.children = append(dn.children, sn)
			dn.weight += sn.weight
			dn.leaves += sn.leaves
			street++
		}
		out[d] = dn
	}
	return out, nil
}

// apportion splits total into whole parts roughly proportional to the
// weights (largest remainder), part i between lo[i] and hi[i].
func apportion(total int, weights []float64, lo, hi []int) ([]int, error) {
	n := len(weights)
	minSum, maxSum, sum := 0, 0, 0.0
	for i, w := range weights {
		minSum += lo[i]
		maxSum += hi[i]
		sum += w
	}
	if total < minSum || total > maxSum {
		return nil, fmt.Errorf("democity: cannot split %d into %d parts (at least %d, at most %d in all)", total, n, minSum, maxSum)
	}
	parts := make([]int, n)
	rest := make([]float64, n)
	given := 0
	for i, w := range weights {
		exact := float64(lo[i]) + float64(total-minSum)*w/sum
		parts[i] = min(int(exact), hi[i])
		rest[i] = exact - float64(parts[i])
		given += parts[i]
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rest[b], rest[a]) })
	for given < total { // hand out what rounding (or a cap) left over
		for _, i := range order {
			if given < total && parts[i] < hi[i] {
				parts[i]++
				given++
			}
		}
	}
	return parts, nil
}

// repeat returns a slice of n copies of v.
func repeat(n, v int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// capacity is how many communities a block of w×h cells can hold when every
// community needs at least 2×2 cells (so that none is a one-cell sliver).
func capacity(w, h int) int { return (w / 2) * (h / 2) }

// partition tiles r with the nodes, recursively down to communities. It is a
// binary treemap: the nodes are halved, r is cut across its longer side in
// proportion to the halves' weights, nudged where needed so that each side
// can hold its communities. Varying weights give blocks of varying sizes.
func partition(r rect, nodes []*node) error {
	if len(nodes) == 1 {
		n := nodes[0]
		n.rect = r
		if n.children == nil {
			return nil
		}
		return partition(r, n.children)
	}
	half := len(nodes) / 2
	first, second := nodes[:half], nodes[half:]
	var wFirst, wSecond float64
	var lFirst, lSecond int
	for _, n := range first {
		wFirst += n.weight
		lFirst += n.leaves
	}
	for _, n := range second {
		wSecond += n.weight
		lSecond += n.leaves
	}
	cutWidth := r.width() >= r.height() // ties: a north–south line, west part first
	for _, alongX := range []bool{cutWidth, !cutWidth} {
		length, across := r.height(), r.width()
		if alongX {
			length, across = r.width(), r.height()
		}
		target := int(math.Round(float64(length) * wFirst / (wFirst + wSecond)))
		p, ok := feasibleCut(length, across, target, lFirst, lSecond)
		if !ok {
			continue
		}
		a, b := r, r
		if alongX {
			a.x1, b.x0 = r.x0+p, r.x0+p
		} else {
			a.y1, b.y0 = r.y0+p, r.y0+p
		}
		if err := partition(a, first); err != nil {
			return err
		}
		return partition(b, second)
	}
	return fmt.Errorf("cannot fit %d+%d communities into a block of %d×%d cells", lFirst, lSecond, r.width(), r.height())
}

// feasibleCut returns the cut position nearest target at which both parts
// have room for their communities.
func feasibleCut(length, across, target, leavesA, leavesB int) (int, bool) {
	for d := 0; d < length; d++ {
		for _, p := range [2]int{target - d, target + d} {
			if p >= 1 && p < length && capacity(p, across) >= leavesA && capacity(length-p, across) >= leavesB {
				return p, true
			}
		}
	}
	return 0, false
}

// readingOrder sorts blocks north→south, then west→east by their north-west
// cell: the order in which codes are numbered.
func readingOrder(nodes []*node) {
	slices.SortFunc(nodes, func(a, b *node) int {
		if c := cmp.Compare(a.rect.y0, b.rect.y0); c != 0 {
			return c
		}
		return cmp.Compare(a.rect.x0, b.rect.x0)
	})
}

// mergeShare is how many more cells than grids the lattice gets. Each extra
// cell is merged with its western neighbour into a grid two cells wide, so
// about one grid in nine is a double: grids of unequal size break up the
// lattice, and the number of merges makes the grid count exact.
const mergeShare = 0.12

// latticeSize returns the lattice's columns and rows for a number of grids:
// about grids·(1+mergeShare) cells, roughly square.
func latticeSize(grids int) (cols, rows int) {
	cells := float64(grids) * (1 + mergeShare)
	cols = int(math.Ceil(math.Sqrt(cells)))
	rows = int(math.Ceil(cells / float64(cols)))
	return cols, rows
}

// chooseMerges picks merges pairs of horizontally adjacent cells, each pair
// inside one community, spread over the communities in proportion to their
// size (at most one cell in four of a community is merged away). It returns
// mergedEast, indexed by cell (row*cols+column): the cell forms one grid with
// its eastern neighbour.
func chooseMerges(seed int64, cols, rows int, communities []rect, merges int) ([]bool, error) {
	weights := make([]float64, len(communities))
	hi := make([]int, len(communities))
	for i, b := range communities {
		weights[i] = float64(b.width() * b.height())
		hi[i] = b.width() * b.height() / 4
	}
	counts, err := apportion(merges, weights, repeat(len(communities), 0), hi)
	if err != nil {
		return nil, err
	}
	mergedEast := make([]bool, cols*rows)
	var candidates []int
	for i, b := range communities {
		// Every horizontal pair of the community, in random order; take
		// pairs whose cells are both still single.
		candidates = candidates[:0]
		for r := b.y0; r < b.y1; r++ {
			for c := b.x0; c+1 < b.x1; c++ {
				candidates = append(candidates, r*cols+c)
			}
		}
		rs := newStream(seed, kindMerge, uint64(b.y0*cols+b.x0))
		for k := len(candidates) - 1; k > 0; k-- {
			j := rs.intn(k + 1)
			candidates[k], candidates[j] = candidates[j], candidates[k]
		}
		left := counts[i]
		for _, cell := range candidates {
			if left == 0 {
				break
			}
			c := cell % cols
			taken := mergedEast[cell] || mergedEast[cell+1] || (c > b.x0 && mergedEast[cell-1])
			if !taken {
				mergedEast[cell] = true
				left--
			}
		}
		if left > 0 { // cannot happen below one merge per four cells, but say so if it does
			return nil, fmt.Errorf("democity: could not merge %d cells in block %v", counts[i], b)
		}
	}
	return mergedEast, nil
}
