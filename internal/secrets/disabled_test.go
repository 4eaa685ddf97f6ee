package secrets

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

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

// Key Vault's 403 bodies for a caller without permission: the outer code is the generic
// Forbidden and innerError.code says why. Shapes as quoted in public reports of real answers
// (identifiers shortened):
//   - ForbiddenByRbac, a vault using Azure RBAC: piyushsachdeva/Terraform_AKS issue 2
//     (Status=403 Code="Forbidden" ... InnerError={"code":"ForbiddenByRbac"}) and
//     microsoft/aspire issue 2610 (body {"error":{"code":"Forbidden","message":"Caller is not
//     authorized to perform action on resource. ...).
//   - AccessDenied, a vault using access policies: MicrosoftDocs/azure-docs issue 57072 (body
//     {"error":{"code":"Forbidden","message":"The user, group or application ... does not have
//     secrets set permission on key vault ...","innererror":{"code":"AccessDenied"}}}, with
//     innererror in lower case).
//   - ForbiddenByPolicy: SparebankenVest/azure-key-vault-to-kubernetes issue 232
//     (InnerError={"code":"ForbiddenByPolicy"}).
const (
	forbiddenByRbac = `{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=00000000-0000-0000-0000-000000000001\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: fake-vault;location=eastus\r\n","innerError":{"code":"ForbiddenByRbac"}}}`
	accessDenied    = `{"error":{"code":"Forbidden","message":"The user, group or application 'appid=00000000-0000-0000-0000-000000000001' does not have secrets get permission on key vault 'fake-vault;location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287","innererror":{"code":"AccessDenied"}}}`
	forbiddenPolicy = `{"error":{"code":"Forbidden","message":"The policy requires the caller to use on-behalf-of (OBO) flow.","innerError":{"code":"ForbiddenByPolicy"}}}`
)

// TestKeyVaultOnlySecretDisabledRevokes checks which 403s revoke a cached secret: only
// innerError.code SecretDisabled. A routine permission error (a role assignment or access
// policy removed, a policy refusal) is an outage: refresh rounds keep failing, the cached value
// keeps serving, the source stays ready, and the next good answer is picked up.
func TestKeyVaultOnlySecretDisabledRevokes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		revoked bool
	}{
		{"SecretDisabled", vaulttest.DisabledBody, true},
		{"ForbiddenByRbac", forbiddenByRbac, false},
		{"AccessDenied (access policy, lower-case innererror)", accessDenied, false},
		{"ForbiddenByPolicy", forbiddenPolicy, false},
		{"no innerError", `{"error":{"code":"Forbidden","message":"Access denied."}}`, false},
		{"SecretDisabled only in the message", `{"error":{"code":"Forbidden","message":"not SecretDisabled","innerError":{"code":"AccessDenied"}}}`, false},
		{"not JSON", `<html>403 Forbidden</html>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vault := vaulttest.New(map[string]string{"a": "value-1", "b": "value-b"})
			client, err := NewKeyVaultClient(vaulttest.URL, vaulttest.Credential(), vault.Transport())
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			kv := NewKeyVault(client, KeyVaultOptions{Names: []string{"a", "b"}, Refresh: time.Millisecond,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err := kv.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			vault.Forbid("a", tt.body)
			err = kv.Load(t.Context())
			if err == nil {
				t.Fatal("Load during a 403 reported success")
			}
			if got := errors.Is(err, ErrNotFound); got != tt.revoked {
				t.Errorf("Load = %v: ErrNotFound %v, want %v", err, got, tt.revoked)
			}
			// Several background refresh rounds, all answered 403.
			calls := vault.Calls()
			stop := startRun(t, kv)
			for deadline := time.Now().Add(waitLimit); vault.Calls() < calls+6; {
				if time.Now().After(deadline) {
					t.Fatal("no refresh rounds")
				}
				time.Sleep(time.Millisecond)
			}
			got, getErr := kv.Get(t.Context(), "a")
			stop()
			switch {
			case tt.revoked && (getErr == nil || kv.Ready()):
				t.Errorf("disabled secret still served: %q, ready %v", got, kv.Ready())
			case !tt.revoked && (getErr != nil || got != "value-1" || !kv.Ready()):
				t.Errorf("Get(a) = %q, %v, ready %v; want the cached value during a permission outage", got, getErr, kv.Ready())
			}
			if !tt.revoked && strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("a permission outage with every value cached was logged as an error:\n%s", logs.String())
			}
			if got, err := kv.Get(t.Context(), "b"); err != nil || got != "value-b" {
				t.Errorf("Get(b) = %q, %v", got, err)
			}
			// Access restored, with a rotation meanwhile: the new value is picked up.
			vault.Forbid("a", "")
			vault.Set("a", "value-2")
			if err := kv.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got, err := kv.Get(t.Context(), "a"); err != nil || got != "value-2" {
				t.Errorf("after access is restored: %q, %v", got, err)
			}
		})
	}
}
