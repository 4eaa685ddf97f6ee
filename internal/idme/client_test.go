package idme

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newTestClient(t *testing.T, base string, groups string) *Client {
	t.Helper()
	env, err := EnvironmentFor("sandbox", base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{
		Environment: env, ClientID: "cid", RedirectURL: "https://bridge.example/callback", GroupsURL: groups,
		ClientSecret: func(context.Context) (string, error) { return "secret", nil }, Timeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnvironments(t *testing.T) {
	for _, tt := range []struct{ name, override, wantBase string }{
		{"production", "", "https://api.id.me"},
		{"sandbox", "", "https://api.idmelabs.com"},
		{"anything", "http://127.0.0.1:9/", "http://127.0.0.1:9"},
	} {
		env, err := EnvironmentFor(tt.name, tt.override)
		if err != nil || env.BaseURL != tt.wantBase || env.Issuer != tt.wantBase+"/oidc" {
			t.Errorf("EnvironmentFor(%q,%q) = %+v, %v", tt.name, tt.override, env, err)
		}
	}
	if _, err := EnvironmentFor("staging", ""); err == nil {
		t.Error("unknown environment accepted")
	}
}

func TestAuthorizeURL(t *testing.T) {
	c := newTestClient(t, "https://api.idmelabs.com", "https://groups.id.me/")
	tests := []struct {
		name       string
		scopes     []string
		wantPath   string
		wantScope  string
		wantPlural string
	}{
		{"one community", []string{"openid", "military"}, "https://api.idmelabs.com/oauth/authorize", "openid military", ""},
		{"identity only", []string{"openid", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"}, "https://api.idmelabs.com/oauth/authorize", "openid http://idmanagement.gov/ns/assurance/ial/2/aal/2", ""},
		{"several communities use groups page", []string{"openid", "military", "student"}, "https://groups.id.me/", "openid", "military,student"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := c.AuthorizeURL(AuthorizeRequest{Scopes: tt.scopes, State: "st", Nonce: "no", CodeChallenge: "ch"})
			u, _ := url.Parse(raw)
			q := u.Query()
			if got := u.Scheme + "://" + u.Host + u.Path; got != tt.wantPath {
				t.Errorf("endpoint = %s, want %s", got, tt.wantPath)
			}
			if q.Get("scope") != tt.wantScope || q.Get("scopes") != tt.wantPlural {
				t.Errorf("scope=%q scopes=%q", q.Get("scope"), q.Get("scopes"))
			}
			for k, want := range map[string]string{"client_id": "cid", "redirect_uri": "https://bridge.example/callback", "response_type": "code",
				"state": "st", "nonce": "no", "code_challenge": "ch", "code_challenge_method": "S256"} {
				if q.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, q.Get(k), want)
				}
			}
		})
	}
	lo := c.LogoutURL("https://bridge.example/logout/callback")
	if !strings.HasPrefix(lo, "https://api.idmelabs.com/oauth/logout?") || !strings.Contains(lo, "client_id=cid") || !strings.Contains(lo, "redirect_uri=https%3A%2F%2Fbridge.example%2Flogout%2Fcallback") {
		t.Errorf("LogoutURL = %s", lo)
	}
}

// TestCallsAreNotRetried checks the single-use rule: whatever ID.me answers, the bridge
// presents a code or token exactly once.
func TestCallsAreNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		sleep    time.Duration
		wantCode string
		wantErr  error
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"used"}`, 0, "invalid_grant", nil},
		{"invalid_client as 401", 401, `{"error":"invalid_client"}`, 0, "invalid_client", nil},
		{"server error", 502, `oops`, 0, "", ErrUnavailable},
		{"timeout", 200, `{}`, time.Second, "", ErrUnavailable},
		{"garbage 200", 200, `not json`, 0, "", ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tokenCalls, dataCalls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/oauth/token" {
					tokenCalls.Add(1)
					if err := r.ParseForm(); err != nil || r.PostForm.Get("scope") == "" || r.PostForm.Get("client_secret") != "secret" || r.PostForm.Get("code_verifier") != "ver" {
						t.Errorf("token request form = %v", r.PostForm)
					}
				} else {
					dataCalls.Add(1)
				}
				time.Sleep(tt.sleep)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, "")
			_, err := c.Exchange(context.Background(), "code", "ver", []string{"openid", "military"})
			checkErr(t, "Exchange", err, tt.wantCode, tt.wantErr)
			_, err = c.Attributes(context.Background(), "token")
			checkErr(t, "Attributes", err, tt.wantCode, tt.wantErr)
			if tokenCalls.Load() != 1 || dataCalls.Load() != 1 {
				t.Fatalf("token calls %d, data calls %d: want exactly 1 each", tokenCalls.Load(), dataCalls.Load())
			}
		})
	}
}

func checkErr(t *testing.T, what string, err error, wantCode string, wantErr error) {
	t.Helper()
	var e *Error
	switch {
	case wantCode != "":
		if !errors.As(err, &e) || e.Code != wantCode {
			t.Errorf("%s err = %v, want ID.me error %s", what, err, wantCode)
		}
	case !errors.Is(err, wantErr):
		t.Errorf("%s err = %v, want %v", what, err, wantErr)
	}
}

func TestForRelyingParty(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&Error{Code: "access_denied"}, "access_denied"},
		{&Error{Code: "invalid_scope"}, "invalid_scope"},
		{&Error{Code: "invalid_client"}, "server_error"},
		{&Error{Code: "invalid_redirect_uri"}, "server_error"},
		{&Error{Code: "unsupported_response_type"}, "server_error"},
		{&Error{Code: "temporarily_unavailable"}, "temporarily_unavailable"},
		{&Error{Code: "login_required"}, "login_required"},
		{&Error{Code: "interaction_required"}, "interaction_required"},
		{fmt.Errorf("x: %w", &Error{Code: "invalid_grant"}), "access_denied"},
		{fmt.Errorf("x: %w", ErrUnavailable), "temporarily_unavailable"},
		{fmt.Errorf("x: %w", ErrInvalidToken), "server_error"},
		{errors.New("other"), "server_error"},
	}
	for _, tt := range tests {
		if got, desc := ForRelyingParty(tt.err); got != tt.want || desc == "" {
			t.Errorf("ForRelyingParty(%v) = %s, %q; want %s", tt.err, got, desc, tt.want)
		}
	}
}
