package config

import "testing"

// FuzzParseClients reads arbitrary BRIDGE_CLIENTS values without panicking; every client it
// accepts has an id, a secret name and only absolute https (or loopback http) redirect URIs.
func FuzzParseClients(f *testing.F) {
	for _, seed := range []string{
		`[{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb"],"idme_scopes":["military"]}]`,
		`[{"client_id":"a","secret_name":"s","previous_secret_name":"t","redirect_uris":["https://x.example/cb"],"idme_scopes":["military"],"claims":["email"],"standard_scopes":true}]`,
		`[]`, `{}`, `null`, `[{"client_id":""}]`, `[{"redirect_uris":["javascript:alert(1)"]}]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		clients, err := ParseClients(raw)
		if err != nil {
			return
		}
		for _, c := range clients {
			if c.ID == "" || c.SecretName == "" || len(c.RedirectURIs) == 0 {
				t.Fatalf("accepted %+v", c)
			}
			for _, u := range c.RedirectURIs {
				if checkRedirectURI(u) != nil {
					t.Fatalf("accepted redirect URI %q", u)
				}
			}
		}
	})
}
