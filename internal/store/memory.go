package store

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// Memory is a Store held in process memory: correct for one instance (local runs, tests).
//
// Memory stays flat under load: every record is queued by the time it may be dropped, and each
// write drops the records whose time has come, so the work is O(log n) per write amortised
// and nothing outlives its TTL plus the retention. Records are held under a 128-bit digest of
// their key, in fixed-size entries. The bridge's records are all markers (no value: a used
// state, a redeemed code, a revoked grant), and a sign-in leaves two that live for minutes, so
// markers have a map of their own with nothing but the expiry beside the digest (24 bytes a
// slot instead of 48): about 60 bytes a marker, queue included.
type Memory struct {
	mu      sync.Mutex
	now     func() time.Time
	retain  time.Duration
	markers map[keyDigest]int64 // expiry, unix nanoseconds, of records without a value
	records map[keyDigest]memoryRecord
	queue   evictionQueue
}

// keyDigest names a record: the first 128 bits of the SHA-256 of its key. Two keys share one
// with probability 2^-128 per pair, far below any other failure.
type keyDigest [16]byte

func digestOf(key string) keyDigest {
	sum := sha256.Sum256([]byte(key))
	return keyDigest(sum[:16])
}

type memoryRecord struct {
	value   []byte
	expires int64 // unix nanoseconds
}

// DefaultMemoryRetention is how long an expired record keeps its key taken before it is
// dropped: the memory counterpart of the Blob container's lifecycle rule.
const DefaultMemoryRetention = time.Minute

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	return NewMemoryRetaining(now, DefaultMemoryRetention)
}

// NewMemoryRetaining is NewMemory with the time an expired record is kept before it is dropped.
func NewMemoryRetaining(now func() time.Time, retain time.Duration) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, retain: max(retain, 0), markers: make(map[keyDigest]int64), records: make(map[keyDigest]memoryRecord)}
}

// Create stores value under key unless the key was written before and not yet dropped.
func (m *Memory) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory store: create: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	d := digestOf(key)
	if m.holds(d) {
		return ErrExists
	}
	expires := now.Add(ttl)
	if len(value) == 0 {
		m.markers[d] = expires.UnixNano()
	} else {
		m.records[d] = memoryRecord{value: append([]byte(nil), value...), expires: expires.UnixNano()}
	}
	heap.Push(&m.queue, queued{key: d, drop: expires.Add(m.retain).UnixNano()})
	m.evict(now.UnixNano())
	return nil
}

// Get returns a copy of the live record under key.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory store: get: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, now := digestOf(key), m.now().UnixNano()
	if expires, ok := m.markers[d]; ok {
		if now >= expires {
			return nil, ErrNotFound
		}
		return nil, nil
	}
	r, ok := m.records[d]
	if !ok || now >= r.expires {
		return nil, ErrNotFound
	}
	return append([]byte(nil), r.value...), nil
}

// holds reports whether a record, live or expired, is held under d. The caller holds mu.
func (m *Memory) holds(d keyDigest) bool {
	if _, ok := m.markers[d]; ok {
		return true
	}
	_, ok := m.records[d]
	return ok
}

// Len is the number of records held, expired ones not yet dropped included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.markers) + len(m.records)
}

// evict drops every record whose drop time has passed. The caller holds mu.
func (m *Memory) evict(now int64) {
	for len(m.queue) > 0 && now >= m.queue[0].drop {
		q := heap.Pop(&m.queue).(queued)
		delete(m.markers, q.key)
		delete(m.records, q.key)
	}
	// A burst of long-lived records followed by quiet leaves a large backing array: shrink it.
	if cap(m.queue) > 1024 && len(m.queue) < cap(m.queue)/4 {
		m.queue = append(evictionQueue(nil), m.queue...)
	}
}

// queued is a record's place in the eviction queue. Keys are never re-created while queued
// (Create refuses), so each key appears at most once.
type queued struct {
	key  keyDigest
	drop int64 // unix nanoseconds
}

// evictionQueue is a min-heap on drop time.
type evictionQueue []queued

func (q evictionQueue) Len() int           { return len(q) }
func (q evictionQueue) Less(i, j int) bool { return q[i].drop < q[j].drop }
func (q evictionQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *evictionQueue) Push(x any)        { *q = append(*q, x.(queued)) }
func (q *evictionQueue) Pop() any {
	old := *q
	n := len(old)
	x := old[n-1]
	old[n-1] = queued{}
	*q = old[:n-1]
	return x
}
