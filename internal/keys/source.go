package keys

import "context"

// Source hands out the key set in force now. A source backed by Key Vault refreshes it, so a
// rotation needs no restart.
type Source interface {
	Current(ctx context.Context) (*Set, error)
}

// Fixed is a Source that never changes: a key set read once, or generated for a local run.
type Fixed struct{ Set *Set }

// Current returns the fixed set.
func (f Fixed) Current(context.Context) (*Set, error) { return f.Set, nil }
