package b2cgraph

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

const testToken = "graph-test-token"

// fakeCredential hands out a fixed token and remembers the scopes asked for.
type fakeCredential struct {
	mu     sync.Mutex
	scopes []string
	err    error
}

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, o.Scopes...)
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// request is what the fake Graph saw.
type request struct {
	Method, Path, Auth, ContentType string
	Body                            string
}

// fakeGraph answers each request with the handler for "METHOD path" and records it.
type fakeGraph struct {
	t        *testing.T
	mu       sync.Mutex
	seen     []request
	handlers map[string]func(w http.ResponseWriter, body string)
}

func newFakeGraph(t *testing.T) (*fakeGraph, *Client, *fakeCredential) {
	t.Helper()
	g := &fakeGraph{t: t, handlers: map[string]func(http.ResponseWriter, string){}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	cred := &fakeCredential{}
	c, err := New(cred, Options{BaseURL: srv.URL + "/beta", HTTPClient: srv.Client(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return g, c, cred
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// EscapedPath: the literal "$value" segment must arrive as Graph documents it.
	path := r.URL.EscapedPath()
	g.mu.Lock()
	g.seen = append(g.seen, request{r.Method, path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)})
	h, ok := g.handlers[r.Method+" "+path]
	g.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"ResourceNotFound","message":"no such resource"}}`)
		return
	}
	h(w, string(body))
}

func (g *fakeGraph) on(methodPath string, h func(w http.ResponseWriter, body string)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handlers[methodPath] = h
}

func reply(status int, body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", "req-123")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestUploadPolicy(t *testing.T) {
	const doc = `<TrustFrameworkPolicy PolicyId="B2C_1A_TrustFrameworkExtensions_IdmeBridge"/>`
	tests := []struct {
		name        string
		status      int
		body        string
		wantCreated bool
		wantErr     string
	}{
		{"replaced", http.StatusOK, "", false, ""},
		{"created", http.StatusCreated, "", true, ""},
		{"validation refused", http.StatusBadRequest,
			`{"error":{"code":"AADB2C","message":"Validation failed: 1 validation error(s) found in policy \"B2C_1A_TRUSTFRAMEWORKEXTENSIONS_IDMEBRIDGE\" of tenant \"contoso.onmicrosoft.com\".Policy 'B2C_1A_TrustFrameworkBase' of tenant 'contoso.onmicrosoft.com' does not exist.","innerError":{"request-id":"inner-9"}}}`,
			false, "does not exist"},
		{"no permission", http.StatusForbidden,
			`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`,
			false, "Policy.ReadWrite.TrustFramework"},
		{"wrong tenant token", http.StatusUnauthorized,
			`{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}`,
			false, "az login --tenant"},
		{"proxy page", http.StatusBadGateway, "<html>bad gateway</html>", false, "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c, cred := newFakeGraph(t)
			path := "/beta/trustFramework/policies/B2C_1A_TrustFrameworkExtensions_IdmeBridge/$value"
			g.on("PUT "+path, reply(tt.status, tt.body))
			created, err := c.UploadPolicy(context.Background(), "B2C_1A_TrustFrameworkExtensions_IdmeBridge", []byte(doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				var ge *Error
				if !errors.As(err, &ge) || ge.Status != tt.status {
					t.Fatalf("error %v is not a *Error with status %d", err, tt.status)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if created != tt.wantCreated {
				t.Errorf("created = %v, want %v", created, tt.wantCreated)
			}
			if len(g.seen) != 1 {
				t.Fatalf("Graph saw %d requests, want 1", len(g.seen))
			}
			got := g.seen[0]
			want := request{"PUT", path, "Bearer " + testToken, "application/xml", doc}
			if got != want {
				t.Errorf("request = %+v\nwant      %+v", got, want)
			}
			if len(cred.scopes) != 1 || cred.scopes[0] != strings.TrimSuffix(c.baseURL, "/beta")+"/.default" {
				t.Errorf("token scopes = %v, want Graph's host + /.default", cred.scopes)
			}
		})
	}
}

func TestUploadPolicyErrorNamesRequestID(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	g.on("PUT /beta/trustFramework/policies/B2C_1A_X/$value",
		reply(http.StatusBadRequest, `{"error":{"code":"AADB2C","message":"bad","innerError":{"request-id":"inner-9"}}}`))
	_, err := c.UploadPolicy(context.Background(), "B2C_1A_X", []byte("<x/>"))
	if err == nil || !strings.Contains(err.Error(), "request-id inner-9") || !strings.Contains(err.Error(), "upload policy B2C_1A_X") {
		t.Fatalf("error = %v, want the operation and Graph's request id", err)
	}
}

func TestIDsThatWouldChangeThePathAreRefused(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	for _, id := range []string{"", "B2C_1A_X/../../users", "B2C_1A_X?y", "B2C_1A_X#", "a b", "B2C_1A_%2e"} {
		if _, err := c.UploadPolicy(context.Background(), id, []byte("<x/>")); err == nil {
			t.Errorf("UploadPolicy(%q) succeeded", id)
		}
		if _, err := c.UploadSecret(context.Background(), id, Secret{Use: "sig", Value: "s"}); err == nil {
			t.Errorf("UploadSecret(%q) succeeded", id)
		}
	}
	if len(g.seen) != 0 {
		t.Errorf("Graph saw %d requests for refused ids", len(g.seen))
	}
}

func TestTokenFailureStopsBeforeGraph(t *testing.T) {
	g, c, cred := newFakeGraph(t)
	cred.err = errors.New("no az login")
	_, err := c.UploadPolicy(context.Background(), "B2C_1A_X", []byte("<x/>"))
	if err == nil || !strings.Contains(err.Error(), "no az login") {
		t.Fatalf("error = %v, want the credential's", err)
	}
	if len(g.seen) != 0 {
		t.Errorf("Graph saw %d requests without a token", len(g.seen))
	}
}

func TestCallTimesOut(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	c.timeout = 50 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	g.on("PUT /beta/trustFramework/policies/B2C_1A_X/$value", func(w http.ResponseWriter, _ string) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	start := time.Now()
	_, err := c.UploadPolicy(context.Background(), "B2C_1A_X", []byte("<x/>"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("call took %v with a 50ms timeout", time.Since(start))
	}
}

func TestKeySetID(t *testing.T) {
	for in, want := range map[string]string{
		"IdmeBridgeSecret":        "B2C_1A_IdmeBridgeSecret",
		"B2C_1A_IdmeBridgeSecret": "B2C_1A_IdmeBridgeSecret",
		"b2c_1a_IdmeBridgeSecret": "B2C_1A_IdmeBridgeSecret",
	} {
		if got := KeySetID(in); got != want {
			t.Errorf("KeySetID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnsureKeySetCreatesAMissingOne(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	// GET answers 404 (no handler); POST creates it under the prefixed id, as Graph does.
	g.on("POST /beta/trustFramework/keySets", func(w http.ResponseWriter, body string) {
		var req map[string]string
		if err := json.Unmarshal([]byte(body), &req); err != nil || req["id"] != "IdmeBridgeSecret" {
			t.Errorf("create body = %s, want {\"id\":\"IdmeBridgeSecret\"}", body)
		}
		reply(http.StatusCreated, `{"id":"B2C_1A_IdmeBridgeSecret","keys":[]}`)(w, body)
	})
	ks, created, err := c.EnsureKeySet(context.Background(), "B2C_1A_IdmeBridgeSecret")
	if err != nil || !created || ks.ID != "B2C_1A_IdmeBridgeSecret" {
		t.Fatalf("EnsureKeySet = %+v, %v, %v", ks, created, err)
	}
	if len(g.seen) != 2 || g.seen[0].Method != "GET" || g.seen[0].Path != "/beta/trustFramework/keySets/B2C_1A_IdmeBridgeSecret" ||
		g.seen[1].ContentType != "application/json" || g.seen[1].Auth != "Bearer "+testToken {
		t.Errorf("requests = %+v", g.seen)
	}
}

func TestEnsureKeySetKeepsAnExistingOne(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	g.on("GET /beta/trustFramework/keySets/B2C_1A_IdmeBridgeSecret",
		reply(http.StatusOK, `{"id":"B2C_1A_IdmeBridgeSecret","keys":[{"kid":"k1","use":"sig","kty":"oct","nbf":1700000000}]}`))
	ks, created, err := c.EnsureKeySet(context.Background(), "IdmeBridgeSecret")
	if err != nil || created || len(ks.Keys) != 1 || ks.Keys[0].KID != "k1" {
		t.Fatalf("EnsureKeySet = %+v, %v, %v", ks, created, err)
	}
	if len(g.seen) != 1 {
		t.Errorf("Graph saw %d requests, want only the read", len(g.seen))
	}
}

func TestEnsureKeySetStopsOnOtherErrors(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	g.on("GET /beta/trustFramework/keySets/B2C_1A_S", reply(http.StatusForbidden, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}`))
	_, _, err := c.EnsureKeySet(context.Background(), "S")
	if err == nil || !strings.Contains(err.Error(), "TrustFrameworkKeySet.ReadWrite.All") {
		t.Fatalf("error = %v, want the permission hint", err)
	}
	if len(g.seen) != 1 {
		t.Errorf("a refused read must not be followed by a create; Graph saw %d requests", len(g.seen))
	}
}

func TestCreateKeySetRefusesARenamedID(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	g.on("POST /beta/trustFramework/keySets", reply(http.StatusCreated, `{"id":"B2C_1A_IdmeBridgeSecret1","keys":[]}`))
	if _, err := c.CreateKeySet(context.Background(), "IdmeBridgeSecret"); err == nil || !strings.Contains(err.Error(), "B2C_1A_IdmeBridgeSecret1") {
		t.Fatalf("error = %v, want the id Graph chose", err)
	}
}

func TestUploadSecret(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	const path = "/beta/trustFramework/keySets/B2C_1A_IdmeBridgeSecret/uploadSecret"
	g.on("POST "+path, reply(http.StatusOK, `{"kid":"kid-1","use":"sig","kty":"OCT","nbf":"1508969811","exp":"1508973711"}`))
	nbf := time.Unix(1508969811, 0)
	k, err := c.UploadSecret(context.Background(), "B2C_1A_IdmeBridgeSecret", Secret{Use: "sig", Value: "s3cret&\"", NotBefore: nbf})
	if err != nil {
		t.Fatal(err)
	}
	if k.KID != "kid-1" || k.Use != "sig" {
		t.Errorf("key = %+v", k)
	}
	got := g.seen[0]
	if got.Method != "POST" || got.Path != path || got.ContentType != "application/json" || got.Auth != "Bearer "+testToken {
		t.Errorf("request = %+v", got)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(got.Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"use": "sig", "k": "s3cret&\"", "nbf": float64(1508969811)}
	if len(body) != len(want) {
		t.Errorf("body = %v, want %v (no exp when none is given)", body, want)
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body[%s] = %v, want %v", k, body[k], v)
		}
	}
}

func TestUploadSecretErrorsNeverCarryTheSecret(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	g.on("POST /beta/trustFramework/keySets/B2C_1A_S/uploadSecret", reply(http.StatusBadRequest, `{"error":{"code":"AADB2C","message":"The key is invalid."}}`))
	_, err := c.UploadSecret(context.Background(), "S", Secret{Use: "sig", Value: "do-not-print-me"})
	if err == nil || strings.Contains(err.Error(), "do-not-print-me") || !strings.Contains(err.Error(), "The key is invalid.") {
		t.Fatalf("error = %v", err)
	}
}

func TestUploadSecretChecksItsInput(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	for _, s := range []Secret{{Use: "sig"}, {Use: "", Value: "x"}, {Use: "signature", Value: "x"}} {
		if _, err := c.UploadSecret(context.Background(), "S", s); err == nil {
			t.Errorf("UploadSecret(%+v) succeeded", s)
		}
	}
	if len(g.seen) != 0 {
		t.Errorf("Graph saw %d requests", len(g.seen))
	}
}

func TestNewRefusesPlainHTTPElsewhere(t *testing.T) {
	if _, err := New(&fakeCredential{}, Options{BaseURL: "http://graph.example.com/beta"}); err == nil {
		t.Error("plain http to a remote Graph accepted")
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("nil credential accepted")
	}
	c, err := New(&fakeCredential{}, Options{})
	if err != nil || c.baseURL != DefaultBaseURL || c.scope != "https://graph.microsoft.com/.default" {
		t.Errorf("default client = %+v, %v", c, err)
	}
}
