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
	for _, run := range []struct {
		name string
		args []string
		want []string
	}{
		{"closed loop", []string{"-n", "50", "-users", "4", "-duration", "30s", "-warmup", "0"},
			[]string{"50 completed, 0 failed", "bridge (pid ", "simulator (pid ", "CPU per sign-in"}},
		// The latency run in short: delays in front of the simulator and the in-process Blob
		// endpoint, sign-ins at a fixed rate, stages read from the bridge's stdout.
		{"delays", []string{"-store", "blob", "-blob-upstream", "memory", "-idme-delay", "20ms", "-storage-delay", "4ms",
			"-rate", "20", "-n", "20", "-users", "8", "-duration", "30s", "-warmup", "0"},
			[]string{"20 completed, 0 failed", "started at 20 sign-ins/s",
				"injected round trips per sign-in: ID.me 2 x 20ms, Storage 2 x 4ms = 48ms", "bridge total",
				"signin.idme_token_ms", "token.code_burn_ms", "driver and delaying proxies (pid ", "Blob requests per sign-in: 2.00"}},
	} {
		t.Run(run.name, func(t *testing.T) {
			out, err := exec.Command(bin, append([]string{"loadtest", "local"}, run.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("loadtest local: %v\n%s", err, out)
			}
			for _, want := range run.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
