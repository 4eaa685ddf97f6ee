package idme

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestStalledJWKSDoesNotBlockLaterSignIns checks the JWKS fetch has its own timeout. go-oidc
// fetches the key set in a goroutine shared by every verification and waits for it on the
// caller's context; without a timeout on the fetch itself, one JWKS request that never answers
// would keep every later sign-in waiting on it until the process restarts.
func TestStalledJWKSDoesNotBlockLaterSignIns(t *testing.T) {
	f := newFakeIDme(t)
	c := f.clientTimingOut(t, 300*time.Millisecond)
	f.stallJWKS.Store(true)
	if _, err := c.VerifyIDToken(context.Background(), f.sign(f.claims("n1"), "RS256"), "n1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("verification with a stalled JWKS: %v, want ErrUnavailable", err)
	}
	f.stallJWKS.Store(false)
	// The stalled fetch must have been abandoned by now, so this sign-in fetches afresh.
	time.Sleep(100 * time.Millisecond)
	if _, err := c.VerifyIDToken(context.Background(), f.sign(f.claims("n2"), "RS256"), "n2"); err != nil {
		t.Fatalf("verification once the JWKS answers again: %v", err)
	}
}

// TestJWKSNotJSONIsAnOutage checks a key set answer that is not JSON (a maintenance page) is
// reported as ID.me being unavailable, not as a forged id_token.
func TestJWKSNotJSONIsAnOutage(t *testing.T) {
	f := newFakeIDme(t)
	c := f.clientTimingOut(t, 300*time.Millisecond)
	f.garbageJWKS.Store(true)
	if _, err := c.VerifyIDToken(context.Background(), f.sign(f.claims("n1"), "RS256"), "n1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("verification with a JWKS that is not JSON: %v, want ErrUnavailable", err)
	}
}
