package policy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const schemaFile = "TrustFrameworkPolicy_0.3.0.0.xsd"

// The shipped Development environment's values, as in policies/appsettings.json.
const (
	devIssuer = "https://idme-bridge-dev.azurewebsites.net"
	devClient = "b2c-contosodev"
)

// testSettings are a complete PolicySettings object's members for a test environment.
const testSettings = `"TenantName": "c", "BridgeUrl": "https://b.example", "BridgeClientId": "id",
	"BridgeClientSecretKey": "B2C_1A_K", "IdmeScopes": "military", "IdmeIdentityProvider": "id.me",
	"IdmeNameEditing": "Verified", "VerifyCommunities": "military"`

// repoRoot walks up from the package under test to go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// shippedDir is the policies/ folder of the repository.
func shippedDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "policies")
}

// rendered renders the shipped templates for env into a fresh folder.
func rendered(t *testing.T, env string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), env)
	if err := Render(shippedDir(t), env, out); err != nil {
		t.Fatalf("Render(%s): %v", env, err)
	}
	return out
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// mutate returns a copy of files in which file has old replaced by new, n times (-1: all).
// It fails the test when old is not there, so a broken copy is never silently the original.
func mutate(t *testing.T, files map[string][]byte, file, old, new string, n int) map[string][]byte {
	t.Helper()
	data, ok := files[file]
	if !ok {
		t.Fatalf("no file %s", file)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k] = v
	}
	out[file] = []byte(strings.Replace(string(data), old, new, n))
	return out
}

func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := writeDir(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// need skips a test whose tool is missing, loudly, except in CI (CI set, as CI systems set
// it), where a skipped check would pass unnoticed.
func need(t *testing.T, what string) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("required in CI (CI=%s): %s", os.Getenv("CI"), what)
	}
	t.Logf("SKIPPED, NOT CHECKED: %s", what)
	t.Skipf("schema check not run: %s (set CI=true to make this a failure)", what)
}

func xmllintOrSkip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		need(t, "xmllint not found: apt-get install libxml2-utils")
	}
}

// schemaOrSkip finds Microsoft's schema in shared/b2c beside an ancestor of the repository
// (B2C_POLICY_SCHEMA names it explicitly).
func schemaOrSkip(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("B2C_POLICY_SCHEMA"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("B2C_POLICY_SCHEMA=%s: %v", p, err)
		}
		return p
	}
	for dir := filepath.Dir(repoRoot(t)); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "b2c", schemaFile)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	need(t, "Microsoft's "+schemaFile+" not found in shared/b2c/ beside any folder above the repository; "+
		"set B2C_POLICY_SCHEMA to its path")
	return ""
}

// devEnvironment is the shipped Development environment with some settings changed.
func devEnvironment(t *testing.T, change map[string]string) Environment {
	t.Helper()
	s, err := LoadSettings(filepath.Join(shippedDir(t), SettingsFile))
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.Environment("Development")
	if err != nil {
		t.Fatal(err)
	}
	settings := make(map[string]string, len(env.PolicySettings))
	for k, v := range env.PolicySettings {
		settings[k] = v
	}
	for k, v := range change {
		settings[k] = v
	}
	env.PolicySettings = settings
	return env
}

// renderedWith renders the shipped templates for Development with some settings changed.
func renderedWith(t *testing.T, change map[string]string) map[string][]byte {
	t.Helper()
	files, err := RenderFiles(readDir(t, shippedDir(t)), devEnvironment(t, change))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
