package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// roleAssignments maps each role assignment resource of a template to its condition ("" when
// unconditional) and body.
func roleAssignments(t *testing.T, f bicepFile) map[string][2]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^resource (\w+) 'Microsoft\.Authorization/roleAssignments@[^']+' = (?:if \((.*)\) )?\{`)
	out := map[string][2]string{}
	for _, loc := range re.FindAllStringSubmatchIndex(f.text, -1) {
		m := re.FindStringSubmatch(f.text[loc[0]:loc[1]])
		body, _ := f.block(t, loc[1]-1)
		out[m[1]] = [2]string{m[2], body}
	}
	return out
}

// azd gives its "deployer" (principalId: whoever runs azd, the pipeline's service principal in CI)
// what the template grants it. Reading every secret must be a person's explicit choice.
func TestDeployerDataAccessIsOptIn(t *testing.T) {
	main := readBicep(t, infraPath("main.bicep"))
	if !regexp.MustCompile(`(?m)^param grantDeployerDataAccess bool = false$`).MatchString(main.text) {
		t.Error("main.bicep: grantDeployerDataAccess must be a bool parameter defaulting to false")
	}
	var params struct {
		Parameters map[string]struct{ Value string } `json:"parameters"`
	}
	data, err := os.ReadFile(infraPath("main.parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &params); err != nil {
		t.Fatal(err)
	}
	// azd's ${NAME=default} substitution; azd turns "true"/"false" into a bool for a bool
	// parameter (cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go, armParameterFileValue).
	m := regexp.MustCompile(`^\$\{(\w+)=(\w+)\}$`).FindStringSubmatch(params.Parameters["grantDeployerDataAccess"].Value)
	if m == nil {
		t.Fatalf(`main.parameters.json grantDeployerDataAccess = %q, want "${VARIABLE=false}"`, params.Parameters["grantDeployerDataAccess"].Value)
	}
	variable := m[1]
	if on, err := strconv.ParseBool(m[2]); err != nil || on {
		t.Errorf("main.parameters.json: %s defaults to %q, want false", variable, m[2])
	}
	for _, mod := range main.modules(t) {
		if mod.name == "rbac" && mod.params["grantDeployerDataAccess"] != "grantDeployerDataAccess" {
			t.Errorf("main.bicep does not pass grantDeployerDataAccess to rbac: %q", mod.params["grantDeployerDataAccess"])
		}
	}

	rbac := readBicep(t, infraPath("app", "rbac.bicep"))
	gate := regexp.MustCompile(`(?m)^var deployerGetsData = (.+)$`).FindStringSubmatch(rbac.text)
	if gate == nil {
		t.Fatal("rbac.bicep: no deployerGetsData")
	}
	for _, term := range []string{"grantDeployerDataAccess", "deployerPrincipalType == 'User'", "!empty(deployerPrincipalId)"} {
		if !strings.Contains(gate[1], term) || strings.Contains(gate[1], "||") {
			t.Errorf("rbac.bicep: deployerGetsData = %s; want the conjunction of %s", gate[1], term)
		}
	}
	deployer := 0
	for name, ra := range roleAssignments(t, rbac) {
		if strings.Contains(ra[1], "principalId: deployerPrincipalId") {
			deployer++
			if ra[0] != "deployerGetsData" {
				t.Errorf("rbac.bicep: %s grants the deployer a role under %q, want if (deployerGetsData)", name, ra[0])
			}
		}
	}
	if deployer != 2 {
		t.Errorf("rbac.bicep grants the deployer %d roles, want 2 (secrets officer, blob owner)", deployer)
	}

	// The pipeline never turns it on.
	if wf := withoutComments(readWorkflow(t)); strings.Contains(wf, variable) || strings.Contains(wf, "azd env set") {
		t.Errorf("azure-dev.yml sets %s (or other azd variables): the pipeline needs no data access", variable)
	}
	// And an operator can find how and why.
	turnOn := "azd env set " + variable + " true"
	for _, doc := range []string{rootReadme(), infraReadme()} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), turnOn) {
			t.Errorf("%s does not say %q", doc, turnOn)
		}
	}
}

// External ID gives the extension 1 s by default, 2 s at most; Flex scales to zero.
func TestExternalIdKeepsAnInstanceReady(t *testing.T) {
	bridge := readBicep(t, infraPath("app", "bridge.bicep"))
	// Microsoft.Web/sites@2024-04-01 FunctionsScaleAndConcurrency.alwaysReady is an array of
	// FunctionsAlwaysReadyConfig {name, instanceCount} (Azure/bicep-types-az
	// generated/web/microsoft.web/2024-04-01/types.md); the HTTP triggers' scale group is named
	// http (learn.microsoft.com, "Flex Consumption plan hosting", per-function scaling).
	want := "var alwaysReady = empty(externalIdTenantId) ? [] : [ { name: 'http' instanceCount: 1 } ]"
	m := regexp.MustCompile(`(?m)^var alwaysReady = [^\n]*(\n[ \]{}].*)*`).FindString(bridge.text)
	if got := strings.Join(strings.Fields(m), " "); got != want {
		t.Errorf("bridge.bicep alwaysReady:\n got %s\nwant %s", got, want)
	}
	if !regexp.MustCompile(`(?m)^resource site 'Microsoft\.Web/sites@2024-04-01'`).MatchString(bridge.text) {
		t.Error("bridge.bicep: the site's API version changed; check alwaysReady against its types")
	}
	loc := regexp.MustCompile(`scaleAndConcurrency:\s*\{`).FindStringIndex(bridge.code)
	if loc == nil {
		t.Fatal("bridge.bicep has no scaleAndConcurrency")
	}
	if keys := objectKeys(bridge.block(t, loc[1]-1)); keys["alwaysReady"] != "alwaysReady" {
		t.Errorf("scaleAndConcurrency.alwaysReady = %q, want alwaysReady", keys["alwaysReady"])
	}
	// The same switch the bridge reads: the extension is on when EXTERNALID_TENANT_ID is set.
	if set := bridge.varObject(t, "bridgeSettings"); set["EXTERNALID_TENANT_ID"] != "externalIdTenantId" {
		t.Errorf("EXTERNALID_TENANT_ID = %q, want externalIdTenantId", set["EXTERNALID_TENANT_ID"])
	}
	ext := readmeSection(t, rootReadme(), "Entra External ID")
	for _, w := range []string{"always ready", "Always Ready Baseline", "GB-s"} {
		if !strings.Contains(ext, w) {
			t.Errorf(`README "Entra External ID" does not explain the always-ready cost (%q missing)`, w)
		}
	}
}

func TestKeyVaultNetworkAndAuditAreOptional(t *testing.T) {
	main := readBicep(t, infraPath("main.bicep"))
	for _, p := range []string{
		`param keyVaultNetworkDefaultAction string = 'Allow'`,
		`param keyVaultAllowedIpRanges array = []`,
		`param keyVaultAuditLogs bool = false`,
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + `$`).MatchString(main.text) {
			t.Errorf("main.bicep lacks %s (off by default)", p)
		}
	}
	for _, mod := range main.modules(t) {
		if mod.name != "keyVault" {
			continue
		}
		want := map[string]string{
			"networkDefaultAction": "keyVaultNetworkDefaultAction",
			"allowedIpRanges":      "keyVaultAllowedIpRanges",
			"auditWorkspaceId":     "keyVaultAuditLogs ? monitoring.outputs.logAnalyticsId : ''",
		}
		for k, v := range want {
			if mod.params[k] != v {
				t.Errorf("main.bicep keyVault module %s = %q, want %q", k, mod.params[k], v)
			}
		}
	}
	if out := readBicep(t, infraPath("app", "monitoring.bicep")).outputs(); out["logAnalyticsId"] != "logAnalytics.id" {
		t.Errorf("monitoring.bicep output logAnalyticsId = %q", out["logAnalyticsId"])
	}

	kv := readBicep(t, infraPath("app", "keyvault.bicep"))
	// NetworkRuleSet of Microsoft.KeyVault/vaults@2023-07-01: bypass 'AzureServices'|'None',
	// defaultAction 'Allow'|'Deny', ipRules [{value}] (Azure/bicep-types-az
	// generated/keyvault/microsoft.keyvault/2023-07-01/types.md).
	if !strings.Contains(kv.text, "resource vault 'Microsoft.KeyVault/vaults@2023-07-01'") {
		t.Error("keyvault.bicep: the vault's API version changed; check networkAcls against its types")
	}
	loc := regexp.MustCompile(`networkAcls:\s*\{`).FindStringIndex(kv.code)
	if loc == nil {
		t.Fatal("keyvault.bicep has no networkAcls")
	}
	acls := objectKeys(kv.block(t, loc[1]-1))
	if acls["bypass"] != "'AzureServices'" || acls["defaultAction"] != "networkDefaultAction" ||
		acls["ipRules"] != "[for range in allowedIpRanges: {" {
		t.Errorf("keyvault.bicep networkAcls = %v", acls)
	}
	if !strings.Contains(kv.text, "ipRules: [for range in allowedIpRanges: {\n        value: range\n      }]") {
		t.Error("keyvault.bicep: each ipRule must be {value: range}")
	}
	if !regexp.MustCompile(`(?m)^@allowed\(\['Allow', 'Deny'\]\)\n@description\([^\n]*\)\nparam networkDefaultAction string = 'Allow'$`).MatchString(kv.text) {
		t.Error("keyvault.bicep: networkDefaultAction must allow Allow or Deny and default to Allow")
	}

	// Microsoft.Insights/diagnosticSettings@2021-05-01-preview: workspaceId, logs [{category,
	// enabled}] (bicep-types-az generated/monitor_1/microsoft.insights/2021-05-01-preview); the
	// vault's audit category is AuditEvent (Azure Monitor, "Supported logs for
	// Microsoft.KeyVault/vaults").
	re := regexp.MustCompile(`(?m)^resource audit 'Microsoft\.Insights/diagnosticSettings@2021-05-01-preview' = if \(!empty\(auditWorkspaceId\)\) \{`)
	dl := re.FindStringIndex(kv.text)
	if dl == nil {
		t.Fatal("keyvault.bicep has no diagnostic setting conditional on auditWorkspaceId")
	}
	body, _ := kv.block(t, dl[1]-1)
	for _, w := range []string{"scope: vault", "workspaceId: auditWorkspaceId", "category: 'AuditEvent'\n        enabled: true"} {
		if !strings.Contains(body, w) {
			t.Errorf("keyvault.bicep diagnostic setting lacks %q", w)
		}
	}

	// Deny shuts the bridge out unless its addresses are allowed: the docs must say so.
	data, err := os.ReadFile(infraReadme())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"keyVaultNetworkDefaultAction", "VNet integration", "outbound", "keyVaultAuditLogs", "AZKVAuditLogs"} {
		if !strings.Contains(string(data), w) {
			t.Errorf("infra/README.md does not explain the vault's network and audit options (%q missing)", w)
		}
	}
}

// host.json forwards each request to the handler. Azure/azure-functions-host
// src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs, InvokeAsync: an HTTP-in/out
// function is proxied (YARP) when enableProxyingHttpRequest is set, else forwarded when
// enableForwardingHttpRequest is set, else sent the invocation payload at /<function name>,
// which the bridge does not speak. Setting both would silently change the mode.
func TestHostForwardsRequestsOneWay(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	var host struct {
		CustomHandler map[string]any `json:"customHandler"`
	}
	if err := json.Unmarshal(data, &host); err != nil {
		t.Fatal(err)
	}
	on := 0
	for _, k := range []string{"enableForwardingHttpRequest", "enableProxyingHttpRequest"} {
		if v, ok := host.CustomHandler[k].(bool); ok && v {
			on++
		}
	}
	if on != 1 {
		t.Errorf("host.json turns on %d of enableForwardingHttpRequest and enableProxyingHttpRequest, want exactly 1", on)
	}
	if ops := readmeSection(t, rootReadme(), "Deploy to Azure"); !strings.Contains(ops, "enableProxyingHttpRequest") {
		t.Error(`README "Deploy to Azure" does not say why host.json keeps enableForwardingHttpRequest`)
	}
}

// The region must offer the custom runtime on Flex Consumption before azd up.
func TestReadmeSaysHowToCheckTheRegion(t *testing.T) {
	deploy := readmeSection(t, rootReadme(), "Deploy to Azure")
	prereq := deploy
	if i := strings.Index(deploy, "### 1."); i >= 0 {
		prereq = deploy[:i]
	}
	if !strings.Contains(prereq, "az functionapp list-flexconsumption-runtimes --location <region> --runtime custom") {
		t.Error(`README "Deploy to Azure" prerequisites do not say how to check a region offers the custom runtime on Flex`)
	}
}
