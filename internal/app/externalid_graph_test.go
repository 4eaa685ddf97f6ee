package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/config"
	"idmebridge/internal/entrauser"
)

// stubIdentity stands in for the managed identity and records the scopes asked of it.
type stubIdentity struct {
	mu     sync.Mutex
	scopes []string
}

func (s *stubIdentity) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = append(s.scopes, o.Scopes...)
	return azcore.AccessToken{Token: "managed-identity-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestGraphCredentialForTheExternalIDTenant: with EXTERNALID_GRAPH_CLIENT_ID the Graph token
// comes from the External ID tenant, for that app, with the managed identity's token (audience
// api://AzureADTokenExchange) as its client assertion; without it, the identity is used as is.
func TestGraphCredentialForTheExternalIDTenant(t *testing.T) {
	const tenant, graphApp = "8a2b9e61-3c4d-4e5f-9a0b-1c2d3e4f5a6b", "11111111-2222-3333-4444-555555555555"
	var (
		mu   sync.Mutex
		form map[string]string
		path string
	)
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
			_ = json.NewEncoder(w).Encode(map[string]string{
				"issuer":                 "https://login.microsoftonline.com/" + tenant + "/v2.0",
				"authorization_endpoint": srv.URL + "/" + tenant + "/oauth2/v2.0/authorize",
				"token_endpoint":         srv.URL + "/" + tenant + "/oauth2/v2.0/token",
			})
			return
		}
		_ = r.ParseForm()
		mu.Lock()
		path, form = r.URL.Path, map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		mu.Unlock()
		_, _ = w.Write([]byte(`{"access_token":"graph-token","token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	opts := &azidentity.ClientAssertionCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"}, Transport: srv.Client()},
		DisableInstanceDiscovery: true,
	}

	mi := &stubIdentity{}
	same, err := graphCredential(config.ExternalID{TenantID: tenant}, mi, opts)
	if err != nil || same != azcore.TokenCredential(mi) {
		t.Fatalf("without a Graph client: %v, %v; want the identity itself", same, err)
	}

	cred, err := graphCredential(config.ExternalID{TenantID: tenant, GraphClientID: graphApp}, mi, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{entrauser.GraphScope}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tok.Token != "graph-token" || path != "/"+tenant+"/oauth2/v2.0/token" {
		t.Errorf("token %q from %s", tok.Token, path)
	}
	if form["client_id"] != graphApp || form["client_assertion"] != "managed-identity-token" ||
		form["grant_type"] != "client_credentials" || !strings.Contains(form["scope"], entrauser.GraphScope) {
		t.Errorf("token request %v", form)
	}
	if len(mi.scopes) != 1 || mi.scopes[0] != tokenExchangeScope {
		t.Errorf("managed identity asked for %v, want %s", mi.scopes, tokenExchangeScope)
	}
}
