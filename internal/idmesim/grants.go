package idmesim

import (
	"container/heap"
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
// replay handling touches both at once. Lookups are map reads; expired records are dropped
// from the front of an expiry-ordered queue on every write, so no request scans the store and
// memory stays flat under load.
type grantStore struct {
	mu     sync.Mutex
	codes  map[string]*codeGrant
	tokens map[string]*accessGrant
	queue  expiryQueue
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
	heap.Push(&g.queue, expiring{code: true, key: code, at: grant.keepUntil})
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
	heap.Push(&g.queue, expiring{key: token, at: grant.expires})
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

// sweep forgets the records whose time has passed, oldest first. A redeemed code is kept
// longer than it was first queued for (while its tokens live): it goes back in the queue.
// The caller holds mu.
func (g *grantStore) sweep(now time.Time) {
	for len(g.queue) > 0 && !now.Before(g.queue[0].at) {
		e := heap.Pop(&g.queue).(expiring)
		if !e.code {
			if t, ok := g.tokens[e.key]; ok && !now.Before(t.expires) {
				delete(g.tokens, e.key)
			}
			continue
		}
		c, ok := g.codes[e.key]
		switch {
		case !ok:
		case now.Before(c.keepUntil):
			heap.Push(&g.queue, expiring{code: true, key: e.key, at: c.keepUntil})
		default:
			delete(g.codes, e.key)
		}
	}
}

// expiring is a code or token in the expiry queue.
type expiring struct {
	code bool // a code, else an access token
	key  string
	at   time.Time
}

// expiryQueue is a min-heap on expiry.
type expiryQueue []expiring

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(expiring)) }
func (q *expiryQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = expiring{}
	*q = old[:len(old)-1]
	return x
}

// randomToken returns 256 random bits, base64url encoded, for codes and tokens.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("idmesim: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
