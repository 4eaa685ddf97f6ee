package secrets

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"idmebridge/internal/secrets/vaulttest"
)

// TestKeyVaultDisabledSecretIsRevoked checks that disabling a secret in Key Vault stops the
// bridge serving it: Key Vault answers 403 Forbidden with innerError.code SecretDisabled, which
// must count as deleted, not as an outage that keeps the last good value.
func TestKeyVaultDisabledSecretIsRevoked(t *testing.T) {
	vault := vaulttest.New(map[string]string{"leaked": "value-1", "other": "value-2"})
	client, err := NewKeyVaultClient(vaulttest.URL, vaulttest.Credential(), vault.Transport())
	if err != nil {
		t.Fatal(err)
	}
	kv := NewKeyVault(client, KeyVaultOptions{Names: []string{"leaked", "other"}})
	if err := kv.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	vault.Disable("leaked")
	_ = kv.Load(t.Context()) // a refresh round
	if got, err := kv.Get(t.Context(), "leaked"); err == nil || got != "" {
		t.Fatalf("Get(disabled) = %q, %v; want no value", got, err)
	}
	if err := kv.Load(t.Context()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load with a disabled secret = %v, want ErrNotFound", err)
	}
	if got, err := kv.Get(t.Context(), "other"); err != nil || got != "value-2" {
		t.Fatalf("Get(other) = %q, %v", got, err)
	}
}

// TestKeyVaultForbiddenKeepsLastValue checks the other 403: a missing permission (a role
// assignment removed by mistake) is an outage, and the last good value keeps serving.
func TestKeyVaultForbiddenKeepsLastValue(t *testing.T) {
	fv := newFakeVault(map[string]string{"a": "value-a"})
	kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: []string{"a"}})
	if err := kv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	fv.setScript(func(context.Context, int) error { return statusError(http.StatusForbidden) })
	if err := kv.Load(t.Context()); err == nil {
		t.Fatal("Load during a 403 outage reported success")
	}
	if got, err := kv.Get(t.Context(), "a"); err != nil || got != "value-a" {
		t.Fatalf("Get(a) = %q, %v; want the last good value", got, err)
	}
}
