// Package provider is the OpenID Connect provider that B2C (or Entra External ID) federates to.
// It answers discovery and JWKS, turns B2C's authorize request into a sign-in at ID.me, turns
// ID.me's answer into its own single-use code, and redeems that code for an id_token it signs.
package provider

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"idmebridge/internal/claims"
	"idmebridge/internal/config"
	"idmebridge/internal/htmlpage"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
	"idmebridge/internal/store"
	"idmebridge/internal/upstream"
)

// Paths the provider serves, below the issuer URL.
const (
	PathDiscovery      = "/.well-known/openid-configuration"
	PathJWKS           = "/.well-known/jwks.json"
	PathAuthorize      = "/authorize"
	PathCallback       = "/callback"
	PathToken          = "/token"
	PathUserinfo       = "/userinfo"
	PathLogout         = "/logout"
	PathLogoutCallback = "/logout/callback"
	PathHealth         = "/healthz"
)

// Options are the provider's parts.
type Options struct {
	Config  *config.Config
	Secrets secrets.Source
	Keys    keys.Source
	// Upstream is the identity provider users sign in at (the ID.me client).
	Upstream upstream.Connector
	Store    store.Store
	Claims   *claims.Translator
	Logger   *slog.Logger
	Now      func() time.Time
	// Verifications, when set, is told of every completed verification (kept off the
	// sign-in path by the implementation).
	Verifications interface {
		Submit(clientID string, claims map[string]any, at time.Time)
	}
}

// Provider serves the OIDC endpoints. It is safe for concurrent use.
type Provider struct {
	cfg      *config.Config
	secrets  secrets.Source
	keys     keys.Source
	upstream upstream.Connector
	store    store.Store
	claims   *claims.Translator
	log      *slog.Logger
	now      func() time.Time
	records  interface {
		Submit(clientID string, claims map[string]any, at time.Time)
	}

	sealerMu  sync.Mutex
	sealerKey string
	sealer    *seal.Sealer

	discoveryDoc cachedBody // built once: the configuration does not change while serving
	jwksDoc      jwksCache
}

// New checks the parts and returns a Provider.
func New(o Options) (*Provider, error) {
	if o.Config == nil || o.Secrets == nil || o.Keys == nil || o.Upstream == nil || o.Store == nil || o.Claims == nil {
		return nil, fmt.Errorf("provider: config, secrets, keys, upstream, store and claims are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Provider{
		cfg: o.Config, secrets: o.Secrets, keys: o.Keys, upstream: o.Upstream, store: o.Store,
		claims: o.Claims, log: o.Logger, now: o.Now, records: o.Verifications,
	}, nil
}

// Ready reports whether the secrets the provider needs are usable: the state key parses and a
// key may sign a token now.
func (p *Provider) Ready(ctx context.Context) (bool, string) {
	if _, err := p.stateSealer(ctx); err != nil {
		return false, "the state key is not usable"
	}
	set, err := p.keys.Current(ctx)
	if err != nil || set.SigningKeyID(p.now(), p.cfg.TokenTTL) == "" {
		return false, "no signing key may sign now"
	}
	return true, ""
}

// CallbackURL is the one redirect URI to register at ID.me.
func CallbackURL(issuer string) string { return issuer + PathCallback }

// Handler returns the HTTP handler for every endpoint.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathDiscovery, p.discovery)
	mux.HandleFunc("GET "+PathJWKS, p.jwks)
	mux.HandleFunc("GET "+PathAuthorize, p.authorize)
	mux.HandleFunc("POST "+PathAuthorize, p.authorize)
	mux.HandleFunc("GET "+PathCallback, p.callback)
	mux.HandleFunc("POST "+PathToken, p.token)
	mux.HandleFunc("GET "+PathUserinfo, p.userinfo)
	mux.HandleFunc("POST "+PathUserinfo, p.userinfo)
	mux.HandleFunc("GET "+PathLogout, p.logout)
	mux.HandleFunc("POST "+PathLogout, p.logout)
	mux.HandleFunc("GET "+PathLogoutCallback, p.logoutCallback)
	mux.HandleFunc("GET "+PathHealth, health)
	mux.Handle("GET /{$}", htmlpage.BridgeLinks(p.cfg.Issuer).Handler("ID.me bridge", p.log))
	return secureHeaders(mux)
}

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// secureHeaders sets the headers every response carries and bounds what a request may send.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if len(r.URL.RawQuery) > maxQueryBytes {
			errorPage(w, http.StatusRequestURITooLong, "invalid_request", "The request's parameters are too long.")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// Limits on what a request may carry.
const (
	maxQueryBytes = 8 << 10
	maxBodyBytes  = 64 << 10
	maxParamBytes = 2 << 10
	maxCodeBytes  = 16 << 10 // a code carries its sealed grant
)

// stateSealer returns a Sealer for the current state keys (they also seal codes and access
// tokens), rebuilt only when the key changes.
func (p *Provider) stateSealer(ctx context.Context) (*seal.Sealer, error) {
	raw, err := p.secrets.Get(ctx, p.cfg.StateKeySecret)
	if err != nil {
		return nil, fmt.Errorf("state key: %w", err)
	}
	p.sealerMu.Lock()
	defer p.sealerMu.Unlock()
	if p.sealer != nil && raw == p.sealerKey {
		return p.sealer, nil
	}
	// The secret may hold several keys, newest first, so a rotation has an overlap window.
	keys, err := seal.ParseKeys(raw)
	if err != nil {
		return nil, fmt.Errorf("state key %s: %w", p.cfg.StateKeySecret, err)
	}
	s, err := seal.NewWithKeys(keys, p.now)
	if err != nil {
		return nil, err
	}
	p.sealer, p.sealerKey = s, raw
	return s, nil
}
