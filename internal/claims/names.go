package claims

import (
	"fmt"
	"strings"
)

// Claim names and attribute handles the translator treats specially.
const (
	handleSubject  = "uuid"
	handleGiven    = "fname"
	handleFamily   = "lname"
	claimSubject   = "sub"
	claimName      = "name"
	claimGroups    = "idme_groups"
	claimSubgroups = "idme_subgroups"
	// ClaimVerifiedAt is when the bridge read ID.me's answer, RFC 3339 in UTC.
	ClaimVerifiedAt = "idme_verified_at"

	groupClaimPrefix = "idme_"
	groupClaimSuffix = "_verified"

	// maxNameLen bounds handles and claim names; real ones are far shorter.
	maxNameLen = 64
)

// isReservedClaim reports whether the bridge itself sets this claim when it
// mints tokens, so a mapping must never supply it.
func isReservedClaim(lower string) bool {
	switch lower {
	case "iss", "aud", "exp", "iat", "nbf", "nonce", "auth_time", "at_hash",
		"azp", "jti", "amr", "acr", "sid":
		return true
	}
	return false
}

// isGroupClaim reports whether a claim name belongs to the group claims,
// including idme_<group>_verified for groups only known at translation time.
func isGroupClaim(lower string) bool {
	if lower == claimGroups || lower == claimSubgroups || lower == ClaimVerifiedAt {
		return true
	}
	return strings.HasPrefix(lower, groupClaimPrefix) &&
		strings.HasSuffix(lower, groupClaimSuffix) &&
		len(lower) > len(groupClaimPrefix)+len(groupClaimSuffix)
}

// groupClaim names the boolean claim for a sanitised group name.
func groupClaim(group string) string {
	return groupClaimPrefix + group + groupClaimSuffix
}

// checkName accepts 1..maxNameLen ASCII letters, digits and underscores,
// starting with a letter: safe as a JSON key and as a B2C PartnerClaimType.
func checkName(kind, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidMapping, kind)
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("%w: %s longer than %d characters", ErrInvalidMapping, kind, maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if i == 0 && !letter {
			return fmt.Errorf("%w: %s %q must start with a letter", ErrInvalidMapping, kind, s)
		}
		if !letter && !('0' <= c && c <= '9') && c != '_' {
			return fmt.Errorf("%w: %s %q may hold only letters, digits and '_'", ErrInvalidMapping, kind, s)
		}
	}
	return nil
}

// sanitiseGroup turns an ID.me group name into the [a-z0-9_] form used in
// claim names and idme_groups. It returns "" for a blank name.
func sanitiseGroup(name string) string {
	name = strings.TrimSpace(name)
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
