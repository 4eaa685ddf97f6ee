package app

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idmebridge/internal/azuritetest"
	"idmebridge/internal/secrets/vaulttest"
)

// startAzureInstances starts n bridges sharing one fake Key Vault and one Azurite (reached
// through a proxy the test can cut), all with the same settings and issuer.
func (w *world) startAzureInstances(setup worldSetup, secretValues map[string]string) []http.Handler {
	t := w.t
	t.Helper()
	conn := azuritetest.Start(t)
	w.blobs = newCutProxy(t, blobAddress(t, conn))
	conn = strings.Replace(conn, blobAddress(t, conn), w.blobs.addr(), 1)
	w.vault = vaulttest.New(secretValues)
	env := setup.env
	env["BRIDGE_KEY_VAULT_URL"] = vaulttest.URL
	env["BRIDGE_STORE"] = "blob"
	env["BRIDGE_SECRETS_REFRESH"] = "1s"
	env["AzureWebJobsStorage"] = conn
	cfg := loadConfig(t, env)
	var handlers []http.Handler
	for range setup.instances {
		b, err := New(t.Context(), Parts{
			Config:            cfg,
			Credential:        vaulttest.Credential(),
			KeyVaultTransport: w.vault.Transport(),
			Now:               w.clock.Now,
			Logger:            setup.logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		go b.Run(t.Context())
		w.instances = append(w.instances, b)
		handlers = append(handlers, b.Handler())
	}
	w.waitReady(10 * time.Second)
	return handlers
}

// waitReady waits until every instance is ready.
func (w *world) waitReady(limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for _, b := range w.instances {
		for {
			ok, why := b.Ready()
			if ok {
				break
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("instance not ready after %s: %s", limit, why)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// blobAddress is host:port of the blob endpoint in an Azurite connection string.
func blobAddress(t testing.TB, conn string) string {
	t.Helper()
	for _, part := range strings.Split(conn, ";") {
		if v, ok := strings.CutPrefix(part, "BlobEndpoint=http://"); ok {
			host, _, _ := strings.Cut(v, "/")
			return host
		}
	}
	t.Fatalf("no BlobEndpoint in %q", conn)
	return ""
}

// cutProxy forwards TCP on loopback to a target and can be cut: while down it closes every
// connection, so clients see storage as unreachable.
type cutProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	// requests counts the HTTP requests that went through to storage.
	requests atomic.Int64
	// hang holds new connections open without answering: storage that accepts and stalls.
	hang atomic.Bool
}

// setHang makes storage stall (true) or answer again (false).
func (p *cutProxy) setHang(hang bool) {
	p.hang.Store(hang)
	if hang {
		p.closeAll()
	}
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// setDown cuts (true) or restores (false) the connection to storage.
func (p *cutProxy) setDown(down bool) {
	p.down.Store(down)
	if down || p.hang.Swap(false) {
		p.closeAll()
	}
}

func (p *cutProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[c] = struct{}{}
}

func (p *cutProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			in.Close()
			continue
		}
		if p.hang.Load() {
			p.track(in) // closed by closeAll, at cleanup or when the hang ends
			continue
		}
		out, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		p.track(in)
		p.track(out)
		go func() { p.forwardRequests(in, out); out.Close() }()
		go func() { _, _ = io.Copy(in, out); in.Close() }()
	}
}

// forwardRequests copies HTTP requests from in to out one at a time, counting them.
func (p *cutProxy) forwardRequests(in io.Reader, out io.Writer) {
	br := bufio.NewReader(in)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.requests.Add(1)
		if err := req.Write(out); err != nil {
			return
		}
	}
}
