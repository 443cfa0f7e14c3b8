package democity_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
)

// The default city is generated once and shared by the tests (read only).
var (
	demoOnce sync.Once
	demo     *democity.City
	demoErr  error
)

func demoCity(t *testing.T) *democity.City {
	t.Helper()
	demoOnce.Do(func() { demo, demoErr = democity.Generate(democity.Options{Seed: 1}) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demo
}

func generate(t *testing.T, opts democity.Options) *democity.City {
	t.Helper()
	c, err := democity.Generate(opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return c
}

func byLevel(c *democity.City) map[civicgrid.Level][]civicgrid.Area {
	m := map[civicgrid.Level][]civicgrid.Area{}
	for _, a := range c.Areas {
		m[a.Level] = append(m[a.Level], a)
	}
	return m
}

func ring(t *testing.T, a civicgrid.Area) orb.Ring {
	t.Helper()
	p, ok := a.Geometry.(orb.Polygon)
	if !ok || len(p) != 1 {
		t.Fatalf("%s %s: geometry %T with %d rings, want a one-ring polygon", a.Level, a.Code, a.Geometry, len(p))
	}
	return p[0]
}

func TestDefaultCityCounts(t *testing.T) {
	c := demoCity(t)
	lv := byLevel(c)
	want := map[civicgrid.Level]int{civicgrid.LevelCity: 1, civicgrid.LevelDistrict: 3, civicgrid.LevelStreet: 10, civicgrid.LevelCommunity: 40, civicgrid.LevelGrid: 400}
	for level, n := range want {
		if len(lv[level]) != n {
			t.Errorf("%d %s areas, want %d", len(lv[level]), level, n)
		}
	}
	if n := len(lv[civicgrid.LevelBuilding]); n < 2*400 || n > 5*400 {
		t.Errorf("%d buildings, want 2 to 5 per grid", n)
	}
	if city := lv[civicgrid.LevelCity][0]; city.Code != "420100" || city.Name != "武汉市" {
		t.Errorf("city %s %s", city.Code, city.Name)
	}
	districts := map[string]string{}
	for _, d := range lv[civicgrid.LevelDistrict] {
		districts[d.Code] = d.Name
	}
	for code, name := range map[string]string{"420102": "江岸区", "420103": "江汉区", "420106": "武昌区"} {
		if districts[code] != name {
			t.Errorf("district %s is %q, want %q", code, districts[code], name)
		}
	}
	// Real street names of the right district.
	realStreets := map[string]string{
		"420102": "大智 一元 车站 四唯 永清 西马 球场 劳动 二七 新村 丹水池 台北 花桥 谌家矶 后湖 塔子湖",
		"420103": "民族 花楼 民权 满春 前进 民意 新华 万松 唐家墩 北湖 常青 汉兴",
		"420106": "积玉桥 杨园 中华路 徐家棚 粮道街 黄鹤楼 紫阳 白沙洲 首义路 南湖 水果湖 中南路 珞珈山",
	}
	for _, s := range lv[civicgrid.LevelStreet] {
		stem, ok := strings.CutSuffix(s.Name, "街道")
		if !ok || !slices.Contains(strings.Fields(realStreets[s.ParentCode]), stem) {
			t.Errorf("street %s %q is not a real street of district %s", s.Code, s.Name, s.ParentCode)
		}
	}
	names := map[string]bool{}
	for _, cm := range lv[civicgrid.LevelCommunity] {
		if !strings.HasSuffix(cm.Name, "社区") || names[cm.Name] {
			t.Errorf("community %s name %q: want a unique …社区 name", cm.Code, cm.Name)
		}
		names[cm.Name] = true
	}
	for _, b := range lv[civicgrid.LevelBuilding] {
		if !strings.HasSuffix(b.Number, "栋") || !strings.HasSuffix(b.Name, b.Number) {
			t.Errorf("building %s: name %q, number %q", b.Code, b.Name, b.Number)
		}
	}
	checkPeople(t, c)
}

// checkPeople: a grid worker per grid (also listed on the grid), one staff per
// community, one dispatcher per street, residents in buildings, realistic
// unique phone numbers.
func checkPeople(t *testing.T, c *democity.City) {
	t.Helper()
	levelOf := map[string]civicgrid.Level{}
	gridWorkers := map[string][]civicgrid.Worker{}
	for _, a := range c.Areas {
		levelOf[a.Code] = a.Level
		if a.Level == civicgrid.LevelGrid {
			gridWorkers[a.Code] = a.Workers
		}
	}
	roleLevel := map[string]civicgrid.Level{
		democity.RoleGridWorker:       civicgrid.LevelGrid,
		democity.RoleResident:         civicgrid.LevelBuilding,
		democity.RoleCommunityStaff:   civicgrid.LevelCommunity,
		democity.RoleStreetDispatcher: civicgrid.LevelStreet,
	}
	perArea := map[string]map[string]int{} // role → area → people
	phones := map[string]bool{}
	for _, p := range c.People {
		want, ok := roleLevel[p.Role]
		if !ok {
			t.Fatalf("person %+v: unknown role", p)
		}
		if levelOf[p.AreaCode] != want {
			t.Fatalf("%s %s works at %q, a %s; want a %s", p.Role, p.Name, p.AreaCode, levelOf[p.AreaCode], want)
		}
		if n := utf8.RuneCountInString(p.Name); n < 2 || n > 3 {
			t.Fatalf("name %q: want 2 or 3 characters", p.Name)
		}
		if len(p.Phone) != 11 || strings.Trim(p.Phone, "0123456789") != "" || p.Phone[0] != '1' || !strings.ContainsRune("356789", rune(p.Phone[1])) {
			t.Fatalf("phone %q of %s: want an 11-digit mobile number", p.Phone, p.Name)
		}
		if phones[p.Phone] {
			t.Fatalf("phone %s given twice", civicgrid.MaskPhone(p.Phone))
		}
		phones[p.Phone] = true
		if perArea[p.Role] == nil {
			perArea[p.Role] = map[string]int{}
		}
		perArea[p.Role][p.AreaCode]++
		if p.Role == democity.RoleGridWorker {
			ws := gridWorkers[p.AreaCode]
			if len(ws) != 1 || ws[0].Name != p.Name || ws[0].Phone != p.Phone {
				t.Fatalf("grid %s lists workers %+v, want just %s", p.AreaCode, ws, p.Name)
			}
		}
	}
	for code, level := range levelOf {
		for role, l := range roleLevel {
			if l != level || role == democity.RoleResident {
				continue
			}
			if n := perArea[role][code]; n != 1 {
				t.Fatalf("%s %s has %d %s, want 1", level, code, n, role)
			}
		}
	}
	if len(perArea[democity.RoleResident]) == 0 {
		t.Fatal("no residents")
	}
}

// checkCodes: every code valid for its level and parent, unique, the areas
// ordered by code with every parent present before its children.
func checkCodes(t *testing.T, c *democity.City) {
	t.Helper()
	seen := map[string]civicgrid.Level{}
	for i, a := range c.Areas {
		if err := civicgrid.ValidateCode(a.Level, a.Code, a.ParentCode); err != nil {
			t.Fatalf("area %d: %v", i, err)
		}
		if _, dup := seen[a.Code]; dup {
			t.Fatalf("code %s used twice", a.Code)
		}
		if a.Level == civicgrid.LevelCity {
			if a.ParentCode != "" {
				t.Fatalf("city has parent %s", a.ParentCode)
			}
		} else if pl, ok := seen[a.ParentCode]; !ok || pl != a.Level.Parent() {
			t.Fatalf("%s %s: parent %s not seen before it as a %s", a.Level, a.Code, a.ParentCode, a.Level.Parent())
		}
		if i > 0 && c.Areas[i-1].Code >= a.Code {
			t.Fatalf("areas not ordered by code: %s before %s", c.Areas[i-1].Code, a.Code)
		}
		seen[a.Code] = a.Level
	}
}

func TestCodes(t *testing.T) { checkCodes(t, demoCity(t)) }

// checkRings: every polygon ring closed, counter-clockwise, on the 1e-7
// degree lattice, without repeated or crossing segments; grids have 20–40
// vertices; buildings are points.
func checkRings(t *testing.T, c *democity.City) {
	t.Helper()
	m := newLocalMetres(cityRing(t, c).Bound())
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelBuilding {
			if _, ok := a.Geometry.(orb.Point); !ok {
				t.Fatalf("building %s: geometry %T", a.Code, a.Geometry)
			}
			continue
		}
		r := ring(t, a)
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("%s %s: ring of %d points not closed", a.Level, a.Code, len(r))
		}
		for _, p := range r {
			for _, v := range p {
				if math.Round(v*1e7)/1e7 != v {
					t.Fatalf("%s %s: coordinate %v not rounded to 1e-7", a.Level, a.Code, v)
				}
			}
		}
		if m.signedArea(r) <= 0 {
			t.Fatalf("%s %s: ring is not counter-clockwise", a.Level, a.Code)
		}
		if a.Level == civicgrid.LevelGrid {
			if n := len(r) - 1; n < 20 || n > 40 {
				t.Fatalf("grid %s has %d vertices, want 20–40", a.Code, n)
			}
		}
		for i := 0; i+1 < len(r); i++ {
			if r[i] == r[i+1] {
				t.Fatalf("%s %s: repeated vertex %v", a.Level, a.Code, r[i])
			}
		}
		if i, k := selfIntersection(r); i >= 0 {
			t.Fatalf("%s %s: segments %d and %d cross: %v–%v, %v–%v", a.Level, a.Code, i, k, r[i], r[i+1], r[k], r[k+1])
		}
	}
}

func TestRings(t *testing.T) { checkRings(t, demoCity(t)) }

func cityRing(t *testing.T, c *democity.City) orb.Ring {
	t.Helper()
	if c.Areas[0].Level != civicgrid.LevelCity {
		t.Fatalf("first area is a %s", c.Areas[0].Level)
	}
	return ring(t, c.Areas[0])
}

type segment struct{ a, b orb.Point }

// checkTiling checks that the areas tile their parents exactly:
//   - every grid segment is shared, in the opposite direction, with exactly
//     one other grid, or lies on the city outline, and the outline is covered
//     exactly once;
//   - at each level, the segments of the children that no sibling shares are
//     exactly the parent's ring (so the children's union has the parent's
//     boundary), and the children's areas add up to the parent's (shoelace in
//     metres, relative error < 1e-9).
func checkTiling(t *testing.T, c *democity.City) {
	t.Helper()
	m := newLocalMetres(cityRing(t, c).Bound())
	outline := map[segment]bool{}
	cr := cityRing(t, c)
	for i := 0; i+1 < len(cr); i++ {
		outline[segment{cr[i], cr[i+1]}] = true
	}
	gridSegs := map[segment]string{}
	for _, a := range c.Areas {
		if a.Level != civicgrid.LevelGrid {
			continue
		}
		r := ring(t, a)
		for i := 0; i+1 < len(r); i++ {
			s := segment{r[i], r[i+1]}
			if other, dup := gridSegs[s]; dup {
				t.Fatalf("grids %s and %s both run along %v in the same direction: they overlap", other, a.Code, s)
			}
			gridSegs[s] = a.Code
		}
	}
	onOutline := 0
	for s, code := range gridSegs {
		_, shared := gridSegs[segment{s.b, s.a}]
		switch {
		case shared && outline[s]:
			t.Fatalf("grid %s: segment %v is shared and on the outline", code, s)
		case !shared && !outline[s]:
			t.Fatalf("grid %s: segment %v is shared with no grid and not on the city outline (a gap)", code, s)
		case !shared:
			onOutline++
		}
	}
	if onOutline != len(outline) {
		t.Fatalf("grids cover %d of the outline's %d segments", onOutline, len(outline))
	}

	children := map[string][]orb.Ring{}
	rings := map[string]orb.Ring{}
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelBuilding {
			continue
		}
		r := ring(t, a)
		rings[a.Code] = r
		if a.ParentCode != "" {
			children[a.ParentCode] = append(children[a.ParentCode], r)
		}
	}
	for code, kids := range children {
		parent := rings[code]
		segs := map[segment]bool{}
		sum := 0.0
		for _, r := range kids {
			sum += m.signedArea(r)
			for i := 0; i+1 < len(r); i++ {
				segs[segment{r[i], r[i+1]}] = true
			}
		}
		boundary := map[segment]bool{}
		for s := range segs {
			if !segs[segment{s.b, s.a}] {
				boundary[s] = true
			}
		}
		if len(boundary) != len(parent)-1 {
			t.Fatalf("%s: its children's outer boundary has %d segments, its ring %d", code, len(boundary), len(parent)-1)
		}
		for i := 0; i+1 < len(parent); i++ {
			if !boundary[segment{parent[i], parent[i+1]}] {
				t.Fatalf("%s: ring segment %d %v–%v is not on its children's boundary", code, i, parent[i], parent[i+1])
			}
		}
		want := m.signedArea(parent)
		if rel := math.Abs(sum-want) / want; rel >= 1e-9 {
			t.Fatalf("%s: children's areas add up to %.3f m², its own is %.3f m² (relative error %.1e)", code, sum, want, rel)
		}
	}
}

func TestTiling(t *testing.T) { checkTiling(t, demoCity(t)) }

// checkPointSample drops random points on the city's bounding box: each
// point inside the city outline must be in exactly one grid, each outside
// in none. Buildings must be in their own grid and no other.
func checkPointSample(t *testing.T, c *democity.City, points int) {
	t.Helper()
	var grids []orb.Ring
	var codes []string
	gridOf := map[string]int{}
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelGrid {
			gridOf[a.Code] = len(grids)
			grids = append(grids, ring(t, a))
			codes = append(codes, a.Code)
		}
	}
	ix := newBucketIndex(grids)
	outline := cityRing(t, c)
	b := outline.Bound()
	rnd := rand.New(rand.NewPCG(1, 2))
	inside := 0
	for range points {
		p := orb.Point{b.Min[0] + rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rnd.Float64()*(b.Max[1]-b.Min[1])}
		got := ix.containing(p)
		want := 0
		if inRing(outline, p) {
			want = 1
			inside++
		}
		if len(got) != want {
			names := []string{}
			for _, k := range got {
				names = append(names, codes[k])
			}
			t.Fatalf("point %v is in %d grids %v, want %d", p, len(got), names, want)
		}
	}
	if inside < points*3/4 {
		t.Fatalf("only %d of %d sample points fell inside the city", inside, points)
	}
	for _, a := range c.Areas {
		if a.Level != civicgrid.LevelBuilding {
			continue
		}
		got := ix.containing(a.Geometry.(orb.Point))
		if len(got) != 1 || got[0] != gridOf[a.ParentCode] {
			t.Fatalf("building %s at %v lies in grids %v, want just its grid %s", a.Code, a.Geometry, got, a.ParentCode)
		}
	}
}

func TestNoOverlapsOrGapsPointSample(t *testing.T) { checkPointSample(t, demoCity(t), 20000) }

// checkGridOrder: grids are numbered west→east, north→south inside their
// community. Centroids whose latitudes differ by less than rowTolerance are
// in the same row and must be numbered west to east; otherwise the northern
// one comes first. rowTolerance is 40% of the median grid height: cells of one
// lattice row have centroids within about a quarter of a cell of each other
// (their corners move by at most 12% of a cell), neighbouring rows lie
// more than half a cell apart.
func checkGridOrder(t *testing.T, c *democity.City) {
	t.Helper()
	m := newLocalMetres(cityRing(t, c).Bound())
	type grid struct {
		code string
		x, y float64
	}
	byCommunity := map[string][]grid{}
	var heights []float64
	for _, a := range c.Areas {
		if a.Level != civicgrid.LevelGrid {
			continue
		}
		r := ring(t, a)
		x, y := m.centroid(r)
		byCommunity[a.ParentCode] = append(byCommunity[a.ParentCode], grid{a.Code, x, y})
		b := r.Bound()
		heights = append(heights, (b.Max[1]-b.Min[1])*metresPerDegree)
	}
	sort.Float64s(heights)
	rowTolerance := 0.4 * heights[len(heights)/2]
	for community, gs := range byCommunity {
		slices.SortFunc(gs, func(a, b grid) int { return strings.Compare(a.code, b.code) })
		for i, a := range gs {
			for _, b := range gs[i+1:] {
				sameRow := math.Abs(a.y-b.y) < rowTolerance
				if sameRow && a.x >= b.x || !sameRow && a.y <= b.y {
					t.Fatalf("community %s: grid %s (centroid %.0f m E, %.0f m N) is numbered before %s (%.0f m E, %.0f m N)",
						community, a.code, a.x, a.y, b.code, b.x, b.y)
				}
			}
		}
	}
}

func TestGridSequenceWestEastNorthSouth(t *testing.T) { checkGridOrder(t, demoCity(t)) }

func TestWuhanPlacement(t *testing.T) {
	c := demoCity(t)
	b := cityRing(t, c).Bound()
	if b.Min[0] < 114.25 || b.Max[0] > 114.36 || b.Min[1] < 30.53 || b.Max[1] > 30.63 {
		t.Errorf("city spans %v–%v, want within lng 114.25–114.36, lat 30.53–30.63", b.Min, b.Max)
	}
	m := newLocalMetres(b)
	centre := map[string][2]float64{}
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelDistrict {
			x, y := m.centroid(ring(t, a))
			centre[a.Name] = [2]float64{x, y}
		}
	}
	jiangan, jianghan, wuchang := centre["江岸区"], centre["江汉区"], centre["武昌区"]
	if !(wuchang[1] < jiangan[1] && wuchang[1] < jianghan[1] && wuchang[0] > jianghan[0] && jianghan[0] < jiangan[0]) {
		t.Errorf("district centroids (m E, m N): 江岸 %v, 江汉 %v, 武昌 %v; want 江汉 west of 江岸 and 武昌 south-east", jiangan, jianghan, wuchang)
	}
	// The point the README queries lies in a grid of 江岸区.
	p := orb.Point{114.2986, 30.5928}
	found := ""
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelGrid && inRing(ring(t, a), p) {
			found = a.Code
		}
	}
	if !strings.HasPrefix(found, "420102") {
		t.Errorf("%v is in grid %q, want one of 江岸区 (420102…)", p, found)
	}
}

// fingerprint hashes everything Generate returns.
func fingerprint(c *democity.City) [32]byte {
	h := sha256.New()
	f := func(v float64) { binary.Write(h, binary.LittleEndian, math.Float64bits(v)) }
	for _, a := range c.Areas {
		fmt.Fprintf(h, "%s|%s|%s|%s|%s|%v|", a.Code, a.Level, a.Name, a.ParentCode, a.Number, a.Workers)
		switch g := a.Geometry.(type) {
		case orb.Point:
			f(g[0])
			f(g[1])
		case orb.Polygon:
			for _, r := range g {
				for _, p := range r {
					f(p[0])
					f(p[1])
				}
			}
		}
	}
	for _, p := range c.People {
		fmt.Fprintf(h, "%+v\n", p)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func TestDeterministic(t *testing.T) {
	for _, grids := range []int{400, 3000} {
		a := fingerprint(generate(t, democity.Options{Seed: 7, Grids: grids}))
		b := fingerprint(generate(t, democity.Options{Seed: 7, Grids: grids}))
		if a != b {
			t.Errorf("%d grids: two runs with the same options differ", grids)
		}
		if other := fingerprint(generate(t, democity.Options{Seed: 8, Grids: grids})); other == a {
			t.Errorf("%d grids: seeds 7 and 8 give the same city", grids)
		}
	}
}

// TestSizes runs every check on the smallest city and on sizes whose lattices
// need different numbers of double grids to reach the exact grid count.
func TestSizes(t *testing.T) {
	for _, grids := range []int{democity.MinGrids, 137, 1001, 2345} {
		t.Run(fmt.Sprint(grids), func(t *testing.T) {
			c := generate(t, democity.Options{Seed: int64(grids), Grids: grids})
			if n := len(byLevel(c)[civicgrid.LevelGrid]); n != grids {
				t.Fatalf("%d grids, want %d", n, grids)
			}
			checkCodes(t, c)
			checkRings(t, c)
			checkTiling(t, c)
			checkGridOrder(t, c)
			checkPointSample(t, c, 10000)
			checkPeople(t, c)
		})
	}
}

// TestScale10000 is the quick scaling run: the same checks on 10⁴ grids.
func TestScale10000(t *testing.T) {
	c := generate(t, democity.Options{Seed: 3, Grids: 10000})
	lv := byLevel(c)
	if n := len(lv[civicgrid.LevelGrid]); n != 10000 {
		t.Fatalf("%d grids, want 10000", n)
	}
	t.Logf("10⁴ grids: %d districts, %d streets, %d communities, %d buildings, %d people",
		len(lv[civicgrid.LevelDistrict]), len(lv[civicgrid.LevelStreet]), len(lv[civicgrid.LevelCommunity]), len(lv[civicgrid.LevelBuilding]), len(c.People))
	checkCodes(t, c)
	checkRings(t, c)
	checkTiling(t, c)
	checkGridOrder(t, c)
	checkPointSample(t, c, 10000)
	checkPeople(t, c)
}

func TestNoBuildings(t *testing.T) {
	c := generate(t, democity.Options{Seed: 1, NoBuildings: true})
	lv := byLevel(c)
	if len(lv[civicgrid.LevelBuilding]) != 0 || len(lv[civicgrid.LevelGrid]) != 400 {
		t.Fatalf("%d buildings and %d grids, want 0 and 400", len(lv[civicgrid.LevelBuilding]), len(lv[civicgrid.LevelGrid]))
	}
	for _, p := range c.People {
		if p.Role == democity.RoleResident {
			t.Fatalf("resident %+v without buildings", p)
		}
	}
	// The grids are the same as with buildings.
	with := byLevel(demoCity(t))[civicgrid.LevelGrid]
	for i, g := range lv[civicgrid.LevelGrid] {
		if g.Code != with[i].Code || !orb.Equal(g.Geometry, with[i].Geometry) {
			t.Fatalf("grid %d differs without buildings", i)
		}
	}
}

func TestOptionsOutOfRange(t *testing.T) {
	for _, grids := range []int{-1, democity.MinGrids - 1, democity.MaxGrids + 1} {
		_, err := democity.Generate(democity.Options{Grids: grids})
		if civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			t.Errorf("%d grids: error %v, want an invalid-input error", grids, err)
		}
	}
}
