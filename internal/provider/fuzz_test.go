package provider

import (
	"net/url"
	"testing"
)

// FuzzCallback presents arbitrary states and ID.me answers at /callback from a browser that
// holds a real binding cookie: never a 5xx or a panic, and the upstream is never asked to
// redeem a code unless the state is one the bridge sealed. Seeds are here and in
// testdata/fuzz/FuzzCallback; run longer with go test -run '^$' -fuzz FuzzCallback ./internal/provider
func FuzzCallback(f *testing.F) {
	for _, seed := range [][2]string{{"", ""}, {"AAAA", "c"}, {"%ff", "x"}, {"state", ""}, {"A-_", "code"}} {
		f.Add(seed[0], seed[1])
	}
	e := newEnv(f)
	cookie := e.authorize(authzParams(rpID, rpRedirect)).cookie
	f.Fuzz(func(t *testing.T, state, code string) {
		e.t = t // the target runs one input at a time
		q := url.Values{"state": {state}, "code": {code}}
		w := e.do("GET", issuer+PathCallback+"?"+q.Encode(), nil, cookie)
		if w.Code >= 500 {
			t.Fatalf("state %q answered %d", state, w.Code)
		}
		if n := e.up.calls.Load(); n != 0 {
			t.Fatalf("upstream called %d times for a state the bridge never sealed (%q)", n, state)
		}
	})
}

// FuzzToken presents arbitrary codes, verifiers and redirect URIs from an authenticated
// client: never a 5xx, a panic, or tokens.
func FuzzToken(f *testing.F) {
	for _, seed := range [][3]string{{"", "", ""}, {"AAAA", strings43, rpRedirect}, {"\x00", "~", "x"}} {
		f.Add(seed[0], seed[1], seed[2])
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, code, verifier, redirect string) {
		e.t = t
		form := redeemForm(code, rpID, rpSecret, redirect)
		form.Set("code_verifier", verifier)
		a := e.token(form, "", "")
		if a.status >= 500 || a.status == 200 {
			t.Fatalf("code %q answered %d %v", code, a.status, a.body)
		}
	})
}

const strings43 = "0123456789012345678901234567890123456789012"
