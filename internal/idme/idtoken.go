package idme

import (
	"context"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
)

// VerifyIDToken checks ID.me's id_token (signature from ID.me's JWKS, issuer, audience, expiry)
// and its nonce, and returns its subject.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce string) (string, error) {
	v, err := c.idTokenVerifier(ctx)
	if err != nil {
		return "", err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	tok, err := v.Verify(oidc.ClientContext(ctx, c.http), raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tok.Nonce != nonce {
		return "", fmt.Errorf("%w: nonce does not match the sign-in", ErrInvalidToken)
	}
	return tok.Subject, nil
}

// idTokenVerifier discovers ID.me's OIDC metadata at {issuer}/.well-known/openid-configuration
// once; a failed discovery is retried on the next sign-in rather than remembered.
func (c *Client) idTokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	v := c.verifier
	c.mu.Unlock()
	if v != nil {
		return v, nil
	}
	// Discovery runs outside the lock, so a slow ID.me does not queue every callback behind
	// one request; at worst a few concurrent first sign-ins each discover once.
	dctx, cancel := c.withTimeout(ctx)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(dctx, c.http), c.opts.Environment.Issuer)
	if err != nil {
		return nil, fmt.Errorf("ID.me OIDC discovery: %w: %w", ErrUnavailable, err)
	}
	// The provider's key set fetches JWKS with the context it was built with; rebuild it on a
	// context that outlives this call, keeping the client (and its timeout).
	var meta struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("ID.me OIDC discovery: %w: %w", ErrUnavailable, err)
	}
	keySet := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), c.http), meta.JWKSURL)
	v = oidc.NewVerifier(c.opts.Environment.Issuer, keySet, &oidc.Config{
		ClientID:             c.opts.ClientID,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verifier == nil {
		c.verifier = v
	}
	return c.verifier, nil
}
