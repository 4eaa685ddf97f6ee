package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"idmebridge/internal/outcome"
)

// ErrNotLoaded is returned by KeyVault.Get for a name it does not hold: one it was not asked to
// keep, or one that has not loaded yet. It differs from ErrNotFound, which means Key Vault itself
// answered that the secret does not exist.
var ErrNotLoaded = errors.New("secret not loaded")

// KeyVaultOptions configures a KeyVault. Zero values get the defaults noted on each field.
type KeyVaultOptions struct {
	Names   []string      // secrets to keep loaded
	Refresh time.Duration // time between refresh rounds in Run; default 5m
	Timeout time.Duration // limit on each Key Vault call; default 10s
	// Parallel bounds the reads in flight at once; default 16, more than the bridge's
	// secrets, so a start costs one round trip (not one per secret).
	Parallel int
	Logger   *slog.Logger // default discards
	Now      func() time.Time
}

// KeyVault is a Source that keeps a fixed set of Key Vault secrets in memory. Requests are served
// from memory only, so a slow or unavailable vault never delays or fails a request that already
// has a value; Run refreshes in the background so rotations in the vault are picked up.
type KeyVault struct {
	client  *azsecrets.Client
	names   []string
	refresh time.Duration
	timeout time.Duration
	// parallel bounds concurrent reads: many instances scaling out at once, each reading
	// every secret, should stay far below the vault's throttling limit (4,000 secret
	// transactions per 10 s per vault; Learn: key-vault/general/service-limits).
	parallel int
	log      *slog.Logger
	now      func() time.Time

	// round serialises fetch rounds so an older answer never overwrites a newer one.
	round  sync.Mutex
	mu     sync.RWMutex
	values map[string]cached
}

type cached struct {
	value     string
	fetchedAt time.Time
}

// NewKeyVault returns a KeyVault that reads opts.Names through client. Nothing is fetched until
// Load or Run.
func NewKeyVault(client *azsecrets.Client, opts KeyVaultOptions) *KeyVault {
	k := &KeyVault{
		client:   client,
		refresh:  opts.Refresh,
		timeout:  opts.Timeout,
		parallel: opts.Parallel,
		log:      opts.Logger,
		now:      opts.Now,
		values:   make(map[string]cached),
	}
	for _, n := range opts.Names {
		if n != "" && !slices.Contains(k.names, n) {
			k.names = append(k.names, n)
		}
	}
	if k.refresh <= 0 {
		k.refresh = 5 * time.Minute
	}
	if k.timeout <= 0 {
		k.timeout = 10 * time.Second
	}
	if k.parallel <= 0 {
		k.parallel = 16
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	return k
}

// Get returns the last value loaded for name. It never calls Key Vault.
func (k *KeyVault) Get(_ context.Context, name string) (string, error) {
	k.mu.RLock()
	c, ok := k.values[name]
	k.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("secret %q: %w", name, ErrNotLoaded)
	}
	return c.value, nil
}

// Load fetches the latest version of every name concurrently (at most Parallel at a time), each
// read with its own timeout. Values that load are kept even when others fail; the error names
// each secret that failed.
func (k *KeyVault) Load(ctx context.Context) error {
	_, err := k.fetchAll(ctx)
	return err
}

// Ready reports whether every name has loaded at least once.
func (k *KeyVault) Ready() bool { return len(k.Missing()) == 0 }

// Missing lists the names that have never loaded, in the order they were given.
func (k *KeyVault) Missing() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var missing []string
	for _, n := range k.names {
		if _, ok := k.values[n]; !ok {
			missing = append(missing, n)
		}
	}
	return missing
}

// Run refreshes every Refresh interval until ctx is done. A failed round leaves the last good
// values serving and logs one line naming the failed secrets, so an outage is visible without a
// log line per request.
func (k *KeyVault) Run(ctx context.Context) {
	// Until every secret has loaded the bridge answers 503, so retry soon (doubling from one
	// second); once ready, refresh at the normal interval.
	retry := time.Second
	for {
		wait := k.refresh
		if !k.Ready() && retry < k.refresh {
			wait = retry
			retry *= 2
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		failed, err := k.fetchAll(ctx)
		if err == nil || ctx.Err() != nil { // shutting down is not a vault failure
			continue
		}
		k.logFailure(ctx, failed, err)
	}
}

func (k *KeyVault) logFailure(ctx context.Context, failed []string, err error) {
	missing := k.Missing()
	level := slog.LevelWarn
	if len(missing) > 0 { // some secret has no value at all: requests needing it fail
		level = slog.LevelError
	}
	attrs := []any{"failed", failed, "missing", missing, "error", err.Error()}
	if since, ok := k.staleSince(failed); ok {
		attrs = append(attrs, "stale_since", since)
	}
	k.log.Log(ctx, level, "key vault refresh failed; serving last loaded values", attrs...)
	// One outcome event per secret, so failures can be counted by secret; the name only.
	for _, name := range failed {
		outcome.Log(ctx, k.log, outcome.SecretRefresh,
			slog.String(outcome.FieldOutcome, outcome.RefreshFailed), slog.String(outcome.FieldSecret, name))
	}
}

// staleSince is the oldest successful fetch among names that failed this round but still serve.
func (k *KeyVault) staleSince(names []string) (time.Time, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var oldest time.Time
	for _, n := range names {
		if c, ok := k.values[n]; ok && (oldest.IsZero() || c.fetchedAt.Before(oldest)) {
			oldest = c.fetchedAt
		}
	}
	return oldest, !oldest.IsZero()
}

// fetchAll runs one round and returns the names that failed with the joined errors.
func (k *KeyVault) fetchAll(ctx context.Context) ([]string, error) {
	k.round.Lock()
	defer k.round.Unlock()
	errs := make([]error, len(k.names))
	slots := make(chan struct{}, k.parallel)
	var wg sync.WaitGroup
	for i, name := range k.names {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = k.fetch(ctx, name)
		})
	}
	wg.Wait()

	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, k.names[i])
		}
	}
	if len(failed) == 0 {
		return nil, nil
	}
	return failed, fmt.Errorf("key vault: %d of %d secrets failed to load %v: %w",
		len(failed), len(k.names), failed, errors.Join(errs...))
}

func (k *KeyVault) fetch(ctx context.Context, name string) error {
	if k.client == nil {
		return fmt.Errorf("secret %q: no key vault client", name)
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	resp, err := k.client.GetSecret(ctx, name, "", nil) // "" is the latest version
	var re *azcore.ResponseError
	switch {
	case errors.As(err, &re) && (re.StatusCode == http.StatusNotFound || disabled(re)):
		// Deleted or disabled in the vault: an operator revoking a leaked secret does exactly
		// this, so stop serving the cached value (fail closed) rather than keep it.
		k.mu.Lock()
		delete(k.values, name)
		k.mu.Unlock()
		return fmt.Errorf("secret %q: %w (key vault: HTTP %d %s)", name, ErrNotFound, re.StatusCode, re.ErrorCode)
	case err != nil:
		return fmt.Errorf("secret %q: %w", name, err)
	case resp.Value == nil || *resp.Value == "":
		// Same rule as Env and Map: an empty value is no value.
		return fmt.Errorf("secret %q is empty: %w", name, ErrNotFound)
	}
	k.mu.Lock()
	k.values[name] = cached{value: *resp.Value, fetchedAt: k.now()}
	k.mu.Unlock()
	return nil
}

// disabled reports Key Vault's answer for a disabled secret: 403 whose outer code is the
// generic Forbidden and whose innerError.code is SecretDisabled. azcore's ErrorCode is the
// outer one, so the body must be read; a 403 for missing permissions stays an outage (the
// last good value keeps serving) rather than a revocation.
func disabled(re *azcore.ResponseError) bool {
	if re.ErrorCode == "SecretDisabled" {
		return true
	}
	if re.StatusCode != http.StatusForbidden || re.RawResponse == nil {
		return false
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil {
		return false
	}
	var doc struct {
		Error struct {
			InnerError struct {
				Code string `json:"code"`
			} `json:"innerError"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &doc) == nil && doc.Error.InnerError.Code == "SecretDisabled"
}
