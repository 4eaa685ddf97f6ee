package claims

import "strings"

const (
	claimEmail          = "email"
	handleEmailVerified = "email_verified"
	claimEmailVerified  = "email_verified"
)

// addEmailVerified sets the OIDC email_verified boolean beside the email claim. It is true only
// when ID.me's attributes say so (the email_verified handle, sent as the boolean true or the
// string "true"); otherwise false, so a relying party that requires a verified address (Entra
// External ID refuses sign-up without one) is never told an unverified address is verified.
// Without an email claim there is nothing to qualify, so the claim is left out.
func addEmailVerified(out map[string]any, attributes map[string]string) {
	if _, ok := out[claimEmail]; !ok {
		return
	}
	out[claimEmailVerified] = strings.EqualFold(strings.TrimSpace(attributes[handleEmailVerified]), "true")
}

// hasEmailClaim reports whether the table feeds the email claim, hence email_verified.
func hasEmailClaim(mappings []Mapping) bool {
	for _, m := range mappings {
		if m.Claim == claimEmail {
			return true
		}
	}
	return false
}
