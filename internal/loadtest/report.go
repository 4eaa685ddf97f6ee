package loadtest

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// trendWindow is how much of the start and of the end of the measured run the RSS trend
// compares.
const trendWindow = 10 * time.Second

// RSSTrend compares the mean resident set over the first and the last trendWindow after the
// warm-up. ok is false when the run was too short to have both windows apart.
func (p ProcessResult) RSSTrend(warmup, elapsed time.Duration) (first, last int64, ok bool) {
	if elapsed-warmup < 2*trendWindow {
		return 0, 0, false
	}
	var sumFirst, sumLast, nFirst, nLast int64
	for _, s := range p.RSS {
		switch {
		case s.At >= warmup && s.At < warmup+trendWindow:
			sumFirst += s.RSS
			nFirst++
		case s.At > elapsed-trendWindow:
			sumLast += s.RSS
			nLast++
		}
	}
	if nFirst == 0 || nLast == 0 {
		return 0, 0, false
	}
	return sumFirst / nFirst, sumLast / nLast, true
}

// CPUPerSignIn is the process's CPU time per sign-in over the measured window.
func (r Result) CPUPerSignIn(p ProcessResult) (time.Duration, bool) {
	if p.CPUErr != nil || r.MeasuredSignIns == 0 {
		return 0, false
	}
	return p.CPU / time.Duration(r.MeasuredSignIns), true
}

// Write prints the result for a person.
func (r Result) Write(w io.Writer, warmup time.Duration) {
	rate := func(n int, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return float64(n) / d.Seconds()
	}
	fmt.Fprintf(w, "sign-ins: %d completed, %d failed in %s (%.1f/s)\n", r.SignIns, r.Errors, r.Elapsed.Round(time.Millisecond), rate(r.SignIns, r.Elapsed))
	fmt.Fprintf(w, "measured window (after %s warm-up): %d sign-ins in %s (%.1f/s)\n", warmup, r.MeasuredSignIns, r.Measured.Round(time.Millisecond), rate(r.MeasuredSignIns, r.Measured))
	fmt.Fprintf(w, "\n%-10s %9s %9s %9s\n", "step", "p50", "p95", "p99")
	row := func(name string, ds []time.Duration) {
		fmt.Fprintf(w, "%-10s %9s %9s %9s\n", name, ms(percentile(ds, 50)), ms(percentile(ds, 95)), ms(percentile(ds, 99)))
	}
	for s := range numSteps {
		row(s.String(), r.Steps[s])
	}
	row("total", r.Totals)
	r.writeAdded(w)
	fmt.Fprintf(w, "\none RSA-2048 PKCS#1 v1.5 signature, measured in this run: %s CPU", ms(r.RSASign))
	if lo, hi := r.RSASignRange[0], r.RSASignRange[1]; hi > 0 {
		fmt.Fprintf(w, " (median of measurements before and after the load, %s to %s)", ms(lo), ms(hi))
	}
	if r.RSASignLoaded > 0 {
		fmt.Fprintf(w, "; during the load: %s (median of %d, %s to %s)", ms(r.RSASignLoaded), r.RSASignLoadedN,
			ms(r.RSASignLoadedRange[0]), ms(r.RSASignLoadedRange[1]))
	}
	fmt.Fprintln(w)
	for _, p := range r.Processes {
		fmt.Fprintf(w, "\n%s (pid %d)\n", p.Name, p.PID)
		if per, ok := r.CPUPerSignIn(p); ok && r.RSASign > 0 {
			fmt.Fprintf(w, "  CPU per sign-in: %s = %.2f x one RSA-2048 signature", ms(per), float64(per)/float64(r.RSASign))
			if r.RSASignLoaded > 0 {
				fmt.Fprintf(w, " (%.2f x one measured during the load)", float64(per)/float64(r.RSASignLoaded))
			}
			fmt.Fprintf(w, " (%s over %d sign-ins)\n", p.CPU.Round(time.Millisecond), r.MeasuredSignIns)
		} else if p.CPUErr != nil {
			fmt.Fprintf(w, "  CPU: %v\n", p.CPUErr)
		}
		if p.MemoryErr != nil {
			fmt.Fprintf(w, "  memory: %v\n", p.MemoryErr)
			continue
		}
		fmt.Fprintf(w, "  RSS before the load: %s; peak (VmHWM): %s\n", mb(p.IdleRSS), mb(p.PeakRSS))
		if first, last, ok := p.RSSTrend(warmup, r.Elapsed); ok {
			fmt.Fprintf(w, "  RSS first 10 s after warm-up: %s; last 10 s: %s (%+.1f%%)\n", mb(first), mb(last), 100*(float64(last)/float64(first)-1))
		} else {
			fmt.Fprintf(w, "  RSS trend: run shorter than warm-up + 20 s\n")
		}
	}
	if r.BlobRequests >= 0 && r.MeasuredSignIns > 0 {
		fmt.Fprintf(w, "\nBlob requests per sign-in: %.2f (%d requests over %d sign-ins)\n",
			float64(r.BlobRequests)/float64(r.MeasuredSignIns), r.BlobRequests, r.MeasuredSignIns)
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\nfailures:\n")
		msgs := make([]string, 0, len(r.Failures))
		for m := range r.Failures {
			msgs = append(msgs, m)
		}
		sort.Slice(msgs, func(i, j int) bool { return r.Failures[msgs[i]] > r.Failures[msgs[j]] })
		for _, m := range msgs {
			fmt.Fprintf(w, "  %6d  %s\n", r.Failures[m], m)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// writeAdded reports the bridge's latency beyond the delays injected into its calls: per step
// the driver timed (authorize, callback, token), in total, and per stage the bridge logged.
func (r Result) writeAdded(w io.Writer) {
	if r.Rate > 0 {
		fmt.Fprintf(w, "\nstarted at %.0f sign-ins/s; %d started more than 10 ms late (every user busy)\n", r.Rate, r.Late)
	}
	in := r.Injected
	if in.Zero() {
		return
	}
	per := in.PerStep()
	var total time.Duration
	for _, s := range bridgeSteps {
		total += per[s]
	}
	fmt.Fprintf(w, "\ninjected round trips per sign-in: ID.me %d x %s, Storage %d x %s = %s (the browser's own trip to ID.me is not counted: the bridge does not wait on it)\n",
		in.IDmeTrips, in.IDmeRTT, in.StorageTrips, in.StorageRTT, total)
	fmt.Fprintf(w, "%-22s %10s %10s %10s %10s %14s %14s\n", "bridge-added", "injected", "p50", "p95", "p99", "added p50", "added p99")
	added := func(name string, inj time.Duration, ds []time.Duration) {
		if len(ds) == 0 {
			return
		}
		p50, p95, p99 := percentile(ds, 50), percentile(ds, 95), percentile(ds, 99)
		fmt.Fprintf(w, "%-22s %10s %10s %10s %10s %14s %14s\n", name, ms(inj), ms(p50), ms(p95), ms(p99), ms(p50-inj), ms(p99-inj))
	}
	for _, s := range bridgeSteps {
		added(s.String(), per[s], r.Steps[s])
	}
	added("bridge total", total, r.Bridge)
	if a := r.UpstreamAnswer(); a > 0 {
		// A mean cannot be taken from a percentile, so these are shown beside the figures
		// above, which include them, rather than subtracted.
		fmt.Fprintf(w, "upstreams' own answer times, included above (mean per exchange, the browser's at ID.me too, seen at the delaying proxies): ID.me %s, Storage %s\n",
			ms(in.IDmeAnswer), ms(in.StorageAnswer))
	}
	if len(r.Stages) == 0 {
		return
	}
	fmt.Fprintf(w, "per stage, from the bridge's outcome events (whole ms as logged, rounded down):\n")
	for _, name := range stageOrder {
		added(name, stageInjected(name, in), r.Stages[name])
	}
}

// AddedP99 is the bridge's latency beyond the injected round trips at the 99th percentile,
// over the steps it answers.
func (r Result) AddedP99() time.Duration {
	per := r.Injected.PerStep()
	var total time.Duration
	for _, s := range bridgeSteps {
		total += per[s]
	}
	return percentile(r.Bridge, 99) - total
}

// UpstreamAnswer is the mean time per sign-in the simulator and Azurite spent answering the
// bridge's calls: part of the measured latency that is neither the network nor the bridge.
func (r Result) UpstreamAnswer() time.Duration {
	in := r.Injected
	return time.Duration(in.IDmeTrips)*in.IDmeAnswer + time.Duration(in.StorageTrips)*in.StorageAnswer
}
