package authext

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

const (
	// keyRefetchInterval is the least time between two fetches of the tenant's keys. A token
	// no held key verifies makes the bridge look for new keys (the tenant rotated them), but
	// anyone can send such a token: without this bound every forged token would make the
	// bridge fetch the tenant's keys, at the forger's pace. Entra publishes a key well before
	// it signs with it, so the wait costs a real caller nothing.
	keyRefetchInterval = time.Minute
	// keyRetryInterval is the least time between two fetches after a failed one.
	keyRetryInterval = 5 * time.Second
	// maxKeySetBytes bounds the tenant's key set document.
	maxKeySetBytes = 1 << 20
)

// tenantKeys is the tenant's signing key set as go-oidc's verifier uses it (oidc.KeySet).
type tenantKeys struct {
	url    string
	client *http.Client
	now    func() time.Time

	fetching flight // one fetch at a time; mu is never held across one
	mu       sync.Mutex
	keys     *oidc.StaticKeySet
	tried    time.Time // last fetch attempt
	lastErr  error     // why the last fetch failed; nil after a success
}

func newTenantKeys(url string, client *http.Client, now func() time.Time) *tenantKeys {
	return &tenantKeys{url: url, client: client, now: now}
}

// VerifySignature implements oidc.KeySet: the held keys first, then (at most once per
// keyRefetchInterval) freshly fetched ones.
func (k *tenantKeys) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	held := k.held()
	if held != nil {
		if payload, err := held.VerifySignature(ctx, raw); err == nil {
			return payload, nil
		}
	}
	fresh := k.refresh(ctx)
	if fresh == nil || fresh == held {
		return nil, errors.New("no key of the tenant verifies the signature")
	}
	return fresh.VerifySignature(ctx, raw)
}

// unavailable reports why the tenant's keys cannot be used (nil when they can): a refusal
// then is not the caller's fault.
func (k *tenantKeys) unavailable() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastErr != nil {
		return k.lastErr
	}
	if k.keys == nil {
		return errors.New("the tenant's keys are not fetched yet")
	}
	return nil
}

func (k *tenantKeys) held() *oidc.StaticKeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// refresh fetches the keys unless that was tried less than keyRefetchInterval ago
// (keyRetryInterval after a failure); it returns the keys held afterwards.
func (k *tenantKeys) refresh(ctx context.Context) *oidc.StaticKeySet {
	for {
		k.mu.Lock()
		wait := keyRefetchInterval
		if k.lastErr != nil {
			wait = keyRetryInterval
		}
		recent := !k.tried.IsZero() && k.now().Sub(k.tried) < wait
		held := k.keys
		k.mu.Unlock()
		if recent {
			return held
		}
		lead, done, err := k.fetching.lead(ctx)
		if err != nil {
			return held
		}
		if !lead {
			continue // another caller's fetch ended: take its outcome
		}
		k.mu.Lock()
		k.tried = k.now()
		k.mu.Unlock()
		keys, err := k.fetch(ctx)
		k.mu.Lock()
		if err != nil {
			k.lastErr = fmt.Errorf("tenant keys at %s: %w", k.url, err)
		} else {
			k.keys, k.lastErr = keys, nil
		}
		held = k.keys
		k.mu.Unlock()
		done()
		return held
	}
}

// fetch reads the tenant's JWKS and keeps its RSA keys (the extension accepts RS256 only).
func (k *tenantKeys) fetch(ctx context.Context) (*oidc.StaticKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes))
	if err != nil {
		return nil, err
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	out := &oidc.StaticKeySet{}
	for i := range set.Len() {
		key, _ := set.Key(i)
		if use := key.KeyUsage(); use != "" && use != "sig" {
			continue
		}
		var raw any
		if err := key.Raw(&raw); err != nil {
			continue
		}
		if pub, ok := raw.(*rsa.PublicKey); ok {
			out.PublicKeys = append(out.PublicKeys, crypto.PublicKey(pub))
		}
	}
	if len(out.PublicKeys) == 0 {
		return nil, errors.New("key set holds no RSA signing key")
	}
	return out, nil
}
