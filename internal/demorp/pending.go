package demorp

import (
	"sync"
	"time"
)

// pendingLogin is what we remember between sending the browser to the bridge and its answer.
type pendingLogin struct {
	nonce string
	scope string
	// policies are the ID.me policies the bridge asks for: the scope's, or the client's
	// defaults when the scope names none (defaulted).
	policies  []string
	defaulted bool
	// journey is "verify" for the verify-military journey, "" for sign-up/sign-in.
	journey string
	// logout marks a sign-out in flight rather than a sign-in; its state comes back to /.
	logout  bool
	created time.Time
}

// pendingLogins holds sign-ins in flight, keyed by state. Entries are single-use, expire, and
// the map is bounded so a stream of abandoned sign-ins cannot grow it without end.
type pendingLogins struct {
	mu      sync.Mutex
	byState map[string]pendingLogin
	ttl     time.Duration
	limit   int
}

func newPendingLogins(ttl time.Duration, limit int) *pendingLogins {
	return &pendingLogins{byState: make(map[string]pendingLogin), ttl: ttl, limit: limit}
}

// add remembers a sign-in, dropping expired entries and then the oldest ones past the bound.
func (p *pendingLogins) add(state string, l pendingLogin) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s, old := range p.byState {
		if p.expired(old, l.created) {
			delete(p.byState, s)
		}
	}
	p.byState[state] = l
	// The bound is small, so a linear search for the oldest is cheaper than keeping an order.
	for len(p.byState) > p.limit {
		var oldestState string
		var oldest time.Time
		for s, e := range p.byState {
			if oldestState == "" || e.created.Before(oldest) {
				oldestState, oldest = s, e.created
			}
		}
		delete(p.byState, oldestState)
	}
}

// take removes the sign-in for state and returns it if it had not expired. Removing it first
// means a replayed answer finds nothing, whatever happened to the first one.
func (p *pendingLogins) take(state string, now time.Time) (pendingLogin, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.byState[state]
	if !ok {
		return pendingLogin{}, false
	}
	delete(p.byState, state)
	if p.expired(l, now) {
		return pendingLogin{}, false
	}
	return l, true
}

func (p *pendingLogins) expired(l pendingLogin, now time.Time) bool {
	return now.Sub(l.created) > p.ttl
}
