// Package faketenant stands in for an Entra External ID tenant on local runs and in tests: its
// OIDC discovery document, its signing keys, and the bearer tokens it sends with custom
// authentication extension calls. The demo relying party's External ID mode and the tests use
// it; nothing in a deployment does.
package faketenant

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"idmebridge/internal/config"
)

// KeysPath is where the tenant's JWKS is served, relative to its authority.
const KeysPath = "/discovery/keys"

// Tenant is a stand-in tenant with one RSA signing key.
type Tenant struct {
	TenantID string
	// Authority is the base URL it is served at; its discovery issuer.
	Authority string
	key       jwk.Key
}

// New makes a tenant served at authority (e.g. an httptest server's URL).
func New(tenantID, authority string) (*Tenant, error) {
	key, err := newKey("tenant-key-1")
	if err != nil {
		return nil, err
	}
	return &Tenant{TenantID: tenantID, Authority: authority, key: key}, nil
}

func newKey(kid string) (jwk.Key, error) {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("faketenant: %w", err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("faketenant: %w", err)
	}
	_ = key.Set(jwk.KeyIDKey, kid)
	_ = key.Set(jwk.AlgorithmKey, jwa.RS256)
	return key, nil
}

// Rotate replaces the tenant's signing key with a new one (a new kid), as Entra rotates keys.
func (t *Tenant) Rotate() error {
	key, err := newKey(fmt.Sprintf("tenant-key-%d", time.Now().UnixNano()))
	if err != nil {
		return err
	}
	t.key = key
	return nil
}

// Issuer is the iss of the tokens External ID sends: the tenant-GUID form under ciamlogin.com.
func (t *Tenant) Issuer() string {
	return fmt.Sprintf("https://%s.ciamlogin.com/%s/v2.0", t.TenantID, t.TenantID)
}

// ServeHTTP answers the discovery document and the key set, under the authority's path.
func (t *Tenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                t.Authority, // as a real tenant's discovery names itself
			"authorization_endpoint":                t.Authority + "/oauth2/v2.0/authorize",
			"token_endpoint":                        t.Authority + "/oauth2/v2.0/token",
			"jwks_uri":                              t.Authority + KeysPath,
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case KeysPath:
		pub, err := t.key.PublicKey()
		if err != nil {
			http.Error(w, "{}", http.StatusInternalServerError)
			return
		}
		set := jwk.NewSet()
		_ = set.AddKey(pub)
		_ = json.NewEncoder(w).Encode(set)
	default:
		http.NotFound(w, r)
	}
}

// Token describes one bearer token; zero fields take the values External ID uses.
type Token struct {
	Issuer   string // default: Issuer()
	Audience string // required: the extension's app id
	Azp      string // default: Microsoft's authentication events service
	AppID    string // v1 tokens' caller claim; empty: none
	NoAzp    bool   // leave azp out (a v1 token)
	Expires  time.Time
	IssuedAt time.Time
	// OtherKey signs with a key the tenant does not publish.
	OtherKey bool
}

// Sign mints the bearer token External ID would send.
func (t *Tenant) Sign(o Token) (string, error) {
	now := time.Now()
	if o.Issuer == "" {
		o.Issuer = t.Issuer()
	}
	if o.Azp == "" && !o.NoAzp {
		o.Azp = config.ExtensionCaller
	}
	if o.IssuedAt.IsZero() {
		o.IssuedAt = now
	}
	if o.Expires.IsZero() {
		o.Expires = o.IssuedAt.Add(time.Hour)
	}
	b := jwt.NewBuilder().Issuer(o.Issuer).Audience([]string{o.Audience}).
		IssuedAt(o.IssuedAt).NotBefore(o.IssuedAt).Expiration(o.Expires).
		Subject("00000000-0000-0000-0000-000000000001").
		Claim("tid", t.TenantID).Claim("ver", "2.0")
	if o.Azp != "" {
		b = b.Claim("azp", o.Azp)
	}
	if o.AppID != "" {
		b = b.Claim("appid", o.AppID)
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("faketenant: %w", err)
	}
	key := t.key
	if o.OtherKey {
		if key, err = newKey("tenant-key-1"); err != nil { // same kid, different key
			return "", err
		}
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, "JWT")
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("faketenant: %w", err)
	}
	return string(signed), nil
}

// SignClaims signs arbitrary claims with the tenant's key: the demo uses it for the token the
// tenant would give its application.
func (t *Tenant) SignClaims(claims map[string]any) (string, error) {
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			return "", fmt.Errorf("faketenant: claim %s: %w", k, err)
		}
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, "JWT")
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, t.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("faketenant: %w", err)
	}
	return string(signed), nil
}
