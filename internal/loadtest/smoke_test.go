package loadtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/azuritetest"
)

// startLocal runs a bridge and simulator in this process until the test ends.
func startLocal(t *testing.T, o LocalOptions) *Local {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l, err := StartLocal(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := l.Wait(); err != nil {
			t.Errorf("servers: %v", err)
		}
	})
	return l
}

// TestLoadSmoke is the CI run of the load driver: 50 whole sign-ins from 4 users, every one
// of which must succeed, with the process's own figures read from /proc.
func TestLoadSmoke(t *testing.T) {
	l := startLocal(t, LocalOptions{})
	ctx := context.Background()
	d, err := NewDriver(ctx, l.Target, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 50
	res := Load(ctx, d, Options{Users: 4, Count: n, Duration: 20 * time.Second,
		Watch: []Watched{{Name: "this process", PID: os.Getpid()}}})
	if res.Errors != 0 || res.SignIns != n {
		t.Fatalf("%d sign-ins, %d failed: %v", res.SignIns, res.Errors, res.Failures)
	}
	for s := range numSteps {
		if len(res.Steps[s]) != n || percentile(res.Steps[s], 50) <= 0 {
			t.Fatalf("step %s: %d timings", s, len(res.Steps[s]))
		}
	}
	res.RSASign = time.Millisecond
	res.RSASignLoaded, res.RSASignLoadedN = 2*time.Millisecond, 3
	res.RSASignLoadedRange = [2]time.Duration{time.Millisecond, 3 * time.Millisecond}
	p := res.Processes[0]
	if p.CPUErr != nil || p.MemoryErr != nil || p.IdleRSS <= 0 || p.PeakRSS < p.IdleRSS {
		t.Fatalf("process figures: cpu err %v, memory err %v, idle %d, peak %d", p.CPUErr, p.MemoryErr, p.IdleRSS, p.PeakRSS)
	}
	var out bytes.Buffer
	res.Write(&out, 0)
	for _, want := range []string{"50 completed, 0 failed", "callback", "CPU per sign-in", "RSA-2048", "during the load: 2.000 ms (median of 3", "x one measured during the load"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if d.IDmeHost() != strings.TrimPrefix(l.SimURL, "http://") {
		t.Errorf("ID.me host seen %q, simulator at %s", d.IDmeHost(), l.SimURL)
	}
}

// TestLoadBlobRequests counts the Blob Storage requests a sign-in costs, through the
// counting proxy in front of Azurite.
func TestLoadBlobRequests(t *testing.T) {
	conn := azuritetest.Start(t)
	upstream := conn[strings.Index(conn, "BlobEndpoint=")+len("BlobEndpoint="):]
	upstream = strings.TrimSuffix(strings.TrimSuffix(upstream, ";"), "/devstoreaccount1")
	counter, err := StartBlobCounter("127.0.0.1:0", upstream)
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	proxied := strings.Replace(conn, strings.TrimPrefix(upstream, "http://"), counter.Addr(), 1)
	l := startLocal(t, LocalOptions{Settings: map[string]string{"BRIDGE_STORE": "blob", "AzureWebJobsStorage": proxied}})
	ctx := context.Background()
	d, err := NewDriver(ctx, l.Target, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 10
	res := Load(ctx, d, Options{Users: 2, Count: n, Duration: 20 * time.Second, Blobs: counter})
	if res.Errors != 0 || res.SignIns != n {
		t.Fatalf("%d sign-ins, %d failed: %v", res.SignIns, res.Errors, res.Failures)
	}
	if res.BlobRequests <= 0 {
		t.Fatalf("%d Blob requests counted: the bridge's storage did not go through the proxy", res.BlobRequests)
	}
	// One conditional create when the callback consumes the state, one when the token
	// endpoint redeems the code: the minimum for single use across instances.
	if got := float64(res.BlobRequests) / n; got != 2 {
		t.Errorf("Blob requests per sign-in: %.2f, want 2", got)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com", "https://10.0.0.1:8080", "http://127.0.0.1.example.com", "ftp://127.0.0.1", "http://[::ffff:8.8.8.8]"} {
		if _, err := checkLoopback("bridge", u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.8.9.1"} {
		if _, err := checkLoopback("bridge", u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if _, err := NewDriver(context.Background(), Target{Bridge: "http://192.0.2.1", ClientID: "c", ClientSecret: "s", RedirectURI: "https://x"}, 1); err == nil {
		t.Error("driver accepted a non-loopback bridge")
	}
	if _, err := StartBlobCounter("127.0.0.1:0", "http://192.0.2.1:10000"); err == nil {
		t.Error("blob proxy accepted a non-loopback upstream")
	}
	if err := ServeSimulator(context.Background(), SimulatorOptions{Listen: "0.0.0.0:0", Bridge: "http://127.0.0.1:1"}, nil); err == nil {
		t.Error("simulator accepted a non-loopback listen address")
	}
}

func TestPIDListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := pidListening(ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() {
		t.Fatalf("pid %d, err %v; want %d", pid, err, os.Getpid())
	}
	if _, err := procCPU(pid); err != nil {
		t.Fatal(err)
	}
}

func TestParseFormPost(t *testing.T) {
	page := `<!doctype html><html><body><form method="post" action="https://rp.example/cb?x=1&amp;y=2">
<input type="hidden" name="code" value="c&amp;1"><input type="hidden" name="state" value="s &lt;1&gt;">
<noscript><button type="submit">Continue</button></noscript></form><input name="outside" value="no"></body></html>`
	f, err := parseFormPost(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if f.Action != "https://rp.example/cb?x=1&y=2" || f.Fields.Get("code") != "c&1" || f.Fields.Get("state") != "s <1>" || f.Fields.Has("outside") {
		t.Fatalf("parsed %+v", f)
	}
	for _, bad := range []string{`<p>no form</p>`, `<form method="get" action="x"></form>`} {
		if _, err := parseFormPost(strings.NewReader(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestLoadCommand runs the command as an operator would, against the pair in this process:
// the bridge's process is found by its port.
func TestLoadCommand(t *testing.T) {
	l := startLocal(t, LocalOptions{})
	var out, errOut bytes.Buffer
	args := []string{"-bridge", l.Target.Bridge, "-client-id", l.Target.ClientID, "-client-secret", l.Target.ClientSecret,
		"-redirect-uri", l.Target.RedirectURI, "-n", "20", "-users", "2", "-warmup", "0", "-duration", "20s"}
	if err := Run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"20 completed, 0 failed", "bridge (pid ", "CPU per sign-in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	refused := [][]string{
		{"-client-secret", "s", "-bridge", "http://203.0.113.9:8080"},
		{"-client-secret", "s", "-duration", "2h"},
		{"-client-secret", "s", "-n", "0"},
		{"-bridge", l.Target.Bridge},
	}
	for _, a := range refused {
		if err := Run(context.Background(), a, &out, &errOut); err == nil {
			t.Errorf("%v accepted", a)
		}
	}
}
