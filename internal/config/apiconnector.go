package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// APIConnector is the endpoint a B2C user flow's API connector calls at the "Before sending
// the token (preview)" step, so that user-flow tokens carry the ID.me verification (a user
// flow's OpenID Connect provider maps five claims only). It is on when a client of
// BRIDGE_CLIENTS has api_connector_secret_name.
type APIConnector struct {
	Enabled bool
	// Budget is how long an answer may take; past it the connector answers without claims.
	// B2C waits 20 seconds, then calls once more (Learn: add-api-connector, "Azure AD B2C will
	// wait for a maximum of 20 seconds to receive a response. If none is received, it will
	// make one more attempt").
	Budget time.Duration
	// ClaimPrefix starts every claim name: extension_<Name> is how a user flow's custom
	// attribute is returned, the app-id part being optional (Learn:
	// add-api-connector-token-enrichment, continuation response table).
	ClaimPrefix string
	// Issuers are the issuer values, lower case without a trailing slash, that mark a
	// user's identity as the bridge's: the issuer URL, its host, and any configured extras.
	// What B2C stores for a generic OpenID Connect provider is not documented.
	Issuers []string
}

// Limits of the connector's settings.
const (
	maxAPIConnectorBudget = 15 * time.Second // well under B2C's 20 s, leaving room for the network
	minAPIConnectorBudget = 100 * time.Millisecond
)

// claimPrefixPattern is extension_ then what a custom attribute's name may hold: a letter, then
// letters and digits (the names `handler userflow setup` creates the attributes under). The
// extension_<app id>_<Name> form Graph shows on users is not needed in an answer, and an
// attribute cannot be created under it.
var claimPrefixPattern = regexp.MustCompile(`^extension_[A-Za-z][A-Za-z0-9]{0,79}$`)

// apiConnector reads the B2C_API_CONNECTOR_* settings; c must already hold the issuer, the
// clients and the Azure settings.
func (r *reader) apiConnector(c *Config) APIConnector {
	a := APIConnector{
		Budget:      r.duration("B2C_API_CONNECTOR_BUDGET"),
		ClaimPrefix: r.str("B2C_API_CONNECTOR_CLAIM_PREFIX"),
		Issuers:     IssuerForms(c.Issuer),
	}
	for _, extra := range strings.FieldsFunc(r.str("B2C_API_CONNECTOR_ISSUERS"), func(c rune) bool { return c == ',' || c == ' ' }) {
		if n := NormalizeIssuer(extra); n != "" && !slices.Contains(a.Issuers, n) {
			a.Issuers = append(a.Issuers, n)
		}
	}
	for _, cl := range c.Clients {
		if cl.APIConnectorSecretName != "" {
			a.Enabled = true
		}
	}
	if a.Budget < minAPIConnectorBudget || a.Budget > maxAPIConnectorBudget {
		r.fail("B2C_API_CONNECTOR_BUDGET must be between 100ms and 15s: B2C waits 20 s, then calls again")
	}
	if !claimPrefixPattern.MatchString(a.ClaimPrefix) {
		r.fail("B2C_API_CONNECTOR_CLAIM_PREFIX must be extension_ followed by a letter, then letters or digits (a B2C custom attribute name), not %q", a.ClaimPrefix)
	}
	if a.Enabled && !c.Azure.VerificationRecords {
		r.fail("the B2C API connector (api_connector_secret_name in BRIDGE_CLIENTS) reads verification records: set BRIDGE_VERIFICATION_RECORDS=true")
	}
	return a
}

// IssuerForms are the spellings of the bridge's issuer a federated identity may carry: the
// issuer URL and its host alone (as B2C shows facebook.com for Facebook), normalised by
// NormalizeIssuer (so the URL with a trailing slash matches too).
func IssuerForms(issuer string) []string {
	out := []string{NormalizeIssuer(issuer)}
	if u, err := url.Parse(strings.TrimSpace(issuer)); err == nil && u.Host != "" {
		if h := strings.ToLower(u.Host); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// NormalizeIssuer lowers an issuer value and drops one trailing slash: hosts compare without
// case, and the issuer is a bare origin (BRIDGE_ISSUER allows no path).
func NormalizeIssuer(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}
