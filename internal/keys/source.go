package keys

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"idmebridge/internal/secrets"
)

// Source hands out the key set in force now.
type Source interface {
	Current(ctx context.Context) (*Set, error)
}

// Fixed is a Source that never changes: a key set generated for a local run, or a test's.
type Fixed struct{ Set *Set }

// Current returns the fixed set.
func (f Fixed) Current(context.Context) (*Set, error) { return f.Set, nil }

// FromSecret reads the key set from a secret and re-parses it only when the secret's value
// changes, so a new version stored in Key Vault is in force at the secrets source's next
// refresh, with no restart.
type FromSecret struct {
	Secrets secrets.Source
	Name    string
	Logger  *slog.Logger // nil: discard

	mu     sync.Mutex
	raw    string
	set    *Set
	badRaw string // the last value that failed to parse, logged once
}

// Current returns the parsed key set for the secret's current value.
func (f *FromSecret) Current(ctx context.Context) (*Set, error) {
	raw, err := f.Secrets.Get(ctx, f.Name)
	if err != nil {
		return nil, fmt.Errorf("signing keys %s: %w", f.Name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.set != nil && (raw == f.raw || raw == f.badRaw) {
		return f.set, nil
	}
	set, err := Parse([]byte(raw))
	if err != nil {
		// A bad new version must not take signing down: keep the last good set.
		if raw != f.badRaw && f.Logger != nil {
			f.Logger.Error("new signing key set does not parse: still signing with the previous one", "secret", f.Name, "err", err)
		}
		f.badRaw = raw
		if f.set != nil {
			return f.set, nil
		}
		return nil, fmt.Errorf("signing keys %s: %w", f.Name, err)
	}
	f.raw, f.set = raw, set
	return set, nil
}
