// Package store keeps the bridge's short-lived single-use records: authorization codes, the
// ledger of redeemed codes, access tokens and revoked grants. Every operation the bridge needs
// is a create-if-absent or a read, so one implementation over a shared backend (Azure Blob
// Storage) makes "used exactly once" hold across all instances.
//
// Create is a plain conditional create: a key that was ever written stays taken until the
// record is deleted (by the memory store's eviction, or the Blob container's lifecycle rule),
// whatever its expiry says. Expiry governs reads only. No caller re-creates a key (every key is
// a digest of a random value), so this costs nothing, and it makes single use independent of
// the clocks of the instances that share the store.
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrExists is returned by Create when the key was already written, live or expired.
	ErrExists = errors.New("record already exists")
	// ErrNotFound is returned by Get when the key is absent or expired.
	ErrNotFound = errors.New("record not found")
)

// Store is a key/value store of records that expire. Implementations are safe for concurrent
// use, and Create is atomic: of many concurrent creates of one key, exactly one succeeds.
type Store interface {
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Get(ctx context.Context, key string) ([]byte, error)
}
