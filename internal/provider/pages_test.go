package provider

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// parseCSP splits a Content-Security-Policy into its directives, each with its sources.
func parseCSP(t *testing.T, policy string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		if _, dup := out[f[0]]; dup {
			t.Errorf("directive %s appears twice in %q", f[0], policy)
		}
		out[f[0]] = f[1:]
	}
	return out
}

var (
	scriptNonce = regexp.MustCompile(`<script nonce="([^"]+)">`)
	styleNonce  = regexp.MustCompile(`<style nonce="([^"]+)">`)
)

// TestFormPostCSP checks the one page that runs script, the form_post answer: its script is
// allowed by a fresh nonce and by nothing else, so an injected inline script cannot run.
func TestFormPostCSP(t *testing.T) {
	e := newEnv(t)
	p := authzParams(rpID, rpRedirect)
	p.Set("response_mode", "form_post")
	seen := map[string]bool{}
	for range 2 {
		s := e.authorize(p)
		w := e.do("GET", issuer+PathCallback+"?"+url.Values{"state": {s.state}, "code": {"c"}}.Encode(), nil, s.cookie)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `<form method="post" action="`+rpRedirect+`">`) {
			t.Fatalf("no form_post page: %d %s", w.Code, body)
		}
		sm, stm := scriptNonce.FindStringSubmatch(body), styleNonce.FindStringSubmatch(body)
		if sm == nil || stm == nil || sm[1] != stm[1] {
			t.Fatalf("script and style nonces %v %v", sm, stm)
		}
		nonce := sm[1]
		if raw, err := base64.RawStdEncoding.DecodeString(nonce); err != nil || len(raw) < 16 {
			t.Errorf("nonce %q is not 128 random bits", nonce)
		}
		if seen[nonce] {
			t.Errorf("nonce %q reused across responses", nonce)
		}
		seen[nonce] = true
		policy := w.Header().Get("Content-Security-Policy")
		csp := parseCSP(t, policy)
		want := map[string][]string{
			"default-src":     {"'none'"},
			"script-src":      {"'nonce-" + nonce + "'"},
			"style-src":       {"'nonce-" + nonce + "'"},
			"frame-ancestors": {"'none'"},
			"base-uri":        {"'none'"},
		}
		for d, sources := range want {
			if !slices.Equal(csp[d], sources) {
				t.Errorf("%s %v, want exactly %v (policy %q)", d, csp[d], sources, policy)
			}
		}
		if len(csp) != len(want) {
			// form-action is left out on purpose: B2C's endpoint may redirect after the POST.
			t.Errorf("policy %q has directives beyond %v", policy, want)
		}
		for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'", "*", "data:", "https:"} {
			if strings.Contains(policy, bad) {
				t.Errorf("policy %q allows %s", policy, bad)
			}
		}
	}
}

// TestPageHeaders checks every HTML page the provider writes cannot be framed, cached, or run
// anything but its own nonce'd script, and that a page without a form posts nowhere.
func TestPageHeaders(t *testing.T) {
	e := newEnv(t)
	formPost := authzParams(rpID, rpRedirect)
	formPost.Set("response_mode", "form_post")
	pages := []struct {
		name    string
		request func() *httptest.ResponseRecorder
		form    bool
	}{
		{"error page (unknown client)", func() *httptest.ResponseRecorder {
			p := authzParams("nobody", rpRedirect)
			return e.do("GET", issuer+PathAuthorize+"?"+p.Encode(), nil)
		}, false},
		{"error page (bad state at callback)", func() *httptest.ResponseRecorder {
			return e.do("GET", issuer+PathCallback+"?state=AAAA&code=c", nil)
		}, false},
		{"signed-out page", func() *httptest.ResponseRecorder {
			return e.do("GET", issuer+PathLogoutCallback, nil)
		}, false},
		{"sign-out confirmation", func() *httptest.ResponseRecorder {
			return e.do("GET", issuer+PathLogout, nil)
		}, true},
		{"form_post", func() *httptest.ResponseRecorder {
			s := e.authorize(formPost)
			return e.do("GET", issuer+PathCallback+"?"+url.Values{"state": {s.state}, "code": {"c"}}.Encode(), nil, s.cookie)
		}, true},
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			w := pg.request()
			h := w.Header()
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Fatalf("not a page: %d %v", w.Code, h)
			}
			for name, want := range map[string]string{
				"Cache-Control": "no-store", "Pragma": "no-cache", "X-Frame-Options": "DENY",
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			csp := parseCSP(t, h.Get("Content-Security-Policy"))
			for _, d := range []string{"default-src", "frame-ancestors", "base-uri"} {
				if !slices.Equal(csp[d], []string{"'none'"}) {
					t.Errorf("%s %v, want 'none'", d, csp[d])
				}
			}
			for _, d := range []string{"script-src", "style-src"} {
				if len(csp[d]) != 1 || !strings.HasPrefix(csp[d][0], "'nonce-") {
					t.Errorf("%s %v, want one nonce", d, csp[d])
				}
			}
			fa, hasFA := csp["form-action"]
			switch {
			case pg.form && hasFA:
				t.Errorf("a page with a form restricts form-action %v: the relying party's redirect after the POST would be blocked", fa)
			case !pg.form && !slices.Equal(fa, []string{"'none'"}):
				t.Errorf("form-action %v, want 'none' on a page without a form", fa)
			}
		})
	}
}

// cookieNamed returns the Set-Cookie of name in w, parsed, and its raw header.
func cookieNamed(t *testing.T, w *httptest.ResponseRecorder, name string) (*http.Cookie, string) {
	t.Helper()
	for _, raw := range w.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(raw)
		if err == nil && c.Name == name {
			return c, raw
		}
	}
	t.Fatalf("no %s cookie among %v", name, w.Result().Header.Values("Set-Cookie"))
	return nil, ""
}

// TestCookieAttributes checks each cookie the provider sets, attribute by attribute. All are
// __Host- (so Secure, Path=/ and no Domain are browser-enforced) and HttpOnly. SameSite
// differs on purpose: the binding and logout cookies must come back on ID.me's cross-site
// top-level redirect to the bridge (Lax sends them, Strict would not), while the sign-out
// confirmation is posted by the bridge's own page, so Strict keeps another site's form from
// posting it with the cookie.
func TestCookieAttributes(t *testing.T) {
	e := newEnv(t)
	ttl := int(e.cfg.StateTTL.Seconds())
	hint := e.token(redeemForm(e.code(authzParams(rp2ID, rp2Redirect)), rp2ID, rp2Secret, rp2Redirect), "", "").body["id_token"].(string)
	tests := []struct {
		name     string
		cookie   string
		request  func() *httptest.ResponseRecorder
		sameSite http.SameSite
		raw      string
	}{
		{"binding", bindingCookie, func() *httptest.ResponseRecorder {
			return e.do("GET", issuer+PathAuthorize+"?"+authzParams(rpID, rpRedirect).Encode(), nil)
		}, http.SameSiteLaxMode, "SameSite=Lax"},
		{"sign-out confirmation", logoutConfirmCookie, func() *httptest.ResponseRecorder {
			return e.do("GET", issuer+PathLogout, nil)
		}, http.SameSiteStrictMode, "SameSite=Strict"},
		{"sign-out return", logoutCookie, func() *httptest.ResponseRecorder {
			q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogout}}
			return e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil)
		}, http.SameSiteLaxMode, "SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, raw := cookieNamed(t, tt.request(), tt.cookie)
			if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" ||
				c.SameSite != tt.sameSite || c.MaxAge != ttl || c.Value == "" {
				t.Errorf("cookie %+v", c)
			}
			if !strings.Contains(raw, "; "+tt.raw) {
				t.Errorf("Set-Cookie %q lacks %s", raw, tt.raw)
			}
		})
	}
}
