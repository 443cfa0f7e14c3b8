package casework

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
)

// recentCases keeps, per category, where the open cases of its duplicate
// window lie, so that a report finds its likely duplicates without a query
// unless one is near (a query per report was a tenth of intake's CPU). A
// category is read from the store at its first lookup; new reports are added
// as they are published (this instance's and, on PostgreSQL, the others'
// through Relay), and every few seconds the store is read for cases above
// the newest id seen, which covers other processes that cannot notify. Closed cases
// are filtered when the candidates are fetched; entries past the window are
// dropped as their cells are visited.
type recentCases struct {
	mu   sync.Mutex
	cats map[string]*recentCategory
}

type recentCategory struct {
	window time.Duration // the window it was read for
	maxID  int64         // the newest case seen: case ids are stored in increasing order
	synced time.Time     // wall time of the last read
	ids    map[int64]struct{}
	cells  map[[2]int32][]recentEntry
}

type recentEntry struct {
	id       int64
	lat, lng float64
	at       time.Time
}

// recentCell is the side of a cell in degrees (about 1.1 km by 1 km here).
const recentCell = 0.01

// recentResync is how often a category is read again for cases other
// processes created.
var recentResync = 5 * time.Second

func cellOf(lat, lng float64) [2]int32 {
	return [2]int32{int32(math.Floor(lat / recentCell)), int32(math.Floor(lng / recentCell))}
}

func (rc *recentCategory) add(c civicgrid.Case) {
	if _, ok := rc.ids[c.ID]; ok {
		return
	}
	rc.ids[c.ID] = struct{}{}
	rc.maxID = max(rc.maxID, c.ID)
	k := cellOf(c.Lat, c.Lng)
	rc.cells[k] = append(rc.cells[k], recentEntry{id: c.ID, lat: c.Lat, lng: c.Lng, at: c.CreatedAt})
}

// openStatuses are the statuses a duplicate may be in.
var openStatuses = func() []civicgrid.CaseStatus {
	var out []civicgrid.CaseStatus
	for _, st := range civicgrid.CaseStatuses {
		if st.Open() {
			out = append(out, st)
		}
	}
	return out
}()

// near returns the ids of cases of the category reported within its window
// and radius of the point, newest first.
func (r *recentCases) near(ctx context.Context, store Store, cat civicgrid.Category, lat, lng float64, now time.Time) ([]int64, error) {
	window := time.Duration(cat.DuplicateHours) * time.Hour
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cats == nil {
		r.cats = map[string]*recentCategory{}
	}
	rc := r.cats[cat.Code]
	switch {
	case rc == nil || rc.window < window:
		fresh := &recentCategory{window: window, synced: time.Now(), ids: map[int64]struct{}{}, cells: map[[2]int32][]recentEntry{}}
		if err := readOpenCases(ctx, store, cat.Code, now.Add(-window), 0, fresh); err != nil {
			return nil, err
		}
		rc = fresh
		r.cats[cat.Code] = rc
	case time.Since(rc.synced) > recentResync:
		// Case ids are stored in increasing order (one writer on SQLite,
		// the case-log lock on PostgreSQL): what is new lies above the
		// newest seen.
		if err := readOpenCases(ctx, store, cat.Code, now.Add(-window), rc.maxID, rc); err != nil {
			return nil, err
		}
		rc.synced = time.Now()
	}
	dLat := cat.DuplicateRadiusM / 111_320
	dLng := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	lo, hi := cellOf(lat-dLat, lng-dLng), cellOf(lat+dLat, lng+dLng)
	oldest := now.Add(-window)
	var found []recentEntry
	for y := lo[0]; y <= hi[0]; y++ {
		for x := lo[1]; x <= hi[1]; x++ {
			k := [2]int32{y, x}
			kept := rc.cells[k][:0]
			for _, e := range rc.cells[k] {
				if e.at.Before(oldest) {
					delete(rc.ids, e.id)
					continue
				}
				kept = append(kept, e)
				if distanceM(lat, lng, e.lat, e.lng) <= cat.DuplicateRadiusM {
					found = append(found, e)
				}
			}
			if len(kept) == 0 {
				delete(rc.cells, k)
			} else {
				rc.cells[k] = kept
			}
		}
	}
	ids := make([]int64, len(found))
	for i, e := range found {
		ids[i] = e.id
	}
	return ids, nil
}

// readOpenCases adds the open cases of a category reported since a time
// with ids above a given one, a page at a time.
func readOpenCases(ctx context.Context, store Store, category string, since time.Time, above int64, rc *recentCategory) error {
	const page = 1000
	var after int64
	for {
		cs, err := store.ListCases(ctx, civicgrid.CaseFilter{All: true, Category: []string{category}, Status: openStatuses,
			Since: since, Above: above, After: after, Limit: page})
		if err != nil {
			return err
		}
		for _, c := range cs {
			rc.add(c)
		}
		if len(cs) < page {
			return nil
		}
		after = cs[len(cs)-1].ID
	}
}

// added records a newly reported case if its category is kept.
func (r *recentCases) added(c civicgrid.Case) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rc := r.cats[c.Category]; rc != nil {
		rc.add(c)
	}
}
