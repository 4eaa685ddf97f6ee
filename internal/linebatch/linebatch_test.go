package linebatch

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder keeps each write it is given, separately.
type recorder struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), r.err
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func TestBatches(t *testing.T) {
	tests := []struct {
		name     string
		delay    time.Duration
		maxBytes int
		lines    []string
		close    bool
		want     []string // the writes the underlying writer saw, in order
	}{
		{"lines within the delay are one write", 50 * time.Millisecond, 1 << 10, []string{"a\n", "b\n", "c\n"}, false, []string{"a\nb\nc\n"}},
		{"a full batch is written at once", time.Hour, 4, []string{"ab\n", "cd\n", "e\n"}, false, []string{"ab\ncd\n"}},
		{"close writes what is held", time.Hour, 1 << 10, []string{"a\n", "b\n"}, true, []string{"a\nb\n"}},
		{"no delay passes every write through", 0, 1 << 10, []string{"a\n", "b\n"}, false, []string{"a\n", "b\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recorder
			w := New(&r, tt.delay, tt.maxBytes)
			for _, l := range tt.lines {
				if n, err := w.Write([]byte(l)); n != len(l) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if tt.close {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for !slices.Equal(r.got(), tt.want) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := r.got(); !slices.Equal(got, tt.want) {
				t.Fatalf("writes %q, want %q", got, tt.want)
			}
		})
	}
}

// Nothing is held longer than the delay, and the timer is armed again after each batch.
func TestDelayBoundsEachLine(t *testing.T) {
	var r recorder
	w := New(&r, 20*time.Millisecond, 1<<10)
	for i, l := range []string{"first\n", "second\n"} {
		start := time.Now()
		_, _ = w.Write([]byte(l))
		for len(r.got()) <= i {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("line %q not written within 5 s", l)
			}
			time.Sleep(time.Millisecond)
		}
		if el := time.Since(start); el < 15*time.Millisecond {
			t.Errorf("line %q written after %s, before the delay", l, el)
		}
	}
}

func TestAfterCloseWritesGoThrough(t *testing.T) {
	var r recorder
	w := New(&r, time.Hour, 1<<10)
	_ = w.Close()
	_, _ = w.Write([]byte("late\n"))
	if got := r.got(); len(got) != 1 || got[0] != "late\n" {
		t.Fatalf("writes %q", got)
	}
}

func TestWriteErrorOfAFullBatchIsReturned(t *testing.T) {
	r := recorder{err: errors.New("pipe closed")}
	w := New(&r, time.Hour, 2)
	if _, err := w.Write([]byte("ab\n")); err == nil {
		t.Fatal("the underlying writer's error was lost")
	}
}

// Many goroutines logging at once lose no line and split none.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = w.Write([]byte(strings.Repeat(string(rune('a'+g)), 20) + "\n"))
			}
		}()
	}
	wg.Wait()
	_ = w.Close()
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		if len(l) != 20 || strings.Count(l, l[:1]) != 20 {
			t.Fatalf("line split or mixed: %q", l)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
