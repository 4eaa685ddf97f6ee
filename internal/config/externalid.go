package config

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ExternalID is the Entra External ID custom authentication extension the bridge serves, so
// that External ID tokens carry the ID.me verification (External ID passes a federated
// provider's standard claims only). It is on when EXTERNALID_TENANT_ID is set.
type ExternalID struct {
	Enabled bool
	// TenantID is the External ID tenant's GUID.
	TenantID string
	// TenantSubdomain is the tenant's ciamlogin.com subdomain (contoso for
	// contoso.ciamlogin.com); tokens naming it as issuer are accepted too.
	TenantSubdomain string
	// Authority is where the tenant's OIDC discovery (and so its signing keys) is read:
	// https://{tenantId}.ciamlogin.com/{tenantId}/v2.0 unless overridden.
	Authority string
	// Audiences are what the bearer token's aud may be: the extension's app registration's
	// application (client) ID and, when set, its application ID URI.
	Audiences []string
	// Budget is how long the endpoint may take before it answers without claims: under the
	// extension's timeout (External ID allows 200-2000 ms, 1000 ms by default).
	Budget time.Duration
	// GraphURL is Microsoft Graph's base URL (overridden for local runs and tests).
	GraphURL string
	// IdentityIssuer is the issuer External ID records on a user's federated identity for the
	// bridge: the bridge's issuer unless overridden.
	IdentityIssuer string
	// GraphClientID, when set, is an app registration the External ID tenant trusts for Graph
	// (User.Read.All): the bridge gets Graph tokens for the tenant as that app, proving itself
	// with its managed identity (a federated identity credential), because an Azure managed
	// identity belongs to its subscription's tenant, not to the External ID tenant. Empty: the
	// bridge's own credential is used as it is.
	GraphClientID string
}

// ExtensionCaller is the application ID of Microsoft Entra's authentication events service:
// the azp (v2 tokens) or appid (v1) of every token that calls a custom authentication extension.
const ExtensionCaller = "99045fe1-7639-4a75-9d4a-577b6ca3810f"

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// subdomainPattern is a DNS label.
var subdomainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// externalID reads the EXTERNALID_* settings; c must already hold the issuer and Azure settings.
func (r *reader) externalID(c *Config) ExternalID {
	x := ExternalID{
		TenantID:        strings.ToLower(r.str("EXTERNALID_TENANT_ID")),
		TenantSubdomain: strings.ToLower(r.str("EXTERNALID_TENANT_SUBDOMAIN")),
		Authority:       strings.TrimRight(r.str("EXTERNALID_AUTHORITY"), "/"),
		Budget:          r.duration("EXTERNALID_EXTENSION_BUDGET"),
		GraphURL:        strings.TrimRight(r.str("EXTERNALID_GRAPH_URL"), "/"),
		IdentityIssuer:  cmp.Or(r.str("EXTERNALID_IDENTITY_ISSUER"), c.Issuer),
		GraphClientID:   strings.ToLower(r.str("EXTERNALID_GRAPH_CLIENT_ID")),
	}
	for _, name := range []string{"EXTERNALID_EXTENSION_APP_ID", "EXTERNALID_EXTENSION_APP_ID_URI"} {
		if v := r.str(name); v != "" {
			x.Audiences = append(x.Audiences, v)
		}
	}
	if x.TenantID == "" {
		if len(x.Audiences) > 0 || x.TenantSubdomain != "" || x.Authority != "" {
			r.fail("EXTERNALID_TENANT_ID is required for the External ID extension (the tenant's GUID, on its overview page)")
		}
		return x
	}
	x.Enabled = true
	if !guidPattern.MatchString(x.TenantID) {
		r.fail("EXTERNALID_TENANT_ID must be the tenant's GUID, not %q", x.TenantID)
	}
	if x.TenantSubdomain != "" && !subdomainPattern.MatchString(x.TenantSubdomain) {
		r.fail("EXTERNALID_TENANT_SUBDOMAIN must be the ciamlogin.com subdomain alone (contoso for contoso.ciamlogin.com), not %q", x.TenantSubdomain)
	}
	if x.Authority == "" {
		x.Authority = fmt.Sprintf("https://%s.ciamlogin.com/%s/v2.0", x.TenantID, x.TenantID)
	}
	r.checkURL("EXTERNALID_AUTHORITY", x.Authority)
	r.checkURL("EXTERNALID_GRAPH_URL", x.GraphURL)
	if len(x.Audiences) == 0 || r.str("EXTERNALID_EXTENSION_APP_ID") == "" {
		r.fail("EXTERNALID_EXTENSION_APP_ID is required: the application (client) ID of the extension's app registration")
	} else if !guidPattern.MatchString(x.Audiences[0]) {
		r.fail("EXTERNALID_EXTENSION_APP_ID must be a GUID (the application ID; put an api:// URI in EXTERNALID_EXTENSION_APP_ID_URI)")
	}
	if x.Budget < 100*time.Millisecond || x.Budget > 1900*time.Millisecond {
		r.fail("EXTERNALID_EXTENSION_BUDGET must be between 100ms and 1900ms: External ID waits at most 2000 ms")
	}
	if !c.Azure.VerificationRecords {
		r.fail("the External ID extension reads verification records: set BRIDGE_VERIFICATION_RECORDS=true")
	}
	if x.GraphClientID != "" && !guidPattern.MatchString(x.GraphClientID) {
		r.fail("EXTERNALID_GRAPH_CLIENT_ID must be the application (client) ID of the app registration that reads Graph, not %q", x.GraphClientID)
	}
	if x.IdentityIssuer == "" {
		r.fail("EXTERNALID_IDENTITY_ISSUER is empty and BRIDGE_ISSUER is not set")
	}
	return x
}

// Issuers are the values a bearer token's iss may take, every one naming the tenant's GUID.
// The tenant's discovery document names the GUID form under ciamlogin.com; Microsoft's
// documentation names the subdomain form, accepted when configured; tenants have been seen
// sending extension calls tokens issued by login.microsoftonline.com, and a v1 token (an
// extension app left at accessTokenAcceptedVersion 1) names sts.windows.net. A token the
// bridge refuses fails the sign-in, and only Entra can mint a token naming this tenant, so all
// four spellings are accepted.
func (x ExternalID) Issuers() []string {
	out := []string{fmt.Sprintf("https://%s.ciamlogin.com/%s/v2.0", x.TenantID, x.TenantID)}
	if x.TenantSubdomain != "" {
		out = append(out, fmt.Sprintf("https://%s.ciamlogin.com/%s/v2.0", x.TenantSubdomain, x.TenantID))
	}
	return append(out,
		fmt.Sprintf("https://login.microsoftonline.com/%s/v2.0", x.TenantID),
		fmt.Sprintf("https://sts.windows.net/%s/", x.TenantID))
}

// ExternalIDRedirectURIs are the two redirect URIs an External ID tenant uses with a custom OIDC
// provider; register both with the bridge's client for that tenant.
func ExternalIDRedirectURIs(subdomain, tenantID string) []string {
	return []string{
		fmt.Sprintf("https://%s.ciamlogin.com/%s/federation/oauth2", subdomain, tenantID),
		fmt.Sprintf("https://%s.ciamlogin.com/%s.onmicrosoft.com/federation/oauth2", subdomain, subdomain),
	}
}
