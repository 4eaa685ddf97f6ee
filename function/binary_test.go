package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryCommandLine runs the built handler as an operator would: exit statuses and streams
// from outside the process, and stdin that is /dev/null (empty, not a terminal) or a file.
func TestBinaryCommandLine(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "handler")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	set := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(set, []byte(mustRun(t, bin, "keys", "new")), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		stdin      string // file; "" is /dev/null
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"--help"}, "", 0, "usage: handler [command]", ""},
		{[]string{"check", "-h"}, "", 0, "usage: handler check", ""},
		{[]string{"serve", "--help"}, "", 0, "usage: handler serve", ""},
		{[]string{"keys", "-h"}, "", 0, "usage: handler keys <command>", ""},
		{[]string{"help", "keys", "add"}, "", 0, "usage: handler keys add", ""},
		{[]string{"version"}, "", 0, "idmebridge", ""},
		{[]string{"serve", "now"}, "", 2, "", `error: serve: unexpected argument "now"`},
		{[]string{"keys", "show"}, "", 1, "", "error: no key set on input (stdin is empty)"},
		{[]string{"keys", "show"}, set, 0, "signing", ""},
		{[]string{"keys", "show", "--in", "-"}, set, 0, "signing", ""},
		{[]string{"keys", "show", "--in", set}, "", 0, "signing", ""},
		{[]string{"keys", "prune", "--in", set}, "", 0, `"keys"`, "nothing to prune"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			if tt.stdin != "" {
				f, err := os.Open(tt.stdin)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cmd.Stdin = f
			}
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
			}
		})
	}
}
