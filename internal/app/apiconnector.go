package app

import (
	"fmt"
	"net/http"

	"idmebridge/internal/apiconnector"
	"idmebridge/internal/secrets"
)

// addAPIConnector builds the B2C user-flow API connector when a client has a connector
// password. It reads that password from the same source as every other secret.
func (b *Bridge) addAPIConnector(p Parts, src secrets.Source) error {
	a := p.Config.APIConnector
	if !a.Enabled {
		return nil
	}
	records, err := b.verificationReader(p)
	if err != nil {
		return fmt.Errorf("B2C API connector: %w", err)
	}
	c, err := apiconnector.New(apiconnector.Options{Config: a, Clients: p.Config.Clients, Secrets: src, Records: records, Logger: p.Logger})
	if err != nil {
		return err
	}
	b.connector = c
	return nil
}

// withAPIConnector serves the connector at its path beside next. Like the External ID
// extension it is not behind the readiness gate: B2C calls it for every token of the user
// flow, and a 503 would fail sign-ins that have nothing to do with ID.me. Until its password
// has loaded it answers Continue without claims (or, for a client that fails closed, an error),
// and logs why.
func (b *Bridge) withAPIConnector(next http.Handler) http.Handler {
	if b.connector == nil {
		return next
	}
	mux := http.NewServeMux()
	mux.Handle(apiconnector.Path, b.connector)
	mux.Handle("/", next)
	return mux
}
