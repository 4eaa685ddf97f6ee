package app

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"idmebridge/internal/store"
)

// TestBlobFaultsAtCallback: with storage unreachable or stalled when the callback consumes the
// state, the relying party receives temporarily_unavailable (never a code the bridge could
// not make single-use), within the storage timeout, and ID.me's code is never presented.
func TestBlobFaultsAtCallback(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*cutProxy)
		limit time.Duration
	}{
		{"storage unreachable", func(p *cutProxy) { p.setDown(true) }, store.DefaultBlobTimeout + 3*time.Second},
		{"storage stalls", func(p *cutProxy) { p.setHang(true) }, store.DefaultBlobTimeout + 3*time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, onAzure(1))
			resp := w.get(w.authorizeURL("openid military", "s", "n"))
			resp.Body.Close()
			cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
			calls := w.idmeTokenCalls.Load()
			tt.fault(w.blobs)
			start := time.Now()
			got := w.toRP(w.get(cb))
			if elapsed := time.Since(start); elapsed > tt.limit {
				t.Fatalf("callback took %v, limit %v", elapsed, tt.limit)
			}
			if got.params.Get("error") != "temporarily_unavailable" || got.params.Get("code") != "" {
				t.Fatalf("relying party received %v", got.params)
			}
			if w.idmeTokenCalls.Load() != calls {
				t.Fatal("ID.me's code was presented although the state could not be recorded")
			}
		})
	}
}

// TestDisabledClientSecretStopsServing: disabling a client's secret in Key Vault (403
// SecretDisabled) revokes it at the next refresh, as deleting it does.
func TestDisabledClientSecretStopsServing(t *testing.T) {
	w := newWorld(t, onAzure(1))
	code := w.codeFor("veteran")
	w.vault.Disable("rp-secret")
	waitFor(t, 5*time.Second, "the disabled secret to stop working", func() bool {
		status, _ := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"probe"}, "redirect_uri": {rpRedirectURI},
			"client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
		return status == http.StatusServiceUnavailable
	})
	if _, err := w.redeem(code); err == nil {
		t.Fatal("a token was issued to a client whose secret was disabled")
	}
}
