package infra_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const repoRoot = ".."

// executableName is host.json's customHandler.description.defaultExecutablePath: what the
// Functions host starts, so what every build path must produce.
func executableName(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(data, &host); err != nil {
		t.Fatalf("host.json: %v", err)
	}
	name := host.CustomHandler.Description.DefaultExecutablePath
	if name == "" {
		t.Fatal("host.json names no defaultExecutablePath")
	}
	return name
}

// yamlValues reads the "key: value" lines of azure.yaml by indentation path ("services.bridge.dist").
// azure.yaml is small and written by hand; this avoids a YAML dependency for one test.
func yamlValues(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "azure.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^( *)([A-Za-z0-9_-]+):\s*(.*)$`)
	out := map[string]string{}
	var stack []string
	var indents []int
	var lastKey string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			// A folded block's continuation line belongs to the last key.
			if lastKey != "" {
				out[lastKey] += " " + strings.TrimSpace(l)
			}
			continue
		}
		indent := len(m[1])
		for len(indents) > 0 && indents[len(indents)-1] >= indent {
			indents, stack = indents[:len(indents)-1], stack[:len(stack)-1]
		}
		indents, stack = append(indents, indent), append(stack, m[2])
		lastKey = strings.Join(stack, ".")
		out[lastKey] = strings.TrimSuffix(strings.TrimPrefix(m[3], ">-"), ">")
	}
	return out
}

func TestAzureYAMLNamesWhatExists(t *testing.T) {
	y := yamlValues(t)
	want := map[string]string{
		"name":                     "idme-bridge",
		"infra.provider":           "bicep",
		"services.bridge.project":  ".",
		"services.bridge.language": "custom",
		"services.bridge.host":     "function",
		"services.bridge.dist":     "dist",
	}
	for k, v := range want {
		if y[k] != v {
			t.Errorf("azure.yaml %s = %q, want %q", k, y[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(repoRoot, y["infra.path"], y["infra.module"]+".bicep")); err != nil {
		t.Errorf("azure.yaml infra: %v", err)
	}
	// azd finds the app by the azd-service-name tag the template puts on it.
	if bridge := readBicep(t, infraPath("app", "bridge.bicep")); !strings.Contains(bridge.text, "'azd-service-name': 'bridge'") {
		t.Error("bridge.bicep must tag the app with azd-service-name bridge, the service in azure.yaml")
	}
	// Both hooks stage the package into dist with the files the host needs.
	posix := y["services.bridge.hooks.prepackage.posix.run"]
	if posix != "make package DIST="+y["services.bridge.dist"] {
		t.Errorf("posix prepackage hook = %q", posix)
	}
	windows := y["services.bridge.hooks.prepackage.windows.run"]
	for _, w := range []string{"-o dist/" + executableName(t) + " ./function", "GOOS='linux'", "GOARCH='amd64'", "CGO_ENABLED='0'", "-trimpath", "Copy-Item host.json dist/", "Copy-Item function/function.json dist/function/"} {
		if !strings.Contains(windows, w) {
			t.Errorf("windows prepackage hook lacks %q: %q", w, windows)
		}
	}
	for _, f := range []string{"host.json", "function/function.json", "function/main.go"} {
		if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
			t.Errorf("the hooks use %s: %v", f, err)
		}
	}
}

// TestPackageBuildsWhatTheHostStarts runs the same make target azd's hook runs.
func TestPackageBuildsWhatTheHostStarts(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed to test the package target (apt-get install make)")
	}
	dist := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command("make", "package", "DIST="+dist)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	exe := filepath.Join(dist, executableName(t))
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatalf("%s is not an ELF executable: %v", exe, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: machine %v class %v type %v, want a linux/amd64 executable", exe, f.Machine, f.Class, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the executable asks for a dynamic loader: build with CGO_ENABLED=0")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the executable keeps its symbol table: build with -ldflags='-s -w'")
	}
	if info, err := os.Stat(exe); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable: %v", exe, err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(abs+"/internal")) {
		t.Error("the executable holds build paths: build with -trimpath")
	}
	for _, same := range []string{"host.json", filepath.Join("function", "function.json")} {
		want, err := os.ReadFile(filepath.Join(repoRoot, same))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(dist, same)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("package %s differs from the repository's: %v", same, err)
		}
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		runPackaged(t, exe)
	}
	var files []string
	_ = filepath.WalkDir(dist, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dist, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(files)
	if want := []string{"function/function.json", executableName(t), "host.json"}; !slices.Equal(files, sortedCopy(want)) {
		t.Errorf("package holds %v, want exactly %v", files, want)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestPublishTarget(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed to test the publish target")
	}
	cmd := exec.Command("make", "-n", "publish", "APP=func-idme-test")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n publish: %v\n%s", err, out)
	}
	for _, w := range []string{
		"GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o " + executableName(t) + " ./function",
		`func azure functionapp publish "func-idme-test" --custom`,
	} {
		if !strings.Contains(string(out), w) {
			t.Errorf("make publish does not run %q:\n%s", w, out)
		}
	}
	cmd = exec.Command("make", "publish")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "usage: make publish APP=") {
		t.Errorf("make publish without APP: %v\n%s", err, out)
	}
}

// funcignored reports whether .funcignore's patterns leave rel (slash-separated) out of the
// package, in the gitignore dialect the file uses: "dir/" for a folder anywhere, "**/" for any
// depth, shell globs matched against the base name or the whole path.
func funcignored(patterns []string, rel string, isDir bool) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		dirOnly := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(strings.TrimPrefix(p, "**/"), "/")
		for i := range parts {
			// A pattern matches a path element (or, with a slash, a path from the root).
			target := parts[i]
			if strings.Contains(p, "/") {
				if i > 0 {
					break
				}
				target = rel
			}
			if ok, _ := path.Match(p, target); ok && (!dirOnly || isDir || i < len(parts)-1) {
				return true
			}
		}
	}
	return false
}

func TestFuncignoreKeepsOnlyThePackage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".funcignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	var kept []string
	err = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if funcignored(patterns, rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || d.IsDir() {
			return nil
		}
		kept = append(kept, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exe := executableName(t)
	// The built executable may or may not be in the tree; nothing else may be.
	kept = slices.DeleteFunc(kept, func(s string) bool { return s == exe })
	if want := []string{"function/function.json", "host.json"}; !slices.Equal(kept, want) {
		t.Errorf("func publish would package %v, want only %v (and %s): extend .funcignore", kept, want, exe)
	}
	if funcignored(patterns, exe, false) {
		t.Errorf(".funcignore leaves out %s, the executable the host starts", exe)
	}
}

// runPackaged drives the B2C commands of the packaged executable, offline: the dispatch and the
// refusals an operator meets first.
func runPackaged(t *testing.T, exe string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rendered")
	cmd := exec.Command(exe, "policy", "deploy", "-env", "Development", "-src", filepath.Join(repoRoot, "policies"), "-out", out, "-dry-run")
	got, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "B2C_1A_IdmeBridge_Extensions to contosodev.onmicrosoft.com") ||
		!strings.Contains(string(got), "B2C_1A_IdmeBridge_SignUpOrSignIn to contosodev.onmicrosoft.com") {
		t.Errorf("handler policy deploy -dry-run: %v\n%s", err, got)
	}
	cmd = exec.Command(exe, "policy", "key", "-env", "Development", "-src", filepath.Join(repoRoot, "policies"), "a-secret-on-the-command-line")
	got, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(got), "never the command line") || strings.Contains(string(got), "a-secret-on-the-command-line") {
		t.Errorf("handler policy key with the secret as an argument: %v\n%s", err, got)
	}
}

// TestAzdWorkflowHasTheNameAzdLooksFor: `azd pipeline config` configures the workflow at
// .github/workflows/azure-dev.yml and, finding none, offers to add a default one beside ours.
// On GitHub's runners make's own apt-get has no root, so the workflow installs xmllint itself.
func TestAzdWorkflowHasTheNameAzdLooksFor(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "azure-dev.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf := string(data)
	for _, want := range []string{"azd auth login", "azd provision --no-prompt", "azd deploy --no-prompt", "id-token: write"} {
		if !strings.Contains(wf, want) {
			t.Errorf("azure-dev.yml lacks %q", want)
		}
	}
	install := strings.Index(wf, "sudo apt-get install -y -q libxml2-utils")
	test := regexp.MustCompile(`(?m)^\s+make test$`).FindStringIndex(wf)
	if test == nil {
		t.Fatal("azure-dev.yml does not run make test")
	}
	if install < 0 || install > test[0] {
		t.Error("azure-dev.yml must install libxml2-utils with sudo before make test")
	}
}
