package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Statements are prepared once and reused: the embedded SQLite spends about
// half of a short write's time parsing SQL otherwise. A pool and the
// transactions on it share one cache.

// maxCachedStmts bounds the cache: lists build SQL with varying numbers of
// parameters, so the set of texts is finite but not tiny.
const maxCachedStmts = 2000

type pool struct {
	db      *sql.DB
	direct  bool     // never prepare here (the driver caches statements itself)
	stmts   sync.Map // SQL text → *sql.Stmt
	pending sync.Map // SQL text → struct{}: being prepared in the background
	n       atomic.Int64
}

func newPool(db *sql.DB) *pool { return &pool{db: db} }

// stmt returns the prepared statement of query, or nil when the cache is
// full or preparing failed (the caller then runs the text directly, which
// reports any error).
func (p *pool) stmt(ctx context.Context, query string) *sql.Stmt {
	if p.direct {
		return nil
	}
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if p.n.Load() >= maxCachedStmts {
		return nil
	}
	s, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt)
	}
	p.n.Add(1)
	return s
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

func (p *pool) close() {
	p.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

// cached returns the prepared statement of query if there is one; if not,
// it has the statement prepared in the background. A transaction holds
// the write pool's only connection, so preparing on the pool from inside
// one would wait for itself: the background preparation waits for the
// connection instead, and later transactions find the statement.
func (p *pool) cached(query string) *sql.Stmt {
	if p.direct {
		return nil
	}
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if p.n.Load() < maxCachedStmts {
		if _, busy := p.pending.LoadOrStore(query, struct{}{}); !busy {
			go func() {
				defer p.pending.Delete(query)
				p.stmt(context.Background(), query)
			}()
		}
	}
	return nil
}

// Tx is a write transaction whose statements come from the cache.
type Tx struct {
	tx *sql.Tx
	p  *pool
}

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.p.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.p.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.p.cached(query); s != nil {
		return t.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}
