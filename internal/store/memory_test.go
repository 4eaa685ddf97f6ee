package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryCreateGetExpire(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory(func() time.Time { return now })
	ctx := context.Background()

	if err := m.Create(ctx, "k", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		advance time.Duration
		op      func() error
		want    error
	}{
		{"second create refused", 0, func() error { return m.Create(ctx, "k", []byte("v2"), time.Minute) }, ErrExists},
		{"get live", 0, func() error { return expectValue(m, "k", "v1") }, nil},
		{"get missing", 0, func() error { _, err := m.Get(ctx, "nope"); return err }, ErrNotFound},
		{"get after expiry", time.Minute, func() error { _, err := m.Get(ctx, "k"); return err }, ErrNotFound},
		{"create after expiry", 0, func() error { return m.Create(ctx, "k", []byte("v3"), time.Minute) }, nil},
		{"new value visible", 0, func() error { return expectValue(m, "k", "v3") }, nil},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if err := s.op(); !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
	}
}

func expectValue(m *Memory, key, want string) error {
	got, err := m.Get(context.Background(), key)
	if err != nil {
		return err
	}
	if string(got) != want {
		return errors.New("got " + string(got) + ", want " + want)
	}
	return nil
}

func TestMemoryCreateIsAtomic(t *testing.T) {
	m := NewMemory(nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m.Create(context.Background(), "code", nil, time.Minute) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", wins.Load())
	}
}

func TestMemorySweepDropsExpired(t *testing.T) {
	now := time.Unix(0, 0)
	m := NewMemory(func() time.Time { return now })
	for i := range sweepEvery - 1 {
		_ = m.Create(context.Background(), string(rune('a'+i%26))+time.Duration(i).String(), nil, time.Second)
	}
	now = now.Add(time.Hour)
	_ = m.Create(context.Background(), "last", nil, time.Second)
	if len(m.records) != 1 {
		t.Fatalf("after sweep %d records remain, want 1", len(m.records))
	}
}
