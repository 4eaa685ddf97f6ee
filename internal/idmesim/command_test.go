package idmesim

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/cli"

	"idmebridge/internal/provider"
)

func TestParseCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "clients.json")
	os.WriteFile(good, []byte(`[{"client_id":"a","client_secret":"s","redirect_uris":["http://localhost:1/callback"]}]`), 0o600)
	typo := filepath.Join(dir, "typo.json")
	os.WriteFile(typo, []byte(`[{"client_id":"a","secret":"s","redirect_uris":["http://localhost:1/callback"]}]`), 0o600)
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte(`[]`), 0o600)

	tests := []struct {
		name       string
		args       []string
		wantErr    string // "" none; "help" flag.ErrHelp
		wantStdout string // usage goes to stdout for -h, stderr for mistakes
		wantStderr string
		check      func(t *testing.T, o commandOptions)
	}{
		{name: "-h", args: []string{"-h"}, wantErr: "help", wantStdout: "usage: handler simulator"},
		{name: "--help", args: []string{"--help"}, wantErr: "help", wantStdout: "-redirect-uri"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "flag provided but not defined", wantStderr: "usage: handler simulator"},
		{name: "extra argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`, wantStderr: "usage: handler simulator"},
		{name: "bad port", args: []string{"-port", "70000"}, wantErr: "not a TCP port"},
		{name: "log level slog accepts but LOG_LEVEL does not", args: []string{"-log-level", "info+2"}, wantErr: "log level must be debug, info, warn or error", wantStderr: "usage: handler simulator"},
		{name: "log level by name", args: []string{"-log-level", "WARN"}, check: func(t *testing.T, o commandOptions) {
			if o.logLevel != slog.LevelWarn {
				t.Fatalf("level %v, want WARN", o.logLevel)
			}
		}},
		{name: "-clients with client flags", args: []string{"-clients", good, "-client-id", "x"}, wantErr: "replaces -client-id"},
		{name: "unknown field in file", args: []string{"-clients", typo}, wantErr: "not a JSON array of clients"},
		{name: "empty file", args: []string{"-clients", empty}, wantErr: "lists no clients"},
		{name: "missing file", args: []string{"-clients", filepath.Join(dir, "none.json")}, wantErr: "read clients"},
		{name: "defaults register the bridge's callbacks with a generated secret", check: func(t *testing.T, o commandOptions) {
			c := o.clients[0]
			want := []string{provider.CallbackURL("http://localhost:7071"), "http://localhost:7071" + provider.PathLogoutCallback}
			if len(o.clients) != 1 || c.ID != "bridge-dev" || len(c.Secret) < 20 || !o.generatedSecret || !slices.Equal(c.RedirectURIs, want) {
				t.Fatalf("%+v, want redirect URIs %v", o, want)
			}
		}},
		{name: "client from flags", args: []string{"-client-id", "me", "-client-secret", "shh", "-redirect-uri", "http://localhost:3000/cb", "-redirect-uri", "http://localhost:3000/cb2"},
			check: func(t *testing.T, o commandOptions) {
				c := o.clients[0]
				if c.ID != "me" || c.Secret != "shh" || o.generatedSecret || !slices.Equal(c.RedirectURIs, []string{"http://localhost:3000/cb", "http://localhost:3000/cb2"}) {
					t.Fatalf("%+v", o)
				}
			}},
		{name: "-bridge moves the callbacks", args: []string{"-bridge", "http://localhost:8080/"}, check: func(t *testing.T, o commandOptions) {
			if got := o.clients[0].RedirectURIs[0]; got != "http://localhost:8080/callback" {
				t.Fatalf("%q", got)
			}
		}},
		{name: "clients file", args: []string{"-clients", good, "-port", "0"}, check: func(t *testing.T, o commandOptions) {
			if len(o.clients) != 1 || o.clients[0].ID != "a" || o.clients[0].Secret != "s" || o.port != 0 {
				t.Fatalf("%+v", o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			o, err := parseCommand(tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == "help":
				if !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err = %v, want flag.ErrHelp", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stdout %q / stderr %q, want %q / %q", stdout.String(), stderr.String(), tt.wantStdout, tt.wantStderr)
			}
			if tt.wantStdout == "" && stdout.Len() > 0 {
				t.Errorf("unexpected stdout %q", stdout.String())
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// TestRunHelpSucceeds: -h is an answer, not a failure.
func TestRunHelpSucceeds(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := Run(t.Context(), []string{"-h"}, &stdout, &stderr); cli.ExitCode(err) != 0 || !strings.Contains(stdout.String(), "usage:") {
		t.Fatalf("err %v, stdout %q", err, stdout.String())
	}
}
