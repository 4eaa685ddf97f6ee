package userflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// API is one Microsoft Graph endpoint (v1.0 or beta) of the B2C tenant: b2cgraph.Client.
type API interface {
	JSON(ctx context.Context, op, permission, method, path string, in, out any) (int, error)
	BaseURL() string
}

// The permissions each call needs, as the pages cited beside the calls list them (delegated
// and application alike).
const (
	// identitycontainer-post-identityproviders, identityproviderbase-update,
	// identitycontainer-list-identityproviders (beta).
	PermIdentityProvider = "IdentityProvider.ReadWrite.All"
	// identityuserflowattribute-post (v1.0 and beta), b2cidentityuserflow-list-
	// userflowidentityproviders and -post-userflowidentityproviders (beta).
	PermUserFlow = "IdentityUserFlow.ReadWrite.All"
	// identityapiconnector-create, identityapiconnector-update (v1.0).
	PermAPIConnectors = "APIConnectors.ReadWrite.All"
)

// Permissions lists every permission setup needs, for -h and the guide.
func Permissions() []string {
	return []string{PermIdentityProvider, PermUserFlow, PermAPIConnectors}
}

// oidcProviderType is the @odata.type of a B2C generic OpenID Connect provider (beta,
// resources/openidconnectidentityprovider.md). List answers spell it with a leading "#"
// (identitycontainer-list-identityproviders, example 2); the create example without.
const oidcProviderType = "microsoft.graph.openIdConnectIdentityProvider"

// claimsMapping is the five-field mapping of an openIdConnectIdentityProvider (beta,
// resources/claimsmapping.md via openidconnectidentityprovider.md's JSON representation:
// userId, givenName, surname, email, displayName). No other claim of the bridge's id_token
// reaches a user-flow token this way.
type claimsMapping struct {
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName"`
	GivenName   string `json:"givenName"`
	Surname     string `json:"surname"`
	Email       string `json:"email"`
}

// oidcProvider is an openIdConnectIdentityProvider as Graph beta returns it; clientSecret is
// write-only ("A read operation returns ****") so it is not read.
type oidcProvider struct {
	ODataType     string        `json:"@odata.type"`
	ID            string        `json:"id"`
	DisplayName   string        `json:"displayName"`
	ClientID      string        `json:"clientId"`
	MetadataURL   string        `json:"metadataUrl"`
	Scope         string        `json:"scope"`
	ResponseType  string        `json:"responseType"`
	ResponseMode  string        `json:"responseMode"`
	DomainHint    string        `json:"domainHint"`
	ClaimsMapping claimsMapping `json:"claimsMapping"`
}

// userFlowAttribute is an identityUserFlowAttribute (v1.0, resources/identityuserflowattribute.md).
// Its id is extension_<extensions-app-id-without-dashes>_<Name> for a custom attribute
// (identityuserflowattribute-post, v1.0 example: "extension_d09380e2b4c642b9a203fb816a04a7ad_Hobby"
// for displayName "Hobby"), so an attribute is found by its displayName, the <Name> of the
// extension_<Name> claim.
type userFlowAttribute struct {
	ID                    string `json:"id"`
	DisplayName           string `json:"displayName"`
	Description           string `json:"description,omitempty"`
	UserFlowAttributeType string `json:"userFlowAttributeType,omitempty"`
	DataType              string `json:"dataType"`
}

// apiConnector is an identityApiConnector (v1.0, resources/identityapiconnector.md); a Basic
// authenticationConfiguration reads back with its password as "******"
// (identityapiconnector-create, v1.0, example 1 response).
type apiConnector struct {
	ID                          string `json:"id"`
	DisplayName                 string `json:"displayName"`
	TargetURL                   string `json:"targetUrl"`
	AuthenticationConfiguration struct {
		ODataType string `json:"@odata.type"`
		Username  string `json:"username"`
	} `json:"authenticationConfiguration"`
}

// basicAuthType is the @odata.type of Basic connector authentication (v1.0,
// identityapiconnector-create example 1: "#microsoft.graph.basicAuthentication").
const basicAuthType = "#microsoft.graph.basicAuthentication"

// b2cUserFlow is the part of a b2cIdentityUserFlow (beta, resources/b2cidentityuserflow.md)
// setup reads.
type b2cUserFlow struct {
	ID                  string  `json:"id"`
	UserFlowType        string  `json:"userFlowType"`
	UserFlowTypeVersion float64 `json:"userFlowTypeVersion"`
}

// sameType compares @odata.type values, which Graph writes with or without "#".
func sameType(a, b string) bool {
	return strings.EqualFold(strings.TrimPrefix(a, "#"), strings.TrimPrefix(b, "#"))
}

// maxPages bounds how many pages of a collection are read: a tenant has a handful of
// identity providers, attributes and connectors, so more means a loop.
const maxPages = 50

// list reads a collection and every page after it (@odata.nextLink), decoding each item.
func list[T any](ctx context.Context, api API, op, perm, path string) ([]T, error) {
	var all []T
	for page := 0; path != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("graph: %s: more than %d pages", op, maxPages)
		}
		var doc struct {
			Value    []T    `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if _, err := api.JSON(ctx, op, perm, http.MethodGet, path, nil, &doc); err != nil {
			return nil, err
		}
		all = append(all, doc.Value...)
		path = doc.NextLink
	}
	return all, nil
}

// redacted is body as printed: secrets replaced, so a dry run can be pasted into a ticket.
func redacted(body map[string]any) string {
	data, err := json.Marshal(hideSecrets(body))
	if err != nil {
		return fmt.Sprintf("(unprintable: %v)", err)
	}
	return string(data)
}

func hideSecrets(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		if k == "clientSecret" || k == "password" {
			out[k] = "(hidden)"
			continue
		}
		out[k] = hideSecrets(x)
	}
	return out
}
