package store

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store held in process memory: correct for one instance (local runs, tests).
type Memory struct {
	mu      sync.Mutex
	now     func() time.Time
	records map[string]memoryRecord
	writes  int
}

type memoryRecord struct {
	value   []byte
	expires time.Time
}

// sweepEvery bounds memory: expired records are dropped every so many writes.
const sweepEvery = 1024

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, records: make(map[string]memoryRecord)}
}

// Create stores value under key unless a live record is already there.
func (m *Memory) Create(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if r, ok := m.records[key]; ok && now.Before(r.expires) {
		return ErrExists
	}
	m.records[key] = memoryRecord{value: append([]byte(nil), value...), expires: now.Add(ttl)}
	if m.writes++; m.writes%sweepEvery == 0 {
		for k, r := range m.records {
			if !now.Before(r.expires) {
				delete(m.records, k)
			}
		}
	}
	return nil
}

// Get returns a copy of the live record under key.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	if !ok || !m.now().Before(r.expires) {
		return nil, ErrNotFound
	}
	return append([]byte(nil), r.value...), nil
}
