package config

import (
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
}

func TestLoopbackHTTPAllowed(t *testing.T) {
	env := base()
	env["BRIDGE_ISSUER"] = "http://localhost:7071"
	env["IDME_BASE_URL"] = "http://127.0.0.1:7072"
	if _, err := Load(lookupFrom(env)); err != nil {
		t.Fatalf("loopback http refused: %v", err)
	}
}
