// Package vaulttest is an in-process Key Vault for tests of code that reads secrets through the
// real azsecrets client: it plugs the Azure SDK's fake server transport into that client.
package vaulttest

import (
	"context"
	"net/http"
	"sync"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"
)

// URL is the vault URL to give the client.
const URL = "https://fake-vault.vault.azure.net/"

// Vault holds secret values and can be taken down and brought back.
type Vault struct {
	mu     sync.Mutex
	values map[string]string
	down   bool
	calls  int
}

// New returns a vault holding a copy of values.
func New(values map[string]string) *Vault {
	v := &Vault{values: map[string]string{}}
	for k, val := range values {
		v.values[k] = val
	}
	return v
}

// Set stores a new value (a new version) of a secret.
func (v *Vault) Set(name, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.values[name] = value
}

// SetDown makes every call fail with 503 (down) or answer again (up).
func (v *Vault) SetDown(down bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.down = down
}

// Calls is how many GetSecret calls reached the vault.
func (v *Vault) Calls() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}

// Transport is the fake server transport to put in the azsecrets client's options.
func (v *Vault) Transport() policy.Transporter {
	return fake.NewServerTransport(&fake.Server{GetSecret: v.getSecret})
}

// Credential is a token credential the fake accepts.
func Credential() *azfake.TokenCredential { return &azfake.TokenCredential{} }

func (v *Vault) getSecret(_ context.Context, name, _ string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	if v.down {
		errResp.SetResponseError(http.StatusServiceUnavailable, "ServiceUnavailable")
		return
	}
	value, ok := v.values[name]
	if !ok {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	resp.SetResponse(http.StatusOK, azsecrets.GetSecretResponse{Secret: azsecrets.Secret{Value: &value}}, nil)
	return
}

// Delete removes a secret, as an operator revoking it would.
func (v *Vault) Delete(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.values, name)
}
