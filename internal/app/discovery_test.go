package app

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestDiscoveryAndJWKS checks the metadata B2C and Entra External ID read, and the JWKS.
func TestDiscoveryAndJWKS(t *testing.T) {
	w := newWorld(t)
	doc := w.discovery()
	wantStrings := map[string]string{
		"issuer": w.issuer, "authorization_endpoint": w.issuer + "/authorize", "token_endpoint": w.issuer + "/token",
		"userinfo_endpoint": w.issuer + "/userinfo", "jwks_uri": w.issuer + "/.well-known/jwks.json",
		"end_session_endpoint": w.issuer + "/logout",
	}
	for k, want := range wantStrings {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	wantLists := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query", "form_post"},
		"grant_types_supported":                 {"authorization_code"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"token_endpoint_auth_methods_supported": {"client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":      {"S256"},
	}
	for k, want := range wantLists {
		if got := stringList(doc[k]); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for _, s := range []string{"openid", "military", "student", ial2Scope} {
		if !slices.Contains(stringList(doc["scopes_supported"]), s) {
			t.Errorf("scopes_supported lacks %s", s)
		}
	}
	for _, c := range []string{"sub", "given_name", "email", "idme_groups", "idme_subgroups", "idme_military_verified", "nonce"} {
		if !slices.Contains(stringList(doc["claims_supported"]), c) {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}

	resp, err := w.bridge.Client().Get(w.issuer + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("JWKS status %d etag %q cache %q", resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS = %s", body)
	}
	for _, k := range set.Keys {
		if k["use"] != "sig" || k["alg"] != "RS256" || k["kid"] == nil || k["d"] != nil {
			t.Errorf("JWKS key %v", k)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, w.issuer+"/.well-known/jwks.json", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = w.bridge.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional JWKS = %d, want 304", resp.StatusCode)
	}
	resp, err = w.bridge.Client().Get(w.issuer + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestLogout checks RP-initiated logout: a registered destination goes through ID.me's logout
// and back with the state; an unregistered one gets an error page.
func TestLogout(t *testing.T) {
	w := newWorld(t)
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	tests := []struct {
		name     string
		params   url.Values
		wantPage bool
		wantBack string // where the browser finally lands; "" for the signed-out page
	}{
		{"registered, by client_id", url.Values{"client_id": {rpClientID}, "post_logout_redirect_uri": {rpLogoutURI}, "state": {"bye"}}, false, rpLogoutURI + "?state=bye"},
		{"registered, by id_token_hint", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {rpLogoutURI}}, false, rpLogoutURI},
		{"no destination", url.Values{}, false, ""},
		{"unregistered destination", url.Values{"client_id": {rpClientID}, "post_logout_redirect_uri": {"https://evil.example/"}}, true, ""},
		{"destination without client", url.Values{"post_logout_redirect_uri": {rpLogoutURI}}, true, ""},
		{"forged hint", url.Values{"id_token_hint": {"eyJhbGciOiJub25lIn0.eyJhdWQiOiJiMmMtY29udG9zbyJ9."}, "post_logout_redirect_uri": {rpLogoutURI}}, true, ""},
		{"hint for another client", url.Values{"id_token_hint": {idToken}, "client_id": {"other-client"}}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := w.get(w.issuer + "/logout?" + tt.params.Encode())
			if tt.params.Get("id_token_hint") == "" && !tt.wantPage {
				// RP-Initiated Logout 1.0 section 2: without a hint the user confirms first.
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				m := hiddenInput.FindStringSubmatch(string(body))
				if resp.StatusCode != 200 || m == nil || m[1] != "confirm" {
					t.Fatalf("status %d, want a confirmation page: %s", resp.StatusCode, body)
				}
				resp, err = w.browser.PostForm(w.issuer+"/logout", url.Values{"confirm": {html.UnescapeString(m[2])}})
				if err != nil {
					t.Fatal(err)
				}
			}
			resp.Body.Close()
			if tt.wantPage {
				if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d location %q, want an error page", resp.StatusCode, resp.Header.Get("Location"))
				}
				return
			}
			toIDme := resp.Header.Get("Location")
			u, _ := url.Parse(toIDme)
			if u.Path != "/oauth/logout" || u.Query().Get("client_id") != idmeClientID || u.Query().Get("redirect_uri") != w.issuer+"/logout/callback" {
				t.Fatalf("logout went to %s", toIDme)
			}
			resp = w.get(toIDme)
			resp.Body.Close()
			back := w.get(resp.Header.Get("Location"))
			back.Body.Close()
			if got := back.Header.Get("Location"); got != tt.wantBack {
				t.Fatalf("landed at %q (status %d), want %q", got, back.StatusCode, tt.wantBack)
			}
		})
	}
}

// TestEntraExternalIDRequirements checks what Entra External ID requires of a custom OIDC
// provider: these discovery fields, the code flow, client_secret_post, and an email claim.
func TestEntraExternalIDRequirements(t *testing.T) {
	w := newWorld(t)
	doc := w.discovery()
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "token_endpoint_auth_methods_supported",
		"response_types_supported", "subject_types_supported", "jwks_uri"} {
		if doc[k] == nil {
			t.Errorf("discovery lacks %s", k)
		}
	}
	if !slices.Contains(stringList(doc["response_types_supported"]), "code") || !slices.Contains(stringList(doc["token_endpoint_auth_methods_supported"]), "client_secret_post") {
		t.Errorf("discovery does not offer the code flow with client_secret_post: %v", doc)
	}
	// External ID maps email: it must be in the id_token (client_secret_post, as External ID sends).
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := w.verifier().Verify(w.rpCtx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = idt.Claims(&c)
	if c["email"] != "vera.veteran@example.com" {
		t.Errorf("email = %v", c["email"])
	}
}

// discovery fetches and decodes the bridge's discovery document.
func (w *world) discovery() map[string]any {
	w.t.Helper()
	resp, err := w.bridge.Client().Get(w.issuer + "/.well-known/openid-configuration")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		w.t.Fatalf("discovery is not JSON: %v", err)
	}
	return doc
}
