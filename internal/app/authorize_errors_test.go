package app

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuthorizeRejects checks every malformed authorize request: before the client and redirect
// URI are validated the answer is an error page (never a redirect); after, an OAuth error at
// the relying party with its state.
func TestAuthorizeRejects(t *testing.T) {
	w := newWorld(t)
	good := func() url.Values {
		return url.Values{
			"client_id": {rpClientID}, "redirect_uri": {rpRedirectURI}, "response_type": {"code"},
			"scope": {"openid military"}, "state": {"s1"}, "nonce": {"n1"}, "response_mode": {"query"},
		}
	}
	with := func(mutate func(v url.Values)) url.Values { v := good(); mutate(v); return v }
	tests := []struct {
		name      string
		params    url.Values
		wantPage  int    // status of an error page (no redirect), or 0
		wantError string // OAuth error returned to the relying party
	}{
		{"unknown client", with(func(v url.Values) { v.Set("client_id", "intruder") }), 400, ""},
		{"missing client", with(func(v url.Values) { v.Del("client_id") }), 400, ""},
		{"duplicated client", with(func(v url.Values) { v.Add("client_id", rpClientID) }), 400, ""},
		{"unregistered redirect", with(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }), 400, ""},
		{"redirect differs by a slash", with(func(v url.Values) { v.Set("redirect_uri", rpRedirectURI+"/") }), 400, ""},
		{"redirect differs by case", with(func(v url.Values) { v.Set("redirect_uri", strings.ToUpper(rpRedirectURI)) }), 400, ""},
		{"redirect with extra query", with(func(v url.Values) { v.Set("redirect_uri", rpRedirectURI+"?x=1") }), 400, ""},
		{"missing redirect", with(func(v url.Values) { v.Del("redirect_uri") }), 400, ""},
		{"oversized state", with(func(v url.Values) { v.Set("state", strings.Repeat("s", 3000)) }), 400, ""},
		{"oversized query", with(func(v url.Values) { v.Set("junk", strings.Repeat("j", 9000)) }), 414, ""},
		{"response_type token", with(func(v url.Values) { v.Set("response_type", "token") }), 0, "unsupported_response_type"},
		{"response_type id_token", with(func(v url.Values) { v.Set("response_type", "code id_token") }), 0, "unsupported_response_type"},
		{"missing response_type", with(func(v url.Values) { v.Del("response_type") }), 0, "invalid_request"},
		{"duplicated scope", with(func(v url.Values) { v.Add("scope", "openid") }), 400, ""},
		{"no openid", with(func(v url.Values) { v.Set("scope", "military") }), 0, "invalid_scope"},
		{"policy not allowed", with(func(v url.Values) { v.Set("scope", "openid nurse") }), 0, "invalid_scope"},
		{"pkce plain", with(func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "plain")
		}), 0, "invalid_request"},
		{"pkce malformed", with(func(v url.Values) { v.Set("code_challenge", "short"); v.Set("code_challenge_method", "S256") }), 0, "invalid_request"},
		{"pkce without method (plain)", with(func(v url.Values) { v.Set("code_challenge", strings.Repeat("a", 43)) }), 0, "invalid_request"},
		{"prompt none", with(func(v url.Values) { v.Set("prompt", "none") }), 0, "login_required"},
		{"pkce method alone", with(func(v url.Values) { v.Set("code_challenge_method", "S256") }), 0, "invalid_request"},
		{"response_mode fragment", with(func(v url.Values) { v.Set("response_mode", "fragment") }), 0, "invalid_request"},
		{"request object", with(func(v url.Values) { v.Set("request", "eyJhbGciOiJub25lIn0.e30.") }), 0, "request_not_supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := w.get(w.issuer + "/authorize?" + tt.params.Encode())
			if tt.wantPage != 0 {
				if resp.StatusCode != tt.wantPage || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d location %q, want error page %d and no redirect", resp.StatusCode, resp.Header.Get("Location"), tt.wantPage)
				}
				if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("error page headers: %v", resp.Header)
				}
				return
			}
			got := w.toRP(resp)
			if got.params.Get("error") != tt.wantError || got.params.Get("state") != "s1" || got.params.Get("iss") != w.issuer {
				t.Fatalf("returned %v, want error=%s with state and iss", got.params, tt.wantError)
			}
		})
	}
}

// TestAuthorizeByPostAndDefaults checks the POST form of authorize and the client's defaults
// (response mode form_post, default ID.me policy).
func TestAuthorizeByPostAndDefaults(t *testing.T) {
	w := newWorld(t)
	form := url.Values{"client_id": {"other-client"}, "redirect_uri": {rpRedirectURI}, "response_type": {"code"}, "scope": {"openid"}, "state": {"p"}}
	resp, err := w.browser.PostForm(w.issuer+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound {
		t.Logf("body: %s", body)
	}
	if resp.StatusCode != http.StatusFound || loc.Query().Get("scope") != "openid military" {
		t.Fatalf("status %d, ID.me scope %q; want a redirect asking for the client's default policy", resp.StatusCode, loc.Query().Get("scope"))
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if loc.Query().Get(k) == "" {
			t.Errorf("ID.me authorize URL lacks %s", k)
		}
	}
	if loc.Query().Get("code_challenge_method") != "S256" {
		t.Errorf("code_challenge_method = %q", loc.Query().Get("code_challenge_method"))
	}
	var binding *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-idme-bridge-binding" {
			binding = c
		}
	}
	if binding == nil || !binding.Secure || !binding.HttpOnly || binding.SameSite != http.SameSiteLaxMode || binding.Path != "/" {
		t.Fatalf("binding cookie = %+v", binding)
	}
	// Back from ID.me, the result goes by form_post: the client's default.
	got := w.toRP(w.get(w.followToCallback(loc.String(), "veteran")))
	if got.status != http.StatusOK || got.params.Get("code") == "" || got.params.Get("state") != "p" {
		t.Fatalf("form_post result %d %v", got.status, got.params)
	}
}

// followToCallback picks a persona at the simulator and returns the bridge callback URL.
func (w *world) followToCallback(idmeURL, persona string) string {
	w.t.Helper()
	resp := w.get(idmeURL + "&persona=" + persona)
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// TestStateEchoedExactly checks that opaque values come back byte for byte, and that the
// form_post page does not restrict where the relying party redirects after the POST.
func TestStateEchoedExactly(t *testing.T) {
	w := newWorld(t)
	state := "  spaced + =&state/é  "
	resp := w.get(w.authorizeURL("openid military", state, "n"))
	resp.Body.Close()
	cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
	page := w.get(cb)
	if csp := page.Header.Get("Content-Security-Policy"); strings.Contains(csp, "form-action") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("form_post CSP = %q", csp)
	}
	got := w.toRP(page)
	if got.params.Get("state") != state {
		t.Fatalf("state = %q, want %q", got.params.Get("state"), state)
	}
}
