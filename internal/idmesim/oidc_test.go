package idmesim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/lestrrat-go/jwx/v2/jws"
	"golang.org/x/oauth2"
)

func TestDiscovery(t *testing.T) {
	for _, mount := range []string{"", "/idme"} {
		t.Run("mount="+mount, func(t *testing.T) {
			h := newHarnessAt(t, mount)
			resp, body := h.get(t, "/oidc/.well-known/openid-configuration", nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("discovery: %d %s", resp.StatusCode, body)
			}
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"issuer":                 h.base + "/oidc",
				"authorization_endpoint": h.base + "/oauth/authorize",
				"token_endpoint":         h.base + "/oauth/token",
				"userinfo_endpoint":      h.base + "/api/public/v3/userinfo",
				"jwks_uri":               h.base + "/oidc/.well-known/jwks",
				"end_session_endpoint":   h.base + "/oauth/logout",
			}
			for k, v := range want {
				if doc[k] != v {
					t.Errorf("%s = %v, want %s", k, doc[k], v)
				}
			}
			if h.sim.Issuer() != h.base+"/oidc" {
				t.Errorf("Issuer() = %q", h.sim.Issuer())
			}
			if r, _ := h.get(t, strings.TrimPrefix(doc["jwks_uri"].(string), h.base), nil, nil); r.StatusCode != http.StatusOK {
				t.Errorf("jwks_uri not served: %d", r.StatusCode)
			}
			// Not at the host root, as on ID.me.
			if r, _ := h.get(t, "/.well-known/openid-configuration", nil, nil); r.StatusCode != http.StatusNotFound {
				t.Errorf("root discovery status = %d, want 404", r.StatusCode)
			}
		})
	}
}

func TestJWKSPublishesOnlyPublicRSAKey(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get(t, "/oidc/.well-known/jwks", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: %d", resp.StatusCode)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(doc.Keys))
	}
	k := doc.Keys[0]
	if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" || k["kid"] == "" || k["n"] == nil {
		t.Errorf("key = %v", k)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Errorf("private member %q published", private)
		}
	}
}

// TestIDTokenVerifiesWithGoOIDC drives the flow with the real x/oauth2 and go-oidc clients,
// as the bridge does, including PKCE and the scope parameter in the token request.
func TestIDTokenVerifiesWithGoOIDC(t *testing.T) {
	h := newHarness(t)
	// go-oidc's ClientContext sets oauth2.HTTPClient, so x/oauth2 uses the loopback client too.
	ctx := oidc.ClientContext(t.Context(), h.http)
	provider, err := oidc.NewProvider(ctx, h.base+"/oidc")
	if err != nil {
		t.Fatalf("discovery through go-oidc: %v", err)
	}
	verifier := provider.VerifierContext(ctx, &oidc.Config{ClientID: testClientID, Now: h.clock.Now})

	tests := []struct {
		persona, email, nonce, policy string
	}{
		{"veteran", "vera.veteran@example.com", "nonce-v", "military"},
		{"ial2", "ida.identity@example.com", "", "login"},
	}
	for _, tt := range tests {
		t.Run(tt.persona, func(t *testing.T) {
			conf := oauth2.Config{
				ClientID: testClientID, ClientSecret: testSecret, RedirectURL: testRedirect,
				Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, tt.policy},
			}
			conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			pkce := oauth2.GenerateVerifier()
			opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pkce)}
			if tt.nonce != "" {
				opts = append(opts, oidc.Nonce(tt.nonce))
			}
			authURL, err := url.Parse(conf.AuthCodeURL("state-1", opts...))
			if err != nil {
				t.Fatal(err)
			}
			q := authURL.Query()
			code := h.code(t, tt.persona, q)

			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pkce),
				oauth2.SetAuthURLParam("scope", "openid "+tt.policy))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatalf("verify id_token: %v", err)
			}
			var claims struct {
				Email string `json:"email"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			persona := personaByID(t, tt.persona)
			if idt.Subject != persona.UUID || idt.Nonce != tt.nonce || claims.Email != tt.email ||
				idt.Issuer != h.base+"/oidc" || !idt.IssuedAt.Equal(h.clock.Now()) {
				t.Errorf("id_token sub=%q nonce=%q email=%q iss=%q iat=%v", idt.Subject, idt.Nonce, claims.Email, idt.Issuer, idt.IssuedAt)
			}
			msg, err := jws.Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if kid := msg.Signatures()[0].ProtectedHeaders().KeyID(); kid == "" {
				t.Error("id_token header has no kid")
			}
			if strings.Contains(string(msg.Payload()), "military") {
				t.Errorf("group status leaked into the id_token: %s", msg.Payload())
			}

			// The same token must fail for another audience, after expiry, and against
			// another simulator's keys.
			other := provider.VerifierContext(ctx, &oidc.Config{ClientID: otherClientID, Now: h.clock.Now})
			if _, err := other.Verify(ctx, raw); err == nil {
				t.Error("id_token accepted for another client")
			}
			late := provider.VerifierContext(ctx, &oidc.Config{ClientID: testClientID,
				Now: func() time.Time { return h.clock.Now().Add(time.Hour) }})
			if _, err := late.Verify(ctx, raw); err == nil {
				t.Error("expired id_token accepted")
			}
		})
	}

	// A token signed by a different simulator (fresh key) must not verify here.
	h2 := newHarness(t)
	raw := h2.tokens(t, "veteran", "openid")["id_token"].(string)
	foreign := oidc.NewVerifier(h.base+"/oidc", oidc.NewRemoteKeySet(ctx, h.base+"/oidc/.well-known/jwks"),
		&oidc.Config{ClientID: testClientID, Now: h.clock.Now, SkipIssuerCheck: true})
	if _, err := foreign.Verify(ctx, raw); err == nil {
		t.Error("id_token from another key verified")
	}
}

func personaByID(t *testing.T, id string) Persona {
	t.Helper()
	for _, p := range Personas() {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no persona %q", id)
	return Persona{}
}
