package provider

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestUserinfoFailsClosedWhenRevocationCannotBeRead checks userinfo answers no claims when the
// revocation ledger cannot be read (an error, not "not found"): a revoked access token must not
// read userinfo because storage is down. The answer is 503 temporarily_unavailable (RFC 6749
// section 4.1.2.1's code for a passing server condition), not invalid_token: the token may be
// good, and a relying party that took it for invalid would drop a working session.
func TestUserinfoFailsClosedWhenRevocationCannotBeRead(t *testing.T) {
	tests := []struct {
		name   string
		revoke bool
	}{
		{"revoked access token", true},
		{"access token in good standing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.code(authzParams(rpID, rpRedirect))
			first := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
			at, _ := first.body["access_token"].(string)
			if first.status != http.StatusOK || at == "" {
				t.Fatalf("redeem: %d %v", first.status, first.body)
			}
			if tt.revoke {
				if again := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); again.errCode() != "invalid_grant" {
					t.Fatalf("replay: %v", again.body)
				}
			}
			e.st.failGet.Store(true)
			gets := e.st.gets.Load()
			w := e.userinfo(at)
			var body map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || body["sub"] != nil || body["email"] != nil {
				t.Errorf("storage unreadable: %d %v, want 503 temporarily_unavailable and no claims", w.Code, body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
			}
			if e.st.gets.Load() == gets {
				t.Fatal("userinfo did not consult the revocation ledger")
			}
			e.st.failGet.Store(false)
			want := http.StatusOK
			if tt.revoke {
				want = http.StatusUnauthorized
			}
			if w := e.userinfo(at); w.Code != want {
				t.Errorf("storage back: %d, want %d", w.Code, want)
			}
		})
	}
}
