package secrets

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"
)

func TestChooseCredential(t *testing.T) {
	tests := []struct {
		name, endpoint, clientID string
		want                     credentialKind
	}{
		{"developer machine", "", "", developerCredential},
		{"developer machine with a client id", "", "11111111-2222-3333-4444-555555555555", developerCredential},
		{"azure, system-assigned", "http://localhost:8081/msi/token", "", systemAssignedIdentity},
		{"azure, user-assigned", "http://localhost:8081/msi/token", "11111111-2222-3333-4444-555555555555", userAssignedIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseCredential(tt.endpoint, tt.clientID); got != tt.want {
				t.Fatalf("chooseCredential(%q, %q) = %v, want %v", tt.endpoint, tt.clientID, got, tt.want)
			}
		})
	}
}

func TestNewKeyVaultClient(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		cred    azcore.TokenCredential
		wantErr bool
	}{
		{"vault URL", testVaultURL, &azfake.TokenCredential{}, false},
		{"plain http", "http://fake-vault.vault.azure.net/", &azfake.TokenCredential{}, true},
		{"no host", "https:///", &azfake.TokenCredential{}, true},
		{"empty", "", &azfake.TokenCredential{}, true},
		{"unparsable", "https://bad host/", &azfake.TokenCredential{}, true},
		{"no credential", testVaultURL, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := newFakeVault(map[string]string{"a": "1"})
			c, err := NewKeyVaultClient(tt.url, tt.cred, fake.NewServerTransport(&fake.Server{GetSecret: fv.getSecret}))
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewKeyVaultClient(%q) err = %v, wantErr %v", tt.url, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			// The client must use the given transport: the fake is the only place "a" exists.
			kv := NewKeyVault(c, KeyVaultOptions{Names: []string{"a"}, Timeout: 2 * time.Second})
			if err := kv.Load(t.Context()); err != nil {
				t.Fatalf("Load through NewKeyVaultClient: %v", err)
			}
		})
	}
}
