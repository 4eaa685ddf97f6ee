package config

import (
	"net/url"
	"strings"
)

// Storage is the Functions host's storage connection (AzureWebJobsStorage and its
// identity-based forms), which the bridge shares for its single-use records.
type Storage struct {
	// ConnectionString is AzureWebJobsStorage when it is a connection string. It may hold the
	// account key: never log it. UseDevelopmentStorage=true is expanded to Azurite's account.
	ConnectionString string
	// ServiceURL is the Blob endpoint of an identity-based connection, from
	// AzureWebJobsStorage__blobServiceUri or AzureWebJobsStorage__accountName.
	ServiceURL string
	// ManagedIdentity is AzureWebJobsStorage__credential=managedidentity.
	ManagedIdentity bool
	// ClientID names the user-assigned identity of the connection (AzureWebJobsStorage__clientId).
	ClientID string
}

// Configured reports whether any storage connection is set.
func (s Storage) Configured() bool { return s.ConnectionString != "" || s.ServiceURL != "" }

// Describe says where the connection points, without the key, for logs and findings.
func (s Storage) Describe() string {
	switch {
	case s.ConnectionString == DevStorage:
		return "Azurite (UseDevelopmentStorage=true)"
	case s.ConnectionString != "":
		return "connection string"
	case s.ServiceURL != "":
		return s.ServiceURL + " (identity)"
	default:
		return "none"
	}
}

// DevStorage is Azurite's development account. The key is published by Microsoft and guards
// nothing.
const DevStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"

// readStorage reads the storage settings the way the Functions host does: a connection string
// wins; otherwise an identity-based connection from the service URI or the account name.
func (r *reader) readStorage() Storage {
	conn := r.raw(StorageSetting)
	uri := r.raw(StorageBlobServiceSetting)
	account := r.raw(StorageAccountSetting)
	credential := r.raw(StorageCredentialSetting)
	s := Storage{ClientID: r.raw(StorageClientIDSetting)}
	switch credential {
	case "":
	case "managedidentity":
		s.ManagedIdentity = true
	default:
		r.fail("%s must be managedidentity, not %q", StorageCredentialSetting, credential)
	}
	if s.ClientID != "" && !s.ManagedIdentity {
		r.fail("%s is set, so set %s=managedidentity too", StorageClientIDSetting, StorageCredentialSetting)
	}
	switch {
	case conn != "":
		s.ConnectionString = conn
		if isDevStorage(conn) {
			s.ConnectionString = DevStorage
		} else if !strings.Contains(conn, "=") {
			r.fail("%s is not a connection string (Key=Value;...): for an identity-based connection set %s instead", StorageSetting, StorageAccountSetting)
		}
	case uri != "":
		u, err := url.Parse(uri)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname()))) {
			r.fail("%s: %q must be an absolute https URL such as https://<account>.blob.core.windows.net", StorageBlobServiceSetting, uri)
		}
		s.ServiceURL = uri
	case account != "":
		if !validAccountName(account) {
			r.fail("%s: %q is not a storage account name (3-24 lowercase letters and digits)", StorageAccountSetting, account)
		}
		s.ServiceURL = "https://" + account + ".blob.core.windows.net/"
	}
	return s
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
