package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Group commit for case intake. Every report must be durable before it is
// acknowledged, and with synchronous=FULL each commit costs a sync of the
// disk; one writer committing reports one by one tops out at a few hundred
// a second. Reports that arrive while a commit is under way are therefore
// gathered and written together in the next transaction, each inside its
// own savepoint so that one failing report rolls back alone; every caller
// is answered only after the shared commit. A lone report is written at
// once, so latency at low load is that of a single transaction.

// maxBatch bounds one transaction.
const maxBatch = 256

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

type pendingCreate struct {
	ctx  context.Context
	req  createRequest
	done chan createResult
}

type intakeBatcher struct {
	once  sync.Once
	queue chan *pendingCreate
	quit  chan struct{}
	wg    sync.WaitGroup
}

func (b *intakeBatcher) start(db *DB) {
	b.once.Do(func() {
		b.queue = make(chan *pendingCreate, 4*maxBatch)
		b.quit = make(chan struct{})
		b.wg.Add(1)
		go b.loop(db)
	})
}

func (b *intakeBatcher) stop() {
	if b.queue == nil {
		return
	}
	close(b.quit)
	b.wg.Wait()
}

// submit queues a create and waits for its commit.
func (b *intakeBatcher) submit(ctx context.Context, db *DB, req createRequest) createResult {
	b.start(db)
	p := &pendingCreate{ctx: ctx, req: req, done: make(chan createResult, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return createResult{err: ctx.Err()}
	case <-b.quit:
		return createResult{err: fmt.Errorf("store closed")}
	}
	// Once queued, the request is answered whatever happens to ctx: it may
	// already be written.
	return <-p.done
}

func (b *intakeBatcher) loop(db *DB) {
	defer b.wg.Done()
	for {
		var first *pendingCreate
		select {
		case first = <-b.queue:
		case <-b.quit:
			// Answer whoever is still queued.
			for {
				select {
				case p := <-b.queue:
					p.done <- createResult{err: fmt.Errorf("store closed")}
				default:
					return
				}
			}
		}
		batch := []*pendingCreate{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		db.commitBatch(batch)
	}
}

// ObserveIntake has fn called after each intake transaction (committed or
// not) with its size and duration (metrics). Call it before use.
func (db *DB) ObserveIntake(fn func(size int, d time.Duration)) { db.onBatch = fn }

// commitBatch writes a batch in one transaction. A report that fails (an
// Idempotency-Key reused for another body, say) fails the transaction; the
// batch is then written again one report per transaction, so that each is
// answered on its own. Failures are rare, and this costs less than a
// savepoint around every report.
//
// The batch outlives any one caller's cancellation (a client gone away),
// but not the earliest caller's deadline: a report is never committed
// after its request was answered 503. When that deadline cuts the
// transaction, the callers whose time is up are answered and the rest are
// written again together. Written one by one instead, an overloaded writer
// (a batch queued for seconds behind an escalation wave) fell further
// behind with every batch and never recovered: every report waited out its
// whole deadline.
func (db *DB) commitBatch(batch []*pendingCreate) {
	live := answerExpired(batch, time.Time{})
	for len(live) > 0 {
		results, expired, err := db.writeBatchBefore(live)
		if err != nil && expired {
			live = answerExpired(live, time.Now())
			continue
		}
		if err != nil && len(live) > 1 {
			for i := range live {
				one, _, _ := db.writeBatchBefore(live[i : i+1])
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
func answerExpired(batch []*pendingCreate, now time.Time) []*pendingCreate {
	var earliest time.Time
	if !now.IsZero() {
		earliest = earliestDeadline(batch)
		if earliest.After(now) {
			now = earliest
		}
	}
	var live []*pendingCreate
	for _, p := range batch {
		err := p.ctx.Err()
		if d, ok := p.ctx.Deadline(); err == nil && ok && !now.IsZero() && !d.After(now) {
			err = context.DeadlineExceeded
		}
		if err != nil {
			p.done <- createResult{err: err}
			continue
		}
		live = append(live, p)
	}
	return live
}

func earliestDeadline(batch []*pendingCreate) time.Time {
	var earliest time.Time
	for _, p := range batch {
		if d, ok := p.ctx.Deadline(); ok && (earliest.IsZero() || d.Before(earliest)) {
			earliest = d
		}
	}
	return earliest
}

// writeBatchBefore writes a batch by the earliest deadline of its callers,
// and says whether that deadline passed before it was done.
func (db *DB) writeBatchBefore(batch []*pendingCreate) (results []createResult, expired bool, err error) {
	ctx := context.Background()
	if earliest := earliestDeadline(batch); !earliest.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, earliest)
		defer cancel()
	}
	start := time.Now()
	results, err = db.writeBatch(ctx, batch)
	if db.onBatch != nil {
		db.onBatch(len(batch), time.Since(start))
	}
	return results, ctx.Err() != nil, err
}

// writeBatch writes reports in one transaction; on failure every result
// carries the error (the first report's own error when it is alone).
func (db *DB) writeBatch(ctx context.Context, batch []*pendingCreate) ([]createResult, error) {
	results := make([]createResult, len(batch))
	rollups := &rollupBatch{}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockCaseLog(ctx, tx); err != nil {
			return err
		}
		var written []caseEventRef
		for i, p := range batch {
			results[i] = db.createInTx(ctx, tx, p.req)
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

func (b *rollupBatch) apply(ctx context.Context, tx *Tx) error {
	for sqlText, m := range map[string]map[rollupKey]civicgrid.Counters{upsertRollupSQL: b.daily, upsertRollupMonthlySQL: b.monthly} {
		for k, c := range m {
			args := append([]any{k.area, k.day, k.category}, counterValues(c)...)
			if _, err := tx.ExecContext(ctx, sqlText, args...); err != nil {
				return err
			}
		}
	}
	for k, n := range b.hist {
		if _, err := tx.ExecContext(ctx, addHistSQL, k.area, k.day, k.category, k.bucket, n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, addHistMonthlySQL, k.area, k.day/100, k.category, k.bucket, n); err != nil {
			return err
		}
	}
	return nil
}
