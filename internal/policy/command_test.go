package policy

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
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
			wantOut: []string{"rendered 3 policy files for Development",
				"upload them in this order: " + extFile + ", " + susiFile + ", " + verifyFile},
		},
		{
			name: "with schema and bridge",
			args: func(t *testing.T, out string) []string {
				return append([]string{"render", "-src", src, "-env", "Production", "-out", out,
					"-issuer", "https://idme-bridge.azurewebsites.net", "-client", "b2c-contoso"}, withSchema(t)...)
			},
			wantOut: []string{"rendered 3 policy files for Production"},
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
			wantErr: "render subcommand is required",
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
	src := copyShipped(t, `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{"TenantName":"c","BridgeUrl":"https://b.example","BridgeClientId":"id","BridgeClientSecretKey":"K","IdmeScopes":"military"}}]}`)
	files := mutate(t, readDir(t, src), extFile, `Key="response_mode"`, `Key="responseMode"`, 1)
	if err := writeDir(src, files); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"render", "-src", src, "-env", "Dev", "-out", filepath.Join(t.TempDir(), "o")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 problem(s)") {
		t.Fatalf("Run = %v, want one problem", err)
	}
	if !strings.Contains(stderr.String(), `"responseMode"`) {
		t.Errorf("stderr does not name the key: %s", stderr.String())
	}
}

func TestRunRenderSchemaFailure(t *testing.T) {
	xmllintOrSkip(t)
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"render", "-src", shippedDir(t), "-out", filepath.Join(t.TempDir(), "o"),
		"-schema", filepath.Join(t.TempDir(), "missing.xsd")}, &stdout, &stderr)
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("Run with a missing schema = %v, want ErrSchema", err)
	}
}
