package idmesim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// signedIDToken runs one sign-in against a simulator signing with alg and returns its
// id_token, its issuer and its JWKS URL.
func signedIDToken(t *testing.T, alg string) (idToken, issuer, jwksURL string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	const client, secret, redirect = "bridge", "bridge-secret", "https://bridge.example.test/callback"
	sim, err := New(Options{BaseURL: base, SigningAlg: alg,
		Clients: []Client{{ID: client, Secret: secret, RedirectURIs: []string{redirect}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sim
	srv.Start()
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	q := url.Values{"client_id": {client}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid"}, "nonce": {"n1"}, "persona": {Personas()[0].ID}}
	resp, err := noRedirect.Get(base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect},
		"scope": {"openid"}, "client_id": {client}, "client_secret": {secret}}
	resp, err = http.PostForm(base+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("token: %d, %v", resp.StatusCode, err)
	}
	return tok.IDToken, sim.Issuer(), sim.Issuer() + "/.well-known/jwks"
}

func TestSigningAlgorithms(t *testing.T) {
	cases := []struct {
		option, wantAlg, wantKty string
	}{
		{"", "RS256", "RSA"},
		{RS256, "RS256", "RSA"},
		{ES256, "ES256", "EC"},
	}
	for _, c := range cases {
		t.Run("option="+c.option, func(t *testing.T) {
			idToken, issuer, jwksURL := signedIDToken(t, c.option)
			msg, err := jws.Parse([]byte(idToken))
			if err != nil {
				t.Fatal(err)
			}
			if alg := msg.Signatures()[0].ProtectedHeaders().Algorithm().String(); alg != c.wantAlg {
				t.Fatalf("id_token alg %s, want %s", alg, c.wantAlg)
			}
			ctx := context.Background()
			keys := oidc.NewRemoteKeySet(ctx, jwksURL)
			verify := func(algs ...string) error {
				_, err := oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: "bridge", SupportedSigningAlgs: algs}).Verify(ctx, idToken)
				return err
			}
			if err := verify(oidc.RS256, oidc.ES256); err != nil {
				t.Fatalf("id_token does not verify against the published JWKS: %v", err)
			}
			other := oidc.ES256
			if c.wantAlg == oidc.ES256 {
				other = oidc.RS256
			}
			if err := verify(other); err == nil {
				t.Fatalf("a verifier that accepts only %s accepted the token", other)
			}

			resp, err := http.Get(jwksURL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var doc struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(body, &doc); err != nil || len(doc.Keys) != 1 {
				t.Fatalf("JWKS %s: %v", body, err)
			}
			k := doc.Keys[0]
			if k["kty"] != c.wantKty || k["alg"] != c.wantAlg || k["use"] != "sig" {
				t.Fatalf("JWKS key %v, want kty %s alg %s", k, c.wantKty, c.wantAlg)
			}
			if _, ok := k["d"]; ok {
				t.Fatal("JWKS publishes the private key")
			}
			disc, err := http.Get(issuer + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer disc.Body.Close()
			var meta struct {
				Algs []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := json.NewDecoder(disc.Body).Decode(&meta); err != nil || strings.Join(meta.Algs, ",") != c.wantAlg {
				t.Fatalf("discovery advertises %v (err %v), want [%s]", meta.Algs, err, c.wantAlg)
			}
		})
	}
}

func TestUnknownSigningAlgorithmRefused(t *testing.T) {
	_, err := New(Options{BaseURL: "http://127.0.0.1:1", SigningAlg: "HS256",
		Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"https://x.example/cb"}}}})
	if err == nil {
		t.Fatal("HS256 accepted")
	}
}
