package authext

import (
	"sync"
	"time"
)

// cache remembers answers for a while. It is small and simple: when full it starts over,
// which only costs lookups.
type cache[V any] struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	err     error
	expires time.Time
}

func newCache[V any](max int, now func() time.Time) *cache[V] {
	return &cache[V]{max: max, now: now, entries: map[string]cacheEntry[V]{}}
}

func (c *cache[V]) get(key string) (V, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, nil, false
	}
	return e.value, e.err, true
}

func (c *cache[V]) put(key string, v V, err error, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.entries = map[string]cacheEntry[V]{}
	}
	c.entries[key] = cacheEntry[V]{value: v, err: err, expires: c.now().Add(ttl)}
}
