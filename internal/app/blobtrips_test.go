package app

import (
	"net/http"
	"testing"
)

// TestTwoBlobRequestsPerSignIn counts, at the proxy in front of Azurite, the Blob Storage
// requests of whole sign-ins on the B2C path (authorize, ID.me, callback, token): one
// conditional create when the callback consumes the state, one when the token endpoint
// redeems the code.
func TestTwoBlobRequestsPerSignIn(t *testing.T) {
	w := newWorld(t, onAzure(1))
	w.codeFor("veteran") // warm-up: container checks and first connections are not per sign-in
	if _, err := w.redeem(w.codeFor("veteran")); err != nil {
		t.Fatal(err)
	}
	const signIns = 5
	before := w.blobs.requests.Load()
	for range signIns {
		code := w.codeFor("veteran")
		if _, err := w.redeem(code); err != nil {
			t.Fatal(err)
		}
	}
	perSignIn := float64(w.blobs.requests.Load()-before) / signIns
	t.Logf("Blob requests per sign-in: %.1f", perSignIn)
	if perSignIn != 2 {
		t.Fatalf("Blob requests per sign-in = %.1f, want 2", perSignIn)
	}
	// Userinfo is the one place revocation is looked up.
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatal(err)
	}
	before = w.blobs.requests.Load()
	if got := w.userinfo(tok.AccessToken); got.status != http.StatusOK {
		t.Fatalf("userinfo %d", got.status)
	}
	if n := w.blobs.requests.Load() - before; n != 1 {
		t.Fatalf("userinfo made %d Blob requests, want 1", n)
	}
}
