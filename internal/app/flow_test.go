package app

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"idmebridge/internal/claims"
	"idmebridge/internal/idmesim"
)

// TestSignInEveryPersona drives the whole flow over real HTTP for each simulator persona, with
// go-oidc and x/oauth2 in B2C's place, and checks every claim of the id_token and userinfo.
func TestSignInEveryPersona(t *testing.T) {
	w := newWorld(t)
	verifier := w.verifier()
	personas := map[string]idmesim.Persona{}
	for _, p := range idmesim.Personas() {
		personas[p.ID] = p
	}
	tests := []struct {
		persona       string
		scope         string
		wantError     string
		wantGroups    []string
		wantSubgroups []string
		wantTrue      []string // idme_<group>_verified that must be true; all others false
	}{
		{persona: "veteran", scope: "openid military", wantGroups: []string{"military"}, wantSubgroups: []string{"Veteran"}, wantTrue: []string{"military"}},
		{persona: "veteran", scope: "openid military " + ial2Scope, wantGroups: []string{"identity", "military"}, wantSubgroups: []string{"Veteran", "IAL2"}, wantTrue: []string{"military", "identity"}},
		{persona: "service_member", scope: "openid military", wantGroups: []string{"military"}, wantSubgroups: []string{"Service Member"}, wantTrue: []string{"military"}},
		{persona: "student", scope: "openid student", wantGroups: []string{"student"}, wantSubgroups: []string{}, wantTrue: []string{"student"}},
		{persona: "teacher", scope: "openid teacher", wantGroups: []string{"teacher"}, wantSubgroups: []string{}, wantTrue: []string{"teacher"}},
		{persona: "responder", scope: "openid responder", wantGroups: []string{"responder"}, wantSubgroups: []string{"EMT"}, wantTrue: []string{"responder"}},
		{persona: "ial2", scope: "openid " + ial2Scope, wantGroups: []string{"identity"}, wantSubgroups: []string{"IAL2"}, wantTrue: []string{"identity"}},
		// Not verified for the policy: ID.me lets them only decline.
		{persona: "unverified", scope: "openid military", wantError: "access_denied"},
		{persona: "unverified", scope: "openid", wantError: "access_denied"}, // client default: military
		{persona: "student", scope: "openid military", wantError: "access_denied"},
		{persona: "cancel", scope: "openid military", wantError: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.persona+"/"+tt.scope, func(t *testing.T) {
			persona := personas[tt.persona]
			state, nonce := "st-"+tt.persona, "n-"+tt.persona
			got := w.signIn(w.authorizeURL(tt.scope, state, nonce), tt.persona)
			if got.params.Get("state") != state || got.params.Get("iss") != w.issuer {
				t.Fatalf("state=%q iss=%q, want %q and %q", got.params.Get("state"), got.params.Get("iss"), state, w.issuer)
			}
			if tt.wantError != "" {
				if got.params.Get("error") != tt.wantError || got.params.Get("code") != "" {
					t.Fatalf("params = %v, want error %s and no code", got.params, tt.wantError)
				}
				return
			}
			tok, err := w.redeem(got.params.Get("code"))
			if err != nil {
				t.Fatalf("redeem: %v (params %v)", err, got.params)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(w.rpCtx, raw)
			if err != nil {
				t.Fatalf("id_token does not verify as B2C would: %v", err)
			}
			if idt.Nonce != nonce || idt.Subject != persona.UUID {
				t.Fatalf("nonce=%q sub=%q, want %q %q", idt.Nonce, idt.Subject, nonce, persona.UUID)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Fatalf("at_hash: %v", err)
			}
			var c map[string]any
			if err := idt.Claims(&c); err != nil {
				t.Fatal(err)
			}
			checkClaims(t, c, persona, tt.wantGroups, tt.wantSubgroups, tt.wantTrue)
			for _, k := range []string{"iat", "exp", "auth_time", "at_hash"} {
				if _, ok := c[k]; !ok {
					t.Errorf("id_token lacks %s", k)
				}
			}
			info := w.userinfo(tok.AccessToken)
			if info.status != http.StatusOK {
				t.Fatalf("userinfo status %d", info.status)
			}
			checkClaims(t, info.claims, persona, tt.wantGroups, tt.wantSubgroups, tt.wantTrue)
		})
	}
}

// checkClaims compares translated claims with the persona's attributes and expected groups.
func checkClaims(t *testing.T, c map[string]any, p idmesim.Persona, groups, subgroups, trueGroups []string) {
	t.Helper()
	mapped := map[string]string{}
	for _, m := range claims.DefaultMappings() {
		mapped[m.Handle] = m.Claim
	}
	for _, a := range p.Attributes {
		claim, ok := mapped[a.Handle]
		if !ok {
			continue
		}
		if a.Value == nil {
			if _, present := c[claim]; present {
				t.Errorf("claim %s present for a null attribute", claim)
			}
			continue
		}
		if c[claim] != *a.Value {
			t.Errorf("claim %s = %v, want %q", claim, c[claim], *a.Value)
		}
	}
	if c["name"] != attrValue(p, "fname")+" "+attrValue(p, "lname") {
		t.Errorf("name = %v", c["name"])
	}
	if got := stringList(c["idme_groups"]); !reflect.DeepEqual(got, groups) {
		t.Errorf("idme_groups = %v, want %v", got, groups)
	}
	if got := stringList(c["idme_subgroups"]); !sameSet(got, subgroups) {
		t.Errorf("idme_subgroups = %v, want %v", got, subgroups)
	}
	for _, g := range []string{"military", "student", "teacher", "responder", "identity", "nurse"} {
		want := false
		for _, tg := range trueGroups {
			want = want || tg == g
		}
		if c["idme_"+g+"_verified"] != want {
			t.Errorf("idme_%s_verified = %v, want %v", g, c["idme_"+g+"_verified"], want)
		}
	}
}

func stringList(v any) []string {
	out := []string{}
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

type userinfoResult struct {
	status int
	claims map[string]any
}

func (w *world) userinfo(accessToken string) userinfoResult {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := w.bridge.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := userinfoResult{status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&out.claims)
	return out
}

func attrValue(p idmesim.Persona, handle string) string {
	for _, a := range p.Attributes {
		if a.Handle == handle && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}
