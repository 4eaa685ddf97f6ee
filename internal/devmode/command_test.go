package devmode

import (
	"bytes"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/cli"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name                   string
		args                   []string
		wantErr                string // "help": flag.ErrHelp
		wantStdout, wantStderr string
		check                  func(t *testing.T, o Options)
	}{
		{name: "-h", args: []string{"-h"}, wantErr: "help", wantStdout: "usage: handler dev"},
		{name: "--help", args: []string{"--help"}, wantErr: "help", wantStdout: "-redirect-uri"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined", wantStderr: "usage: handler dev"},
		{name: "extra argument", args: []string{"now"}, wantErr: `unexpected argument "now"`, wantStderr: "usage: handler dev"},
		{name: "redirect URI elsewhere", args: []string{"-redirect-uri", "https://app.example.com/cb"}, wantErr: "must be on localhost", wantStderr: "usage: handler dev"},
		{name: "redirect URI with a fragment", args: []string{"-redirect-uri", "http://localhost:3000/cb#x"}, wantErr: "without a fragment", wantStderr: "usage: handler dev"},
		{name: "redirect URI not a URL", args: []string{"-redirect-uri", "localhost:3000/cb"}, wantErr: "absolute http(s) URL", wantStderr: "usage: handler dev"},
		{name: "empty client id", args: []string{"-client-id", ""}, wantErr: "must not be empty"},
		{name: "defaults", check: func(t *testing.T, o Options) {
			if o.ClientID != devClientID || o.ClientSecret != "" || o.BridgePort != 7071 || len(o.RedirectURIs) != 0 || o.PoliciesDir != "policies" {
				t.Fatalf("%+v", o)
			}
		}},
		{name: "your app", args: []string{"-client-id", "app", "-client-secret", "s", "-redirect-uri", "http://localhost:3000/a", "-redirect-uri", "http://127.0.0.1:3000/b"},
			check: func(t *testing.T, o Options) {
				if o.ClientID != "app" || o.ClientSecret != "s" || !slices.Equal(o.RedirectURIs, []string{"http://localhost:3000/a", "http://127.0.0.1:3000/b"}) {
					t.Fatalf("%+v", o)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			o, _, err := parseCommand(tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == "help":
				if !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err %v", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// TestRunHelpSucceeds: -h prints the usage and ends without error (exit 0).
func TestRunHelpSucceeds(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := Run(t.Context(), []string{"-h"}, &stdout, &stderr); cli.ExitCode(err) != 0 || !strings.Contains(stdout.String(), "usage: handler dev") {
		t.Fatalf("err %v stdout %q", err, stdout.String())
	}
}

// TestBannerShowsTheClient: the banner gives what your own application needs.
func TestBannerShowsTheClient(t *testing.T) {
	var out bytes.Buffer
	printBanner(&out, &Env{BridgeURL: "http://localhost:1", IDmeURL: "http://localhost:2", RPURL: "http://localhost:3",
		ClientID: "demo-b2c", ClientSecret: "sekret", RedirectURIs: []string{"http://localhost:3/oauth2/authresp", "http://localhost:9/cb"}})
	for _, want := range []string{"client_id      demo-b2c", "client_secret  sekret", "http://localhost:9/cb", "issuer         http://localhost:1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
}
