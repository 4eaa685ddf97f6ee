package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/apiconnector"
)

// Connector passwords of the two clients in the API connector world.
const (
	rpConnectorPassword    = "contoso-connector-password"
	otherConnectorPassword = "other-connector-password"
	veteranUUID            = "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60"
)

// withAPIConnector gives both clients of the world an API connector password and keeps
// verification records.
func withAPIConnector(s *worldSetup) {
	s.env["BRIDGE_VERIFICATION_RECORDS"] = "true"
	s.env["BRIDGE_CLIENTS"] = fmt.Sprintf(`[{"client_id":%q,"secret_name":"rp-secret","api_connector_secret_name":"rp-connector","redirect_uris":[%q],"idme_scopes":["military","student"],"default_idme_scopes":["military"]},
		{"client_id":"other-client","secret_name":"other-secret","api_connector_secret_name":"other-connector","redirect_uris":[%q],"idme_scopes":["military"],"default_idme_scopes":["military"]}]`,
		rpClientID, rpRedirectURI, rpRedirectURI)
	s.secrets = map[string]string{"rp-connector": rpConnectorPassword, "other-connector": otherConnectorPassword}
}

// callConnector plays B2C's API connector against instance i: the sample request's shape with
// the identity B2C keeps for the bridge.
func (w *world) callConnector(t *testing.T, i int, user, password string) (int, map[string]any, time.Duration) {
	t.Helper()
	w.route.Store(int32(i))
	defer w.route.Store(-1)
	body := fmt.Sprintf(`{"email":"vera.veteran@example.com","identities":[{"signInType":"federated","issuer":%q,"issuerAssignedId":%q}],
		"displayName":"Vera Veteran","objectId":"ab3ec3b2-a435-45e4-b93a-56a005e88bb7","client_id":"231c70e8-8424-48ac-9b5d-5623b9e4ccf3","step":"PreTokenIssuance","ui_locales":"en-US"}`,
		w.issuer, veteranUUID)
	req, err := http.NewRequest(http.MethodPost, w.issuer+apiconnector.Path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, password)
	client := w.bridge.Client()
	client.Timeout = 10 * time.Second
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	elapsed := time.Since(start)
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, elapsed
}

// TestAPIConnectorTwoInstancesOnAzurite: a sign-in through one instance leaves its record in
// Blob Storage (Azurite), and both instances, with passwords from Key Vault, answer B2C's
// connector from it; the other client's credential gets no claims for that user. It reports the
// connector's latency over Azurite.
func TestAPIConnectorTwoInstancesOnAzurite(t *testing.T) {
	w := newWorld(t, withAPIConnector, onAzure(2))
	if got := w.signIn(w.authorizeURL("openid military", "s", "n"), "veteran"); got.params.Get("code") == "" {
		t.Fatalf("sign-in: %v", got.params)
	}
	waitFor(t, 5*time.Second, "the connector to see the record", func() bool {
		_, out, _ := w.callConnector(t, 0, rpClientID, rpConnectorPassword)
		return out["extension_IdmeMilitaryVerified"] == true
	})
	var durations []time.Duration
	for round := range 50 {
		for i := range w.instances {
			status, out, d := w.callConnector(t, i, rpClientID, rpConnectorPassword)
			durations = append(durations, d)
			if status != http.StatusOK || out["action"] != "Continue" || out["extension_IdmeSubject"] != veteranUUID ||
				out["extension_IdmeGroups"] != "military" || out["extension_IdmeSubgroups"] != "Veteran" ||
				out["extension_IdmeMilitaryVerified"] != true || out["extension_IdmeStudentVerified"] != false {
				t.Fatalf("round %d, instance %d: %d %v", round, i, status, out)
			}
		}
	}
	slices.Sort(durations)
	t.Logf("B2C API connector over HTTPS, records in Azurite, %d calls: p50 %v, p99 %v, max %v",
		len(durations), durations[len(durations)/2], durations[len(durations)*99/100], durations[len(durations)-1])
	for i := range w.instances {
		status, out, _ := w.callConnector(t, i, "other-client", otherConnectorPassword)
		if status != http.StatusOK || out["action"] != "Continue" || len(out) != 2 {
			t.Fatalf("instance %d, the other client's credential: %d %v", i, status, out)
		}
		if status, _, _ := w.callConnector(t, i, rpClientID, otherConnectorPassword); status != http.StatusUnauthorized {
			t.Fatalf("instance %d, a wrong password: %d", i, status)
		}
	}
}

// TestAPIConnectorIsNotGated: the connector answers while the bridge is not ready (here: the
// state key is missing), because a 503 would fail the tenant's every sign-in.
func TestAPIConnectorIsNotGated(t *testing.T) {
	w := newWorld(t, withAPIConnector, func(s *worldSetup) {
		s.env["BRIDGE_ALLOW_EPHEMERAL_KEYS"] = "false"
		s.env["BRIDGE_STORE"] = "memory"
		s.env["BRIDGE_STATE_KEY_SECRET_NAME"] = "missing-state-key"
	})
	if resp := w.get(w.issuer + "/.well-known/openid-configuration"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("discovery answered %d; the test needs a bridge that is not ready", resp.StatusCode)
	}
	status, out, _ := w.callConnector(t, 0, rpClientID, rpConnectorPassword)
	if status != http.StatusOK || out["action"] != "Continue" {
		t.Fatalf("connector answered %d %v", status, out)
	}
}
