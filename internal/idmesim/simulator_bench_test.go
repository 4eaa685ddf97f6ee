package idmesim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"idmebridge/internal/rsafloor"
)

// BenchmarkSimulatorSignIn is the simulator's share of one sign-in, in process (no network):
// the authorize redirect, the code exchange and the attributes call, per signing algorithm.
func BenchmarkSimulatorSignIn(b *testing.B) {
	for _, alg := range []string{ES256, RS256} {
		b.Run(alg, func(b *testing.B) {
			const client, secret, redirect = "bridge", "s", "https://bridge.example.test/callback"
			sim, err := New(Options{BaseURL: "http://127.0.0.1:9", SigningAlg: alg,
				Clients: []Client{{ID: client, Secret: secret, RedirectURIs: []string{redirect}}}})
			if err != nil {
				b.Fatal(err)
			}
			q := url.Values{"client_id": {client}, "redirect_uri": {redirect}, "response_type": {"code"},
				"scope": {"openid military"}, "state": {"st"}, "nonce": {"n"}, "persona": {"veteran"},
				"code_challenge": {testChallenge}, "code_challenge_method": {"S256"}}
			authorize := "/oauth/authorize?" + q.Encode()
			b.ReportAllocs()
			m := rsafloor.StartMeter(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				sim.ServeHTTP(w, httptest.NewRequest(http.MethodGet, authorize, nil))
				loc, _ := url.Parse(w.Header().Get("Location"))
				form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
					"redirect_uri": {redirect}, "scope": {"openid military"}, "client_id": {client},
					"client_secret": {secret}, "code_verifier": {testVerifier}}
				req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w = httptest.NewRecorder()
				sim.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("token: %d %s", w.Code, w.Body)
				}
				body := w.Body.String()
				i := strings.Index(body, `"access_token":"`) + len(`"access_token":"`)
				token := body[i : i+strings.IndexByte(body[i:], '"')]
				req = httptest.NewRequest(http.MethodGet, "/api/public/v3/attributes.json", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				w = httptest.NewRecorder()
				sim.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("attributes: %d", w.Code)
				}
			}
			m.Report()
		})
	}
}
