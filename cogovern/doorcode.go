package cogovern

import (
	"sync"
	"time"
)

// Wrong door codes: a person gets MaxDoorCodeTries wrong codes for one
// meeting within DoorCodeWindow; past that, sign-in is refused (throttled)
// until the window since their first wrong code has passed, whatever code
// they type. The code has six digits and only people on the roll may try
// it, so this bounds guessing to a handful of tries per person per window.
// The count is kept in this instance's memory: instances behind a load
// balancer each count their own, and a restart forgets.
const (
	MaxDoorCodeTries = 5
	DoorCodeWindow   = 15 * time.Minute
)

type doorKey struct{ meeting, user int64 }

type doorTry struct {
	first time.Time
	n     int
}

// doorLimiter counts wrong door codes; its zero value is ready.
type doorLimiter struct {
	mu    sync.Mutex
	tries map[doorKey]doorTry
}

// blocked reports whether the person has used up their wrong tries.
func (l *doorLimiter) blocked(meeting, user int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.tries[doorKey{meeting, user}]
	if ok && now.Sub(t.first) >= DoorCodeWindow {
		delete(l.tries, doorKey{meeting, user})
		return false
	}
	return ok && t.n >= MaxDoorCodeTries
}

// wrong counts a wrong code.
func (l *doorLimiter) wrong(meeting, user int64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tries == nil {
		l.tries = map[doorKey]doorTry{}
	}
	if len(l.tries) > 100_000 { // forget windows that have passed
		for k, t := range l.tries {
			if now.Sub(t.first) >= DoorCodeWindow {
				delete(l.tries, k)
			}
		}
	}
	k := doorKey{meeting, user}
	t := l.tries[k]
	if t.n == 0 || now.Sub(t.first) >= DoorCodeWindow {
		t = doorTry{first: now}
	}
	t.n++
	l.tries[k] = t
}
