package store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// Settings of the Functions host's own storage connection, reused for the records.
const (
	storageSetting     = "AzureWebJobsStorage"
	blobServiceSetting = storageSetting + "__blobServiceUri"
	accountSetting     = storageSetting + "__accountName"
)

// Azurite's development account. The key is published by Microsoft and guards nothing.
const devStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"

// NewBlobClient builds a Blob Storage client the way the Functions host finds its storage:
// AzureWebJobsStorage as a connection string (UseDevelopmentStorage=true means local
// Azurite), otherwise an identity-based connection from AzureWebJobsStorage__blobServiceUri or
// AzureWebJobsStorage__accountName, authenticated with cred (a managed identity in Azure).
func NewBlobClient(settings func(string) (string, bool), cred azcore.TokenCredential) (*azblob.Client, error) {
	if conn, ok := settings(storageSetting); ok && strings.TrimSpace(conn) != "" {
		if isDevStorage(conn) {
			conn = devStorage
		}
		// The connection string holds the account key: it stays out of the error.
		client, err := azblob.NewClientFromConnectionString(conn, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", storageSetting, err)
		}
		return client, nil
	}
	serviceURL, err := identityServiceURL(settings)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, errors.New("blob storage: identity-based connection configured but no credential given")
	}
	client, err := azblob.NewClient(serviceURL, cred, nil)
	if err != nil {
		return nil, fmt.Errorf("blob storage client for %s: %w", serviceURL, err)
	}
	return client, nil
}

func identityServiceURL(settings func(string) (string, bool)) (string, error) {
	if uri, ok := settings(blobServiceSetting); ok && strings.TrimSpace(uri) != "" {
		u, err := url.Parse(strings.TrimSpace(uri))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("%s must be an absolute http(s) URL", blobServiceSetting)
		}
		return u.String(), nil
	}
	if name, ok := settings(accountSetting); ok && strings.TrimSpace(name) != "" {
		name = strings.TrimSpace(name)
		if !validAccountName(name) {
			return "", fmt.Errorf("%s: %q is not a storage account name (3-24 lowercase letters and digits)", accountSetting, name)
		}
		return "https://" + name + ".blob.core.windows.net/", nil
	}
	return "", fmt.Errorf("blob storage not configured: set %s, %s or %s", storageSetting, blobServiceSetting, accountSetting)
}

func isDevStorage(conn string) bool {
	for _, part := range strings.Split(conn, ";") {
		k, v, _ := strings.Cut(part, "=")
		if strings.EqualFold(strings.TrimSpace(k), "UseDevelopmentStorage") && strings.EqualFold(strings.TrimSpace(v), "true") {
			return true
		}
	}
	return false
}

func validAccountName(name string) bool {
	if len(name) < 3 || len(name) > 24 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
