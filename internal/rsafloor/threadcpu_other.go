//go:build !linux

package rsafloor

import "time"

// threadCPU has no per-thread clock here: Measure falls back to wall time.
func threadCPU() (time.Duration, bool) { return 0, false }
