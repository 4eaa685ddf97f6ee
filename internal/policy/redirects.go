package policy

import (
	"slices"
	"strings"
)

// RedirectURIs are the redirect_uri values B2C sends the bridge for env: one per host an
// application signs in through (the tenant's b2clogin.com name and each custom domain) and per
// tenant segment (the tenant's domain name and, when TenantId is set, its GUID). B2C builds the
// URI from the authority the application used, so each must be in the bridge client's
// redirect_uris, which the bridge matches exactly. Lowercase, as B2C sends them. The profiles
// set UsePolicyInRedirectUri to false, so no policy name appears in the path.
func RedirectURIs(env Environment) []string {
	hosts := []string{strings.ToLower(strings.TrimSpace(env.PolicySettings["TenantName"])) + ".b2clogin.com"}
	for _, d := range strings.Fields(env.PolicySettings[CustomDomainsSetting]) {
		hosts = append(hosts, strings.ToLower(strings.TrimRight(strings.TrimPrefix(d, "https://"), "/")))
	}
	segments := []string{strings.ToLower(strings.TrimSpace(env.Tenant))}
	if id := strings.ToLower(strings.TrimSpace(env.PolicySettings[TenantIDSetting])); id != "" {
		segments = append(segments, id)
	}
	var out []string
	for _, h := range hosts {
		for _, s := range segments {
			if uri := "https://" + h + "/" + s + "/oauth2/authresp"; !slices.Contains(out, uri) {
				out = append(out, uri)
			}
		}
	}
	return out
}
