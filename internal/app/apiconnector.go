package app

import (
	"fmt"

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
