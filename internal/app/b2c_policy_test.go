package app

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/idmesim"
	"idmebridge/internal/policy"
)

// testPolicySettings are the rendering settings for this world's bridge; over replaces some.
func (w *world) testPolicySettings(over map[string]string) policy.Environment {
	env := policy.Environment{
		Name: "Test", Tenant: "contoso.onmicrosoft.com",
		PolicySettings: map[string]string{
			"TenantName": "contoso", "BridgeUrl": w.issuer, "BridgeClientId": rpClientID,
			"BridgeClientSecretKey": "B2C_1A_IdmeBridgeSecret", "IdmeScopes": "military",
			"IdmeIdentityProvider": "id.me", "IdmeNameEditing": "Verified",
			"VerifyCommunities": "military responder student teacher",
		},
	}
	for k, v := range over {
		env.PolicySettings[k] = v
	}
	return env
}

// renderedFiles renders the shipped policy files for this world's bridge.
func (w *world) renderedFiles(over map[string]string) map[string][]byte {
	w.t.Helper()
	src, err := policy.ReadDir("../../policies")
	if err != nil {
		w.t.Fatal(err)
	}
	rendered, err := policy.RenderFiles(src, w.testPolicySettings(over))
	if err != nil {
		w.t.Fatal(err)
	}
	return rendered
}

// renderedProfile renders the shipped policy files for this world's bridge and returns the
// OpenIdConnect technical profile B2C would run, and the data type of every claim type.
func (w *world) renderedProfile(id string) (policy.OIDCProfile, map[string]string) {
	w.t.Helper()
	rendered := w.renderedFiles(nil)
	profile, err := policy.FindOIDCProfile(rendered, id)
	if err != nil {
		w.t.Fatal(err)
	}
	types, err := policy.ClaimDataTypes(rendered)
	if err != nil {
		w.t.Fatal(err)
	}
	// Claim types the profile takes from the starter pack it extends.
	for _, c := range []string{"issuerUserId", "givenName", "surname", "displayName", "email", "identityProvider", "authenticationSource"} {
		if _, ok := types[c]; !ok {
			types[c] = "string"
		}
	}
	return profile, types
}

// b2cFromProfile sets up the OIDC client exactly as B2C does from a technical profile: the
// discovery document at METADATA, the profile's client_id, client_secret_post, RS256 only, and
// the issuer the discovery document names.
func (w *world) b2cFromProfile(p policy.OIDCProfile) (oauth2.Config, *oidc.IDTokenVerifier) {
	w.t.Helper()
	resp, err := w.bridge.Client().Get(p.MetadataURL)
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct {
		Issuer   string   `json:"issuer"`
		AuthURL  string   `json:"authorization_endpoint"`
		TokenURL string   `json:"token_endpoint"`
		JWKSURL  string   `json:"jwks_uri"`
		Auth     []string `json:"token_endpoint_auth_methods_supported"`
		Modes    []string `json:"response_modes_supported"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		w.t.Fatalf("METADATA %s: %v", p.MetadataURL, err)
	}
	if !slices.Contains(doc.Auth, p.TokenEndpointAuthMethod) || !slices.Contains(doc.Modes, p.ResponseMode) {
		w.t.Fatalf("the bridge does not offer the profile's %s / %s", p.TokenEndpointAuthMethod, p.ResponseMode)
	}
	provider := (&oidc.ProviderConfig{IssuerURL: doc.Issuer, AuthURL: doc.AuthURL, TokenURL: doc.TokenURL, JWKSURL: doc.JWKSURL,
		Algorithms: []string{oidc.RS256}}).NewProvider(w.rpCtx)
	style := oauth2.AuthStyleInParams // client_secret_post, B2C's default
	if p.TokenEndpointAuthMethod == "client_secret_basic" {
		style = oauth2.AuthStyleInHeader
	}
	cfg := oauth2.Config{
		ClientID: p.ClientID, ClientSecret: rpClientSecret, RedirectURL: rpRedirectURI, Scopes: p.Scopes(),
		Endpoint: oauth2.Endpoint{AuthURL: doc.AuthURL, TokenURL: doc.TokenURL, AuthStyle: style},
	}
	return cfg, provider.Verifier(&oidc.Config{ClientID: p.ClientID, SupportedSigningAlgs: []string{oidc.RS256}})
}

// TestSignInAsB2CPolicyDoes signs in every persona through the shipped policy's OpenIdConnect
// technical profile, then applies its OutputClaims mapping: every claim it maps that the bridge
// emits for that person is present with the data type the ClaimsSchema declares.
func TestSignInAsB2CPolicyDoes(t *testing.T) {
	w := newWorld(t)
	for _, profileID := range []string{"IdmeBridge-OIDC", "IdmeBridge-OIDC-Military"} {
		profile, types := w.renderedProfile(profileID)
		b2c, verifier := w.b2cFromProfile(profile)
		for _, persona := range idmesim.Personas() {
			t.Run(profileID+"/"+persona.ID, func(t *testing.T) {
				state, nonce := "b2c-state-"+persona.ID, "b2c-nonce-"+persona.ID
				authURL := b2c.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.SetAuthURLParam("response_mode", profile.ResponseMode))
				got := w.signIn(authURL, persona.ID)
				if got.params.Get("state") != state {
					t.Fatalf("state %q", got.params.Get("state"))
				}
				if !persona.Satisfies(profile.Scopes()) { // declined, or stopped at ID.me for verification
					if got.params.Get("error") != "access_denied" {
						t.Fatalf("cancel: %v", got.params)
					}
					return
				}
				tok, err := b2c.Exchange(w.rpCtx, got.params.Get("code"))
				if err != nil {
					t.Fatal(err)
				}
				idt, err := verifier.Verify(w.rpCtx, tok.Extra("id_token").(string))
				if err != nil {
					t.Fatalf("AADB2C90238/90237/90239 equivalent: %v", err)
				}
				if idt.Nonce != nonce {
					t.Fatalf("nonce %q", idt.Nonce)
				}
				var claims map[string]any
				_ = idt.Claims(&claims)
				for _, list := range []string{"idme_groups", "idme_subgroups"} {
					if v, ok := claims[list]; ok {
						if l, isList := v.([]any); !isList || len(l) == 0 {
							t.Errorf("%s = %#v: an empty or non-list value must be left out", list, v)
						}
					}
				}
				mapped := profile.Map(claims)
				for _, oc := range profile.OutputClaims {
					if oc.AlwaysUseDefaultValue {
						continue
					}
					v, inToken := claims[oc.PartnerClaimType]
					if !inToken && expectedFor(persona, oc.PartnerClaimType) {
						t.Errorf("%s (from %s) is missing from the id_token", oc.ClaimTypeReferenceID, oc.PartnerClaimType)
						continue
					}
					if !inToken {
						continue
					}
					if err := hasType(v, types[oc.ClaimTypeReferenceID]); err != nil {
						t.Errorf("%s (from %s): %v", oc.ClaimTypeReferenceID, oc.PartnerClaimType, err)
					}
					if mapped[oc.ClaimTypeReferenceID] == nil {
						t.Errorf("%s not mapped", oc.ClaimTypeReferenceID)
					}
				}
				if mapped["issuerUserId"] != persona.UUID {
					t.Errorf("issuerUserId = %v, want %s", mapped["issuerUserId"], persona.UUID)
				}
				wantMilitary := slices.ContainsFunc(persona.Status, func(s idmesim.Status) bool { return s.Group == "military" && s.Verified })
				if mapped["idmeMilitaryVerified"] != wantMilitary {
					t.Errorf("idmeMilitaryVerified = %v, want %v", mapped["idmeMilitaryVerified"], wantMilitary)
				}
			})
		}
	}
}

// expectedFor says whether the bridge must emit a claim for a persona: group claims always,
// attribute claims when ID.me had a value.
func expectedFor(p idmesim.Persona, claim string) bool {
	fromAttribute := map[string]string{
		"sub": "uuid", "given_name": "fname", "family_name": "lname", "email": "email", "postal_code": "zip",
		"birthdate": "birth_date", "phone_number": "phone", "street_address": "street", "locality": "city", "region": "state",
		"idme_military_branch": "military_branch", "idme_military_service_component": "military_service_component",
		"idme_military_service_started": "military_service_started",
	}
	if claim == "name" {
		return attrValue(p, "fname") != "" && attrValue(p, "lname") != ""
	}
	if handle, ok := fromAttribute[claim]; ok {
		return attrValue(p, handle) != ""
	}
	// The lists are left out when empty (checked on their own: never sent as []).
	return claim != "idme_groups" && claim != "idme_subgroups"
}

// hasType checks a JSON value against a B2C claim DataType.
func hasType(v any, dataType string) error {
	ok := false
	switch dataType {
	case "string", "date", "dateTime":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "stringCollection":
		list, isList := v.([]any)
		ok = isList
		for _, x := range list {
			if _, s := x.(string); !s {
				ok = false
			}
		}
	case "int", "long":
		_, ok = v.(float64)
	default:
		return fmt.Errorf("unknown DataType %q", dataType)
	}
	if !ok {
		return fmt.Errorf("value %v (%T) is not a B2C %s", v, v, dataType)
	}
	return nil
}
