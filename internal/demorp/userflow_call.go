package demorp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// connectorIdentity is one of the user's identities as B2C sends it (Graph objectIdentity).
type connectorIdentity struct {
	SignInType       string `json:"signInType"`
	Issuer           string `json:"issuer"`
	IssuerAssignedID string `json:"issuerAssignedId"`
}

// connectorRequest is B2C's call at "Before sending the token (preview)", shaped like the
// example request of Learn add-api-connector-token-enrichment (email, identities,
// displayName, objectId, client_id, step PreTokenIssuance, ui_locales). Attributes without a
// value are left out ("If a claim does not have a value at the time the API endpoint is
// called, the claim will not be sent").
type connectorRequest struct {
	Email       string              `json:"email,omitempty"`
	Identities  []connectorIdentity `json:"identities"`
	DisplayName string              `json:"displayName,omitempty"`
	ObjectID    string              `json:"objectId"`
	ClientID    string              `json:"client_id"`
	Step        string              `json:"step"`
	UILocales   string              `json:"ui_locales"`
}

type connectorCall struct {
	request  connectorRequest
	response any
	status   int
	elapsed  time.Duration
	// claims are the extension_ claims of a continuation response.
	claims map[string]any
}

// callConnector calls the bridge's API connector as B2C does: a JSON POST with HTTP Basic
// authentication (Learn: add-api-connector, "HTTP basic authentication ... username and
// password"), and reads a continuation response ({"version":"1.0.0","action":"Continue",
// claims...}, add-api-connector-token-enrichment "Example of a continuation response").
func (u *UserFlow) callConnector(ctx context.Context, objectID string, m mapped, ids []connectorIdentity) (*connectorCall, *stop) {
	call := &connectorCall{request: connectorRequest{
		Email: m.Email, Identities: ids, DisplayName: m.DisplayName, ObjectID: objectID,
		ClientID: userFlowApp, Step: "PreTokenIssuance", UILocales: "en-US",
	}}
	body, _ := json.Marshal(call.request)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(u.o.ClientID+":"+u.o.ConnectorPassword))
	got, err := postJSON(ctx, u.client, u.o.ConnectorURL, basic, body)
	if err != nil {
		return nil, &stop{http.StatusBadGateway, "B2C would stop here", fmt.Errorf("API connector call: %w", err)}
	}
	call.status, call.elapsed = got.status, got.elapsed
	if got.status != http.StatusOK {
		// What B2C does on anything but a 200 at this step is not documented; a sign-in that
		// ends is the cautious reading.
		return nil, &stop{http.StatusBadGateway, "B2C would stop here", fmt.Errorf("the API connector answered %d: %s", got.status, got.raw)}
	}
	var answer map[string]any
	if err := json.Unmarshal(got.raw, &answer); err != nil || answer["action"] != "Continue" || answer["version"] != "1.0.0" {
		return nil, &stop{http.StatusBadGateway, "B2C would stop here", fmt.Errorf("the API connector's answer is not a continuation response: %s", got.raw)}
	}
	call.response, call.claims = answer, map[string]any{}
	for k, v := range answer {
		// Only custom attributes chosen as application claims reach the token; the
		// connector returns nothing else.
		if strings.HasPrefix(k, "extension_") {
			call.claims[k] = v
		}
	}
	return call, nil
}
