package config

import (
	"slices"
	"strings"
)

// SetBy says who gives a setting its value.
type SetBy string

const (
	// Operator settings are app settings in Azure and local.settings.json Values locally.
	Operator SetBy = "operator"
	// Platform settings are set for the process by the Functions host or App Service; an
	// operator never sets them.
	Platform SetBy = "platform"
)

// Setting is one setting the bridge reads. Load reads settings only through this table, so the
// table is the complete list (a test proves it).
type Setting struct {
	Name string
	// Default applies when the setting is unset or blank; "" means none.
	Default string
	SetBy   SetBy
	// Doc says what it is, in a few words.
	Doc string
}

// Names of the Functions host's storage connection, which the bridge shares for its records.
const (
	StorageSetting            = "AzureWebJobsStorage"
	StorageAccountSetting     = StorageSetting + "__accountName"
	StorageBlobServiceSetting = StorageSetting + "__blobServiceUri"
	StorageCredentialSetting  = StorageSetting + "__credential"
	StorageClientIDSetting    = StorageSetting + "__clientId"
)

// Settings returns every setting the bridge reads, in the order the README lists them.
func Settings() []Setting {
	return []Setting{
		{"BRIDGE_ISSUER", "", Operator, "the bridge's public https base URL and OIDC issuer"},
		{"BRIDGE_CLIENTS", "", Operator, "JSON array of the relying parties allowed to sign in"},
		{"IDME_ENVIRONMENT", "sandbox", Operator, "production or sandbox"},
		{"IDME_CLIENT_ID", "", Operator, "the ID.me application's client id"},
		{"IDME_CLIENT_SECRET_NAME", "idme-client-secret", Operator, "secret holding the ID.me client secret"},
		{"IDME_BASE_URL", "", Operator, "override of the ID.me host (simulator, proxy)"},
		{"IDME_GROUPS_URL", "", Operator, "ID.me groups page for several communities at once (production)"},
		{"IDME_TIMEOUT", "10s", Operator, "limit on each call to ID.me"},
		{"BRIDGE_STATE_KEY_SECRET_NAME", "bridge-state-key", Operator, "secret holding the state-sealing key"},
		{"BRIDGE_SIGNING_KEYS_SECRET_NAME", "bridge-signing-keys", Operator, "secret holding the signing key set"},
		{"BRIDGE_SIGNING_KEY_LEAD", "72h", Operator, "how long a new signing key must be published before it signs"},
		{"BRIDGE_ALLOW_EPHEMERAL_KEYS", "false", Operator, "sign with a throwaway key when none is configured (local runs)"},
		{"BRIDGE_CODE_TTL", "1m", Operator, "lifetime of the bridge's authorization codes"},
		{"BRIDGE_TOKEN_TTL", "10m", Operator, "lifetime of the bridge's id_tokens and access tokens"},
		{"BRIDGE_STATE_TTL", "30m", Operator, "time allowed for a round trip through ID.me"},
		{"BRIDGE_CLAIM_MAPPINGS", "", Operator, "extra ID.me attribute to claim rows: handle=claim,..."},
		{"BRIDGE_LOG_LEVEL", "info", Operator, "debug, info, warn or error"},
		{"BRIDGE_KEY_VAULT_URL", "", Operator, "Key Vault holding the secrets; unset: secrets are settings"},
		{"BRIDGE_SECRETS_REFRESH", "5m", Operator, "how often Key Vault is read again"},
		{"AZURE_CLIENT_ID", "", Operator, "client id of the user-assigned managed identity"},
		{"BRIDGE_STORE", "", Operator, "memory (one local instance) or blob; default from the issuer"},
		{"BRIDGE_STORE_CONTAINER", "idme-bridge", Operator, "Blob container of the single-use records"},
		{"BRIDGE_VERIFICATION_RECORDS", "false", Operator, "keep one record per completed verification"},
		{"BRIDGE_VERIFICATION_CONTAINER", "idme-verifications", Operator, "Blob container of the verification records"},
		{"BRIDGE_VERIFICATION_INCLUDE", "", Operator, "sensitive claims to keep in the records"},
		{"EXTERNALID_TENANT_ID", "", Operator, "External ID tenant GUID; set: the token issuance extension is on"},
		{"EXTERNALID_TENANT_SUBDOMAIN", "", Operator, "the tenant's ciamlogin.com subdomain (contoso)"},
		{"EXTERNALID_EXTENSION_APP_ID", "", Operator, "application (client) ID of the extension's app registration"},
		{"EXTERNALID_EXTENSION_APP_ID_URI", "", Operator, "its application ID URI (api://...), also accepted as audience"},
		{"EXTERNALID_EXTENSION_BUDGET", "900ms", Operator, "time the extension may take before it answers without claims"},
		{"EXTERNALID_AUTHORITY", "", Operator, "override of the tenant's OIDC authority (tests, local runs)"},
		{"EXTERNALID_GRAPH_URL", "https://graph.microsoft.com", Operator, "Microsoft Graph base URL"},
		{"EXTERNALID_IDENTITY_ISSUER", "", Operator, "issuer External ID records on the user's identity; default BRIDGE_ISSUER"},
		{"EXTERNALID_GRAPH_CLIENT_ID", "", Operator, "app registration that reads Graph in the External ID tenant, as the managed identity's federated credential"},
		{"B2C_API_CONNECTOR_BUDGET", "3s", Operator, "time the B2C API connector may take before it answers without claims"},
		{"B2C_API_CONNECTOR_CLAIM_PREFIX", "extension_Idme", Operator, "prefix of the custom attributes the B2C API connector returns"},
		{"B2C_API_CONNECTOR_ISSUERS", "", Operator, "extra issuer values of the ID.me identity in B2C's connector calls"},
		{"BRIDGE_LISTEN_HOST", "127.0.0.1", Operator, "interface the server listens on"},
		{StorageSetting, "", Operator, "storage connection string (UseDevelopmentStorage=true: Azurite)"},
		{StorageAccountSetting, "", Operator, "storage account name, for an identity-based connection"},
		{StorageBlobServiceSetting, "", Operator, "Blob service URL, for an identity-based connection"},
		{StorageCredentialSetting, "", Operator, "managedidentity, for an identity-based connection"},
		{StorageClientIDSetting, "", Operator, "user-assigned identity of the storage connection"},
		{"FUNCTIONS_CUSTOMHANDLER_PORT", "8080", Platform, "port the Functions host forwards to"},
		{"IDENTITY_ENDPOINT", "", Platform, "set when the app has a managed identity"},
	}
}

// SettingNames returns the name of every setting in Settings.
func SettingNames() []string {
	var names []string
	for _, s := range Settings() {
		names = append(names, s.Name)
	}
	return names
}

// SecretSettingName is the setting that holds a secret's value when secrets are settings
// (no Key Vault): "idme-client-secret" is IDME_CLIENT_SECRET.
func SecretSettingName(secretName string) string {
	return strings.ToUpper(strings.ReplaceAll(secretName, "-", "_"))
}

// SecretNames returns every secret the configuration names: ID.me's client secret, the state
// key, the signing key set, each client's secret and API connector passwords, without repeats.
func (c *Config) SecretNames() []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	add(c.IDme.ClientSecret)
	add(c.StateKeySecret)
	add(c.SigningKeysSecret)
	for _, cl := range c.Clients {
		for _, n := range cl.SecretNames() {
			add(n)
		}
		for _, n := range cl.APIConnectorSecretNames() {
			add(n)
		}
	}
	return names
}

func settingFor(name string) (Setting, bool) {
	for _, s := range Settings() {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}
