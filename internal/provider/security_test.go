package provider

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/seal"
)

// TestSecurity is one row per attack of the OAuth 2.0 Security BCP (RFC 9700) and OpenID
// Connect Core that applies to the bridge as an OP, each run against a fresh provider with a
// fake upstream. A row fails when the attack succeeds.
func TestSecurity(t *testing.T) {
	good := func() url.Values { return authzParams(rpID, rpRedirect) }
	redeem := func(e *env, code string) tokenAnswer {
		return e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	}
	pkce := func(e *env, verifier string) (string, string) {
		p := good()
		p.Set("code_challenge", s256(verifier))
		p.Set("code_challenge_method", "S256")
		return e.code(p), verifier
	}
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		// RFC 9700 4.1: redirect URI manipulation. Never a redirect to an unregistered URI.
		{"redirect_uri: unregistered", func(t *testing.T, e *env) {
			for _, uri := range []string{"https://evil.example/cb", rpRedirect + "/x", rpRedirect + "?x=1", strings.ToUpper(rpRedirect),
				strings.Replace(rpRedirect, "https", "http", 1), rpRedirect + "#f", rp2Redirect} {
				p := good()
				p.Set("redirect_uri", uri)
				w := e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)
				if w.Header().Get("Location") != "" || w.Code != http.StatusBadRequest {
					t.Errorf("redirect_uri %q: status %d location %q", uri, w.Code, w.Header().Get("Location"))
				}
			}
		}},
		{"redirect_uri: unknown client gets no redirect", func(t *testing.T, e *env) {
			p := good()
			p.Set("client_id", "nobody")
			if w := e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil); w.Header().Get("Location") != "" {
				t.Errorf("redirected for an unknown client: %s", w.Header().Get("Location"))
			}
		}},
		{"redirect_uri: differs at the token endpoint", func(t *testing.T, e *env) {
			code := e.code(good())
			if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect+"x"), "", ""); a.errCode() != "invalid_grant" {
				t.Errorf("token with another redirect_uri: %d %v", a.status, a.body)
			}
			if a := redeem(e, code); a.status != 200 {
				t.Errorf("the right redirect_uri no longer works: %v", a.body)
			}
		}},
		{"redirect_uri: client removed between authorize and callback", func(t *testing.T, e *env) {
			s := e.authorize(good())
			e.cfg.Clients[0].RedirectURIs = []string{"https://tenant.b2clogin.com/other"}
			if a := e.callback(s, nil); !a.page {
				t.Errorf("callback redirected to a URI no longer registered: %+v", a)
			}
		}},
		// RFC 9700 4.5: code replay; RFC 6749 4.1.2: revoke what the code gave.
		{"code replay revokes the grant", func(t *testing.T, e *env) {
			code := e.code(good())
			first := redeem(e, code)
			if first.status != 200 {
				t.Fatalf("first redemption: %v", first.body)
			}
			at := first.body["access_token"].(string)
			if w := e.userinfo(at); w.Code != 200 {
				t.Fatalf("userinfo before replay: %d", w.Code)
			}
			if again := redeem(e, code); again.errCode() != "invalid_grant" {
				t.Fatalf("replayed code: %d %v", again.status, again.body)
			}
			if w := e.userinfo(at); w.Code != http.StatusUnauthorized {
				t.Errorf("userinfo after replay: %d, want 401 (grant revoked)", w.Code)
			}
		}},
		{"code: concurrent redemption succeeds once", func(t *testing.T, e *env) {
			code := e.code(good())
			const n = 16
			var wg sync.WaitGroup
			results := make(chan int, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); results <- redeem(e, code).status }()
			}
			wg.Wait()
			close(results)
			ok := 0
			for s := range results {
				if s == 200 {
					ok++
				}
			}
			if ok != 1 {
				t.Errorf("%d of %d concurrent redemptions succeeded, want 1", ok, n)
			}
		}},
		{"code: expired", func(t *testing.T, e *env) {
			code := e.code(good())
			e.advance(e.cfg.CodeTTL + time.Second)
			if a := redeem(e, code); a.errCode() != "invalid_grant" {
				t.Errorf("expired code: %v", a.body)
			}
		}},
		{"code: issued to another client", func(t *testing.T, e *env) {
			code := e.code(good())
			if a := e.token(redeemForm(code, rp2ID, rp2Secret, rpRedirect), "", ""); a.errCode() != "invalid_grant" {
				t.Errorf("another client redeemed the code: %v", a.body)
			}
			if a := redeem(e, code); a.status != 200 {
				t.Errorf("the right client can no longer redeem: %v", a.body)
			}
		}},
		{"code: tampered or forged", func(t *testing.T, e *env) {
			code := e.code(good())
			b := []byte(code)
			b[len(b)/2] ^= 1
			for _, c := range []string{string(b), "not-a-code", code + "A", ""} {
				if a := redeem(e, c); a.status == 200 {
					t.Errorf("code %q accepted", c)
				}
			}
		}},
		{"code: an access token is not a code", func(t *testing.T, e *env) {
			first := redeem(e, e.code(good()))
			if a := redeem(e, first.body["access_token"].(string)); a.errCode() != "invalid_grant" {
				t.Errorf("access token accepted as a code: %v", a.body)
			}
		}},
		// RFC 7636 and RFC 9700 2.1.1.
		{"PKCE: verifier missing, wrong, malformed, unexpected", func(t *testing.T, e *env) {
			verifier := strings.Repeat("v", 43)
			code, _ := pkce(e, verifier)
			for name, v := range map[string]string{"missing": "", "wrong": strings.Repeat("w", 43), "too short": "v", "bad characters": strings.Repeat("v", 42) + "!"} {
				f := redeemForm(code, rpID, rpSecret, rpRedirect)
				if v != "" {
					f.Set("code_verifier", v)
				}
				a := e.token(f, "", "")
				if a.status == 200 {
					t.Errorf("verifier %s accepted", name)
				}
				if strings.HasPrefix(name, "too short") || strings.HasPrefix(name, "bad") {
					if a.errCode() != "invalid_request" {
						t.Errorf("malformed verifier (%s): %s, want invalid_request", name, a.errCode())
					}
				}
			}
			f := redeemForm(code, rpID, rpSecret, rpRedirect)
			f.Set("code_verifier", verifier)
			if a := e.token(f, "", ""); a.status != 200 {
				t.Errorf("right verifier refused: %v", a.body)
			}
			f = redeemForm(e.code(good()), rpID, rpSecret, rpRedirect)
			f.Set("code_verifier", verifier)
			if a := e.token(f, "", ""); a.errCode() != "invalid_grant" {
				t.Errorf("verifier without challenge accepted: %v", a.body)
			}
		}},
		{"PKCE: plain method refused", func(t *testing.T, e *env) {
			p := good()
			p.Set("code_challenge", strings.Repeat("c", 43))
			for _, m := range []string{"", "plain"} {
				p.Set("code_challenge_method", m)
				if a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)); a.params.Get("error") != "invalid_request" {
					t.Errorf("method %q: %+v", m, a)
				}
			}
		}},
		// RFC 9700 4.7 (CSRF) and 4.2: the state to ID.me.
		{"state: tampered", func(t *testing.T, e *env) {
			s := e.authorize(good())
			b := []byte(s.state)
			b[len(b)/2] ^= 1
			s.state = string(b)
			if a := e.callback(s, nil); !a.page || e.up.calls.Load() != 0 {
				t.Errorf("tampered state: %+v, upstream calls %d", a, e.up.calls.Load())
			}
		}},
		{"state: another spelling of the same bytes", func(t *testing.T, e *env) {
			s := e.authorize(good())
			if a := e.callback(s, nil); a.params.Get("code") == "" {
				t.Fatalf("first callback: %+v", a)
			}
			// Flip the unused low bits of the last character: lenient base64 decodes the same
			// bytes, and the used-once ledger must still catch it.
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, s.state[len(s.state)-1])
			for bits := 1; bits < 4; bits++ {
				variant := s.state[:len(s.state)-1] + string(alphabet[last^bits])
				if a := e.callback(started{state: variant, cookie: s.cookie}, nil); a.params.Get("code") != "" {
					t.Errorf("re-encoded state completed a second sign-in")
				}
			}
			if e.up.calls.Load() != 1 {
				t.Errorf("upstream called %d times, want 1", e.up.calls.Load())
			}
		}},
		{"state: replayed callback", func(t *testing.T, e *env) {
			s := e.authorize(good())
			e.callback(s, nil)
			if a := e.callback(s, nil); a.params.Get("error") != "access_denied" || e.up.calls.Load() != 1 {
				t.Errorf("replayed callback: %+v, upstream calls %d", a, e.up.calls.Load())
			}
		}},
		{"state: finished in another browser (cookie swap)", func(t *testing.T, e *env) {
			victim := e.authorize(good())
			attacker := e.authorize(good())
			for name, c := range map[string]*http.Cookie{"other cookie": attacker.cookie, "no cookie": nil} {
				if a := e.callback(started{state: victim.state, cookie: c}, nil); a.params.Get("error") != "access_denied" {
					t.Errorf("%s: %+v", name, a)
				}
			}
			if e.up.calls.Load() != 0 {
				t.Errorf("upstream called for an unbound callback")
			}
		}},
		{"state: expired", func(t *testing.T, e *env) {
			s := e.authorize(good())
			e.advance(e.cfg.StateTTL + time.Second)
			if a := e.callback(s, nil); a.params.Get("error") != "access_denied" || e.up.calls.Load() != 0 {
				t.Errorf("expired state: %+v", a)
			}
		}},
		{"state: a sealed value for another purpose", func(t *testing.T, e *env) {
			first := redeem(e, e.code(good()))
			s := started{state: first.body["access_token"].(string), cookie: e.authorize(good()).cookie}
			if a := e.callback(s, nil); !a.page {
				t.Errorf("access token accepted as state: %+v", a)
			}
		}},
		// RFC 9700 4.4 (mix-up): the response names its issuer (RFC 9207).
		{"mix-up: iss in every authorization response", func(t *testing.T, e *env) {
			ok := e.callback(e.authorize(good()), nil)
			s := e.authorize(good())
			bad := e.callback(s, url.Values{"error": {"access_denied"}, "code": nil})
			for _, a := range []answer{ok, bad} {
				if a.params.Get("iss") != issuer {
					t.Errorf("response without iss: %+v", a.params)
				}
			}
		}},
		// RFC 6749 2.3 and 3.2.1: client authentication.
		{"client authentication", func(t *testing.T, e *env) {
			code := e.code(good())
			for name, f := range map[string]url.Values{
				"wrong secret":   redeemForm(code, rpID, "wrong", rpRedirect),
				"no secret":      redeemForm(code, rpID, "", rpRedirect),
				"unknown client": redeemForm(code, "nobody", rpSecret, rpRedirect),
				"other's secret": redeemForm(code, rpID, rp2Secret, rpRedirect),
			} {
				if a := e.token(f, "", ""); a.status != http.StatusUnauthorized || a.errCode() != "invalid_client" {
					t.Errorf("%s: %d %v", name, a.status, a.body)
				}
			}
			if a := e.token(redeemForm(code, rpID, "", rpRedirect), rpID, "wrong"); a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("basic with wrong secret: %d %v", a.status, a.header)
			}
			if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), rpID, rpSecret); a.errCode() != "invalid_request" {
				t.Errorf("two methods at once: %v", a.body)
			}
			if a := e.token(redeemForm(code, "", "", rpRedirect), rpID, rpSecret); a.status != 200 {
				t.Errorf("client_secret_basic refused: %v", a.body)
			}
		}},
		{"client secret rotation: current and previous, never a third", func(t *testing.T, e *env) {
			e.cfg.Clients[0].PreviousSecretName = "rp-secret-old"
			e.secrets["rp-secret-old"] = "old-secret-value"
			for secret, want := range map[string]int{rpSecret: 200, "old-secret-value": 200, "third": 401} {
				if a := e.token(redeemForm(e.code(good()), rpID, secret, rpRedirect), "", ""); a.status != want {
					t.Errorf("secret %q: %d, want %d", secret, a.status, want)
				}
			}
			delete(e.secrets, "rp-secret-old") // deleted in the vault: no longer accepted, no outage
			if a := e.token(redeemForm(e.code(good()), rpID, "old-secret-value", rpRedirect), "", ""); a.status != 401 {
				t.Errorf("deleted previous secret: %d", a.status)
			}
			if a := e.token(redeemForm(e.code(good()), rpID, rpSecret, rpRedirect), "", ""); a.status != 200 {
				t.Errorf("current secret after the previous was deleted: %d %v", a.status, a.body)
			}
		}},
		// Oversized and malformed input.
		{"malformed: repeated parameters", func(t *testing.T, e *env) {
			q := good().Encode() + "&state=second"
			if w := e.do("GET", issuer+PathAuthorize+"?"+q, nil); w.Header().Get("Location") != "" {
				t.Errorf("repeated state redirected")
			}
			f := redeemForm(e.code(good()), rpID, rpSecret, rpRedirect)
			f.Add("code", "x")
			if a := e.token(f, "", ""); a.errCode() != "invalid_request" {
				t.Errorf("repeated code: %v", a.body)
			}
		}},
		{"oversized: state too long for the callback is refused at authorize", func(t *testing.T, e *env) {
			p := good()
			p.Set("state", strings.Repeat("s", maxParamBytes))
			p.Set("nonce", strings.Repeat("n", maxParamBytes/2))
			a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil))
			if a.to != rpRedirect || a.params.Get("error") != "invalid_request" || a.params.Get("state") != p.Get("state") {
				t.Errorf("long state: %+v", a.params.Get("error"))
			}
			// The longest state that is accepted must work end to end.
			p.Set("nonce", "n")
			p.Set("state", strings.Repeat("s", 1500))
			if a := e.callback(e.authorize(p), nil); a.params.Get("code") == "" {
				t.Errorf("a state /authorize accepted failed at /callback: %+v", a.params)
			}
		}},
		{"oversized: query, body and parameters", func(t *testing.T, e *env) {
			if w := e.do("GET", issuer+PathAuthorize+"?x="+strings.Repeat("a", maxQueryBytes), nil); w.Code != http.StatusRequestURITooLong {
				t.Errorf("huge query: %d", w.Code)
			}
			f := redeemForm("c", rpID, rpSecret, rpRedirect)
			f.Set("pad", strings.Repeat("p", maxBodyBytes))
			if a := e.token(f, "", ""); a.status != http.StatusBadRequest {
				t.Errorf("huge body: %d", a.status)
			}
			p := good()
			p.Set("nonce", strings.Repeat("n", maxParamBytes+1))
			if a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)); !a.page {
				t.Errorf("oversized parameter redirected: %+v", a)
			}
		}},
		// RFC 6749 5.2 / 4.1.2.1: error_description carries no request text.
		{"error_description: no echo of the request", func(t *testing.T, e *env) {
			p := good()
			p.Set("scope", `openid "><script>alert(1)</script> evil\`)
			a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil))
			d := a.params.Get("error_description")
			if a.params.Get("error") != "invalid_scope" || strings.ContainsAny(d, `"\<>`) || strings.Contains(d, "script") {
				t.Errorf("error_description %q", d)
			}
		}},
		// OIDC Core 3.1.2.1: prompt=none cannot be honoured.
		{"prompt=none is login_required", func(t *testing.T, e *env) {
			p := good()
			p.Set("prompt", "none")
			if a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)); a.params.Get("error") != "login_required" {
				t.Errorf("prompt=none: %+v", a.params)
			}
		}},
		// The access token: sealed, bound to its purpose, expiring.
		{"access token: tampered, expired, wrong scheme", func(t *testing.T, e *env) {
			at := redeem(e, e.code(good())).body["access_token"].(string)
			b := []byte(at)
			b[len(b)/2] ^= 1
			if w := e.userinfo(string(b)); w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("tampered token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
			}
			if w := e.userinfo(e.code(good())); w.Code != 401 {
				t.Errorf("a code accepted as an access token: %d", w.Code)
			}
			e.advance(e.cfg.TokenTTL + time.Second)
			if w := e.userinfo(at); w.Code != 401 {
				t.Errorf("expired token: %d", w.Code)
			}
		}},
		// Logout without id_token_hint: the user confirms, and only the bridge's own form counts.
		{"logout: confirmation cannot be forged", func(t *testing.T, e *env) {
			w := e.do("GET", issuer+PathLogout+"?"+url.Values{"client_id": {rp2ID}, "post_logout_redirect_uri": {rpLogout}}.Encode(), nil)
			m := hiddenInput.FindStringSubmatch(w.Body.String())
			if w.Code != 200 || w.Header().Get("Location") != "" || m == nil {
				t.Fatalf("no confirmation page: %d %s", w.Code, w.Header().Get("Location"))
			}
			confirm := url.Values{"confirm": {strings.ReplaceAll(m[2], "&#34;", `"`)}}
			if w := e.do("POST", issuer+PathLogout, confirm); w.Header().Get("Location") != "" {
				t.Errorf("confirmation without its cookie signed out")
			}
			if w := e.do("POST", issuer+PathLogout, url.Values{"confirm": {"forged"}}, w.Result().Cookies()...); w.Header().Get("Location") != "" {
				t.Errorf("forged confirmation signed out")
			}
			var cookie *http.Cookie
			for _, c := range w.Result().Cookies() {
				if c.Name == logoutConfirmCookie {
					cookie = c
				}
			}
			// Another prompt's cookie (the victim's browser) does not go with this token.
			other := e.do("GET", issuer+PathLogout, nil)
			for _, c := range other.Result().Cookies() {
				if c.Name == logoutConfirmCookie {
					if w := e.do("POST", issuer+PathLogout, confirm, c); w.Header().Get("Location") != "" {
						t.Errorf("confirmation accepted with another prompt's cookie")
					}
				}
			}
			if w := e.do("POST", issuer+PathLogout, confirm, cookie); !strings.HasPrefix(w.Header().Get("Location"), "https://idme.test/oauth/logout") {
				t.Errorf("confirmed sign-out did not go to ID.me: %d %q", w.Code, w.Header().Get("Location"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newEnv(t)) })
	}
}

// TestStateKeyRotation checks a sign-in begun under the old state key finishes after the new
// key is put first, and stops once the old key is removed.
func TestStateKeyRotation(t *testing.T) {
	e := newEnv(t)
	old := e.secrets["state-key"]
	inFlight := e.authorize(authzParams(rpID, rpRedirect))
	code := e.code(authzParams(rpID, rpRedirect))
	next := seal.NewKey()
	e.secrets["state-key"] = next + " " + old
	if a := e.callback(inFlight, nil); a.params.Get("code") == "" {
		t.Fatalf("in-flight sign-in broke at rotation: %+v", a.params)
	}
	if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); a.status != 200 {
		t.Fatalf("code sealed under the old key refused during the overlap: %v", a.body)
	}
	late := e.authorize(authzParams(rpID, rpRedirect))
	e.secrets["state-key"] = next
	if a := e.callback(late, nil); a.params.Get("code") == "" {
		t.Fatalf("state sealed with the newest key refused: %+v", a.params)
	}
	stale := e.authorize(authzParams(rpID, rpRedirect))
	e.secrets["state-key"] = seal.NewKey()
	if a := e.callback(stale, nil); !a.page {
		t.Fatalf("state sealed under a removed key accepted")
	}
}

// TestRelyingPartyStateByteForByte checks the client's state comes back exactly, invalid
// UTF-8 and all, on success and on error.
func TestRelyingPartyStateByteForByte(t *testing.T) {
	for _, state := range []string{"plain", "with space & = + %", "\xff\xfe invalid utf-8 \xc3", "ünïcödé", `"quoted"<tag>`} {
		e := newEnv(t)
		p := authzParams(rpID, rpRedirect)
		p.Set("state", state)
		if a := e.callback(e.authorize(p), nil); a.params.Get("state") != state {
			t.Errorf("state %q came back as %q", state, a.params.Get("state"))
		}
		p.Set("scope", "openid nonsense")
		if a := toRP(e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)); a.params.Get("state") != state {
			t.Errorf("state %q on error came back as %q", state, a.params.Get("state"))
		}
	}
}

// TestTwoStorageRoundTrips checks a whole sign-in (authorize, callback, token) makes exactly
// two storage round trips, and userinfo one.
func TestTwoStorageRoundTrips(t *testing.T) {
	e := newEnv(t)
	s := e.authorize(authzParams(rpID, rpRedirect))
	if n := e.st.trips(); n != 0 {
		t.Fatalf("authorize made %d storage round trips", n)
	}
	a := e.callback(s, nil)
	if n := e.st.trips(); n != 1 {
		t.Fatalf("callback: %d storage round trips, want 1", n)
	}
	tok := e.token(redeemForm(a.params.Get("code"), rpID, rpSecret, rpRedirect), "", "")
	if tok.status != 200 || e.st.trips() != 2 {
		t.Fatalf("token: status %d, %d round trips in all, want 2", tok.status, e.st.trips())
	}
	e.userinfo(tok.body["access_token"].(string))
	if n := e.st.trips(); n != 3 {
		t.Fatalf("userinfo: %d round trips in all, want 3", n)
	}
}

// TestBurnLast checks a storage failure at the token endpoint leaves the code usable: the
// client's retry succeeds and is not taken for a replay.
func TestBurnLast(t *testing.T) {
	e := newEnv(t)
	code := e.code(authzParams(rpID, rpRedirect))
	e.st.failCreate.Store(true)
	if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); a.status != http.StatusServiceUnavailable || a.errCode() != "temporarily_unavailable" {
		t.Fatalf("store down: %d %v", a.status, a.body)
	}
	e.st.failCreate.Store(false)
	a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	if a.status != 200 {
		t.Fatalf("retry after the outage: %d %v", a.status, a.body)
	}
	if w := e.userinfo(a.body["access_token"].(string)); w.Code != 200 {
		t.Fatalf("the retry's grant was revoked: %d", w.Code)
	}
}

// TestNothingBurnedBeforeTokensExist checks a code is not used up when the tokens cannot be
// signed: the retry once the keys are back succeeds, and is no replay.
func TestNothingBurnedBeforeTokensExist(t *testing.T) {
	e := newEnv(t)
	code := e.code(authzParams(rpID, rpRedirect))
	e.keySource.down.Store(true)
	if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); a.status != http.StatusServiceUnavailable {
		t.Fatalf("keys down: %d %v", a.status, a.body)
	}
	e.keySource.down.Store(false)
	a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	if a.status != 200 {
		t.Fatalf("retry once the keys are back: %d %v", a.status, a.body)
	}
	if w := e.userinfo(a.body["access_token"].(string)); w.Code != 200 {
		t.Fatalf("the retry's grant was revoked: %d", w.Code)
	}
}

// TestRevocationOutlivesTokens checks a replay-revocation lasts as long as the access token
// it revokes: redeemed at the last moment of the code's life, replayed, and checked just
// before the access token expires.
func TestRevocationOutlivesTokens(t *testing.T) {
	e := newEnv(t)
	code := e.code(authzParams(rpID, rpRedirect))
	e.advance(e.cfg.CodeTTL - 2*time.Second)
	first := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	if first.status != 200 {
		t.Fatal(first.body)
	}
	e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	e.advance(e.cfg.TokenTTL - 2*time.Second)
	if w := e.userinfo(first.body["access_token"].(string)); w.Code != http.StatusUnauthorized {
		t.Fatalf("revoked access token accepted late in its life: %d", w.Code)
	}
}

// TestRevocationOutlivesTokensAcrossClocks checks the revocation's margin for clock skew: the
// replay lands on an instance whose clock lags the one that later checks the access token, so
// the revocation record expires early by the reader's clock, and must still outlive the token.
func TestRevocationOutlivesTokensAcrossClocks(t *testing.T) {
	e := newEnv(t)
	code := e.code(authzParams(rpID, rpRedirect))
	first := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	if first.status != 200 {
		t.Fatal(first.body)
	}
	e.st.writerBehind.Store(int64(maxClockSkew - time.Second))
	if again := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); again.errCode() != "invalid_grant" {
		t.Fatalf("replayed code: %v", again.body)
	}
	e.advance(e.cfg.TokenTTL - 2*time.Second)
	if w := e.userinfo(first.body["access_token"].(string)); w.Code != http.StatusUnauthorized {
		t.Fatalf("revoked access token accepted late in its life: %d", w.Code)
	}
}

// TestOAuthErrorCharset checks error and error_description keep to RFC 6749's characters and
// a bounded length wherever they are written.
const badDescriptionChars = "\"\\\n\xff"

func TestOAuthErrorCharset(t *testing.T) {
	e := &oauthError{Code: `Invalid Request\`, Description: "a \"quoted\" \\ line\nbreak \xff" + strings.Repeat("x", 500), Challenge: "Bearer", Status: 401}
	f := e.fields()
	if f["error"] != "server_error" {
		t.Errorf("error %q", f["error"])
	}
	d := f["error_description"]
	if len(d) > maxDescription || strings.ContainsAny(d, badDescriptionChars) {
		t.Errorf("error_description %q", d)
	}
	w := httptest.NewRecorder()
	e.writeJSON(w)
	if h := w.Header().Get("WWW-Authenticate"); strings.Count(h, `"`) != 6 {
		t.Errorf("challenge %q", h)
	}
}

// TestIDTokenClaims checks the id_token's protocol claims, and that no translated claim can
// override one.
func TestIDTokenClaims(t *testing.T) {
	e := newEnv(t)
	e.up.identity.AuthTime = time.Unix(e.clock.Load()-30, 0)
	a := e.token(redeemForm(e.code(authzParams(rpID, rpRedirect)), rpID, rpSecret, rpRedirect), "", "")
	c := e.idToken(a.body["id_token"].(string))
	aud, _ := c["aud"].([]string)
	if c["iss"] != issuer || c["sub"] != "user-1" || len(aud) != 1 || aud[0] != rpID || c["nonce"] != "rp-nonce" ||
		c["given_name"] != "Ada" || c["idme_military_verified"] != true || c["at_hash"] == nil {
		t.Errorf("id_token claims %v", c)
	}
	if at, _ := c["auth_time"].(float64); int64(at) != e.clock.Load()-30 {
		t.Errorf("auth_time %v, want ID.me's %d", c["auth_time"], e.clock.Load()-30)
	}

	cl, err := tokenClaims(map[string]any{"iss": "evil", "sub": "evil", "aud": "evil", "nonce": "evil", "exp": 999, "auth_time": 5, "given_name": "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := encodeIDToken(idTokenProtocol{Issuer: issuer, Subject: "s", Audience: "a", Expires: 2, IssuedAt: 1, Nonce: "n"}, cl)
	if err != nil {
		t.Fatal(err)
	}
	s := string(payload)
	if strings.Contains(s, "evil") || strings.Contains(s, "999") || !strings.Contains(s, `"given_name":"Ada"`) || strings.Count(s, `"iss"`) != 1 {
		t.Errorf("translated claims overrode protocol claims: %s", s)
	}
}

// TestClaimRelease checks per-client data minimisation.
func TestClaimRelease(t *testing.T) {
	tests := []struct {
		name     string
		client   func(*config.Client)
		scope    string
		want     []string
		wantNone []string
	}{
		{"B2C default: everything", func(*config.Client) {}, "openid", []string{"given_name", "email", "phone_number", "postal_code", "idme_military_verified"}, nil},
		{"allow-list", func(c *config.Client) { c.Claims = []string{"email", "idme_military_verified"} }, "openid",
			[]string{"sub", "email", "idme_military_verified"}, []string{"given_name", "phone_number", "postal_code"}},
		{"standard scopes: email only", func(c *config.Client) { c.StandardScopes = true }, "openid email",
			[]string{"email", "idme_military_verified"}, []string{"given_name", "phone_number", "postal_code"}},
		{"standard scopes: profile, phone and address", func(c *config.Client) { c.StandardScopes = true }, "openid profile phone address",
			[]string{"given_name", "family_name", "phone_number", "postal_code"}, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config) { tt.client(&c.Clients[0]) })
			p := authzParams(rpID, rpRedirect)
			p.Set("scope", tt.scope)
			a := e.token(redeemForm(e.code(p), rpID, rpSecret, rpRedirect), "", "")
			c := e.idToken(a.body["id_token"].(string))
			for _, n := range tt.want {
				if _, ok := c[n]; !ok {
					t.Errorf("%s missing from %v", n, c)
				}
			}
			for _, n := range tt.wantNone {
				if _, ok := c[n]; ok {
					t.Errorf("%s released: %v", n, c)
				}
			}
		})
	}
}

// TestDiscoveryCaching checks discovery and JWKS are served with an ETag and answer 304, and
// claims_supported has no duplicates.
func TestDiscoveryCaching(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{PathDiscovery, PathJWKS} {
		w := e.do("GET", issuer+path, nil)
		etag := w.Header().Get("ETag")
		if w.Code != 200 || etag == "" {
			t.Fatalf("%s: %d etag %q", path, w.Code, etag)
		}
		r := e.do("GET", issuer+path, nil)
		if r.Header().Get("ETag") != etag || r.Body.String() != w.Body.String() {
			t.Errorf("%s: the body or ETag changed between requests", path)
		}
		cond := e.doHeader("GET", issuer+path, "If-None-Match", etag)
		if cond.Code != http.StatusNotModified || cond.Body.Len() != 0 {
			t.Errorf("%s with matching ETag: %d", path, cond.Code)
		}
		if other := e.doHeader("GET", issuer+path, "If-None-Match", `"other"`); other.Code != 200 {
			t.Errorf("%s with another ETag: %d", path, other.Code)
		}
	}
	body := e.do("GET", issuer+PathDiscovery, nil).Body.String()
	var doc struct {
		Claims []string `json:"claims_supported"`
	}
	if err := jsonUnmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range doc.Claims {
		if seen[c] {
			t.Errorf("claims_supported lists %s twice", c)
		}
		seen[c] = true
	}
}

// TestLogoutFinishesWhatItAccepts checks that a sign-out /logout accepts can also finish: the
// confirmation it hands out comes back within the confirm limit, and the logout cookie stays
// within what a browser keeps. What cannot is refused at the start, before the user confirms.
func TestLogoutFinishesWhatItAccepts(t *testing.T) {
	e := newEnv(t)
	long := rpLogout + "?" + strings.Repeat("p", 400)
	e.cfg.Clients[1].PostLogoutRedirectURIs = append(e.cfg.Clients[1].PostLogoutRedirectURIs, long)
	accepted := 0
	for _, target := range []string{rpLogout, long} {
		for _, n := range []int{0, 1000, 1500, 1800, 2048} {
			q := url.Values{"client_id": {rp2ID}, "post_logout_redirect_uri": {target}, "state": {strings.Repeat("s", n)}}
			w := e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil)
			m := hiddenInput.FindStringSubmatch(w.Body.String())
			if w.Code != http.StatusOK || m == nil {
				if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
					t.Errorf("target %d bytes, state %d: refused with %d %q", len(target), n, w.Code, w.Header().Get("Location"))
				}
				continue
			}
			accepted++
			confirm := url.Values{"confirm": {strings.ReplaceAll(m[2], "&#34;", `"`)}}
			done := e.do("POST", issuer+PathLogout, confirm, w.Result().Cookies()...)
			if !strings.HasPrefix(done.Header().Get("Location"), "https://idme.test/oauth/logout") {
				t.Errorf("target %d bytes, state %d: confirmed, then %d %q", len(target), n, done.Code, done.Header().Get("Location"))
				continue
			}
			for _, c := range done.Result().Cookies() {
				if c.Name == logoutCookie && len(c.Name)+len(c.Value) > 4096 {
					t.Errorf("target %d bytes, state %d: logout cookie of %d bytes, which a browser drops", len(target), n, len(c.Name)+len(c.Value))
				}
			}
		}
	}
	if accepted < 5 {
		t.Errorf("only %d of 10 sign-outs accepted: ordinary ones must be", accepted)
	}
	// With an id_token_hint there is no confirmation: the cookie is the only limit.
	hint := e.token(redeemForm(e.code(authzParams(rp2ID, rp2Redirect)), rp2ID, rp2Secret, rp2Redirect), "", "").body["id_token"].(string)
	for _, n := range []int{100, 2048} {
		q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {long}, "state": {strings.Repeat("s", n)}}
		w := e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil)
		cookieOK := false
		for _, c := range w.Result().Cookies() {
			cookieOK = cookieOK || c.Name == logoutCookie && len(c.Name)+len(c.Value) <= 4096
		}
		switch {
		case n == 100 && !cookieOK:
			t.Errorf("hint, state %d: no usable logout cookie (%d)", n, w.Code)
		case n == 2048 && (w.Code != http.StatusBadRequest || cookieOK):
			t.Errorf("hint, state %d: %d, cookie kept %v; want a refusal at the start", n, w.Code, cookieOK)
		}
	}
}

// TestCodeTheTokenEndpointWouldRefuseIsNotIssued checks the callback never hands out a code
// longer than the token endpoint accepts (the code carries the user's claims, sealed).
func TestCodeTheTokenEndpointWouldRefuseIsNotIssued(t *testing.T) {
	for _, n := range []int{8 << 10, 20 << 10} {
		e := newEnv(t)
		e.up.identity.Attributes["fname"] = strings.Repeat("a", n)
		a := e.callback(e.authorize(authzParams(rpID, rpRedirect)), nil)
		code := a.params.Get("code")
		switch {
		case code != "":
			if got := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); got.status != 200 {
				t.Errorf("name of %d bytes: a code was issued that does not redeem: %d %v", n, got.status, got.body)
			}
		case a.params.Get("error") != "server_error":
			t.Errorf("name of %d bytes: %+v", n, a)
		}
		if n == 20<<10 && code != "" {
			t.Errorf("name of %d bytes: issued a code of %d bytes", n, len(code))
		}
	}
}
