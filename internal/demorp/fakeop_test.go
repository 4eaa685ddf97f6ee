package demorp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

const (
	testClientID = "b2c-demo"
	testSecret   = "b2c-demo-secret"
	testKeyID    = "bridge-key-1"
)

// testClock is a settable clock shared by the fake OP and the RP.
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

// testUser is the person every code from the fake OP is issued for, with claims shaped like the
// bridge's: strings, a list and booleans.
func testUser() map[string]any {
	return map[string]any{
		"sub":                    "6c1c2a4e-1d0e-4f57-9c64-6f4d3e0b9a11",
		"given_name":             "Ada",
		"family_name":            "Lovelace",
		"email":                  "ada@example.test",
		"idme_groups":            []string{"military", "student"},
		"idme_subgroups":         []string{"Veteran"},
		"idme_military_verified": true,
		"idme_teacher_verified":  false,
	}
}

// codeGrant is what the fake OP remembers about a code it issued.
type codeGrant struct {
	clientID, redirectURI, nonce string
}

// tokenFailure makes the token endpoint answer with an OAuth error.
type tokenFailure struct {
	status            int
	code, description string
}

// fakeOP is the smallest OpenID provider the RP can sign in against: discovery, JWKS, a token
// endpoint that signs RS256 id_tokens with jwx, and a JSON userinfo endpoint. Its authorize
// step is played by the test (issueCode), since there is no user to click anything.
type fakeOP struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string
	key    jwk.Key // private, with kid
	clock  *testClock

	mu                  sync.Mutex
	codes               map[string]codeGrant
	userinfo            map[string]map[string]any // access token -> claims
	discoveryFailures   int                       // answer discovery with 503 this many more times
	advertiseIssParam   bool
	signAlg             jwa.SignatureAlgorithm
	mutateIDToken       func(claims map[string]any)
	mutateUserInfo      func(claims map[string]any)
	failToken           *tokenFailure
	lastTokenForm       url.Values
	lastTokenAuthHeader string
}

func newFakeOP(t *testing.T, clock *testClock) *fakeOP {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Set(jwk.KeyIDKey, testKeyID); err != nil {
		t.Fatal(err)
	}
	op := &fakeOP{
		t:                 t,
		key:               key,
		clock:             clock,
		codes:             make(map[string]codeGrant),
		userinfo:          make(map[string]map[string]any),
		advertiseIssParam: true,
		signAlg:           jwa.RS256,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("GET /userinfo", op.userInfo)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	op.issuer = op.srv.URL
	return op
}

func (op *fakeOP) set(f func(op *fakeOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func (op *fakeOP) discovery(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	fail := op.discoveryFailures > 0
	if fail {
		op.discoveryFailures--
	}
	advertise := op.advertiseIssParam
	op.mu.Unlock()
	if fail {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         op.issuer,
		"authorization_endpoint":                         op.issuer + "/authorize",
		"token_endpoint":                                 op.issuer + "/token",
		"userinfo_endpoint":                              op.issuer + "/userinfo",
		"jwks_uri":                                       op.issuer + "/jwks",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query", "form_post"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_post"},
		"authorization_response_iss_parameter_supported": advertise,
	})
}

func (op *fakeOP) jwks(w http.ResponseWriter, r *http.Request) {
	pub, err := jwk.PublicKeyOf(op.key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = pub.Set(jwk.KeyUsageKey, "sig")
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256)
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	writeJSON(w, http.StatusOK, set)
}

// issueCode plays the bridge's authorize step for the request in authURL and returns the state
// to echo and a code the token endpoint will redeem once.
func (op *fakeOP) issueCode(authURL string) (state, code string) {
	op.t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		op.t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != op.issuer+"/authorize" {
		op.t.Fatalf("login redirected to %s, want the authorization endpoint", got)
	}
	q := u.Query()
	code = rand.Text()
	op.set(func(op *fakeOP) {
		op.codes[code] = codeGrant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce")}
	})
	return q.Get("state"), code
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	op.lastTokenForm = r.PostForm
	op.lastTokenAuthHeader = r.Header.Get("Authorization")
	if f := op.failToken; f != nil {
		writeJSON(w, f.status, map[string]string{"error": f.code, "error_description": f.description})
		return
	}
	if r.PostForm.Get("client_id") != testClientID || r.PostForm.Get("client_secret") != testSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	grant, ok := op.codes[code]
	delete(op.codes, code)
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" ||
		grant.clientID != testClientID || r.PostForm.Get("redirect_uri") != grant.redirectURI {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}

	now := op.clock.Now()
	claims := testUser()
	claims["iss"] = op.issuer
	claims["aud"] = testClientID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(5 * time.Minute).Unix()
	claims["nonce"] = grant.nonce
	if op.mutateIDToken != nil {
		op.mutateIDToken(claims)
	}
	idToken, err := op.sign(claims)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": err.Error()})
		return
	}

	access := rand.Text()
	info := testUser()
	if op.mutateUserInfo != nil {
		op.mutateUserInfo(info)
	}
	op.userinfo[access] = info
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   300,
		"id_token":     idToken,
	})
}

func (op *fakeOP) sign(claims map[string]any) (string, error) {
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			return "", err
		}
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(op.signAlg, op.key))
	return string(signed), err
}

func (op *fakeOP) userInfo(w http.ResponseWriter, r *http.Request) {
	access, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	info, found := op.userinfo[access]
	op.mu.Unlock()
	if !ok || !found {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeConnector records B2C's call and answers with reply.
type fakeConnector struct {
	mu     sync.Mutex
	user   string
	pass   string
	hasBA  bool
	body   map[string]any
	status int
	reply  map[string]any
}

func (c *fakeConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user, c.pass, c.hasBA = r.BasicAuth()
	c.body = nil
	_ = json.NewDecoder(r.Body).Decode(&c.body)
	writeJSON(w, c.status, c.reply)
}

// seen fails the test unless each needle is in text (or, with present false, is not).
func seen(t *testing.T, what, text string, present bool, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if strings.Contains(text, n) != present {
			t.Errorf("%s: %q present %v, want %v:\n%s", what, n, !present, present, text)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serveForm posts form to h at target, as a browser submits a form_post page.
func serveForm(h http.Handler, target string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// after is text from marker on (all of it when marker is missing).
func after(text, marker string) string {
	if i := strings.Index(text, marker); i >= 0 {
		return text[i:]
	}
	return text
}

// isGUID reports the shape of an object id: 36 characters, four hyphens.
func isGUID(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }
