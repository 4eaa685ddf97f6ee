package rsafloor

import (
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
