package app

import (
	"context"
	"time"

	"idmebridge/internal/keys"
)

// startupSummary returns the attributes of the start-up and ready lines: what this bridge runs
// on, so an operator reading the log sees its configuration without reading its settings.
func startupSummary(p Parts, idmeHost string, keySource keys.Source) func() []any {
	cfg := p.Config
	var clientIDs []string
	for _, c := range cfg.Clients {
		clientIDs = append(clientIDs, c.ID)
	}
	store := cfg.Azure.Store
	switch {
	case p.Store != nil:
		store = "given"
	case store == "blob":
		store = "blob " + cfg.Azure.StoreContainer + " on " + cfg.Azure.Storage.Describe()
	}
	source := "settings"
	switch {
	case p.Secrets != nil:
		source = "given"
	case cfg.Azure.KeyVaultURL != "":
		source = "key vault " + cfg.Azure.KeyVaultURL
	}
	return func() []any {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		kid := "not loaded"
		if set, err := keySource.Current(ctx); err == nil {
			if k := set.SigningKeyID(p.Now(), cfg.TokenTTL); k != "" {
				kid = k
			} else {
				kid = "none may sign now"
			}
		}
		return []any{"issuer", cfg.Issuer, "store", store, "idme_host", idmeHost, "idme_client_id", cfg.IDme.ClientID,
			"client_ids", clientIDs, "signing_kid", kid, "secrets", source}
	}
}
