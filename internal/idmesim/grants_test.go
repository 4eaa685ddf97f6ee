package idmesim

import (
	"fmt"
	"testing"
	"time"
)

// TestGrantStoreForgetsExpired: codes and tokens leave memory once their time has passed,
// and a redeemed code stays while the tokens issued from it can live (so a replay can still
// revoke them), with no request scanning the store.
func TestGrantStoreForgetsExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGrantStore()
	for i := range 100 {
		g.putCode(fmt.Sprint("unused", i), codeGrant{expires: now.Add(codeTTL)}, now)
	}
	g.putCode("redeemed", codeGrant{expires: now.Add(codeTTL)}, now)
	later := now.Add(codeTTL - time.Second)
	if _, err := g.redeemCode("redeemed", later); err != nil {
		t.Fatal(err)
	}
	if err := g.issueToken("redeemed", "tok", accessGrant{expires: later.Add(accessTokenTTL)}, later); err != nil {
		t.Fatal(err)
	}

	// Past the codes' life: the unused ones go, the redeemed one stays with its token.
	g.putCode("fresh", codeGrant{expires: now.Add(2 * codeTTL)}, now.Add(codeTTL))
	if len(g.codes) != 2 || len(g.tokens) != 1 {
		t.Fatalf("after code expiry: %d codes, %d tokens; want 2 and 1", len(g.codes), len(g.tokens))
	}
	if _, err := g.redeemCode("redeemed", now.Add(codeTTL)); err != errCodeReplayed {
		t.Fatalf("replay while its token lives: err = %v, want errCodeReplayed", err)
	}
	// Past the token's life too.
	end := later.Add(accessTokenTTL)
	g.putCode("last", codeGrant{expires: end.Add(codeTTL)}, end)
	if _, ok := g.codes["redeemed"]; ok || len(g.tokens) != 0 {
		t.Fatalf("after token expiry: redeemed code kept %v, %d tokens", ok, len(g.tokens))
	}
	if len(g.queue) != len(g.codes)+len(g.tokens) {
		t.Fatalf("queue holds %d entries for %d records", len(g.queue), len(g.codes)+len(g.tokens))
	}
}

// TestGrantStoreHoldsOnlyFlightsInProgress: once the one data call of a sign-in has spent its
// token, neither the token nor its code is kept, so memory does not grow with sign-ins.
func TestGrantStoreHoldsOnlyFlightsInProgress(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGrantStore()
	for i := range 1000 {
		code, token := fmt.Sprint("code", i), fmt.Sprint("token", i)
		g.putCode(code, codeGrant{expires: now.Add(codeTTL)}, now)
		if _, err := g.redeemCode(code, now); err != nil {
			t.Fatal(err)
		}
		if err := g.issueToken(code, token, accessGrant{expires: now.Add(accessTokenTTL)}, now); err != nil {
			t.Fatal(err)
		}
		if _, ok := g.useToken(token, now); !ok {
			t.Fatal("token refused")
		}
		if _, err := g.redeemCode(code, now); err == nil {
			t.Fatal("spent code redeemed again")
		}
	}
	if len(g.codes) != 0 || len(g.tokens) != 0 || len(g.queue) != 0 {
		t.Fatalf("%d codes, %d tokens, %d queued after every sign-in finished", len(g.codes), len(g.tokens), len(g.queue))
	}
}
