package provider

import (
	"slices"

	"idmebridge/internal/config"
)

// standardScopeClaims are the claims each standard scope asks for (OIDC Core 5.4), with the
// flat address claims the bridge issues for B2C beside the address object.
var standardScopeClaims = map[string][]string{
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"phone":   {"phone_number", "phone_number_verified"},
	"address": {"address", "street_address", "locality", "region", "postal_code", "country"},
}

// releasedClaims is what a client receives of the translated claims: its allow-list when it
// has one, and for a client that asked for standard-scope handling only the standard claims
// of the scopes it requested. Claims outside the standard sets (ID.me's group status) follow
// the ID.me policy the client asked for. sub is always released.
func releasedClaims(client config.Client, scopes []string, translated map[string]any) map[string]any {
	if len(client.Claims) == 0 && !client.StandardScopes {
		return translated
	}
	out := make(map[string]any, len(translated))
	for name, v := range translated {
		if name != "sub" {
			if len(client.Claims) > 0 && !slices.Contains(client.Claims, name) {
				continue
			}
			if client.StandardScopes && !standardClaimAsked(name, scopes) {
				continue
			}
		}
		out[name] = v
	}
	return out
}

// standardClaimAsked is false for a standard claim whose scope was not requested.
func standardClaimAsked(name string, scopes []string) bool {
	for scope, names := range standardScopeClaims {
		if slices.Contains(names, name) {
			return slices.Contains(scopes, scope)
		}
	}
	return true
}
