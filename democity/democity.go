// Package democity generates a deterministic, realistic demo city: 武汉市 at
// its real WGS-84 coordinates, with districts, streets (街道), communities
// (社区), unit grids (网格) and buildings (楼栋), a grid worker (网格员) per
// grid, community staff, street dispatchers and residents.
//
// The default city has 400 grids in 40 communities of 10 streets of three
// real districts: 江汉区 (420103) to the west, 江岸区 (420102) to the
// north-east and 武昌区 (420106) to the south-east, across the Yangtze from
// the other two (the river itself is not drawn). Together they cover about
// 5.5 km × 5.3 km around lng 114.30, lat 30.58. Street names are real names of
// streets of those districts, but their 9-digit codes are ours: the official
// statistical codes are not public, so streets are numbered 001, 002, … in
// reading order (north→south, then west→east) within their district, as are
// communities within their street. Community names are plausible ones built
// from a fixed list of stems; people's names and phone numbers are fake.
//
// The same generator scales to 10⁶ grids for benchmarks (about 5 s and a
// 2.4 GB peak with buildings, 2 s and 1.5 GB without, on two cores). The
// city then grows beyond Wuhan's real area, uses Wuhan's other real
// districts and then synthetic districts on the unused codes 4201xx (with
// generated names), and streets hold more communities so that no code
// overflows (at most 99 districts, 99 streets per district, 999 communities
// per street and 999 grids per community).
//
// # Geometry
//
// The city is a lattice of cells of about 250 m. Column widths and row
// heights vary, a smooth warp bends the north–south lattice lines, corners
// are jittered and every cell side is a wavy polyline of 4–7 interior points,
// stored once and copied into both grids it separates, so neighbours share
// their edges exactly (no gaps, no overlaps). Most grids are one cell (20–32
// vertices); about one in nine is two cells side by side (30–36 vertices),
// which also makes the grid count exact. Districts, streets and communities
// are rectangular blocks of cells of varying sizes (a binary treemap with
// random weights); their boundaries are traced from the same side
// polylines, so the grids of a community tile it exactly, communities tile
// their street, and so on up to the city outline. Coordinates are rounded to
// 1e-7 degree (what the store keeps) and rings are closed and
// counter-clockwise (RFC 7946). Buildings are points well inside their grid.
//
// Randomness comes from streams keyed by (seed, what, index), so the output
// depends only on Options, however the work is spread over goroutines.
package democity

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// Sizes accepted by Generate.
const (
	DefaultGrids = 400
	MinGrids     = 100        // enough for 3 districts of at least one street each
	MaxGrids     = 10_000_000 // codes would allow more; memory (about 2 GB per 10⁶ grids) would not
)

// Roles of the people of the demo city (Person.Role).
const (
	RoleGridWorker       = civicgrid.RoleGridWorker // one per grid; AreaCode is the grid's
	RoleResident         = "resident"               // AreaCode is the building's
	RoleCommunityStaff   = "community_staff"        // one per community (社区工作者)
	RoleStreetDispatcher = "street_dispatcher"      // one per street office (街道派遣员)
)

// Options choose the city.
type Options struct {
	Seed  int64
	Grids int // number of unit grids, MinGrids to MaxGrids; 0 means DefaultGrids
	// NoBuildings leaves out buildings and the residents who live in them,
	// which saves about half the memory at 10⁶ grids.
	NoBuildings bool
}

// City is a generated city.
type City struct {
	// Areas holds every level, ordered by code, which puts each parent right
	// before its subtree: city, district, its first street, its first
	// community, its first grid, that grid's buildings, the next grid, …
	// Grids carry their grid worker in Workers.
	Areas  []civicgrid.Area
	People []Person
}

// Person is someone who holds a role over an area of the city.
type Person struct {
	Name  string
	Phone string // 11-digit mobile number, unique within the city
	Role  string // one of the Role constants
	// AreaCode is where the role applies: the grid for a grid worker, the
	// building for a resident, the community or street for staff.
	AreaCode string
}

// The city's code and where its centre is placed.
const (
	CityCode = "420100" // the demo city (武汉市)
	cityName = "武汉市"
	// Centre of the lattice: between 汉口's old town and 武昌, so that the
	// default city's three districts sit roughly where the real ones do.
	centreLon = 114.298
	centreLat = 30.578
)

// Generate builds the city described by opts. The same Options always give
// the same City.
func Generate(opts Options) (*City, error) {
	grids := cmp.Or(opts.Grids, DefaultGrids)
	if grids < MinGrids || grids > MaxGrids {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "democity: %d grids requested, want %d to %d", grids, MinGrids, MaxGrids)
	}
	cols, rows := latticeSize(grids)
	nDistricts, nStreets, nCommunities := hierarchyCounts(grids)
	tree, err := planHierarchy(opts.Seed, nDistricts, nStreets, nCommunities)
	if err != nil {
		return nil, err
	}
	if err := partition(rect{0, 0, cols, rows}, tree); err != nil {
		return nil, err
	}
	g := &generator{opts: opts, phones: newPhoneNumbers(opts.Seed)}
	g.place(tree)
	blocks := make([]rect, len(g.communities))
	for i, c := range g.communities {
		blocks[i] = c.block
	}
	mergedEast, err := chooseMerges(opts.Seed, cols, rows, blocks, cols*rows-grids)
	if err != nil {
		return nil, err
	}
	g.lat = newLattice(opts.Seed, cols, rows, mergedEast, newProjection(centreLon, centreLat))
	g.reserve()
	return g.build()
}

// generator holds the state of one Generate call.
type generator struct {
	opts   Options
	lat    *lattice
	phones phoneNumbers

	districts   []placedDistrict
	streets     []placedStreet
	communities []placedCommunity
	areas       int // total number of areas
	people      int // total number of people
}

// Placed blocks, in code order. Each district's streets follow its
// predecessors' in generator.streets, each street's communities likewise.
type placedDistrict struct {
	district
	block    rect
	nStreets int
	areaAt   int
}

type placedStreet struct {
	code, name, parent string
	block              rect
	nCommunities       int
	areaAt, personAt   int
}

type placedCommunity struct {
	code, name, parent string
	block              rect
	areaAt, personAt   int
	grids, buildings   int
}

// place gives the laid-out blocks their names and codes, in code order.
func (g *generator) place(tree []*node) {
	infos := districtsFor(len(tree))
	for i, n := range tree {
		g.districts = append(g.districts, placedDistrict{district: infos[i], block: n.rect})
	}
	order := make([]int, len(tree))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(g.districts[a].code, g.districts[b].code) })

	sorted := make([]placedDistrict, 0, len(order))
	for _, di := range order {
		d := g.districts[di]
		streets := tree[di].children
		d.nStreets = len(streets)
		readingOrder(streets)
		for si, sn := range streets {
			s := placedStreet{code: d.code + pad(si+1, 3), name: streetName(d.district, si), parent: d.code, block: sn.rect, nCommunities: len(sn.children)}
			g.streets = append(g.streets, s)
			readingOrder(sn.children)
			for ci, cn := range sn.children {
				g.communities = append(g.communities, placedCommunity{
					code: s.code + pad(ci+1, 3), name: communityName(len(g.communities)), parent: s.code, block: cn.rect})
			}
		}
		sorted = append(sorted, d)
	}
	g.districts = sorted
}

// reserve works out where each block's areas and people go in the output, in
// code order, so that the communities can then be filled in parallel.
func (g *generator) reserve() {
	areaAt, personAt := 1, 0 // the city comes first
	streets, communities := g.streets, g.communities
	for d := range g.districts {
		g.districts[d].areaAt = areaAt
		areaAt++
		for range g.districts[d].nStreets {
			s := &streets[0]
			streets = streets[1:]
			s.areaAt, s.personAt = areaAt, personAt // the street and its dispatcher
			areaAt++
			personAt++
			for range s.nCommunities {
				c := &communities[0]
				communities = communities[1:]
				c.areaAt, c.personAt = areaAt, personAt // the community and its staff
				g.forGrids(c.block, func(col, row, width int) {
					c.grids++
					for i := range width {
						c.buildings += g.buildingCount(col+i, row, width)
					}
				})
				areaAt += 1 + c.grids + c.buildings
				personAt += 1 + c.grids // a grid worker per grid
				if !g.opts.NoBuildings {
					personAt += c.grids // and a resident
				}
			}
		}
	}
	g.areas, g.people = areaAt, personAt
}

// forGrids calls fn for the grids of block b in reading order (north→south,
// then west→east: the order they are numbered in) with each grid's
// north-west cell and its width in cells.
func (g *generator) forGrids(b rect, fn func(col, row, width int)) {
	for r := b.y0; r < b.y1; r++ {
		for c := b.x0; c < b.x1; c++ {
			switch {
			case g.lat.mergedEast[r*g.lat.cols+c]:
				fn(c, r, 2)
				c++
			default:
				fn(c, r, 1)
			}
		}
	}
}

// build fills the areas and people.
func (g *generator) build() (*City, error) {
	city := &City{Areas: make([]civicgrid.Area, g.areas), People: make([]Person, g.people)}
	cityRing, err := g.lat.outline(rect{0, 0, g.lat.cols, g.lat.rows})
	if err != nil {
		return nil, err
	}
	city.Areas[0] = civicgrid.Area{Code: CityCode, Level: civicgrid.LevelCity, Name: cityName, Geometry: orb.Polygon{cityRing}}

	// Blocks above the communities: few, but the districts' outlines are long.
	type job struct {
		level      civicgrid.Level
		code, name string
		parent     string
		block      rect
		areaAt     int
		personAt   int // the street dispatcher; -1 for a district
	}
	jobs := make([]job, 0, len(g.districts)+len(g.streets))
	for _, d := range g.districts {
		jobs = append(jobs, job{level: civicgrid.LevelDistrict, code: d.code, name: d.name, parent: CityCode, block: d.block, areaAt: d.areaAt, personAt: -1})
	}
	for _, s := range g.streets {
		jobs = append(jobs, job{level: civicgrid.LevelStreet, code: s.code, name: s.name, parent: s.parent, block: s.block, areaAt: s.areaAt, personAt: s.personAt})
	}
	errs := make([]error, len(jobs)+len(g.communities))
	parallel(len(jobs), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			j := jobs[k]
			ring, err := g.lat.outline(j.block)
			if err != nil {
				errs[k] = err
				continue
			}
			city.Areas[j.areaAt] = civicgrid.Area{Code: j.code, Level: j.level, Name: j.name, ParentCode: j.parent, Geometry: orb.Polygon{ring}}
			if j.personAt >= 0 {
				city.People[j.personAt] = g.person(j.personAt, RoleStreetDispatcher, j.code, newText(32))
			}
		}
	})
	parallel(len(g.communities), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			errs[len(jobs)+k] = g.fillCommunity(city, &g.communities[k])
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return city, nil
}

// fillCommunity writes the community, its grids and buildings, and their
// people into their reserved slots of city.
func (g *generator) fillCommunity(city *City, c *placedCommunity) error {
	ring, err := g.lat.outline(c.block)
	if err != nil {
		return err
	}
	// One allocation per community for each of the strings, grid rings,
	// polygons, workers and building points: fewer, larger objects are much
	// cheaper for the garbage collector at 10⁶ grids. Full slice expressions
	// cap each piece so that an append by a caller cannot run into its
	// neighbour.
	const gridCodeLen, buildingCodeLen, personLen = 15, 19, 9 + 11
	nameLen := len(c.name)
	t := newText(personLen + c.grids*(gridCodeLen+nameLen+12+2*personLen) + c.buildings*(buildingCodeLen+nameLen+2*8))
	ringLen := 0
	g.forGrids(c.block, func(col, row, width int) { ringLen += g.lat.gridRingLen(col, row, width) })
	points := make([]orb.Point, 0, ringLen)
	rings := make([]orb.Ring, 0, c.grids)
	workers := make([]civicgrid.Worker, 0, c.grids)
	buildingPoints := make([]orb.Point, 0, c.buildings)

	city.Areas[c.areaAt] = civicgrid.Area{Code: c.code, Level: civicgrid.LevelCommunity, Name: c.name, ParentCode: c.parent, Geometry: orb.Polygon{ring}}
	city.People[c.personAt] = g.person(c.personAt, RoleCommunityStaff, c.code, t)
	at, person, buildingNo := c.areaAt+1, c.personAt+1, 0
	g.forGrids(c.block, func(col, row, width int) {
		seq := len(rings) + 1
		mark := t.mark()
		t.str(c.code).num(seq, 3)
		gridCode := t.since(mark)
		mark = t.mark()
		t.str(c.name).str("第").num(seq, 0).str("网格")
		gridName := t.since(mark)

		start := len(points)
		points = g.lat.appendGridRing(points, col, row, width)
		rings = append(rings, orb.Ring(points[start:len(points):len(points)]))
		worker := g.person(person, RoleGridWorker, gridCode, t)
		city.People[person] = worker
		person++
		workers = append(workers, civicgrid.Worker{Name: worker.Name, Phone: worker.Phone})
		city.Areas[at] = civicgrid.Area{
			Code:       gridCode,
			Level:      civicgrid.LevelGrid,
			Name:       gridName,
			ParentCode: c.code,
			Geometry:   orb.Polygon(rings[seq-1 : seq : seq]),
			Workers:    workers[seq-1 : seq : seq],
		}
		at++
		if g.opts.NoBuildings {
			return
		}

		first, n := at, 0
		for i := range width {
			n += g.buildingCount(col+i, row, width)
			buildingPoints = g.appendBuildingPoints(buildingPoints, col+i, row, width)
		}
		for b := 1; b <= n; b++ {
			buildingNo++ // numbered through the community, as buildings of a 小区 are
			mark := t.mark()
			t.str(gridCode).num(b, 4)
			code := t.since(mark)
			mark = t.mark()
			t.str(c.name).num(buildingNo, 0).str("栋")
			name := t.since(mark)
			city.Areas[at] = civicgrid.Area{
				Code:       code,
				Level:      civicgrid.LevelBuilding,
				Name:       name,
				ParentCode: gridCode,
				Geometry:   buildingPoints[len(buildingPoints)-n+b-1],
				Number:     name[len(c.name):],
			}
			at++
		}
		// One resident per grid, living in one of its buildings.
		pr := newStream(g.opts.Seed, kindPerson, uint64(person))
		city.People[person] = g.person(person, RoleResident, city.Areas[first+pr.intn(n)].Code, t)
		person++
	})
	if at != c.areaAt+1+c.grids+c.buildings {
		return fmt.Errorf("democity: community %s filled %d areas, reserved %d", c.code, at-c.areaAt, 1+c.grids+c.buildings)
	}
	return nil
}

// person makes the person with this index (their place in City.People),
// writing their name and phone number to t.
func (g *generator) person(index int, role, areaCode string, t *text) Person {
	r := newStream(g.opts.Seed, kindPerson, uint64(index))
	r.next() // the first draw of a resident's stream picks their building
	name := personName(&r, t)
	return Person{Name: name, Phone: g.phones.phone(index, &r, t), Role: role, AreaCode: areaCode}
}

func (g *generator) buildingStream(col, row int) stream {
	return newStream(g.opts.Seed, kindBuildings, uint64(row*g.lat.cols+col))
}

// buildingCount is how many buildings cell (col, row) of a grid width cells
// wide holds: 2–5 in a single cell, 1–3 in each cell of a double. It is the
// first draw of the cell's building stream.
func (g *generator) buildingCount(col, row, width int) int {
	if g.opts.NoBuildings {
		return 0
	}
	r := g.buildingStream(col, row)
	if width == 2 {
		return 1 + r.intn(3)
	}
	return 2 + r.intn(4)
}

// Buildings stand on a 3×2 pattern of sites well inside their cell (in the
// cell's own bilinear coordinates u west→east, v north→south), each moved a
// little, so they neither pile up nor come near the grid's edges.
var buildingSites = [6][2]float64{{0.25, 0.3}, {0.5, 0.3}, {0.75, 0.3}, {0.25, 0.7}, {0.5, 0.7}, {0.75, 0.7}}

const buildingJitter = 0.06

// appendBuildingPoints appends the building points of cell (col, row), in
// reading order of their sites.
func (g *generator) appendBuildingPoints(dst []orb.Point, col, row, width int) []orb.Point {
	n := g.buildingCount(col, row, width)
	if n == 0 {
		return dst
	}
	r := g.buildingStream(col, row)
	r.next() // the count
	sites := [6]int{0, 1, 2, 3, 4, 5}
	for i := range n { // partial Fisher–Yates: n distinct sites
		j := i + r.intn(len(sites)-i)
		sites[i], sites[j] = sites[j], sites[i]
	}
	chosen := sites[:n]
	slices.Sort(chosen)
	l := g.lat
	nw, ne, sw, se := l.corner(col, row), l.corner(col+1, row), l.corner(col, row+1), l.corner(col+1, row+1)
	for _, s := range chosen {
		u := buildingSites[s][0] + r.between(-buildingJitter, buildingJitter)
		v := buildingSites[s][1] + r.between(-buildingJitter, buildingJitter)
		bilinear := func(c []float64) float64 {
			return (1-v)*((1-u)*c[nw]+u*c[ne]) + v*((1-u)*c[sw]+u*c[se])
		}
		dst = append(dst, l.proj.point(bilinear(l.cornerX), bilinear(l.cornerY)))
	}
	return dst
}
