package policy

import (
	"bytes"
	"fmt"
	"strings"
)

// PersonalDataSetting says whether the sign-in policy's token carries the personal data ID.me
// returns beside the verification: birthdate, phone number and address. Off unless "true":
// an application that only needs the verification should not receive them.
const PersonalDataSetting = "IdmePersonalDataInToken"

// personalDataToken marks, in a relying party template, where those claims go.
const personalDataToken = "{IdmeBridge:PersonalDataClaims}"

// personalDataClaims are the relying party output claims the setting adds (claim type, the
// bridge's claim).
var personalDataClaims = [][2]string{
	{"idmePostalCode", "postal_code"},
	{"idmeBirthdate", "birthdate"},
	{"idmePhoneNumber", "phone_number"},
	{"idmeStreetAddress", "street_address"},
	{"idmeLocality", "locality"},
	{"idmeRegion", "region"},
}

// personalDataIncluded reads the setting: absent or "false" leaves the claims out, "true"
// puts them in, anything else is refused rather than guessed.
func (e Environment) personalDataIncluded() (bool, error) {
	switch v := strings.TrimSpace(e.PolicySettings[PersonalDataSetting]); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, fmt.Errorf("%w: %s is %q in environment %q, want true or false", ErrBadSetting, PersonalDataSetting, v, e.Name)
	}
}

// expandPersonalData replaces the token in every file with the claims, or with nothing.
func expandPersonalData(files map[string][]byte, include bool) map[string][]byte {
	var markup string
	if include {
		var b strings.Builder
		for i, c := range personalDataClaims {
			if i > 0 {
				b.WriteString("\n")
			}
			// Markup, not text: built from the table, whose values are plain identifiers.
			fmt.Fprintf(&b, "        <OutputClaim ClaimTypeReferenceId=%q PartnerClaimType=%q />", c[0], c[1])
		}
		markup = b.String()
	}
	out := make(map[string][]byte, len(files))
	for name, data := range files {
		out[name] = bytes.ReplaceAll(data, []byte(personalDataToken), []byte(markup))
	}
	return out
}
