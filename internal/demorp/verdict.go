package demorp

import (
	"slices"
	"strings"

	"idmebridge/internal/policy"
)

// verdictLine is one requested policy and what ID.me said about it.
type verdictLine struct {
	Text     string // "military: verified, Veteran", "military: not verified"
	Verified bool
}

// verdict is the top of the result page: what was requested and what came back.
type verdict struct {
	Lines []verdictLine
	// NotRequested lists groups whose idme_<group>_verified claim is present but was not asked
	// for: false there means "not requested", not "not verified".
	NotRequested []string
	// MilitaryNotVerified is set when military was requested and not verified: the verify
	// journey would stop this user.
	MilitaryNotVerified bool
}

// groupOf names the group whose idme_<group>_verified claim reports a policy; "" for policies
// that verify nothing (login, mfa).
func groupOf(policy string) string {
	switch policy {
	case "login", "mfa":
		return ""
	case "first_responder":
		return "responder"
	case "http://idmanagement.gov/ns/assurance/ial/2/aal/2", "kba_replacement", "fortified_identity":
		return "identity"
	}
	return policy
}

// newVerdict reads the verdict for the policies the bridge asked ID.me for out of the
// id_token's claims.
func newVerdict(policies []string, claims map[string]any) verdict {
	var v verdict
	requested := map[string]bool{}
	var groups []string
	for _, p := range policies {
		if g := groupOf(p); g != "" && !requested[g] {
			requested[g] = true
			groups = append(groups, g)
		}
	}
	subgroups := stringsClaim(claims["idme_subgroups"])
	verifiedCount := 0
	for name, val := range claims {
		if ok, _ := val.(bool); ok && strings.HasPrefix(name, "idme_") && strings.HasSuffix(name, "_verified") {
			verifiedCount++
		}
	}
	for _, g := range groups {
		ok, _ := claims["idme_"+g+"_verified"].(bool)
		line := verdictLine{Text: g + ": not verified"}
		if ok {
			line = verdictLine{Text: g + ": verified", Verified: true}
			// Subgroups are one list for all groups; they can be attributed only when a
			// single group is verified.
			if verifiedCount == 1 && len(subgroups) > 0 {
				line.Text += ", " + strings.Join(subgroups, ", ")
			}
		} else if g == "military" {
			v.MilitaryNotVerified = true
		}
		v.Lines = append(v.Lines, line)
	}
	if verifiedCount > 1 && len(subgroups) > 0 {
		v.Lines = append(v.Lines, verdictLine{Text: "subgroups: " + strings.Join(subgroups, ", ")})
	}
	for name := range claims {
		g, isIdme := strings.CutPrefix(name, "idme_")
		g, isStatus := strings.CutSuffix(g, "_verified")
		if isIdme && isStatus && !requested[g] { // not email_verified, which is no group
			v.NotRequested = append(v.NotRequested, g)
		}
	}
	slices.Sort(v.NotRequested)
	if len(groups) == 0 {
		v.Lines = append(v.Lines, verdictLine{Text: "no verification requested"})
	}
	return v
}

func stringsClaim(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// b2cRow is one OutputClaim of the technical profile and the value B2C ends up holding.
type b2cRow struct {
	ClaimType, Partner, Value, Note string
}

// b2cClaims applies the profile's OutputClaims to the id_token claims, row by row, the way
// policy.OIDCProfile.Map does, and lists the token claims B2C drops.
func b2cClaims(p policy.OIDCProfile, claims map[string]any) (rows []b2cRow, dropped []string) {
	mapped := p.Map(claims)
	used := map[string]bool{}
	for _, oc := range p.OutputClaims {
		row := b2cRow{ClaimType: oc.ClaimTypeReferenceID, Partner: oc.PartnerClaimType}
		v, inMap := mapped[oc.ClaimTypeReferenceID]
		_, inToken := claims[oc.PartnerClaimType]
		switch {
		case oc.AlwaysUseDefaultValue:
			row.Partner = "(none)"
			row.Note = "set by the policy"
		case inToken:
			used[oc.PartnerClaimType] = true
		case inMap:
			row.Note = "DefaultValue: the id_token lacks " + oc.PartnerClaimType
		default:
			row.Note = "not in the id_token: B2C holds no value"
		}
		if inMap {
			row.Value = formatClaim(oc.PartnerClaimType, v)
		}
		rows = append(rows, row)
	}
	for _, name := range sortedKeys(claims) {
		if !used[name] && !isProtocolClaim(name) {
			dropped = append(dropped, name)
		}
	}
	return rows, dropped
}
