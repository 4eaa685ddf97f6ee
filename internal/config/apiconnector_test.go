package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const connectorClients = `[{"client_id":"b2c","secret_name":"b2c-client-secret","api_connector_secret_name":"b2c-connector",
 "previous_api_connector_secret_name":"b2c-connector-old","api_connector_fail_closed":true,
 "redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`

func apiConnectorSettings() map[string]string {
	m := base()
	m["BRIDGE_CLIENTS"] = connectorClients
	m["BRIDGE_VERIFICATION_RECORDS"] = "true"
	return m
}

func TestAPIConnectorDefaults(t *testing.T) {
	off, err := Load(lookupFrom(base()))
	if err != nil {
		t.Fatal(err)
	}
	if off.APIConnector.Enabled {
		t.Error("connector on without a client's api_connector_secret_name")
	}
	c, err := Load(lookupFrom(apiConnectorSettings()))
	if err != nil {
		t.Fatal(err)
	}
	a := c.APIConnector
	if !a.Enabled || a.Budget != 3*time.Second || a.ClaimPrefix != "extension_Idme" ||
		!slices.Equal(a.Issuers, []string{"https://bridge.example.com", "bridge.example.com"}) {
		t.Errorf("APIConnector = %+v", a)
	}
	cl, _ := c.Client("b2c")
	if !cl.APIConnectorFailClosed || !slices.Equal(cl.APIConnectorSecretNames(), []string{"b2c-connector", "b2c-connector-old"}) {
		t.Errorf("client = %+v", cl)
	}
	// Key Vault loads the connector's passwords with every other secret.
	for _, n := range []string{"b2c-connector", "b2c-connector-old"} {
		if !slices.Contains(c.SecretNames(), n) {
			t.Errorf("SecretNames lacks %s: %v", n, c.SecretNames())
		}
	}
	m := apiConnectorSettings()
	m["B2C_API_CONNECTOR_ISSUERS"] = "https://Login.Bridge.example.com/, bridge.example.com"
	c, err = Load(lookupFrom(m))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://bridge.example.com", "bridge.example.com", "https://login.bridge.example.com"}; !slices.Equal(c.APIConnector.Issuers, want) {
		t.Errorf("Issuers = %v, want %v", c.APIConnector.Issuers, want)
	}
}

func TestAPIConnectorRejects(t *testing.T) {
	client := func(extra string) string {
		return `[{"client_id":"b2c","secret_name":"b2c-client-secret",` + extra + `
 "redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`
	}
	tests := []struct {
		name, key, value, want string
	}{
		{"budget too long", "B2C_API_CONNECTOR_BUDGET", "20s", "between 100ms and 15s"},
		{"budget too short", "B2C_API_CONNECTOR_BUDGET", "10ms", "between 100ms and 15s"},
		{"budget not a duration", "B2C_API_CONNECTOR_BUDGET", "soon", "duration"},
		{"prefix without extension_", "B2C_API_CONNECTOR_CLAIM_PREFIX", "Idme", "extension_"},
		{"prefix with a dot", "B2C_API_CONNECTOR_CLAIM_PREFIX", "extension_id.me", "extension_"},
		{"prefix in the app-id form", "B2C_API_CONNECTOR_CLAIM_PREFIX", "extension_0123456789abcdef0123456789abcdef_Idme", "extension_"},
		{"no verification records", "BRIDGE_VERIFICATION_RECORDS", "false", "BRIDGE_VERIFICATION_RECORDS=true"},
		{"previous without current", "BRIDGE_CLIENTS", client(`"previous_api_connector_secret_name":"old",`), "need api_connector_secret_name"},
		{"fail closed without current", "BRIDGE_CLIENTS", client(`"api_connector_fail_closed":true,`), "need api_connector_secret_name"},
		{"connector password is the client secret", "BRIDGE_CLIENTS", client(`"api_connector_secret_name":"b2c-client-secret",`), "must not be the client secret"},
		{"colon in the client id", "BRIDGE_CLIENTS", strings.Replace(client(`"api_connector_secret_name":"c",`), `"b2c"`, `"b2c:x"`, 1), "':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := apiConnectorSettings()
			m[tt.key] = tt.value
			_, err := Load(lookupFrom(m))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
