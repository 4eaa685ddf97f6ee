package provider

import (
	"encoding/json"
	"net/http"
	"slices"
)

// oidcScopes are the scopes the bridge itself understands; every other scope names an ID.me
// policy.
var oidcScopes = []string{"openid", "profile", "email", "phone", "address"}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := p.cfg.Issuer
	scopes := slices.Clone(oidcScopes)
	for _, c := range p.cfg.Clients {
		for _, s := range c.IDmeScopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	claimNames := append([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"}, p.claims.ClaimNames()...)
	doc := map[string]any{
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
		"claims_supported":                               slices.Compact(claimNames),
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
	}
	body, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, "discovery unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(body)
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := p.keys.Current(r.Context())
	if err != nil {
		p.log.Error("signing keys unavailable", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "signing keys are not loaded yet")
		return
	}
	body, etag, err := set.JWKS(p.now())
	if err != nil {
		p.log.Error("JWKS unavailable", "err", err)
		writeJSONError(w, http.StatusInternalServerError, "server_error", "JWKS unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// Short enough that a newly published key is seen within the rotation lead time.
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(body)
}
