package idme

import (
	"context"
	"fmt"
	"time"
)

// Prepare does at start what the first sign-in would otherwise do on its own time: it fetches
// ID.me's OIDC discovery document and key set, and so leaves a connection to ID.me open in the
// shared transport's idle pool for the code exchange and the data call to reuse. The whole of
// it is bounded by the client's timeout. On failure nothing is remembered but what succeeded,
// and the first sign-in tries the rest again.
func (c *Client) Prepare(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if _, err := c.idTokenVerifier(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	keySet := c.keySet
	c.mu.Unlock()
	// go-oidc's RemoteKeySet fetches keys only when a token names a key it has not cached,
	// and has no other way to fill its cache: a token naming an unknown key makes it fetch
	// and cache the set once. The probe never verifies (its signature is not one), so only
	// a failure to fetch, which the key set's transport records, is an error here.
	started := time.Now()
	if _, err := keySet.VerifySignature(ctx, keyFetchProbe); c.jwksFailedSince(started) || ctx.Err() != nil {
		return fmt.Errorf("ID.me JWKS: %w: %w", ErrUnavailable, err)
	}
	return nil
}

// keyFetchProbe is a compact JWS whose key id no key set holds (see Prepare): the header
// {"alg":"RS256","kid":"idme-bridge-prefetch"}, the payload {} and "not a signature".
const keyFetchProbe = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImlkbWUtYnJpZGdlLXByZWZldGNoIn0.e30.bm90IGEgc2lnbmF0dXJl"
