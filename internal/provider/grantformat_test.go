package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// legacyGrant is the code's sealed grant as the previous version wrote it: every released
// claim, protocol names included, and no format mark. Such codes are in flight while
// instances are upgraded.
type legacyGrant struct {
	ID          string         `json:"id"`
	ClientID    string         `json:"c"`
	RedirectURI string         `json:"r"`
	Subject     string         `json:"sub"`
	Nonce       string         `json:"n,omitempty"`
	Claims      map[string]any `json:"cl"`
	AuthTime    int64          `json:"at"`
}

func TestLegacyCodeIsFiltered(t *testing.T) {
	e := newEnv(t)
	sealer, err := e.p.stateSealer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(e.clock.Load(), 0)
	code, err := sealer.Seal(codePurpose(rpID), legacyGrant{
		ID: randomToken(), ClientID: rpID, RedirectURI: rpRedirect, Subject: "user-1", Nonce: "rp-nonce",
		Claims:   map[string]any{"iss": "evil", "aud": "evil", "nonce": "evil", "exp": 999, "given_name": "Ada"},
		AuthTime: now.Unix(),
	}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a := e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
	if a.status != http.StatusOK {
		t.Fatalf("token status %d %v", a.status, a.body)
	}
	raw := a.body["id_token"].(string)
	c := e.idToken(raw)
	if c["iss"] != issuer || c["nonce"] != "rp-nonce" || c["given_name"] != "Ada" || c["exp"] == 999.0 {
		t.Errorf("id_token claims %v", c)
	}
	payload, _ := json.Marshal(c)
	if strings.Contains(string(payload), "evil") {
		t.Errorf("a legacy code's protocol-named claim reached the id_token: %s", payload)
	}
	w := e.userinfo(a.body["access_token"].(string))
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "evil") || !strings.Contains(w.Body.String(), `"given_name":"Ada"`) {
		t.Errorf("userinfo %d %s", w.Code, w.Body)
	}
}

func TestEncodeIDTokenSplicesAnObject(t *testing.T) {
	proto := idTokenProtocol{Issuer: issuer, Subject: "s", Audience: "a", Expires: 2, IssuedAt: 1}
	tests := []struct {
		name, claims, want string
	}{
		{"claims", `{"given_name":"Ada","x":[1,2]}`, `{"iss":"` + issuer + `","sub":"s","aud":"a","exp":2,"iat":1,"auth_time":0,"given_name":"Ada","x":[1,2]}`},
		{"empty object", `{}`, `{"iss":"` + issuer + `","sub":"s","aud":"a","exp":2,"iat":1,"auth_time":0}`},
		{"spaced empty object", ` { } `, `{"iss":"` + issuer + `","sub":"s","aud":"a","exp":2,"iat":1,"auth_time":0}`},
		{"array", `[1]`, ""},
		{"opens with another bracket", `[{"a":1}`, ""},
		{"closes with another bracket", `{"a":1}]`, ""},
		{"null", `null`, ""},
		{"nothing", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeIDToken(proto, json.RawMessage(tt.claims))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("encodeIDToken(%s) = %s, want an error", tt.claims, got)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("encodeIDToken = %s, %v; want %s", got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
		})
	}
}

// Access tokens sealed by the previous version carry the claims as a map, null when empty.
func TestLegacyAccessToken(t *testing.T) {
	type legacyAccess struct {
		GrantID  string         `json:"g"`
		ClientID string         `json:"c"`
		Subject  string         `json:"sub"`
		Claims   map[string]any `json:"cl"`
	}
	tests := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"claims", map[string]any{"given_name": "Ada"}, `{"given_name":"Ada","sub":"user-1"}`},
		{"null claims", nil, `{"sub":"user-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			sealer, err := e.p.stateSealer(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			at, err := sealer.Seal(accessPurpose, legacyAccess{GrantID: randomToken(), ClientID: rpID, Subject: "user-1", Claims: tt.claims}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			w := e.userinfo(at)
			if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != tt.want {
				t.Fatalf("userinfo %d %s, want %s", w.Code, w.Body, tt.want)
			}
		})
	}
}
