package idme

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// VerifiedIDToken is what the bridge takes from ID.me's id_token once it is verified.
type VerifiedIDToken struct {
	Subject string
	// AuthTime is when the user authenticated at ID.me; zero when the token does not say.
	AuthTime time.Time
	// Email and EmailVerified are the token's email claims, when it carries them: ID.me may
	// vouch for the address here rather than in attributes.json.
	Email         string
	EmailVerified bool
}

// VerifyIDToken checks ID.me's id_token with go-oidc (signature from ID.me's JWKS, RS256 or
// ES256, issuer, audience, expiry), then its nonce and authorised party, and returns its
// subject and auth_time.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce string) (*VerifiedIDToken, error) {
	v, err := c.idTokenVerifier(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	started := time.Now()
	tok, err := v.Verify(oidc.ClientContext(ctx, c.http), raw)
	if err != nil {
		// go-oidc does not wrap a failure to fetch the keys; the key set's transport records
		// it, so an unreachable JWKS is an outage (try again), not a forged token.
		if c.jwksFailedSince(started) || ctx.Err() != nil {
			return nil, fmt.Errorf("ID.me JWKS: %w: %w", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tok.Nonce != nonce {
		return nil, fmt.Errorf("%w: nonce does not match the sign-in", ErrInvalidToken)
	}
	var extra struct {
		AZP           string          `json:"azp"`
		AuthTime      float64         `json:"auth_time"`
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"` // true or "true" (seen from ID.me)
	}
	if err := tok.Claims(&extra); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	// OIDC Core 3.1.3.7: a token for several audiences must name the bridge as the party it
	// was issued to; any azp present must be the bridge.
	if (len(tok.Audience) > 1 || extra.AZP != "") && extra.AZP != c.opts.ClientID {
		return nil, fmt.Errorf("%w: azp is not the bridge's client id", ErrInvalidToken)
	}
	if !slices.Contains(tok.Audience, c.opts.ClientID) { // go-oidc checks this; kept explicit
		return nil, fmt.Errorf("%w: audience", ErrInvalidToken)
	}
	out := &VerifiedIDToken{Subject: tok.Subject, Email: extra.Email, EmailVerified: isTrue(extra.EmailVerified)}
	if extra.AuthTime > 0 {
		out.AuthTime = time.Unix(int64(extra.AuthTime), 0)
	}
	return out, nil
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
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("ID.me OIDC discovery: %w: %w", ErrUnavailable, err)
	}
	jwksClient := &http.Client{Timeout: c.opts.Timeout, Transport: jwksWatch{next: c.http.Transport, c: c}, CheckRedirect: c.http.CheckRedirect}
	keySet := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), jwksClient), meta.JWKSURL)
	// ID.me advertises RS256 and ES256; naming both here (rather than trusting discovery)
	// keeps "none" and HMAC out whatever the metadata says.
	v = oidc.NewVerifier(c.opts.Environment.Issuer, keySet, &oidc.Config{
		ClientID:             c.opts.ClientID,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verifier == nil {
		c.verifier, c.keySet = v, keySet
	}
	return c.verifier, nil
}

// jwksWatch records when fetching ID.me's JWKS last failed: no answer, not 200, a body cut
// off or timed out mid-way, or a body that is not JSON. go-oidc reports all of these as a
// failed signature check, which would blame the token for ID.me's outage.
type jwksWatch struct {
	next http.RoundTripper
	c    *Client
}

// maxJWKSBytes bounds the key set read from ID.me.
const maxJWKSBytes = 1 << 20

func (t jwksWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.c.jwksFailure.Store(time.Now().UnixNano())
		return resp, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil || !json.Valid(body) {
		t.c.jwksFailure.Store(time.Now().UnixNano())
	}
	if err != nil {
		return nil, fmt.Errorf("ID.me JWKS body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (c *Client) jwksFailedSince(t time.Time) bool {
	return c.jwksFailure.Load() >= t.UnixNano()
}

// isTrue reads a JSON boolean that may also arrive as the string "true".
func isTrue(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.EqualFold(strings.TrimSpace(s), "true")
}
