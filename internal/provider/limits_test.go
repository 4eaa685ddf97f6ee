package provider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bodyLimit is the request body limit, written out rather than taken from the code, so a
// change to the limit fails this test instead of moving it. 64 KiB is far above any form B2C
// sends (a code is at most maxCodeBytes).
const bodyLimit = 64 << 10

// TestTokenBodyLimit checks the request body limit with a code that would otherwise be
// redeemed: a body at the limit succeeds, one past it (by a byte, or twice the limit) is
// refused before the code is looked at, issues no tokens and does not use the code up.
func TestTokenBodyLimit(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		wantOK bool
	}{
		{"at the limit", bodyLimit, true},
		{"one byte over", bodyLimit + 1, false},
		{"twice the limit", 2 * bodyLimit, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.code(authzParams(rpID, rpRedirect))
			body := redeemForm(code, rpID, rpSecret, rpRedirect).Encode() + "&pad="
			if len(body) > tt.size {
				t.Fatalf("the form alone is %d bytes", len(body))
			}
			body += strings.Repeat("p", tt.size-len(body))
			r := httptest.NewRequest("POST", issuer+PathToken, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			creates := e.st.creates.Load()
			e.h.ServeHTTP(w, r)
			var got map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			if tt.wantOK {
				if w.Code != http.StatusOK || got["id_token"] == nil {
					t.Fatalf("a %d-byte body was refused: %d %v", len(body), w.Code, got["error"])
				}
				return
			}
			if w.Code != http.StatusBadRequest || got["error"] != "invalid_request" || got["id_token"] != nil || got["access_token"] != nil {
				t.Fatalf("a %d-byte body: %d error %v, tokens issued %v; want 400 invalid_request and no tokens",
					len(body), w.Code, got["error"], got["id_token"] != nil || got["access_token"] != nil)
			}
			if n := e.st.creates.Load() - creates; n != 0 {
				t.Errorf("the refused request wrote %d records", n)
			}
			if a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", ""); a.status != http.StatusOK {
				t.Errorf("the code no longer redeems after the refusal: %d %v", a.status, a.body)
			}
		})
	}
}
