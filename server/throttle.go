package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter throttles login-like requests per client address with a token
// bucket each. It lives in memory: every instance throttles on its own, while
// account lockouts, kept in the database, hold across instances.
type ipLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	entries map[string]*ipEntry
}

type ipEntry struct {
	lim         *rate.Limiter
	seen        time.Time
	lastAudited time.Time
}

// maxTracked bounds the memory an address-spraying client can make us use.
const maxTracked = 50_000

func newIPLimiter(attempts int, window time.Duration) *ipLimiter {
	return &ipLimiter{every: rate.Every(window / time.Duration(attempts)), burst: attempts, entries: map[string]*ipEntry{}}
}

// allow takes one attempt for ip; when refused it says how long to wait.
func (l *ipLimiter) allow(ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[ip]
	if e == nil {
		if len(l.entries) >= maxTracked {
			l.sweep(now)
		}
		e = &ipEntry{lim: rate.NewLimiter(l.every, l.burst)}
		l.entries[ip] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// shouldAudit limits audit entries for a throttled address to one a minute,
// so a flood cannot flood the audit log too.
func (l *ipLimiter) shouldAudit(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[ip]
	if e == nil || now.Sub(e.lastAudited) < time.Minute {
		return false
	}
	e.lastAudited = now
	return true
}

// sweep forgets addresses whose bucket has refilled; if that frees too
// little, it forgets the least recently seen half.
func (l *ipLimiter) sweep(now time.Time) {
	for ip, e := range l.entries {
		if e.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.entries, ip)
		}
	}
	if len(l.entries) < maxTracked*3/4 {
		return
	}
	cutoff := now
	for _, e := range l.entries {
		if e.seen.Before(cutoff) {
			cutoff = e.seen
		}
	}
	mid := cutoff.Add(now.Sub(cutoff) / 2)
	for ip, e := range l.entries {
		if e.seen.Before(mid) {
			delete(l.entries, ip)
		}
	}
}
