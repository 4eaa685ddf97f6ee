package claims

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrNoSubject is wrapped by Translate when ID.me supplied no uuid: without
// a stable subject there is no one to issue a token about.
var ErrNoSubject = errors.New("claims: ID.me reported no uuid")

// Translator turns a Verification into claims using a fixed table. It is
// immutable after NewTranslator and safe for concurrent use.
type Translator struct {
	mappings   []Mapping
	known      []string
	claimNames []string
}

// NewTranslator = default table plus extra rows (an extra row for an existing
// handle replaces it). It rejects claim names the bridge owns (iss aud exp
// iat nbf nonce auth_time at_hash azp jti amr acr sid), claim names that
// collide with the group claims (idme_groups, idme_subgroups,
// idme_<group>_verified), invalid or empty names, repeated handles in extra,
// two handles feeding one claim, and moving uuid away from sub. Reserved and
// duplicate checks ignore case so "ISS" or "Email" cannot slip through.
func NewTranslator(extra []Mapping) (*Translator, error) {
	mappings := DefaultMappings()
	seenExtra := make(map[string]bool, len(extra))
	for _, m := range extra {
		if err := checkMapping(m); err != nil {
			return nil, err
		}
		if seenExtra[m.Handle] {
			return nil, fmt.Errorf("%w: handle %q appears twice", ErrInvalidMapping, m.Handle)
		}
		seenExtra[m.Handle] = true
		if m.Handle == handleSubject && m.Claim != claimSubject {
			return nil, fmt.Errorf("%w: handle %q must stay mapped to %q", ErrInvalidMapping, handleSubject, claimSubject)
		}
		if i := slices.IndexFunc(mappings, func(d Mapping) bool { return d.Handle == m.Handle }); i >= 0 {
			mappings[i] = m
		} else {
			mappings = append(mappings, m)
		}
	}

	claimOwner := make(map[string]string, len(mappings))
	for _, m := range mappings {
		key := strings.ToLower(m.Claim)
		if other, ok := claimOwner[key]; ok {
			return nil, fmt.Errorf("%w: claim %q is fed by both %q and %q", ErrInvalidMapping, m.Claim, other, m.Handle)
		}
		claimOwner[key] = m.Handle
	}

	known := knownGroups()
	names := make([]string, 0, len(mappings)+len(known)+3)
	for _, m := range mappings {
		names = append(names, m.Claim)
	}
	names = append(names, claimName, claimGroups, claimSubgroups, ClaimVerifiedAt)
	if hasEmailClaim(mappings) {
		names = append(names, claimEmailVerified)
	}
	for _, g := range known {
		names = append(names, groupClaim(g))
	}
	slices.Sort(names)
	names = slices.Compact(names) // a row may map to "name" itself

	return &Translator{mappings: mappings, known: known, claimNames: names}, nil
}

// checkMapping validates one row on its own: names well formed, claim not
// owned by the bridge or by the group claims.
func checkMapping(m Mapping) error {
	if err := checkName("handle", m.Handle); err != nil {
		return err
	}
	if err := checkName("claim", m.Claim); err != nil {
		return err
	}
	lower := strings.ToLower(m.Claim)
	if isReservedClaim(lower) {
		return fmt.Errorf("%w: claim %q is set by the bridge", ErrInvalidMapping, m.Claim)
	}
	if isGroupClaim(lower) {
		return fmt.Errorf("%w: claim %q collides with the group claims", ErrInvalidMapping, m.Claim)
	}
	return nil
}

// Translate returns the claims for the id_token/userinfo. Error (wrapping
// ErrNoSubject) if uuid is missing/empty. Values are trimmed; blank ones are
// omitted rather than sent empty.
func (t *Translator) Translate(v Verification) (map[string]any, error) {
	if strings.TrimSpace(v.Attributes[handleSubject]) == "" {
		return nil, fmt.Errorf("translate: %w", ErrNoSubject)
	}
	out := make(map[string]any, len(t.claimNames))
	for _, m := range t.mappings {
		if val := strings.TrimSpace(v.Attributes[m.Handle]); val != "" {
			out[m.Claim] = val
		}
	}
	// Derived only from what ID.me sent, and never over a mapped name.
	if _, ok := out[claimName]; !ok {
		given := strings.TrimSpace(v.Attributes[handleGiven])
		family := strings.TrimSpace(v.Attributes[handleFamily])
		if given != "" && family != "" {
			out[claimName] = given + " " + family
		}
	}
	addEmailVerified(out, v.Attributes)
	addGroupClaims(out, t.known, v.Groups)
	if !v.ReadAt.IsZero() {
		out[ClaimVerifiedAt] = v.ReadAt.UTC().Format(time.RFC3339)
	}
	return out, nil
}

// ClaimNames lists every claim Translate can emit (for discovery
// claims_supported), sorted. Booleans for groups outside the known list
// appear only when ID.me reports such a group, so they are not listed.
func (t *Translator) ClaimNames() []string {
	return slices.Clone(t.claimNames)
}
