package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeUnderHostContract starts the handler as the Functions host does (port in
// FUNCTIONS_CUSTOMHANDLER_PORT, settings in the environment), waits for discovery to answer,
// then stops it as the host does on scale-in, and expects a clean exit.
func TestServeUnderHostContract(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	for k, v := range map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"BRIDGE_ISSUER":                "http://127.0.0.1:" + strconv.Itoa(port),
		"IDME_CLIENT_ID":               "idme-app",
		"IDME_CLIENT_SECRET":           "s",
		"BRIDGE_CLIENTS":               `[{"client_id":"b2c","secret_name":"b2c-secret","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
		"B2C_SECRET":                   "t",
		"BRIDGE_ALLOW_EPHEMERAL_KEYS":  "true",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &stdout, &stderr) }()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/openid-configuration"
	// The host wants the port open within about 30 s. The bridge then answers 503 until it is
	// ready, which includes its start-up fetch of ID.me's discovery (here ID.me's sandbox,
	// unreachable offline: the fetch fails, at most after IDME_TIMEOUT, and the bridge becomes
	// ready without it).
	deadline := time.Now().Add(25 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("discovery answered %d", resp.StatusCode)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 25s: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// With no GOGC setting, serve sets the collector's target (run a test with GOGC set and
	// this is skipped, as serve then leaves it alone).
	if os.Getenv("GOGC") == "" {
		if got := debug.SetGCPercent(100); got != defaultGCPercent {
			t.Errorf("GC percent %d after serve started, want %d", got, defaultGCPercent)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("did not stop after cancellation")
	}
	// INFO lines go to stdout, where the host files them as Information.
	for _, msg := range []string{"starting", "bridge listening", "ready", "stopping", "stopped"} {
		if !strings.Contains(stdout.String(), `"msg":"`+msg+`"`) {
			t.Errorf("no %q line on stdout: %s", msg, stdout.String())
		}
	}
	for _, attr := range []string{`"store":"memory"`, `"idme_host":"https://api.idmelabs.com"`, `"client_ids":["b2c"]`, `"secrets":"settings"`, `"signing_kid":"`} {
		if !strings.Contains(stdout.String(), attr) {
			t.Errorf("start-up lines lack %s: %s", attr, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), `"level":"WARN"`) || strings.Contains(stdout.String(), `"level":"ERROR"`) {
		t.Errorf("warnings on stdout: %s", stdout.String())
	}
}

// TestServeWithoutKeysSaysWhatIsMissing: a bridge with no signing key set and no state key
// answers 503 naming both secrets and the commands that make them, and logs the same.
func TestServeWithoutKeysSaysWhatIsMissing(t *testing.T) {
	port := freePort(t)
	for k, v := range map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"BRIDGE_ISSUER":                "http://127.0.0.1:" + strconv.Itoa(port),
		"IDME_CLIENT_ID":               "idme-app",
		"IDME_CLIENT_SECRET":           "s",
		"BRIDGE_CLIENTS":               `[{"client_id":"b2c","secret_name":"b2c-secret","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
		"B2C_SECRET":                   "t",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &stdout, &stderr) }()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/openid-configuration"
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("discovery answered %d without keys: %s", resp.StatusCode, b)
			}
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wants := []string{"the signing key set is missing", "`handler keys new`", "BRIDGE_SIGNING_KEYS",
		"the state key is missing", "`handler keys state`", "BRIDGE_STATE_KEY"}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("503 body lacks %q: %s", want, body)
		}
	}
	for !strings.Contains(stderr.String(), `"msg":"not ready: `) {
		if time.Now().After(deadline) {
			t.Fatalf("no not-ready line on stderr within 10s: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("not-ready line lacks %q: %s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), `"s"`) || strings.Contains(body, `"t"`) {
		t.Errorf("a secret value leaked: %s %s", stderr.String(), body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestServeWithInvalidSettingsLogsWhy: settings serve refuses are logged as one JSON ERROR line
// on stderr naming every problem (what Application Insights files at Error level), before the
// process exits.
func TestServeWithInvalidSettingsLogsWhy(t *testing.T) {
	for k, v := range map[string]string{
		"BRIDGE_ISSUER":         "https://bridge.example.com",
		"IDME_CLIENT_ID":        "replace-with-your-idme-sandbox-client-id",
		"BRIDGE_CLAIM_MAPPINGS": "military_rank",
		"BRIDGE_CLIENTS":        `[{"client_id":"b2c","secret_name":"b2c-secret","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
	} {
		t.Setenv(k, v)
	}
	var stdout, stderr syncBuffer
	if code := run(context.Background(), []string{"serve"}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d with invalid settings", code)
	}
	var line string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "{") {
			line = l
			break
		}
	}
	for _, want := range []string{`"level":"ERROR"`, `"msg":"not starting: invalid settings"`, "IDME_CLIENT_ID still holds the sample's placeholder",
		"BRIDGE_CLAIM_MAPPINGS", "AzureWebJobsStorage__accountName", "handler check"} {
		if !strings.Contains(line, want) {
			t.Errorf("the JSON error line lacks %q: %q (stderr: %s)", want, line, stderr.String())
		}
	}
	if stdout.String() != "" {
		t.Errorf("stdout: %s", stdout.String())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for a logger writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
