package userflow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"idmebridge/internal/cli"
)

func TestSetupCommand(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("client-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"-tenant", "contoso.onmicrosoft.com", "-issuer", "https://bridge.example.com", "-client", "b2c-contoso",
		"-communities", "military", "-user-flow", "B2C_1_susi"}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		code    int
		wantOut string
	}{
		{"help names the permissions", []string{"-h"}, "", 0, "APIConnectors.ReadWrite.All"},
		{"secret on the command line", append(append([]string{}, base...), "hunter2"), "", 2, ""},
		{"no tenant", base[2:], "", 2, ""},
		{"two secrets on stdin", append(append([]string{}, base...), "-client-secret-file", "-", "-connector-password-file", "-"), "", 2, ""},
		{"empty stdin", append(append([]string{}, base...), "-connector-password-file", "-"), "", 1, ""},
		{"dry run", append(append([]string{}, base...), "-dry-run", "-client-secret-file", secret, "-connector-password-file", "-"), "pw\n", 0, "dry run: 8 write(s) would be made"},
		{"created", append(append([]string{}, base...), "-client-secret-file", secret, "-connector-password-file", "-"), "pw\n", 0, "8 write(s) made"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			connect := func(tenant, root string) (API, API, error) {
				if tenant != "contoso.onmicrosoft.com" || root != DefaultGraphRoot {
					return nil, nil, errors.New("wrong tenant or root: " + tenant + " " + root)
				}
				s := f.setup(t, nil, false)
				return s.V1, s.Beta, nil
			}
			var out, errOut bytes.Buffer
			err := runSetup(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, &errOut, connect)
			if code := cli.ExitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d\n%s%s", code, err, tt.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out.String())
			}
			if strings.Contains(out.String()+errOut.String(), "client-secret-value") || strings.Contains(out.String()+errOut.String(), "hunter2") {
				t.Errorf("a secret was printed:\n%s%s", out.String(), errOut.String())
			}
		})
	}
}
