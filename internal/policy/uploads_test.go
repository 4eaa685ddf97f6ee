package policy

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderUploadsIsWhatDeployUploads: the files, their order and their bytes are deploy's,
// so a comparison with the tenant's copies compares with what deploy would put there.
func TestRenderUploadsIsWhatDeployUploads(t *testing.T) {
	f := newFakeGraphServer()
	connect, _ := fakeConnect(t, f)
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "build")
	if err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Development", "-out", out}, &stdout, &stderr, connect); err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr.String())
	}
	env, err := LoadEnvironment(shippedDir(t), "Development")
	if err != nil {
		t.Fatal(err)
	}
	uploads, err := RenderUploads(shippedDir(t), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(uploads) != len(f.requests) {
		t.Fatalf("%d uploads, deploy made %d", len(uploads), len(f.requests))
	}
	for i, u := range uploads {
		if want := "/beta/trustFramework/policies/" + u.PolicyID + "/$value"; f.requests[i].path != want {
			t.Errorf("upload %d is %s, deploy uploaded %s", i, want, f.requests[i].path)
		}
		if !bytes.Equal(u.Data, f.policies[u.PolicyID]) {
			t.Errorf("%s (%s) differs from what deploy uploaded", u.PolicyID, u.File)
		}
	}
}

func TestRenderUploadsRefusesWhatDeployRefuses(t *testing.T) {
	files := mutate(t, readDir(t, shippedDir(t)), "TrustFrameworkExtensions.IdmeBridge.xml",
		`TechnicalProfileReferenceId="IdmeBridge-OIDC" />`, `TechnicalProfileReferenceId="NoSuchProfile" />`, 1)
	src := writeFiles(t, files)
	env, err := LoadEnvironment(shippedDir(t), "Development")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RenderUploads(src, env); err == nil || !strings.Contains(err.Error(), "problem(s) in the files rendered for Development") {
		t.Fatalf("error = %v, want the render's problems", err)
	}
	if _, err := LoadEnvironment(shippedDir(t), "Staging"); err == nil {
		t.Error("LoadEnvironment found an environment appsettings.json does not have")
	}
}
