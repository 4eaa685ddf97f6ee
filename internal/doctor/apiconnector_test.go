package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/apiconnector"
	"idmebridge/internal/config"
	"idmebridge/internal/secrets"
	"idmebridge/internal/verification"
)

const (
	connectorSecret   = "b2c-connector-password"
	connectorPassword = "connector-password"
)

// noRecords is a store with no verification: the probe's local account never needs one.
type noRecords struct{}

func (noRecords) LatestFor(context.Context, string, string) (*verification.Record, error) {
	return nil, verification.ErrNoRecord
}

// withConnector makes the world a bridge serving a user-flow client's API connector: the real
// connector behind the issuer, its password in the vault and in the bridge's own secrets
// (bridgePassword, which a test may make differ). It returns the server so a test can replace
// the handler.
func (w *world) withConnector(bridgePassword string) *httptest.Server {
	srv := httptest.NewServer(nil)
	w.t.Cleanup(srv.Close)
	w.env["BRIDGE_ISSUER"] = srv.URL
	w.env["BRIDGE_VERIFICATION_RECORDS"] = "true"
	w.env["BRIDGE_CLIENTS"] = `[{"client_id":"b2c","secret_name":"b2c-client-secret","redirect_uris":["` + rpRedirect +
		`"],"idme_scopes":["military"],"api_connector_secret_name":"` + connectorSecret + `"}]`
	w.restartSim(srv.URL)
	w.vault.put(connectorSecret, connectorPassword, time.Now().Add(-time.Hour))
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := w.env[k]; return v, ok })
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := apiconnector.New(apiconnector.Options{Config: cfg.APIConnector, Clients: cfg.Clients,
		Secrets: secrets.Map{connectorSecret: bridgePassword}, Records: noRecords{}})
	if err != nil {
		w.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(apiconnector.Path, c)
	srv.Config.Handler = mux
	return srv
}

// TestAPIConnectorChecks: a user-flow client's connector password is found in the vault and
// named as the connector's, and the deployed connector answers a local account with Continue
// and a wrong password with 401; each way of breaking it has its finding.
func TestAPIConnectorChecks(t *testing.T) {
	answer := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	tests := []struct {
		name    string
		breakIt func(w *world, srv *httptest.Server)
		check   string
		status  Status
		texts   []string
	}{
		{"password in the vault", nil, "keyvault.secret", Pass, []string{connectorSecret, "B2C API connector password of client b2c"}},
		{"connector answers Continue", nil, "apiconnector", Pass, []string{"b2c", "Continue"}},
		{"wrong password refused", nil, "apiconnector.auth", Pass, []string{"401"}},
		{"password missing from the vault", func(w *world, _ *httptest.Server) { w.vault.remove(connectorSecret) },
			"keyvault.secret", Fail, []string{"B2C API connector password of client b2c", "does not exist", "password of the user flow's API connector"}},
		{"password missing: no probe", func(w *world, _ *httptest.Server) { w.vault.remove(connectorSecret) },
			"apiconnector", Skip, []string{connectorSecret}},
		{"previous password missing", func(w *world, _ *httptest.Server) {
			w.env["BRIDGE_CLIENTS"] = strings.Replace(w.env["BRIDGE_CLIENTS"], `"api_connector_secret_name"`, `"previous_api_connector_secret_name":"b2c-connector-old","api_connector_secret_name"`, 1)
		}, "keyvault.secret", Fail, []string{"b2c-connector-old", "previous B2C API connector password of client b2c"}},
		{"the bridge reads another password", func(w *world, srv *httptest.Server) {
			w.vault.put(connectorSecret, "rotated", time.Now())
		}, "apiconnector", Fail, []string{"401", "same value"}},
		{"bridge not reachable", func(_ *world, srv *httptest.Server) { srv.Close() }, "apiconnector", Fail, []string{"not reachable", apiconnector.Path}},
		{"bridge without the connector", func(_ *world, srv *httptest.Server) { srv.Config.Handler = http.NotFoundHandler() },
			"apiconnector", Fail, []string{"404", "does not serve the API connector"}},
		{"not a continuation", func(_ *world, srv *httptest.Server) {
			srv.Config.Handler = answer(http.StatusOK, `{"version":"1.0.0","action":"ShowBlockPage"}`)
		}, "apiconnector", Fail, []string{"not a continuation response"}},
		{"refuses a local account", func(_ *world, srv *httptest.Server) {
			srv.Config.Handler = answer(http.StatusInternalServerError, `{"version":"1.0.0","status":500}`)
		}, "apiconnector", Fail, []string{"answered 500"}},
		{"any password accepted", func(_ *world, srv *httptest.Server) {
			srv.Config.Handler = answer(http.StatusOK, `{"version":"1.0.0","action":"Continue"}`)
		}, "apiconnector.auth", Fail, []string{"not 401"}},
		{"verification records off", func(w *world, _ *httptest.Server) { w.env["BRIDGE_VERIFICATION_RECORDS"] = "false" },
			"settings", Fail, []string{"BRIDGE_VERIFICATION_RECORDS=true"}},
		{"claim prefix without extension_", func(w *world, _ *httptest.Server) { w.env["B2C_API_CONNECTOR_CLAIM_PREFIX"] = "Idme" },
			"settings", Fail, []string{"B2C_API_CONNECTOR_CLAIM_PREFIX must be extension_"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			srv := w.withConnector(connectorPassword)
			if tt.breakIt != nil {
				tt.breakIt(w, srv)
			}
			want(t, w.run(), tt.check, tt.status, tt.texts...)
		})
	}
}

// TestAPIConnectorJSON: --json carries the connector's findings.
func TestAPIConnectorJSON(t *testing.T) {
	w := newWorld(t)
	w.withConnector(connectorPassword)
	var out, errs bytes.Buffer
	o := w.opts
	o.Lookup = func(k string) (string, bool) { v, ok := w.env[k]; return v, ok }
	_ = command(context.Background(), "doctor", []string{"--json"}, o, &out, &errs)
	var report struct {
		Findings []Finding `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	found := map[string]Status{}
	for _, f := range report.Findings {
		if strings.HasPrefix(f.Check, "apiconnector") {
			found[f.Check] = f.Status
		}
	}
	if found["apiconnector"] != Pass || found["apiconnector.auth"] != Pass {
		t.Errorf("connector findings %v in:\n%s", found, out.String())
	}
}
