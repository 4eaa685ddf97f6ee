package outcome_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/outcome"
)

// The README's "Sign-in outcomes" section holds these tables between the markers; the test
// fails, printing the tables, when they differ from the names in this package.
const (
	beginMarker = "<!-- outcome events: generated from internal/outcome, checked by its tests -->"
	endMarker   = "<!-- end of outcome events -->"
)

var when = map[string]string{
	outcome.SignInStarted: "/authorize sent the browser to ID.me",
	outcome.SignIn:        "the callback ended, whichever way",
	outcome.Token:         "the token endpoint answered",
	outcome.Extension:     "External ID's token issuance start call answered",
	outcome.Connector:     "B2C's API connector call answered",
	outcome.Readiness:     "the bridge became ready; while not ready, with each `not ready` line",
	outcome.SecretRefresh: "a Key Vault refresh failed, one per secret",
}

var meaning = map[string]string{
	outcome.FieldEvent:         "the event's name",
	outcome.FieldClientID:      "the client (relying party) id; at the extension, the application's app id; empty when not known or not registered",
	outcome.FieldPolicies:      "the ID.me policies asked for, space separated",
	outcome.FieldOutcome:       "the outcome, from the closed list of the event",
	outcome.FieldCommunities:   "the communities ID.me verified, space separated (`identity` for an identity policy)",
	outcome.FieldIDmeStatus:    "ID.me's HTTP status when one of its calls answered an error or an unusable answer; 0 otherwise (an error on the redirect, a timeout, the bridge's side)",
	outcome.FieldError:         "the OAuth error code answered; empty on success",
	outcome.FieldReason:        "why there are no claims, in words",
	outcome.FieldClaims:        "how many verification claims were answered",
	outcome.FieldCorrelationID: "External ID's correlation id of the sign-in",
	outcome.FieldDuration:      "the request's duration in the bridge, ms",
	outcome.FieldStateMs:       "the state ledger's conditional create, ms",
	outcome.FieldIDmeTokenMs:   "ID.me's token exchange, ms",
	outcome.FieldAttributesMs:  "ID.me's attributes call, ms",
	outcome.FieldCodeBurnMs:    "the code ledger's conditional create, ms",
	outcome.FieldSigningMs:     "sealing the access token and signing the id_token, ms",
	outcome.FieldReady:         "whether the bridge is ready",
	outcome.FieldSecret:        "the secret's name (never its value)",
}

func tables() string {
	var b strings.Builder
	b.WriteString("| event | logged when | fields | outcomes |\n|---|---|---|---|\n")
	shape, outcomes := outcome.Shape(), outcome.Outcomes()
	order := []string{outcome.SignInStarted, outcome.SignIn, outcome.Token, outcome.Extension, outcome.Connector, outcome.Readiness, outcome.SecretRefresh}
	for _, ev := range order {
		var fields []string
		for _, f := range outcome.Fields() {
			if _, ok := shape[ev][f]; ok {
				fields = append(fields, "`"+f+"`")
			}
		}
		var outs []string
		for _, o := range outcomes[ev] {
			outs = append(outs, "`"+o+"`")
		}
		b.WriteString("| `" + ev + "` | " + when[ev] + " | " + strings.Join(fields, " ") + " | " + strings.Join(outs, " ") + " |\n")
	}
	b.WriteString("\n| field | type | meaning |\n|---|---|---|\n")
	for _, f := range outcome.Fields() {
		typ := outcome.TypeString
		for _, fs := range shape {
			if t, ok := fs[f]; ok {
				typ = t
			}
		}
		b.WriteString("| `" + f + "` | " + typ + " | " + meaning[f] + " |\n")
	}
	return b.String()
}

func TestReadmeTables(t *testing.T) {
	for _, f := range outcome.Fields() {
		if meaning[f] == "" {
			t.Errorf("field %s has no meaning for the README", f)
		}
	}
	for ev := range outcome.Shape() {
		if when[ev] == "" {
			t.Errorf("event %s has no description for the README", ev)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q and %q", beginMarker, endMarker)
	}
	got := strings.TrimSpace(s[i+len(beginMarker) : j])
	if want := strings.TrimSpace(tables()); got != want {
		t.Errorf("README.md's outcome tables differ from internal/outcome; want:\n%s", want)
	}
	if !slices.Contains(strings.Split(s, "\n"), "#### Sign-in outcomes") {
		t.Error("README.md has no \"#### Sign-in outcomes\" heading")
	}
}
