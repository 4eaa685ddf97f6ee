package policy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/cli"
)

func TestRunRender(t *testing.T) {
	src := shippedDir(t)
	withSchema := func(t *testing.T) []string {
		xmllintOrSkip(t)
		return []string{"-schema", schemaOrSkip(t)}
	}
	tests := []struct {
		name    string
		args    func(t *testing.T, out string) []string
		wantErr string
		wantOut []string
	}{
		{
			name: "render and check",
			args: func(t *testing.T, out string) []string {
				return []string{"render", "-src", src, "-env", "Development", "-out", out}
			},
			wantOut: []string{"rendered 8 policy files for Development",
				"upload them in this order: " + extFile + ", " + linkFile + ", " + susiFile + ", UnlinkIdmeAccount.xml, " + verifyFile +
					", VerifyResponderWithIdme.xml, VerifyStudentWithIdme.xml, VerifyTeacherWithIdme.xml",
				"redirect URIs", "  https://contosodev.b2clogin.com/contosodev.onmicrosoft.com/oauth2/authresp\n"},
		},
		{
			name: "with schema and bridge",
			args: func(t *testing.T, out string) []string {
				return append([]string{"render", "-src", src, "-env", "Production", "-out", out,
					"-issuer", "https://idme-bridge.azurewebsites.net", "-client", "b2c-contoso"}, withSchema(t)...)
			},
			wantOut: []string{"rendered 8 policy files for Production"},
		},
		{
			name: "issuer with a trailing slash, as the bridge reads BRIDGE_ISSUER",
			args: func(t *testing.T, out string) []string {
				return []string{"render", "-src", src, "-env", "Production", "-out", out,
					"-issuer", "https://idme-bridge.azurewebsites.net/", "-client", "b2c-contoso"}
			},
			wantOut: []string{"rendered 8 policy files for Production"},
		},
		{
			name: "another bridge",
			args: func(t *testing.T, out string) []string {
				return []string{"render", "-src", src, "-env", "Production", "-out", out,
					"-issuer", devIssuer, "-client", "b2c-contoso"}
			},
			wantErr: ErrDisagree.Error(),
		},
		{
			name: "issuer without client",
			args: func(t *testing.T, out string) []string {
				return []string{"render", "-src", src, "-out", out, "-issuer", devIssuer}
			},
			wantErr: "-issuer and -client go together",
		},
		{
			name: "unknown environment",
			args: func(t *testing.T, out string) []string {
				return []string{"render", "-src", src, "-env", "QA", "-out", out}
			},
			wantErr: ErrUnknownEnvironment.Error(),
		},
		{
			name:    "no subcommand",
			args:    func(t *testing.T, out string) []string { return nil },
			wantErr: "a command is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			out := filepath.Join(t.TempDir(), "build")
			err := Run(context.Background(), tt.args(t, out), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Run = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v\nstderr: %s", err, stderr.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout %q lacks %q", stdout.String(), want)
				}
			}
		})
	}
}

// Problems found in the rendered files are printed one per line and fail the command.
func TestRunRenderReportsProblems(t *testing.T) {
	src := copyShipped(t, `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{`+testSettings+`}}]}`)
	files := mutate(t, readDir(t, src), extFile, `Key="response_mode"`, `Key="responseMode"`, 1)
	if err := writeDir(src, files); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"render", "-src", src, "-env", "Dev", "-out", filepath.Join(t.TempDir(), "o")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 problem(s)") || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("Run = %v, want one problem and nothing written", err)
	}
	if !strings.Contains(stderr.String(), `"responseMode"`) {
		t.Errorf("stderr does not name the key: %s", stderr.String())
	}
}

func TestRunRenderMissingSchema(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "o")
	err := Run(context.Background(), []string{"render", "-src", shippedDir(t), "-out", out,
		"-schema", filepath.Join(t.TempDir(), "missing.xsd")}, &stdout, &stderr)
	if !errors.Is(err, ErrNoSchema) {
		t.Fatalf("Run with a missing schema = %v, want ErrNoSchema", err)
	}
	for _, want := range []string{"missing.xsd", "TrustFrameworkPolicy_0.3.0.0.xsd", "nothing written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Errorf("files were written although the render was refused (%v)", statErr)
	}
}

// A render that any check refuses writes nothing: no file may look ready to upload.
func TestRunRenderIsAtomic(t *testing.T) {
	src := shippedDir(t)
	schemaBreaker := copyShipped(t, `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{`+testSettings+`}}]}`)
	files := mutate(t, readDir(t, schemaBreaker), susiFile, `PolicySchemaVersion="0.3.0.0"`, `PolicySchemaVersion="0.3"`, 1)
	if err := writeDir(schemaBreaker, files); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		need func(t *testing.T) []string
	}{
		{"issuer of another bridge", []string{"render", "-src", src, "-env", "Production", "-issuer", devIssuer, "-client", "b2c-contoso"}, nil},
		{"client of another tenant", []string{"render", "-src", src, "-env", "Production", "-issuer", "https://idme-bridge.azurewebsites.net", "-client", "b2c-other"}, nil},
		{"schema refuses", []string{"render", "-src", schemaBreaker, "-env", "Dev"}, func(t *testing.T) []string {
			xmllintOrSkip(t)
			return []string{"-schema", schemaOrSkip(t)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Clone(tt.args)
			if tt.need != nil {
				args = append(args, tt.need(t)...)
			}
			out := filepath.Join(t.TempDir(), "build")
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), append(args, "-out", out), &stdout, &stderr)
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Errorf("refused render (%v) wrote %s (%v)", err, out, statErr)
			}
		})
	}
}

// -h prints the usage to stdout and succeeds; unknown flags and extra arguments are errors
// that print the usage.
func TestRunRenderHelpAndMistakes(t *testing.T) {
	tests := []struct {
		args       []string
		wantErr    string
		wantStdout string
		wantStderr string
	}{
		{args: []string{"render", "-h"}, wantStdout: "usage: handler policy render"},
		{args: []string{"render", "--help"}, wantStdout: "-schema"},
		{args: []string{"-h"}, wantStdout: "usage: handler policy <subcommand>"},
		{args: []string{"help", "render"}, wantStdout: "usage: handler policy render"},
		{args: []string{"render", "-nope"}, wantErr: "flag provided but not defined", wantStderr: "usage: handler policy render"},
		{args: []string{"render", "extra"}, wantErr: `unexpected argument "extra"`, wantStderr: "usage: handler policy render"},
		{args: []string{"draw"}, wantErr: `unknown subcommand "draw"`, wantStderr: "usage: handler policy <subcommand>"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), tt.args, &stdout, &stderr)
			if tt.wantErr == "" && cli.ExitCode(err) != 0 {
				t.Fatalf("Run = %v, want success", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Run = %v, want an error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stdout %q / stderr %q, want %q / %q", stdout.String(), stderr.String(), tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
