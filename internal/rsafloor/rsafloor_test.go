package rsafloor

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	d, err := Measure(10 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// An RSA-2048 signature takes between tens of microseconds (fast hardware) and tens of
	// milliseconds (a slow emulator); outside that the measurement is broken.
	if d < 10*time.Microsecond || d > 100*time.Millisecond {
		t.Fatalf("one signature measured at %s", d)
	}
}

// During measures until its context ends, once per interval, and returns the measurements in
// order (the load test reports their median).
func TestDuring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	got, err := During(ctx, 50*time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("During ran %s after its context ended", time.Since(start))
	}
	if len(got) == 0 || !slices.IsSorted(got) {
		t.Fatalf("measurements %v: want at least one, sorted", got)
	}
	for _, d := range got {
		if d < 10*time.Microsecond || d > 100*time.Millisecond {
			t.Fatalf("one signature measured at %s", d)
		}
	}
}
