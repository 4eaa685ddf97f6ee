package app

import (
	"sync"

	"idmebridge/internal/keys"
)

// sharedTestKeySet generates one RSA key set for the whole test binary: key generation is the
// slowest step of building a world.
var sharedTestKeySet = sync.OnceValues(func() (string, error) {
	b, err := keys.NewPrivateSet()
	return string(b), err
})
