package apiconnector

import (
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"idmebridge/internal/config"
	"idmebridge/internal/verification"
)

// maxAttributeChars is B2C's limit on a string attribute (Learn: active-directory-b2c
// service-limits, "String Limit per Attribute | User | 250 Chars").
const maxAttributeChars = 250

// Claim names after the prefix (extension_Idme by default).
const (
	suffixGroups     = "Groups"
	suffixSubgroups  = "Subgroups"
	suffixVerifiedAt = "VerifiedAt"
	suffixSubject    = "Subject"
	suffixVerified   = "Verified" // after the community: extension_IdmeMilitaryVerified
)

// Attribute is one custom user attribute the connector may return, as a user flow must declare
// it: its claim (prefix included, e.g. extension_IdmeGroups) and its data type.
type Attribute struct {
	Claim    string
	DataType string // "string" or "boolean" (user-flow-custom-attributes: String, Boolean or Int)
	About    string
}

// Attributes lists every claim the connector may return for a client with these ID.me scopes,
// in the order a guide would list them. The setup command declares exactly these.
func Attributes(prefix string, scopes []string) []Attribute {
	out := []Attribute{
		{prefix + suffixGroups, "string", "ID.me groups verified, space separated"},
		{prefix + suffixSubgroups, "string", "ID.me subgroups verified, space separated"},
	}
	for _, c := range communities(scopes) {
		out = append(out, Attribute{prefix + pascal(c) + suffixVerified, "boolean", "ID.me verified " + strings.ReplaceAll(c, "_", " ")})
	}
	return append(out,
		Attribute{prefix + suffixVerifiedAt, "string", "When ID.me verified the user"},
		Attribute{prefix + suffixSubject, "string", "The user's ID.me subject"})
}

// claimsFor turns the record into custom attributes. A user flow's custom attributes are
// String, Boolean or Int (Learn: user-flow-custom-attributes, "Choose a data type (String,
// Boolean, or Int)"), so lists become one string of space-separated items, an item's own
// spaces becoming '_' ("Service Member" is "Service_Member") so that splitting on spaces
// gives the items back. Each string keeps to 250 characters by leaving out whole items from
// the end; cut names what was left out. email is never returned: B2C does not let the API
// overwrite it (add-api-connector-token-enrichment: "with the exception of email").
func claimsFor(rec *verification.Record, client config.Client, prefix string) (claims map[string]any, cut []string) {
	claims = map[string]any{
		prefix + suffixSubject:    rec.IDmeUUID,
		prefix + suffixVerifiedAt: rec.VerifiedAt.UTC().Format(time.RFC3339),
	}
	for suffix, items := range map[string][]string{suffixGroups: rec.Groups, suffixSubgroups: rec.Subgroups} {
		joined, left := joinWithin(items, maxAttributeChars)
		if joined != "" {
			claims[prefix+suffix] = joined
		}
		for _, l := range left {
			cut = append(cut, prefix+suffix+": "+l)
		}
	}
	for _, community := range communities(client.IDmeScopes) {
		claims[prefix+pascal(community)+suffixVerified] = verified(rec, community)
	}
	slices.Sort(cut)
	return claims, cut
}

// joinWithin joins the non-blank items with single spaces, as many as fit in limit characters,
// and returns the items left out.
func joinWithin(items []string, limit int) (string, []string) {
	var b strings.Builder
	var left []string
	used := 0
	for _, it := range items {
		it = strings.Join(strings.Fields(it), "_")
		if it == "" {
			continue
		}
		need := utf16Len(it)
		if used > 0 {
			need++
		}
		// Once one item does not fit, it and every later one are left out: the string keeps
		// the list's order and loses only its end.
		if len(left) > 0 || used+need > limit {
			left = append(left, it)
			continue
		}
		if used > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(it)
		used += need
	}
	return b.String(), left
}

// utf16Len counts characters as .NET, and so B2C, counts a string's length: UTF-16 code units,
// two for a character outside the Basic Multilingual Plane.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// communities are the ID.me groups the client's policies verify: each community scope
// ("military", "first_responder"), and "identity" for an identity-assurance policy (a URL such
// as the IAL2 one, whose result ID.me reports as the group identity). "login" verifies nothing.
func communities(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		c := s
		if strings.Contains(s, "://") {
			c = "identity"
		}
		if c == "login" || !identifier(c) || slices.Contains(out, c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// identifier reports a lower-case scope name: letters, digits and '_', starting with a letter.
func identifier(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// pascal turns first_responder into FirstResponder.
func pascal(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// verified reports whether the record says the community was verified: its group listed in
// the record's verified groups, or its idme_<group>_verified claim true.
func verified(rec *verification.Record, community string) bool {
	if slices.Contains(rec.Groups, community) {
		return true
	}
	v, _ := rec.Claims["idme_"+community+"_verified"].(bool)
	return v
}

// checkRecord returns why a record cannot be used, or "".
func checkRecord(rec *verification.Record, subject, clientID string) string {
	switch {
	case rec == nil:
		return "no record"
	case rec.IDmeUUID != subject:
		return "it names another subject"
	case rec.ClientID != clientID:
		// LatestFor promises this; a tenant must never see another tenant's verification.
		return "it was written for another client"
	case rec.VerifiedAt.IsZero():
		return "it has no verification time"
	}
	return ""
}
