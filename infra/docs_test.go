package infra_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeSection returns the text under the README heading that starts with title, up to the next
// heading of the same or a higher level.
func readmeSection(t *testing.T, file, title string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	level, start := 0, -1
	inCode := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(l, "#") {
			continue
		}
		hashes := len(l) - len(strings.TrimLeft(l, "#"))
		if start < 0 {
			if strings.HasPrefix(strings.TrimSpace(l[hashes:]), title) {
				level, start = hashes, i
			}
			continue
		}
		if hashes <= level {
			return strings.Join(lines[start:i], "\n")
		}
	}
	if start < 0 {
		t.Fatalf("%s has no heading %q", file, title)
	}
	return strings.Join(lines[start:], "\n")
}

func rootReadme() string  { return filepath.Join(repoRoot, "README.md") }
func infraReadme() string { return infraPath("README.md") }

// withoutComments drops '#' comments from YAML lines (the workflow quotes no '#').
func withoutComments(yaml string) string {
	var out []string
	for _, l := range strings.Split(yaml, "\n") {
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func readWorkflow(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "azure-dev.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The deploy side's items of the first deployment's acceptance list.
func TestAcceptanceChecksForTheFirstDeployment(t *testing.T) {
	deploy := readmeSection(t, rootReadme(), "Deploy to Azure")
	if !strings.Contains(deploy, "\n### Acceptance checks for the first deployment\n") {
		t.Fatal(`README "Deploy to Azure" lacks "### Acceptance checks for the first deployment"`)
	}
	checks := readmeSection(t, rootReadme(), "Acceptance checks for the first deployment")
	for _, item := range []string{"- **External ID after an idle hour**", "- **azd up from a clean machine**"} {
		if !strings.Contains(checks, item) {
			t.Errorf("acceptance checks lack the bullet %q", item)
		}
	}
	for _, how := range []string{"azd version", "alpha.language.custom", "alwaysReady", "/externalid/token-issuance-start"} {
		if !strings.Contains(checks, how) {
			t.Errorf("acceptance checks do not say how to run them: %q missing", how)
		}
	}
}
