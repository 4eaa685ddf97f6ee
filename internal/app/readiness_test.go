package app

import (
	"strings"
	"testing"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
)

// TestSecretsCheckNamesWhatIsMissing: each unmet condition names the secret, where it is looked
// for, and the command that fixes it.
func TestSecretsCheckNamesWhatIsMissing(t *testing.T) {
	now := time.Now()
	later, _, err := keys.AddKey([]byte(testKeySet(t)), now.Add(time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	full := func() secrets.Map {
		return secrets.Map{"idme-client-secret": "i", "bridge-state-key": seal.NewKey(), "bridge-signing-keys": testKeySet(t), "rp-secret": "r"}
	}
	tests := []struct {
		name     string
		vault    bool
		change   func(secrets.Map)
		wantNone bool
		want     []string
	}{
		{"all there", false, func(secrets.Map) {}, true, nil},
		{"no signing keys", false, func(m secrets.Map) { delete(m, "bridge-signing-keys") },
			false, []string{"the signing key set is missing", "`handler keys new`", "setting BRIDGE_SIGNING_KEYS", "BRIDGE_ALLOW_EPHEMERAL_KEYS"}},
		{"no signing keys in vault", true, func(m secrets.Map) { delete(m, "bridge-signing-keys") },
			false, []string{"the signing key set has not loaded", "Key Vault secret bridge-signing-keys in https://v.vault.azure.net/", "`handler keys new`", "Key Vault Secrets User"}},
		{"bad key set", false, func(m secrets.Map) { m["bridge-signing-keys"] = "{}" }, false, []string{"is not usable", "`handler keys new`"}},
		{"no signer now", false, func(m secrets.Map) { m["bridge-signing-keys"] = onlyLater(t, later, now) }, false, []string{"may sign now", "`handler keys show`"}},
		{"no state key", false, func(m secrets.Map) { delete(m, "bridge-state-key") }, false, []string{"the state key is missing", "`handler keys state`", "BRIDGE_STATE_KEY"}},
		{"bad state key", false, func(m secrets.Map) { m["bridge-state-key"] = "c2hvcnQ=" }, false, []string{"the state key in setting BRIDGE_STATE_KEY is not usable", "`handler keys state`"}},
		{"no idme secret", false, func(m secrets.Map) { delete(m, "idme-client-secret") }, false, []string{"the ID.me client secret is missing", "IDME_CLIENT_SECRET"}},
		{"no client secret", false, func(m secrets.Map) { delete(m, "rp-secret") }, false, []string{"client b2c's secret is missing", "RP_SECRET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{IDme: config.IDme{ClientSecret: "idme-client-secret"}, StateKeySecret: "bridge-state-key",
				SigningKeysSecret: "bridge-signing-keys", TokenTTL: 10 * time.Minute,
				Clients: []config.Client{{ID: "b2c", SecretName: "rp-secret"}}}
			if tt.vault {
				cfg.Azure.KeyVaultURL = "https://v.vault.azure.net/"
			}
			m := full()
			tt.change(m)
			ok, why := secretsCheck(cfg, m, &keys.FromSecret{Secrets: m, Name: cfg.SigningKeysSecret}, func() time.Time { return now })()
			if ok != tt.wantNone {
				t.Fatalf("ok = %v (%s)", ok, why)
			}
			for _, w := range tt.want {
				if !strings.Contains(why, w) {
					t.Errorf("reason lacks %q: %s", w, why)
				}
			}
		})
	}
}

// onlyLater keeps only the key of set that starts signing after now.
func onlyLater(t *testing.T, set []byte, now time.Time) string {
	t.Helper()
	parsed, err := keys.Parse(set)
	if err != nil {
		t.Fatal(err)
	}
	out := set
	for _, k := range parsed.Keys() {
		if !k.SignsFrom.After(now) {
			// Retire the current signer long ago so only the later key remains usable.
			out = []byte(strings.Replace(string(out), `"kid": "`+k.KeyID+`"`, `"kid": "`+k.KeyID+`", "published_until": 1`, 1))
		}
	}
	return string(out)
}
