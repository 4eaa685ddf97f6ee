// Package app assembles the bridge from its settings and secrets and serves it over HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"idmebridge/internal/apiconnector"
	"idmebridge/internal/authext"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"idmebridge/internal/claims"
	"idmebridge/internal/config"
	"idmebridge/internal/idme"
	"idmebridge/internal/keys"
	"idmebridge/internal/provider"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
	"idmebridge/internal/store"
	"idmebridge/internal/verification"
)

// Parts are the external pieces a bridge is built from. Only Config is required; the rest
// default to what the settings say (Key Vault or environment secrets, memory or Blob store).
type Parts struct {
	Config *config.Config
	// Lookup reads raw settings (AzureWebJobsStorage and friends); nil: none.
	Lookup config.Lookup
	// Secrets replaces the source the settings choose.
	Secrets secrets.Source
	// Store replaces the store the settings choose.
	Store store.Store
	// Credential replaces the managed identity / developer credential for Azure calls.
	Credential azcore.TokenCredential
	// KeyVaultTransport replaces the HTTP transport of the Key Vault client (tests).
	KeyVaultTransport policy.Transporter
	Logger            *slog.Logger
	// IDmeHTTPClient may carry a custom transport (tests); nil is the default transport.
	IDmeHTTPClient *http.Client
	Now            func() time.Time
	// NotReadyLogEvery is how often a bridge that is not ready logs what it misses; default 1m
	// (the first line comes after at most 3s).
	NotReadyLogEvery time.Duration
}

// Bridge is an assembled bridge: its HTTP handler and the background work that keeps its
// secrets fresh and its storage ready.
type Bridge struct {
	handler    http.Handler
	cfg        *config.Config
	log        *slog.Logger
	readiness  *readiness
	background []func(ctx context.Context)
	blobs      *azblob.Client
	memRecords *verification.Memory // verification records of a local run (externalid.go)
	extension  http.Handler         // the External ID extension, when on (externalid.go)
	connector  http.Handler         // the B2C user-flow API connector, when on (apiconnector.go)
	// upstreamWarm is set once the start-up fetch of ID.me's metadata and keys has ended.
	upstreamWarm flag
}

// Handler serves every endpoint; until the bridge is ready it answers 503 (but /healthz, the
// External ID extension and the B2C API connector, which answer without claims rather than
// fail the tenant's sign-ins).
func (b *Bridge) Handler() http.Handler {
	gated := b.readiness.gate(logRefusedAuthorize(b.cfg, b.log, b.handler))
	if b.extension == nil && b.connector == nil {
		return gated
	}
	// The extension and the connector sit outside the readiness gate: External ID and B2C call
	// them for every token of the application or user flow, and a 503 would fail sign-ins that
	// have nothing to do with ID.me. Until what they need has loaded they answer without claims
	// (or, for a connector client that fails closed, an error), and log why.
	mux := http.NewServeMux()
	if b.extension != nil {
		mux.Handle(authext.Path, b.extension)
	}
	if b.connector != nil {
		mux.Handle(apiconnector.Path, b.connector)
	}
	mux.Handle("/", gated)
	return mux
}

// Run does the background work until ctx is done.
func (b *Bridge) Run(ctx context.Context) {
	done := make(chan struct{}, len(b.background))
	for _, f := range b.background {
		go func() { f(ctx); done <- struct{}{} }()
	}
	for range b.background {
		<-done
	}
}

// Ready reports whether the bridge can serve sign-ins, and if not, why.
func (b *Bridge) Ready() (bool, string) { return b.readiness.state() }

// Build assembles a bridge, starts its background work bound to ctx, and returns its handler.
func Build(ctx context.Context, p Parts) (http.Handler, error) {
	b, err := New(ctx, p)
	if err != nil {
		return nil, err
	}
	go b.Run(ctx)
	return b.Handler(), nil
}

// New assembles a bridge without waiting on any network: secrets and storage get ready in Run.
func New(ctx context.Context, p Parts) (*Bridge, error) {
	cfg, log := p.Config, p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// No URL path or query (blob names, SAS signatures) reaches the log from any part.
	log = slog.New(redacting(log.Handler()))
	p.Logger = log
	if p.Lookup == nil {
		p.Lookup = func(string) (string, bool) { return "", false }
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	b := &Bridge{readiness: newReadiness(), cfg: cfg, log: log}
	src, err := b.secretsSource(p)
	if err != nil {
		return nil, err
	}
	st, err := b.recordStore(p)
	if err != nil {
		return nil, err
	}
	verifications, err := b.verificationWriter(p)
	if err != nil {
		return nil, err
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
	opts := provider.Options{
		Config: cfg, Secrets: src, Keys: keySource, Upstream: idmeClient,
		Store: st, Claims: translator, Logger: log, Now: p.Now,
	}
	if verifications != nil { // not a typed nil in the interface
		opts.Verifications = verifications
	}
	prov, err := provider.New(opts)
	if err != nil {
		return nil, err
	}
	secretsReady := secretsCheck(cfg, src, keySource, p.Now)
	b.readiness.add(func() (bool, string) {
		if ok, why := secretsReady(); !ok {
			return false, why
		}
		return prov.Ready(context.Background())
	})
	b.warmUpstream(idmeClient, env.Issuer)
	b.handler = prov.Handler()
	every := p.NotReadyLogEvery
	if every <= 0 {
		every = time.Minute
	}
	summary := startupSummary(p, env.BaseURL, keySource)
	b.background = append(b.background, func(ctx context.Context) {
		b.readiness.report(ctx, log, summary, min(every, 3*time.Second), every)
	})
	if err := b.addExternalID(p); err != nil {
		return nil, err
	}
	if err := b.addAPIConnector(p, src); err != nil {
		return nil, err
	}
	return b, nil
}

// warmUpstream fetches ID.me's OIDC metadata and keys at start, beside the secret reads, so the
// first sign-in makes no round trip a later one does not. Readiness waits for the attempt, which
// the ID.me timeout bounds; if it fails the bridge gets ready all the same (nothing else needs
// ID.me) and the first sign-in fetches what is missing.
func (b *Bridge) warmUpstream(c *idme.Client, issuer string) {
	b.readiness.add(func() (bool, string) {
		if b.upstreamWarm.get() {
			return true, ""
		}
		return false, "ID.me's OIDC metadata and keys are loading from " + issuer
	})
	b.background = append(b.background, func(ctx context.Context) {
		defer b.upstreamWarm.set()
		if err := c.Prepare(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("fetching ID.me's OIDC metadata and keys at start failed; the first sign-in tries again", "err", err)
		}
	})
}

// secretsSource picks Key Vault when configured (loading in the background), else settings.
func (b *Bridge) secretsSource(p Parts) (secrets.Source, error) {
	cfg := p.Config
	if p.Secrets != nil || cfg.Azure.KeyVaultURL == "" {
		src := p.Secrets
		if src == nil {
			src = secrets.Env{Lookup: p.Lookup}
		}
		if cfg.AllowEphemeralKeys {
			src = withEphemeralStateKey(src, cfg.StateKeySecret, p.Logger)
		}
		return src, nil
	}
	client, err := KeyVaultClient(p)
	if err != nil {
		return nil, err
	}
	kv := secrets.NewKeyVault(client, secrets.KeyVaultOptions{
		Names: cfg.SecretNames(), Refresh: cfg.Azure.SecretsRefresh, Logger: p.Logger, Now: p.Now,
	})
	// Readiness on these secrets is secretsCheck's, which says which one is missing and why.
	b.background = append(b.background, func(ctx context.Context) {
		if err := kv.Load(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Error("loading secrets from Key Vault failed; retrying", "err", err)
		}
		kv.Run(ctx)
	})
	return kv, nil
}

// recordStore picks the single-use store: memory for one instance, Blob Storage for many.
func (b *Bridge) recordStore(p Parts) (store.Store, error) {
	if p.Store != nil {
		return p.Store, nil
	}
	if p.Config.Azure.Store == "memory" {
		return store.NewMemory(p.Now), nil
	}
	client, err := b.blobClient(p)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	blobs := store.NewBlob(client, p.Config.Azure.StoreContainer, store.BlobOptions{Now: p.Now})
	prepared := &flag{}
	b.readiness.add(func() (bool, string) {
		if prepared.get() {
			return true, ""
		}
		return false, fmt.Sprintf("the Blob container %s on %s is not ready (see the error lines): check the storage settings (%s...) and that the identity has 'Storage Blob Data Contributor'",
			p.Config.Azure.StoreContainer, p.Config.Azure.Storage.Describe(), config.StorageSetting)
	})
	b.background = append(b.background, func(ctx context.Context) {
		retryUntil(ctx, p.Logger, "preparing the storage container", func() error { return blobs.EnsureContainer(ctx) })
		prepared.set()
	})
	return blobs, nil
}

// blobClient is the one Blob Storage client, on the Functions host's storage connection.
func (b *Bridge) blobClient(p Parts) (*azblob.Client, error) {
	if b.blobs != nil {
		return b.blobs, nil
	}
	client, err := BlobClient(p)
	if err != nil {
		return nil, err
	}
	b.blobs = client
	return client, nil
}

// verificationWriter keeps a record of each completed verification in Blob Storage, when
// the settings ask for it.
func (b *Bridge) verificationWriter(p Parts) (*verification.Writer, error) {
	cfg := p.Config.Azure
	if !cfg.VerificationRecords {
		return nil, nil
	}
	if p.Config.Azure.Store == "memory" { // a local run: no Blob Storage (externalid.go)
		w := verification.NewWriter(b.memoryRecords().Put, verification.Options{Include: cfg.VerificationInclude, Logger: p.Logger})
		b.background = append(b.background, w.Run)
		return w, nil
	}
	client, err := b.blobClient(p)
	if err != nil {
		return nil, fmt.Errorf("verification records: %w", err)
	}
	put := func(ctx context.Context, name string, body []byte) error {
		_, err := client.UploadBuffer(ctx, cfg.VerificationContainer, name, body, nil)
		return err
	}
	w := verification.NewWriter(put, verification.Options{Include: cfg.VerificationInclude, Logger: p.Logger})
	b.background = append(b.background, func(ctx context.Context) {
		retryUntil(ctx, p.Logger, "preparing the verification container", func() error {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := client.CreateContainer(cctx, cfg.VerificationContainer, nil)
			if bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
				return nil
			}
			return err
		})
		w.Run(ctx)
	})
	return w, nil
}

func claimsTranslator(rows []claims.Mapping) (*claims.Translator, error) {
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
	if !cfg.AllowEphemeralKeys {
		return fromSecret, nil
	}
	_, err := fromSecret.Current(ctx)
	switch {
	case err == nil:
		return fromSecret, nil
	case errors.Is(err, secrets.ErrNotFound):
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
