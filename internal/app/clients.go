package app

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"idmebridge/internal/secrets"
	"idmebridge/internal/store"
)

// The Azure clients below are the ones serve uses, exported so that doctor checks exactly what
// serve will do: the same credential, the same endpoints.

// Credential returns p.Credential, or the managed identity (AZURE_CLIENT_ID) in Azure and the
// developer's credential elsewhere.
func Credential(p Parts) (azcore.TokenCredential, error) {
	if p.Credential != nil {
		return p.Credential, nil
	}
	return secrets.NewAzureCredential(p.Config.Azure.IdentityEndpoint, p.Config.Azure.ManagedIdentityClientID)
}

// KeyVaultClient returns the client of the configured Key Vault.
func KeyVaultClient(p Parts) (*azsecrets.Client, error) {
	cred, err := Credential(p)
	if err != nil {
		return nil, err
	}
	return secrets.NewKeyVaultClient(p.Config.Azure.KeyVaultURL, cred, p.KeyVaultTransport)
}

// BlobClient returns a client on the Functions host's storage connection: the connection
// string, or the service URL with the storage connection's identity (the host's own convention
// names a user-assigned one in AzureWebJobsStorage__clientId).
func BlobClient(p Parts) (*azblob.Client, error) {
	storage := p.Config.Azure.Storage
	var cred azcore.TokenCredential
	if storage.ConnectionString == "" {
		var err error
		switch {
		case p.Credential != nil:
			cred = p.Credential
		case storage.ClientID != "":
			cred, err = secrets.NewAzureCredential(p.Config.Azure.IdentityEndpoint, storage.ClientID)
		default:
			cred, err = Credential(p)
		}
		if err != nil {
			return nil, err
		}
	}
	return store.NewBlobClient(store.Connection{ConnectionString: storage.ConnectionString, ServiceURL: storage.ServiceURL}, cred)
}
