package infra_test

import (
	"regexp"
	"strings"
	"testing"
)

// The lines of main.bicep that name the deployment container, as deploymentContainerName
// replays them: a change to either must change both.
var containerNameLines = []string{
	`var appNameChars = map(range(0, length(appName)), i => toLower(substring(appName, i, 1)))`,
	`var appNameKept = join(filter(appNameChars, c => contains('abcdefghijklmnopqrstuvwxyz0123456789-', c)), '')`,
	`var appNameWords = join(filter(split(appNameKept, '-'), w => !empty(w)), '-')`,
	`var appNamePart = join(filter(split(take(appNameWords, 32), '-'), w => !empty(w)), '-')`,
	`var deploymentContainerName = empty(appNamePart) ? 'app-package-${take(resourceToken, 7)}' : 'app-package-${appNamePart}-${take(resourceToken, 7)}'`,
}

// deploymentContainerName is main.bicep's expression in Go. ARM's toLower, substring, take and
// length count UTF-16 code units; every character the filter keeps is ASCII, so counting runes
// here keeps the same characters.
func deploymentContainerName(appName, resourceToken string) string {
	var kept strings.Builder
	for _, r := range appName {
		c := strings.ToLower(string(r))
		if strings.Contains("abcdefghijklmnopqrstuvwxyz0123456789-", c) {
			kept.WriteString(c)
		}
	}
	words := joinNonEmpty(strings.Split(kept.String(), "-"))
	part := joinNonEmpty(strings.Split(take(words, 32), "-"))
	if part == "" {
		return "app-package-" + take(resourceToken, 7)
	}
	return "app-package-" + part + "-" + take(resourceToken, 7)
}

func joinNonEmpty(parts []string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "-")
}

func take(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Azure Storage, "Naming and referencing containers, blobs, and metadata": container names are 3
// to 63 characters long, start with a letter or number, hold only lowercase letters, numbers and
// the dash, and every dash is immediately preceded and followed by a letter or number.
var validContainerName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestDeploymentContainerNameIsAlwaysValid(t *testing.T) {
	text := readBicep(t, infraPath("main.bicep")).text
	for _, l := range containerNameLines {
		if !strings.Contains(text, "\n"+l+"\n") {
			t.Errorf("main.bicep no longer has the line the test replays:\n%s", l)
		}
	}
	// uniqueString returns 13 characters (ARM template functions, uniqueString); main.bicep
	// lowers it, so only letters and digits.
	const token = "k3xq7bz2m4tdy"
	tests := []struct{ appName, want string }{
		{"func-idme-" + token, "app-package-func-idme-" + token + "-k3xq7bz"}, // the default: unchanged
		{"Func-IDME-Prod", "app-package-func-idme-prod-k3xq7bz"},
		{"func--idme---x", "app-package-func-idme-x-k3xq7bz"},
		{"a" + strings.Repeat("-", 30) + "bcd", "app-package-a-bcd-k3xq7bz"}, // runs collapse before the cut
		{"-lead-and-trail-", "app-package-lead-and-trail-k3xq7bz"},
		{"under_score.dot", "app-package-underscoredot-k3xq7bz"},
		{strings.Repeat("a", 31) + "-b" + strings.Repeat("c", 40), "app-package-" + strings.Repeat("a", 31) + "-k3xq7bz"},
		{strings.Repeat("x", 80), "app-package-" + strings.Repeat("x", 32) + "-k3xq7bz"},
		{"ÄÖÜ-éé", "app-package-k3xq7bz"},
		{"---", "app-package-k3xq7bz"},
		{"", "app-package-k3xq7bz"},
	}
	for _, tt := range tests {
		got := deploymentContainerName(tt.appName, token)
		if got != tt.want {
			t.Errorf("container for app %q = %q, want %q", tt.appName, got, tt.want)
		}
		if len(got) < 3 || len(got) > 63 || !validContainerName.MatchString(got) {
			t.Errorf("container for app %q = %q: not a valid container name", tt.appName, got)
		}
	}
}

// A required parameter given as "" (an unset azd variable) should stop at validation, naming the
// parameter, rather than deploy an app that cannot start.
func TestRequiredParametersHaveAMinimum(t *testing.T) {
	f := readBicep(t, infraPath("main.bicep"))
	lines := strings.Split(f.code, "\n")
	decl := regexp.MustCompile(`^param\s+(\w+)\s+(string|array)\s*$`)
	found := 0
	for i, l := range lines {
		m := decl.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		found++
		// Its decorators: the lines above it, up to a blank line or the previous parameter.
		var decorators []string
		for j := i - 1; j >= 0 && strings.TrimSpace(lines[j]) != "" && !strings.HasPrefix(lines[j], "param "); j-- {
			decorators = append(decorators, strings.Split(f.text, "\n")[j])
		}
		if !regexp.MustCompile(`(?m)^@minLength\([1-9]\d*\)$`).MatchString(strings.Join(decorators, "\n")) {
			t.Errorf("main.bicep: required %s parameter %s has no @minLength", m[2], m[1])
		}
	}
	if found < 4 {
		t.Errorf("found %d required string or array parameters in main.bicep, want at least 4", found)
	}
}
