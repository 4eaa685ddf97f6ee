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
`

// runLocal is "loadtest local": this same binary started twice more, as the bridge (`serve`,
// keys from settings, exactly as the Functions host starts it) and as the simulator, on free
// loopback ports; then the load against them; then both stopped. One command to measure.
func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("loadtest local", localUsage)
	alg := fs.String("alg", idmesim.ES256, "the simulator's id_token algorithm: ES256 (light) or RS256 (ID.me's default)")
	storeKind := fs.String("store", "memory", "the bridge's record store: memory, or blob (needs Azurite at -blob-upstream)")
	blobUpstream := fs.String("blob-upstream", "http://127.0.0.1:10000", "Azurite's blob endpoint, for -store blob")
	users := fs.Int("users", 8, "concurrent virtual users")
	count := fs.Int("n", maxCount, "sign-ins to run at most (the run also ends at -duration)")
	duration := fs.Duration("duration", 60*time.Second, "time to run at most")
	warmup := fs.Duration("warmup", 5*time.Second, "time excluded from CPU, memory-trend and Blob figures")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("loadtest local: %w", err)
	}
	bridgePort, err1 := freePort()
	simPort, err2 := freePort()
	blobPort, err3 := freePort()
	if err := errors.Join(err1, err2, err3); err != nil {
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
		"-redirect-uri", localRedirectURI, "-users", strconv.Itoa(*users), "-n", strconv.Itoa(*count), "-duration", duration.String(), "-warmup", warmup.String()}
	switch *storeKind {
	case "memory":
	case "blob":
		if _, err := checkLoopback("blob upstream", *blobUpstream); err != nil {
			return err
		}
		blobAddr := "127.0.0.1:" + strconv.Itoa(blobPort)
		settings["AzureWebJobsStorage"] = devStorageVia(blobAddr)
		load = append(load, "-blob-listen", blobAddr, "-blob-upstream", *blobUpstream)
	default:
		return fmt.Errorf("loadtest local: -store must be memory or blob, not %q", *storeKind)
	}

	sim := exec.Command(exe, "loadtest", "simulate", "-listen", simAddr, "-bridge", bridgeURL, "-alg", *alg,
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
	for _, c := range []*exec.Cmd{sim, bridge} {
		if err := c.Start(); err != nil {
			return fmt.Errorf("loadtest local: start %v: %w", c.Args[1:], err)
		}
		defer stop(c)
	}
	if err := waitFor(ctx, "http://"+simAddr+"/oidc/.well-known/openid-configuration"); err != nil {
		return fmt.Errorf("loadtest local: simulator: %w", err)
	}
	fmt.Fprintf(stderr, "bridge pid %d at %s (store %s), simulator pid %d at %s (%s)\n",
		bridge.Process.Pid, bridgeURL, *storeKind, sim.Process.Pid, simAddr, *alg)
	load = append(load, "-pid", strconv.Itoa(bridge.Process.Pid), "-sim-pid", strconv.Itoa(sim.Process.Pid))
	return Run(ctx, load, stdout, stderr)
}

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
