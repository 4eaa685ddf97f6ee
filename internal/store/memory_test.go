package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestMemoryEvictsAfterRetention(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemoryRetaining(func() time.Time { return now }, time.Minute)
	ctx := context.Background()
	if err := m.Create(ctx, "short", nil, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, "long", nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		key     string
		want    error
		wantLen int
	}{
		// Expired but retained: the key stays taken.
		{time.Second, "short", ErrExists, 2},
		// Past the retention: the next write drops it, and only it.
		{time.Minute, "other", nil, 2},
		{0, "short", nil, 3},
		{0, "long", ErrExists, 3},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if err := m.Create(ctx, s.key, nil, time.Second); !errors.Is(err, s.want) {
			t.Fatalf("step %d: create %s: err = %v, want %v", i, s.key, err, s.want)
		}
		if m.Len() != s.wantLen {
			t.Fatalf("step %d: %d records held, want %d", i, m.Len(), s.wantLen)
		}
	}
}

// TestMemoryStaysFlat is the eviction at load: a steady stream of records with a short TTL
// leaves at most one TTL-plus-retention's worth in memory, however long it runs.
func TestMemoryStaysFlat(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemoryRetaining(func() time.Time { return now }, time.Second)
	ctx := context.Background()
	const perSecond, ttl = 500, 2 * time.Second
	peak := 0
	for i := range 60 * perSecond {
		now = now.Add(time.Second / perSecond)
		if err := m.Create(ctx, fmt.Sprintf("code/%d", i), make([]byte, 64), ttl); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, m.Len())
	}
	// TTL + retention = 3 s of records, plus the one just written.
	if limit := 3*perSecond + 1; peak > limit {
		t.Fatalf("peak %d records held, want at most %d", peak, limit)
	}
	if c := cap(m.queue); c > 4*peak {
		t.Fatalf("eviction queue capacity %d for at most %d records", c, peak)
	}
	runtime.KeepAlive(m)
}

// TestMemoryMarkers: a record without a value is held in the compact marker map and behaves
// like any other record: taken while held, readable while live, expired reads refused.
func TestMemoryMarkers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemoryRetaining(func() time.Time { return now }, time.Minute)
	ctx := context.Background()
	if err := m.Create(ctx, "state/a", nil, time.Second); err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{nil, []byte("v")} {
		if err := m.Create(ctx, "state/a", v, time.Hour); !errors.Is(err, ErrExists) {
			t.Fatalf("re-create with value %q: err = %v, want ErrExists", v, err)
		}
	}
	if err := m.Create(ctx, "code/b", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, "code/b", nil, time.Hour); !errors.Is(err, ErrExists) {
		t.Fatalf("marker over a record with a value: err = %v, want ErrExists", err)
	}
	if v, err := m.Get(ctx, "state/a"); err != nil || len(v) != 0 {
		t.Fatalf("live marker: %q, %v", v, err)
	}
	now = now.Add(time.Second)
	if _, err := m.Get(ctx, "state/a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired marker: err = %v, want ErrNotFound", err)
	}
	if err := m.Create(ctx, "state/a", nil, time.Hour); !errors.Is(err, ErrExists) {
		t.Fatalf("expired but retained marker: err = %v, want ErrExists", err)
	}
}

// TestMemoryMarkerBytes bounds what a marker costs in memory, eviction queue included: a
// sign-in leaves two that live for minutes, and that is what an RSS trend under load sees.
func TestMemoryMarkerBytes(t *testing.T) {
	m := NewMemory(nil)
	ctx := context.Background()
	const n = 100_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("state/%d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, k := range keys {
		if err := m.Create(ctx, k, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perMarker := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes a marker", perMarker)
	if perMarker > 72 {
		t.Fatalf("%.0f bytes a marker, want at most 72", perMarker)
	}
	runtime.KeepAlive(m)
	runtime.KeepAlive(keys)
}
