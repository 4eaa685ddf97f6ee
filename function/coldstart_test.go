package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"idmebridge/internal/idmesim"
)

// TestColdStartProcess measures what the Functions host waits for: from starting the handler
// process to its first 200 from discovery, with secrets from settings and an ID.me simulator
// answering after 40 ms (the bridge fetches ID.me's metadata and keys before it is ready). It
// runs once in CI (a smoke check against the host's 30 s start window); for the median of
// several runs:
//
//	COLDSTART_RUNS=9 go test -run TestColdStartProcess -v ./function
func TestColdStartProcess(t *testing.T) {
	runs := 1
	if n, err := strconv.Atoi(os.Getenv("COLDSTART_RUNS")); err == nil && n > 0 {
		runs = n
	}
	bin := filepath.Join(t.TempDir(), "handler")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	secrets := []string{"BRIDGE_SIGNING_KEYS=" + mustRun(t, bin, "keys", "new"), "BRIDGE_STATE_KEY=" + mustRun(t, bin, "keys", "state")}
	// One round trip of 40 ms per request, as from an Azure region to ID.me.
	sim := httptest.NewUnstartedServer(nil)
	simulator, err := idmesim.New(idmesim.Options{BaseURL: "http://" + sim.Listener.Addr().String(),
		Clients: []idmesim.Client{{ID: "idme-app", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var idmeCalls atomic.Int32
	sim.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idmeCalls.Add(1)
		time.Sleep(40 * time.Millisecond)
		simulator.ServeHTTP(w, r)
	})
	sim.Start()
	t.Cleanup(sim.Close)
	secrets = append(secrets, "IDME_BASE_URL="+sim.URL)
	var times []time.Duration
	for range runs {
		times = append(times, startOnce(t, bin, secrets))
	}
	if n := int(idmeCalls.Load()); n != 2*runs {
		t.Fatalf("ID.me answered %d requests over %d start(s), want its discovery and keys once each per start", n, runs)
	}
	slices.Sort(times)
	t.Logf("cold start over %d run(s): median %s, min %s, max %s", runs, times[len(times)/2], times[0], times[len(times)-1])
	if times[len(times)/2] > 5*time.Second {
		t.Fatalf("median cold start %s: too close to the host's 30 s window", times[len(times)/2])
	}
}

func startOnce(t *testing.T, bin string, secrets []string) time.Duration {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(secrets,
		"FUNCTIONS_CUSTOMHANDLER_PORT="+port,
		"BRIDGE_ISSUER=http://127.0.0.1:"+port,
		"IDME_CLIENT_ID=idme-app", "IDME_CLIENT_SECRET=s", "B2C_SECRET=t",
		"BRIDGE_STORE=memory",
		`BRIDGE_CLIENTS=[{"client_id":"b2c","secret_name":"b2c-secret","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
	)
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	for time.Since(start) < 30*time.Second {
		resp, err := client.Get("http://127.0.0.1:" + port + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("no 200 from discovery within 30s")
	return 0
}

func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(out)
}
