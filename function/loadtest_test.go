package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadtestLocal is the smoke run of the load test from outside: the built binary starts
// itself as the bridge (`serve`, keys from settings) and as the simulator, drives 50 whole
// sign-ins through them, and every one must succeed.
func TestLoadtestLocal(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "handler")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "loadtest", "local", "-n", "50", "-users", "4", "-duration", "30s", "-warmup", "0").CombinedOutput()
	if err != nil {
		t.Fatalf("loadtest local: %v\n%s", err, out)
	}
	for _, want := range []string{"50 completed, 0 failed", "bridge (pid ", "simulator (pid ", "CPU per sign-in"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
