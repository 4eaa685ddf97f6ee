package provider

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// confirmation starts a sign-out without id_token_hint and returns the confirmation token the
// page carries and the cookie it is tied to.
func (e *env) confirmation(q url.Values) (string, *http.Cookie) {
	e.t.Helper()
	w := e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil)
	m := hiddenInput.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil || m[1] != "confirm" {
		e.t.Fatalf("no confirmation page: %d %s", w.Code, w.Body.String())
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == logoutConfirmCookie {
			return html.UnescapeString(m[2]), c
		}
	}
	e.t.Fatal("the confirmation page set no cookie")
	return "", nil
}

// signedOut reports whether w sent the browser to ID.me's sign-out or set the cookie that
// brings it back to the relying party: either is a sign-out.
func signedOut(w *httptest.ResponseRecorder) bool {
	if strings.HasPrefix(w.Header().Get("Location"), "https://idme.test/oauth/logout") {
		return true
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == logoutCookie && c.MaxAge > 0 {
			return true
		}
	}
	return false
}

// TestLogoutConfirmationIsPostOnly checks the confirmation signs out only when posted: a link
// or image (GET, HEAD) carrying a genuine confirmation and its cookie must not, and other
// methods are not routed at all.
func TestLogoutConfirmationIsPostOnly(t *testing.T) {
	e := newEnv(t)
	q := url.Values{"client_id": {rp2ID}, "post_logout_redirect_uri": {rpLogout}}
	for _, method := range []string{"GET", "HEAD", "PUT", "DELETE", "PATCH"} {
		t.Run(method, func(t *testing.T) {
			token, cookie := e.confirmation(q)
			target := issuer + PathLogout + "?" + url.Values{"confirm": {token}}.Encode()
			var form url.Values
			if method != "GET" && method != "HEAD" {
				form = url.Values{"confirm": {token}}
			}
			w := e.do(method, target, form, cookie)
			if signedOut(w) || w.Code < 400 {
				t.Errorf("%s of the confirmation: %d %q", method, w.Code, w.Header().Get("Location"))
			}
			// The same confirmation, posted, still works: the refusal was for the method.
			if w := e.do("POST", issuer+PathLogout, url.Values{"confirm": {token}}, cookie); !signedOut(w) {
				t.Errorf("posted after a %s: %d %q", method, w.Code, w.Header().Get("Location"))
			}
		})
	}
}

// TestPostLogoutRedirectExactMatch checks the address to return to after sign-out is one of
// the client's registered post-logout URIs, byte for byte (OIDC RP-Initiated Logout 1.0,
// section 3: it must have been registered); a look-alike gets an error page and no sign-out,
// whether the client is named by client_id or by id_token_hint.
func TestPostLogoutRedirectExactMatch(t *testing.T) {
	e := newEnv(t)
	hint := e.token(redeemForm(e.code(authzParams(rp2ID, rp2Redirect)), rp2ID, rp2Secret, rp2Redirect), "", "").body["id_token"].(string)
	lookAlikes := []string{
		rpLogout + "/", rpLogout + "x", rpLogout + "?next=https://evil.example", rpLogout + "#f",
		strings.ToUpper(rpLogout), strings.Replace(rpLogout, "https://", "http://", 1),
		strings.Replace(rpLogout, "app.example", "app.example.evil.example", 1), "https://evil.example/signed-out",
		rp2Redirect, // the client's redirect URI is not a post-logout URI
		" " + rpLogout, rpLogout + "%20", "//app.example/signed-out",
	}
	for _, target := range lookAlikes {
		for _, by := range []string{"client_id", "id_token_hint"} {
			q := url.Values{"post_logout_redirect_uri": {target}, "state": {"s"}}
			if by == "client_id" {
				q.Set("client_id", rp2ID)
			} else {
				q.Set("id_token_hint", hint)
			}
			w := e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil)
			if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" || signedOut(w) || hiddenInput.MatchString(w.Body.String()) {
				t.Errorf("%q by %s: %d %q", target, by, w.Code, w.Header().Get("Location"))
			}
		}
	}
	// Another client's registered URI does not serve this one.
	q := url.Values{"client_id": {rpID}, "post_logout_redirect_uri": {rpLogout}}
	if w := e.do("GET", issuer+PathLogout+"?"+q.Encode(), nil); w.Code != http.StatusBadRequest {
		t.Errorf("another client's post-logout URI: %d", w.Code)
	}
	// The registered URI itself works both ways and ends there, with the state.
	token, cookie := e.confirmation(url.Values{"client_id": {rp2ID}, "post_logout_redirect_uri": {rpLogout}, "state": {"s"}})
	confirmed := e.do("POST", issuer+PathLogout, url.Values{"confirm": {token}}, cookie)
	viaHint := e.do("GET", issuer+PathLogout+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogout}, "state": {"s"}}.Encode(), nil)
	for name, w := range map[string]*httptest.ResponseRecorder{"confirmed": confirmed, "id_token_hint": viaHint} {
		if !signedOut(w) {
			t.Fatalf("%s: not signed out: %d", name, w.Code)
		}
		back, _ := cookieNamed(t, w, logoutCookie)
		end := e.do("GET", issuer+PathLogoutCallback, nil, back)
		if got := end.Header().Get("Location"); got != rpLogout+"?state=s" {
			t.Errorf("%s: back at %q, want %q", name, got, rpLogout+"?state=s")
		}
	}
}
