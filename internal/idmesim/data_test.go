package idmesim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

const (
	attributesPath = "/api/public/v3/attributes.json"
	userinfoPath   = "/api/public/v3/userinfo"
)

// TestAccessTokenSingleUse: one data call per token, whichever endpoint it goes to.
func TestAccessTokenSingleUse(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ first, second string }{
		{attributesPath, attributesPath},
		{userinfoPath, userinfoPath},
		{userinfoPath, attributesPath},
		{attributesPath, userinfoPath},
	}
	for _, tt := range tests {
		t.Run(tt.first+" then "+tt.second, func(t *testing.T) {
			tok := h.tokens(t, "veteran", "openid military")["access_token"].(string)
			if resp, body := h.get(t, tt.first, nil, bearer(tok)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first call: %d %s", resp.StatusCode, body)
			}
			wantInvalidToken(t, h, tt.second, bearer(tok))
		})
	}
}

func TestBearerRefusals(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		header func(token string) http.Header
		wait   time.Duration
	}{
		{"no Authorization", func(string) http.Header { return nil }, 0},
		{"empty bearer", func(string) http.Header { return http.Header{"Authorization": {"Bearer "}} }, 0},
		{"basic scheme", func(tok string) http.Header { return http.Header{"Authorization": {"Basic " + tok}} }, 0},
		{"unknown token", func(string) http.Header { return bearer("not-a-token") }, 0},
		{"expired token", bearer, accessTokenTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := h.tokens(t, "student", "openid student")["access_token"].(string)
			h.clock.Advance(tt.wait)
			wantInvalidToken(t, h, attributesPath, tt.header(tok))
		})
	}
}

func TestBearerSchemeCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	tok := h.tokens(t, "student", "student")["access_token"].(string)
	resp, body := h.get(t, attributesPath, nil, http.Header{"Authorization": {"bearer " + tok}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case scheme: %d %s", resp.StatusCode, body)
	}
}

func wantInvalidToken(t *testing.T, h *harness, path string, header http.Header) {
	t.Helper()
	resp, body := h.get(t, path, nil, header)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_token" {
		t.Fatalf("got %d %s, want 401 invalid_token", resp.StatusCode, body)
	}
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
	}
}

// TestUserinfoIsSignedJWT: userinfo is a JSON string holding an RS256 JWS that verifies with
// the published JWKS, carries non-null attributes by handle and no group status.
func TestUserinfoIsSignedJWT(t *testing.T) {
	h := newHarness(t)
	keys := fetchJWKS(t, h)
	tests := []struct {
		persona string
		want    map[string]string
		absent  []string
	}{
		{"ial2", map[string]string{
			"sub": "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d", "uuid": "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d",
			"fname": "Ida", "lname": "Identity", "email": "ida.identity@example.com", "birth_date": "1985-03-14",
			"street": "1 Main St", "city": "New York", "state": "NY", "phone": "+12025550143", "zip": "10001",
		}, []string{"status", "groups"}},
		{"unverified", map[string]string{"sub": "0f1e2d3c4b5a49687f6e5d4c3b2a1908", "fname": "Uma"},
			[]string{"birth_date", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.persona, func(t *testing.T) {
			tok := h.tokens(t, tt.persona, "openid login")["access_token"].(string)
			resp, body := h.get(t, userinfoPath, nil, bearer(tok))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
			}
			var compact string
			if err := json.Unmarshal(body, &compact); err != nil {
				t.Fatalf("userinfo is not a JSON string: %s", body)
			}
			msg, err := jws.Parse([]byte(compact))
			if err != nil {
				t.Fatal(err)
			}
			hdr := msg.Signatures()[0].ProtectedHeaders()
			if hdr.Algorithm() != jwa.RS256 || hdr.KeyID() == "" {
				t.Errorf("header alg %s kid %q", hdr.Algorithm(), hdr.KeyID())
			}
			claims, err := jwt.Parse([]byte(compact), jwt.WithKeySet(keys), jwt.WithValidate(true),
				jwt.WithClock(jwt.ClockFunc(h.clock.Now)), jwt.WithIssuer(h.base+"/oidc"), jwt.WithAudience(testClientID))
			if err != nil {
				t.Fatalf("verify userinfo: %v", err)
			}
			all, err := claims.AsMap(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if all[k] != v {
					t.Errorf("%s = %v, want %q", k, all[k], v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := all[k]; ok {
					t.Errorf("claim %s present: %v", k, all[k])
				}
			}
		})
	}
}

func fetchJWKS(t *testing.T, h *harness) jwk.Set {
	t.Helper()
	resp, body := h.get(t, "/oidc/.well-known/jwks", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: %d", resp.StatusCode)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatalf("jwks: %v", err)
	}
	return set
}
