// Package secrets reads the bridge's secret values (client secrets, the state-sealing key, the
// signing key set) by name from wherever they live: the environment for local runs, Azure Key
// Vault in Azure.
package secrets

import (
	"context"
	"errors"
)

// ErrNotFound is returned when a source has no value for a name.
var ErrNotFound = errors.New("secret not found")

// Source hands out secret values by name. Implementations must be safe for concurrent use.
type Source interface {
	Get(ctx context.Context, name string) (string, error)
}
