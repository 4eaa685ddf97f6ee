// Package storetest is the contract every store.Store implementation must meet, written once
// and run against each backend (memory, and Blob Storage on Azurite), so the backends cannot
// drift apart on what "single use" means.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idmebridge/internal/store"
)

// Factory returns a new, empty store whose records expire by now. Each call must give a store
// that shares no records with the stores of earlier calls.
type Factory func(t *testing.T, now func() time.Time) store.Store

// Clock is a settable clock safe to read from many goroutines.
type Clock struct{ unixNano atomic.Int64 }

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock {
	c := &Clock{}
	c.unixNano.Store(time.Unix(1_700_000_000, 0).UnixNano())
	return c
}

// Now reads the clock.
func (c *Clock) Now() time.Time { return time.Unix(0, c.unixNano.Load()) }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.unixNano.Add(int64(d)) }

// Run runs the whole contract against stores from newStore, each case on its own store.
func Run(t *testing.T, newStore Factory) {
	cases := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"create once", testCreateOnce},
		{"concurrent create has exactly one winner", testConcurrentCreate},
		{"get after expiry is not found", testGetAfterExpiry},
		{"create after expiry is still refused", testCreateAfterExpiry},
		{"values are copied", testValuesCopied},
		{"cancelled context", testCancelledContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore) })
	}
}

// neither reports an error callers must treat as a failure, not as an answer.
func neither(err error) bool {
	return err != nil && !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrNotFound)
}

func testCreateOnce(t *testing.T, newStore Factory) {
	s := newStore(t, NewClock().Now)
	ctx := context.Background()
	if err := s.Create(ctx, "code/once", []byte("v1"), time.Minute); err != nil {
		t.Fatalf("first create: %v", err)
	}
	if err := s.Create(ctx, "code/once", []byte("v2"), time.Minute); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: err = %v, want ErrExists", err)
	}
	expectValue(t, s, "code/once", "v1")
	if _, err := s.Get(ctx, "code/absent"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get of a key never written: err = %v, want ErrNotFound", err)
	}
}

func testConcurrentCreate(t *testing.T, newStore Factory) {
	s := newStore(t, nil)
	const n = 32
	var wins, exists atomic.Int32
	var others []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.Create(context.Background(), "code/race", []byte{byte(i)}, time.Minute)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrExists):
				exists.Add(1)
			default:
				mu.Lock()
				others = append(others, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || exists.Load() != n-1 || len(others) != 0 {
		t.Fatalf("%d creates won, %d refused, other errors %v; want 1 and %d", wins.Load(), exists.Load(), others, n-1)
	}
}

func testGetAfterExpiry(t *testing.T, newStore Factory) {
	clk := NewClock()
	s := newStore(t, clk.Now)
	ctx := context.Background()
	if err := s.Create(ctx, "code/k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute - time.Millisecond)
	expectValue(t, s, "code/k", "v")
	clk.Advance(time.Millisecond)
	if _, err := s.Get(ctx, "code/k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get at expiry: err = %v, want ErrNotFound", err)
	}
}

// testCreateAfterExpiry is single use independent of clocks: an expired record still takes
// its key, so an instance whose clock runs ahead cannot write it again.
func testCreateAfterExpiry(t *testing.T, newStore Factory) {
	clk := NewClock()
	s := newStore(t, clk.Now)
	ctx := context.Background()
	if err := s.Create(ctx, "redeemed/k", []byte("old"), time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if err := s.Create(ctx, "redeemed/k", []byte("new"), time.Minute); !errors.Is(err, store.ErrExists) {
		t.Fatalf("create over an expired record: err = %v, want ErrExists", err)
	}
	if _, err := s.Get(ctx, "redeemed/k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get of the expired record: err = %v, want ErrNotFound", err)
	}
}

func testValuesCopied(t *testing.T, newStore Factory) {
	s := newStore(t, nil)
	ctx := context.Background()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for i, want := range [][]byte{nil, {}, all, []byte(`{"sub":"ü"}`), bytes.Repeat([]byte("0123456789abcdef"), 4096)} {
		key := fmt.Sprintf("value/%d", i)
		in := append([]byte(nil), want...)
		if err := s.Create(ctx, key, in, time.Minute); err != nil {
			t.Fatalf("value %d: create: %v", i, err)
		}
		for j := range in {
			in[j] ^= 0xff // the caller reuses its buffer
		}
		got, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("value %d: got %d bytes (err %v), want the %d bytes written", i, len(got), err, len(want))
		}
		for j := range got {
			got[j] ^= 0xff // the caller edits what it read
		}
		if again, err := s.Get(ctx, key); err != nil || !bytes.Equal(again, want) {
			t.Fatalf("value %d: a caller's edit of a read reached the store (err %v)", i, err)
		}
	}
}

func testCancelledContext(t *testing.T, newStore Factory) {
	s := newStore(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Create(ctx, "code/c", []byte("v"), time.Minute); !neither(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("create with a cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, "code/c"); !neither(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("get with a cancelled context: err = %v, want context.Canceled", err)
	}
	if err := s.Create(context.Background(), "code/c", []byte("v"), time.Minute); err != nil {
		t.Fatalf("a cancelled create took the key: %v", err)
	}
}

func expectValue(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil || string(got) != want {
		t.Fatalf("get %s = %q, %v; want %q", key, got, err, want)
	}
}
