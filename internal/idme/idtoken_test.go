package idme

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/upstream"
)

// TestUpstreamIDTokenForgery drives HandleCallback with ID.me's id_token altered one way per
// row; go-oidc does the verification. Only the first two rows may sign the user in.
func TestUpstreamIDTokenForgery(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	with := func(change func(map[string]any)) func(nonce string) map[string]any {
		return func(nonce string) map[string]any {
			cl := f.claims(nonce)
			change(cl)
			return cl
		}
	}
	same := with(func(map[string]any) {})
	tests := []struct {
		name  string
		token func(nonce string) string
		ok    bool
	}{
		{"RS256", func(n string) string { return f.sign(same(n), "RS256") }, true},
		{"ES256", func(n string) string { return f.sign(same(n), "ES256") }, true},
		{"several audiences with azp the bridge", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["aud"] = []string{fakeClientID, "other"}; c["azp"] = fakeClientID })(n), "RS256")
		}, true},
		{"wrong issuer", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["iss"] = "https://api.id.me/oidc" })(n), "RS256")
		}, false},
		{"issuer at host root (mix-up)", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["iss"] = f.srv.URL })(n), "RS256")
		}, false},
		{"wrong audience", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["aud"] = "another-app" })(n), "RS256")
		}, false},
		{"several audiences without azp", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["aud"] = []string{fakeClientID, "other"} })(n), "RS256")
		}, false},
		{"several audiences, azp another app", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["aud"] = []string{fakeClientID, "other"}; c["azp"] = "other" })(n), "RS256")
		}, false},
		{"azp another app", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["azp"] = "other" })(n), "RS256")
		}, false},
		{"expired", func(n string) string {
			return f.sign(with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })(n), "RS256")
		}, false},
		{"wrong nonce", func(n string) string { return f.sign(same("another-nonce"), "RS256") }, false},
		{"no nonce", func(n string) string { return f.sign(with(func(c map[string]any) { delete(c, "nonce") })(n), "RS256") }, false},
		{"bad signature", func(n string) string {
			s := f.sign(same(n), "RS256")
			i := strings.LastIndexByte(s, '.') + 5
			b := []byte(s)
			b[i] ^= 'A' ^ 'B'
			return string(b)
		}, false},
		{"key ID.me never published", func(n string) string { return otherKeySigned(t, same(n)) }, false},
		{"alg none", func(n string) string { return forgeNone(same(n)) }, false},
		{"HS256 keyed with the public key", func(n string) string { return f.forgeHS256(same(n)) }, false},
		{"not a JWT", func(string) string { return "garbage" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
			if err != nil {
				t.Fatal(err)
			}
			f.set(tt.token(nonceOf(t, data)), "")
			id, err := c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
			if tt.ok {
				if err != nil || id.Subject != "user-1" || id.Attributes["fname"] != "Ada" || len(id.Groups) != 1 || !id.Groups[0].Verified {
					t.Fatalf("identity %+v, err %v", id, err)
				}
				return
			}
			var ue *upstream.Error
			if err == nil || !errors.As(err, &ue) || ue.Code != "server_error" || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("forged id_token: identity %+v, err %v; want server_error from ErrInvalidToken", id, err)
			}
		})
	}
}

// TestAttributesMustNameTheVerifiedUser checks that unsigned attributes.json cannot choose
// who the bridge vouches for: a uuid other than the id_token's sub refuses the sign-in.
func TestAttributesMustNameTheVerifiedUser(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	tests := []struct {
		name, attributes string
		ok               bool
	}{
		{"same uuid", `{"attributes":[{"handle":"uuid","value":"user-1"}]}`, true},
		{"no uuid: the id_token's sub", `{"attributes":[{"handle":"fname","value":"Ada"}]}`, true},
		{"another uuid", `{"attributes":[{"handle":"uuid","value":"user-2"}]}`, false},
		{"empty uuid", `{"attributes":[{"handle":"uuid","value":""}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
			f.set(f.sign(f.claims(nonceOf(t, data)), "RS256"), tt.attributes)
			id, err := c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
			if tt.ok != (err == nil) {
				t.Fatalf("identity %+v, err %v; want ok=%v", id, err, tt.ok)
			}
			if tt.ok && (id.Subject != "user-1" || id.Attributes["uuid"] != "user-1") {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

// TestFreshAuthentication checks prompt=login and max_age: they go to ID.me, and ID.me's
// auth_time must show they were honoured.
func TestFreshAuthentication(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	zero, hour := 0, 3600
	now := time.Now()
	tests := []struct {
		name     string
		req      upstream.LoginRequest
		authTime any // nil: absent
		ok       bool
	}{
		{"no request, no auth_time", upstream.LoginRequest{}, nil, true},
		{"prompt=login, fresh", upstream.LoginRequest{Prompt: "login"}, now.Unix(), true},
		{"prompt=login, no auth_time", upstream.LoginRequest{Prompt: "login"}, nil, false},
		{"prompt=login, old session", upstream.LoginRequest{Prompt: "login"}, now.Add(-time.Hour).Unix(), false},
		{"max_age=3600, 10 minutes ago", upstream.LoginRequest{MaxAge: &hour}, now.Add(-10 * time.Minute).Unix(), true},
		{"max_age=3600, 2 hours ago", upstream.LoginRequest{MaxAge: &hour}, now.Add(-2 * time.Hour).Unix(), false},
		{"max_age=0, just now", upstream.LoginRequest{MaxAge: &zero}, now.Unix(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Scopes = []string{"military"}
			data, _ := c.Begin(tt.req)
			loginURL, err := c.LoginURL(data, "st")
			if err != nil {
				t.Fatal(err)
			}
			q, _ := url.Parse(loginURL)
			if tt.req.Prompt != q.Query().Get("prompt") || (tt.req.MaxAge != nil) != q.Query().Has("max_age") {
				t.Fatalf("login URL %s does not carry prompt/max_age", loginURL)
			}
			cl := f.claims(nonceOf(t, data))
			if tt.authTime != nil {
				cl["auth_time"] = tt.authTime
			}
			f.set(f.sign(cl, "RS256"), "")
			id, err := c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			var ue *upstream.Error
			if !tt.ok && (!errors.As(err, &ue) || ue.Code != "login_required") {
				t.Fatalf("err %v, want login_required", err)
			}
			if tt.ok && tt.authTime != nil && id.AuthTime.Unix() != tt.authTime.(int64) {
				t.Fatalf("auth_time %v, want %v", id.AuthTime.Unix(), tt.authTime)
			}
		})
	}
}

// TestCallbackErrorFromIDme checks ID.me's error redirect becomes the relying party's error
// without any call to ID.me, and an odd code is not carried on.
func TestCallbackErrorFromIDme(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	data, _ := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
	for errCode, want := range map[string]string{"access_denied": "access_denied", "<script>": "server_error", "invalid_scope": "invalid_scope"} {
		_, err := c.HandleCallback(t.Context(), data, url.Values{"error": {errCode}})
		var ue *upstream.Error
		if !errors.As(err, &ue) || ue.Code != want || strings.Contains(ue.Description, errCode) && errCode != want {
			t.Errorf("error %q: %v, want %s", errCode, err, want)
		}
	}
	if f.tokenCalls != 0 || f.dataCalls != 0 {
		t.Errorf("ID.me called on an error redirect")
	}
}

// TestEmailVerifiedFromTheIDToken: ID.me may vouch for the address in its signed id_token
// (as the boolean or the string "true") rather than in attributes.json; it counts only for the
// address attributes.json gives, or when that gives none.
func TestEmailVerifiedFromTheIDToken(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	tests := []struct {
		name       string
		claims     map[string]any
		attributes string
		email      string
		verified   bool
	}{
		{"boolean", map[string]any{"email": "a@example.com", "email_verified": true},
			`{"attributes":[{"handle":"email","value":"a@example.com"}]}`, "a@example.com", true},
		{"string", map[string]any{"email": "A@example.com", "email_verified": "true"},
			`{"attributes":[{"handle":"email","value":"a@example.com"}]}`, "a@example.com", true},
		{"false", map[string]any{"email": "a@example.com", "email_verified": false},
			`{"attributes":[{"handle":"email","value":"a@example.com"}]}`, "a@example.com", false},
		{"another address", map[string]any{"email": "b@example.com", "email_verified": true},
			`{"attributes":[{"handle":"email","value":"a@example.com"}]}`, "a@example.com", false},
		{"only in the token", map[string]any{"email": "a@example.com", "email_verified": true},
			`{"attributes":[]}`, "a@example.com", true},
		{"absent", map[string]any{},
			`{"attributes":[{"handle":"email","value":"a@example.com"}]}`, "a@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
			cl := f.claims(nonceOf(t, data))
			for k, v := range tt.claims {
				cl[k] = v
			}
			f.set(f.sign(cl, "RS256"), tt.attributes)
			id, err := c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
			if err != nil {
				t.Fatal(err)
			}
			if id.Attributes["email"] != tt.email || (id.Attributes["email_verified"] == "true") != tt.verified {
				t.Errorf("email %q email_verified %q, want %q %v", id.Attributes["email"], id.Attributes["email_verified"], tt.email, tt.verified)
			}
		})
	}
}
