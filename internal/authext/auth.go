package authext

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"idmebridge/internal/config"
)

// errUnauthenticated wraps every reason a caller is refused.
var errUnauthenticated = errors.New("not a call from the External ID tenant")

// authenticator checks the bearer token External ID sends with every extension call: signed by
// the tenant (keys from its OIDC discovery), iss the tenant, aud the extension's app, azp (v2)
// or appid (v1) Microsoft's authentication events service. go-oidc does the JWT work; only the
// membership checks go-oidc cannot express (several accepted issuers and audiences) are here.
type authenticator struct {
	authority string
	issuers   []string
	audiences []string
	client    *http.Client
	now       func() time.Time

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	keySet   *tenantKeys
	// The last failed discovery, answered again for keyRetryInterval so that calls (anyone's,
	// before their token is checked) do not each ask the tenant while it is unreachable.
	discoveryErr   error
	discoveryTried time.Time
	discovery      flight
}

func newAuthenticator(x config.ExternalID, client *http.Client, now func() time.Time) *authenticator {
	return &authenticator{authority: x.Authority, issuers: x.Issuers(), audiences: x.Audiences, client: client, now: now}
}

// keys reads the tenant's discovery document once and builds the verifier on its key set
// (refetched, at most once a minute, when no held key verifies a token). No lock is held
// across the network: a caller waits for another's discovery only as long as ctx allows.
func (a *authenticator) keys(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	for {
		a.mu.Lock()
		v, throttled := a.verifier, a.discoveryErr != nil && a.now().Sub(a.discoveryTried) < keyRetryInterval
		err := a.discoveryErr
		a.mu.Unlock()
		if v != nil {
			return v, nil
		}
		if throttled {
			return nil, err
		}
		lead, done, err := a.discovery.lead(ctx)
		if err != nil {
			return nil, err
		}
		if !lead {
			continue // another caller's discovery ended: look at its outcome
		}
		v, err = a.discover(ctx)
		done()
		return v, err
	}
}

// discover reads the discovery document and builds the verifier.
func (a *authenticator) discover(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	a.mu.Lock()
	a.discoveryTried = a.now()
	a.mu.Unlock()
	fail := func(err error) (*oidc.IDTokenVerifier, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.discoveryErr = err
		return nil, err
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, a.client), a.authority)
	if err != nil {
		return fail(fmt.Errorf("tenant discovery at %s: %w", a.authority, err))
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return fail(fmt.Errorf("tenant discovery at %s names no jwks_uri", a.authority))
	}
	keySet := newTenantKeys(meta.JWKSURI, a.client, a.now)
	v := oidc.NewVerifier("", keySet, &oidc.Config{
		SkipClientIDCheck:    true, // several audiences are accepted: checked below
		SkipIssuerCheck:      true, // several spellings of the tenant are accepted: checked below
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  a.now,
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if !slices.Contains(a.issuers, meta.Issuer) {
		a.issuers = append(a.issuers, meta.Issuer)
	}
	a.keySet, a.verifier, a.discoveryErr = keySet, v, nil
	return v, nil
}

// prefetch reads the tenant's keys ahead of the first call (after keys succeeded).
func (a *authenticator) prefetch(ctx context.Context) error {
	a.mu.Lock()
	ks := a.keySet
	a.mu.Unlock()
	if ks == nil {
		return nil
	}
	ks.refresh(ctx)
	return ks.unavailable()
}

// authenticate returns nil when r carries a token from the tenant for this extension.
func (a *authenticator) authenticate(ctx context.Context, r *http.Request) error {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return fmt.Errorf("%w: no bearer token", errUnauthenticated)
	}
	v, err := a.keys(ctx)
	if err != nil {
		return err // not the caller's fault: reported as unavailable
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		if why := a.keySet.unavailable(); why != nil {
			return why // the keys could not be fetched: not the caller's fault
		}
		return fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	a.mu.Lock()
	issuers := a.issuers
	a.mu.Unlock()
	if !slices.Contains(issuers, tok.Issuer) {
		return fmt.Errorf("%w: issuer %q is not the tenant", errUnauthenticated, tok.Issuer)
	}
	if !slices.ContainsFunc(tok.Audience, func(aud string) bool { return slices.Contains(a.audiences, aud) }) {
		return fmt.Errorf("%w: audience is not the extension's app", errUnauthenticated)
	}
	var caller struct {
		Azp   string `json:"azp"`
		AppID string `json:"appid"`
	}
	if err := tok.Claims(&caller); err != nil {
		return fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	// v2 tokens name the caller in azp, v1 tokens in appid; a token that names it in neither,
	// or names another caller in azp, is refused.
	if caller.Azp != config.ExtensionCaller && (caller.Azp != "" || caller.AppID != config.ExtensionCaller) {
		return fmt.Errorf("%w: caller is not Microsoft's authentication events service", errUnauthenticated)
	}
	return nil
}
