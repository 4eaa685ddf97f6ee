package idmesim

import (
	"container/heap"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
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
	tokens    []string  // live access tokens issued from this code, revoked on replay
	keepUntil time.Time // a redeemed code is remembered while its tokens can live
	queued    *expiring
}

// accessGrant is what an access token stands for.
type accessGrant struct {
	clientID  string
	personaID string
	scopes    []string
	expires   time.Time
	code      string // the code it was issued from
	queued    *expiring
}

// grantStore keeps codes and access tokens in memory. One mutex guards both maps because
// replay handling touches both at once. Lookups are map reads, and every record sits in an
// expiry-ordered queue that each write trims from the front, so no request scans the store.
// A redeemed code is forgotten as soon as the tokens issued from it are spent (a replay then
// finds nothing, which is refused just the same): under load, memory holds only sign-ins in
// flight.
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
	grant.queued = g.enqueue(true, code, grant.keepUntil)
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
		tokens := c.tokens
		c.tokens = nil
		for _, t := range tokens {
			g.forgetToken(t)
		}
		return codeGrant{}, errCodeReplayed
	case c.redeemed: // remembered past the life of its tokens: nothing left to revoke
		g.forgetCode(code)
		return codeGrant{}, errCodeUnknown
	case !now.Before(c.expires):
		g.forgetCode(code)
		return codeGrant{}, errCodeExpired
	}
	c.redeemed = true
	c.keepUntil = now.Add(accessTokenTTL)
	c.queued.at = c.keepUntil
	heap.Fix(&g.queue, c.queued.index)
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
	grant.code = code
	grant.queued = g.enqueue(false, token, grant.expires)
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
	g.forgetToken(token)
	if !now.Before(t.expires) {
		return accessGrant{}, false
	}
	return *t, true
}

// forgetToken drops a token, and its code once the code has no live token left to revoke.
// The caller holds mu.
func (g *grantStore) forgetToken(token string) {
	t, ok := g.tokens[token]
	if !ok {
		return
	}
	delete(g.tokens, token)
	g.dequeue(t.queued)
	if c, ok := g.codes[t.code]; ok {
		c.tokens = slices.DeleteFunc(c.tokens, func(s string) bool { return s == token })
		if c.redeemed && !c.replayed && len(c.tokens) == 0 {
			g.forgetCode(t.code)
		}
	}
}

// forgetCode drops a code. The caller holds mu.
func (g *grantStore) forgetCode(code string) {
	if c, ok := g.codes[code]; ok {
		delete(g.codes, code)
		g.dequeue(c.queued)
	}
}

// sweep forgets the records whose time has passed, oldest first. The caller holds mu.
func (g *grantStore) sweep(now time.Time) {
	for len(g.queue) > 0 && !now.Before(g.queue[0].at) {
		e := g.queue[0]
		if e.code {
			g.forgetCode(e.key)
		} else {
			g.forgetToken(e.key)
		}
		if len(g.queue) > 0 && g.queue[0] == e { // not in the maps any more: drop it anyway
			g.dequeue(e)
		}
	}
}

func (g *grantStore) enqueue(code bool, key string, at time.Time) *expiring {
	e := &expiring{code: code, key: key, at: at}
	heap.Push(&g.queue, e)
	return e
}

func (g *grantStore) dequeue(e *expiring) {
	if e != nil && e.index >= 0 {
		heap.Remove(&g.queue, e.index)
	}
}

// expiring is a code or token in the expiry queue, which keeps its position up to date so
// it can be removed early.
type expiring struct {
	code  bool // a code, else an access token
	key   string
	at    time.Time
	index int // in the queue; -1 once removed
}

// expiryQueue is a min-heap on expiry.
type expiryQueue []*expiring

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *expiryQueue) Push(x any) {
	e := x.(*expiring)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *expiryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*q = old[:len(old)-1]
	return e
}

// randomToken returns 256 random bits, base64url encoded, for codes and tokens.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("idmesim: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
