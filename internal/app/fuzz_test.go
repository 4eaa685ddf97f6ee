package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzEndpoints sends arbitrary query strings, form bodies, cookies and Authorization headers
// to every endpoint of the whole bridge, in process (no network between the fuzzer and the
// handler, so a panic is not hidden behind a dropped connection). ID.me is up and the store
// works, so any 5xx is the bridge's fault and fails the target, as does a panic. `go test`
// runs the seeds (here and in testdata/fuzz/FuzzEndpoints); run longer with:
// go test -run '^$' -fuzz FuzzEndpoints -fuzztime 60s ./internal/app
func FuzzEndpoints(f *testing.F) {
	for _, seed := range []struct{ input, cookie, auth string }{
		{"", "", ""}, {"client_id=b2c-contoso", "", ""},
		{"client_id=b2c-contoso&redirect_uri=https%3A%2F%2Fcontoso.b2clogin.com%2Fcontoso.onmicrosoft.com%2Foauth2%2Fauthresp&response_type=code&scope=openid+nurse&state=%00", "", ""},
		{"state=%ff%fe&code=x", "__Host-idme-bridge-binding=" + strings.Repeat("a", 43), ""},
		{"code=a&code=b", "", "Basic Yjpj"},
		{"grant_type=authorization_code&client_id=b2c-contoso&client_secret=rp-secret-value", "", ""},
		{"grant_type=authorization_code&code=zzz&client_id=b2c-contoso&client_secret=rp-secret-value", "", ""},
		{"error=access_denied&state=AAAA", "", ""}, {"%", "", "Bearer %"}, {"a=%zz;b=1", "", ""},
		{"id_token_hint=e30.e30.e30&post_logout_redirect_uri=x", "", ""},
		{"confirm=AAAA", "__Host-idme-bridge-logout-confirm=x", ""},
		{"max_age=-1&prompt=login+none", "", "Bearer "},
		{strings.Repeat("x=1&", 100), "", ""},
	} {
		f.Add(seed.input, seed.cookie, seed.auth)
	}
	w := newWorld(f)
	handler := w.bridge.Config.Handler
	host := strings.TrimPrefix(w.issuer, "https://")
	paths := []string{"/authorize", "/callback", "/token", "/userinfo", "/logout", "/logout/callback",
		"/.well-known/jwks.json", "/.well-known/openid-configuration", "/healthz"}
	f.Fuzz(func(t *testing.T, input, cookie, auth string) {
		for _, path := range paths {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				req := &http.Request{
					Method: method, Host: host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					URL:    &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: input},
					Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
					Body:   io.NopCloser(strings.NewReader(input)), ContentLength: int64(len(input)),
					RemoteAddr: "127.0.0.1:1234", RequestURI: path + "?" + input,
				}
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("%s %s?%q (cookie %q, auth %q) answered %d: %s", method, path, input, cookie, auth, rec.Code, rec.Body.String())
				}
			}
		}
	})
}
