// Package vaulttest is an in-process Key Vault for tests of code that reads secrets through the
// real azsecrets client: it plugs the Azure SDK's fake server transport into that client.
package vaulttest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

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
	denied map[string]string // name -> body of the 403 Key Vault answers for it
	down   bool
	calls  int
	delay  time.Duration // how long each read takes, as a round trip to a real vault would
	reads  []Read
}

// Read is one GetSecret call as the vault saw it.
type Read struct {
	Name       string
	Start, End time.Time
}

// New returns a vault holding a copy of values.
func New(values map[string]string) *Vault {
	v := &Vault{values: map[string]string{}, denied: map[string]string{}}
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

// SetDelay makes every read answer d after it arrives (0: at once).
func (v *Vault) SetDelay(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.delay = d
}

// Reads lists the GetSecret calls answered so far, in the order they ended.
func (v *Vault) Reads() []Read {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Read(nil), v.reads...)
}

// Calls is how many GetSecret calls reached the vault.
func (v *Vault) Calls() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}

// Transport is the fake server transport to put in the azsecrets client's options.
func (v *Vault) Transport() policy.Transporter {
	return deniedAnswers{vault: v, next: fake.NewServerTransport(&fake.Server{GetSecret: v.getSecret})}
}

// Disable marks a secret disabled, as an operator revoking it in the portal would. Key Vault
// then answers 403 with the generic outer code Forbidden and innerError.code SecretDisabled,
// and no x-ms-error-code header; the SDK's fake cannot shape such a body, so this transport
// answers it itself.
func (v *Vault) Disable(name string) { v.Forbid(name, DisabledBody) }

// Forbid makes Key Vault answer every read of name with 403 Forbidden and body (a JSON error
// document), as it does for a caller without permission; Forbid(name, "") lifts it.
func (v *Vault) Forbid(name, body string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if body == "" {
		delete(v.denied, name)
		return
	}
	v.denied[name] = body
}

// DisabledBody is Key Vault's answer to reading a disabled secret (as quoted in the Azure SDK
// for JavaScript's issue 24756, Azure/azure-sdk-for-js: code Forbidden, innerError.code
// SecretDisabled, message "Operation get is not allowed on a disabled secret.").
const DisabledBody = `{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innerError":{"code":"SecretDisabled"}}}`

type deniedAnswers struct {
	vault *Vault
	next  policy.Transporter
}

func (t deniedAnswers) Do(req *http.Request) (*http.Response, error) {
	// Paths are /secrets/{name}/{version}.
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "secrets" {
		t.vault.mu.Lock()
		body, denied := t.vault.denied[parts[1]]
		if denied {
			t.vault.calls++
		}
		t.vault.mu.Unlock()
		if denied {
			return &http.Response{
				StatusCode: http.StatusForbidden, Status: "403 Forbidden", Request: req,
				Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
				Body:   io.NopCloser(strings.NewReader(body)),
			}, nil
		}
	}
	return t.next.Do(req)
}

// Credential is a token credential the fake accepts.
func Credential() *azfake.TokenCredential { return &azfake.TokenCredential{} }

func (v *Vault) getSecret(ctx context.Context, name, _ string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
	start := time.Now()
	v.mu.Lock()
	delay := v.delay
	v.mu.Unlock()
	if delay > 0 { // outside the lock, so reads in flight together overlap as they would
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			errResp.SetError(ctx.Err())
			return
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	v.reads = append(v.reads, Read{Name: name, Start: start, End: time.Now()})
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
