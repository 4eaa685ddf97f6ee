package idme

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// fakeIDme is an ID.me stand-in with real OIDC discovery and JWKS, whose token endpoint
// answers with whatever id_token the test mints, so go-oidc does the verification.
type fakeIDme struct {
	t      *testing.T
	srv    *httptest.Server
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey

	mu         sync.Mutex
	idToken    string
	attributes string
	tokenCalls int
	dataCalls  int

	// stallJWKS makes the JWKS endpoint hang mid-body until the client gives up (or the test ends).
	stallJWKS   atomic.Bool
	garbageJWKS atomic.Bool // answer 200 with a body that is not JSON
	release     chan struct{}
}

const fakeClientID = "bridge-at-idme"

func newFakeIDme(t *testing.T) *fakeIDme {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIDme{t: t, rsaKey: rk, ecKey: ek, release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		iss := f.srv.URL + "/oidc"
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "authorization_endpoint": f.srv.URL + "/oauth/authorize", "token_endpoint": f.srv.URL + "/oauth/token",
			"jwks_uri": iss + "/.well-known/jwks", "id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /oidc/.well-known/jwks", func(w http.ResponseWriter, r *http.Request) {
		if f.garbageJWKS.Load() {
			_, _ = w.Write([]byte("<html>maintenance</html>"))
			return
		}
		if f.stallJWKS.Load() {
			// Headers at once, then a body that never comes: no header timeout helps.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"keys":[`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-f.release:
			}
			return
		}
		set := jwk.NewSet()
		for kid, k := range map[string]any{"rsa": &rk.PublicKey, "ec": &ek.PublicKey} {
			pub, _ := jwk.FromRaw(k)
			_ = pub.Set(jwk.KeyIDKey, kid)
			_ = pub.Set(jwk.KeyUsageKey, "sig")
			_ = set.AddKey(pub)
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.tokenCalls++
		tok := f.idToken
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-1", "token_type": "bearer", "expires_in": 300, "id_token": tok})
	})
	mux.HandleFunc("GET /api/public/v3/attributes.json", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.dataCalls++
		body := f.attributes
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.release) }) // runs first: a stalled handler ends before Close waits on it
	f.attributes = `{"attributes":[{"handle":"uuid","value":"user-1"},{"handle":"fname","value":"Ada"}],"status":[{"group":"military","subgroups":["Veteran"],"verified":true}]}`
	return f
}

func (f *fakeIDme) issuer() string { return f.srv.URL + "/oidc" }

// claims are a valid id_token's claims for the nonce, before a test alters them.
func (f *fakeIDme) claims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": f.issuer(), "sub": "user-1", "aud": fakeClientID, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
}

// sign signs claims with ID.me's RSA (RS256) or EC (ES256) key.
func (f *fakeIDme) sign(claims map[string]any, alg string) string {
	f.t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			f.t.Fatal(err)
		}
	}
	var key jwk.Key
	var err error
	switch alg {
	case "RS256":
		key, err = jwk.FromRaw(f.rsaKey)
		_ = key.Set(jwk.KeyIDKey, "rsa")
	case "ES256":
		key, err = jwk.FromRaw(f.ecKey)
		_ = key.Set(jwk.KeyIDKey, "ec")
	}
	if err != nil {
		f.t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.SignatureAlgorithm(alg), key))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(signed)
}

// forgeNone is an unsigned token (alg none).
func forgeNone(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// forgeHS256 signs with HMAC keyed by ID.me's public RSA key: the classic algorithm confusion.
func (f *fakeIDme) forgeHS256(claims map[string]any) string {
	f.t.Helper()
	pub, err := x509.MarshalPKIXPublicKey(&f.rsaKey.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	p, _ := json.Marshal(claims)
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, "rsa")
	signed, err := jws.Sign(p, jws.WithKey(jwa.HS256, pub, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(signed)
}

// otherKeySigned is a well-formed RS256 token under a key ID.me never published, kid "rsa".
func otherKeySigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	key, _ := jwk.FromRaw(k)
	_ = key.Set(jwk.KeyIDKey, "rsa")
	tok := jwt.New()
	for n, v := range claims {
		_ = tok.Set(n, v)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func (f *fakeIDme) set(idToken, attributes string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idToken = idToken
	if attributes != "" {
		f.attributes = attributes
	}
}

func (f *fakeIDme) client(t *testing.T) *Client {
	t.Helper()
	return f.clientTimingOut(t, 2*time.Second)
}

// clientTimingOut is a client of the fake whose every call to it is bounded by timeout.
func (f *fakeIDme) clientTimingOut(t *testing.T, timeout time.Duration) *Client {
	t.Helper()
	env, err := EnvironmentFor("sandbox", f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{
		Environment: env, ClientID: fakeClientID, RedirectURL: "https://bridge.example/callback",
		ClientSecret: func(context.Context) (string, error) { return "secret", nil }, Timeout: timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nonceOf reads the nonce Begin chose.
func nonceOf(t *testing.T, data []byte) string {
	t.Helper()
	var d loginData
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d.Nonce
}

// clientWith is a client of the fake whose requests go through transport.
func (f *fakeIDme) clientWith(t *testing.T, transport http.RoundTripper) *Client {
	t.Helper()
	env, err := EnvironmentFor("sandbox", f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{
		Environment: env, ClientID: fakeClientID, RedirectURL: "https://bridge.example/callback",
		ClientSecret: func(context.Context) (string, error) { return "secret", nil }, Timeout: 2 * time.Second,
		HTTPClient: &http.Client{Transport: transport},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
