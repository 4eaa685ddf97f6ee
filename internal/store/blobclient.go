package store

import (
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// Connection says how to reach Blob Storage: a connection string, or a service URL reached
// with a credential (identity-based). Package config reads it from the Functions host's
// AzureWebJobsStorage settings.
type Connection struct {
	// ConnectionString may hold the account key: it stays out of every error.
	ConnectionString string
	ServiceURL       string
}

// NewBlobClient builds a Blob Storage client for conn; cred is required for an identity-based
// connection (a managed identity in Azure).
func NewBlobClient(conn Connection, cred azcore.TokenCredential) (*azblob.Client, error) {
	if conn.ConnectionString != "" {
		client, err := azblob.NewClientFromConnectionString(conn.ConnectionString, nil)
		if err != nil {
			return nil, fmt.Errorf("AzureWebJobsStorage: %w", err)
		}
		return client, nil
	}
	if conn.ServiceURL == "" {
		return nil, errors.New("blob storage not configured: set AzureWebJobsStorage, AzureWebJobsStorage__blobServiceUri or AzureWebJobsStorage__accountName")
	}
	if cred == nil {
		return nil, errors.New("blob storage: identity-based connection configured but no credential given")
	}
	client, err := azblob.NewClient(conn.ServiceURL, cred, nil)
	if err != nil {
		return nil, fmt.Errorf("blob storage client for %s: %w", conn.ServiceURL, err)
	}
	return client, nil
}
