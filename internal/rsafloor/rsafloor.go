// Package rsafloor measures the cost of one RSA-2048 PKCS#1 v1.5 signature (SHA-256, key
// precomputed) on this machine, now. A sign-in cannot cost less than the one signature B2C
// requires, so benchmarks and the load driver report their numbers as multiples of it: a ratio
// survives a change of machine where a raw duration does not.
package rsafloor

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Key is a fresh precomputed RSA-2048 key, for benchmarks that sign through the floor directly.
func Key() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("rsafloor: generate key: %w", err)
	}
	k.Precompute()
	return k, nil
}

// Sign makes one signature of a SHA-256 digest with k.
func Sign(k *rsa.PrivateKey, digest []byte) error {
	_, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest)
	return err
}

// Measure signs repeatedly for at least d (and at least 20 times) on one locked OS thread and
// returns the CPU time of one signature: the thread's own CPU clock where the system has one
// (Linux), so other work on a busy machine does not inflate it; wall time elsewhere.
func Measure(d time.Duration) (time.Duration, error) {
	k, err := Key()
	if err != nil {
		return 0, err
	}
	return measureWith(k, d)
}

// measureWith is Measure with a key made beforehand.
func measureWith(k *rsa.PrivateKey, d time.Duration) (time.Duration, error) {
	digest := sha256.Sum256([]byte("floor"))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, haveCPU := threadCPU()
	n := 0
	start := time.Now()
	for n < 20 || time.Since(start) < d {
		if err := Sign(k, digest[:]); err != nil {
			return 0, fmt.Errorf("rsafloor: sign: %w", err)
		}
		n++
	}
	elapsed := time.Since(start)
	if cpu1, ok := threadCPU(); ok && haveCPU && cpu1 > cpu0 {
		elapsed = cpu1 - cpu0
	}
	return elapsed / time.Duration(n), nil
}

// Sample is n measurements of d each, sorted: the median (Sample[n/2]) holds still when other
// work on the machine disturbs one of them.
func Sample(n int, d time.Duration) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		m, err := Measure(d)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.Sort(out)
	return out, nil
}

var (
	once  sync.Once
	floor time.Duration
	err   error
)

// Floor is Measure(300ms), measured once per process.
func Floor() (time.Duration, error) {
	once.Do(func() { floor, err = Measure(300 * time.Millisecond) })
	return floor, err
}

// Metric units a Meter reports.
const (
	UnitCPU   = "cpu-ns/op"        // process CPU time (user + system) per operation
	UnitRatio = "rsa2048-signs/op" // the same, as a multiple of one RSA-2048 signature
)

// Meter measures the CPU time the whole process (every goroutine: servers, GC) spends on a
// benchmark's operations. CPU time, unlike wall time, holds still on a machine busy with
// other work, and it is what an instance pays for.
type Meter struct {
	b       *testing.B
	used    time.Duration
	since   time.Duration
	running bool
}

// StartMeter starts measuring; call it just before the benchmark loop.
func StartMeter(b *testing.B) *Meter {
	m := &Meter{b: b}
	m.Resume()
	return m
}

// Pause stops counting, for set-up inside the loop (beside b.StopTimer).
func (m *Meter) Pause() {
	if m.running {
		m.used += processCPU() - m.since
		m.running = false
	}
}

// Resume counts again (beside b.StartTimer).
func (m *Meter) Resume() {
	if !m.running {
		m.since = processCPU()
		m.running = true
	}
}

// Report adds cpu-ns/op and rsa2048-signs/op to the result; call it after the loop.
func (m *Meter) Report() {
	m.b.Helper()
	m.Pause()
	f, err := Floor()
	if err != nil {
		m.b.Fatal(err)
	}
	if m.b.N == 0 || f <= 0 {
		return
	}
	perOp := float64(m.used) / float64(m.b.N)
	m.b.ReportMetric(perOp, UnitCPU)
	m.b.ReportMetric(perOp/float64(f), UnitRatio)
}

// During measures one signature every interval (for about burst each time) until ctx is done,
// and returns the measurements sorted. A load test runs it beside the load: the machine's
// speed drifts over a run (on a shared virtual machine by a third or more), and a signature
// measured while the load runs costs what the load's own signatures cost.
func During(ctx context.Context, interval, burst time.Duration) ([]time.Duration, error) {
	k, err := Key()
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			slices.Sort(out)
			return out, nil
		case <-t.C:
		}
		m, err := measureWith(k, burst)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
}
