// Package casework runs the case loop: intake from every channel, the state
// machine's side effects, deadlines and escalation. It decides with
// civicgrid.Authorize and stores through civicgrid.CaseStore; transport
// (HTTP, Open311) lives elsewhere.
package casework

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Store is what casework keeps cases and indicators in.
type Store interface {
	civicgrid.CaseStore
	civicgrid.RollupStore
	// AreaByCode finds the building a report names.
	AreaByCode(ctx context.Context, code string) (civicgrid.Area, error)
}

// Locator finds the grid of a point.
type Locator interface {
	Locate(lng, lat float64) (civicgrid.Location, error)
}

// Calendar computes deadlines from limits such as "4h", "5wh", "1wd"; see
// package workcal.
type Calendar interface {
	Deadline(start time.Time, limit string) (time.Time, error)
	// CheckLimit validates a limit string.
	CheckLimit(limit string) error
	// Share is how much of the limit from start to due has passed at now
	// (working time over working time for working units).
	Share(start, due, now time.Time, limit string) float64
}

// People is what casework needs to know about accounts.
type People interface {
	UserByID(ctx context.Context, id int64) (civicgrid.User, error)
	ListUsers(ctx context.Context, f civicgrid.UserFilter) ([]civicgrid.User, error)
}

// Config holds the case loop's settings.
type Config struct {
	// MaxDescription is the longest description, in characters (4,000 as
	// in Open311).
	MaxDescription int
	// ReopenWindow is how long after closing the reporter may reopen.
	ReopenWindow time.Duration
	// RejectReasons is the list a rejection must pick from.
	RejectReasons []string
	// MaxNote bounds notes and reasons.
	MaxNote int
	// Photos, when set, must hold every photo a report or step names.
	Photos interface{ Has(ref string) bool }
	// WorkPhone is the number a reporter calls about their case (a relay
	// or the community office): case views give it to reporters with the
	// assignee, whose own phone stays private. "" gives none.
	WorkPhone string
	// Escalated, when set, is told how long after its deadline each case
	// the scheduler escalated was raised (metrics: scheduler lag).
	Escalated func(lag time.Duration)
}

// DefaultRejectReasons are the reasons a public report may be refused, after
// the list 临沂 publishes.
var DefaultRejectReasons = []string{
	"out_of_scope",     // 不属于受理范围
	"unclear",          // 照片或描述不清
	"below_threshold",  // 未达到立案标准
	"already_handling", // 已在处置中
	"untrue",           // 反映情况不属实
	"staged",           // 摆拍
	"in_legal_process", // 已进入司法程序
	"split_duplicate",  // 拆分重复上报
	"other",            // 其他
}

func (c *Config) defaults() {
	if c.MaxDescription <= 0 {
		c.MaxDescription = 4000
	}
	if c.ReopenWindow <= 0 {
		c.ReopenWindow = 7 * 24 * time.Hour
	}
	if len(c.RejectReasons) == 0 {
		c.RejectReasons = DefaultRejectReasons
	}
	if c.MaxNote <= 0 {
		c.MaxNote = 1000
	}
}

// Service runs the case loop.
type Service struct {
	cfg      Config
	store    Store
	people   People
	locator  Locator
	calendar Calendar
	now      func() time.Time

	mu        sync.Mutex
	recent    recentCases // where the open cases of each category lie, for duplicates
	listeners []func(civicgrid.Case, civicgrid.CaseEvent)
	cats      []civicgrid.Category // cached catalogue
	catsAt    time.Time
	wake      chan struct{} // nudges the scheduler when a deadline moves earlier
	// scheduled is when the scheduler will next wake (Unix ms); changes
	// with an earlier deadline nudge it.
	scheduled atomic.Int64
}

// New returns a service. now may be nil (time.Now).
func New(cfg Config, store Store, people People, locator Locator, calendar Calendar, now func() time.Time) *Service {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	svc := &Service{cfg: cfg, store: store, people: people, locator: locator, calendar: calendar, now: now,
		wake: make(chan struct{}, 1)}
	svc.scheduled.Store(math.MaxInt64) // no scheduler yet: nothing to nudge
	return svc
}

// Config returns the settings in force.
func (s *Service) Config() Config { return s.cfg }

// OnEvent registers fn to hear of every stored change (live queues,
// webhooks, indicators). fn must not block.
func (s *Service) OnEvent(fn func(civicgrid.Case, civicgrid.CaseEvent)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// Relay hands a change stored by another instance to this one's listeners
// (live queues, webhooks, the deadline scheduler).
func (s *Service) Relay(c civicgrid.Case, ev civicgrid.CaseEvent) { s.publish(c, ev) }

func (s *Service) publish(c civicgrid.Case, ev civicgrid.CaseEvent) {
	if ev.Action == civicgrid.CaseReport || ev.Action == civicgrid.CaseReclassify {
		s.recent.added(c)
	}
	s.mu.Lock()
	ls := slices.Clone(s.listeners)
	s.mu.Unlock()
	for _, fn := range ls {
		fn(c, ev)
	}
	if !c.NextDeadline.IsZero() && c.NextDeadline.UnixMilli() < s.scheduled.Load() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// catalogueTTL is how long a read of the catalogue is reused; changes
// made through this instance take effect at once.
const catalogueTTL = 30 * time.Second

// catalogue returns the categories, cached briefly: intake reads it on every
// report.
func (s *Service) catalogue(ctx context.Context) ([]civicgrid.Category, error) {
	s.mu.Lock()
	cats, at := s.cats, s.catsAt
	s.mu.Unlock()
	if cats != nil && time.Since(at) < catalogueTTL {
		return cats, nil
	}
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cats, s.catsAt = cats, time.Now()
	s.mu.Unlock()
	return cats, nil
}

func (s *Service) forgetCatalogue() {
	s.mu.Lock()
	s.cats = nil
	s.mu.Unlock()
}

// category returns an active category of the catalogue.
func (s *Service) category(ctx context.Context, code string) (civicgrid.Category, error) {
	cats, err := s.catalogue(ctx)
	if err != nil {
		return civicgrid.Category{}, err
	}
	for _, c := range cats {
		if c.Code == code {
			if !c.Active {
				return c, civicgrid.Errorf(civicgrid.EINVALID, "category %s (%s) is no longer in use", code, c.NameZH)
			}
			return c, nil
		}
	}
	return civicgrid.Category{}, civicgrid.Errorf(civicgrid.EINVALID, "unknown category %q (GET /api/v1/categories lists them)", code)
}

// CheckCategory validates a catalogue entry before an admin stores it.
func (s *Service) CheckCategory(c civicgrid.Category) error {
	var probs []string
	if !validCategoryCode(c.Code) {
		probs = append(probs, "code: 5 digits (GB/T 30428 class + subclass) or C followed by 4 digits (community categories)")
	}
	if strings.TrimSpace(c.NameZH) == "" || strings.TrimSpace(c.NameEN) == "" {
		probs = append(probs, "name_zh and name_en are both required")
	}
	for name, l := range map[string]string{"respond_within": c.RespondWithin, "resolve_within": c.ResolveWithin} {
		if err := s.calendar.CheckLimit(l); err != nil {
			probs = append(probs, name+": "+err.Error())
		}
	}
	if c.DuplicateRadiusM < 0 || c.DuplicateRadiusM > 5000 {
		probs = append(probs, "duplicate_radius_m: 0 to 5000")
	}
	if c.DuplicateHours < 0 || c.DuplicateHours > 24*90 {
		probs = append(probs, "duplicate_hours: 0 to 2160")
	}
	if len(probs) > 0 {
		slices.Sort(probs)
		return civicgrid.Errorf(civicgrid.EINVALID, "category %q: %s", c.Code, strings.Join(probs, "; "))
	}
	return nil
}

func validCategoryCode(code string) bool {
	digits := func(s string) bool {
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return s != ""
	}
	switch {
	case len(code) == 5 && digits(code):
		return true
	case len(code) == 5 && code[0] == 'C' && digits(code[1:]):
		return true
	}
	return false
}

func logErr(msg string, err error, args ...any) {
	if err != nil {
		slog.Error(msg, append(args, "err", err)...)
	}
}
