package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Group commit. Every write a caller is told of must be durable before it
// is acknowledged, and with synchronous=FULL each commit costs a sync of the
// disk; one writer committing requests one by one tops out at a few hundred
// a second. Requests that arrive while a commit is under way are therefore
// gathered and written together in the next transaction; every caller is
// answered only after the shared commit. A lone request is written at once,
// so latency at low load is that of a single transaction. Case intake
// (reports) and secret ballots use it, each with its own queue and writer.

// maxBatch bounds one transaction.
const maxBatch = 256

// groupCommit queues requests of one kind and writes them in batches.
// write writes a batch in one transaction under ctx and returns each
// request's result; when the transaction fails it returns the error (and
// results that each carry it, or a lone request's own error). fail makes
// the result of a request answered without being written. observe, when
// set, is called after each transaction with its size and duration.
type groupCommit[Req, Res any] struct {
	write   func(ctx context.Context, batch []Req) ([]Res, error)
	fail    func(error) Res
	observe func(size int, d time.Duration)

	once  sync.Once
	queue chan *pending[Req, Res]
	quit  chan struct{}
	wg    sync.WaitGroup
}

// pending is a queued request and where its result goes.
type pending[Req, Res any] struct {
	ctx  context.Context
	req  Req
	done chan Res
}

func (g *groupCommit[Req, Res]) start() {
	g.once.Do(func() {
		g.queue = make(chan *pending[Req, Res], 4*maxBatch)
		g.quit = make(chan struct{})
		g.wg.Add(1)
		go g.loop()
	})
}

func (g *groupCommit[Req, Res]) stop() {
	if g.queue == nil {
		return
	}
	close(g.quit)
	g.wg.Wait()
}

// submit queues a request and waits for its commit.
func (g *groupCommit[Req, Res]) submit(ctx context.Context, req Req) Res {
	g.start()
	p := &pending[Req, Res]{ctx: ctx, req: req, done: make(chan Res, 1)}
	select {
	case g.queue <- p:
	case <-ctx.Done():
		return g.fail(ctx.Err())
	case <-g.quit:
		return g.fail(fmt.Errorf("store closed"))
	}
	// Once queued, the request is answered whatever happens to ctx: it may
	// already be written.
	return <-p.done
}

func (g *groupCommit[Req, Res]) loop() {
	defer g.wg.Done()
	for {
		var first *pending[Req, Res]
		select {
		case first = <-g.queue:
		case <-g.quit:
			// Answer whoever is still queued.
			for {
				select {
				case p := <-g.queue:
					p.done <- g.fail(fmt.Errorf("store closed"))
				default:
					return
				}
			}
		}
		batch := []*pending[Req, Res]{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case p := <-g.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		g.commit(batch)
	}
}

// commit writes a batch in one transaction. A request that fails the
// transaction (an Idempotency-Key reused for another body, say) fails it
// for all; the batch is then written again one request per transaction,
// so that each is answered on its own. Failures are rare, and this costs
// less than a savepoint around every request. (A writer may instead answer
// a request's refusal in its result and commit the others: ballots do.)
//
// The batch outlives any one caller's cancellation (a client gone away),
// but not the earliest caller's deadline: a request is never committed
// after its caller was answered 503. When that deadline cuts the
// transaction, the callers whose time is up are answered and the rest are
// written again together. Written one by one instead, an overloaded writer
// (a batch queued for seconds behind an escalation wave) fell further
// behind with every batch and never recovered: every request waited out
// its whole deadline.
func (g *groupCommit[Req, Res]) commit(batch []*pending[Req, Res]) {
	live := g.answerExpired(batch, time.Time{})
	for len(live) > 0 {
		results, expired, err := g.writeBefore(live)
		if err != nil && expired {
			live = g.answerExpired(live, time.Now())
			continue
		}
		if err != nil && len(live) > 1 {
			for i := range live {
				one, _, _ := g.writeBefore(live[i : i+1])
				results[i] = one[0]
			}
		}
		for i, p := range live {
			p.done <- results[i]
		}
		return
	}
}

// answerExpired answers the callers whose context is done, or whose
// deadline is not after now (when now is set), and returns the others. When
// now is set it answers at least the callers of the earliest deadline, so
// that a batch cut by that deadline never goes round again unchanged.
func (g *groupCommit[Req, Res]) answerExpired(batch []*pending[Req, Res], now time.Time) []*pending[Req, Res] {
	var earliest time.Time
	if !now.IsZero() {
		earliest = earliestDeadline(batch)
		if earliest.After(now) {
			now = earliest
		}
	}
	var live []*pending[Req, Res]
	for _, p := range batch {
		err := p.ctx.Err()
		if d, ok := p.ctx.Deadline(); err == nil && ok && !now.IsZero() && !d.After(now) {
			err = context.DeadlineExceeded
		}
		if err != nil {
			p.done <- g.fail(err)
			continue
		}
		live = append(live, p)
	}
	return live
}

func earliestDeadline[Req, Res any](batch []*pending[Req, Res]) time.Time {
	var earliest time.Time
	for _, p := range batch {
		if d, ok := p.ctx.Deadline(); ok && (earliest.IsZero() || d.Before(earliest)) {
			earliest = d
		}
	}
	return earliest
}

// writeBefore writes a batch by the earliest deadline of its callers, and
// says whether that deadline passed before it was done.
func (g *groupCommit[Req, Res]) writeBefore(batch []*pending[Req, Res]) (results []Res, expired bool, err error) {
	ctx := context.Background()
	if earliest := earliestDeadline(batch); !earliest.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, earliest)
		defer cancel()
	}
	reqs := make([]Req, len(batch))
	for i, p := range batch {
		reqs[i] = p.req
	}
	start := time.Now()
	results, err = g.write(ctx, reqs)
	if g.observe != nil {
		g.observe(len(batch), time.Since(start))
	}
	return results, ctx.Err() != nil, err
}

// Case intake: reports, each with its event, idempotency key and the steps
// taken in the same request.

type createRequest struct {
	c    civicgrid.Case
	ev   civicgrid.CaseEvent
	idem *civicgrid.Idempotency
	then []civicgrid.CaseEvent // steps taken in the same request
}

type createResult struct {
	c          civicgrid.Case
	existingID int64
	err        error
	// What the new case adds to the indicator rollups, applied once per
	// batch (see rollupBatch).
	cohort   civicgrid.Cohort
	delta    civicgrid.Counters
	bucket   int
	eventIDs []int64
}

type (
	intakeBatcher = groupCommit[createRequest, createResult]
	pendingCreate = pending[createRequest, createResult]
)

// newIntake is the group commit of new cases.
func (db *DB) newIntake() *intakeBatcher {
	return &intakeBatcher{write: db.writeBatch, fail: func(err error) createResult { return createResult{err: err} },
		observe: func(size int, d time.Duration) {
			if db.onBatch != nil {
				db.onBatch(size, d)
			}
		}}
}

// districtBatchers are the intake writers of PostgreSQL, one per district
// met, made on first use.
type districtBatchers struct {
	mu     sync.Mutex
	by     map[string]*intakeBatcher
	closed bool
}

func (d *districtBatchers) stop() {
	d.mu.Lock()
	d.closed = true
	bs := d.by
	d.mu.Unlock()
	for _, b := range bs {
		b.stop()
	}
}

// intakeFor is the group commit a new case of the grid goes through. On
// PostgreSQL each district has its own, so that a transaction holds the
// lock of one district only (see lockDistricts) and the districts commit
// beside each other, in one instance as across instances; a batch mixing
// the districts would take all their locks and serialise them again. On
// SQLite there is one writer: one group commit, whose batches are then the
// largest.
func (db *DB) intakeFor(grid string) *intakeBatcher {
	if db.dialect != Postgres {
		return db.intake
	}
	d := &db.districtIntake
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return db.intake // stopped too: answers "store closed"
	}
	key := districtOf(grid)
	b := d.by[key]
	if b == nil {
		if d.by == nil {
			d.by = map[string]*intakeBatcher{}
		}
		b = db.newIntake()
		d.by[key] = b
	}
	return b
}

// ObserveIntake has fn called after each intake transaction (committed or
// not) with its size and duration (metrics). Call it before use.
func (db *DB) ObserveIntake(fn func(size int, d time.Duration)) { db.onBatch = fn }

// commitBatch writes a batch of reports (intake's commit).
func (db *DB) commitBatch(batch []*pendingCreate) { db.intake.commit(batch) }

// writeBatch writes reports in one transaction; on failure every result
// carries the error (the first report's own error when it is alone).
func (db *DB) writeBatch(ctx context.Context, batch []createRequest) ([]createResult, error) {
	results := make([]createResult, len(batch))
	rollups := &rollupBatch{}
	grids := make([]string, len(batch))
	for i, p := range batch {
		grids[i] = p.c.GridCode
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockDistricts(ctx, tx, grids...); err != nil {
			return err
		}
		var written []caseEventRef
		for i, p := range batch {
			results[i] = db.createInTx(ctx, tx, p)
			if err := results[i].err; err != nil {
				return err
			}
			if results[i].existingID == 0 {
				rollups.add(results[i].cohort, results[i].delta, results[i].bucket)
				for _, id := range results[i].eventIDs {
					written = append(written, caseEventRef{results[i].c.ID, id})
				}
			}
		}
		if err := rollups.apply(ctx, tx); err != nil {
			return err
		}
		return db.notifyCaseEvents(ctx, tx, written)
	})
	if err != nil {
		for i := range results {
			if results[i].err == nil || len(batch) > 1 {
				results[i] = createResult{err: err}
			} else {
				results[i].err = diskFull(results[i].err)
			}
		}
	}
	return results, err
}

// rollupBatch sums rollup deltas per area, period and category, so that a
// batch of new cases upserts each counter row once rather than once per
// case for each of the five areas (grid, community, street, district, city)
// and both periods (day, month). A single event is a batch of one
// (addRollup).
type rollupBatch struct {
	daily, monthly map[rollupKey]civicgrid.Counters
	hist           map[histKey]int64 // day and category "" included
}

type histKey struct {
	rollupKey
	bucket int
}

func (b *rollupBatch) add(cohort civicgrid.Cohort, delta civicgrid.Counters, bucket int) {
	if delta.Zero() {
		return
	}
	if b.daily == nil {
		b.daily, b.monthly, b.hist = map[rollupKey]civicgrid.Counters{}, map[rollupKey]civicgrid.Counters{}, map[histKey]int64{}
	}
	for _, area := range civicgrid.RollupAreas(cohort.Grid) {
		for _, k := range []rollupKey{{area, cohort.Day, cohort.Category}, {area, cohort.Day / 100, cohort.Category}} {
			m := b.daily
			if k.day < 1_000_000 { // yyyymm
				m = b.monthly
			}
			c := m[k]
			c.Add(delta)
			m[k] = c
		}
		if bucket >= 0 {
			for _, cat := range []string{cohort.Category, ""} {
				b.hist[histKey{rollupKey{area, cohort.Day, cat}, bucket}]++
			}
		}
	}
}

// move shifts a case's counts (total, and a first close's histogram
// buckets) from one cohort to another of the same day and grid: a
// reclassified case. The histogram of all categories is unchanged.
func (b *rollupBatch) move(from, to civicgrid.Cohort, total civicgrid.Counters, buckets []int) {
	var neg civicgrid.Counters
	neg.Sub(total)
	b.add(from, neg, -1)
	b.add(to, total, -1)
	if b.hist == nil {
		b.hist = map[histKey]int64{}
	}
	for _, area := range civicgrid.RollupAreas(to.Grid) {
		for _, bucket := range buckets {
			b.hist[histKey{rollupKey{area, from.Day, from.Category}, bucket}]--
			b.hist[histKey{rollupKey{area, to.Day, to.Category}, bucket}]++
		}
	}
}

// apply upserts the batch's counter rows in one fixed order (rollupOrder):
// on PostgreSQL transactions of different districts write beside each
// other and share the city's rows, which each holds until its commit, so
// two of them must never take the same rows in opposite orders (a
// deadlock). The rows shared by most transactions (the city's) come last,
// so that they are held for the shortest time.
func (b *rollupBatch) apply(ctx context.Context, tx *Tx) error {
	type upsert struct {
		order rollupOrder
		sql   string
		args  []any
	}
	var ups []upsert
	for _, m := range []struct {
		table int
		sql   string
		rows  map[rollupKey]civicgrid.Counters
	}{{0, upsertRollupSQL, b.daily}, {1, upsertRollupMonthlySQL, b.monthly}} {
		for k, c := range m.rows {
			ups = append(ups, upsert{orderOf(k, m.table, 0), m.sql, append([]any{k.area, k.day, k.category}, counterValues(c)...)})
		}
	}
	for k, n := range b.hist {
		ups = append(ups, upsert{orderOf(k.rollupKey, 2, k.bucket), addHistSQL, []any{k.area, k.day, k.category, k.bucket, n}},
			upsert{orderOf(rollupKey{k.area, k.day / 100, k.category}, 3, k.bucket), addHistMonthlySQL,
				[]any{k.area, k.day / 100, k.category, k.bucket, n}})
	}
	slices.SortFunc(ups, func(x, y upsert) int { return x.order.compare(y.order) })
	for _, u := range ups {
		if _, err := tx.ExecContext(ctx, u.sql, u.args...); err != nil {
			return err
		}
	}
	return nil
}

// rollupOrder places a counter row in the order apply writes rows in: the
// narrowest areas first and the city's last, then by area, table, period,
// category and bucket. It is a total order over the rows.
type rollupOrder struct {
	shared        int // 0 below the city, 1 for a city (a code ending in "00" of six digits)
	area          string
	table, day    int
	category      string
	bucket, width int
}

func orderOf(k rollupKey, table, bucket int) rollupOrder {
	o := rollupOrder{area: k.area, table: table, day: k.day, category: k.category, bucket: bucket, width: -len(k.area)}
	if len(k.area) == 6 && strings.HasSuffix(k.area, "00") {
		o.shared = 1
	}
	return o
}

func (o rollupOrder) compare(p rollupOrder) int {
	return cmp.Or(cmp.Compare(o.shared, p.shared), cmp.Compare(o.width, p.width), cmp.Compare(o.area, p.area),
		cmp.Compare(o.table, p.table), cmp.Compare(o.day, p.day), cmp.Compare(o.category, p.category), cmp.Compare(o.bucket, p.bucket))
}
