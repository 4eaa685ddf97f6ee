package demorp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// federation signs in at the bridge as a Microsoft tenant does when the bridge is one of its
// OpenID Connect identity providers: the code flow, client_secret_post, a nonce, and the
// bridge's answer at the tenant's redirect URI. The External ID and the B2C user-flow modes
// share it; what they do with the id_token differs.
type federation struct {
	issuer, clientID, secret, redirectURI string
	// authParams are extra authorize parameters (a user flow asks for form_post).
	authParams []oauth2.AuthCodeOption
	client     *http.Client
	pending    *pendingLogins

	mu       sync.Mutex
	upstream *upstream
}

func newFederation(issuer, clientID, secret, redirectURI string, client *http.Client, authParams ...oauth2.AuthCodeOption) *federation {
	return &federation{issuer: issuer, clientID: clientID, secret: secret, redirectURI: redirectURI,
		authParams: authParams, client: httpClientWithTimeout(client), pending: newPendingLogins(pendingTTL, pendingMax)}
}

// op discovers the bridge once, as the tenant reads the provider's metadata URL. A failure is
// not remembered, so the next sign-in tries again.
func (f *federation) op(ctx context.Context) (*upstream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.upstream != nil {
		return f.upstream, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, f.client), outboundTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, f.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", f.issuer, err)
	}
	endpoint := provider.Endpoint()
	// Both tenants authenticate with client_secret_post (DESIGN: B2C's default
	// token_endpoint_auth_method; External ID does not offer client_secret_basic).
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	f.upstream = &upstream{
		provider: provider,
		// Neither tenant accepts anything but RS256 from an external provider.
		verifier: provider.Verifier(&oidc.Config{ClientID: f.clientID, SupportedSigningAlgs: []string{oidc.RS256}}),
		oauth: oauth2.Config{ClientID: f.clientID, ClientSecret: f.secret, Endpoint: endpoint,
			RedirectURL: f.redirectURI},
	}
	return f.upstream, nil
}

// login sends the browser to the bridge's authorize endpoint with scope.
func (f *federation) login(w http.ResponseWriter, r *http.Request, scope string) error {
	op, err := f.op(r.Context())
	if err != nil {
		return err
	}
	state, nonce := rand.Text(), rand.Text()
	f.pending.add(state, pendingLogin{nonce: nonce, scope: scope, created: time.Now()})
	oauth := op.oauth
	oauth.Scopes = []string{scope}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, oauth.AuthCodeURL(state, append([]oauth2.AuthCodeOption{oidc.Nonce(nonce)}, f.authParams...)...), http.StatusFound)
	return nil
}

// stop is why a sign-in ends: the status and title of the page that says so.
type stop struct {
	status int
	title  string
	err    error
}

func (s *stop) Error() string { return s.title + ": " + s.err.Error() }

// signedIn is a sign-in the bridge completed: the id_token, its claims and the scope asked for.
type signedIn struct {
	idToken *oidc.IDToken
	claims  map[string]any
	scope   string
}

// answer takes the bridge's answer at the redirect URI (query or form_post), redeems the code
// and checks the id_token (signature, iss, aud, expiry, nonce).
func (f *federation) answer(r *http.Request, stopTitle string) (*signedIn, *stop) {
	if err := r.ParseForm(); err != nil {
		return nil, &stop{http.StatusBadRequest, "Unreadable answer", err}
	}
	login, ok := f.pending.take(r.Form.Get("state"), time.Now())
	if !ok {
		return nil, &stop{http.StatusBadRequest, "Unknown or expired sign-in", errors.New("start again from the start page")}
	}
	if code := r.Form.Get("error"); code != "" {
		return nil, &stop{http.StatusBadRequest, "The bridge answered with an error", fmt.Errorf("%s: %s", code, r.Form.Get("error_description"))}
	}
	op, err := f.op(r.Context())
	if err != nil {
		return nil, &stop{http.StatusBadGateway, "The bridge could not be reached", err}
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), f.client), outboundTimeout)
	defer cancel()
	tok, err := op.oauth.Exchange(ctx, r.Form.Get("code"))
	if err != nil {
		return nil, &stop{http.StatusBadGateway, stopTitle, fmt.Errorf("token endpoint (client_secret_post): %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := op.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, &stop{http.StatusBadGateway, stopTitle, fmt.Errorf("id_token: %w", err)}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.nonce)) != 1 {
		return nil, &stop{http.StatusBadGateway, stopTitle, errors.New("id_token: the nonce is not the one sent")}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, &stop{http.StatusBadGateway, stopTitle, err}
	}
	return &signedIn{idToken: idt, claims: claims, scope: login.scope}, nil
}
