// Package app assembles the bridge from its settings and secrets and serves it over HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"idmebridge/internal/claims"
	"idmebridge/internal/config"
	"idmebridge/internal/idme"
	"idmebridge/internal/keys"
	"idmebridge/internal/provider"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
	"idmebridge/internal/store"
)

// Parts are the external pieces a bridge is built from.
type Parts struct {
	Config  *config.Config
	Secrets secrets.Source
	Logger  *slog.Logger
	// IDmeHTTPClient may carry a custom transport (tests); nil is the default transport.
	IDmeHTTPClient *http.Client
	Now            func() time.Time
}

// Build returns the bridge's HTTP handler.
func Build(ctx context.Context, p Parts) (http.Handler, error) {
	cfg, log := p.Config, p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src := p.Secrets
	if cfg.AllowEphemeralKeys {
		src = withEphemeralStateKey(src, cfg.StateKeySecret, log)
	}
	keySource, err := keySource(ctx, cfg, src, log)
	if err != nil {
		return nil, err
	}
	translator, err := claimsTranslator(cfg.ClaimMappings)
	if err != nil {
		return nil, err
	}
	env, err := idme.EnvironmentFor(cfg.IDme.Environment, cfg.IDme.BaseURL)
	if err != nil {
		return nil, err
	}
	idmeClient, err := idme.New(idme.Options{
		Environment:  env,
		ClientID:     cfg.IDme.ClientID,
		ClientSecret: func(ctx context.Context) (string, error) { return src.Get(ctx, cfg.IDme.ClientSecret) },
		RedirectURL:  provider.CallbackURL(cfg.Issuer),
		GroupsURL:    cfg.IDme.GroupsURL,
		Timeout:      cfg.IDme.Timeout,
		HTTPClient:   p.IDmeHTTPClient,
	})
	if err != nil {
		return nil, err
	}
	prov, err := provider.New(provider.Options{
		Config: cfg, Secrets: src, Keys: keySource, IDme: idmeClient,
		Store: store.NewMemory(p.Now), Claims: translator, Logger: log, Now: p.Now,
	})
	if err != nil {
		return nil, err
	}
	return prov.Handler(), nil
}

func claimsTranslator(extra string) (*claims.Translator, error) {
	rows, err := claims.ParseMappings(extra)
	if err != nil {
		return nil, fmt.Errorf("BRIDGE_CLAIM_MAPPINGS: %w", err)
	}
	t, err := claims.NewTranslator(rows)
	if err != nil {
		return nil, fmt.Errorf("BRIDGE_CLAIM_MAPPINGS: %w", err)
	}
	return t, nil
}

// keySource reads the signing key set from its secret (re-read as the secret changes), or
// generates a throwaway one when that is allowed and none is configured.
func keySource(ctx context.Context, cfg *config.Config, src secrets.Source, log *slog.Logger) (keys.Source, error) {
	fromSecret := &keys.FromSecret{Secrets: src, Name: cfg.SigningKeysSecret, Logger: log}
	_, err := fromSecret.Current(ctx)
	switch {
	case err == nil:
		return fromSecret, nil
	case errors.Is(err, secrets.ErrNotFound) && cfg.AllowEphemeralKeys:
		set, err := keys.Generate()
		if err != nil {
			return nil, err
		}
		log.Warn("no signing key set configured: signing with an ephemeral key that dies with this process (local runs only)",
			"kid", set.Keys()[0].KeyID, "secret", cfg.SigningKeysSecret)
		return keys.Fixed{Set: set}, nil
	default:
		return nil, err
	}
}

// withEphemeralStateKey supplies a generated state-sealing key when none is configured.
func withEphemeralStateKey(src secrets.Source, name string, log *slog.Logger) secrets.Source {
	if _, err := src.Get(context.Background(), name); err == nil || !errors.Is(err, secrets.ErrNotFound) {
		return src
	}
	log.Warn("no state key configured: using an ephemeral one (local runs only)", "secret", name)
	return fallback{primary: src, extra: secrets.Map{name: seal.NewKey()}}
}

type fallback struct {
	primary secrets.Source
	extra   secrets.Map
}

func (f fallback) Get(ctx context.Context, name string) (string, error) {
	v, err := f.primary.Get(ctx, name)
	if errors.Is(err, secrets.ErrNotFound) {
		if v2, err2 := f.extra.Get(ctx, name); err2 == nil {
			return v2, nil
		}
	}
	return v, err
}
