package idmesim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Reasons a code cannot be redeemed; all surface as invalid_grant.
var (
	errCodeUnknown  = errors.New("unknown authorization code")
	errCodeReplayed = errors.New("authorization code already used")
	errCodeExpired  = errors.New("authorization code expired")
)

// codeGrant is what an authorization code stands for.
type codeGrant struct {
	clientID    string
	redirectURI string
	personaID   string
	scopes      []string
	nonce       string
	challenge   string // PKCE S256 code_challenge, "" when none was sent
	expires     time.Time

	redeemed  bool
	replayed  bool
	tokens    []string  // access tokens issued from this code, revoked on replay
	keepUntil time.Time // a redeemed code is remembered while its tokens can live
}

// accessGrant is what an access token stands for.
type accessGrant struct {
	clientID  string
	personaID string
	scopes    []string
	expires   time.Time
}

// grantStore keeps codes and access tokens in memory. One mutex guards both maps because
// replay handling touches both at once.
type grantStore struct {
	mu     sync.Mutex
	codes  map[string]*codeGrant
	tokens map[string]*accessGrant
}

func newGrantStore() *grantStore {
	return &grantStore{codes: make(map[string]*codeGrant), tokens: make(map[string]*accessGrant)}
}

// putCode stores a new code.
func (g *grantStore) putCode(code string, grant codeGrant, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	grant.keepUntil = grant.expires
	g.codes[code] = &grant
}

// redeemCode marks a code used and returns what it stands for. Any presentation burns the
// code, whatever later checks decide; a second presentation revokes the tokens issued from
// the first, as ID.me does.
func (g *grantStore) redeemCode(code string, now time.Time) (codeGrant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.codes[code]
	switch {
	case !ok:
		return codeGrant{}, errCodeUnknown
	case c.redeemed && now.Before(c.keepUntil):
		c.replayed = true
		for _, t := range c.tokens {
			delete(g.tokens, t)
		}
		c.tokens = nil
		return codeGrant{}, errCodeReplayed
	case c.redeemed: // remembered past the life of its tokens: nothing left to revoke
		delete(g.codes, code)
		return codeGrant{}, errCodeUnknown
	case !now.Before(c.expires):
		delete(g.codes, code)
		return codeGrant{}, errCodeExpired
	}
	c.redeemed = true
	c.keepUntil = now.Add(accessTokenTTL)
	return *c, nil
}

// issueToken records an access token minted from a redeemed code. It refuses when the code
// was replayed in the meantime, so no token outlives a replay.
func (g *grantStore) issueToken(code, token string, grant accessGrant, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.codes[code]
	if !ok || c.replayed {
		return errCodeReplayed
	}
	g.sweep(now)
	c.tokens = append(c.tokens, token)
	g.tokens[token] = &grant
	return nil
}

// useToken consumes an access token: ID.me allows one data call per token.
func (g *grantStore) useToken(token string, now time.Time) (accessGrant, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[token]
	if !ok {
		return accessGrant{}, false
	}
	delete(g.tokens, token)
	if !now.Before(t.expires) {
		return accessGrant{}, false
	}
	return *t, true
}

// sweep forgets expired records so a long dev session does not grow without bound.
// The caller holds mu.
func (g *grantStore) sweep(now time.Time) {
	for k, c := range g.codes {
		if !now.Before(c.keepUntil) {
			delete(g.codes, k)
		}
	}
	for k, t := range g.tokens {
		if !now.Before(t.expires) {
			delete(g.tokens, k)
		}
	}
}

// randomToken returns 256 random bits, base64url encoded, for codes and tokens.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("idmesim: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
