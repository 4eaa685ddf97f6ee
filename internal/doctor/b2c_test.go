package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"idmebridge/internal/policy"
)

const (
	b2cTenant = "contosodev.onmicrosoft.com" // the Development environment of policies/appsettings.json
	keySetID  = "B2C_1A_IdmeBridgeSecret"
)

// fakeB2C is Microsoft Graph beta for one B2C tenant, as far as doctor reads it. Each answer
// has the documented shape:
//   - GET trustFramework/keySets/{id}: 200 with a trustFrameworkKeySet {"id","keys":[...]}
//     (api-reference/beta/api/trustframeworkkeyset-get.md, microsoftgraph/microsoft-graph-docs-contrib);
//     each key a trustFrameworkKey with kid, use, kty, nbf, exp and status enabled|disabled
//     (api-reference/beta/resources/trustframeworkkey.md).
//   - GET trustFramework/keySets/{id}/getActiveKey: 200 with one trustFrameworkKey
//     (api-reference/beta/api/trustframeworkkeyset-getactivekey.md).
//   - GET trustFramework/policies/{id}/$value: 200 with the policy's XML, "the response content
//     type will be application/xml" (api-reference/beta/api/trustframeworkpolicy-get.md).
//   - anything missing: 404 with Graph's error resource {"error":{"code","message"}}
//     (concepts/errors.md, "Error resource type").
type fakeB2C struct {
	mu       sync.Mutex
	keySets  map[string]string // id -> keySet JSON
	active   map[string]string // id -> active key JSON
	policies map[string][]byte
	deny     bool // every request answered 403, as without the permission
	seen     []string
}

func (f *fakeB2C) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.EscapedPath()
	f.seen = append(f.seen, r.Method+" "+path)
	if r.Method != http.MethodGet || r.Header.Get("Authorization") == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	fail := func(status int, code, message string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
	}
	if f.deny {
		fail(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	const keySets, policies = "/beta/trustFramework/keySets/", "/beta/trustFramework/policies/"
	switch {
	case strings.HasPrefix(path, keySets) && strings.HasSuffix(path, "/getActiveKey"):
		if body, ok := f.active[strings.TrimSuffix(strings.TrimPrefix(path, keySets), "/getActiveKey")]; ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
			return
		}
	case strings.HasPrefix(path, keySets):
		if body, ok := f.keySets[strings.TrimPrefix(path, keySets)]; ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
			return
		}
	case strings.HasPrefix(path, policies) && strings.HasSuffix(path, "/$value"):
		if body, ok := f.policies[strings.TrimSuffix(strings.TrimPrefix(path, policies), "/$value")]; ok {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write(body)
			return
		}
	}
	fail(http.StatusNotFound, "ResourceNotFound", "Resource not found.")
}

// shippedPolicies is the repository's policies/ folder.
func shippedPolicies(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "policies")
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
}

// asB2CStores turns a rendered file into the copy B2C hands back, as Microsoft's examples of a
// downloaded policy show it (Learn, "Manage Azure AD B2C custom policies with PowerShell",
// "Download a policy"; Graph beta "Get trustFrameworkPolicy"): no XML declaration, the root's
// attributes on one line with TenantObjectId added, indented anew. Comments and CRLF line
// endings are dropped or added too, which the comparison must also survive.
func asB2CStores(data []byte) []byte {
	s := string(data)
	s = regexp.MustCompile(`^\s*<\?xml[^>]*\?>\s*`).ReplaceAllString(s, "")
	s = regexp.MustCompile(`(?s)<!--.*?-->`).ReplaceAllString(s, "")
	root := regexp.MustCompile(`(?s)<TrustFrameworkPolicy\b(.*?)>`)
	s = root.ReplaceAllStringFunc(s, func(m string) string {
		attrs := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(m, "<TrustFrameworkPolicy"), ">"))
		return "<TrustFrameworkPolicy " + strings.Join(attrs, " ") + ` TenantObjectId="00000000-0000-0000-0000-000000000000">`
	})
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			b.WriteString("  " + line + "\r\n")
		}
	}
	return []byte(b.String())
}

// b2cWorld is a tenant where everything is as it should be: the policy key with a current
// secret, and every rendered policy uploaded.
func b2cWorld(t *testing.T) (*fakeB2C, Options, []policy.Upload) {
	t.Helper()
	env, err := policy.LoadEnvironment(shippedPolicies(t), "Development")
	if err != nil {
		t.Fatal(err)
	}
	uploads, err := policy.RenderUploads(shippedPolicies(t), env)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeB2C{policies: map[string][]byte{},
		keySets: map[string]string{keySetID: `{"id":"` + keySetID + `","keys":[{"kid":"k1","use":"sig","kty":"oct","nbf":1700000000,"exp":4100000000,"status":"enabled"}]}`},
		active:  map[string]string{keySetID: `{"k":"never-shown","kid":"k1","use":"sig","kty":"oct","nbf":1700000000,"exp":4100000000}`},
	}
	for _, u := range uploads {
		f.policies[u.PolicyID] = asB2CStores(u.Data)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	o := Options{
		B2C:             B2COptions{Env: "Development", Dir: shippedPolicies(t), GraphURL: srv.URL + "/beta"},
		GraphCredential: &azfake.TokenCredential{},
		Timeout:         5 * time.Second,
		Now:             time.Now,
	}
	return f, o, uploads
}

func TestB2CChecksPassOnAGoodTenant(t *testing.T) {
	f, o, uploads := b2cWorld(t)
	findings := checkB2C(context.Background(), o)
	if !OK(findings) {
		var b strings.Builder
		Write(&b, findings)
		t.Fatalf("a good tenant fails:\n%s", b.String())
	}
	want(t, findings, "b2c.policy_key", Pass, keySetID+" in "+b2cTenant, "active key is k1")
	for _, u := range uploads {
		want(t, findings, "b2c.policies", Pass, u.PolicyID, "equal to the rendered "+u.File)
	}
	if n := len(findings); n != 1+len(uploads) {
		t.Errorf("%d findings, want one for the key and one per policy file (%d)", n, len(uploads))
	}
	for _, fd := range findings {
		if strings.Contains(fd.Detail+fd.Fix, "never-shown") {
			t.Errorf("a finding shows key material: %+v", fd)
		}
	}
	if len(f.seen) != 2+len(uploads) {
		t.Errorf("Graph saw %v", f.seen)
	}
}

func TestB2CPolicyKey(t *testing.T) {
	expired := `{"id":"` + keySetID + `","keys":[{"kid":"k1","use":"sig","kty":"oct","nbf":1500000000,"exp":1600000000}]}`
	tests := []struct {
		name    string
		breakIt func(f *fakeB2C)
		status  Status
		texts   []string
	}{
		{"present", func(*fakeB2C) {}, Pass, []string{"active key is k1", "valid until 2099-"}},
		{"missing", func(f *fakeB2C) { delete(f.keySets, keySetID) }, Fail, []string{"does not exist", "handler policy key -env Development"}},
		{"empty", func(f *fakeB2C) { f.keySets[keySetID] = `{"id":"` + keySetID + `","keys":[]}` }, Fail, []string{"no secret in it", "handler policy key"}},
		{"no current key: expired", func(f *fakeB2C) { f.keySets[keySetID] = expired }, Fail, []string{"no version of the policy key is valid now: 1 expired", "handler policy key -env Development"}},
		{"no current key: disabled and not yet valid", func(f *fakeB2C) {
			f.keySets[keySetID] = `{"id":"` + keySetID + `","keys":[{"kid":"k1","status":"disabled"},{"kid":"k2","nbf":"4000000000"}]}`
		}, Fail, []string{"1 not valid yet, 1 disabled"}},
		{"no active key", func(f *fakeB2C) { delete(f.active, keySetID) }, Fail, []string{"B2C reports no active key"}},
		{"no permission", func(f *fakeB2C) { f.deny = true }, Fail, []string{"HTTP 403", "TrustFrameworkKeySet.Read.All", "B2C IEF Keyset Administrator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o, _ := b2cWorld(t)
			tt.breakIt(f)
			want(t, checkB2C(context.Background(), o), "b2c.policy_key", tt.status, tt.texts...)
		})
	}
}

func TestB2CPolicies(t *testing.T) {
	const ext = "B2C_1A_IdmeBridge_Extensions"
	tests := []struct {
		name    string
		breakIt func(f *fakeB2C)
		status  Status
		texts   []string
	}{
		{"equal", func(*fakeB2C) {}, Pass, []string{ext, "equal to the rendered TrustFrameworkExtensions.IdmeBridge.xml"}},
		{"different", func(f *fakeB2C) {
			// The tenant still points at another bridge: line 1 of B2C's copy is the root, so the
			// rendered file's line and the copy's differ.
			f.policies[ext] = bytes.Replace(f.policies[ext], []byte("https://idme-bridge-dev.azurewebsites.net"), []byte("https://old-bridge.example.com"), 1)
		}, Fail, []string{ext, "differs from the rendered TrustFrameworkExtensions.IdmeBridge.xml from line ", "of the tenant's copy", "handler policy deploy -env Development"}},
		{"missing", func(f *fakeB2C) { delete(f.policies, ext) }, Fail, []string{ext, "missing", "handler policy deploy -env Development"}},
		{"not XML", func(f *fakeB2C) { f.policies[ext] = []byte("<html>") }, Fail, []string{"cannot compare", "not XML"}},
		{"no permission", func(f *fakeB2C) {
			f.deny = true
			f.keySets = nil
		}, Fail, []string{"HTTP 403", "Policy.Read.All", "B2C IEF Policy Administrator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o, _ := b2cWorld(t)
			tt.breakIt(f)
			findings := checkB2C(context.Background(), o)
			want(t, findings, "b2c.policies", tt.status, tt.texts...)
			for _, fd := range findings {
				if strings.Contains(fd.Detail, "old-bridge") || strings.Contains(fd.Detail, "idme-bridge-dev") {
					t.Errorf("a finding shows the policy's content: %+v", fd)
				}
			}
		})
	}
}

// TestB2CPolicyRefusalIsReportedOnce: a 403 on the first file stops the reads.
func TestB2CPolicyRefusalIsReportedOnce(t *testing.T) {
	f, o, uploads := b2cWorld(t)
	f.deny = true
	findings := checkB2C(context.Background(), o)
	var policies []Finding
	for _, fd := range findings {
		if fd.Check == "b2c.policies" {
			policies = append(policies, fd)
		}
	}
	if len(policies) != 2 || policies[0].Status != Fail || policies[1].Status != Skip {
		t.Fatalf("policy findings = %+v", policies)
	}
	want(t, findings, "b2c.policies", Skip, "more policy file(s) not read")
	if got := len(f.seen); got != 2 { // the key set, then the first policy file
		t.Errorf("Graph saw %d requests after a refusal, want 2 (of %d files): %v", got, len(uploads), f.seen)
	}
}

func TestB2CSettingsProblems(t *testing.T) {
	_, o, _ := b2cWorld(t)
	o.B2C.Env = "Staging"
	want(t, checkB2C(context.Background(), o), "b2c.settings", Fail, "Staging", "--b2c-env")

	// A template that does not render is reported, not compared.
	dir := t.TempDir()
	for _, name := range []string{"appsettings.json", "TrustFrameworkExtensions.IdmeBridge.xml"} {
		data, err := os.ReadFile(filepath.Join(shippedPolicies(t), name))
		if err != nil {
			t.Fatal(err)
		}
		if name != "appsettings.json" {
			data = bytes.Replace(data, []byte(`TechnicalProfileReferenceId="IdmeBridge-OIDC" />`), []byte(`TechnicalProfileReferenceId="NoSuchProfile" />`), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, o, _ = b2cWorld(t)
	o.B2C.Dir = dir
	want(t, checkB2C(context.Background(), o), "b2c.policies", Fail, "do not render", "handler policy render -src "+dir+" -env Development")
}

func TestB2CPolicyKeyNeedsItsSetting(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shippedPolicies(t), "appsettings.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data = bytes.Replace(data, []byte(`"BridgeClientSecretKey": "B2C_1A_IdmeBridgeSecret",`), nil, 1)
	if err := os.WriteFile(filepath.Join(dir, "appsettings.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, o, _ := b2cWorld(t)
	o.B2C.Dir = dir
	want(t, checkB2C(context.Background(), o), "b2c.policy_key", Fail, `environment "Development"`, "sets no BridgeClientSecretKey")
}
