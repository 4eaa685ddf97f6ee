package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

const localUsage = `usage: handler loadtest local [flags]

Starts this binary twice more on free loopback ports, as the bridge (serve, keys from settings)
and as the ID.me simulator, drives whole sign-ins against them, reports, and stops both.
With -idme-delay and -storage-delay, a delaying proxy stands in front of the simulator and of
the Blob endpoint, and the report gives the latency the bridge adds beyond those round trips.
`

// runLocal is "loadtest local": this same binary started twice more, as the bridge (`serve`,
// keys from settings, exactly as the Functions host starts it) and as the simulator, on free
// loopback ports; then the load against them; then both stopped. One command to measure.
func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("loadtest local", localUsage)
	alg := fs.String("alg", idmesim.ES256, "the simulator's id_token algorithm: ES256 (light) or RS256 (ID.me's default)")
	storeKind := fs.String("store", "memory", "the bridge's record store: memory, or blob (needs Azurite at -blob-upstream)")
	blobUpstream := fs.String("blob-upstream", "http://127.0.0.1:10000", "Azurite's blob endpoint, for -store blob; \"memory\": a Blob endpoint in this process that answers the store's requests from memory")
	users := fs.Int("users", 8, "concurrent virtual users")
	count := fs.Int("n", maxCount, "sign-ins to run at most (the run also ends at -duration)")
	duration := fs.Duration("duration", 60*time.Second, "time to run at most")
	warmup := fs.Duration("warmup", 5*time.Second, "time excluded from CPU, memory-trend and Blob figures")
	rate := fs.Float64("rate", 0, "start this many sign-ins per second, -users at most at once (0: each user starts the next when the last ends)")
	idmeDelay := fs.Duration("idme-delay", 0, "round-trip time added to every exchange with ID.me (a delaying proxy in front of the simulator)")
	storageDelay := fs.Duration("storage-delay", 0, "round-trip time added to every Blob Storage request (needs -store blob)")
	logLevel := fs.String("log-level", "", "the bridge's BRIDGE_LOG_LEVEL (default: warn, or info with -idme-delay or -storage-delay, whose figures read the bridge's events)")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case *idmeDelay < 0 || *idmeDelay > maxDelay || *storageDelay < 0 || *storageDelay > maxDelay:
		return cli.Usage(fs, stderr, fmt.Errorf("-idme-delay and -storage-delay must be in [0, %s]", maxDelay))
	case *rate < 0 || *rate > maxRate:
		// Checked here as well as by the load, so that nothing is started for nothing.
		return cli.Usage(fs, stderr, fmt.Errorf("-rate must be in [0, %d]", maxRate))
	case *storageDelay > 0 && *storeKind != "blob":
		// The memory store makes no round trip to delay.
		return cli.Usage(fs, stderr, errors.New("-storage-delay needs -store blob"))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("loadtest local: %w", err)
	}
	bridgePort, err1 := freePort()
	simPort, err2 := freePort()
	blobPort, err3 := freePort()
	simInnerPort, err4 := freePort()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("loadtest local: %w", err)
	}
	bridgeURL := "http://127.0.0.1:" + strconv.Itoa(bridgePort)
	simAddr := "127.0.0.1:" + strconv.Itoa(simPort)
	signing, err := keys.NewPrivateSet()
	if err != nil {
		return err
	}
	settings := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(bridgePort),
		"BRIDGE_ISSUER":                bridgeURL,
		"IDME_BASE_URL":                "http://" + simAddr,
		"IDME_CLIENT_ID":               localIDmeClientID,
		"IDME_CLIENT_SECRET":           localIDmeSecret,
		"B2C_SECRET":                   localClientSecret,
		"BRIDGE_SIGNING_KEYS":          string(signing),
		"BRIDGE_STATE_KEY":             seal.NewKey(),
		"BRIDGE_STORE":                 *storeKind,
		"BRIDGE_LOG_LEVEL":             "warn",
		"BRIDGE_CLIENTS": fmt.Sprintf(`[{"client_id":%q,"secret_name":"b2c-secret","redirect_uris":[%q],`+
			`"idme_scopes":["military"],"default_idme_scopes":["military"]}]`, localClientID, localRedirectURI),
	}
	load := []string{"-bridge", bridgeURL, "-client-id", localClientID, "-client-secret", localClientSecret,
		"-redirect-uri", localRedirectURI, "-users", strconv.Itoa(*users), "-n", strconv.Itoa(*count), "-duration", duration.String(), "-warmup", warmup.String(),
		"-rate", strconv.FormatFloat(*rate, 'g', -1, 64)}
	extra := loadExtras{injected: Injection{IDmeRTT: *idmeDelay, StorageRTT: *storageDelay}}
	switch *storeKind {
	case "memory":
	case "blob":
		if *blobUpstream == "memory" {
			fake, err := StartFakeBlob("127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("loadtest local: %w", err)
			}
			defer fake.Close()
			*blobUpstream = fake.URL()
		}
		if _, err := checkLoopback("blob upstream", *blobUpstream); err != nil {
			return err
		}
		blobAddr := "127.0.0.1:" + strconv.Itoa(blobPort)
		settings["AzureWebJobsStorage"] = devStorageVia(blobAddr)
		upstream := *blobUpstream
		if *storageDelay > 0 {
			// bridge -> Blob counter -> delay -> Azurite: a state consumed at the callback and
			// a code burnt at /token, two requests a sign-in (TestLoadBlobRequests holds that).
			u, _ := checkLoopback("blob upstream", upstream)
			delay, err := StartDelayProxy("127.0.0.1:0", u.Host, *storageDelay)
			if err != nil {
				return fmt.Errorf("loadtest local: %w", err)
			}
			defer delay.Close()
			upstream = "http://" + delay.Addr()
			extra.storageDelay = delay
			extra.injected.StorageTrips = 2
		}
		load = append(load, "-blob-listen", blobAddr, "-blob-upstream", upstream)
	default:
		return fmt.Errorf("loadtest local: -store must be memory or blob, not %q", *storeKind)
	}

	if !extra.injected.Zero() {
		// The outcome events (INFO, on stdout) split the callback and token into stages.
		settings["BRIDGE_LOG_LEVEL"] = "info"
	}
	if *logLevel != "" {
		settings["BRIDGE_LOG_LEVEL"] = *logLevel
	}
	simListen := simAddr
	if *idmeDelay > 0 {
		// The simulator listens behind the delay and names itself by the proxy's address, so
		// the bridge's calls and the browser's visits all cross it.
		simListen = "127.0.0.1:" + strconv.Itoa(simInnerPort)
		delay, err := StartDelayProxy(simAddr, simListen, *idmeDelay)
		if err != nil {
			return fmt.Errorf("loadtest local: %w", err)
		}
		defer delay.Close()
		extra.injected.IDmeTrips = 2 // the token exchange and attributes.json
		extra.idmeDelay = delay
	}
	sim := exec.Command(exe, "loadtest", "simulate", "-listen", simListen, "-base-url", "http://"+simAddr, "-bridge", bridgeURL, "-alg", *alg,
		"-client-id", localIDmeClientID, "-for", maxDuration.String())
	sim.Env = append(os.Environ(), "IDME_CLIENT_SECRET="+localIDmeSecret)
	if os.Getenv("GOMAXPROCS") == "" {
		// The simulator is the bridge's load partner: on one thread it wakes no other, which
		// spares the scheduler wake-ups that cost it more than its own work.
		sim.Env = append(sim.Env, "GOMAXPROCS=1")
	}
	sim.Stderr = stderr
	bridge := exec.Command(exe, "serve")
	bridge.Env = os.Environ()
	for k, v := range settings {
		bridge.Env = append(bridge.Env, k+"="+v)
	}
	bridge.Stdout, bridge.Stderr = io.Discard, stderr
	if !extra.injected.Zero() {
		bridge.Stdout = nil
		out, err := bridge.StdoutPipe()
		if err != nil {
			return fmt.Errorf("loadtest local: %w", err)
		}
		extra.events = ReadStageEvents(out)
	}
	// The simulator first: the bridge fetches ID.me's discovery document and keys as it starts.
	if err := sim.Start(); err != nil {
		return fmt.Errorf("loadtest local: start the simulator: %w", err)
	}
	defer stop(sim)
	if err := waitFor(ctx, "http://"+simAddr+"/oidc/.well-known/openid-configuration"); err != nil {
		return fmt.Errorf("loadtest local: simulator: %w", err)
	}
	if err := bridge.Start(); err != nil {
		return fmt.Errorf("loadtest local: start the bridge: %w", err)
	}
	defer stop(bridge)
	fmt.Fprintf(stderr, "bridge pid %d at %s (store %s), simulator pid %d at %s (%s)\n",
		bridge.Process.Pid, bridgeURL, *storeKind, sim.Process.Pid, simAddr, *alg)
	load = append(load, "-pid", strconv.Itoa(bridge.Process.Pid), "-sim-pid", strconv.Itoa(sim.Process.Pid))
	return runLoad(ctx, load, stdout, stderr, extra)
}

// maxDelay bounds the injected round trips: enough for any real path, short of a typo's hours.
const maxDelay = 5 * time.Second

// devStorageVia is Azurite's development connection string with its blob endpoint at addr.
func devStorageVia(addr string) string {
	return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
		"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
		"BlobEndpoint=http://" + addr + "/devstoreaccount1;"
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls u until it answers 200, for up to readyWait.
func waitFor(ctx context.Context, u string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyWait)
	for {
		resp, err := do(ctx, client, http.MethodGet, u, nil)
		if err == nil {
			drain(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends a child process this command started: SIGTERM, then SIGKILL after 5 s.
func stop(c *exec.Cmd) {
	_ = c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.Process.Kill()
		<-done
	}
}
