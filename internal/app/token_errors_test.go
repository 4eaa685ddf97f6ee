package app

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// codeFor runs a sign-in and returns the bridge's code, unredeemed.
func (w *world) codeFor(persona string, extra ...oauth2.AuthCodeOption) string {
	w.t.Helper()
	got := w.signIn(w.authorizeURL("openid military", "s", "n", extra...), persona)
	if got.params.Get("code") == "" {
		w.t.Fatalf("no code: %v", got.params)
	}
	return got.params.Get("code")
}

func oauthError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	return e.Error
}

// TestTokenRejects checks every malformed or unauthorised token request, and that a code
// survives requests that were refused before it was redeemed.
func TestTokenRejects(t *testing.T) {
	w := newWorld(t)
	code := w.codeFor("veteran")
	good := func() url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI},
			"client_id": {rpClientID}, "client_secret": {rpClientSecret}}
	}
	with := func(mutate func(v url.Values)) url.Values { v := good(); mutate(v); return v }
	tests := []struct {
		name        string
		form        url.Values
		basic       [2]string
		wantStatus  int
		wantError   string
		wantBasicWA bool
	}{
		{"wrong secret", with(func(v url.Values) { v.Set("client_secret", "guess") }), [2]string{}, 401, "invalid_client", false},
		{"secret of another client", with(func(v url.Values) { v.Set("client_secret", "other-secret-value") }), [2]string{}, 401, "invalid_client", false},
		{"unknown client", with(func(v url.Values) { v.Set("client_id", "nobody") }), [2]string{}, 401, "invalid_client", false},
		{"no credentials", with(func(v url.Values) { v.Del("client_id"); v.Del("client_secret") }), [2]string{}, 401, "invalid_client", false},
		{"wrong basic secret", with(func(v url.Values) { v.Del("client_id"); v.Del("client_secret") }), [2]string{rpClientID, "guess"}, 401, "invalid_client", true},
		{"two auth methods", with(func(v url.Values) {}), [2]string{rpClientID, rpClientSecret}, 400, "invalid_request", false},
		{"missing grant_type", with(func(v url.Values) { v.Del("grant_type") }), [2]string{}, 400, "invalid_request", false},
		{"password grant", with(func(v url.Values) { v.Set("grant_type", "password") }), [2]string{}, 400, "unsupported_grant_type", false},
		{"refresh grant", with(func(v url.Values) { v.Set("grant_type", "refresh_token") }), [2]string{}, 400, "unsupported_grant_type", false},
		{"missing code", with(func(v url.Values) { v.Del("code") }), [2]string{}, 400, "invalid_request", false},
		{"duplicated code", with(func(v url.Values) { v.Add("code", code) }), [2]string{}, 400, "invalid_request", false},
		{"unknown code", with(func(v url.Values) { v.Set("code", "not-a-code") }), [2]string{}, 400, "invalid_grant", false},
		{"oversized code", with(func(v url.Values) { v.Set("code", strings.Repeat("c", 20000)) }), [2]string{}, 400, "invalid_request", false},
		{"redirect mismatch", with(func(v url.Values) { v.Set("redirect_uri", rpRedirectURI+"x") }), [2]string{}, 400, "invalid_grant", false},
		{"missing redirect", with(func(v url.Values) { v.Del("redirect_uri") }), [2]string{}, 400, "invalid_grant", false},
		{"code of another client", with(func(v url.Values) { v.Set("client_id", "other-client"); v.Set("client_secret", "other-secret-value") }), [2]string{}, 400, "invalid_grant", false},
		{"verifier without challenge", with(func(v url.Values) { v.Set("code_verifier", strings.Repeat("v", 43)) }), [2]string{}, 400, "invalid_grant", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := w.postForm("/token", tt.form, tt.basic[0], tt.basic[1])
			if status != tt.wantStatus || oauthError(t, body) != tt.wantError {
				t.Fatalf("status %d body %s, want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
		})
	}
	// None of the refused requests burned the code.
	status, body := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI}},
		rpClientID, rpClientSecret)
	if status != http.StatusOK || !strings.Contains(body, `"id_token"`) {
		t.Fatalf("client_secret_basic redemption after refusals: %d %s", status, body)
	}

	resp, err := w.bridge.Client().Get(w.issuer + "/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token = %d, want 405", resp.StatusCode)
	}
}

// TestCodeReplayRevokes redeems a code twice: the second fails, and the access token from
// the first stops working at userinfo.
func TestCodeReplayRevokes(t *testing.T) {
	w := newWorld(t)
	code := w.codeFor("veteran")
	tok, err := w.redeem(code)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.userinfo(tok.AccessToken); got.status != http.StatusOK {
		t.Fatalf("userinfo before replay: %d", got.status)
	}
	_, err = w.redeem(code)
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second redemption err = %v, want invalid_grant", err)
	}
	if got := w.userinfo(tok.AccessToken); got.status != http.StatusUnauthorized {
		t.Fatalf("userinfo after replay: %d, want 401", got.status)
	}
}

// TestCodeExpires checks the code's short lifetime and the access token's.
func TestCodeAndTokenExpire(t *testing.T) {
	w := newWorld(t)
	code := w.codeFor("veteran")
	w.clock.Advance(2 * time.Minute)
	if _, err := w.redeem(code); err == nil {
		t.Fatal("an expired code was redeemed")
	}
	tok, err := w.redeem(w.codeFor("service_member"))
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(11 * time.Minute)
	if got := w.userinfo(tok.AccessToken); got.status != http.StatusUnauthorized {
		t.Fatalf("userinfo with an expired token: %d", got.status)
	}
}

// TestPKCE checks code_challenge handling for clients that send one.
func TestPKCE(t *testing.T) {
	w := newWorld(t)
	verifier := oauth2.GenerateVerifier()
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	code := w.codeFor("veteran", oauth2.SetAuthURLParam("code_challenge", challenge), oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	for _, tt := range []struct {
		name, verifier string
		ok             bool
	}{
		{"missing verifier", "", false},
		{"wrong verifier", oauth2.GenerateVerifier(), false},
		{"right verifier", verifier, true},
	} {
		var opts []oauth2.AuthCodeOption
		if tt.verifier != "" {
			opts = append(opts, oauth2.VerifierOption(tt.verifier))
		}
		_, err := w.redeem(code, opts...)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestTokenConcurrentRedemption redeems one code from 50 goroutines: exactly one wins.
func TestTokenConcurrentRedemption(t *testing.T) {
	w := newWorld(t)
	code := w.codeFor("veteran")
	results := make(chan int, 50)
	for range 50 {
		go func() {
			status, _ := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI},
				"client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
			results <- status
		}()
	}
	wins := 0
	for range 50 {
		if <-results == http.StatusOK {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1", wins)
	}
}
