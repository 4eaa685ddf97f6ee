package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/authext"
	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/config"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/entrauser/graphfake"
)

// The External ID tenant the tests play.
const (
	eidTenantID  = "11111111-2222-3333-4444-555555555555"
	eidSubdomain = "contoso"
	eidClientID  = "externalid-contoso"
	eidAppID     = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

// externalIDWorld is a bridge with the extension on, a stand-in tenant (keys) and Graph.
type externalIDWorld struct {
	*world
	tenant *faketenant.Tenant
	graph  *graphfake.Graph
	client oauth2.Config // External ID as the bridge's OIDC client
}

func newExternalIDWorld(t *testing.T, opts ...worldOption) *externalIDWorld {
	t.Helper()
	tenantSrv := httptest.NewUnstartedServer(nil)
	tenantSrv.Start()
	t.Cleanup(tenantSrv.Close)
	tenant, err := faketenant.New(eidTenantID, tenantSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tenantSrv.Config.Handler = tenant
	graph := graphfake.New()
	graphSrv := httptest.NewServer(graph)
	t.Cleanup(graphSrv.Close)
	redirects := config.ExternalIDRedirectURIs(eidSubdomain, eidTenantID)
	w := newWorld(t, append([]worldOption{func(s *worldSetup) {
		s.env["BRIDGE_CLIENTS"] = fmt.Sprintf(`[{"client_id":%q,"secret_name":"rp-secret","redirect_uris":[%q,%q],"idme_scopes":["military"],"default_idme_scopes":["military"]}]`,
			eidClientID, redirects[0], redirects[1])
		s.env["BRIDGE_VERIFICATION_RECORDS"] = "true"
		s.env["EXTERNALID_TENANT_ID"] = eidTenantID
		s.env["EXTERNALID_TENANT_SUBDOMAIN"] = eidSubdomain
		s.env["EXTERNALID_EXTENSION_APP_ID"] = eidAppID
		s.env["EXTERNALID_AUTHORITY"] = tenantSrv.URL
		s.env["EXTERNALID_GRAPH_URL"] = graphSrv.URL
		s.parts = func(p *Parts) { p.Credential = &fake.TokenCredential{} }
	}}, opts...)...)
	return &externalIDWorld{world: w, tenant: tenant, graph: graph, client: oauth2.Config{
		ClientID: eidClientID, ClientSecret: rpClientSecret, RedirectURL: redirects[0], Scopes: []string{"openid", "profile", "email"},
		// External ID authenticates with client_secret_post (it does not support basic).
		Endpoint: oauth2.Endpoint{AuthURL: w.issuer + "/authorize", TokenURL: w.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}}
}

// signUp plays External ID's side of a sign-up through the bridge: the code flow with
// client_secret_post; it returns the verified id_token's claims.
func (x *externalIDWorld) signUp(t *testing.T, persona string) map[string]any {
	t.Helper()
	nonce := "n-" + persona
	resp := x.get(x.client.AuthCodeURL("st-"+persona, oidc.Nonce(nonce)))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	resp = x.get(resp.Header.Get("Location") + "&persona=" + url.QueryEscape(persona))
	resp = x.get(resp.Header.Get("Location")) // the bridge's callback
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var params url.Values
	switch {
	case resp.StatusCode == http.StatusFound:
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Scheme+"://"+loc.Host+loc.Path != x.client.RedirectURL {
			t.Fatalf("redirected to %s, not External ID's redirect URI", loc)
		}
		params = loc.Query()
	case formAction.Match(body):
		params = url.Values{}
		for _, m := range hiddenInput.FindAllSubmatch(body, -1) {
			params.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
		}
	default:
		t.Fatalf("callback answered %d: %s", resp.StatusCode, body)
	}
	tok, err := x.client.Exchange(x.rpCtx, params.Get("code"))
	if err != nil {
		t.Fatalf("token (client_secret_post): %v", err)
	}
	p, err := oidc.NewProvider(x.rpCtx, x.issuer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: eidClientID, SupportedSigningAlgs: []string{oidc.RS256}}).Verify(x.rpCtx, raw)
	if err != nil || idt.Nonce != nonce {
		t.Fatalf("id_token: %v (nonce %q)", err, idt.Nonce)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	return claims
}

// tokenIssuance plays External ID's token issuance start call for an Entra user.
func (x *externalIDWorld) tokenIssuance(t *testing.T, userID string) map[string]any {
	t.Helper()
	bearer, err := x.tenant.Sign(faketenant.Token{Audience: eidAppID})
	if err != nil {
		t.Fatal(err)
	}
	ev := fmt.Sprintf(`{"type":"microsoft.graph.authenticationEvent.tokenIssuanceStart","source":"/tenants/%[1]s/applications/%[2]s",
	  "data":{"@odata.type":"microsoft.graph.onTokenIssuanceStartCalloutData","tenantId":%[1]q,"authenticationEventListenerId":"dddddddd-0000-0000-0000-000000000001",
	  "customAuthenticationExtensionId":"eeeeeeee-0000-0000-0000-000000000001","authenticationContext":{"correlationId":"ffffffff-0000-0000-0000-000000000001",
	  "client":{"ip":"30.51.176.110","locale":"en-us","market":"en-us"},"protocol":"OAUTH2.0",
	  "clientServicePrincipal":{"id":"cccccccc-0000-0000-0000-0000000000aa","appId":%[2]q,"appDisplayName":"Shop","displayName":"Shop"},
	  "resourceServicePrincipal":{"id":"cccccccc-0000-0000-0000-0000000000aa","appId":%[2]q,"appDisplayName":"Shop","displayName":"Shop"},
	  "user":{"id":%[3]q,"displayName":"Vera Veteran","userType":"Member"}}}}`, eidTenantID, "cccccccc-0000-0000-0000-000000000001", userID)
	req, _ := http.NewRequest(http.MethodPost, x.issuer+authext.Path, bytes.NewReader([]byte(ev)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := x.bridge.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ODataType string `json:"@odata.type"`
			Actions   []struct {
				ODataType string         `json:"@odata.type"`
				Claims    map[string]any `json:"claims"`
			} `json:"actions"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("extension: %d %v", resp.StatusCode, err)
	}
	if out.Data.ODataType != "microsoft.graph.onTokenIssuanceStartResponseData" || len(out.Data.Actions) != 1 ||
		out.Data.Actions[0].ODataType != "microsoft.graph.tokenIssuanceStart.provideClaimsForToken" {
		t.Fatalf("extension answer does not follow the documented schema: %+v", out)
	}
	return out.Data.Actions[0].Claims
}

// federate records what External ID does after a sign-up: a user with a federated identity
// whose issuerAssignedId is the bridge's subject.
func (x *externalIDWorld) federate(userID, subject string) {
	x.graph.AddUser(userID, entrauser.Identity{SignInType: "federated", Issuer: x.issuer, IssuerAssignedID: subject})
}

// TestExternalIDDiscovery: the discovery document carries every field External ID requires,
// with code and client_secret_post among the choices.
func TestExternalIDDiscovery(t *testing.T) {
	doc := newExternalIDWorld(t).discovery()
	for _, field := range []string{"issuer", "authorization_endpoint", "token_endpoint", "token_endpoint_auth_methods_supported",
		"response_types_supported", "subject_types_supported", "jwks_uri"} {
		if doc[field] == nil {
			t.Errorf("discovery lacks %s", field)
		}
	}
	if !slices.Contains(stringList(doc["token_endpoint_auth_methods_supported"]), "client_secret_post") ||
		!slices.Contains(stringList(doc["response_types_supported"]), "code") ||
		!slices.Contains(stringList(doc["claims_supported"]), "email_verified") {
		t.Errorf("discovery = %v", doc)
	}
}

// TestExternalIDSignUpThenTokenIssuance: a veteran signs up through the bridge as External ID
// does it, and a later token issuance for that user carries the military verification; a
// user without a record, or not from the bridge, gets no claims.
func TestExternalIDSignUpThenTokenIssuance(t *testing.T) {
	x := newExternalIDWorld(t)
	idt := x.signUp(t, "veteran")
	if idt["email"] != "vera.veteran@example.com" || idt["email_verified"] != true {
		t.Fatalf("id_token email=%v email_verified=%v: External ID would refuse the sign-up", idt["email"], idt["email_verified"])
	}
	subject, _ := idt["sub"].(string)
	const veteranUser = "90847c2a-e29d-4d2f-9f54-c5b4d3f26471"
	x.federate(veteranUser, subject)

	var claims map[string]any
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The record is written in the background; the extension does not cache a miss.
		if claims = x.tokenIssuance(t, veteranUser); len(claims) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if claims["idme_military_verified"] != "true" || !slices.Equal(stringList(claims["idme_groups"]), []string{"military"}) ||
		!slices.Equal(stringList(claims["idme_subgroups"]), []string{"Veteran"}) || claims["idme_verified_at"] == nil {
		t.Errorf("token issuance claims = %v, want the military verification", claims)
	}
	for k, v := range claims {
		if _, ok := v.(string); !ok && stringList(v) == nil {
			t.Errorf("claim %s = %#v: only strings and string arrays are allowed", k, v)
		}
	}

	t.Run("no verification record", func(t *testing.T) {
		const user = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
		x.federate(user, "0123456789abcdef0123456789abcdef") // never verified through this bridge
		if claims := x.tokenIssuance(t, user); len(claims) != 0 {
			t.Errorf("claims = %v, want none", claims)
		}
	})
	t.Run("not a bridge user", func(t *testing.T) {
		const user = "00aa00aa-bb11-cc22-dd33-44ee44ee44ef"
		x.graph.AddUser(user, entrauser.Identity{SignInType: "emailAddress", Issuer: "contoso.onmicrosoft.com", IssuerAssignedID: "a@example.com"})
		if claims := x.tokenIssuance(t, user); len(claims) != 0 {
			t.Errorf("claims = %v, want none", claims)
		}
	})
}

// TestExternalIDUnverifiedEmail: an address ID.me did not vouch for is sent as
// email_verified false, so External ID refuses the sign-up rather than trusting it. The
// service member is verified for the policy but ID.me did not say the email is verified.
func TestExternalIDUnverifiedEmail(t *testing.T) {
	x := newExternalIDWorld(t)
	idt := x.signUp(t, "service_member")
	if idt["email"] == nil || idt["email_verified"] != false {
		t.Errorf("email=%v email_verified=%v, want the email with email_verified false", idt["email"], idt["email_verified"])
	}
}

// TestExternalIDRecordsFromBlob: on Azure (two instances, Blob Storage), the instance that
// answers the token issuance reads the record the instance that completed the sign-up wrote.
func TestExternalIDRecordsFromBlob(t *testing.T) {
	x := newExternalIDWorld(t, onAzure(2))
	x.route.Store(0) // the sign-up on the first instance
	idt := x.signUp(t, "veteran")
	const user = "90847c2a-e29d-4d2f-9f54-c5b4d3f26471"
	x.federate(user, idt["sub"].(string))
	x.route.Store(1) // the token issuance on the second
	var claims map[string]any
	waitFor(t, 5*time.Second, "the military verification from Blob Storage", func() bool {
		claims = x.tokenIssuance(t, user)
		return claims["idme_military_verified"] == "true"
	})
	if !slices.Equal(stringList(claims["idme_subgroups"]), []string{"Veteran"}) {
		t.Errorf("claims = %v", claims)
	}
}

// TestExternalIDExtensionIsNotGated: while the bridge waits (here: forever) on what sign-ins
// need, the extension still answers, and everything else gets 503.
func TestExternalIDExtensionIsNotGated(t *testing.T) {
	b := &Bridge{readiness: &readiness{}, handler: http.NotFoundHandler(),
		extension: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })}
	b.readiness.add(func() (bool, string) { return false, "loading secrets" })
	for path, want := range map[string]int{authext.Path: http.StatusTeapot, "/token": http.StatusServiceUnavailable} {
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}
