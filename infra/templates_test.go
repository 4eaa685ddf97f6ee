package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"idmebridge/internal/provider"
)

func bicepFiles(t *testing.T) []bicepFile {
	t.Helper()
	paths, err := filepath.Glob(infraPath("*.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(infraPath("app", "*.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	var out []bicepFile
	for _, p := range append(paths, more...) {
		out = append(out, readBicep(t, p))
	}
	if len(out) < 2 {
		t.Fatalf("found %d Bicep files", len(out))
	}
	return out
}

// The compiler would catch a module given a parameter it lacks, or missing one it needs; this
// test catches the same mistakes.
func TestModulesGetTheParametersTheyDeclare(t *testing.T) {
	for _, f := range bicepFiles(t) {
		for _, m := range f.modules(t) {
			target := filepath.Join(filepath.Dir(f.path), m.path)
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: module %s: %v", f.path, m.name, err)
				continue
			}
			declared := readBicep(t, target).params()
			for name := range m.params {
				if _, ok := declared[name]; !ok {
					t.Errorf("%s: module %s passes %s, which %s does not declare", f.path, m.name, name, m.path)
				}
			}
			for name, p := range declared {
				if _, ok := m.params[name]; !ok && !p.hasDefault {
					t.Errorf("%s: module %s does not pass %s, which %s requires", f.path, m.name, name, m.path)
				}
			}
		}
	}
}

func TestParametersFileFitsMain(t *testing.T) {
	data, err := os.ReadFile(infraPath("main.parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Parameters map[string]struct {
			Value any `json:"value"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("main.parameters.json: %v", err)
	}
	declared := readBicep(t, infraPath("main.bicep")).params()
	for name := range file.Parameters {
		if _, ok := declared[name]; !ok {
			t.Errorf("main.parameters.json sets %s, which main.bicep does not declare", name)
		}
	}
	for name, p := range declared {
		if _, ok := file.Parameters[name]; !ok && !p.hasDefault {
			t.Errorf("main.bicep requires %s, which main.parameters.json does not give", name)
		}
	}
}

// The outputs are what an operator registers at ID.me and points B2C at; they must be the
// bridge's real paths.
func TestOutputsNameTheBridgesURLs(t *testing.T) {
	outputs := readBicep(t, infraPath("main.bicep")).outputs()
	want := map[string]string{
		"BRIDGE_URL":               "bridge.outputs.issuer",
		"BRIDGE_DISCOVERY_URL":     "'${bridge.outputs.issuer}" + provider.PathDiscovery + "'",
		"IDME_REDIRECT_URI":        "'${bridge.outputs.issuer}" + provider.PathCallback + "'",
		"IDME_LOGOUT_REDIRECT_URI": "'${bridge.outputs.issuer}" + provider.PathLogoutCallback + "'",
		"AZURE_FUNCTION_NAME":      "bridge.outputs.name",
		"AZURE_KEY_VAULT_NAME":     "keyVault.outputs.name",
	}
	for name, expr := range want {
		if outputs[name] != expr {
			t.Errorf("main.bicep output %s = %q, want %q", name, outputs[name], expr)
		}
	}
	bridge := readBicep(t, infraPath("app", "bridge.bicep"))
	if !strings.Contains(bridge.text, "var issuerUrl = !empty(issuer) ? issuer : 'https://${site.properties.defaultHostName}'") {
		t.Error("bridge.bicep: the issuer must default to the app's own https host name")
	}
}

// The properties the security stance rests on, as the samples spell them.
func TestSecurityProperties(t *testing.T) {
	checks := map[string][]string{
		filepath.Join("app", "bridge.bicep"): {
			"httpsOnly: true", "minTlsVersion: '1.2'", "ftpsState: 'Disabled'",
			"name: 'custom'\n        version: '1.0'", "type: 'UserAssignedIdentity'",
			"name: 'ftp'\n  properties: {\n    allow: false", "name: 'scm'\n  properties: {\n    allow: false",
			"sku: {\n    tier: 'FlexConsumption'\n    name: 'FC1'",
		},
		filepath.Join("app", "storage.bicep"): {
			"allowSharedKeyAccess: false", "allowBlobPublicAccess: false", "minimumTlsVersion: 'TLS1_2'",
		},
		filepath.Join("app", "keyvault.bicep"):   {"enableRbacAuthorization: true"},
		filepath.Join("app", "monitoring.bicep"): {"DisableLocalAuth: true"},
		filepath.Join("app", "rbac.bicep"): {
			"keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'",
			"storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
			"monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'",
			"keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'",
		},
	}
	for file, wants := range checks {
		f := readBicep(t, infraPath(file))
		for _, w := range wants {
			if !strings.Contains(f.text, w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
	// The bridge's identity only reads secrets; writing them (Officer) is the deployer's.
	rbac := readBicep(t, infraPath("app", "rbac.bicep")).text
	for _, role := range regexp.MustCompile(`roles\.(\w+)\)\n\s+principalId: identityPrincipalId`).FindAllStringSubmatch(rbac, -1) {
		if role[1] != "storageBlobDataOwner" && role[1] != "keyVaultSecretsUser" && role[1] != "monitoringMetricsPublisher" {
			t.Errorf("rbac.bicep gives the bridge's identity %s", role[1])
		}
	}
	if n := len(regexp.MustCompile(`principalId: identityPrincipalId`).FindAllString(rbac, -1)); n != 3 {
		t.Errorf("rbac.bicep gives the bridge's identity %d roles, want 3 (blob, secrets user, metrics)", n)
	}
	if f := readBicep(t, infraPath("app", "keyvault.bicep")); strings.Contains(f.text, "accessPolicies") {
		t.Error("keyvault.bicep grants access by access policy; RBAC only")
	}
}

// ARM evaluates a string parameter that starts with '[' as an expression when it hands it to a
// module, and BRIDGE_CLIENTS is a JSON array: it travels as an array and becomes text only in
// the app setting.
func TestClientsTravelAsAnArray(t *testing.T) {
	for _, file := range []string{"main.bicep", filepath.Join("app", "bridge.bicep")} {
		if f := readBicep(t, infraPath(file)); !regexp.MustCompile(`(?m)^param bridgeClients array$`).MatchString(f.text) {
			t.Errorf("%s: bridgeClients must be an array parameter", file)
		}
	}
	set := readBicep(t, infraPath("app", "bridge.bicep")).varObject(t, "bridgeSettings")
	if set["BRIDGE_CLIENTS"] != "string(bridgeClients)" {
		t.Errorf("BRIDGE_CLIENTS = %s, want string(bridgeClients)", set["BRIDGE_CLIENTS"])
	}
}
