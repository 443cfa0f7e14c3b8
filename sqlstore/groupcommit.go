package sqlstore

import (
	"context"
	"fmt"
	"sync"

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
}

type createResult struct {
	c          civicgrid.Case
	existingID int64
	err        error
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

// commitBatch writes a batch in one transaction, one savepoint per report.
func (db *DB) commitBatch(batch []*pendingCreate) {
	results := make([]createResult, len(batch))
	ctx := context.Background() // the batch outlives any one caller's context
	err := db.inTx(ctx, func(tx *Tx) error {
		for i, p := range batch {
			if p.ctx.Err() != nil {
				results[i] = createResult{err: p.ctx.Err()}
				continue
			}
			if len(batch) == 1 {
				results[i] = db.createInTx(ctx, tx, p.req)
				return results[i].err
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT intake`); err != nil {
				return err
			}
			results[i] = db.createInTx(ctx, tx, p.req)
			release := `RELEASE SAVEPOINT intake`
			if results[i].err != nil {
				release = `ROLLBACK TO SAVEPOINT intake`
			}
			if _, err := tx.ExecContext(ctx, release); err != nil {
				return err
			}
			if results[i].err != nil {
				if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT intake`); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i, p := range batch {
		r := results[i]
		if err != nil && r.err == nil {
			// The commit failed: nothing of the batch was kept.
			r = createResult{err: err}
		}
		p.done <- r
	}
}
