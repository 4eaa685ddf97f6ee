package apiconnector

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"

	"idmebridge/internal/config"
)

// Bounds on what a call may carry. B2C sends a user's attributes: a few kilobytes.
const (
	maxRequestBytes = 64 << 10
	maxIdentities   = 32
	maxLoggedIssuer = 100
)

// request is what the connector reads of B2C's call. Attributes without a value are left out
// of the call (Learn: add-api-connector-token-enrichment, "If a claim does not have a value at
// the time the API endpoint is called, the claim will not be sent"), so every field may be
// missing; the others (email, displayName, custom attributes) are ignored.
type request struct {
	Identities []identity `json:"identities"`
	// The application's appId. add-api-connector-token-enrichment names it client_id, the
	// "Before sending the token" sample of add-api-connector clientId.
	ClientID    string `json:"client_id"`
	ClientIDAlt string `json:"clientId"`
	Step        string `json:"step"`
}

// identity is one of the user's identities, serialised like Microsoft Graph's objectIdentity.
type identity struct {
	SignInType       string `json:"signInType"`
	Issuer           string `json:"issuer"`
	IssuerAssignedID string `json:"issuerAssignedId"`
}

// readRequest decodes the body; a non-empty problem says why it cannot be read.
func readRequest(r *http.Request) (*request, string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, "the body must be application/json"
	}
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRequestBytes)).Decode(&req); err != nil {
		return nil, "the body is not a JSON object of user attributes (or exceeds 64 KiB)"
	}
	if len(req.Identities) > maxIdentities {
		return nil, "too many identities"
	}
	return &req, ""
}

// tokenStep reports whether step is "Before sending the token". add-api-connector lists
// PreTokenIssuance for it, while its sample request at that step says
// PreTokenApplicationClaims; a call without step is taken as this step, the only one the
// connector is meant for.
func tokenStep(step string) bool {
	switch step {
	case "", "PreTokenIssuance", "PreTokenApplicationClaims":
		return true
	}
	return false
}

// findSubject returns the issuerAssignedId of the user's federated identity issued by the
// bridge (one of issuers, compared without case or trailing slash), or "" and the issuers of
// the identities seen, for the log (issuer values only: no ids).
func findSubject(ids []identity, issuers []string) (string, []string) {
	var seen []string
	for _, id := range ids {
		if strings.EqualFold(id.SignInType, "federated") && id.IssuerAssignedID != "" &&
			slices.Contains(issuers, config.NormalizeIssuer(id.Issuer)) {
			return id.IssuerAssignedID, nil
		}
		iss := id.Issuer
		if len(iss) > maxLoggedIssuer {
			iss = iss[:maxLoggedIssuer] + "..."
		}
		seen = append(seen, id.SignInType+":"+iss)
	}
	return "", seen
}
