package config

import (
	"strings"
	"testing"
	"time"
)

const testTenant = "11111111-2222-3333-4444-555555555555"

func externalIDSettings() map[string]string {
	m := base()
	m["BRIDGE_VERIFICATION_RECORDS"] = "true"
	m["EXTERNALID_TENANT_ID"] = testTenant
	m["EXTERNALID_TENANT_SUBDOMAIN"] = "contoso"
	m["EXTERNALID_EXTENSION_APP_ID"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	return m
}

func TestExternalIDOffByDefault(t *testing.T) {
	c, err := Load(lookupFrom(base()))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalID.Enabled {
		t.Error("External ID extension on without EXTERNALID_TENANT_ID")
	}
}

func TestExternalIDDefaults(t *testing.T) {
	c, err := Load(lookupFrom(externalIDSettings()))
	if err != nil {
		t.Fatal(err)
	}
	x := c.ExternalID
	if !x.Enabled || x.Authority != "https://"+testTenant+".ciamlogin.com/"+testTenant+"/v2.0" ||
		x.Budget != 900*time.Millisecond || x.GraphURL != "https://graph.microsoft.com" || x.IdentityIssuer != "https://bridge.example.com" {
		t.Errorf("ExternalID = %+v", x)
	}
	want := []string{"https://" + testTenant + ".ciamlogin.com/" + testTenant + "/v2.0", "https://contoso.ciamlogin.com/" + testTenant + "/v2.0",
		"https://login.microsoftonline.com/" + testTenant + "/v2.0", "https://sts.windows.net/" + testTenant + "/"}
	if got := x.Issuers(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Issuers() = %v, want %v", got, want)
	}
	if len(x.Audiences) != 1 || x.Audiences[0] != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("Audiences = %v", x.Audiences)
	}
}

func TestExternalIDRejects(t *testing.T) {
	tests := []struct{ name, key, value, want string }{
		{"tenant not a GUID", "EXTERNALID_TENANT_ID", "contoso", "GUID"},
		{"no app id", "EXTERNALID_EXTENSION_APP_ID", "", "EXTERNALID_EXTENSION_APP_ID is required"},
		{"app id a URI", "EXTERNALID_EXTENSION_APP_ID", "api://bridge", "must be a GUID"},
		{"records off", "BRIDGE_VERIFICATION_RECORDS", "false", "BRIDGE_VERIFICATION_RECORDS=true"},
		{"budget over External ID's limit", "EXTERNALID_EXTENSION_BUDGET", "2s", "1900ms"},
		{"subdomain with a dot", "EXTERNALID_TENANT_SUBDOMAIN", "contoso.ciamlogin.com", "subdomain alone"},
		{"plain http authority", "EXTERNALID_AUTHORITY", "http://login.example.com", "https"},
		{"Graph client not a GUID", "EXTERNALID_GRAPH_CLIENT_ID", "bridge-graph", "EXTERNALID_GRAPH_CLIENT_ID must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := externalIDSettings()
			m[tt.key] = tt.value
			_, err := Load(lookupFrom(m))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	m := base()
	m["EXTERNALID_EXTENSION_APP_ID"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	if _, err := Load(lookupFrom(m)); err == nil || !strings.Contains(err.Error(), "EXTERNALID_TENANT_ID is required") {
		t.Errorf("half-configured extension: err = %v", err)
	}
}

func TestExternalIDRedirectURIs(t *testing.T) {
	got := ExternalIDRedirectURIs("contoso", testTenant)
	want := []string{
		"https://contoso.ciamlogin.com/" + testTenant + "/federation/oauth2",
		"https://contoso.ciamlogin.com/contoso.onmicrosoft.com/federation/oauth2",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ExternalIDRedirectURIs = %v, want %v", got, want)
	}
	for _, u := range got {
		if err := checkRedirectURI(u); err != nil {
			t.Errorf("redirect check refuses %s: %v", u, err)
		}
	}
}
