//go:build !linux

package rsafloor

import "time"

// threadCPU has no per-thread clock here: Measure falls back to wall time.
func threadCPU() (time.Duration, bool) { return 0, false }

var start = time.Now()

// processCPU falls back to wall time where no CPU clock is read.
func processCPU() time.Duration { return time.Since(start) }
