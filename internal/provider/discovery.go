package provider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"idmebridge/internal/keys"
)

// oidcScopes are the scopes the bridge itself understands; every other scope names an ID.me
// policy.
var oidcScopes = []string{"openid", "profile", "email", "phone", "address"}

// cachedBody is a response body computed once, with its strong ETag.
type cachedBody struct {
	once sync.Once
	body []byte
	etag string
}

func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// discoveryDocument builds the metadata (OpenID Connect Discovery 1.0 section 3).
func (p *Provider) discoveryDocument() ([]byte, error) {
	iss := p.cfg.Issuer
	scopes := slices.Clone(oidcScopes)
	for _, c := range p.cfg.Clients {
		for _, s := range c.IDmeScopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	claimNames := []string{}
	for _, n := range append([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"}, p.claims.ClaimNames()...) {
		if !slices.Contains(claimNames, n) {
			claimNames = append(claimNames, n)
		}
	}
	return json.Marshal(map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + PathAuthorize,
		"token_endpoint":                                 iss + PathToken,
		"userinfo_endpoint":                              iss + PathUserinfo,
		"jwks_uri":                                       iss + PathJWKS,
		"end_session_endpoint":                           iss + PathLogout,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query", "form_post"},
		"grant_types_supported":                          []string{"authorization_code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_post", "client_secret_basic"},
		"scopes_supported":                               scopes,
		"claims_supported":                               claimNames,
		"code_challenge_methods_supported":               []string{"S256"},
		"prompt_values_supported":                        []string{"login", "consent", "select_account"},
		"authorization_response_iss_parameter_supported": true,
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
	})
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	d := &p.discoveryDoc
	d.once.Do(func() {
		body, err := p.discoveryDocument()
		if err != nil {
			p.log.Error("discovery document unavailable", "err", err)
			return
		}
		d.body, d.etag = body, etagOf(body)
	})
	if d.body == nil {
		oauthErr("server_error", "discovery unavailable").writeJSON(w)
		return
	}
	writeCacheable(w, r, d.body, d.etag, "public, max-age=3600")
}

// writeCacheable answers a public document, or 304 when the client holds this version.
func writeCacheable(w http.ResponseWriter, r *http.Request, body []byte, etag, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(body)
}

// etagMatches applies If-None-Match (RFC 9110 section 13.1.2): a list of tags, or "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// jwksCache holds the JWKS body for one key set; publication depends on time, so it is rebuilt
// at least every jwksRebuild.
type jwksCache struct {
	mu    sync.Mutex
	set   *keys.Set
	built time.Time
	body  []byte
	etag  string
}

const jwksRebuild = time.Minute

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := p.keys.Current(r.Context())
	if err != nil {
		p.log.Error("signing keys unavailable", "err", err)
		oauthErr("temporarily_unavailable", "signing keys are not loaded yet").writeJSON(w)
		return
	}
	now := p.now()
	c := &p.jwksDoc
	c.mu.Lock()
	if c.set != set || now.Sub(c.built) >= jwksRebuild || now.Before(c.built) {
		body, etag, err := set.JWKS(now)
		if err != nil {
			c.mu.Unlock()
			p.log.Error("JWKS unavailable", "err", err)
			oauthErr("server_error", "JWKS unavailable").writeJSON(w)
			return
		}
		c.set, c.built, c.body, c.etag = set, now, body, etag
	}
	body, etag := c.body, c.etag
	c.mu.Unlock()
	// Short enough that a newly published key is seen within the rotation lead time.
	writeCacheable(w, r, body, etag, "public, max-age=300")
}
