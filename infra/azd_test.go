package infra_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// azdAlphaEnvVar is the variable azd reads to turn an alpha feature on without `azd config`:
// Azure/azure-dev cli/azd/pkg/alpha/alpha_feature_manager.go, IsEnabled, builds
// "AZD_ALPHA_ENABLE_" + the upper-cased feature id with dots as underscores, and parses its value
// with strconv.ParseBool (so "on", which `azd config set` takes, is not accepted there).
func azdAlphaEnvVar(featureID string) string {
	return "AZD_ALPHA_ENABLE_" + strings.ReplaceAll(strings.ToUpper(featureID), ".", "_")
}

// azdVersion is major.minor.patch.
type azdVersion [3]int

func (v azdVersion) less(w azdVersion) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func (v azdVersion) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// What this project needs of azd, each from Azure/azure-dev cli/azd/CHANGELOG.md.
var azdNeeds = []struct {
	version azdVersion
	why     string
}{
	// 1.23.4 (2026-02-09), Bugs Fixed: "[#6694] Fix environment variable substitution for array
	// and object Bicep parameters." BRIDGE_CLIENTS reaches the bridgeClients array that way.
	{azdVersion{1, 23, 4}, "array parameters from the environment (BRIDGE_CLIENTS)"},
	// 1.26.0 (2026-06-24), #8599 "Add Go support for Azure Functions services"; its commit
	// (6fcb82170) lists "Fix rzip to preserve Unix file permissions in zip archives": before it the
	// deployment zip lost the handler's executable bit.
	{azdVersion{1, 26, 0}, "the handler keeps its executable bit in the deployment zip"},
}

func TestAzdRunsTheCustomLanguage(t *testing.T) {
	y := yamlValues(t)
	if y["services.bridge.language"] != "custom" {
		t.Skip("the service no longer uses azd's custom language")
	}
	// Azure/azure-dev cli/azd/resources/alpha_features.yaml: "- id: language.custom"; and
	// cli/azd/cmd/container.go refuses a project with it off: "%s service is using language
	// 'custom' (alpha) but it is not enabled", naming alpha.GetEnableCommand, which is
	// "azd config set alpha.language.custom on" (cli/azd/pkg/alpha/alpha_feature.go).
	const feature = "language.custom"
	enable := "azd config set alpha." + feature + " on"

	step1 := readmeSection(t, rootReadme(), "1. Provision and deploy with azd")
	at, up := strings.Index(step1, enable), strings.Index(step1, "azd up")
	if at < 0 || up < 0 || at > up {
		t.Errorf("README step 1 must run %q before azd up", enable)
	}

	env := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(azdAlphaEnvVar(feature)) + `:\s*"?([^"\s]*)"?\s*$`).
		FindStringSubmatch(withoutComments(readWorkflow(t)))
	if env == nil {
		t.Fatalf("azure-dev.yml does not set %s", azdAlphaEnvVar(feature))
	}
	if on, err := strconv.ParseBool(env[1]); err != nil || !on {
		t.Errorf("azure-dev.yml sets %s=%q; azd parses it with strconv.ParseBool and needs true", azdAlphaEnvVar(feature), env[1])
	}
}

func TestAzdVersionIsRequired(t *testing.T) {
	// Azure/azure-dev schemas/v1.0/azure.yaml.json: requiredVersions.azd, "A range of supported
	// versions of azd", e.g. ">= 0.6.0-beta.3"; cli/azd/pkg/project/project.go parses it with
	// blang/semver ParseRange and refuses to load the project outside it.
	got := yamlValues(t)["requiredVersions.azd"]
	m := regexp.MustCompile(`^"?>=\s*(\d+)\.(\d+)\.(\d+)"?$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf(`azure.yaml requiredVersions.azd = %q, want ">= X.Y.Z"`, got)
	}
	var min azdVersion
	for i := range min {
		min[i], _ = strconv.Atoi(m[i+1])
	}
	highest := azdVersion{}
	for _, n := range azdNeeds {
		if min.less(n.version) {
			t.Errorf("azure.yaml allows azd %s, but %s needs %s", min, n.why, n.version)
		}
		if highest.less(n.version) {
			highest = n.version
		}
	}
	if highest.less(min) {
		t.Errorf("azure.yaml asks for azd %s; nothing here needs more than %s", min, highest)
	}
	if deploy := readmeSection(t, rootReadme(), "Deploy to Azure"); !strings.Contains(deploy, "azd "+min.String()) {
		t.Errorf(`README "Deploy to Azure" does not name the azd version (azd %s)`, min)
	}
}
