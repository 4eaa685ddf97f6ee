package app

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/config"
)

// tokenExchangeScope is the audience Entra expects of a managed identity's token used as a
// federated identity credential.
const tokenExchangeScope = "api://AzureADTokenExchange/.default"

// graphCredential is how the extension gets Graph tokens for the External ID tenant. A managed
// identity belongs to the tenant of its subscription, which is not the External ID tenant; so
// with EXTERNALID_GRAPH_CLIENT_ID the bridge signs in to the External ID tenant as that app
// registration, presenting a token of its managed identity (the app's federated identity
// credential) instead of a secret.
func graphCredential(x config.ExternalID, identity azcore.TokenCredential, opts *azidentity.ClientAssertionCredentialOptions) (azcore.TokenCredential, error) {
	if x.GraphClientID == "" {
		return identity, nil
	}
	assertion := func(ctx context.Context) (string, error) {
		tok, err := identity.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{tokenExchangeScope}})
		if err != nil {
			return "", fmt.Errorf("managed identity token for the federated credential: %w", err)
		}
		return tok.Token, nil
	}
	cred, err := azidentity.NewClientAssertionCredential(x.TenantID, x.GraphClientID, assertion, opts)
	if err != nil {
		return nil, fmt.Errorf("graph credential for the External ID tenant: %w", err)
	}
	return cred, nil
}
