package cli

import (
	"bytes"
	"errors"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

const text = "usage: handler thing [--n N]\n"

func TestParse(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		stdout   bool // usage on stdout
		stderr   bool // usage on stderr
	}{
		{nil, 0, false, false},
		{[]string{"--n", "3"}, 0, false, false},
		{[]string{"-h"}, 0, true, false},
		{[]string{"--help"}, 0, true, false},
		{[]string{"-help"}, 0, true, false},
		{[]string{"--n", "3", "-h"}, 0, true, false},
		{[]string{"--bogus"}, 2, false, true},
		{[]string{"--n", "many"}, 2, false, true},
		{[]string{"extra"}, 2, false, true},
		{[]string{"--n", "3", "extra"}, 2, false, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := NewFlagSet("thing", text)
			n := fs.Int("n", 1, "how many `N`")
			var stdout, stderr bytes.Buffer
			err := Parse(fs, tt.args, &stdout, &stderr)
			if code := ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if got := strings.HasPrefix(stdout.String(), text); got != tt.stdout || (!tt.stdout && stdout.Len() > 0) {
				t.Errorf("stdout %q", stdout.String())
			}
			if got := strings.HasPrefix(stderr.String(), text); got != tt.stderr || (!tt.stderr && stderr.Len() > 0) {
				t.Errorf("stderr %q", stderr.String())
			}
			if tt.stdout && !strings.Contains(stdout.String(), "--n N\n") {
				t.Errorf("flags not listed as --name: %q", stdout.String())
			}
			if tt.wantCode == 2 && !strings.HasPrefix(err.Error(), "thing: ") {
				t.Errorf("error %q does not name the command", err)
			}
			if len(tt.args) > 1 && tt.wantCode == 0 && !tt.stdout && *n != 3 {
				t.Errorf("n = %d", *n)
			}
		})
	}
}

func TestSubcommand(t *testing.T) {
	tests := []struct {
		args     []string
		wantName string
		wantRest []string
		wantCode int // when no name
		stdout   bool
	}{
		{[]string{"add", "--lead", "1h"}, "add", []string{"--lead", "1h"}, 0, false},
		{[]string{"help", "add"}, "add", []string{"-h"}, 0, false},
		{[]string{"help", "add", "x"}, "add", []string{"x", "-h"}, 0, false},
		{[]string{"-h"}, "", nil, 0, true},
		{[]string{"--help"}, "", nil, 0, true},
		{[]string{"help"}, "", nil, 0, true},
		{[]string{"help", "-h"}, "", nil, 0, true},
		{[]string{"help", "--help"}, "", nil, 0, true},
		{nil, "", nil, 2, false},
		{[]string{"--bogus", "add"}, "", nil, 2, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			name, rest, err := Subcommand(NewFlagSet("keys", text), tt.args, &stdout, &stderr)
			if name != tt.wantName || !slices.Equal(rest, tt.wantRest) || ExitCode(err) != tt.wantCode {
				t.Fatalf("got %q %q %v", name, rest, err)
			}
			if tt.stdout != (stdout.String() == text) {
				t.Errorf("stdout %q", stdout.String())
			}
			if (tt.wantCode == 2) != (stderr.String() == text) {
				t.Errorf("stderr %q", stderr.String())
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{
		nil:                                 0,
		ErrHelp:                             0,
		&UsageError{"x", ErrHelp}:           0, // help asked for, however it is wrapped
		&UsageError{"x", errors.New("bad")}: 2,
		errors.New("failed"):                1,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestVersion(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "idmebridge", Version: "v0.0.0-20261201091823-79b460ee35ea+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "79b460ee35ea57e4"}, {Key: "vcs.time", Value: "2026-12-01T09:18:23Z"}, {Key: "vcs.modified", Value: "true"}}}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "idmebridge", Version: "(devel)"}}
	tests := []struct {
		info *debug.BuildInfo
		ok   bool
		want []string
	}{
		{stamped, true, []string{"idmebridge v0.0.0-20261201091823-79b460ee35ea+dirty\n", "commit 79b460ee35ea57e4 (2026-12-01T09:18:23Z), with uncommitted changes\n", "built with go1.26.8"}},
		{devel, true, []string{"idmebridge (devel): built from a source tree without a module version", "commit unknown: the build recorded no VCS information"}},
		{nil, false, []string{"version unknown"}},
	}
	for _, tt := range tests {
		got := Version(tt.info, tt.ok)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("Version = %q, want it to contain %q", got, w)
			}
		}
	}
}
