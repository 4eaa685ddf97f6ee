package devmode

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestYourOwnAppSignsIn plays an application built on x/oauth2 and go-oidc, with dev mode's
// client id and secret and a redirect URI given with -redirect-uri: discovery, PKCE, the code
// flow with the default (query) response, and the id_token verified by the library.
func TestYourOwnAppSignsIn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appRedirect := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:") + "/auth/callback"
	ln.Close() // only its address is needed: the browser below stops at the redirect

	env := startDev(t, Options{ClientID: "my-app", ClientSecret: "my-app-secret", RedirectURIs: []string{appRedirect}})
	if env.ClientID != "my-app" || env.ClientSecret != "my-app-secret" {
		t.Fatalf("env %+v", env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	waitReady(t, newBrowser(), env.BridgeURL+"/healthz").Body.Close()
	provider, err := oidc.NewProvider(ctx, env.BridgeURL)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: env.ClientID, ClientSecret: env.ClientSecret, RedirectURL: appRedirect,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "military"}}
	verifier := provider.Verifier(&oidc.Config{ClientID: env.ClientID})

	pkce := oauth2.GenerateVerifier()
	next := conf.AuthCodeURL("app-state", oidc.Nonce("app-nonce"), oauth2.S256ChallengeOption(pkce))
	browser := newBrowser()
	var callback *url.URL
	for hop := 0; hop < 6 && callback == nil; hop++ {
		if strings.HasPrefix(next, env.IDmeURL+"/") {
			next += "&persona=veteran"
		}
		resp, err := browser.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		next = resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("hop %d answered %d", hop, resp.StatusCode)
		}
		if strings.HasPrefix(next, appRedirect+"?") {
			callback, _ = url.Parse(next)
		}
	}
	if callback == nil || callback.Query().Get("state") != "app-state" {
		t.Fatalf("no callback to the application: %v", callback)
	}
	tok, err := conf.Exchange(ctx, callback.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		GivenName string `json:"given_name"`
		Military  bool   `json:"idme_military_verified"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Nonce != "app-nonce" || claims.GivenName != "Vera" || !claims.Military {
		t.Fatalf("claims %+v nonce %q err %v", claims, idt.Nonce, err)
	}
}
