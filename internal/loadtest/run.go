package loadtest

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options bound and observe a load run.
type Options struct {
	Users    int           // concurrent virtual users
	Count    int           // sign-ins to start at most
	Duration time.Duration // wall time at most
	// Warmup is excluded from CPU, memory-trend and Blob figures (connections, first fetches).
	Warmup time.Duration
	// Watch are the processes whose CPU and memory are reported (the bridge, the simulator).
	Watch []Watched
	// Blobs, when set, counts the bridge's Blob Storage requests.
	Blobs *BlobCounter
	// Sample is how often memory is sampled; zero means one second.
	Sample time.Duration
	// Rate, when positive, starts sign-ins at this many per second (open loop, as users
	// arrive) instead of each user starting the next as soon as the last ends; Users then
	// bounds how many run at once.
	Rate float64
	// Injected is the network delay put in front of ID.me and Storage, to be taken out of
	// the bridge's latency in the report.
	Injected Injection
	// Events, when set, collects the stage durations the bridge logs.
	Events *StageEvents
	// IDmeDelay and StorageDelay, when set, are the delaying proxies, which also see how long
	// the simulator and Azurite take to answer.
	IDmeDelay, StorageDelay *DelayProxy
}

// Injection is the round-trip time added to each call the bridge makes to ID.me and to
// Storage, and how many such calls one sign-in makes.
type Injection struct {
	IDmeRTT, StorageRTT     time.Duration
	IDmeTrips, StorageTrips int
	// IDmeAnswer and StorageAnswer are the mean time the simulator and Azurite took to answer
	// an exchange, seen at the proxies (zero when not seen).
	IDmeAnswer, StorageAnswer time.Duration
}

// Zero is true when nothing was injected.
func (i Injection) Zero() bool { return i.IDmeRTT == 0 && i.StorageRTT == 0 }

// PerStep is the delay injected into each step the driver times: the callback makes the
// token exchange and the attributes call to ID.me and consumes the state in Storage; the
// token endpoint burns the code in Storage. (Storage trips beyond those two, if a store made
// them, are counted in the callback.)
func (i Injection) PerStep() Timings {
	var t Timings
	if i.StorageTrips > 0 {
		t[StepToken] = i.StorageRTT
	}
	t[StepCallback] = time.Duration(i.IDmeTrips)*i.IDmeRTT + time.Duration(max(i.StorageTrips-1, 0))*i.StorageRTT
	return t
}

// bridgeSteps are the steps the bridge answers (the rest is the browser at ID.me).
var bridgeSteps = [...]Step{StepAuthorize, StepCallback, StepToken}

// Watched is a process to observe.
type Watched struct {
	Name string
	PID  int
}

// Result is what a run measured.
type Result struct {
	SignIns  int            // completed without error
	Errors   int            // failed sign-ins
	Failures map[string]int // error text -> count
	Elapsed  time.Duration
	Steps    [numSteps][]time.Duration // per completed sign-in
	Totals   []time.Duration
	// Bridge is, per sign-in, the time of the steps the bridge answers (authorize, callback,
	// token), injected delays included.
	Bridge []time.Duration
	// Late counts sign-ins started more than 10 ms after their turn at -rate, every user
	// being busy: the rate was not held when it is not zero.
	Late     int
	Rate     float64
	Injected Injection
	Stages   map[string][]time.Duration // from the bridge's events, when collected

	// Measured after the warm-up (or over the whole run when it ended before).
	Measured        time.Duration
	MeasuredSignIns int
	Processes       []ProcessResult
	BlobRequests    int64 // -1 when not counted
	// RSASign is one RSA-2048 signature measured in this run (CPU time), and the range of the
	// measurements its median was taken from.
	RSASign      time.Duration
	RSASignRange [2]time.Duration
	// RSASignLoaded is the median of the signatures measured while the load ran (one burst a
	// second, beside it), and their range: what a signature cost on the machine as the load
	// found it. Zero when none was measured.
	RSASignLoaded      time.Duration
	RSASignLoadedRange [2]time.Duration
	RSASignLoadedN     int
}

// ProcessResult is one watched process's figures.
type ProcessResult struct {
	Watched
	CPU       time.Duration // user+system over the measured window
	IdleRSS   int64         // before the load
	PeakRSS   int64         // VmHWM at the end
	RSS       []RSSSample
	CPUErr    error
	MemoryErr error
}

// RSSSample is the resident set at a moment of the run.
type RSSSample struct {
	At  time.Duration // since the start
	RSS int64
}

// Load drives sign-ins from o.Users concurrent users until o.Count have started or o.Duration
// has passed, whichever is first.
func Load(ctx context.Context, d *Driver, o Options) Result {
	o.Users = max(o.Users, 1)
	if o.Sample <= 0 {
		o.Sample = time.Second
	}
	res := Result{Failures: map[string]int{}, BlobRequests: -1}
	procs := make([]ProcessResult, len(o.Watch))
	for i, w := range o.Watch {
		procs[i].Watched = w
		procs[i].IdleRSS, _, procs[i].MemoryErr = procMemory(w.PID)
	}

	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()

	// The measured window opens at the end of the warm-up.
	// The measured window opens at the end of the warm-up; a run that ends first is measured
	// from its start.
	type snapshot struct {
		at      time.Time
		cpu     []time.Duration
		blobs   int64
		signIns int
	}
	var mu sync.Mutex
	take := func(at time.Time) *snapshot {
		s := &snapshot{at: at, cpu: make([]time.Duration, len(procs)), signIns: res.SignIns}
		for i, p := range procs {
			s.cpu[i], procs[i].CPUErr = procCPU(p.PID)
		}
		if o.Blobs != nil {
			s.blobs = o.Blobs.Requests()
		}
		return s
	}
	atStart := take(start)
	var window *snapshot
	if o.Warmup <= 0 {
		window = atStart
	}

	var started atomic.Int64
	var wg sync.WaitGroup
	// turns, at -rate, hands each sign-in its start time; closed when the run ends.
	var turns chan time.Time
	if o.Rate > 0 {
		turns = make(chan time.Time, o.Users)
		interval := time.Duration(float64(time.Second) / o.Rate)
		go func() {
			defer close(turns)
			next := time.Now()
			for n := 0; o.Count <= 0 || n < o.Count; n++ {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				select {
				case turns <- next:
				case <-ctx.Done():
					return
				}
				next = next.Add(interval)
			}
		}()
	}
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		tick := time.NewTicker(o.Sample)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				mu.Lock()
				if window == nil && now.Sub(start) >= o.Warmup {
					window = take(now)
				}
				mu.Unlock()
				for i := range procs {
					if rss, _, err := procMemory(procs[i].PID); err == nil {
						mu.Lock()
						procs[i].RSS = append(procs[i].RSS, RSSSample{At: now.Sub(start), RSS: rss})
						mu.Unlock()
					}
				}
			}
		}
	}()
	for range o.Users {
		wg.Go(func() {
			for ctx.Err() == nil && (o.Count <= 0 || started.Add(1) <= int64(o.Count)) {
				late := false
				if turns != nil {
					turn, ok := <-turns
					if !ok {
						return
					}
					late = time.Since(turn) > 10*time.Millisecond
				}
				tm, err := d.SignIn(ctx)
				if ctx.Err() != nil && err != nil {
					return // cut off by the time bound, not a failure
				}
				mu.Lock()
				if err != nil {
					res.Errors++
					res.Failures[err.Error()]++
				} else {
					res.SignIns++
					var total time.Duration
					for s, t := range tm {
						res.Steps[s] = append(res.Steps[s], t)
						total += t
					}
					res.Totals = append(res.Totals, total)
					var bridge time.Duration
					for _, s := range bridgeSteps {
						bridge += tm[s]
					}
					res.Bridge = append(res.Bridge, bridge)
				}
				if late {
					res.Late++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	end := time.Now()
	cancel()
	<-sampleDone

	mu.Lock()
	defer mu.Unlock()
	if window == nil {
		window = atStart
	}
	res.Elapsed = end.Sub(start)
	res.Measured = end.Sub(window.at)
	res.MeasuredSignIns = res.SignIns - window.signIns
	for i := range procs {
		if procs[i].CPUErr == nil {
			cpu, err := procCPU(procs[i].PID)
			procs[i].CPU, procs[i].CPUErr = cpu-window.cpu[i], err
		}
		if _, peak, err := procMemory(procs[i].PID); err == nil {
			procs[i].PeakRSS = peak
		}
	}
	res.Processes = procs
	res.Rate, res.Injected = o.Rate, o.Injected
	if o.IDmeDelay != nil {
		res.Injected.IDmeAnswer, _ = o.IDmeDelay.AnswerTime()
	}
	if o.StorageDelay != nil {
		res.Injected.StorageAnswer, _ = o.StorageDelay.AnswerTime()
	}
	if o.Events != nil {
		res.Stages = o.Events.Stages()
	}
	if o.Blobs != nil {
		res.BlobRequests = o.Blobs.Requests() - window.blobs
	}
	return res
}

// percentile is the p-th percentile (0-100) of ds by nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
