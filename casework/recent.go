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
//
// Each category has its own lock, held while it is read from the store: the
// first report of a category after a restart waits for its own window only,
// never for another category's.
type recentCases struct {
	mu   sync.Mutex // guards cats and their pending reports, never held across a store read
	cats map[string]*recentCategory
}

type recentCategory struct {
	mu     sync.Mutex    // guards the fields below; held while the category is read
	window time.Duration // the window it was read for (0: not read yet)
	maxID  int64         // the newest case seen: case ids are stored in increasing order
	synced time.Time     // wall time of the last read
	ids    map[int64]struct{}
	cells  map[[2]int32][]recentEntry
	// pending are reports published since the last lookup, guarded by
	// recentCases.mu so that publishing never waits for a store read.
	pending []civicgrid.CaseSpot
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

func (rc *recentCategory) add(sp civicgrid.CaseSpot) {
	if _, ok := rc.ids[sp.ID]; ok {
		return
	}
	rc.ids[sp.ID] = struct{}{}
	rc.maxID = max(rc.maxID, sp.ID)
	k := cellOf(sp.Lat, sp.Lng)
	rc.cells[k] = append(rc.cells[k], recentEntry{id: sp.ID, lat: sp.Lat, lng: sp.Lng, at: sp.CreatedAt})
}

// category returns the entry of a category, made empty on first use.
func (r *recentCases) category(code string) *recentCategory {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cats == nil {
		r.cats = map[string]*recentCategory{}
	}
	rc := r.cats[code]
	if rc == nil {
		rc = &recentCategory{}
		r.cats[code] = rc
	}
	return rc
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
// and radius of the point.
func (r *recentCases) near(ctx context.Context, store Store, cat civicgrid.Category, lat, lng float64, now time.Time) ([]int64, error) {
	window := time.Duration(cat.DuplicateHours) * time.Hour
	rc := r.category(cat.Code)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case rc.window < window:
		if err := rc.load(ctx, store, cat.Code, window, now); err != nil {
			return nil, err
		}
	case time.Since(rc.synced) > recentResync:
		// Case ids are stored in increasing order (one writer on SQLite,
		// the case-log lock on PostgreSQL): what is new lies above the
		// newest seen.
		spots, err := store.OpenCaseSpots(ctx, cat.Code, now.Add(-window), rc.maxID)
		if err != nil {
			return nil, err
		}
		for _, sp := range spots {
			rc.add(sp)
		}
		rc.synced = time.Now()
	}
	r.mu.Lock()
	pending := rc.pending
	rc.pending = nil
	r.mu.Unlock()
	for _, sp := range pending {
		rc.add(sp)
	}
	dLat := cat.DuplicateRadiusM / 111_320
	dLng := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	lo, hi := cellOf(lat-dLat, lng-dLng), cellOf(lat+dLat, lng+dLng)
	oldest := now.Add(-window)
	var ids []int64
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
					ids = append(ids, e.id)
				}
			}
			if len(kept) == 0 {
				delete(rc.cells, k)
			} else {
				rc.cells[k] = kept
			}
		}
	}
	return ids, nil
}

// load reads the category's whole window from the store; rc.mu is held.
func (rc *recentCategory) load(ctx context.Context, store Store, code string, window time.Duration, now time.Time) error {
	spots, err := store.OpenCaseSpots(ctx, code, now.Add(-window), 0)
	if err != nil {
		return err
	}
	// Cases added meanwhile are in the store too: start afresh.
	rc.window, rc.synced, rc.maxID = window, time.Now(), 0
	rc.ids, rc.cells = map[int64]struct{}{}, map[[2]int32][]recentEntry{}
	for _, sp := range spots {
		rc.add(sp)
	}
	return nil
}

// warm reads the window of each category not read yet, one after another,
// so that after a restart the first reports of a category find it in memory
// rather than each category's first reports waiting for its read (at 10⁶
// cases a cold read is a few tenths of a second, and at busy intake every
// report of the category arriving meanwhile queued behind it).
func (r *recentCases) warm(ctx context.Context, store Store, cats []civicgrid.Category, now time.Time) error {
	for _, cat := range cats {
		if !cat.Active || cat.DuplicateRadiusM <= 0 || cat.DuplicateHours <= 0 {
			continue
		}
		window := time.Duration(cat.DuplicateHours) * time.Hour
		rc := r.category(cat.Code)
		rc.mu.Lock()
		var err error
		if rc.window < window {
			err = rc.load(ctx, store, cat.Code, window, now)
		}
		rc.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// added records a newly reported case for the next lookup of its
// category.
func (r *recentCases) added(c civicgrid.Case) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rc := r.cats[c.Category]; rc != nil {
		rc.pending = append(rc.pending, civicgrid.CaseSpot{ID: c.ID, Lat: c.Lat, Lng: c.Lng, CreatedAt: c.CreatedAt})
	}
}
