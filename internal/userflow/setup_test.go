package userflow

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"idmebridge/internal/b2cgraph"
)

func testPlan() Plan {
	return Plan{
		Issuer: "https://bridge.example.com", ClientID: "b2c-contoso",
		ClientSecret: "client-secret-value", ConnectorPassword: "connector-password-value",
		Communities: []string{"military", "hospital_employee"}, ClaimPrefix: DefaultClaimPrefix,
		ProviderName: "ID.me", ConnectorName: "ID.me verification", UserFlows: []string{"B2C_1_susi"},
	}
}

func TestFirstRunCreatesSecondRunWritesNothing(t *testing.T) {
	f := newFake(t)
	f.pageSize = 2 // every list is read across pages
	var out bytes.Buffer
	r, err := f.setup(t, &out, false).Run(context.Background(), testPlan())
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	// 1 provider + 6 attributes + 1 connector + 1 user flow reference.
	if r.Writes != 9 || f.writeCount() != 9 {
		t.Fatalf("first run: %d writes reported, %d made, want 9\n%v", r.Writes, f.writeCount(), f.writes)
	}
	p := f.providers[0]
	for k, want := range map[string]string{
		"metadataUrl": "https://bridge.example.com/.well-known/openid-configuration", "clientId": "b2c-contoso",
		"clientSecret": "client-secret-value", "scope": "openid", "responseType": "code",
		"responseMode": "form_post", "domainHint": "id.me",
	} {
		if p[k] != want {
			t.Errorf("provider %s = %v, want %s", k, p[k], want)
		}
	}
	cm := p["claimsMapping"].(map[string]any)
	for k, want := range map[string]string{"userId": "sub", "displayName": "name", "givenName": "given_name", "surname": "family_name", "email": "email"} {
		if cm[k] != want {
			t.Errorf("claimsMapping %s = %v, want %s", k, cm[k], want)
		}
	}
	var names []string
	for _, a := range f.attributes {
		names = append(names, a["displayName"].(string)+":"+a["dataType"].(string))
	}
	if got, want := strings.Join(names, " "), "IdmeGroups:string IdmeSubgroups:string IdmeMilitaryVerified:boolean IdmeHospitalEmployeeVerified:boolean IdmeVerifiedAt:string IdmeSubject:string"; got != want {
		t.Errorf("attributes %s\nwant %s", got, want)
	}
	c := f.connectors[0]
	auth := c["authenticationConfiguration"].(map[string]any)
	if c["targetUrl"] != "https://bridge.example.com/b2c/api-connector/token-enrichment" || auth["username"] != "b2c-contoso" ||
		auth["password"] != "connector-password-value" || auth["@odata.type"] != "#microsoft.graph.basicAuthentication" {
		t.Errorf("connector %v", c)
	}
	if ids := f.flowIdPs["B2C_1_susi"]; len(ids) != 1 || ids[0] != r.ProviderID {
		t.Errorf("user flow providers %v, want [%s]", ids, r.ProviderID)
	}
	if strings.Contains(out.String(), "client-secret-value") || strings.Contains(out.String(), "connector-password-value") {
		t.Errorf("output shows a secret:\n%s", out.String())
	}

	out.Reset()
	r, err = f.setup(t, &out, false).Run(context.Background(), testPlan())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if r.Writes != 0 || f.writeCount() != 9 {
		t.Fatalf("second run wrote: %v\n%s", f.writes[9:], out.String())
	}
}

func TestDriftIsUpdated(t *testing.T) {
	tests := []struct {
		name      string
		change    func(f *fakeGraph)
		plan      func(p *Plan)
		wantWrite string // the one write expected, as "METHOD /version/path" and a body fragment
		wantBody  string
		notBody   string
	}{
		{"target URL", func(f *fakeGraph) {
			f.connectors[0]["targetUrl"] = "https://old.example.com/b2c/api-connector/token-enrichment"
		}, nil,
			"PATCH /v1.0/identity/apiConnectors/", `"targetUrl":"https://bridge.example.com/b2c/api-connector/token-enrichment"`, "authenticationConfiguration"},
		{"connector user name", func(f *fakeGraph) {
			f.connectors[0]["authenticationConfiguration"].(map[string]any)["username"] = "other"
		}, nil, "PATCH /v1.0/identity/apiConnectors/", `"username":"b2c-contoso"`, "targetUrl"},
		{"connector on a client certificate", func(f *fakeGraph) {
			// identityapiconnector-create (v1.0), example 2 response: a certificate reads back
			// as clientCertificateAuthentication, with no username.
			f.connectors[0]["authenticationConfiguration"] = map[string]any{"@odata.type": "#microsoft.graph.clientCertificateAuthentication", "username": "b2c-contoso"}
		}, nil, "PATCH /v1.0/identity/apiConnectors/", `"@odata.type":"#microsoft.graph.basicAuthentication"`, "targetUrl"},
		{"claims mapping", func(f *fakeGraph) { f.providers[0]["claimsMapping"].(map[string]any)["email"] = "mail" }, nil,
			"PATCH /beta/identity/identityProviders/", `"claimsMapping":`, "clientSecret"},
		{"metadata URL", func(f *fakeGraph) {
			f.providers[0]["metadataUrl"] = "https://old.example.com/.well-known/openid-configuration"
		}, nil,
			"PATCH /beta/identity/identityProviders/", `"metadataUrl":"https://bridge.example.com/.well-known/openid-configuration"`, "clientSecret"},
		{"response mode", func(f *fakeGraph) { f.providers[0]["responseMode"] = "query" }, nil,
			"PATCH /beta/identity/identityProviders/", `"responseMode":"form_post"`, "claimsMapping"},
		{"provider removed from the flow", func(f *fakeGraph) { f.flowIdPs["B2C_1_susi"] = nil }, nil,
			"POST /beta/identity/b2cUserFlows/B2C_1_susi/userflowIdentityProviders/$ref", `"@odata.id":`, ""},
		{"rotated secrets", func(*fakeGraph) {}, func(p *Plan) { p.UpdateSecrets = true; p.ClientSecret = "new-secret" },
			"PATCH /beta/identity/identityProviders/", `"clientSecret":"new-secret"`, "claimsMapping"},
		{"a new community", func(*fakeGraph) {}, func(p *Plan) { p.Communities = append(p.Communities, "student") },
			"POST /v1.0/identity/userFlowAttributes", `"displayName":"IdmeStudentVerified"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			var out bytes.Buffer
			if _, err := f.setup(t, &out, false).Run(context.Background(), testPlan()); err != nil {
				t.Fatal(err)
			}
			tt.change(f)
			before := f.writeCount()
			p := testPlan()
			if tt.plan != nil {
				tt.plan(&p)
			}
			if _, err := f.setup(t, &out, false).Run(context.Background(), p); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			writes := f.writes[before:]
			// Rotating the secrets rewrites both the provider and the connector.
			if len(writes) < 1 || !strings.HasPrefix(writes[0], tt.wantWrite) || !strings.Contains(writes[0], tt.wantBody) ||
				(tt.notBody != "" && strings.Contains(writes[0], tt.notBody)) {
				t.Fatalf("writes %q\nwant first %q with %s, without %q", writes, tt.wantWrite, tt.wantBody, tt.notBody)
			}
			if tt.name != "rotated secrets" && len(writes) != 1 {
				t.Errorf("writes %q, want one", writes)
			}
		})
	}
}

func TestOtherProvidersAreLeftAlone(t *testing.T) {
	f := newFake(t)
	// identitycontainer-list-identityproviders (beta), example 2: a B2C tenant's other
	// OpenID Connect provider.
	other := map[string]any{"@odata.type": "#" + oidcProviderType, "id": "OIDC-V1-rtt_AD_Test", "displayName": "OIDC AD Test",
		"clientId": "fe1b3476", "scope": "openid", "metadataUrl": "https://login.microsoftonline.com/contoso.com/.well-known/openid-configuration",
		"responseType": "code", "responseMode": "form_post", "claimsMapping": map[string]any{"userId": "oid"}}
	f.providers = append(f.providers, other)
	r, err := f.setup(t, &bytes.Buffer{}, false).Run(context.Background(), testPlan())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.providers) != 2 || other["clientId"] != "fe1b3476" || r.ProviderID == "OIDC-V1-rtt_AD_Test" {
		t.Errorf("providers %v, id %s: the other provider was changed or taken", f.providers, r.ProviderID)
	}
	// The same for another API connector (identityapiconnector-create, v1.0, example 1).
	g := newFake(t)
	otherConnector := map[string]any{"id": "45715bb8-13f9-4bf6-927f-ef96c102d394", "displayName": "Test API", "targetUrl": "https://someapi.com/api",
		"authenticationConfiguration": map[string]any{"@odata.type": basicAuthType, "username": "MyUsername", "password": "x"}}
	g.connectors = append(g.connectors, otherConnector)
	if _, err := g.setup(t, &bytes.Buffer{}, false).Run(context.Background(), testPlan()); err != nil {
		t.Fatal(err)
	}
	if len(g.connectors) != 2 || otherConnector["targetUrl"] != "https://someapi.com/api" {
		t.Errorf("connectors %v: the other connector was changed or taken", g.connectors)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	f := newFake(t)
	var out bytes.Buffer
	p := testPlan()
	p.ClientSecret, p.ConnectorPassword = "", "" // a dry run needs no secret
	r, err := f.setup(t, &out, true).Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if f.writeCount() != 0 {
		t.Fatalf("dry run wrote %v", f.writes)
	}
	if r.Writes != 9 || strings.Count(out.String(), "would ") != 9 {
		t.Errorf("dry run printed %d writes, reported %d, want 9:\n%s", strings.Count(out.String(), "would "), r.Writes, out.String())
	}
	for _, want := range []string{"would POST " + f.srv.URL + "/beta/identity/identityProviders", "would POST " + f.srv.URL + "/v1.0/identity/apiConnectors",
		"would POST " + f.srv.URL + "/beta/identity/b2cUserFlows/B2C_1_susi/userflowIdentityProviders/$ref", `"password":"(hidden)"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	// With secrets given, a dry run still prints none.
	out.Reset()
	if _, err := f.setup(t, &out, true).Run(context.Background(), testPlan()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "client-secret-value") || strings.Contains(out.String(), "connector-password-value") {
		t.Errorf("dry run shows a secret:\n%s", out.String())
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		deny    map[string]int
		prepare func(f *fakeGraph)
		plan    func(p *Plan)
		want    string
		is      error
	}{
		{"no IdentityProvider permission", map[string]int{"/identity/identityProviders": 403}, nil, nil, "IdentityProvider.ReadWrite.All", nil},
		{"no IdentityUserFlow permission", map[string]int{"/identity/userFlowAttributes": 403}, nil, nil, "IdentityUserFlow.ReadWrite.All", nil},
		{"no APIConnectors permission", map[string]int{"/identity/apiConnectors": 403}, nil, nil, "APIConnectors.ReadWrite.All", nil},
		{"no permission on user flows", map[string]int{"/identity/b2cUserFlows": 403}, nil, nil, "IdentityUserFlow.ReadWrite.All", nil},
		{"token for another tenant", map[string]int{"/identity/identityProviders": 401}, nil, nil, "az login --tenant", nil},
		{"throttled", map[string]int{"/identity/apiConnectors": 429}, nil, nil, "throttling", nil},
		{"no such user flow", nil, nil, func(p *Plan) { p.UserFlows = []string{"B2C_1_missing"} }, "user flow B2C_1_missing", b2cgraph.ErrNotFound},
		{"provider without its secret", nil, nil, func(p *Plan) { p.ClientSecret = "" }, "-client-secret-file", ErrSecretNeeded},
		{"connector without its password", nil, nil, func(p *Plan) { p.ConnectorPassword = "" }, "-connector-password-file", ErrSecretNeeded},
		{"attribute of another type", nil, func(f *fakeGraph) {
			f.attributes = append(f.attributes, map[string]any{"id": "extension_x_IdmeMilitaryVerified", "displayName": "IdmeMilitaryVerified", "dataType": "string", "userFlowAttributeType": "custom"})
		}, nil, "cannot change an attribute's data type", nil},
		{"attribute differing in case", nil, func(f *fakeGraph) {
			f.attributes = append(f.attributes, map[string]any{"id": "extension_x_idmeGroups", "displayName": "idmeGroups", "dataType": "string", "userFlowAttributeType": "custom"})
		}, nil, "exists as", nil},
		{"a built-in attribute of that name", nil, func(f *fakeGraph) {
			// identityuserflowattribute.md: userFlowAttributeType builtIn, custom, required.
			f.attributes = append(f.attributes, map[string]any{"id": "IdmeSubject", "displayName": "IdmeSubject", "dataType": "string", "userFlowAttributeType": "builtIn"})
		}, nil, "not a custom one", nil},
		{"a next link that never ends", nil, func(f *fakeGraph) { f.pageSize = -1 }, nil, "more than 50 pages", nil},
		{"two providers of that name", nil, func(f *fakeGraph) {
			for i := range 2 {
				f.providers = append(f.providers, map[string]any{"@odata.type": "#" + oidcProviderType, "id": string(rune('a' + i)), "displayName": "ID.me"})
			}
		}, nil, "2 OpenID Connect providers", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			for k, v := range tt.deny {
				f.deny[k] = v
			}
			if tt.prepare != nil {
				tt.prepare(f)
			}
			p := testPlan()
			if tt.plan != nil {
				tt.plan(&p)
			}
			var out bytes.Buffer
			_, err := f.setup(t, &out, false).Run(context.Background(), p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			var gerr *b2cgraph.Error
			if status, ok := tt.deny[firstKey(tt.deny)]; ok && (!errors.As(err, &gerr) || gerr.Status != status) {
				t.Errorf("err = %v, want a *b2cgraph.Error with status %d", err, status)
			}
		})
	}
}

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}

func TestNotRecommendedFlowIsNamed(t *testing.T) {
	f := newFake(t)
	f.flows["B2C_1_reset"] = "passwordReset"
	p := testPlan()
	p.UserFlows = []string{"B2C_1_susi", "B2C_1_reset"}
	var out bytes.Buffer
	r, err := f.setup(t, &out, false).Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	PrintPortalSteps(&out, p, r)
	s := out.String()
	for _, want := range []string{
		`B2C_1_susi 1. User flows > B2C_1_susi > API connectors: at "Before sending the token (preview)" select ID.me verification; Save.`,
		"B2C_1_susi 2. User flows > B2C_1_susi > Application claims: tick IdmeGroups, IdmeSubgroups, IdmeMilitaryVerified, IdmeHospitalEmployeeVerified, IdmeVerifiedAt, IdmeSubject; Save.",
		"B2C_1_reset is a passwordReset flow",
		"extension_IdmeMilitaryVerified",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("portal steps lack %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Identity providers: under") {
		t.Errorf("portal steps ask to add the provider that setup added:\n%s", s)
	}
}

func TestPlanCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Plan)
		want   string
	}{
		{"valid", func(*Plan) {}, ""},
		{"http issuer", func(p *Plan) { p.Issuer = "http://bridge.example.com" }, "https"},
		{"issuer with query", func(p *Plan) { p.Issuer = "https://bridge.example.com/?x=1" }, "https"},
		{"no client", func(p *Plan) { p.ClientID = "" }, "client_id"},
		{"colon in client", func(p *Plan) { p.ClientID = "a:b" }, "colon"},
		{"no communities", func(p *Plan) { p.Communities = nil }, "communities"},
		{"bad community", func(p *Plan) { p.Communities = []string{"Military"} }, "community"},
		{"prefix without extension_", func(p *Plan) { p.ClaimPrefix = "Idme" }, "extension_"},
		{"prefix with an underscore", func(p *Plan) { p.ClaimPrefix = "extension_Id_me" }, "extension_"},
		{"bad user flow", func(p *Plan) { p.UserFlows = []string{"B2C_1_a/b"} }, "user flow"},
		{"no names", func(p *Plan) { p.ProviderName = " " }, "display names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan()
			tt.change(&p)
			err := p.Check()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAttributesFollowThePrefix(t *testing.T) {
	p := testPlan()
	p.ClaimPrefix = "extension_Verify"
	p.Communities = []string{"first_responder"}
	var claims []string
	for _, a := range p.Attributes() {
		claims = append(claims, a.Claim()+":"+a.DataType)
	}
	want := "extension_VerifyGroups:string extension_VerifySubgroups:string extension_VerifyFirstResponderVerified:boolean extension_VerifyVerifiedAt:string extension_VerifySubject:string"
	if got := strings.Join(claims, " "); got != want {
		t.Errorf("claims %s\nwant %s", got, want)
	}
}

func TestNextLinkOutsideGraphIsRefused(t *testing.T) {
	f := newFake(t)
	s := f.setup(t, &bytes.Buffer{}, false)
	_, err := s.V1.JSON(context.Background(), "probe", "", http.MethodGet, "https://elsewhere.example.com/v1.0/identity/apiConnectors", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing to follow") {
		t.Fatalf("err = %v", err)
	}
}
