package demorp

import (
	"context"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// upstream is what discovery taught us about the bridge.
type upstream struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config // Scopes is set per sign-in on a copy
	// issParamRequired is true when the bridge advertises RFC 9207, so an answer without `iss`
	// must be refused (section 2.4).
	issParamRequired bool
	// endSession is the end_session_endpoint (RP-Initiated Logout), "" when not advertised.
	endSession string
}

// discoveryExtras are the metadata fields go-oidc does not expose.
type discoveryExtras struct {
	IssParameterSupported bool   `json:"authorization_response_iss_parameter_supported"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
}

// upstreamOP returns the discovered bridge, running discovery on first use. A failure is not
// remembered, so the next sign-in tries again.
func (rp *RP) upstreamOP(ctx context.Context) (*upstream, error) {
	rp.upstreamMu.Lock()
	defer rp.upstreamMu.Unlock()
	if rp.upstream != nil {
		return rp.upstream, nil
	}

	ctx, cancel := context.WithTimeout(rp.outboundContext(ctx), outboundTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, rp.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", rp.issuer, err)
	}
	var extras discoveryExtras
	if err := provider.Claims(&extras); err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", rp.issuer, err)
	}

	endpoint := provider.Endpoint()
	// B2C's default token_endpoint_auth_method is client_secret_post.
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	rp.upstream = &upstream{
		provider: provider,
		// go-oidc checks signature, iss (equal to the discovered issuer), aud and expiry; the
		// nonce is ours to check. B2C accepts nothing but RS256 from an external provider.
		verifier: provider.Verifier(&oidc.Config{
			ClientID:             rp.clientID,
			SupportedSigningAlgs: []string{oidc.RS256},
			Now:                  rp.now,
		}),
		oauth: oauth2.Config{
			ClientID:     rp.clientID,
			ClientSecret: rp.clientSecret,
			Endpoint:     endpoint,
			RedirectURL:  rp.redirectURI,
		},
		issParamRequired: extras.IssParameterSupported,
		endSession:       extras.EndSessionEndpoint,
	}
	rp.log.Info("discovered the bridge", "issuer", rp.issuer)
	return rp.upstream, nil
}

// outboundContext makes go-oidc and x/oauth2 use our HTTP client.
func (rp *RP) outboundContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, rp.client)
}
