// Package loadtest drives whole sign-ins against a running bridge and ID.me simulator on this
// machine, as browsers and a relying party would, and reports what they cost: sign-ins per
// second, latency per step, and the bridge's CPU per sign-in beside one RSA-2048 signature
// measured in the same run, its memory over time, and its Blob Storage round trips.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/rsafloor"
)

const usage = `usage: handler loadtest [flags]            drive sign-ins against a running bridge and simulator
       handler loadtest simulate [flags]   run the ID.me simulator alone, for the bridge to call
       handler loadtest local [flags]      start both from this binary, drive them, stop them

Everything runs on loopback; other targets are refused. "handler loadtest local -h" and
"handler loadtest simulate -h" describe those two.
`

// Bounds no flag can exceed, so a typo cannot start an endless run.
const (
	maxDuration = 30 * time.Minute
	maxCount    = 10_000_000
	maxUsers    = 512
	maxRate     = 10_000
)

// Run is the loadtest command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runLoad(ctx, args, stdout, stderr, loadExtras{})
}

// loadExtras are what "loadtest local" knows of the pair it started and passes to the load:
// the delays it put in front of ID.me and Storage, and the bridge's events.
type loadExtras struct {
	injected                Injection
	events                  *StageEvents
	idmeDelay, storageDelay *DelayProxy
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer, extra loadExtras) error {
	if len(args) > 0 && args[0] == "simulate" {
		return runSimulator(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "local" {
		return runLocal(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "help" {
		args = append(args[1:], "-h") // "help local" is "local -h"
		return Run(ctx, args, stdout, stderr)
	}
	fs := cli.NewFlagSet("loadtest", usage)
	var t Target
	fs.StringVar(&t.Bridge, "bridge", "http://127.0.0.1:8080", "the bridge's issuer URL (loopback)")
	fs.StringVar(&t.ClientID, "client-id", "b2c", "the relying party's client_id at the bridge")
	fs.StringVar(&t.ClientSecret, "client-secret", "", "the relying party's client secret (required)")
	fs.StringVar(&t.RedirectURI, "redirect-uri", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp",
		"the relying party's registered redirect URI (never contacted)")
	fs.StringVar(&t.Scope, "scope", "openid", "scope the relying party asks for")
	fs.StringVar(&t.Persona, "persona", "veteran", "simulator persona who signs in")
	users := fs.Int("users", 8, "concurrent virtual users")
	count := fs.Int("n", maxCount, "sign-ins to run at most (the run also ends at -duration)")
	duration := fs.Duration("duration", 60*time.Second, "time to run at most")
	warmup := fs.Duration("warmup", 5*time.Second, "time excluded from CPU, memory-trend and Blob figures")
	pid := fs.Int("pid", 0, "the bridge's process id (0: the process listening on the bridge's port)")
	simPID := fs.Int("sim-pid", 0, "the simulator's process id (0: the process listening on its port; -1: none)")
	blobListen := fs.String("blob-listen", "", "count Blob requests: listen here (e.g. 127.0.0.1:10100) and point the bridge's AzureWebJobsStorage at it")
	blobUpstream := fs.String("blob-upstream", "http://127.0.0.1:10000", "Azurite's blob endpoint, behind the counting proxy")
	rate := fs.Float64("rate", 0, "start this many sign-ins per second, -users at most at once (0: each user starts the next when the last ends)")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case t.ClientSecret == "":
		return cli.Usage(fs, stderr, errors.New("-client-secret is required"))
	case *duration <= 0 || *duration > maxDuration:
		return cli.Usage(fs, stderr, fmt.Errorf("-duration must be in (0, %s]", maxDuration))
	case *count < 1 || *count > maxCount:
		return cli.Usage(fs, stderr, fmt.Errorf("-n must be in [1, %d]", maxCount))
	case *users < 1 || *users > maxUsers:
		return cli.Usage(fs, stderr, fmt.Errorf("-users must be in [1, %d]", maxUsers))
	case *rate < 0 || *rate > maxRate:
		return cli.Usage(fs, stderr, fmt.Errorf("-rate must be in [0, %d]", maxRate))
	}

	o := Options{Users: *users, Count: *count, Duration: *duration, Warmup: *warmup, Rate: *rate,
		Injected: extra.injected, Events: extra.events, IDmeDelay: extra.idmeDelay, StorageDelay: extra.storageDelay}
	if *blobListen != "" {
		counter, err := StartBlobCounter(*blobListen, *blobUpstream)
		if err != nil {
			return err
		}
		defer counter.Close()
		o.Blobs = counter
		fmt.Fprintf(stderr, "counting Blob requests on %s -> %s\n", counter.Addr(), *blobUpstream)
	}
	d, err := NewDriver(ctx, t, *users)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	defer d.Close()
	// One sign-in first: a set-up problem fails here, once, with its reason.
	if _, err := d.SignIn(ctx); err != nil {
		return fmt.Errorf("loadtest: first sign-in: %w", err)
	}
	bridgePID, err := watchedPID(*pid, t.Bridge)
	if err != nil {
		return fmt.Errorf("loadtest: bridge process: %w", err)
	}
	o.Watch = append(o.Watch, Watched{Name: "bridge", PID: bridgePID})
	if *simPID >= 0 {
		if sp, err := watchedPID(*simPID, "http://"+d.IDmeHost()); err == nil && sp != bridgePID {
			o.Watch = append(o.Watch, Watched{Name: "simulator", PID: sp})
		} else if err != nil {
			fmt.Fprintf(stderr, "simulator not watched: %v\n", err)
		}
	}
	if !extra.injected.Zero() {
		// The driver and the delaying proxies share the machine with the pair: their CPU is
		// part of what the latency figures wait on.
		o.Watch = append(o.Watch, Watched{Name: "driver and delaying proxies", PID: os.Getpid()})
	}
	// The signature is measured before and after the load, and the median taken.
	before, err := rsafloor.Sample(3, 150*time.Millisecond)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "running up to %d sign-ins from %d users for at most %s\n", *count, *users, *duration)
	// Beside the load after its warm-up, one burst of signatures a second (about 2% of one core).
	loadedCtx, stopLoaded := context.WithCancel(ctx)
	loaded := make(chan []time.Duration, 1)
	go func() {
		select { // the warm-up is not measured, here as for the processes' CPU
		case <-time.After(*warmup):
		case <-loadedCtx.Done():
			loaded <- nil
			return
		}
		m, err := rsafloor.During(loadedCtx, time.Second, 0)
		if err != nil {
			fmt.Fprintf(stderr, "signature during the load not measured: %v\n", err)
		}
		loaded <- m
	}()
	res := Load(ctx, d, o)
	stopLoaded()
	if m := <-loaded; len(m) > 0 {
		res.RSASignLoaded, res.RSASignLoadedN = m[len(m)/2], len(m)
		res.RSASignLoadedRange = [2]time.Duration{m[0], m[len(m)-1]}
	}
	after, err := rsafloor.Sample(3, 150*time.Millisecond)
	if err != nil {
		return err
	}
	all := append(before, after...)
	slices.Sort(all)
	res.RSASign, res.RSASignRange = all[len(all)/2], [2]time.Duration{all[0], all[len(all)-1]}
	res.Write(stdout, *warmup)
	if res.SignIns == 0 {
		return errors.New("loadtest: no sign-in completed")
	}
	return nil
}

// watchedPID is pid when given, else the process listening on the URL's port.
func watchedPID(pid int, rawURL string) (int, error) {
	if pid > 0 {
		return pid, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return 0, err
	}
	return pidListening(n)
}
