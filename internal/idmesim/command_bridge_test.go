package idmesim_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/idmesim"
)

// syncBuffer is a bytes.Buffer the command writes to while the test reads it.
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

// TestSimulatorCommandBacksABridge runs `handler simulator`, gives a bridge exactly the
// settings it printed, and signs in through both: no ID.me account involved.
func TestSimulatorCommandBacksABridge(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	bridgeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bridgeURL := "http://localhost:" + strings.TrimPrefix(bridgeLn.Addr().String(), "127.0.0.1:")

	var stdout, stderr syncBuffer
	simDone := make(chan error, 1)
	go func() { simDone <- idmesim.Run(ctx, []string{"-port", "0", "-bridge", bridgeURL}, &stdout, &stderr) }()
	settings := waitForSettings(t, &stdout)

	const rpRedirect = "http://localhost:1/rp/callback"
	settings["BRIDGE_ISSUER"] = bridgeURL
	settings["BRIDGE_ALLOW_EPHEMERAL_KEYS"] = "true"
	settings["BRIDGE_CLIENTS"] = `[{"client_id":"rp","secret_name":"rp-secret","redirect_uris":["` + rpRedirect + `"],"idme_scopes":["military"]}]`
	settings["RP_SECRET"] = "rp-secret-value"
	lookup := func(k string) (string, bool) { v, ok := settings[k]; return v, ok }
	cfg, err := config.Load(lookup)
	if err != nil {
		t.Fatalf("the printed settings do not make a valid bridge: %v", err)
	}
	bridge, err := app.Build(ctx, app.Parts{Config: cfg, Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	bridgeDone := make(chan error, 1)
	go func() { bridgeDone <- app.Serve(ctx, bridgeLn, bridge, slog.New(slog.DiscardHandler)) }()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := bridgeURL + "/authorize?" + url.Values{
		"client_id": {"rp"}, "redirect_uri": {rpRedirect}, "response_type": {"code"},
		"scope": {"openid military"}, "state": {"s1"}, "nonce": {"n1"},
	}.Encode()
	var final *url.URL
	for hop := 0; hop < 6 && final == nil; hop++ {
		if strings.HasPrefix(next, settings["IDME_BASE_URL"]+"/oauth/authorize") {
			next += "&persona=veteran"
		}
		resp := waitGet(t, browser, next)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if loc == "" {
			t.Fatalf("hop %d: %s answered %d without a redirect", hop, next, resp.StatusCode)
		}
		if strings.HasPrefix(loc, rpRedirect) {
			final, _ = url.Parse(loc)
		}
		next = loc
	}
	if final == nil || final.Query().Get("code") == "" || final.Query().Get("state") != "s1" {
		t.Fatalf("sign-in did not reach the relying party with a code: %v", final)
	}
	// The bridge's bare URL is a page of links, not a 404.
	resp := waitGet(t, browser, bridgeURL+"/")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), bridgeURL+"/.well-known/openid-configuration") {
		t.Errorf("bridge root: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-simDone; err != nil {
		t.Errorf("simulator: %v", err)
	}
	<-bridgeDone
}

// waitForSettings reads the KEY=VALUE lines the command prints once it listens.
func waitForSettings(t *testing.T, out *syncBuffer) map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl+C") {
		if time.Now().After(deadline) {
			t.Fatalf("the simulator printed no settings: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	settings := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		line := strings.Fields(sc.Text())
		if len(line) > 0 {
			if k, v, ok := strings.Cut(line[0], "="); ok && strings.HasPrefix(k, "IDME_") {
				settings[k] = v
			}
		}
	}
	for _, k := range []string{"IDME_BASE_URL", "IDME_CLIENT_ID", "IDME_CLIENT_SECRET"} {
		if settings[k] == "" {
			t.Fatalf("%s not printed: %q", k, out.String())
		}
	}
	return settings
}

// waitGet retries while the bridge finishes starting (it answers 503 until its keys are ready).
func waitGet(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || i == 50 {
			return resp
		}
		resp.Body.Close()
		time.Sleep(20 * time.Millisecond)
	}
}
