package userflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Setup applies a Plan through Graph: each resource is read first and written only where it
// differs, so a second run makes no write.
type Setup struct {
	V1     API // Graph v1.0: user flow attributes and API connectors
	Beta   API // Graph beta: the OpenID Connect provider and b2cUserFlows, which v1.0 lacks
	Out    io.Writer
	DryRun bool // read, and print the writes instead of making them
}

// Result says what setup did (or, in a dry run, would do).
type Result struct {
	Writes     int
	ProviderID string // "" in a dry run that would create it
	// FlowTypes maps each user flow to its userFlowType.
	FlowTypes map[string]string
}

// ErrSecretNeeded is wrapped when a resource must be created (or its credential changed) and
// the secret for it was not given.
var ErrSecretNeeded = errors.New("a secret is needed")

// Run applies p.
func (s Setup) Run(ctx context.Context, p Plan) (Result, error) {
	if err := p.Check(); err != nil {
		return Result{}, err
	}
	r := Result{FlowTypes: map[string]string{}}
	id, err := s.provider(ctx, p, &r)
	if err != nil {
		return r, err
	}
	r.ProviderID = id
	if err := s.attributes(ctx, p, &r); err != nil {
		return r, err
	}
	if err := s.connector(ctx, p, &r); err != nil {
		return r, err
	}
	for _, flow := range p.UserFlows {
		if err := s.userFlow(ctx, p, flow, id, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// write makes one write, or prints it in a dry run.
func (s Setup) write(ctx context.Context, api API, op, perm, method, path string, body map[string]any, out any, r *Result) error {
	r.Writes++
	if s.DryRun {
		fmt.Fprintf(s.Out, "would %s %s%s %s\n", method, api.BaseURL(), path, redacted(body))
		return nil
	}
	if _, err := api.JSON(ctx, op, perm, method, path, body, out); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "%s: %s %s%s\n", op, method, api.BaseURL(), path)
	return nil
}

// provider creates or updates the OpenID Connect identity provider and returns its id.
func (s Setup) provider(ctx context.Context, p Plan, r *Result) (string, error) {
	// GET /identity/identityProviders: Graph beta, "List identityProviders"
	// (api-reference/beta/api/identitycontainer-list-identityproviders.md). In a B2C tenant
	// the list holds openIdConnectIdentityProvider objects; v1.0 documents no way to create
	// one in B2C (api-reference/v1.0/api/identitycontainer-post-identityproviders.md lists
	// socialIdentityProvider and appleManagedIdentityProvider only), so the provider is
	// managed in beta throughout.
	all, err := list[oidcProvider](ctx, s.Beta, "list identity providers", PermIdentityProvider, "/identity/identityProviders")
	if err != nil {
		return "", err
	}
	var found []oidcProvider
	for _, x := range all {
		if sameType(x.ODataType, oidcProviderType) && x.DisplayName == p.ProviderName {
			found = append(found, x)
		}
	}
	want := map[string]any{
		"clientId":     p.ClientID,
		"metadataUrl":  p.MetadataURL(),
		"scope":        "openid",
		"responseType": "code",
		"responseMode": "form_post",
		"domainHint":   "id.me",
		// The bridge's id_token claims (sub, name, given_name, family_name, email).
		"claimsMapping": map[string]any{
			"userId": "sub", "displayName": "name", "givenName": "given_name",
			"surname": "family_name", "email": "email",
		},
	}
	switch len(found) {
	case 0:
		if p.ClientSecret == "" && !s.DryRun {
			return "", fmt.Errorf("%w: the tenant has no OpenID Connect provider named %q; give the client secret (-client-secret-file) to create it", ErrSecretNeeded, p.ProviderName)
		}
		body := map[string]any{"@odata.type": oidcProviderType, "displayName": p.ProviderName, "clientSecret": p.ClientSecret}
		for k, v := range want {
			body[k] = v
		}
		// POST /identity/identityProviders with an openIdConnectIdentityProvider: Graph beta,
		// "Create identityProvider" (api-reference/beta/api/identitycontainer-post-
		// identityproviders.md, example 3, "AAD B2C tenant"); 201 with the provider and its id.
		var created oidcProvider
		if err := s.write(ctx, s.Beta, "create identity provider "+p.ProviderName, PermIdentityProvider,
			http.MethodPost, "/identity/identityProviders", body, &created, r); err != nil {
			return "", err
		}
		if !s.DryRun && created.ID == "" {
			return "", errors.New("graph: created the identity provider but the answer has no id")
		}
		return created.ID, nil
	case 1:
	default:
		return "", fmt.Errorf("the tenant has %d OpenID Connect providers named %q: delete all but one, or name another with -provider-name", len(found), p.ProviderName)
	}
	have := found[0]
	patch := map[string]any{}
	current := map[string]string{
		"clientId": have.ClientID, "metadataUrl": have.MetadataURL, "scope": have.Scope,
		"responseType": have.ResponseType, "responseMode": have.ResponseMode, "domainHint": have.DomainHint,
	}
	for k, v := range current {
		if want[k] != v {
			patch[k] = want[k]
		}
	}
	wantMap := claimsMapping{UserID: "sub", DisplayName: "name", GivenName: "given_name", Surname: "family_name", Email: "email"}
	if have.ClaimsMapping != wantMap {
		patch["claimsMapping"] = want["claimsMapping"]
	}
	if p.UpdateSecrets && p.ClientSecret != "" {
		patch["clientSecret"] = p.ClientSecret
	}
	if len(patch) == 0 {
		fmt.Fprintf(s.Out, "identity provider %s (%s): up to date\n", p.ProviderName, have.ID)
		return have.ID, nil
	}
	// PATCH /identity/identityProviders/{id}: Graph beta, "Update identityProvider"
	// (api-reference/beta/api/identityproviderbase-update.md: in B2C, the properties of an
	// openIdConnectIdentityProvider, example 2 without @odata.type); 204.
	return have.ID, s.write(ctx, s.Beta, "update identity provider "+p.ProviderName+" ("+keys(patch)+")", PermIdentityProvider,
		http.MethodPatch, "/identity/identityProviders/"+url.PathEscape(have.ID), patch, nil, r)
}

// attributes creates the custom user attributes that do not exist yet.
func (s Setup) attributes(ctx context.Context, p Plan, r *Result) error {
	// GET /identity/userFlowAttributes: Graph v1.0, "List identityUserFlowAttributes"
	// (api-reference/v1.0/resources/identityuserflowattribute.md, Methods: List).
	all, err := list[userFlowAttribute](ctx, s.V1, "list user flow attributes", PermUserFlow, "/identity/userFlowAttributes")
	if err != nil {
		return err
	}
	for _, a := range p.Attributes() {
		i := slices.IndexFunc(all, func(x userFlowAttribute) bool { return strings.EqualFold(x.DisplayName, a.Name) })
		if i >= 0 {
			have := all[i]
			switch {
			case have.DisplayName != a.Name:
				return fmt.Errorf("user attribute %q exists as %q: the claim would be %s, not %s; rename one of them", a.Name, have.DisplayName, extensionPrefix+have.DisplayName, a.Claim())
			case have.UserFlowAttributeType != "" && have.UserFlowAttributeType != "custom":
				return fmt.Errorf("user attribute %q is a %s attribute, not a custom one: choose another -claim-prefix", a.Name, have.UserFlowAttributeType)
			case !strings.EqualFold(have.DataType, a.DataType):
				// identityuserflowattribute.md: dataType "Can't be modified after the custom
				// user flow attribute is created."
				return fmt.Errorf("user attribute %s is a %s, the connector returns a %s, and Graph cannot change an attribute's data type: delete it in the portal (Azure AD B2C > User attributes) and run setup again", a.Name, have.DataType, a.DataType)
			}
			fmt.Fprintf(s.Out, "user attribute %s (%s, claim %s): up to date\n", a.Name, have.ID, a.Claim())
			continue
		}
		// POST /identity/userFlowAttributes {displayName, description, dataType}: Graph v1.0,
		// "Create identityUserFlowAttribute" (api-reference/v1.0/api/identityuserflowattribute-
		// post.md; dataType string, boolean or int64); 201 with the attribute.
		body := map[string]any{"displayName": a.Name, "description": a.Description, "dataType": a.DataType}
		if err := s.write(ctx, s.V1, "create user attribute "+a.Name, PermUserFlow,
			http.MethodPost, "/identity/userFlowAttributes", body, nil, r); err != nil {
			return err
		}
	}
	return nil
}

// connector creates or updates the API connector.
func (s Setup) connector(ctx context.Context, p Plan, r *Result) error {
	// GET /identity/apiConnectors: Graph v1.0, "List identityApiConnectors"
	// (api-reference/v1.0/resources/identityapiconnector.md, Methods: List).
	all, err := list[apiConnector](ctx, s.V1, "list API connectors", PermAPIConnectors, "/identity/apiConnectors")
	if err != nil {
		return err
	}
	var found []apiConnector
	for _, c := range all {
		if c.DisplayName == p.ConnectorName {
			found = append(found, c)
		}
	}
	auth := map[string]any{"@odata.type": basicAuthType, "username": p.ClientID, "password": p.ConnectorPassword}
	switch len(found) {
	case 0:
		if p.ConnectorPassword == "" && !s.DryRun {
			return fmt.Errorf("%w: the tenant has no API connector named %q; give the connector's password (-connector-password-file) to create it", ErrSecretNeeded, p.ConnectorName)
		}
		// POST /identity/apiConnectors: Graph v1.0, "Create identityApiConnector"
		// (api-reference/v1.0/api/identityapiconnector-create.md, example 1, Basic
		// authentication); 201.
		body := map[string]any{"displayName": p.ConnectorName, "targetUrl": p.ConnectorURL(), "authenticationConfiguration": auth}
		return s.write(ctx, s.V1, "create API connector "+p.ConnectorName, PermAPIConnectors,
			http.MethodPost, "/identity/apiConnectors", body, nil, r)
	case 1:
	default:
		return fmt.Errorf("the tenant has %d API connectors named %q: delete all but one, or name another with -connector-name", len(found), p.ConnectorName)
	}
	have := found[0]
	patch := map[string]any{}
	if have.TargetURL != p.ConnectorURL() {
		patch["targetUrl"] = p.ConnectorURL()
	}
	credential := !sameType(have.AuthenticationConfiguration.ODataType, basicAuthType) || have.AuthenticationConfiguration.Username != p.ClientID
	if credential || (p.UpdateSecrets && p.ConnectorPassword != "") {
		// The user name and password travel together in one basicAuthentication object.
		if p.ConnectorPassword == "" && !s.DryRun {
			return fmt.Errorf("%w: API connector %q does not authenticate with Basic as %q; give its password (-connector-password-file) to set it", ErrSecretNeeded, p.ConnectorName, p.ClientID)
		}
		patch["authenticationConfiguration"] = auth
	}
	if len(patch) == 0 {
		fmt.Fprintf(s.Out, "API connector %s (%s): up to date\n", p.ConnectorName, have.ID)
		return nil
	}
	// PATCH /identity/apiConnectors/{id}: Graph v1.0, "Update identityApiConnector"
	// (api-reference/v1.0/api/identityapiconnector-update.md: displayName, targetUrl,
	// authenticationConfiguration); 204.
	return s.write(ctx, s.V1, "update API connector "+p.ConnectorName+" ("+keys(patch)+")", PermAPIConnectors,
		http.MethodPatch, "/identity/apiConnectors/"+url.PathEscape(have.ID), patch, nil, r)
}

// userFlow adds the identity provider to one user flow.
func (s Setup) userFlow(ctx context.Context, p Plan, flow, providerID string, r *Result) error {
	base := "/identity/b2cUserFlows/" + url.PathEscape(flow)
	// GET /identity/b2cUserFlows/{id}: Graph beta, "Get user flow"
	// (api-reference/beta/resources/b2cidentityuserflow.md, Methods); b2cUserFlows has no v1.0.
	var uf b2cUserFlow
	if _, err := s.Beta.JSON(ctx, "read user flow "+flow, PermUserFlow, http.MethodGet, base, nil, &uf); err != nil {
		return err
	}
	r.FlowTypes[flow] = uf.UserFlowType
	// GET /identity/b2cUserFlows/{id}/userflowIdentityProviders: Graph beta, "List
	// userflowidentityproviders" (api-reference/beta/api/b2cidentityuserflow-list-
	// userflowidentityproviders.md); identityProviderBase objects with their ids.
	in, err := list[struct {
		ID string `json:"id"`
	}](ctx, s.Beta, "list identity providers of user flow "+flow, PermUserFlow, base+"/userflowIdentityProviders")
	if err != nil {
		return err
	}
	if providerID != "" && slices.ContainsFunc(in, func(x struct {
		ID string `json:"id"`
	}) bool {
		return x.ID == providerID
	}) {
		fmt.Fprintf(s.Out, "user flow %s: signs in with %s already\n", flow, p.ProviderName)
		return nil
	}
	ref := providerID
	if ref == "" {
		ref = "{id of the new identity provider}"
	}
	// POST /identity/b2cUserFlows/{id}/userflowIdentityProviders/$ref {"@odata.id": ...}:
	// Graph beta, "Add a userFlowIdentityProvider" (api-reference/beta/api/
	// b2cidentityuserflow-post-userflowidentityproviders.md); 204. Older copies of the page
	// (and its translations) wrote PATCH; the current page, and OData's rule for adding a
	// reference to a collection, say POST.
	body := map[string]any{"@odata.id": s.Beta.BaseURL() + "/identity/identityProviders/" + ref}
	return s.write(ctx, s.Beta, "add "+p.ProviderName+" to user flow "+flow, PermUserFlow,
		http.MethodPost, base+"/userflowIdentityProviders/$ref", body, nil, r)
}

func keys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		if k == "clientSecret" || k == "authenticationConfiguration" {
			k += " (secret)"
		}
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
