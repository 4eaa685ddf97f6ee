package app

import (
	"bytes"
	flagpkg "flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/idmesim"
	"idmebridge/internal/outcome"
	"idmebridge/internal/outcome/outcometest"
)

var update = flagpkg.Bool("update", false, "rewrite internal/outcome/testdata/events.jsonl from this run")

// TestOutcomeEventsGolden runs the bridge in process as production does (the production
// logger at INFO): every persona signs in, codes are redeemed, refused and replayed, ID.me
// fails and times out, B2C's API connector is called. Every outcome event must match its
// documented shape, none may carry personal data, and the set of events (normalised) must
// equal internal/outcome/testdata/events.jsonl, which the workbook and alert tests read to
// know which fields really exist. Regenerate with: go test ./internal/app -run
// TestOutcomeEventsGolden -update
func TestOutcomeEventsGolden(t *testing.T) {
	logs := &lockedBuffer{}
	w := newWorld(t, withAPIConnector, withEnv("IDME_TIMEOUT", "300ms"), func(s *worldSetup) {
		s.logger = NewLogger(logs, logs, slog.LevelInfo)
		// login: a sign-in that verifies nothing.
		s.env["BRIDGE_CLIENTS"] = strings.Replace(s.env["BRIDGE_CLIENTS"], `"idme_scopes":["military","student"]`, `"idme_scopes":["military","student","login"]`, 1)
	})
	waitFor(t, 5*time.Second, "the readiness event", func() bool { return strings.Contains(logs.String(), `"event":"readiness"`) })

	// Every persona, for a community and for nothing in particular.
	for _, p := range idmesim.Personas() {
		w.signIn(w.authorizeURL("openid military", "s", "n"), p.ID)
		w.signIn(w.authorizeURL("openid login", "s", "n"), p.ID)
	}
	// Tokens issued, a wrong secret, a replayed code, a request without grant_type.
	code := w.codeFor("veteran")
	w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI}, "client_id": {rpClientID}, "client_secret": {"wrong"}}, "", "")
	if _, err := w.redeem(code); err != nil {
		t.Fatal(err)
	}
	_, _ = w.redeem(code)
	w.postForm("/token", url.Values{"code": {code}, "client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
	// ID.me answering 503, then too slowly.
	for _, fault := range []simFault{
		func(rw http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/oauth/token" {
				return false
			}
			rw.WriteHeader(http.StatusServiceUnavailable)
			return true
		},
		func(_ http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/oauth/token" {
				select {
				case <-r.Context().Done():
				case <-time.After(time.Second):
				}
			}
			return false
		},
	} {
		w.simFaults.Store(&fault)
		w.signIn(w.authorizeURL("openid military", "s", "n"), "veteran")
		w.simFaults.Store(nil)
	}
	// B2C's API connector: the veteran's record, then a wrong password.
	waitFor(t, 5*time.Second, "the connector's claims", func() bool {
		status, body, _ := w.callConnector(t, 0, rpClientID, rpConnectorPassword)
		return status == http.StatusOK && len(body) > 0 && strings.Contains(fmt.Sprint(body), "true")
	})
	w.callConnector(t, 0, rpClientID, "wrong")

	events, err := outcometest.Parse([]byte(logs.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		for _, p := range outcometest.Check(e) {
			t.Errorf("%s\nin %v", p, e)
		}
	}
	// Outcomes this run must have provoked.
	seen := outcometest.OutcomesSeen(events)
	for event, want := range map[string][]string{
		outcome.SignIn:    {outcome.Verified, outcome.NotVerified, outcome.DeclinedAtIDme, outcome.IDmeError, outcome.IDmeTimeout},
		outcome.Token:     {outcome.Issued, outcome.InvalidGrant, outcome.InvalidClient, outcome.InvalidRequest},
		outcome.Connector: {outcome.WithClaims, outcome.Refused},
		outcome.Readiness: {outcome.Ready},
	} {
		for _, o := range want {
			if !strings.Contains(" "+strings.Join(seen[event], " ")+" ", " "+o+" ") {
				t.Errorf("no %s event with outcome %s; seen %v", event, o, seen[event])
			}
		}
	}
	noPersonalData(t, events)

	// The connector is polled until the record written in the background is there: a no_record
	// answer before it depends on timing, so it stays out of the golden file.
	stable := events[:0:0]
	for _, e := range events {
		if e[outcome.FieldEvent] != outcome.Connector || e[outcome.FieldOutcome] != outcome.NoRecord {
			stable = append(stable, e)
		}
	}
	got, err := outcometest.Lines(stable)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(outcometest.GoldenPath(), got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(outcometest.GoldenPath())
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the events emitted differ from %s (run with -update if the change is meant, and check the workbook and alerts):\ngot:\n%s\nwant:\n%s",
			outcometest.GoldenPath(), got, want)
	}
}

// noPersonalData fails when any event carries a persona's uuid, name, e-mail or any other
// attribute value of four characters or more.
func noPersonalData(t *testing.T, events []outcometest.Event) {
	t.Helper()
	var markers []string
	for _, p := range idmesim.Personas() {
		markers = append(markers, p.UUID)
		for _, a := range p.Attributes {
			if a.Value != nil && len(*a.Value) >= 4 && *a.Value != "true" && *a.Value != "false" {
				markers = append(markers, *a.Value)
			}
		}
	}
	for _, e := range events {
		line := fmt.Sprint(e)
		for _, m := range markers {
			if m != "" && strings.Contains(line, m) {
				t.Errorf("event carries %q: %v", m, e)
			}
		}
	}
}
