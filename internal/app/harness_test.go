package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/config"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/secrets"
	"idmebridge/internal/secrets/vaulttest"
)

// The relying party the tests play: a B2C tenant.
const (
	rpClientID     = "b2c-contoso"
	rpClientSecret = "rp-secret-value"
	rpRedirectURI  = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"
	rpLogoutURI    = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/signed-out"
	idmeClientID   = "bridge-at-idme"
	idmeSecret     = "idme-secret-value"
	ial2Scope      = "http://idmanagement.gov/ns/assurance/ial/2/aal/2"
)

// world is one bridge, one ID.me simulator, and the HTTP clients a B2C tenant and a browser use.
type world struct {
	t       testing.TB
	bridge  *httptest.Server // TLS: the binding cookie is Secure
	sim     *httptest.Server
	issuer  string
	rp      oauth2.Config
	rpCtx   context.Context // carries the HTTP client that trusts the bridge's test certificate
	browser *http.Client
	clock   *testClock
	// idmeTokenCalls counts code exchanges the bridge made at the simulator.
	idmeTokenCalls *atomic.Int32
	// route picks the instance that serves the next request (-1: round robin).
	route atomic.Int32
	// policies are the B2C model's lookups in each set of policy files a test's tenants run
	// (b2c_model_test.go), shared by the tenants of one test.
	policies map[uintptr]*parsedPolicies
	requests atomic.Int64
	// simFaults, when set, answers requests to the simulator first (true: handled).
	simFaults *atomic.Pointer[simFault]
	// Set on Azure worlds.
	vault     *vaulttest.Vault
	blobs     *cutProxy
	instances []*Bridge
	// started and ready are when the bridge of a world not on Azure was assembled and first
	// found ready (zero when it was not within the wait).
	started, ready time.Time
}

// simFault may answer a request to the simulator itself, to inject a fault.
type simFault func(http.ResponseWriter, *http.Request) bool

// testClock is the bridge's clock, which a test can move forward.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// worldSetup says how to build a world; options change it.
type worldSetup struct {
	env map[string]string
	// azure: secrets in a (fake) Key Vault and records in Blob Storage (Azurite), shared by
	// `instances` bridges behind one issuer, as on Azure Functions.
	azure     bool
	instances int
	// parts adjusts the Parts of a bridge that is not on Azure.
	parts func(*Parts)
	// logger, when set, receives the bridge's log.
	logger *slog.Logger
	// secrets are added to the secret values every world has.
	secrets map[string]string
	// simFault, when set, is in force at the simulator before the bridge starts.
	simFault simFault
	// keyVault puts the secrets of a world not on Azure in a fake Key Vault answering each
	// read after vaultDelay.
	keyVault   bool
	vaultDelay time.Duration
}

type worldOption func(*worldSetup)

// onAzure runs n bridge instances against Key Vault and Blob Storage.
func onAzure(n int) worldOption {
	return func(s *worldSetup) { s.azure, s.instances = true, n }
}

func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	sim := httptest.NewUnstartedServer(nil)
	bridge := httptest.NewUnstartedServer(nil)
	issuer := "https://" + bridge.Listener.Addr().String()
	simulator, err := idmesim.New(idmesim.Options{
		BaseURL: "http://" + sim.Listener.Addr().String(),
		Clients: []idmesim.Client{{ID: idmeClientID, Secret: idmeSecret, RedirectURIs: []string{issuer + "/callback", issuer + "/logout/callback"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tokenCalls := &atomic.Int32{}
	faults := &atomic.Pointer[simFault]{}
	sim.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			tokenCalls.Add(1)
		}
		if f := faults.Load(); f != nil && (*f)(rw, r) {
			return
		}
		simulator.ServeHTTP(rw, r)
	})
	sim.Start()
	t.Cleanup(sim.Close)

	setup := worldSetup{env: map[string]string{
		"BRIDGE_ISSUER":  issuer,
		"IDME_CLIENT_ID": idmeClientID,
		"IDME_BASE_URL":  sim.URL,
		"IDME_TIMEOUT":   "5s",
		"BRIDGE_CLIENTS": fmt.Sprintf(`[{"client_id":%q,"secret_name":"rp-secret","redirect_uris":[%q],"post_logout_redirect_uris":[%q],"idme_scopes":["military","student","teacher","responder","login",%q],"default_idme_scopes":["military"]},
			{"client_id":"other-client","secret_name":"other-secret","redirect_uris":[%q],"idme_scopes":["military"],"default_idme_scopes":["military"],"default_response_mode":"form_post"}]`, rpClientID, rpRedirectURI, rpLogoutURI, ial2Scope, rpRedirectURI),
		"BRIDGE_CODE_TTL": "1m",
	}, instances: 1}
	for _, o := range opts {
		o(&setup)
	}
	if setup.simFault != nil {
		faults.Store(&setup.simFault)
	}
	secretValues := map[string]string{"rp-secret": rpClientSecret, "other-secret": "other-secret-value", "idme-client-secret": idmeSecret,
		"bridge-state-key": "q1KMkq9E8XbB3fJ2+eUQ5cTnxv5QnqX0lJf1ZyWkzX8=", "bridge-signing-keys": testKeySet(t)}
	for k, v := range setup.secrets {
		secretValues[k] = v
	}
	clock := &testClock{}
	w := &world{t: t, bridge: bridge, sim: sim, issuer: issuer, clock: clock, idmeTokenCalls: tokenCalls, simFaults: faults}
	var handlers []http.Handler
	if setup.azure {
		handlers = w.startAzureInstances(setup, secretValues)
	} else {
		parts := Parts{Secrets: secrets.Map(secretValues), Now: clock.Now, Logger: setup.logger}
		if setup.keyVault {
			w.vault = vaulttest.New(secretValues)
			w.vault.SetDelay(setup.vaultDelay)
			setup.env["BRIDGE_KEY_VAULT_URL"] = vaulttest.URL
			parts.Secrets, parts.Credential, parts.KeyVaultTransport = nil, vaulttest.Credential(), w.vault.Transport()
		}
		parts.Config = loadConfig(t, setup.env)
		if setup.parts != nil {
			setup.parts(&parts)
		}
		w.started = time.Now()
		b, err := New(t.Context(), parts)
		if err != nil {
			t.Fatal(err)
		}
		go b.Run(t.Context())
		// The first sign-in of a test should find the bridge as it is in service: secrets
		// loaded and ID.me's metadata fetched (some worlds are never ready: with secrets at
		// hand, this waits for the ID.me step only).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if ok, _ := b.Ready(); ok {
				w.ready = time.Now()
				break
			}
			if b.upstreamWarm.get() && !setup.keyVault {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the bridge's start-up did not end within 10s")
			}
		}
		handlers = []http.Handler{b.Handler()}
	}
	w.route.Store(-1)
	bridge.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		i := int(w.route.Load())
		if i < 0 { // round robin, like a load balancer with no affinity
			i = int(w.requests.Add(1)) % len(handlers)
		}
		handlers[i].ServeHTTP(rw, r)
	})
	bridge.StartTLS()
	t.Cleanup(bridge.Close)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{
		Jar:       jar,
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bridge.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}},
		// The test follows redirects itself, to see each hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rpHTTP := bridge.Client()
	rpHTTP.Timeout = 10 * time.Second
	w.browser = browser
	w.rpCtx = oidc.ClientContext(context.Background(), rpHTTP)
	w.rp = oauth2.Config{
		ClientID: rpClientID, ClientSecret: rpClientSecret, RedirectURL: rpRedirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	return w
}

func loadConfig(t testing.TB, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testKeySet(t testing.TB) string {
	t.Helper()
	set, err := sharedTestKeySet()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// authResponse is what the bridge sent back to the relying party's redirect URI.
type authResponse struct {
	status int
	params url.Values
}

// signIn runs the browser's part: authorize at the bridge, pick a persona at the simulator,
// come back to the bridge's callback, and read what it returns to the relying party.
func (w *world) signIn(authorizeURL, persona string) authResponse {
	w.t.Helper()
	resp := w.get(authorizeURL)
	if resp.StatusCode != http.StatusFound {
		return w.toRP(resp)
	}
	idmeURL := resp.Header.Get("Location")
	if !strings.HasPrefix(idmeURL, w.sim.URL+"/oauth/authorize?") {
		w.t.Fatalf("bridge redirected to %s, want the simulator's authorize endpoint", idmeURL)
	}
	resp = w.get(idmeURL + "&persona=" + url.QueryEscape(persona))
	if resp.StatusCode == http.StatusOK {
		// The persona has not satisfied the policy: like ID.me, the simulator offers only to decline.
		resp.Body.Close()
		resp = w.get(idmeURL + "&persona=cancel")
	}
	if resp.StatusCode != http.StatusFound {
		w.t.Fatalf("simulator answered %d", resp.StatusCode)
	}
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, w.issuer+"/callback?") {
		w.t.Fatalf("simulator redirected to %s, want the bridge callback", callback)
	}
	return w.toRP(w.get(callback))
}

func (w *world) get(u string) *http.Response {
	w.t.Helper()
	resp, err := w.browser.Get(u)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// toRP decodes the bridge's answer to the relying party: a form_post page or a query redirect.
// Anything else (an error page) comes back with no params.
func (w *world) toRP(resp *http.Response) authResponse {
	w.t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := authResponse{status: resp.StatusCode, params: url.Values{}}
	switch {
	case resp.StatusCode == http.StatusFound:
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Scheme+"://"+loc.Host+loc.Path != rpRedirectURI {
			w.t.Fatalf("redirected to %s, not the registered redirect URI", loc)
		}
		out.params = loc.Query()
	case resp.StatusCode == http.StatusOK && formAction.Match(body):
		if got := html.UnescapeString(string(formAction.FindSubmatch(body)[1])); got != rpRedirectURI {
			w.t.Fatalf("form_post action %q, want %q", got, rpRedirectURI)
		}
		for _, m := range hiddenInput.FindAllSubmatch(body, -1) {
			out.params.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
		}
	}
	return out
}

// authorizeURL is what B2C would send the browser to.
func (w *world) authorizeURL(scope, state, nonce string, extra ...oauth2.AuthCodeOption) string {
	rp := w.rp
	rp.Scopes = strings.Fields(scope)
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.SetAuthURLParam("response_mode", "form_post")}, extra...)
	return rp.AuthCodeURL(state, opts...)
}

// verifier checks id_tokens the way B2C does: issuer, audience, RS256, signature from JWKS.
func (w *world) verifier() *oidc.IDTokenVerifier {
	w.t.Helper()
	p, err := oidc.NewProvider(w.rpCtx, w.issuer)
	if err != nil {
		w.t.Fatal(err)
	}
	return p.Verifier(&oidc.Config{ClientID: rpClientID, SupportedSigningAlgs: []string{oidc.RS256}})
}

// redeem posts the code to the token endpoint with client_secret_post.
func (w *world) redeem(code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	return w.rp.Exchange(w.rpCtx, code, opts...)
}

// postForm posts a raw form to a bridge path, for negative tests.
func (w *world) postForm(path string, form url.Values, basicUser, basicPass string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := w.bridge.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
