// Package userflow sets up an Azure AD B2C tenant's built-in user flows to sign in with ID.me
// through the bridge: the OpenID Connect identity provider, the custom user attributes the
// bridge's API connector fills, the API connector itself, and the identity provider's place in
// each user flow, all through Microsoft Graph. What Graph does not offer is printed as portal
// steps.
package userflow

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"idmebridge/internal/apiconnector"
)

// DefaultClaimPrefix is the bridge's B2C_API_CONNECTOR_CLAIM_PREFIX default: the connector
// answers extension_IdmeGroups, extension_IdmeMilitaryVerified...
const DefaultClaimPrefix = "extension_Idme"

// extensionPrefix starts every custom attribute's claim in a user-flow token and in an API
// connector's answer (Learn, user-flow-custom-attributes: "extension_<Name>"; the app-id part
// Graph shows on users, extension_<appId-without-dashes>_<Name>, is optional there).
const extensionPrefix = "extension_"

// ConnectorPath is the bridge's "before sending the token" endpoint.
const ConnectorPath = apiconnector.Path

// Plan is what setup makes the tenant hold.
type Plan struct {
	Issuer   string // the bridge's BRIDGE_ISSUER
	ClientID string // the tenant's client_id in BRIDGE_CLIENTS
	// ClientSecret is the value of the client's secret_name; needed to create the identity
	// provider, or with UpdateSecrets.
	ClientSecret string
	// ConnectorPassword is the value of the client's api_connector_secret_name; needed to create
	// the API connector, or with UpdateSecrets.
	ConnectorPassword string
	// UpdateSecrets writes the secrets given to resources that exist. Graph never returns a
	// secret, so without it setup cannot tell whether one differs and leaves it alone.
	UpdateSecrets bool
	Communities   []string // ID.me community scopes of the client, e.g. military, student
	ClaimPrefix   string   // B2C_API_CONNECTOR_CLAIM_PREFIX
	ProviderName  string   // the identity provider's display name: the sign-in button
	ConnectorName string   // the API connector's display name
	UserFlows     []string // user flow ids, e.g. B2C_1_signupsignin
}

// Attribute is one custom user attribute the connector returns.
type Attribute struct {
	Name        string // the attribute's name (Graph displayName), e.g. IdmeGroups
	DataType    string // string or boolean (identityUserFlowAttribute dataType)
	Description string
}

// Claim is the attribute's claim in the token and in the connector's answer.
func (a Attribute) Claim() string { return extensionPrefix + a.Name }

// scopePattern is an ID.me community scope: lower case words joined by underscores.
var scopePattern = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// namePattern is what B2C takes as a custom attribute name (letters and digits; Learn,
// user-flow-custom-attributes does not list more).
var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// Check reports every problem with the plan at once.
func (p Plan) Check() error {
	var problems []error
	u, err := url.Parse(p.Issuer)
	switch {
	case p.Issuer == "":
		problems = append(problems, errors.New("the bridge's issuer (BRIDGE_ISSUER) is required"))
	case err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		// B2C calls the metadata URL and the connector from the internet: https only.
		problems = append(problems, fmt.Errorf("issuer %q must be an https URL without query or fragment", p.Issuer))
	}
	if strings.TrimSpace(p.ClientID) == "" {
		problems = append(problems, errors.New("the client_id of the tenant's BRIDGE_CLIENTS entry is required"))
	}
	if strings.ContainsAny(p.ClientID, ":") {
		// RFC 7617: the Basic user-id cannot contain a colon, and the connector's user name is
		// the client id.
		problems = append(problems, fmt.Errorf("client id %q contains a colon, which HTTP Basic user names cannot", p.ClientID))
	}
	if len(p.Communities) == 0 {
		problems = append(problems, errors.New("name the client's ID.me communities (e.g. military,student)"))
	}
	for _, c := range p.Communities {
		if !scopePattern.MatchString(c) {
			problems = append(problems, fmt.Errorf("community %q is not an ID.me community scope such as military or hospital_employee", c))
		}
	}
	name, ok := strings.CutPrefix(p.ClaimPrefix, extensionPrefix)
	if !ok || !namePattern.MatchString(name) {
		problems = append(problems, fmt.Errorf("claim prefix %q must be extension_ followed by letters and digits (a user flow's custom attributes are extension_<Name>)", p.ClaimPrefix))
	}
	if strings.TrimSpace(p.ProviderName) == "" || strings.TrimSpace(p.ConnectorName) == "" {
		problems = append(problems, errors.New("the identity provider and API connector need display names"))
	}
	for _, f := range p.UserFlows {
		if f == "" || strings.ContainsAny(f, "/?#%\\ '") {
			problems = append(problems, fmt.Errorf("user flow %q is not a user flow id such as B2C_1_signupsignin", f))
		}
	}
	return errors.Join(problems...)
}

// Attributes are the custom attributes the connector fills for this plan: the connector's own
// list (apiconnector.Attributes), named as Graph names them, without extension_.
func (p Plan) Attributes() []Attribute {
	var out []Attribute
	for _, a := range apiconnector.Attributes(p.ClaimPrefix, p.Communities) {
		out = append(out, Attribute{strings.TrimPrefix(a.Claim, extensionPrefix), a.DataType, a.About})
	}
	return out
}

// MetadataURL is the bridge's discovery document.
func (p Plan) MetadataURL() string {
	return strings.TrimRight(p.Issuer, "/") + "/.well-known/openid-configuration"
}

// ConnectorURL is the bridge's token-enrichment endpoint.
func (p Plan) ConnectorURL() string { return strings.TrimRight(p.Issuer, "/") + ConnectorPath }
