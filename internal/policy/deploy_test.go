package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"idmebridge/internal/b2cgraph"
)

// staticToken is a credential for the fake Graph.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "deploy-test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// graphRequest is one request the fake Graph received.
type graphRequest struct {
	method, path, auth, contentType string
	body                            []byte
}

// fakeGraphServer speaks the documented trustFramework endpoints: PUT policies/{id}/$value
// (201 the first time, 200 after), keySets GET/POST and uploadSecret. refuse makes a policy
// upload fail with B2C's validation answer.
type fakeGraphServer struct {
	mu       sync.Mutex
	requests []graphRequest
	policies map[string][]byte
	keySets  map[string]int // id -> number of secrets uploaded
	refuse   string         // policy id to refuse
}

func (f *fakeGraphServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.EscapedPath()
	f.requests = append(f.requests, graphRequest{r.Method, path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
	w.Header().Set("Content-Type", "application/json")
	const policies, keySets = "/beta/trustFramework/policies/", "/beta/trustFramework/keySets"
	switch {
	case r.Method == http.MethodPut && strings.HasPrefix(path, policies) && strings.HasSuffix(path, "/$value"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, policies), "/$value")
		if id == f.refuse {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"code":"AADB2C","message":"Validation failed: Policy 'B2C_1A_TrustFrameworkExtensions' of tenant 'contosodev.onmicrosoft.com' does not exist."}}`)
			return
		}
		if _, ok := f.policies[id]; ok {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusCreated)
		}
		f.policies[id] = body
	case r.Method == http.MethodGet && strings.HasPrefix(path, keySets+"/"):
		id := strings.TrimPrefix(path, keySets+"/")
		if _, ok := f.keySets[id]; !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"AADB2C","message":"The key set was not found."}}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "keys": []any{}})
	case r.Method == http.MethodPost && path == keySets:
		var req struct{ ID string }
		_ = json.Unmarshal(body, &req)
		id := b2cgraph.KeySetPrefix + req.ID
		f.keySets[id] = 0
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "keys": []any{}})
	case r.Method == http.MethodPost && strings.HasPrefix(path, keySets+"/") && strings.HasSuffix(path, "/uploadSecret"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, keySets+"/"), "/uploadSecret")
		f.keySets[id]++
		_ = json.NewEncoder(w).Encode(map[string]any{"kid": "kid-1", "use": "sig", "kty": "OCT"})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"ResourceNotFound","message":"unexpected request"}}`)
	}
}

// fakeConnect serves a real b2cgraph.Client pointed at a fake Graph, and records the tenant.
func fakeConnect(t *testing.T, f *fakeGraphServer) (connectFunc, *[]string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var tenants []string
	return func(tenant, baseURL string) (graph, error) {
		tenants = append(tenants, tenant)
		return b2cgraph.New(staticToken{}, b2cgraph.Options{BaseURL: srv.URL + "/beta", HTTPClient: srv.Client()})
	}, &tenants
}

func newFakeGraphServer() *fakeGraphServer {
	return &fakeGraphServer{policies: map[string][]byte{}, keySets: map[string]int{}}
}

func TestDeployUploadsEachFileAfterItsBase(t *testing.T) {
	f := newFakeGraphServer()
	connect, tenants := fakeConnect(t, f)
	out := filepath.Join(t.TempDir(), "build")
	var stdout, stderr bytes.Buffer
	err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Development", "-out", out}, &stdout, &stderr, connect)
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr.String())
	}
	if !slices.Equal(*tenants, []string{"contosodev.onmicrosoft.com"}) {
		t.Errorf("signed in to %v, want the environment's tenant", *tenants)
	}
	var order []string
	for _, r := range f.requests {
		if r.method != http.MethodPut || r.auth != "Bearer deploy-test-token" || r.contentType != "application/xml" {
			t.Errorf("request %s %s auth %q type %q", r.method, r.path, r.auth, r.contentType)
		}
		order = append(order, r.path)
	}
	want := []string{
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_Extensions/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_Link/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_SignUpOrSignIn/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_Unlink/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_VerifyMilitary/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_VerifyResponder/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_VerifyStudent/$value",
		"/beta/trustFramework/policies/B2C_1A_IdmeBridge_VerifyTeacher/$value",
	}
	if !slices.Equal(order, want) {
		t.Fatalf("upload order\n got %v\nwant %v", order, want)
	}
	// Each body is the rendered file, byte for byte.
	files := readDir(t, out)
	for name, data := range files {
		p, err := parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.policies[p.doc.PolicyID], data) {
			t.Errorf("%s: uploaded body differs from the rendered file", name)
		}
		if bytes.Contains(data, []byte("{Settings:")) {
			t.Errorf("%s: uploaded with an unrendered token", name)
		}
	}
	if !strings.Contains(stdout.String(), "created B2C_1A_IdmeBridge_Extensions") || !strings.Contains(stdout.String(), "uploaded 8 policy files") {
		t.Errorf("stdout = %q", stdout.String())
	}

	// A second deploy replaces what the first created.
	stdout.Reset()
	if err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Development", "-out", out}, &stdout, &stderr, connect); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "replaced B2C_1A_IdmeBridge_Extensions") {
		t.Errorf("second deploy stdout = %q", stdout.String())
	}
}

func TestDeployStopsAtTheFirstRefusal(t *testing.T) {
	f := newFakeGraphServer()
	f.refuse = "B2C_1A_IdmeBridge_Extensions"
	connect, _ := fakeConnect(t, f)
	var stdout, stderr bytes.Buffer
	err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Development", "-out", t.TempDir()}, &stdout, &stderr, connect)
	if err == nil {
		t.Fatal("deploy succeeded although Graph refused the extensions file")
	}
	for _, want := range []string{"TrustFrameworkExtensions.IdmeBridge.xml", "does not exist", "uploaded before it: none"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(f.requests) != 1 {
		t.Errorf("Graph saw %d requests; the files extending a refused one must not be sent", len(f.requests))
	}
}

func TestDeployRefusesBeforeConnecting(t *testing.T) {
	broken := t.TempDir()
	copyPolicies(t, shippedDir(t), broken)
	// A typo in a reference: the checks catch it, so nothing reaches the tenant.
	ext := filepath.Join(broken, "TrustFrameworkExtensions.IdmeBridge.xml")
	data, err := os.ReadFile(ext)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ext, bytes.Replace(data, []byte(`<PolicyId>B2C_1A_TrustFrameworkExtensions</PolicyId>`), []byte(`<PolicyId>B2C_1A_TrustFrameworkExtensionz</PolicyId>`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no environment", []string{"-src", shippedDir(t)}, "-env is required"},
		{"unknown environment", []string{"-src", shippedDir(t), "-env", "Staging"}, "Staging"},
		{"wrong tenant", []string{"-src", shippedDir(t), "-env", "Development", "-tenant", "contoso.onmicrosoft.com"}, `not "contoso.onmicrosoft.com"`},
		{"broken reference", []string{"-src", broken, "-env", "Development"}, "nothing uploaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connected := false
			connect := func(string, string) (graph, error) { connected = true; return nil, errors.New("must not connect") }
			args := append(tt.args, "-out", filepath.Join(t.TempDir(), "out"))
			err := runDeploy(context.Background(), args, io.Discard, io.Discard, connect)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if connected {
				t.Error("connected to Graph although the files were refused")
			}
		})
	}
}

// A file an earlier render left in the output folder (here a community since dropped from
// VerifyCommunities) is not uploaded: only what this run rendered and checked is.
func TestDeployIgnoresStaleFilesInTheOutputFolder(t *testing.T) {
	out := t.TempDir()
	stale := []byte(`<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" TenantId="contoso.onmicrosoft.com" PolicyId="B2C_1A_IdmeBridge_VerifyPilot"><BasePolicy><TenantId>contoso.onmicrosoft.com</TenantId><PolicyId>B2C_1A_IdmeBridge_Extensions</PolicyId></BasePolicy></TrustFrameworkPolicy>`)
	if err := os.WriteFile(filepath.Join(out, "VerifyPilotWithIdme.xml"), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	connect := func(string, string) (graph, error) { return nil, errors.New("must not connect") }
	if err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Production", "-out", out, "-dry-run"}, &stdout, io.Discard, connect); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "VerifyPilot") {
		t.Errorf("a stale file would be uploaded:\n%s", stdout.String())
	}
}

func TestDeployDryRunListsTheOrder(t *testing.T) {
	var stdout bytes.Buffer
	connect := func(string, string) (graph, error) { return nil, errors.New("must not connect") }
	if err := runDeploy(context.Background(), []string{"-src", shippedDir(t), "-env", "Production", "-out", t.TempDir(), "-dry-run"}, &stdout, io.Discard, connect); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 8 || !strings.Contains(lines[0], "B2C_1A_IdmeBridge_Extensions to contoso.onmicrosoft.com") {
		t.Errorf("dry run printed %q", stdout.String())
	}
}

func TestKeyCreatesTheKeySetAndUploadsTheSecret(t *testing.T) {
	f := newFakeGraphServer()
	connect, tenants := fakeConnect(t, f)
	var stdout bytes.Buffer
	stdin := strings.NewReader("a-long-random-client-secret\n")
	if err := runKey(context.Background(), []string{"-src", shippedDir(t), "-env", "Development"}, stdin, &stdout, io.Discard, connect); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*tenants, []string{"contosodev.onmicrosoft.com"}) {
		t.Errorf("signed in to %v", *tenants)
	}
	var paths []string
	for _, r := range f.requests {
		paths = append(paths, r.method+" "+r.path)
	}
	want := []string{
		"GET /beta/trustFramework/keySets/B2C_1A_IdmeBridgeSecret",
		"POST /beta/trustFramework/keySets",
		"POST /beta/trustFramework/keySets/B2C_1A_IdmeBridgeSecret/uploadSecret",
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("requests\n got %v\nwant %v", paths, want)
	}
	var created map[string]string
	if err := json.Unmarshal(f.requests[1].body, &created); err != nil || created["id"] != "IdmeBridgeSecret" {
		t.Errorf("create body = %s", f.requests[1].body)
	}
	var upload map[string]any
	if err := json.Unmarshal(f.requests[2].body, &upload); err != nil {
		t.Fatal(err)
	}
	if upload["use"] != "sig" || upload["k"] != "a-long-random-client-secret" {
		t.Errorf("upload body = %s, want use sig and the secret without its line break", f.requests[2].body)
	}
	if strings.Contains(stdout.String(), "a-long-random-client-secret") {
		t.Error("the secret was printed")
	}
	if !strings.Contains(stdout.String(), "created policy key B2C_1A_IdmeBridgeSecret") {
		t.Errorf("stdout = %q", stdout.String())
	}

	// Rotation: the key set exists, so only a new version is uploaded.
	f.requests = nil
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("the-next-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runKey(context.Background(), []string{"-tenant", "contosodev.onmicrosoft.com", "-name", "IdmeBridgeSecret", "-secret-file", secretFile}, strings.NewReader(""), io.Discard, io.Discard, connect); err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 2 || f.keySets["B2C_1A_IdmeBridgeSecret"] != 2 {
		t.Errorf("rotation made %d requests, %d secrets stored", len(f.requests), f.keySets["B2C_1A_IdmeBridgeSecret"])
	}
}

func TestKeyRefusesBadSecrets(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"empty", nil, "\n", "empty"},
		{"two lines", nil, "one\ntwo\n", "more than one line"},
		{"placeholder", nil, "replace-with-a-long-random-secret-shared-with-b2c\n", "placeholder"},
		{"too long", nil, strings.Repeat("x", maxSecret+1), "more than"},
		{"value on the command line", []string{"s3cret"}, "", "never the command line"},
		{"no tenant", []string{"-src", shippedDir(t), "-name", "X"}, "s", "give -env"},
		{"missing file", []string{"-secret-file", "/nonexistent/secret"}, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !slices.Contains(args, "-name") {
				args = append([]string{"-src", shippedDir(t), "-env", "Development"}, args...)
			}
			connect := func(string, string) (graph, error) { return nil, errors.New("must not connect") }
			err := runKey(context.Background(), args, strings.NewReader(tt.stdin), io.Discard, io.Discard, connect)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Error("the error repeats the secret")
			}
		})
	}
}

func TestRunDispatchesDeployAndKey(t *testing.T) {
	var stderr bytes.Buffer
	if err := Run(context.Background(), []string{"deploy"}, io.Discard, &stderr); err == nil || !strings.Contains(err.Error(), "-env is required") {
		t.Errorf("policy deploy without -env: %v", err)
	}
	if err := Run(context.Background(), []string{"key", "value"}, io.Discard, &stderr); err == nil || !strings.Contains(err.Error(), "never the command line") {
		t.Errorf("policy key with an argument: %v", err)
	}
}

// copyPolicies copies the templates and settings of src into dst.
func copyPolicies(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
