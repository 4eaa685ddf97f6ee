package idmesim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID  = "bridge"
	testSecret    = "bridge-secret"
	testRedirect  = "https://bridge.example.test/callback"
	testLoggedOut = "https://bridge.example.test/logged-out"
	otherClientID = "other"
	otherSecret   = "other-secret"
	otherRedirect = "https://other.example.test/callback"
	testVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

// testClock is a settable clock shared by the simulator and the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness runs one Simulator behind a loopback httptest server.
type harness struct {
	sim   *Simulator
	base  string // BaseURL, including any mount path
	clock *testClock
	http  *http.Client // does not follow redirects: redirect targets are not loopback
}

func newHarness(t *testing.T) *harness {
	return newHarnessAt(t, "")
}

// newHarnessAt mounts the simulator under path (e.g. "/idme"); "" serves it at the root.
func newHarnessAt(t *testing.T, path string) *harness {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + path
	clock := &testClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	sim, err := New(Options{
		BaseURL: base,
		Clients: []Client{
			{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect, testLoggedOut}},
			{ID: otherClientID, Secret: otherSecret, RedirectURIs: []string{otherRedirect}},
		},
		Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(srv.Close)
	return &harness{
		sim:   sim,
		base:  base,
		clock: clock,
		http: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// authorizeParams is a valid authorize request for the test client.
func authorizeParams(scope string) url.Values {
	return url.Values{
		"client_id":     {testClientID},
		"redirect_uri":  {testRedirect},
		"response_type": {"code"},
		"scope":         {scope},
		"state":         {"st-123"},
		"nonce":         {"n-456"},
	}
}

// get performs a GET and returns the response with its body read.
func (h *harness) get(t *testing.T, path string, q url.Values, header http.Header) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := h.tryGet(path, q, header)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// tryGet is get for goroutines, which must not call t.Fatal.
func (h *harness) tryGet(path string, q url.Values, header http.Header) (*http.Response, []byte, error) {
	u := h.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return h.tryDo(req)
}

func (h *harness) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := h.tryDo(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func (h *harness) tryDo(req *http.Request) (*http.Response, []byte, error) {
	resp, err := h.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// redirectQuery asserts a 302 to want and returns the query it carries.
func redirectQuery(t *testing.T, resp *http.Response, want string) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != want {
		t.Fatalf("redirected to %q, want %q", got, want)
	}
	return loc.Query()
}

// code runs the authorize step for a persona and returns the authorization code.
func (h *harness) code(t *testing.T, persona string, q url.Values) string {
	t.Helper()
	q.Set("persona", persona)
	resp, _ := h.get(t, "/oauth/authorize", q, nil)
	got := redirectQuery(t, resp, q.Get("redirect_uri"))
	if got.Get("error") != "" {
		t.Fatalf("authorize error %q: %s", got.Get("error"), got.Get("error_description"))
	}
	if got.Get("state") != q.Get("state") {
		t.Fatalf("state = %q, want %q", got.Get("state"), q.Get("state"))
	}
	if len(got.Get("code")) < 22 { // at least 128 bits, base64url
		t.Fatalf("code %q too short", got.Get("code"))
	}
	return got.Get("code")
}

// tokenForm is a valid token request for a code from authorizeParams.
func tokenForm(code, scope string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {testRedirect},
		"scope":         {scope},
		"client_id":     {testClientID},
		"client_secret": {testSecret},
	}
}

// postToken sends a token request; basic, when non-nil, is {id, secret} for HTTP Basic.
func (h *harness) postToken(t *testing.T, form url.Values, basic []string) (int, map[string]any) {
	t.Helper()
	status, out, err := h.tryPostToken(form, basic)
	if err != nil {
		t.Fatal(err)
	}
	return status, out
}

// tryPostToken is postToken for goroutines.
func (h *harness) tryPostToken(form url.Values, basic []string) (int, map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, h.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, body, err := h.tryDo(req)
	if err != nil {
		return 0, nil, err
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		return 0, nil, fmt.Errorf("token headers: Content-Type %q, Cache-Control %q", ct, cc)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, nil, fmt.Errorf("token body %q: %w", body, err)
	}
	return resp.StatusCode, out, nil
}

// tryFlow runs authorize, token and attributes.json without a *testing.T, for goroutines.
func (h *harness) tryFlow(persona, scope string) error {
	q := authorizeParams(scope)
	q.Set("persona", persona)
	resp, _, err := h.tryGet("/oauth/authorize", q, nil)
	if err != nil {
		return err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		return fmt.Errorf("%s: authorize gave %d %q", persona, resp.StatusCode, resp.Header.Get("Location"))
	}
	status, tok, err := h.tryPostToken(tokenForm(loc.Query().Get("code"), scope), nil)
	if err != nil {
		return err
	}
	access, _ := tok["access_token"].(string)
	if status != http.StatusOK || access == "" {
		return fmt.Errorf("%s: token gave %d %v", persona, status, tok)
	}
	resp, body, err := h.tryGet("/api/public/v3/attributes.json", nil, bearer(access))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":[`) {
		return fmt.Errorf("%s: attributes gave %d %s", persona, resp.StatusCode, body)
	}
	return nil
}

// tokens runs authorize and token for a persona and returns the token response.
func (h *harness) tokens(t *testing.T, persona, scope string) map[string]any {
	t.Helper()
	code := h.code(t, persona, authorizeParams(scope))
	status, out := h.postToken(t, tokenForm(code, scope), nil)
	if status != http.StatusOK {
		t.Fatalf("token status %d: %v", status, out)
	}
	return out
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// wantOAuthError asserts an error answer from the token endpoint.
func wantOAuthError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantCode {
		t.Fatalf("got %d %v, want %d error=%s", status, body, wantStatus, wantCode)
	}
	if d, _ := body["error_description"].(string); d == "" {
		t.Errorf("error_description missing in %v", body)
	}
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
