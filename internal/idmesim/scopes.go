package idmesim

import "strings"

// scopeKind says what a scope asks ID.me for.
type scopeKind int

const (
	scopeUnknown   scopeKind = iota
	scopeOpenID              // an id_token
	scopeIdentity            // an identity (IAL2) policy
	scopeCommunity           // a community group's verification status
)

// classifyScope maps a scope to its kind and, for communities, to the group name that
// attributes.json reports. ID.me names groups after the scope, except that some clients ask
// for first_responder and get the responder group.
func classifyScope(scope string) (scopeKind, string) {
	switch scope {
	case "openid":
		return scopeOpenID, ""
	case "login", "mfa", "http://idmanagement.gov/ns/assurance/ial/2/aal/2",
		"kba_replacement", "fortified_identity":
		return scopeIdentity, identityGroup
	case "first_responder":
		return scopeCommunity, "responder"
	}
	if isCommunity(strings.TrimSuffix(scope, "_canada")) {
		return scopeCommunity, scope
	}
	return scopeUnknown, ""
}

func isCommunity(name string) bool {
	switch name {
	case "military", "responder", "student", "teacher", "government", "employee",
		"hospital_employee", "alumni", "nurse", "medical":
		return true
	}
	return false
}

// supportedScopes lists every scope the simulator accepts, for discovery.
func supportedScopes() []string {
	return []string{
		"openid", "login", "mfa", "http://idmanagement.gov/ns/assurance/ial/2/aal/2",
		"kba_replacement", "fortified_identity",
		"military", "responder", "first_responder", "student", "teacher", "government",
		"employee", "hospital_employee", "alumni", "nurse", "medical",
	}
}

// parseScope splits a space-separated scope string, dropping duplicates and keeping order.
func parseScope(raw string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, s := range strings.Fields(raw) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func hasScope(scopes []string, want string) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

// groupStatus builds attributes.json "status" for a persona and the granted scopes: the
// persona's entry for each requested community it is verified in, a verified-false entry for
// each requested community it is not, and the identity entry once when an identity scope was
// granted and the persona is identity-verified.
func groupStatus(p Persona, scopes []string) []Status {
	out := []Status{}
	seen := make(map[string]bool)
	for _, sc := range scopes {
		kind, group := classifyScope(sc)
		if (kind != scopeIdentity && kind != scopeCommunity) || seen[group] {
			continue
		}
		seen[group] = true
		if st, ok := p.status(group); ok {
			out = append(out, st)
		} else if kind == scopeCommunity {
			out = append(out, Status{Group: group, Subgroups: []string{}, Verified: false})
		}
	}
	return out
}

// verifiesIdentity reports identity policies that need a verified identity (IAL2 and its
// equivalents); login and mfa only need an account.
func verifiesIdentity(scope string) bool {
	switch scope {
	case "http://idmanagement.gov/ns/assurance/ial/2/aal/2", "kba_replacement", "fortified_identity":
		return true
	}
	return false
}

// Requirement is what a user must have verified at ID.me to finish a sign-in: ID.me does not
// let anyone through who has not satisfied the requested policy.
type Requirement struct {
	// Communities are the requested groups; being verified in any one of them is enough (with
	// several, that is ID.me's groups flow, where the user picks one).
	Communities []string
	// Identity is set when an identity-verification policy (IAL2) was requested.
	Identity bool
}

// RequirementFor reads the requirement out of the requested scopes.
func RequirementFor(scopes []string) Requirement {
	var req Requirement
	for _, sc := range scopes {
		kind, group := classifyScope(sc)
		switch {
		case kind == scopeCommunity && !hasScope(req.Communities, group):
			req.Communities = append(req.Communities, group)
		case kind == scopeIdentity && verifiesIdentity(sc):
			req.Identity = true
		}
	}
	return req
}

// Satisfies reports whether the persona may finish a sign-in that asks for these scopes.
func (p Persona) Satisfies(scopes []string) bool {
	if p.Cancels {
		return false
	}
	req := RequirementFor(scopes)
	if req.Identity && !p.verifiedIn(identityGroup) {
		return false
	}
	if len(req.Communities) == 0 {
		return true
	}
	for _, g := range req.Communities {
		if p.verifiedIn(g) {
			return true
		}
	}
	return false
}

func (p Persona) verifiedIn(group string) bool {
	st, ok := p.status(group)
	return ok && st.Verified
}

// describe says in words what the requirement asks, for the simulator's pages.
func (r Requirement) describe() string {
	var parts []string
	if r.Identity {
		parts = append(parts, "identity verification (IAL2)")
	}
	switch len(r.Communities) {
	case 0:
	case 1:
		parts = append(parts, r.Communities[0]+" verification")
	default:
		parts = append(parts, "verification in one of: "+strings.Join(r.Communities, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " and ")
}
