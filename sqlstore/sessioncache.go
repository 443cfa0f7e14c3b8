package sqlstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
)

// sessionCache keeps SessionUser's reads by session secret hash. An entry is
// only used after its user's auth version is read again and found unchanged
// (see SessionUser), so the cache saves reading three tables, never a check.
// Entries also age out, and the cache is bounded: past its size it starts
// afresh rather than tracking use.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	session civicgrid.Session
	user    civicgrid.User
	version int64
	at      time.Time
}

const (
	sessionCacheSize = 20_000
	sessionCacheAge  = 5 * time.Minute
)

// sessionCacheHits counts uses of a kept read (tests check the cache is used).
var sessionCacheHits atomic.Int64

// sessionCacheOff turns the cache off (benchmarks compare with and without).
var sessionCacheOff bool

func (c *sessionCache) get(key string, now time.Time) (cachedSession, bool) {
	if sessionCacheOff {
		return cachedSession{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) > sessionCacheAge || now.Before(e.at) {
		return cachedSession{}, false
	}
	return e, true
}

func (c *sessionCache) put(key string, s civicgrid.Session, u civicgrid.User, version int64, now time.Time) {
	if sessionCacheOff {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCacheSize {
		c.m = make(map[string]cachedSession)
	}
	c.m[key] = cachedSession{session: s, user: u, version: version, at: now}
}

func (c *sessionCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
