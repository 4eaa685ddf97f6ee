package idmesim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// discoveryDocument is the subset of OpenID Provider Metadata ID.me publishes that
// clients use. It lives under the issuer ({BaseURL}/oidc), not at the host root, as on ID.me.
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

// encodeDiscovery encodes the document once, at New: it never changes for a Simulator.
func (s *Simulator) encodeDiscovery() ([]byte, error) {
	body, err := json.Marshal(discoveryDocument{
		Issuer:                 s.issuer,
		AuthorizationEndpoint:  s.base + "/oauth/authorize",
		TokenEndpoint:          s.base + "/oauth/token",
		UserinfoEndpoint:       s.base + "/api/public/v3/userinfo",
		JWKSURI:                s.issuer + "/.well-known/jwks",
		EndSessionEndpoint:     s.base + "/oauth/logout",
		ScopesSupported:        supportedScopes(),
		ResponseTypesSupported: []string{"code"},
		GrantTypesSupported:    []string{"authorization_code"},
		SubjectTypesSupported:  []string{"public"},
		// The algorithm this simulator signs with; the JWKS publishes its key only.
		IDTokenSigningAlgValuesSupported:  []string{s.signer.alg.String()},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported:                   []string{"iss", "sub", "aud", "iat", "exp", "nonce", "email"},
	})
	if err != nil {
		return nil, fmt.Errorf("idmesim: encode discovery: %w", err)
	}
	return body, nil
}

func (s *Simulator) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_, _ = w.Write(s.discovery)
}

// handleJWKS publishes the public half of the signing key.
func (s *Simulator) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.signer.jwks)
}
