package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const goodClients = `[{"client_id":"b2c","secret_name":"b2c-client-secret",
 "redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],
 "idme_scopes":["military","student"],"default_idme_scopes":["military"],"default_response_mode":"form_post"}]`

func lookupFrom(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func base() map[string]string {
	return map[string]string{
		"BRIDGE_ISSUER":  "https://bridge.example.com/",
		"IDME_CLIENT_ID": "idme-app",
		"BRIDGE_CLIENTS": goodClients,
		// the identity-based storage connection a deployment uses
		"AzureWebJobsStorage__accountName": "bridgestore",
		"AzureWebJobsStorage__credential":  "managedidentity",
		"AzureWebJobsStorage__clientId":    "2f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(lookupFrom(base()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://bridge.example.com" {
		t.Errorf("Issuer = %q, want trailing slash trimmed", c.Issuer)
	}
	if c.Port != 8080 || c.IDme.Environment != "sandbox" || c.CodeTTL != time.Minute || c.IDme.Timeout != 10*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	cl, ok := c.Client("b2c")
	if !ok || cl.SecretName != "b2c-client-secret" || cl.DefaultResponseMode != "form_post" {
		t.Errorf("Client(b2c) = %+v, %v", cl, ok)
	}
	if c.Azure.Store != "blob" || c.Azure.SecretsRefresh != 5*time.Minute || c.Azure.StoreContainer != "idme-bridge" {
		t.Errorf("Azure defaults = %+v", c.Azure)
	}
	if _, ok := c.Client("other"); ok {
		t.Error("Client(other) found")
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"no issuer", "BRIDGE_ISSUER", "", "BRIDGE_ISSUER is required"},
		{"http issuer", "BRIDGE_ISSUER", "http://bridge.example.com", "https"},
		{"issuer query", "BRIDGE_ISSUER", "https://bridge.example.com/?a=b", "query"},
		{"issuer path", "BRIDGE_ISSUER", "https://bridge.example.com/idme", "path"},
		{"ephemeral keys in public", "BRIDGE_ALLOW_EPHEMERAL_KEYS", "true", "local runs"},
		{"no idme client", "IDME_CLIENT_ID", "", "IDME_CLIENT_ID"},
		{"bad env", "IDME_ENVIRONMENT", "staging", "production or sandbox"},
		{"bad ttl", "BRIDGE_CODE_TTL", "soon", "duration"},
		{"long code ttl", "BRIDGE_CODE_TTL", "1h", "at most 10m"},
		{"negative ttl", "BRIDGE_TOKEN_TTL", "-1s", "positive"},
		{"bad port", "FUNCTIONS_CUSTOMHANDLER_PORT", "http", "whole number"},
		{"bad bool", "BRIDGE_ALLOW_EPHEMERAL_KEYS", "perhaps", "true or false"},
		{"bad store", "BRIDGE_STORE", "redis", "memory or blob"},
		{"memory store in public", "BRIDGE_STORE", "memory", "local runs"},
		{"long token", "BRIDGE_TOKEN_TTL", "24h", "at most 12h"},
		{"http vault", "BRIDGE_KEY_VAULT_URL", "http://vault.example", "https"},
		{"tiny refresh", "BRIDGE_SECRETS_REFRESH", "10ms", "at least 1s"},
		{"no clients", "BRIDGE_CLIENTS", "", "BRIDGE_CLIENTS is required"},
		{"clients not json", "BRIDGE_CLIENTS", "{", "JSON array"},
		{"unknown field", "BRIDGE_CLIENTS", `[{"client_id":"a","secretName":"x"}]`, "unknown field"},
		{"empty array", "BRIDGE_CLIENTS", `[]`, "no clients"},
		{"missing parts", "BRIDGE_CLIENTS", `[{"client_id":"a"}]`, "secret_name is required"},
		{"http redirect", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["http://evil.example/cb"],"idme_scopes":["military"]}]`, "https"},
		{"fragment redirect", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb#f"],"idme_scopes":["military"]}]`, "fragment"},
		{"relative redirect", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["/cb"],"idme_scopes":["military"]}]`, "absolute"},
		{"default scope not allowed", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb"],"idme_scopes":["military"],"default_idme_scopes":["student"]}]`, "not in idme_scopes"},
		{"duplicate", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb"],"idme_scopes":["m"]},{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb"],"idme_scopes":["m"]}]`, "duplicate"},
		{"claim mapping without a claim", "BRIDGE_CLAIM_MAPPINGS", "military_rank", "BRIDGE_CLAIM_MAPPINGS"},
		{"claim mapping repeated", "BRIDGE_CLAIM_MAPPINGS", "a=b,a=c", "repeats"},
		{"log level", "BRIDGE_LOG_LEVEL", "verbose", "debug, info, warn or error"},
		{"log level number", "BRIDGE_LOG_LEVEL", "-4", "debug, info, warn or error"},
		{"short key lead", "BRIDGE_SIGNING_KEY_LEAD", "10m", "at least 1h"},
		{"placeholder client id", "IDME_CLIENT_ID", "replace-with-your-idme-sandbox-client-id", "placeholder"},
		{"placeholder in clients", "BRIDGE_CLIENTS", `[{"client_id":"replace-with-your-client","secret_name":"s","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["m"]}]`, "placeholder"},
		{"no storage for blob", "AzureWebJobsStorage__accountName", "", "no connection is set"},
		{"bad account", "AzureWebJobsStorage__accountName", "Bridge_Store", "not a storage account name"},
		{"bad credential", "AzureWebJobsStorage__credential", "connectionstring", "must be managedidentity"},
		{"client id without credential", "AzureWebJobsStorage__credential", "", "set AzureWebJobsStorage__credential=managedidentity"},
		{"storage not a connection string", "AzureWebJobsStorage", "bridgestore", "not a connection string"},
		{"service uri http", "AzureWebJobsStorage__blobServiceUri", "http://bridgestore.blob.core.windows.net", "absolute https URL"},
		{"uppercase redirect", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://contoso.b2clogin.com/Contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["m"]}]`, "lowercase"},
		{"redirect with query", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp?p=x"],"idme_scopes":["m"]}]`, "query"},
		{"redirect trailing slash", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp/"],"idme_scopes":["m"]}]`, "must not end with '/'"},
		{"bad response mode", "BRIDGE_CLIENTS", `[{"client_id":"a","secret_name":"s","redirect_uris":["https://x.example/cb"],"idme_scopes":["m"],"default_response_mode":"fragment"}]`, "default_response_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := base()
			env[tt.key] = tt.value
			_, err := Load(lookupFrom(env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{}))
	if err == nil {
		t.Fatal("empty settings accepted")
	}
	for _, want := range []string{"BRIDGE_ISSUER", "IDME_CLIENT_ID", "BRIDGE_CLIENTS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	// One problem a line, each indented under the heading.
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "invalid settings:" || len(lines) < 4 {
		t.Fatalf("error lines %q", lines)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") {
			t.Errorf("line %q is not indented", l)
		}
	}
}

func TestProblems(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{}))
	problems := Problems(err)
	var se *settingsError
	if !errors.As(err, &se) || len(problems) != len(se.problems) || len(problems) < 3 {
		t.Fatalf("Problems = %q for %v", problems, err)
	}
	for i, p := range problems {
		if p == "" || strings.Contains(p, "\n") || !strings.Contains(p, strings.Fields(se.problems[i].Error())[0]) {
			t.Errorf("problem %d = %q, want one line of %q", i, p, se.problems[i])
		}
	}
	if got := Problems(errors.New("other")); len(got) != 1 || got[0] != "other" {
		t.Errorf("Problems(other) = %q", got)
	}
}

func TestLoopbackHTTPAllowed(t *testing.T) {
	env := base()
	env["BRIDGE_ISSUER"] = "http://localhost:7071"
	env["IDME_BASE_URL"] = "http://127.0.0.1:7072"
	if _, err := Load(lookupFrom(env)); err != nil {
		t.Fatalf("loopback http refused: %v", err)
	}
}

func TestLoadTypedSettings(t *testing.T) {
	env := base()
	env["BRIDGE_CLAIM_MAPPINGS"] = "military_rank=rank"
	env["BRIDGE_LOG_LEVEL"] = "WARN"
	env["IDENTITY_ENDPOINT"] = "http://localhost:42356/msi/token"
	c, err := Load(lookupFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ClaimMappings) != 1 || c.ClaimMappings[0].Handle != "military_rank" || c.ClaimMappings[0].Claim != "rank" {
		t.Errorf("ClaimMappings = %+v", c.ClaimMappings)
	}
	if c.LogLevel != slog.LevelWarn {
		t.Errorf("LogLevel = %v", c.LogLevel)
	}
	if c.Azure.IdentityEndpoint == "" || c.SigningKeyLead != 72*time.Hour {
		t.Errorf("IdentityEndpoint %q, SigningKeyLead %s", c.Azure.IdentityEndpoint, c.SigningKeyLead)
	}
	want := Storage{ServiceURL: "https://bridgestore.blob.core.windows.net/", ManagedIdentity: true, ClientID: "2f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}
	if c.Azure.Storage != want {
		t.Errorf("Storage = %+v, want %+v", c.Azure.Storage, want)
	}
}

func TestStorageForms(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Storage
	}{
		{"azurite", map[string]string{"AzureWebJobsStorage": "UseDevelopmentStorage=true"}, Storage{ConnectionString: DevStorage}},
		{"connection string wins", map[string]string{"AzureWebJobsStorage": "AccountName=a;AccountKey=k", "AzureWebJobsStorage__accountName": "other"}, Storage{ConnectionString: "AccountName=a;AccountKey=k"}},
		{"service uri wins over account", map[string]string{"AzureWebJobsStorage__blobServiceUri": "https://uri.blob.core.windows.net/", "AzureWebJobsStorage__accountName": "acct"}, Storage{ServiceURL: "https://uri.blob.core.windows.net/"}},
		{"account", map[string]string{"AzureWebJobsStorage__accountName": "acct", "AzureWebJobsStorage__credential": "managedidentity"}, Storage{ServiceURL: "https://acct.blob.core.windows.net/", ManagedIdentity: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reader{lookup: lookupFrom(tt.env)}
			if got := r.readStorage(); got != tt.want || len(r.problems) > 0 {
				t.Errorf("readStorage = %+v (%v), want %+v", got, r.problems, tt.want)
			}
		})
	}
}

// TestSecretPlaceholders: with secrets as settings, a secret still holding the sample's
// placeholder is refused like any setting.
func TestSecretPlaceholders(t *testing.T) {
	env := base()
	env["B2C_CLIENT_SECRET"] = "replace-with-a-long-random-secret-shared-with-b2c"
	_, err := Load(lookupFrom(env))
	if err == nil || !strings.Contains(err.Error(), "B2C_CLIENT_SECRET (secret b2c-client-secret) still holds the sample's placeholder") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "long-random") {
		t.Errorf("error repeats the secret setting's value: %v", err)
	}
}
