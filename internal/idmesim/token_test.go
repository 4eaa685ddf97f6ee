package idmesim

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenRequests(t *testing.T) {
	const scope = "openid military"
	h := newHarness(t)
	tests := []struct {
		name      string
		pkce      bool // send a code_challenge at authorize
		change    func(f url.Values) []string
		wantCode  string // "" for success
		wantBurnt bool   // after a failure, is the code unusable?
	}{
		{name: "client_secret_post", change: func(url.Values) []string { return nil }},
		{name: "client_secret_basic", change: func(f url.Values) []string {
			f.Del("client_secret")
			f.Del("client_id")
			return []string{testClientID, testSecret}
		}},
		{name: "basic with matching client_id in form", change: func(f url.Values) []string {
			f.Del("client_secret")
			return []string{testClientID, testSecret}
		}},
		{name: "PKCE with the right verifier", pkce: true, change: func(f url.Values) []string {
			f.Set("code_verifier", testVerifier)
			return nil
		}},
		{name: "scope differs from the authorized one", change: func(f url.Values) []string {
			f.Set("scope", "openid")
			return nil
		}},

		{name: "wrong secret", wantCode: "invalid_client", change: func(f url.Values) []string {
			f.Set("client_secret", "guess")
			return nil
		}},
		{name: "wrong basic secret", wantCode: "invalid_client", change: func(f url.Values) []string {
			f.Del("client_secret")
			return []string{testClientID, "guess"}
		}},
		{name: "unknown client", wantCode: "invalid_client", change: func(f url.Values) []string {
			f.Set("client_id", "nope")
			return nil
		}},
		{name: "no client authentication", wantCode: "invalid_client", change: func(f url.Values) []string {
			f.Del("client_id")
			f.Del("client_secret")
			return nil
		}},
		{name: "client_id without secret", wantCode: "invalid_client", change: func(f url.Values) []string {
			f.Del("client_secret")
			return nil
		}},
		{name: "basic and post secrets together", wantCode: "invalid_request", change: func(url.Values) []string {
			return []string{testClientID, testSecret}
		}},
		{name: "basic for one client, form client_id for another", wantCode: "invalid_request", change: func(f url.Values) []string {
			f.Del("client_secret")
			f.Set("client_id", otherClientID)
			return []string{testClientID, testSecret}
		}},
		{name: "missing scope", wantCode: "invalid_request", change: func(f url.Values) []string {
			f.Del("scope")
			return nil
		}},
		{name: "missing grant_type", wantCode: "invalid_request", change: func(f url.Values) []string {
			f.Del("grant_type")
			return nil
		}},
		{name: "refresh_token grant", wantCode: "unsupported_grant_type", change: func(f url.Values) []string {
			f.Set("grant_type", "refresh_token")
			return nil
		}},
		{name: "missing code", wantCode: "invalid_request", change: func(f url.Values) []string {
			f.Del("code")
			return nil
		}},
		{name: "missing redirect_uri", wantCode: "invalid_request", change: func(f url.Values) []string {
			f.Del("redirect_uri")
			return nil
		}},

		{name: "unknown code", wantCode: "invalid_grant", change: func(f url.Values) []string {
			f.Set("code", "not-a-code")
			return nil
		}},
		{name: "redirect_uri mismatch", wantCode: "invalid_grant", wantBurnt: true, change: func(f url.Values) []string {
			f.Set("redirect_uri", testLoggedOut)
			return nil
		}},
		{name: "code of another client", wantCode: "invalid_grant", wantBurnt: true, change: func(f url.Values) []string {
			f.Set("client_id", otherClientID)
			f.Set("client_secret", otherSecret)
			return nil
		}},
		{name: "PKCE verifier mismatch", pkce: true, wantCode: "invalid_grant", wantBurnt: true, change: func(f url.Values) []string {
			f.Set("code_verifier", strings.Repeat("a", 43))
			return nil
		}},
		{name: "PKCE verifier missing", pkce: true, wantCode: "invalid_grant", wantBurnt: true, change: func(url.Values) []string {
			return nil
		}},
		{name: "verifier without challenge", wantCode: "invalid_grant", wantBurnt: true, change: func(f url.Values) []string {
			f.Set("code_verifier", testVerifier)
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeParams(scope)
			if tt.pkce {
				q.Set("code_challenge", testChallenge)
				q.Set("code_challenge_method", "S256")
			}
			code := h.code(t, "veteran", q)
			form := tokenForm(code, scope)
			basic := tt.change(form)
			status, body := h.postToken(t, form, basic)
			if tt.wantCode == "" {
				if status != http.StatusOK {
					t.Fatalf("status %d: %v", status, body)
				}
				checkTokenResponseShape(t, body, scope, true)
				return
			}
			wantOAuthError(t, status, body, http.StatusBadRequest, tt.wantCode)

			// Request-level refusals leave the code redeemable; refusals about the code
			// itself burn it, so the follow-up correct request fails.
			retry := tokenForm(code, scope)
			if tt.pkce {
				retry.Set("code_verifier", testVerifier)
			}
			status, body = h.postToken(t, retry, nil)
			if tt.wantBurnt {
				wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
			} else if status != http.StatusOK {
				t.Fatalf("code burnt by a request-level refusal: %d %v", status, body)
			}
		})
	}
}

func TestRFC7636Vector(t *testing.T) {
	if got := s256(testVerifier); got != testChallenge {
		t.Fatalf("S256(%q) = %q, want %q", testVerifier, got, testChallenge)
	}
	if err := checkPKCE(testChallenge, testVerifier); err != nil {
		t.Fatalf("checkPKCE: %v", err)
	}
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	const scope = "openid military"
	h := newHarness(t)
	code := h.code(t, "veteran", authorizeParams(scope))
	status, first := h.postToken(t, tokenForm(code, scope), nil)
	if status != http.StatusOK {
		t.Fatalf("first redemption: %d %v", status, first)
	}
	status, second := h.postToken(t, tokenForm(code, scope), nil)
	wantOAuthError(t, status, second, http.StatusBadRequest, "invalid_grant")

	resp, body := h.get(t, "/api/public/v3/attributes.json", nil, bearer(first["access_token"].(string)))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"error":"invalid_token"`) {
		t.Fatalf("token issued before the replay still works: %d %s", resp.StatusCode, body)
	}
}

func TestCodeExpiry(t *testing.T) {
	const scope = "openid"
	tests := []struct {
		wait time.Duration
		ok   bool
	}{
		{codeTTL - time.Second, true},
		{codeTTL, false},
		{codeTTL + time.Hour, false},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.wait.String(), func(t *testing.T) {
			code := h.code(t, "student", authorizeParams(scope))
			h.clock.Advance(tt.wait)
			status, body := h.postToken(t, tokenForm(code, scope), nil)
			if tt.ok && status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			if !tt.ok {
				wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
				if d, _ := body["error_description"].(string); !strings.Contains(d, "expired") {
					t.Errorf("error_description = %q, want it to say expired", d)
				}
			}
		})
	}
}

func TestTokenBodyLimit(t *testing.T) {
	h := newHarness(t)
	code := h.code(t, "veteran", authorizeParams("openid"))
	form := tokenForm(code, "openid")
	form.Set("padding", strings.Repeat("x", maxFormBytes))
	status, body := h.postToken(t, form, nil)
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")
}

func TestTokenOnlyPOST(t *testing.T) {
	h := newHarness(t)
	resp, _ := h.get(t, "/oauth/token", tokenForm("x", "openid"), nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET token status = %d, want 405", resp.StatusCode)
	}
}

// TestConcurrentRedemption races many redemptions of one code: exactly one may win, and its
// token must then be revoked by the replays.
func TestConcurrentRedemption(t *testing.T) {
	const scope = "openid military"
	h := newHarness(t)
	code := h.code(t, "veteran", authorizeParams(scope))
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, err := h.tryPostToken(tokenForm(code, scope), nil)
			if err != nil {
				t.Error(err)
				return
			}
			if status == http.StatusOK {
				mu.Lock()
				winners = append(winners, body["access_token"].(string))
				mu.Unlock()
			} else if body["error"] != "invalid_grant" {
				t.Errorf("loser got %d %v", status, body)
			}
		}()
	}
	wg.Wait()
	if len(winners) > 1 {
		t.Fatalf("%d redemptions of one code succeeded", len(winners))
	}
	for _, tok := range winners {
		resp, _ := h.get(t, "/api/public/v3/attributes.json", nil, bearer(tok))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("winning token survived replays: %d", resp.StatusCode)
		}
	}
}

// TestConcurrentFlows runs independent full flows in parallel (meaningful under -race).
func TestConcurrentFlows(t *testing.T) {
	h := newHarness(t)
	personas := []string{"veteran", "service_member", "student", "teacher", "responder", "ial2", "unverified"}
	var wg sync.WaitGroup
	for i := range 3 * len(personas) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.tryFlow(personas[i%len(personas)], "openid login"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
