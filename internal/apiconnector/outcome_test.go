package apiconnector

import (
	"context"
	"errors"
	"strings"
	"testing"

	"idmebridge/internal/outcome"
	"idmebridge/internal/outcome/outcometest"
	"idmebridge/internal/verification"
)

// TestOutcomeEvents provokes every outcome of a connector call and checks its one line: the
// outcome event, in its documented shape.
func TestOutcomeEvents(t *testing.T) {
	cfg := loadTestConfig(t, nil)
	down := storeFunc(func(context.Context, string, string) (*verification.Record, error) {
		return nil, errors.New("connection refused")
	})
	tests := []struct {
		name    string
		c       call
		records Records
		outcome string
		level   string
		claims  float64
		client  string
	}{
		{name: "claims", c: call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}, outcome: outcome.WithClaims, level: "INFO", claims: 7, client: clientA},
		{name: "not an ID.me user", c: call{user: clientA, pass: passA, body: userWith()}, outcome: outcome.NotIDme, level: "INFO", client: clientA},
		{name: "no record", c: call{user: clientB, pass: passB, body: userWith(idmeIdentity(bridgeIssuer))}, outcome: outcome.NoRecord, level: "INFO", client: clientB},
		{name: "storage down", c: call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}, records: down, outcome: outcome.Failed, level: "ERROR", client: clientA},
		{name: "not understood", c: call{user: clientA, pass: passA, body: "{"}, outcome: outcome.Failed, level: "WARN", client: clientA},
		{name: "wrong password", c: call{user: clientA, pass: "wrong", body: userWith()}, outcome: outcome.Refused, level: "WARN"},
		{name: "fail closed", c: call{user: clientStrict, pass: passStrict, body: userWith(idmeIdentity(bridgeIssuer))}, records: down, outcome: outcome.FailClosed, level: "ERROR", client: clientStrict},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records := tt.records
			if records == nil {
				records, _ = memRecords(t, record(clientA, 0, []string{"military"}, []string{"Veteran"}))
			}
			c, logs := newConnector(t, cfg, records, nil)
			tt.c.send(c)
			evs, err := outcometest.Parse([]byte(logs.String()))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1:\n%s", len(evs), logs)
			}
			ev := evs[0]
			for _, p := range outcometest.Check(ev) {
				t.Error(p)
			}
			if ev["event"] != outcome.Connector || ev["outcome"] != tt.outcome || ev["level"] != tt.level || ev["client_id"] != tt.client ||
				(tt.claims > 0) != (ev["claims"].(float64) > 0) {
				t.Errorf("event %v, want outcome %s at %s for %q with claims %v", ev, tt.outcome, tt.level, tt.client, tt.claims > 0)
			}
			if (tt.outcome == outcome.WithClaims) != (ev["reason"] == "") {
				t.Errorf("reason %q with outcome %s", ev["reason"], tt.outcome)
			}
			if strings.Contains(logs.String(), subject) || strings.Contains(logs.String(), "vera@example.com") {
				t.Errorf("personal data in the log:\n%s", logs)
			}
			seen[tt.outcome] = true
		})
	}
	for _, o := range outcome.Outcomes()[outcome.Connector] {
		if !seen[o] {
			t.Errorf("no row provokes outcome %s", o)
		}
	}
}
