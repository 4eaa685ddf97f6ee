package secrets

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"
)

const testVaultURL = "https://fake-vault.vault.azure.net/"

// waitLimit bounds every wait in these tests so a broken build fails instead of hanging.
const waitLimit = 5 * time.Second

// statusError makes the fake vault answer with an HTTP error status.
type statusError int

func (s statusError) Error() string { return http.StatusText(int(s)) }

// fakeVault is the state behind the SDK's fake Key Vault server.
type fakeVault struct {
	mu       sync.Mutex
	values   map[string]string
	versions []string // version asked for by each call
	calls    int
	// script, when set, runs first for every call (numbered from 1) and may block; a
	// statusError becomes an HTTP error response, any other error a transport failure.
	script func(ctx context.Context, call int) error
}

func newFakeVault(values map[string]string) *fakeVault {
	return &fakeVault{values: values}
}

func (v *fakeVault) set(name, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.values[name] = value
}

func (v *fakeVault) setScript(s func(ctx context.Context, call int) error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.script = s
}

func (v *fakeVault) getSecret(ctx context.Context, name, version string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
	v.mu.Lock()
	v.calls++
	call, script := v.calls, v.script
	v.versions = append(v.versions, version)
	v.mu.Unlock()

	if script != nil {
		var status statusError
		err := script(ctx, call)
		switch {
		case errors.As(err, &status):
			errResp.SetResponseError(int(status), "ScriptedFailure")
			return
		case err != nil:
			errResp.SetError(err)
			return
		}
	}
	v.mu.Lock()
	value, ok := v.values[name]
	v.mu.Unlock()
	if !ok {
		errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
		return
	}
	resp.SetResponse(http.StatusOK, azsecrets.GetSecretResponse{Secret: azsecrets.Secret{Value: &value}}, nil)
	return
}

// client is a real azsecrets client talking to the fake server. Retries are off so a scripted
// outage fails at once instead of after the SDK's backoff.
func (v *fakeVault) client(t *testing.T) *azsecrets.Client {
	t.Helper()
	srv := &fake.Server{GetSecret: v.getSecret}
	c, err := azsecrets.NewClient(testVaultURL, &azfake.TokenCredential{}, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: fake.NewServerTransport(srv),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// gate parks every call after the first n until that call's context ends. When n is a whole
// number of rounds, the first parked call means every earlier round has finished and logged.
type gate struct {
	n       int
	reached chan struct{}
	once    sync.Once
}

func newGate(n int) *gate { return &gate{n: n, reached: make(chan struct{})} }

func (g *gate) hold(ctx context.Context, call int) bool {
	if call <= g.n {
		return false
	}
	g.once.Do(func() { close(g.reached) })
	<-ctx.Done()
	return true
}

func (g *gate) wait(t *testing.T) {
	t.Helper()
	select {
	case <-g.reached:
	case <-time.After(waitLimit):
		t.Fatalf("the fake vault never saw call %d", g.n+1)
	}
}

// startRun runs kv.Run in the background; the returned stop cancels it and waits for it to end.
func startRun(t *testing.T, kv *KeyVault) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		kv.Run(ctx)
		close(done)
	}()
	return func() {
		t.Helper()
		cancel()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatal("Run did not return after its context was cancelled")
		}
	}
}
