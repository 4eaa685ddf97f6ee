package idme

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tripLog records the requests a client sends and the connections it opens.
type tripLog struct {
	next  http.RoundTripper
	mu    sync.Mutex
	paths []string
	dials atomic.Int32
}

func newTripLog() *tripLog {
	l := &tripLog{}
	dialer := &net.Dialer{Timeout: time.Second}
	l.next = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}}
	return l
}

func (l *tripLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.paths = append(l.paths, r.URL.Path)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// take returns the requests and dials since the last take.
func (l *tripLog) take() ([]string, int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.paths
	l.paths = nil
	return p, l.dials.Swap(0)
}

// TestPrepareLeavesNothingForTheFirstSignIn: after Prepare, checking an id_token makes no
// request and opens no connection; without it, the first check fetches discovery and the key
// set itself (go-oidc's RemoteKeySet fetches keys only when a token names one it lacks).
func TestPrepareLeavesNothingForTheFirstSignIn(t *testing.T) {
	const disco, jwks = "/oidc/.well-known/openid-configuration", "/oidc/.well-known/jwks"
	tests := []struct {
		name        string
		prepare     bool
		wantPrepare []string
		wantVerify  []string
		verifyDials int32
	}{
		{name: "prepared", prepare: true, wantPrepare: []string{disco, jwks}},
		{name: "not prepared", wantVerify: []string{disco, jwks}, verifyDials: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDme(t)
			trips := newTripLog()
			c := f.clientWith(t, trips)
			if tt.prepare {
				if err := c.Prepare(t.Context()); err != nil {
					t.Fatalf("Prepare: %v", err)
				}
			}
			paths, dials := trips.take()
			if !slices.Equal(paths, tt.wantPrepare) || (tt.prepare && dials != 1) {
				t.Fatalf("Prepare sent %v over %d new connection(s), want %v over 1", paths, dials, tt.wantPrepare)
			}
			if _, err := c.VerifyIDToken(t.Context(), f.sign(f.claims("n1"), "RS256"), "n1"); err != nil {
				t.Fatalf("VerifyIDToken: %v", err)
			}
			if paths, dials := trips.take(); !slices.Equal(paths, tt.wantVerify) || dials != tt.verifyDials {
				t.Fatalf("the first check sent %v over %d new connection(s), want %v over %d", paths, dials, tt.wantVerify, tt.verifyDials)
			}
		})
	}
}

// TestPrepareFailures: an unreachable or broken key set is reported as ID.me being unavailable,
// and the next sign-in fetches what Prepare could not.
func TestPrepareFailures(t *testing.T) {
	tests := []struct {
		name string
		fail func(*fakeIDme)
		heal func(*fakeIDme)
	}{
		{"JWKS not JSON", func(f *fakeIDme) { f.garbageJWKS.Store(true) }, func(f *fakeIDme) { f.garbageJWKS.Store(false) }},
		{"JWKS stalls", func(f *fakeIDme) { f.stallJWKS.Store(true) }, func(f *fakeIDme) { f.stallJWKS.Store(false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDme(t)
			c := f.clientTimingOut(t, 300*time.Millisecond)
			tt.fail(f)
			if err := c.Prepare(t.Context()); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Prepare: %v, want ErrUnavailable", err)
			}
			tt.heal(f)
			time.Sleep(50 * time.Millisecond) // let a stalled fetch be abandoned
			if _, err := c.VerifyIDToken(t.Context(), f.sign(f.claims("n1"), "RS256"), "n1"); err != nil {
				t.Fatalf("the first sign-in after a failed Prepare: %v", err)
			}
		})
	}
	t.Run("ID.me unreachable", func(t *testing.T) {
		f := newFakeIDme(t)
		c := f.clientTimingOut(t, 300*time.Millisecond)
		f.srv.Close()
		if err := c.Prepare(t.Context()); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Prepare: %v, want ErrUnavailable", err)
		}
	})
}
