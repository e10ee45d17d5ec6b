package web

import (
	"math"
	"net"
	"sync"
	"time"
)

// limiter is a token bucket per key: burst attempts at once, then one more
// every `every`. It keeps at most maxKeys keys; when full, it forgets the
// keys whose bucket has refilled (they are no different from new ones),
// and if none has, it refuses new keys until one does.
type limiter struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxKeys = 100000

func newLimiter(burst int, every time.Duration, now func() time.Time) *limiter {
	return &limiter{burst: float64(burst), every: every, now: now, buckets: map[string]*bucket{}}
}

// allow takes one attempt for key; when none is left it returns false and
// how long until the next one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxKeys {
			for k, o := range l.buckets {
				if l.level(o, now) >= l.burst {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxKeys {
				return false, l.every
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens, b.last = l.level(b, now), now
	if b.tokens < 1 {
		wait := time.Duration(math.Ceil((1 - b.tokens) * float64(l.every)))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// level is the bucket's content at now.
func (l *limiter) level(b *bucket, now time.Time) float64 {
	el := now.Sub(b.last)
	if el < 0 {
		el = 0
	}
	return math.Min(l.burst, b.tokens+float64(el)/float64(l.every))
}

// clientOf is the address a request came from, without its port.
func clientOf(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}
