package secrets

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// NewKeyVaultClient returns a secrets client for vaultURL (https://<vault>.vault.azure.net/).
// transport replaces the HTTP transport, as tests do with the SDK's fake server; nil keeps the
// default.
func NewKeyVaultClient(vaultURL string, cred azcore.TokenCredential, transport policy.Transporter) (*azsecrets.Client, error) {
	u, err := url.Parse(vaultURL)
	if err != nil {
		return nil, fmt.Errorf("key vault URL: %w", err)
	}
	// Checked here so a bad setting fails at startup with a clear message rather than on the
	// first fetch; the SDK refuses to send a token over plain HTTP anyway.
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("key vault URL %q: want https://<vault>.vault.azure.net/", vaultURL)
	}
	if cred == nil {
		return nil, errors.New("key vault client: no credential")
	}
	opts := &azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{
		// A hung try should give way to a retry instead of using up the caller's whole timeout.
		Retry: policy.RetryOptions{TryTimeout: 4 * time.Second},
	}}
	if transport != nil {
		opts.Transport = transport
	}
	c, err := azsecrets.NewClient(vaultURL, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("key vault client: %w", err)
	}
	return c, nil
}

// NewAzureCredential returns the credential the bridge uses for Azure. identityEndpoint is
// IDENTITY_ENDPOINT (set by the platform when the app has a managed identity); clientID is
// AZURE_CLIENT_ID: the user-assigned identity to use in Azure, empty for system-assigned.
func NewAzureCredential(identityEndpoint, clientID string) (azcore.TokenCredential, error) {
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch chooseCredential(identityEndpoint, clientID) {
	case userAssignedIdentity:
		cred, err = azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(clientID)})
	case systemAssignedIdentity:
		cred, err = azidentity.NewManagedIdentityCredential(nil)
	default:
		cred, err = azidentity.NewDefaultAzureCredential(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("azure credential: %w", err)
	}
	return cred, nil
}

type credentialKind int

const (
	developerCredential credentialKind = iota // DefaultAzureCredential: az login and friends
	systemAssignedIdentity
	userAssignedIdentity
)

// chooseCredential picks the credential from IDENTITY_ENDPOINT (set by App Service and Functions
// when the app has a managed identity) and AZURE_CLIENT_ID. In Azure the managed identity is used
// directly, rather than through DefaultAzureCredential's chain, so stray environment settings
// cannot make the bridge sign in as something else.
func chooseCredential(identityEndpoint, clientID string) credentialKind {
	switch {
	case identityEndpoint == "":
		return developerCredential
	case clientID != "":
		return userAssignedIdentity
	default:
		return systemAssignedIdentity
	}
}
