package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Addresses no test may reach: the documentation ranges of RFC 5737 (192.0.2.0/24,
// 203.0.113.0/24) and RFC 3849 (2001:db8::/32), and the reserved .invalid name (RFC 2606).
// recordingDial never dials them anyway.
var offMachine = []string{"192.0.2.1:9", "203.0.113.9:8080", "[2001:db8::1]:443", "idme.invalid:443", "127.0.0.1.invalid:80", "0.0.0.0:9"}

// recordingDial records every address it is asked for. Loopback addresses are dialled for real
// (the fakes below listen there); anything else is refused here, never dialled.
type recordingDial struct {
	mu    sync.Mutex
	addrs []string
}

var errNotDialled = errors.New("recorded, not dialled")

func (r *recordingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.addrs = append(r.addrs, addr)
	r.mu.Unlock()
	if host, _, err := net.SplitHostPort(addr); err == nil && (host == "127.0.0.1" || host == "::1") {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return nil, fmt.Errorf("%s: %w", addr, errNotDialled)
}

func (r *recordingDial) offLoopback() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var off []string
	for _, a := range r.addrs {
		if host, _, _ := net.SplitHostPort(a); host != "127.0.0.1" && host != "::1" {
			off = append(off, a)
		}
	}
	return off
}

// fakeBridge answers discovery and JWKS on loopback, and sends /authorize wherever the test
// says; /idme is a persona picker page whose link goes wherever the test says.
func fakeBridge(t *testing.T, authorizeTo, personaHref *string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"keys":[]}`)) })
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.ReplaceAll(*authorizeTo, "{bridge}", srv.URL), http.StatusFound)
	})
	mux.HandleFunc("GET /idme", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<html><body><a href="%s">Veteran</a></body></html>`, *personaHref)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func testTarget(bridge string) Target {
	return Target{Bridge: bridge, ClientID: "c", ClientSecret: "s", RedirectURI: "https://rp.example/cb"}
}

// TestDialRefusesOffMachine checks the dial layer on its own: a request straight to an address
// off this machine, with no redirect involved, is refused before the dialler sees it, on the
// very transport the driver uses.
func TestDialRefusesOffMachine(t *testing.T) {
	to, href := "", ""
	srv := fakeBridge(t, &to, &href)
	rec := &recordingDial{}
	d, err := newDriver(t.Context(), testTarget(srv.URL), 1, rec.dial)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	client := &http.Client{Transport: d.transport}
	for _, addr := range offMachine {
		t.Run(addr, func(t *testing.T) {
			resp, err := client.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s answered %d", addr, resp.StatusCode)
			}
			if errors.Is(err, errNotDialled) || !strings.Contains(err.Error(), "is not on loopback") {
				t.Errorf("GET %s: %v, want the loopback refusal before any dial", addr, err)
			}
		})
	}
	if off := rec.offLoopback(); len(off) != 0 {
		t.Errorf("the dialler was asked for %v", off)
	}
	resp, err := client.Get(srv.URL + "/jwks")
	if err != nil {
		t.Fatalf("loopback refused: %v", err)
	}
	resp.Body.Close()
}

// TestRedirectRefusesOffMachine checks the redirect layer on its own: with a dialler that
// would connect anywhere, a redirect (or a persona link) off this machine is refused by the
// driver before it makes the request, so the dialler is never asked for it.
func TestRedirectRefusesOffMachine(t *testing.T) {
	for _, addr := range offMachine {
		for _, via := range []string{"redirect from /authorize", "persona link at ID.me"} {
			t.Run(via+" to "+addr, func(t *testing.T) {
				to, href := "http://"+addr+"/oauth/authorize", ""
				if via == "persona link at ID.me" {
					to, href = "{bridge}/idme", "http://"+addr+"/oauth/authorize?persona=veteran"
				}
				srv := fakeBridge(t, &to, &href)
				rec := &recordingDial{}
				d, err := newDriver(t.Context(), testTarget(srv.URL), 1, rec.dial)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				d.transport.DialContext = rec.dial // the dial layer out of the way
				_, err = d.SignIn(t.Context())
				if err == nil || !strings.Contains(err.Error(), "not on loopback") || errors.Is(err, errNotDialled) {
					t.Errorf("SignIn: %v, want a refusal of %s", err, addr)
				}
				if off := rec.offLoopback(); len(off) != 0 {
					t.Errorf("the driver asked to dial %v", off)
				}
			})
		}
	}
}

// TestCheckRedirect checks the redirect rule itself, one target at a time.
func TestCheckRedirect(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/authorize")
	for _, tt := range []struct {
		location string
		ok       bool
	}{
		{"http://127.0.0.1:9001/oauth/authorize", true},
		{"http://localhost:9001/x", true},
		{"http://[::1]:9001/x", true},
		{"/callback?code=c", true},
		{"http://192.0.2.1/cb", false},
		{"//192.0.2.1/cb", false},
		{"https://[2001:db8::1]/cb", false},
		{"http://localhost.invalid/cb", false},
		{"http://127.0.0.1.invalid/cb", false},
		{"http://0.0.0.0:9/cb", false},
	} {
		loc, err := base.Parse(tt.location)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkRedirect(loc); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want allowed %v", tt.location, err, tt.ok)
		}
	}
}
