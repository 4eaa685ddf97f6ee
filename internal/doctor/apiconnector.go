package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"idmebridge/internal/apiconnector"
	"idmebridge/internal/config"
)

// connectorProbe is a call of B2C's API connector for a user who has no ID.me identity: a
// local account (signInType emailAddress, issued by the tenant itself; Graph objectIdentity).
// The connector must answer it with a plain Continue and read no verification record. Its
// shape is the example request of Learn add-api-connector-token-enrichment.
const connectorProbe = `{"email":"doctor@example.com","identities":[{"signInType":"emailAddress",` +
	`"issuer":"doctor.onmicrosoft.com","issuerAssignedId":"doctor@example.com"}],"displayName":"handler doctor",` +
	`"objectId":"00000000-0000-4000-8000-00000000d0c7","client_id":"00000000-0000-4000-8000-00000000d0c7",` +
	`"step":"PreTokenIssuance","ui_locales":"en-US"}`

// checkAPIConnectors calls the deployed bridge's B2C API connector as each user-flow client's
// connector would: with its password it must answer 200 and "action":"Continue" (B2C ends the
// sign-in on anything else), with a wrong one 401.
func checkAPIConnectors(ctx context.Context, cfg *config.Config, sv secretValues, o Options) []Finding {
	endpoint := cfg.Issuer + apiconnector.Path
	client := noRedirects(o.HTTPClient, o)
	var findings []Finding
	for _, c := range cfg.Clients {
		if c.APIConnectorSecretName == "" {
			continue
		}
		password, ok := sv.values[c.APIConnectorSecretName]
		if !ok {
			findings = append(findings, Finding{Check: "apiconnector", Status: Skip, Subject: c.ID,
				Detail: "the API connector's password " + c.APIConnectorSecretName + " could not be read (see its secret finding)"})
			continue
		}
		findings = append(findings, probeConnector(ctx, client, endpoint, c.ID, password, o),
			probeConnectorRefuses(ctx, client, endpoint, c.ID, password, o))
	}
	return findings
}

// probeConnector expects a continuation response for the local-account user.
func probeConnector(ctx context.Context, client *http.Client, endpoint, clientID, password string, o Options) Finding {
	f := Finding{Check: "apiconnector", Subject: clientID}
	status, body, err := postConnector(ctx, client, endpoint, clientID, password, o)
	var answer struct {
		Version string `json:"version"`
		Action  string `json:"action"`
	}
	switch {
	case err != nil:
		f.Status, f.Detail = Fail, "the bridge's API connector at "+endpoint+" is not reachable: "+err.Error()
		f.Fix = "deploy the bridge (azd deploy) and check BRIDGE_ISSUER: B2C calls the connector at " + endpoint
	case status == http.StatusNotFound:
		f.Status, f.Detail = Fail, endpoint+" answered 404: the deployed bridge does not serve the API connector"
		f.Fix = "deploy a version of the bridge with the B2C API connector, with these settings"
	case status == http.StatusUnauthorized:
		f.Status, f.Detail = Fail, "the connector refused the password of "+clientID+" (401): the deployed bridge reads another value"
		f.Fix = "store the same value in the deployed bridge's secret and in the B2C API connector's password, then restart the Function App"
	case status != http.StatusOK:
		f.Status, f.Detail = Fail, fmt.Sprintf("the connector answered %d for a local account: %s", status, clip(string(body), 200))
		f.Fix = "read the bridge's log (component b2c-api-connector): B2C ends the sign-in when the connector does not answer 200"
	case json.Unmarshal(body, &answer) != nil || answer.Action != "Continue" || answer.Version != "1.0.0":
		f.Status, f.Detail = Fail, "the connector's answer is not a continuation response: "+clip(string(body), 200)
		f.Fix = `B2C expects {"version":"1.0.0","action":"Continue"} at "Before sending the token"; check what answers at ` + endpoint
	default:
		f.Status, f.Detail = Pass, "answers Continue with the API connector's password, for a user without ID.me"
	}
	return f
}

// probeConnectorRefuses expects a 401 for a wrong password.
func probeConnectorRefuses(ctx context.Context, client *http.Client, endpoint, clientID, password string, o Options) Finding {
	f := Finding{Check: "apiconnector.auth", Subject: clientID}
	status, _, err := postConnector(ctx, client, endpoint, clientID, password+"-wrong", o)
	switch {
	case err != nil:
		f.Status, f.Detail = Skip, "the connector is not reachable"
	case status == http.StatusUnauthorized:
		f.Status, f.Detail = Pass, "a wrong password is refused (401)"
	default:
		f.Status, f.Detail = Fail, fmt.Sprintf("a wrong password got %d, not 401: anyone could call the connector as %s", status, clientID)
		f.Fix = "check what answers at " + endpoint + ": the bridge refuses a wrong Basic password with 401"
	}
	return f
}

// postConnector posts the probe with Basic credentials and returns the status and body.
func postConnector(ctx context.Context, client *http.Client, endpoint, user, password string, o Options) (int, []byte, error) {
	cctx, cancel := withTimeout(ctx, o)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, endpoint, strings.NewReader(connectorProbe))
	if err != nil {
		return 0, nil, fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, password)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, err
}
