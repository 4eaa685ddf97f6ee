package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"idmebridge/internal/config"
)

// Settings the deployment leaves unset on purpose, each with its reason. Anything else the
// bridge reads must be set in bridge.bicep, so that an operator finds every knob in the portal.
var notInBicep = map[string]string{
	config.StorageSetting:            "a connection string holds the account key; the identity-based __accountName is used instead",
	config.StorageBlobServiceSetting: "an alternative to __accountName, for a custom endpoint",
	"IDME_BASE_URL":                  "only for the simulator or a proxy; the environment names ID.me's host",
	"BRIDGE_ALLOW_EPHEMERAL_KEYS":    "for local runs only; refused with a public issuer",
	"BRIDGE_LISTEN_HOST":             "the host forwards to loopback, the default",
	"EXTERNALID_AUTHORITY":           "derived from the tenant id; an override for tests and local runs",
	"EXTERNALID_IDENTITY_ISSUER":     "BRIDGE_ISSUER, the default, is what External ID records for the bridge",
}

// The Functions host's own settings, which the bridge does not read.
var hostSettings = map[string][]string{
	"bicep":  {"APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"},
	"sample": {"FUNCTIONS_WORKER_RUNTIME"},
}

func settingsBySetter() (operator, platform map[string]config.Setting) {
	operator, platform = map[string]config.Setting{}, map[string]config.Setting{}
	for _, s := range config.Settings() {
		if s.SetBy == config.Platform {
			platform[s.Name] = s
		} else {
			operator[s.Name] = s
		}
	}
	return operator, platform
}

// secretValueSettings are the settings that would hold secret values when secrets are settings
// (no Key Vault): a deployment must never set them.
func secretValueSettings(t *testing.T, clientsJSON string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, s := range config.Settings() {
		if strings.HasSuffix(s.Name, "_SECRET_NAME") && s.Default != "" {
			out[config.SecretSettingName(s.Default)] = true
		}
	}
	if clientsJSON != "" {
		clients, err := config.ParseClients(clientsJSON)
		if err != nil {
			t.Fatalf("BRIDGE_CLIENTS: %v", err)
		}
		for _, c := range clients {
			out[config.SecretSettingName(c.SecretName)] = true
			for _, n := range c.APIConnectorSecretNames() {
				out[config.SecretSettingName(n)] = true
			}
		}
	}
	return out
}

func TestBicepSetsEverySettingTheBridgeReads(t *testing.T) {
	bridge := readBicep(t, infraPath("app", "bridge.bicep"))
	set := bridge.varObject(t, "bridgeSettings")
	host := bridge.varObject(t, "hostSettings")
	operator, platform := settingsBySetter()

	for name := range operator {
		_, isSet := set[name]
		reason, exempt := notInBicep[name]
		switch {
		case !isSet && !exempt:
			t.Errorf("bridge.bicep does not set %s (%s): add it to bridgeSettings", name, operator[name].Doc)
		case isSet && exempt:
			t.Errorf("bridge.bicep sets %s, which a deployment leaves unset: %s", name, reason)
		}
	}
	for name := range notInBicep {
		if _, ok := operator[name]; !ok {
			t.Errorf("notInBicep lists %s, which the bridge no longer reads", name)
		}
	}
	for name := range set {
		if _, ok := operator[name]; !ok {
			t.Errorf("bridge.bicep sets %s, which the bridge does not read (a typo, or a setting since removed)", name)
		}
		if _, ok := platform[name]; ok {
			t.Errorf("bridge.bicep sets %s, which the platform sets", name)
		}
	}
	for name := range host {
		if !slices.Contains(hostSettings["bicep"], name) {
			t.Errorf("hostSettings sets %s, which is neither the host's nor in the allowed list", name)
		}
		if _, ok := set[name]; ok {
			t.Errorf("%s is set twice", name)
		}
	}
	// Flex Consumption takes the runtime from functionAppConfig and refuses these settings.
	for _, name := range []string{"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE"} {
		if _, ok := set[name]; ok {
			t.Errorf("bridge.bicep sets %s, which Flex Consumption refuses", name)
		}
		if _, ok := host[name]; ok {
			t.Errorf("bridge.bicep sets %s, which Flex Consumption refuses", name)
		}
	}
}

func TestBicepHoldsNoSecretValues(t *testing.T) {
	bridge := readBicep(t, infraPath("app", "bridge.bicep"))
	set := bridge.varObject(t, "bridgeSettings")
	for name := range secretValueSettings(t, "") {
		if _, ok := set[name]; ok {
			t.Errorf("bridge.bicep sets %s: a secret's value belongs in Key Vault, the settings name it", name)
		}
	}
	if set["BRIDGE_KEY_VAULT_URL"] == "" || set["BRIDGE_STORE"] != "'blob'" {
		t.Errorf("a deployment reads secrets from Key Vault and keeps records in Blob Storage: BRIDGE_KEY_VAULT_URL=%q BRIDGE_STORE=%q",
			set["BRIDGE_KEY_VAULT_URL"], set["BRIDGE_STORE"])
	}
	if set[config.StorageCredentialSetting] != "'managedidentity'" {
		t.Errorf("%s = %s, want 'managedidentity'", config.StorageCredentialSetting, set[config.StorageCredentialSetting])
	}
	for _, f := range bicepFiles(t) {
		for _, p := range f.params() {
			if strings.Contains(strings.ToLower(p.name), "secret") {
				t.Errorf("%s: parameter %s: secrets never pass through the templates", f.path, p.name)
			}
		}
	}
}

// A literal in the template that differs from the code's default would silently change the
// bridge's behaviour in Azure only.
func TestBicepLiteralsMatchTheCodeDefaults(t *testing.T) {
	bridge := readBicep(t, infraPath("app", "bridge.bicep"))
	set := bridge.varObject(t, "bridgeSettings")
	for _, s := range config.Settings() {
		v, ok := set[s.Name]
		if !ok || s.Default == "" || !strings.HasPrefix(v, "'") {
			continue
		}
		if lit := strings.Trim(v, "'"); lit != s.Default {
			t.Errorf("bridge.bicep sets %s to %q; the code's default is %q", s.Name, lit, s.Default)
		}
	}
	// The containers the templates create are the ones the bridge uses.
	main := readBicep(t, infraPath("main.bicep"))
	for setting, variable := range map[string]string{"BRIDGE_STORE_CONTAINER": "storeContainerName", "BRIDGE_VERIFICATION_CONTAINER": "verificationContainerName"} {
		def := ""
		for _, s := range config.Settings() {
			if s.Name == setting {
				def = s.Default
			}
		}
		if want := "var " + variable + " = '" + def + "'"; !strings.Contains(main.text, want) {
			t.Errorf("main.bicep lacks %q (the default of %s)", want, setting)
		}
	}
	storage := readBicep(t, infraPath("app", "storage.bicep"))
	if !strings.Contains(storage.text, "prefixMatch: [\n                '${storeContainer.name}/'") ||
		!strings.Contains(storage.text, "daysAfterModificationGreaterThan: 1\n") {
		t.Error("storage.bicep: the lifecycle rule must delete blobs in the single-use container one day after their last write")
	}
}

func TestSampleSettingsMatchTheCode(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "local.settings.sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		IsEncrypted bool
		Values      map[string]string
	}
	if err := json.Unmarshal(data, &sample); err != nil {
		t.Fatalf("local.settings.sample.json: %v", err)
	}
	if sample.IsEncrypted || sample.Values["FUNCTIONS_WORKER_RUNTIME"] != "custom" {
		t.Errorf("local.settings.sample.json: want IsEncrypted false and FUNCTIONS_WORKER_RUNTIME custom")
	}
	operator, platform := settingsBySetter()
	secretValues := secretValueSettings(t, sample.Values["BRIDGE_CLIENTS"])
	// Every setting is listed, so the sample doubles as the reference of what can be set;
	// the ones a local run does not need stay empty.
	var missing []string
	for name := range operator {
		if _, ok := sample.Values[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		t.Errorf("local.settings.sample.json does not list %s (%s; default %q)", name, operator[name].Doc, operator[name].Default)
	}
	for name := range sample.Values {
		_, known := operator[name]
		switch {
		case slices.Contains(hostSettings["sample"], name), secretValues[name]:
		case !known:
			t.Errorf("local.settings.sample.json sets %s, which the bridge does not read", name)
		}
		if _, ok := platform[name]; ok {
			t.Errorf("local.settings.sample.json sets %s, which the Functions host sets", name)
		}
	}
}
