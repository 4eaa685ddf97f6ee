package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzEndpoints sends arbitrary query strings and form bodies to every endpoint: whatever
// comes in, the bridge answers without a 5xx (ID.me is up and the store works, so any failure
// is the request's), which also means it did not panic. `go test` runs the seeds; run longer
// with: go test -run '^$' -fuzz FuzzEndpoints -fuzztime 60s ./internal/app
func FuzzEndpoints(f *testing.F) {
	for _, seed := range []string{
		"", "client_id=b2c-contoso",
		"client_id=b2c-contoso&redirect_uri=https%3A%2F%2Fcontoso.b2clogin.com%2Fcontoso.onmicrosoft.com%2Foauth2%2Fauthresp&response_type=code&scope=openid+nurse&state=%00",
		"state=%ff%fe&code=x", "code=a&code=b",
		"grant_type=authorization_code&code=zzz&client_id=b2c-contoso&client_secret=rp-secret-value",
		"error=access_denied&state=AAAA", "%", "a=%zz;b=1",
		"id_token_hint=e30.e30.e30&post_logout_redirect_uri=x",
		strings.Repeat("x=1&", 100),
	} {
		f.Add(seed)
	}
	w := newWorld(f)
	client := w.bridge.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	paths := []string{"/authorize", "/callback", "/token", "/userinfo", "/logout", "/logout/callback", "/.well-known/jwks.json"}
	f.Fuzz(func(t *testing.T, input string) {
		for _, path := range paths {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				req, err := http.NewRequest(method, w.issuer+path, strings.NewReader(input))
				if err != nil {
					continue
				}
				req.URL.RawQuery = input
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				if err != nil {
					// Go's client refuses some inputs before sending; that is not the bridge.
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
					t.Fatalf("%s %s?%q answered %d", method, path, input, resp.StatusCode)
				}
			}
		}
	})
}
