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

// loginFailures counts wrong logins in a row per phone number and client
// address, for the "attempts left" a login refusal tells. It counts the
// same whether the phone has an account, is locked or is unknown, and
// locks the pair for as long as an account would be locked: so what it
// says mirrors the account lockout as this client has driven it, and
// never tells whether a phone has an account or is locked. (The account
// itself may be locked sooner by attempts from elsewhere; then the right
// password is refused as a wrong one, as the lockout rule says.) In memory
// per instance, like the address buckets, bounded by maxTracked.
type loginFailures struct {
	mu      sync.Mutex
	max     int
	lockFor time.Duration
	entries map[string]*failureEntry
}

type failureEntry struct {
	n           int
	last        time.Time
	lockedUntil time.Time
}

func newLoginFailures(max int, lockFor time.Duration) *loginFailures {
	return &loginFailures{max: max, lockFor: lockFor, entries: map[string]*failureEntry{}}
}

// state is the pair's attempts left and, when locked, until when.
func (f *loginFailures) state(key string, now time.Time) (left int, lockedUntil time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.current(key, now)
	if e == nil {
		return f.max, time.Time{}
	}
	return f.max - e.n, e.lockedUntil
}

// fail counts a wrong login of the pair (none while it is locked) and
// returns its state after it.
func (f *loginFailures) fail(key string, now time.Time) (left int, lockedUntil time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.current(key, now)
	if e == nil {
		if len(f.entries) >= maxTracked {
			f.sweep(now)
		}
		e = &failureEntry{}
		f.entries[key] = e
	}
	if e.lockedUntil.IsZero() {
		e.n++
		e.last = now
		if e.n >= f.max {
			e.lockedUntil = now.Add(f.lockFor)
		}
	}
	return f.max - e.n, e.lockedUntil
}

// forget clears the pair after a good login.
func (f *loginFailures) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, key)
}

// current is the pair's live entry: a lock that has run out, or failures
// older than a lockout, are forgotten.
func (f *loginFailures) current(key string, now time.Time) *failureEntry {
	e := f.entries[key]
	if e != nil && f.expired(e, now) {
		delete(f.entries, key)
		return nil
	}
	return e
}

func (f *loginFailures) expired(e *failureEntry, now time.Time) bool {
	if !e.lockedUntil.IsZero() {
		return !now.Before(e.lockedUntil)
	}
	return now.Sub(e.last) >= f.lockFor
}

// sweep forgets expired pairs; if that frees too little, half of the rest.
func (f *loginFailures) sweep(now time.Time) {
	for k, e := range f.entries {
		if f.expired(e, now) {
			delete(f.entries, k)
		}
	}
	for k := range f.entries {
		if len(f.entries) < maxTracked/2 {
			break
		}
		delete(f.entries, k)
	}
}
